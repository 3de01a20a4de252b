# The entry point of the peer race: every criterion's verdicts, by criterion name, each an array
# in catalog order (`data.catalog.models`). A verdict is {"score": s, "reason": r} (with
# "precision" where the criterion judged the model at one), {"veto": reason} or
# {"abstain": reason}; the host turns them into the engine's verdicts and combines them with the
# engine's own `combine`, by the bundle's weights.
#
# The catalog is `data` (loaded once, as the engine prepares its models once per catalog load)
# and the task is `input` (converted once per decision): the usual division in Rego, reference
# data against the request, and the fastest here — one evaluation per decision in which every
# task-level rule (`kind`, `relevant`, `mem_limit`, …) is computed once and cached, where an
# evaluation per model would set an input and reset the interpreter 10,000 times and recompute
# them each time.
package arbiter

import data.arbiter.criteria

verdicts := {
	"task_type": criteria.task_type.verdicts,
	"language": criteria.language.verdicts,
	"domain": criteria.domain.verdicts,
	"resources": criteria.resources.verdicts,
	"data_volume": criteria.data_volume.verdicts,
	"benchmarks": criteria.benchmarks.verdicts,
	"licence": criteria.licence.verdicts,
}
