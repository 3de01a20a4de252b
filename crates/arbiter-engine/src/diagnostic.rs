//! One problem found in a user's file, located by JSON pointer and, where known, line and column.

use std::fmt;

use serde::Serialize;

/// One problem with a task, catalog or bundle file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// JSON pointer to the offending value (`/data/labeled_examples`); empty for the document.
    pub path: String,
    /// What is wrong, in lower case.
    pub message: String,
    /// 1-based line in the source file, when it could be found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column in the source file, when it could be found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
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
            line: None,
            column: None,
            anchor: None,
        }
    }

    /// The same diagnostic, located at a line and column.
    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, "{l}:{c}: ")?;
        }
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "{path}: {}", self.message)
    }
}

/// Diagnostics one per line, each prefixed with `origin:line:column:` where located, so that
/// editors and terminals can jump to them.
pub(crate) fn join(origin: &str, diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| match (d.line, d.column) {
            (Some(l), Some(c)) => format!(
                "  {origin}:{l}:{c}: {}",
                Diagnostic {
                    line: None,
                    ..d.clone()
                }
            ),
            _ => format!("  {origin}: {d}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The message with its first letter in lower case, unless it starts an acronym (`JSON`).
pub(crate) fn lowercase_first(s: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::lowercase_first;

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
