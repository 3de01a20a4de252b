//! `data_volume.rhai`, natively.

use arbiter_engine::Family;
use arbiter_engine::cost::{active_parameters_m, layer_parameters_m};
use arbiter_engine::host::Verdict;

use super::{NativeModel, Prepared, abstain, has_objective, round_int, score, suits};

pub(super) fn data_volume(p: &Prepared, m: &NativeModel) -> Verdict {
    const NAMES: [&str; 3] = ["small", "base", "large"];
    const PROMPTED: [&str; 4] = [
        "text-generation",
        "zero-shot-classification",
        "summarization",
        "translation",
    ];
    let n = p.task.data.labeled_examples;
    let t = p.t;
    if m.model.instruction_tuned && (PROMPTED.contains(&t) || n == 0) {
        let per_token = active_parameters_m(m.model);
        // Rhai's `max` and `min`: `if x >= y { x } else { y }`, `if x <= y { x } else { y }`.
        let s = (per_token / 100.0).ln() / 80.0_f64.ln();
        let s = if s >= 0.1 { s } else { 0.1 };
        let s = if s <= 1.0 { s } else { 1.0 };
        return score(
            s,
            format!(
                "instruction-tuned and used by prompting (or LoRA): data volume does not limit its size, and what it does grows with scale ({} M parameters per token)",
                round_int(per_token)
            ),
        );
    }
    if n == 0 {
        let model = m.model;
        if suits(model, "zero-shot-classification")
            && ["zero-shot-classification", "text-classification"].contains(&t)
        {
            return score(
                1.0,
                "no labelled data, and none needed: an NLI checkpoint classifies as it is"
                    .to_string(),
            );
        }
        if suits(model, "sentence-similarity")
            && ["sentence-similarity", "feature-extraction", "text-ranking"].contains(&t)
        {
            return score(
                1.0,
                "no labelled data, and none needed: an embedding model embeds and ranks as it is"
                    .to_string(),
            );
        }
        if t == "translation" && has_objective(model, "translation") {
            return score(
                1.0,
                "no labelled data, and none needed: a translation model translates as it is"
                    .to_string(),
            );
        }
        if ["fill-mask", "feature-extraction"].contains(&t)
            || (t == "text-generation" && model.family == Family::Decoder)
        {
            return abstain(format!(
                "zero-shot: a pre-trained model does {t} as it is, and no data limits its size"
            ));
        }
        return score(
            0.1,
            format!("no labelled data: this checkpoint must be fine-tuned for {t} before use"),
        );
    }
    let layers = layer_parameters_m(m.model);
    let size = if m.model.parameters_m < layers {
        m.model.parameters_m
    } else {
        layers
    };
    let want: usize = if n < 100_000 {
        0
    } else if n < 1_000_000 {
        1
    } else {
        2
    };
    let have: usize = if size < 60.0 {
        0
    } else if size < 250.0 {
        1
    } else {
        2
    };
    let s = match want.abs_diff(have) {
        0 => 1.0,
        1 => 0.5,
        _ => 0.1,
    };
    score(
        s,
        format!(
            "{n} labelled examples suit a {} model; this one is {} ({} M parameters to fit)",
            NAMES[want],
            NAMES[have],
            round_int(size)
        ),
    )
}
