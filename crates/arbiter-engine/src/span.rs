//! The one type that says where in a source text something is, carried by every error that
//! points into a user's file (task, catalog, manifest, script).

use std::fmt;
use std::ops::Range;

use serde::Serialize;

/// A place in a source text: where it starts (1-based line and column, counted in characters)
/// and how many characters it covers (0 when only the start is known).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Span {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Length in characters; 0 when only the start is known.
    #[serde(skip)]
    pub len: usize,
}

impl Span {
    /// The start of a text: where a problem with no better place is reported.
    pub const START: Span = Span {
        line: 1,
        column: 1,
        len: 0,
    };

    /// A point: a line and a column, no length.
    pub fn point(line: usize, column: usize) -> Span {
        Span {
            line: line.max(1),
            column: column.max(1),
            len: 0,
        }
    }

    /// The span of a byte range of `text` (offsets inside a character count from its start).
    pub fn of_bytes(text: &str, range: Range<usize>) -> Span {
        let start = floor_char_boundary(text, range.start);
        let end = floor_char_boundary(text, range.end.max(start));
        let before = &text[..start];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Span {
            line,
            column,
            len: text[start..end].chars().count(),
        }
    }

    /// The byte range this span covers in `text`, for renderers that underline it; `None` when
    /// the text has no such line.
    pub fn byte_range(&self, text: &str) -> Option<Range<usize>> {
        let line_start = if self.line == 1 {
            0
        } else {
            text.match_indices('\n').nth(self.line - 2)?.0 + 1
        };
        let rest = &text[line_start..];
        let line_end = rest.find('\n').unwrap_or(rest.len());
        let at = |chars: usize, from: &str| {
            from.char_indices()
                .nth(chars)
                .map_or(from.len(), |(i, _)| i)
        };
        let start = line_start + at(self.column - 1, &rest[..line_end]);
        let end = start + at(self.len, &text[start..]);
        Some(start..end)
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// The largest character boundary at or before `i` (clamped to the text).
fn floor_char_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::Span;

    #[test]
    fn byte_offsets_become_lines_and_columns_counted_from_one() {
        assert_eq!(Span::of_bytes("ab\ncd", 0..0), Span::point(1, 1));
        assert_eq!(
            Span::of_bytes("ab\ncd", 4..5),
            Span {
                line: 2,
                column: 2,
                len: 1
            }
        );
        assert_eq!(
            Span::of_bytes("é\nx", 1..1),
            Span::point(1, 1),
            "inside a character"
        );
        assert_eq!(
            Span::of_bytes("ab", 9..12),
            Span::point(1, 3),
            "past the end"
        );
    }

    #[test]
    fn byte_range_inverts_of_bytes() {
        let text = "a: 1\nlanguages: [en, é, xx]\n";
        for range in [0..1, 5..14, 17..19, 21..23] {
            let span = Span::of_bytes(text, range.clone());
            assert_eq!(span.byte_range(text), Some(range), "{span:?}");
        }
        assert_eq!(Span::point(9, 1).byte_range(text), None);
        assert_eq!(
            Span::point(1, 40).byte_range(text),
            Some(4..4),
            "clamped to the line"
        );
    }
}
