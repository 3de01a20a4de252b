# Criterion: amount of labelled data — `crates/arbiter-engine/benches/policies/criteria/
# data_volume.rhai` in Rego.
#
# Data classes (small below 100 000 examples, medium below 1 000 000, large beyond) against model
# classes by the parameters fine-tuning has to fit (small below 60 M, base below 250 M, large
# beyond): same class 1, one apart 0.5, two apart 0.1. With no labelled data, a model that does
# the task as it is scores 1 or abstains, any other 0.1. An instruction-tuned model used by
# prompting scores ln(P / 100 M) / ln 80 of its parameters per token, within [0.1, 1].
package arbiter.criteria.data_volume

# Each model's verdict, in catalog order.
verdicts := [verdict(m) | some m in data.catalog.models]

names := ["small", "base", "large"]

prompted := {"text-generation", "zero-shot-classification", "summarization", "translation"}

n := input.labeled_examples

data_class := 0 if n < 100000
else := 1 if n < 1000000
else := 2

model_class(size) := 0 if size < 60.0
else := 1 if size < 250.0
else := 2

# `arbiter.ln` is Rhai's `ln` (Rust's `f64::ln`): Rego has no logarithm.
verdict(m) := {"score": min([max([arbiter.ln(m.active_parameters_m / 100.0) / arbiter.ln(80.0), 0.1]), 1.0]), "reason": sprintf("instruction-tuned and used by prompting (or LoRA): data volume does not limit its size, and what it does grows with scale (%v M parameters per token)", [round(m.active_parameters_m)])} if {
	m.instruction_tuned
	prompted_or_no_data
} else := {"score": 1.0, "reason": "no labelled data, and none needed: an NLI checkpoint classifies as it is"} if {
	n == 0
	"zero-shot-classification" in m.tasks
	input.task in {"zero-shot-classification", "text-classification"}
} else := {"score": 1.0, "reason": "no labelled data, and none needed: an embedding model embeds and ranks as it is"} if {
	n == 0
	"sentence-similarity" in m.tasks
	input.task in {"sentence-similarity", "feature-extraction", "text-ranking"}
} else := {"score": 1.0, "reason": "no labelled data, and none needed: a translation model translates as it is"} if {
	n == 0
	input.task == "translation"
	"translation" in m.objectives
} else := {"abstain": sprintf("zero-shot: a pre-trained model does %s as it is, and no data limits its size", [input.task])} if {
	n == 0
	pre_trained_does(m)
} else := {"score": 0.1, "reason": sprintf("no labelled data: this checkpoint must be fine-tuned for %s before use", [input.task])} if {
	n == 0
} else := sized(min([m.parameters_m, m.layer_parameters_m]))

prompted_or_no_data if input.task in prompted

prompted_or_no_data if n == 0

pre_trained_does(_) if input.task in {"fill-mask", "feature-extraction"}

pre_trained_does(m) if {
	input.task == "text-generation"
	m.family == "decoder"
}

# Model size is what fine-tuning has to fit: the layers' parameters, or the total where smaller.
sized(size) := {"score": by_distance(abs(data_class - have)), "reason": sprintf("%d labelled examples suit a %s model; this one is %s (%v M parameters to fit)", [n, names[data_class], names[have], round(size)])} if {
	have := model_class(size)
}

by_distance(d) := 1.0 if d == 0
else := 0.5 if d == 1
else := 0.1
