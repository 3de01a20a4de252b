//! `task_type.rhai`, natively.

use arbiter_engine::host::Verdict;
use arbiter_engine::{Family, Model};

use super::{NativeModel, Prepared, has_objective, score, suits, veto};

#[derive(PartialEq, Eq)]
enum Kind {
    Seq2seq,
    Generation,
    ZeroShot,
    Embedding,
    Understanding,
}

/// The script's `kind(task)`: text classification with no labelled examples is zero-shot.
fn kind(p: &Prepared) -> Kind {
    let t = p.t;
    if t == "translation" || t == "summarization" {
        Kind::Seq2seq
    } else if t == "text-generation" {
        Kind::Generation
    } else if t == "zero-shot-classification"
        || (t == "text-classification" && p.task.data.labeled_examples == 0)
    {
        Kind::ZeroShot
    } else if ["sentence-similarity", "feature-extraction", "text-ranking"].contains(&t) {
        Kind::Embedding
    } else {
        Kind::Understanding
    }
}

/// (score, why) for a family and checkpoint on a task; score 0 is impossible.
fn fit(p: &Prepared, m: &Model) -> (f64, String) {
    let t = p.t;
    let family = m.family;
    let tuned = m.instruction_tuned;
    match kind(p) {
        Kind::Understanding => match family {
            Family::Encoder => (1.0, format!("encoder models are the guide's choice for {t}")),
            Family::EncoderDecoder => {
                let s = if t == "token-classification" {
                    0.3
                } else {
                    0.5
                };
                (
                    s,
                    format!(
                        "encoder-decoder models can do {t}, but encoder models are the guide's choice"
                    ),
                )
            }
            Family::Decoder
                if ["token-classification", "question-answering", "fill-mask"].contains(&t) =>
            {
                (0.0, String::new())
            }
            Family::Decoder => (
                0.3,
                format!("decoder models can do {t}, but encoder models are the guide's choice"),
            ),
        },
        Kind::Seq2seq => match family {
            Family::Encoder => (0.0, String::new()),
            Family::EncoderDecoder => {
                if t == "translation" && !has_objective(m, "translation") {
                    if tuned {
                        return (
                            0.9,
                            "an instruction-tuned encoder-decoder: translates by prompting; dedicated translation models come first".to_string(),
                        );
                    }
                    return (
                        0.8,
                        "an encoder-decoder not trained as a translation model: it needs parallel data before it translates well; dedicated translation models come first".to_string(),
                    );
                }
                if t == "translation" {
                    return (
                        1.0,
                        "a dedicated translation model (encoder-decoder trained on translation)"
                            .to_string(),
                    );
                }
                (
                    1.0,
                    format!("encoder-decoder models are the guide's choice for {t}"),
                )
            }
            Family::Decoder if tuned => (
                0.7,
                format!(
                    "an instruction-tuned decoder does {t} by prompting; encoder-decoders are the guide's choice"
                ),
            ),
            Family::Decoder => (
                0.4,
                format!("a base decoder does {t} poorly; encoder-decoders are the guide's choice"),
            ),
        },
        Kind::Generation => match family {
            Family::Encoder => (0.0, String::new()),
            Family::Decoder if tuned => (
                1.0,
                "an instruction-tuned decoder: follows prompts and holds a dialogue".to_string(),
            ),
            Family::Decoder => (
                0.75,
                "a base decoder: it continues text but is not tuned to follow instructions"
                    .to_string(),
            ),
            Family::EncoderDecoder if tuned => (
                0.7,
                "an instruction-tuned encoder-decoder can generate, but decoders are the choice for open generation".to_string(),
            ),
            Family::EncoderDecoder => (
                0.6,
                "encoder-decoder models can generate, but decoders are the choice for open generation".to_string(),
            ),
        },
        Kind::ZeroShot => {
            if suits(m, "zero-shot-classification") {
                (
                    1.0,
                    "listed for zero-shot classification (entailment against each label)"
                        .to_string(),
                )
            } else if tuned {
                (
                    0.9,
                    "instruction-tuned: classifies into unseen labels by prompting".to_string(),
                )
            } else {
                (
                    0.2,
                    "neither an NLI checkpoint nor instruction-tuned: it needs labelled data before it can classify".to_string(),
                )
            }
        }
        Kind::Embedding => {
            if suits(m, "sentence-similarity") && family == Family::Encoder {
                (
                    1.0,
                    "trained to embed sentences (contrastive sentence-embedding training)"
                        .to_string(),
                )
            } else if family == Family::Encoder {
                let s = if t == "sentence-similarity" { 0.4 } else { 0.6 };
                (
                    s,
                    "a pre-trained encoder not trained to embed sentences: its pooled states need contrastive fine-tuning first".to_string(),
                )
            } else {
                (
                    0.3,
                    format!("{family} models are not the choice for {t}; embedding encoders are"),
                )
            }
        }
    }
}

pub(super) fn task_type(p: &Prepared, m: &NativeModel) -> Verdict {
    let t = p.t;
    let family = m.model.family;
    let (f, how) = fit(p, m.model);
    if f == 0.0 {
        if family == Family::Encoder {
            return veto(format!(
                "an encoder-only model has no decoder to generate text, and {t} needs generation"
            ));
        }
        return veto(format!(
            "a decoder-only model sees only the left context, so it cannot do {t}"
        ));
    }
    let k = kind(p);
    // Zero-shot and embeddings are judged by listing already; an instruction-tuned model does
    // seq2seq work by prompting, listed or not.
    if suits(m.model, t)
        || k == Kind::ZeroShot
        || k == Kind::Embedding
        || (k == Kind::Seq2seq && m.model.instruction_tuned)
    {
        score(f, how)
    } else {
        score(
            f * 0.5,
            format!("{how}; the catalog does not list this model for {t}, so half the score"),
        )
    }
}
