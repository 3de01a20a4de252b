# Criterion: domain — `crates/arbiter-engine/benches/policies/criteria/domain.rhai` in Rego.
#
# A model pre-trained on the task's domain above general models, above models of another
# domain; neighbouring domains count almost as much. A general task prefers general models.
package arbiter.criteria.domain

# Each model's verdict, in catalog order.
verdicts := [verdict(m) | some m in data.catalog.models]

groups := [{"biomedical", "clinical", "scientific"}, {"finance", "news"}]

related(a, b) if {
	some g in groups
	a in g
	b in g
}

verdict(m) := {"score": 1.0, "reason": "general pre-training suits a general-domain task"} if {
	input.domain == "general"
	m.domain == "general"
} else := {"score": 0.6, "reason": sprintf("pre-trained on %s text, narrower than a general-domain task needs", [m.domain])} if {
	input.domain == "general"
} else := {"score": 1.0, "reason": sprintf("pre-trained on %s text, the task's domain", [input.domain])} if {
	m.domain == input.domain
} else := {"score": 0.85, "reason": sprintf("pre-trained on %s text, close to the task's %s domain", [m.domain, input.domain])} if {
	related(input.domain, m.domain)
} else := {"score": 0.4, "reason": sprintf("general pre-training, without %s text", [input.domain])} if {
	m.domain == "general"
} else := {"score": 0.2, "reason": sprintf("pre-trained on %s text, another domain than the task's %s", [m.domain, input.domain])}
