//! `licence.rhai`, natively.

use arbiter_engine::host::Verdict;

use super::{NativeModel, Prepared, score};

pub(super) fn licence(_: &Prepared, m: &NativeModel) -> Verdict {
    let Some(l) = m.model.license.as_deref() else {
        return score(
            0.5,
            "no known licence: establish the terms before use".to_string(),
        );
    };
    if l.starts_with("CC-BY-NC") {
        return score(0.3, format!("{l}: non-commercial use only"));
    }
    if l.starts_with("CC-BY-SA") {
        return score(
            0.7,
            format!("{l}: share-alike, derivatives under the same terms"),
        );
    }
    if l == "Apache-2.0" || l == "MIT" || l.starts_with("BSD") || l.starts_with("CC-BY") {
        return score(1.0, format!("{l}: permissive"));
    }
    if l.starts_with("llama") {
        return score(
            0.7,
            format!(
                "{l}: Meta's community licence (acceptable-use policy; separate terms above 700 M monthly users)"
            ),
        );
    }
    if l == "gemma" {
        return score(
            0.7,
            "gemma: Google's Gemma terms of use (prohibited-use policy)".to_string(),
        );
    }
    score(0.7, format!("{l}: custom terms, read before use"))
}
