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

#[cfg(test)]
mod tests {
    use super::*;

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
