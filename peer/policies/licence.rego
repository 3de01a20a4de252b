# Criterion: licence terms — `crates/arbiter-engine/benches/policies/criteria/licence.rhai` in
# Rego.
#
# Permissive licences 1; acceptable-use or custom terms 0.7; share-alike 0.7; non-commercial
# 0.3; unknown 0.5.
package arbiter.criteria.licence

# Each model's verdict, in catalog order.
verdicts := [verdict(m) | some m in data.catalog.models]

verdict(m) := {"score": 0.5, "reason": "no known licence: establish the terms before use"} if {
	m.license == null
} else := {"score": 0.3, "reason": sprintf("%s: non-commercial use only", [m.license])} if {
	startswith(m.license, "CC-BY-NC")
} else := {"score": 0.7, "reason": sprintf("%s: share-alike, derivatives under the same terms", [m.license])} if {
	startswith(m.license, "CC-BY-SA")
} else := {"score": 1.0, "reason": sprintf("%s: permissive", [m.license])} if {
	permissive(m.license)
} else := {"score": 0.7, "reason": sprintf("%s: Meta's community licence (acceptable-use policy; separate terms above 700 M monthly users)", [m.license])} if {
	startswith(m.license, "llama")
} else := {"score": 0.7, "reason": "gemma: Google's Gemma terms of use (prohibited-use policy)"} if {
	m.license == "gemma"
} else := {"score": 0.7, "reason": sprintf("%s: custom terms, read before use", [m.license])}

permissive(l) if l in {"Apache-2.0", "MIT"}

permissive(l) if startswith(l, "BSD")

permissive(l) if startswith(l, "CC-BY")
