# Criterion: published benchmark results — `crates/arbiter-engine/benches/policies/criteria/
# benchmarks.rhai` in Rego.
#
# The benchmarks that matter for the task (its own `benchmarks` weights, else by task type and
# language), each figure min–max normalised across the catalog (`normalised`: prepared once per
# catalog by the engine's own `host::normalised_benchmarks`, the figures the scripts get from
# `benchmark_normalised`) and mapped onto [0.5, 1], averaged with their weights; a missing one
# counts 0. No published figure on any: 0. No benchmark measures the task: abstain.
package arbiter.criteria.benchmarks

# Each model's verdict, in catalog order.
verdicts := [verdict(m) | some m in data.catalog.models]

chinese if input.languages == ["zh"]

english if input.languages == ["en"]

# The script's `relevant(task)`: benchmark key → weight.
relevant := input.benchmarks if count(input.benchmarks) > 0
# News text is what general benchmarks are made of (CNN/DailyMail, WMT newstest).
else := {} if not input.domain in {"general", "news"}
else := {"cmrc2018": 1.0, "drcd": 1.0} if {
	input.task == "question-answering"
	chinese
} else := {"squad-v1.1": 1.0, "squad-v2.0": 1.0} if {
	input.task == "question-answering"
} else := {"mnli": 1.0, "xnli": 1.0, "mmlu": 1.0, "ifeval": 1.0} if {
	# Zero-shot: NLI checkpoints publish MNLI and XNLI, instruction-tuned models MMLU and IFEval.
	input.task == "zero-shot-classification"
} else := {"wmt14-en-de": 1.0, "wmt14-en-fr": 1.0} if {
	input.task == "translation"
} else := {"cnn-dailymail": 1.0} if {
	input.task == "summarization"
} else := {"mmlu": 1.0, "ifeval": 1.0} if {
	input.task == "text-generation"
} else := {} if {
	input.task != "text-classification"
} else := {"xnli-zh": 1.0} if {
	chinese
} else := {"xnli": 1.0} if {
	not english
} else := {"glue": 1.0}

total := sum([w | some w in relevant])

wanted := concat(", ", object.keys(relevant))

verdict(m) := {"abstain": sprintf("general benchmarks say nothing about %s text, and the task names none", [input.domain])} if {
	count(relevant) == 0
	input.domain != "general"
} else := {"abstain": sprintf("no benchmark in the catalog measures %s", [input.task])} if {
	count(relevant) == 0
} else := {"abstain": "the task gives every benchmark weight 0"} if {
	total == 0
} else := published(m, [[key, w, x] | some key, w in relevant; x := m.normalised[key]])

published(m, used) := {"score": 0, "reason": sprintf("no published result on %s", [wanted])} if {
	count(used) == 0
} else := {"score": s, "reason": sprintf("published: %s (%v%% after normalising across the catalog)", [figures, round(s * 100)])} if {
	# (The term in parentheses: regorus reads `[a * b | …]` as a set union.)
	s := sum([(u[1] * (0.5 + 0.5 * u[2])) | some u in used]) / total
	figures := concat(", ", [sprintf("%s %v", [u[0], m.benchmarks[u[0]]]) | some u in used])
}
