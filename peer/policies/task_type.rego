# Criterion: task type — `crates/arbiter-engine/benches/policies/criteria/task_type.rhai` (the
# bench's frozen copy of the default bundle's script, whose comment gives the rule and its
# sources) in Rego.
#
# Encoders for understanding, encoder-decoders for sequence-to-sequence work, decoders for
# generation; an architecture that cannot do the task is vetoed. Within that, what a checkpoint
# was tuned for counts, and a model the catalog does not list for the task keeps half its score.
package arbiter.criteria.task_type

# Each model's verdict, in catalog order.
verdicts := [verdict(m) | some m in data.catalog.models]

# The script's `kind(task)`: text classification with no labelled examples is zero-shot.
kind := "seq2seq" if input.task in {"translation", "summarization"}
else := "generation" if input.task == "text-generation"
else := "zero-shot" if input.task == "zero-shot-classification"
else := "zero-shot" if {
	input.task == "text-classification"
	input.labeled_examples == 0
}
else := "embedding" if input.task in {"sentence-similarity", "feature-extraction", "text-ranking"}
else := "understanding"

# The script's `fit`: [score, why] for a family and checkpoint on the task; score 0 is
# impossible. Each `else` chain below is one of its `if k == …` blocks, a branch per `return`,
# in its order (the first that holds).
fit(m) := fit_understanding(m) if kind == "understanding"
else := fit_seq2seq(m) if kind == "seq2seq"
else := fit_generation(m) if kind == "generation"
else := fit_zero_shot(m) if kind == "zero-shot"
else := fit_embedding(m)

fit_understanding(m) := [1.0, sprintf("encoder models are the guide's choice for %s", [input.task])] if {
	m.family == "encoder"
} else := [0.3, sprintf("encoder-decoder models can do %s, but encoder models are the guide's choice", [input.task])] if {
	m.family == "encoder-decoder"
	input.task == "token-classification"
} else := [0.5, sprintf("encoder-decoder models can do %s, but encoder models are the guide's choice", [input.task])] if {
	m.family == "encoder-decoder"
} else := [0.0, ""] if {
	input.task in {"token-classification", "question-answering", "fill-mask"}
} else := [0.3, sprintf("decoder models can do %s, but encoder models are the guide's choice", [input.task])]

fit_seq2seq(m) := [0.0, ""] if {
	m.family == "encoder"
} else := [0.9, "an instruction-tuned encoder-decoder: translates by prompting; dedicated translation models come first"] if {
	m.family == "encoder-decoder"
	input.task == "translation"
	not "translation" in m.objectives
	m.instruction_tuned
} else := [0.8, "an encoder-decoder not trained as a translation model: it needs parallel data before it translates well; dedicated translation models come first"] if {
	m.family == "encoder-decoder"
	input.task == "translation"
	not "translation" in m.objectives
} else := [1.0, "a dedicated translation model (encoder-decoder trained on translation)"] if {
	m.family == "encoder-decoder"
	input.task == "translation"
} else := [1.0, sprintf("encoder-decoder models are the guide's choice for %s", [input.task])] if {
	m.family == "encoder-decoder"
} else := [0.7, sprintf("an instruction-tuned decoder does %s by prompting; encoder-decoders are the guide's choice", [input.task])] if {
	m.instruction_tuned
} else := [0.4, sprintf("a base decoder does %s poorly; encoder-decoders are the guide's choice", [input.task])]

fit_generation(m) := [0.0, ""] if {
	m.family == "encoder"
} else := [1.0, "an instruction-tuned decoder: follows prompts and holds a dialogue"] if {
	m.family == "decoder"
	m.instruction_tuned
} else := [0.75, "a base decoder: it continues text but is not tuned to follow instructions"] if {
	m.family == "decoder"
} else := [0.7, "an instruction-tuned encoder-decoder can generate, but decoders are the choice for open generation"] if {
	m.instruction_tuned
} else := [0.6, "encoder-decoder models can generate, but decoders are the choice for open generation"]

fit_zero_shot(m) := [1.0, "listed for zero-shot classification (entailment against each label)"] if {
	"zero-shot-classification" in m.tasks
} else := [0.9, "instruction-tuned: classifies into unseen labels by prompting"] if {
	m.instruction_tuned
} else := [0.2, "neither an NLI checkpoint nor instruction-tuned: it needs labelled data before it can classify"]

# Embeddings and similarity.
fit_embedding(m) := [1.0, "trained to embed sentences (contrastive sentence-embedding training)"] if {
	"sentence-similarity" in m.tasks
	m.family == "encoder"
} else := [0.4, "a pre-trained encoder not trained to embed sentences: its pooled states need contrastive fine-tuning first"] if {
	m.family == "encoder"
	input.task == "sentence-similarity"
} else := [0.6, "a pre-trained encoder not trained to embed sentences: its pooled states need contrastive fine-tuning first"] if {
	m.family == "encoder"
} else := [0.3, sprintf("%s models are not the choice for %s; embedding encoders are", [m.family, input.task])]

verdict(m) := judge(m, fit(m))

# The script's `evaluate` once `fit` has answered: [score, why] in `r`.
judge(m, r) := {"veto": sprintf("an encoder-only model has no decoder to generate text, and %s needs generation", [input.task])} if {
	r[0] == 0
	m.family == "encoder"
} else := {"veto": sprintf("a decoder-only model sees only the left context, so it cannot do %s", [input.task])} if {
	r[0] == 0
} else := {"score": r[0], "reason": r[1]} if {
	judged_as_is(m)
} else := {"score": r[0] * 0.5, "reason": sprintf("%s; the catalog does not list this model for %s, so half the score", [r[1], input.task])}

# Zero-shot and embeddings are judged by listing already; an instruction-tuned model does
# seq2seq work by prompting, listed or not.
judged_as_is(m) if input.task in m.tasks

judged_as_is(_) if kind in {"zero-shot", "embedding"}

judged_as_is(m) if {
	kind == "seq2seq"
	m.instruction_tuned
}
