# Criterion: language — `crates/arbiter-engine/benches/policies/criteria/language.rhai` in Rego.
#
# A model not pre-trained on every language of the task is vetoed (code by code, macrolanguages
# and their standard members alike: `covered`, prepared once per catalog as the host prepares
# it); one-way translation models are vetoed unless the task's source languages say they
# translate that way. A model pre-trained for exactly the task's languages scores 1; a
# multilingual one 0.3 + 0.7 × share, or 0.8 + 0.2 × share from a billion parameters; a model
# whose sources state no language 0.1.
package arbiter.criteria.language

# Each model's verdict, in catalog order.
verdicts := [verdict(m) | some m in data.catalog.models]

wanted := concat(", ", input.languages)

verdict(m) := {"score": 0.1, "reason": sprintf("its sources state no language: coverage of %s is unconfirmed, check before use", [wanted])} if {
	count(m.languages) == 0
} else := {"veto": sprintf("not pre-trained on %s", [concat(", ", missing)])} if {
	missing := [l | some l in input.languages; not l in m.covered]
	count(missing) > 0
} else := {"veto": reason} if {
	# Direction: a one-way translation model (an OPUS-MT pair) translates its direction only.
	input.task == "translation"
	count(m.translates_from) > 0
	reason := direction_veto(m)
} else := {"score": 1.0, "reason": sprintf("pre-trained for exactly the task's languages (%s)", [wanted])} if {
	count(m.languages) == count(input.languages)
} else := {"score": 0.8 + 0.2 * share(m), "reason": sprintf("covers the task's %d language(s) among the %d it was pre-trained on; at %v B parameters sharing costs little", [count(input.languages), count(m.languages), round(m.parameters_m / 1000)])} if {
	m.parameters_m >= 1000
} else := {"score": 0.3 + 0.7 * share(m), "reason": sprintf("covers the task's %d language(s) among the %d it was pre-trained on", [count(input.languages), count(m.languages)])}

# Why a one-way model cannot translate as the task needs; undefined when it can.
direction_veto(m) := sprintf("translates %s only, and the task does not say which way it translates (set source_languages)", [way(m)]) if {
	count(input.source_languages) == 0
} else := sprintf("translates %s only; the task needs %s→%s", [way(m), from, to]) if {
	# Every (source, target) pair the model cannot translate, sources then targets in the
	# task's order: the script's nested loops, which return at the first.
	wrong := [[s, t] |
		some s in input.source_languages
		some t in input.languages
		not t in input.source_languages
		not arbiter.translates(m, s, t)
	]
	[from, to] := wrong[0]
}

way(m) := sprintf("%s→%s", [concat(", ", m.translates_from), concat(", ", m.translates_into)])

share(m) := count(input.languages) / count(m.languages)
