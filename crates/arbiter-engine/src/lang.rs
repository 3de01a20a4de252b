//! Language codes: which ISO 639 codes are known.
//!
//! Tasks and catalogs name languages by ISO 639-1 code (`en`, `zh`), or by ISO 639-3 code where a
//! language has no two-letter code (`ceb`, `haw`). The tables come from the `isolang` crate,
//! compiled in: no network, no data file to lose.

/// Whether `code` is an ISO 639-1 code, or an ISO 639-3 code of a language without a 639-1 code.
pub fn is_known(code: &str) -> bool {
    match code.len() {
        2 => isolang::Language::from_639_1(code).is_some(),
        3 => isolang::Language::from_639_3(code).is_some_and(|l| l.to_639_1().is_none()),
        _ => false,
    }
}

/// The ISO 639-1 code to use instead of a three-letter code, if there is one (`eng` → `en`).
pub fn two_letter_for(code: &str) -> Option<&'static str> {
    if code.len() == 3 {
        isolang::Language::from_639_3(code).and_then(|l| l.to_639_1())
    } else {
        None
    }
}

/// ISO 639-3 individual languages that are the standard member of a macrolanguage with an
/// ISO 639-1 code (ISO 639-3 macrolanguage mappings): Modern Standard Arabic is what `ar` means
/// in practice, Iranian Persian `fa`, Standard Malay `ms`, and so on. Translation models list the
/// individual language (NLLB's FLORES-200 codes), tasks usually the macrolanguage.
const STANDARD_MEMBERS: &[(&str, &str)] = &[
    ("arb", "ar"),
    ("azj", "az"),
    ("als", "sq"),
    ("cmn", "zh"),
    ("ekk", "et"),
    ("gaz", "om"),
    ("khk", "mn"),
    ("kmr", "ku"),
    ("knc", "kr"),
    ("lvs", "lv"),
    ("npi", "ne"),
    ("ory", "or"),
    ("pbt", "ps"),
    ("pes", "fa"),
    ("plt", "mg"),
    ("quy", "qu"),
    ("swh", "sw"),
    ("uzn", "uz"),
    ("ydd", "yi"),
    ("zsm", "ms"),
];

/// A code and the code it stands for too: a standard member's macrolanguage (`arb` → `ar`) or
/// a macrolanguage's standard member (`ar` → `arb`).
pub fn equivalents(code: &str) -> impl Iterator<Item = &str> {
    let other = STANDARD_MEMBERS.iter().find_map(|&(member, macro_)| {
        if code == member {
            Some(macro_)
        } else if code == macro_ {
            Some(member)
        } else {
            None
        }
    });
    std::iter::once(code).chain(other)
}

/// Whether a model pre-trained on `have` covers a task in `want`: the same code, or a
/// macrolanguage and its standard member (`arb` covers `ar`, `ar` covers `arb`).
pub fn covers(have: &str, want: &str) -> bool {
    have == want || equivalents(have).any(|c| c == want)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_members_cover_their_macrolanguage_both_ways() {
        assert!(covers("arb", "ar"));
        assert!(covers("ar", "arb"));
        assert!(covers("swh", "sw"));
        assert!(covers("en", "en"));
        assert!(
            !covers("ary", "ar"),
            "Moroccan Arabic is a member, not the standard one"
        );
        assert!(!covers("arb", "fa"));
        for (member, macro_) in STANDARD_MEMBERS {
            assert!(is_known(member), "{member} is a known 639-3 code");
            assert!(is_known(macro_), "{macro_} is a known 639-1 code");
        }
    }

    #[test]
    fn two_letter_codes_are_known() {
        for c in ["en", "zh", "de", "sw", "ur"] {
            assert!(is_known(c), "{c}");
        }
    }

    #[test]
    fn three_letter_codes_only_without_a_two_letter_code() {
        assert!(is_known("ceb"));
        assert!(is_known("haw"));
        assert!(!is_known("eng"), "eng has the 639-1 code en");
        assert_eq!(two_letter_for("eng"), Some("en"));
    }

    #[test]
    fn made_up_codes_are_unknown() {
        for c in ["xx", "qqq", "e", "engl", "EN"] {
            assert!(!is_known(c), "{c}");
        }
    }
}
