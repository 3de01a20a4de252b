//! One problem found in a user's file, located by JSON pointer and, where known, its [`Span`].

use std::fmt;

use serde::Serialize;

use crate::span::Span;

/// One problem with a task, catalog or bundle file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// JSON pointer to the offending value (`/data/labeled_examples`); empty for the document.
    pub path: String,
    /// What is wrong, in lower case.
    pub message: String,
    /// Where in the source file, when it could be found (serialised as `line` and `column`).
    #[serde(flatten)]
    pub span: Option<Span>,
    /// How to fix it, when there is a known fix ("did you mean `languages`?").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Where to look for the line, when it is not at `path` (an unknown field sits below it).
    #[serde(skip)]
    pub(crate) anchor: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at a JSON pointer.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
            span: None,
            help: None,
            anchor: None,
        }
    }

    /// The same diagnostic, located.
    pub fn at_span(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    /// The same diagnostic, with a suggested fix.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// 1-based line, when located.
    pub fn line(&self) -> Option<usize> {
        self.span.map(|s| s.line)
    }

    /// 1-based column, when located.
    pub fn column(&self) -> Option<usize> {
        self.span.map(|s| s.column)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(span) = self.span {
            write!(f, "{span}: ")?;
        }
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "{path}: {}", self.message)?;
        if let Some(help) = &self.help {
            write!(f, " ({help})")?;
        }
        Ok(())
    }
}

/// Diagnostics one per line, each prefixed with `origin:line:column:` where located, so that
/// editors and terminals can jump to them.
pub(crate) fn join(origin: &str, diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| match d.span {
            Some(span) => format!(
                "  {origin}:{span}: {}",
                Diagnostic {
                    span: None,
                    ..d.clone()
                }
            ),
            None => format!("  {origin}: {d}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The message with its first letter in lower case, unless it starts an acronym (`JSON`).
pub fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match (chars.next(), chars.clone().next()) {
        (Some(first), Some(second))
            if first.is_ascii_uppercase() && !second.is_ascii_uppercase() =>
        {
            first.to_ascii_lowercase().to_string() + chars.as_str()
        }
        _ => s.to_string(),
    }
}

/// The candidate closest to `word` by edit distance (ignoring case), when it is close enough
/// to be a typo of it: at most one edit per three characters, and never the whole word.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word = word.to_lowercase();
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&word, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit && *d < word.chars().count())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance, counted in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(above + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::{did_you_mean, edit_distance, lowercase_first};

    #[test]
    fn typos_find_their_word_and_strangers_find_nothing() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        let fields = ["languages", "task", "resources", "data"];
        assert_eq!(did_you_mean("lanugages", fields), Some("languages"));
        assert_eq!(did_you_mean("Resorces", fields), Some("resources"));
        assert_eq!(did_you_mean("colour", fields), None);
        assert_eq!(did_you_mean("x", ["y"]), None, "never the whole word");
        assert_eq!(
            did_you_mean(
                "google-bert/bert-large-uncase",
                [
                    "google-bert/bert-base-uncased",
                    "google-bert/bert-large-uncased"
                ]
            ),
            Some("google-bert/bert-large-uncased")
        );
    }

    #[test]
    fn lowercase_first_keeps_acronyms() {
        assert_eq!(
            lowercase_first("Additional properties"),
            "additional properties"
        );
        assert_eq!(lowercase_first("JSON is"), "JSON is");
        assert_eq!(lowercase_first(""), "");
    }
}
