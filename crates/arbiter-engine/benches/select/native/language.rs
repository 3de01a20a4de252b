//! `language.rhai`, natively.

use arbiter_engine::host::Verdict;

use super::{NativeModel, Prepared, join, rhai_float, score, veto};

pub(super) fn language(p: &Prepared, m: &NativeModel) -> Verdict {
    let wanted = &p.task.languages;
    if m.model.languages.is_empty() {
        return score(
            0.1,
            format!(
                "its sources state no language: coverage of {} is unconfirmed, check before use",
                join(wanted.iter().map(|l| l.as_str()))
            ),
        );
    }
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|l| !m.model.covers(l.as_str()))
        .map(|l| l.as_str())
        .collect();
    if !missing.is_empty() {
        return veto(format!("not pre-trained on {}", join(missing)));
    }
    // Direction: a one-way translation model (an OPUS-MT pair) translates its direction only.
    if p.t == "translation" && !m.model.translates_from.is_empty() {
        let way = format!(
            "{}→{}",
            join(m.model.translates_from.iter().map(|l| l.as_str())),
            join(m.model.translates_into.iter().map(|l| l.as_str()))
        );
        let sources = &p.task.source_languages;
        if sources.is_empty() {
            return veto(format!(
                "translates {way} only, and the task does not say which way it translates (set source_languages)"
            ));
        }
        for s in sources {
            for t in wanted {
                if !sources.contains(t) && !m.model.translates(s.as_str(), t.as_str()) {
                    return veto(format!("translates {way} only; the task needs {s}→{t}"));
                }
            }
        }
    }
    let k = wanted.len();
    let n = m.model.languages.len();
    if n == k {
        return score(
            1.0,
            format!(
                "pre-trained for exactly the task's languages ({})",
                join(wanted.iter().map(|l| l.as_str()))
            ),
        );
    }
    #[allow(clippy::cast_precision_loss)] // language counts
    let share = k as f64 / n as f64;
    if m.model.parameters_m >= 1000.0 {
        let s = 0.8 + 0.2 * share;
        return score(
            s,
            format!(
                "covers the task's {k} language(s) among the {n} it was pre-trained on; at {} B parameters sharing costs little",
                rhai_float((m.model.parameters_m / 1000.0).round())
            ),
        );
    }
    let s = 0.3 + 0.7 * share;
    score(
        s,
        format!("covers the task's {k} language(s) among the {n} it was pre-trained on"),
    )
}
