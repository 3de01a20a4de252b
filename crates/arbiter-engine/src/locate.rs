//! Finds the line and column of a JSON pointer in YAML text, for diagnostics.
//!
//! A YAML parser that keeps positions for every node would do this exactly; the parser we use
//! (serde_yaml) does not expose them. This is a best-effort scan of block-style YAML — the style
//! people write by hand — that answers with the deepest key or list item it could find, so a
//! pointer into a flow list (`languages: [en, xx]`) lands on the `languages` line.

/// One meaningful line: where its list dash and its mapping key sit.
struct Line<'a> {
    /// 0-based line number.
    no: usize,
    /// Column of a leading `- `, if any.
    dash: Option<usize>,
    /// Column and text of the mapping key on this line, if any.
    key: Option<(usize, &'a str)>,
}

impl Line<'_> {
    /// The column where the line's content starts.
    fn start(&self) -> usize {
        self.dash.or(self.key.map(|k| k.0)).unwrap_or(usize::MAX)
    }
}

fn parse_lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    for (no, raw) in text.lines().enumerate() {
        let indent = raw.len() - raw.trim_start_matches(' ').len();
        let rest = &raw[indent..];
        if rest.is_empty() || rest.starts_with('#') || rest.starts_with("---") {
            continue;
        }
        let (dash, body, col) = if rest == "-" || rest.starts_with("- ") {
            let after = rest[1..].trim_start_matches(' ');
            (Some(indent), after, indent + (rest.len() - after.len()))
        } else {
            (None, rest, indent)
        };
        out.push(Line {
            no,
            dash,
            key: key_of(body).map(|k| (col, k)),
        });
    }
    out
}

/// The key of `key: value` or `key:`, without quotes.
fn key_of(body: &str) -> Option<&str> {
    let end = body
        .find(": ")
        .or_else(|| body.strip_suffix(':').map(str::len))?;
    let key = body[..end].trim();
    let key = key
        .strip_prefix('"')
        .and_then(|k| k.strip_suffix('"'))
        .or_else(|| key.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')))
        .unwrap_or(key);
    (!key.is_empty() && !key.starts_with(['{', '['])).then_some(key)
}

/// 1-based (line, column) of the value at `pointer` in `text`, or of its deepest ancestor found.
#[cfg(test)]
pub fn locate(text: &str, pointer: &str) -> Option<(usize, usize)> {
    Locator::new(text).locate(pointer)
}

/// A document's lines, scanned once, for locating many pointers.
pub struct Locator<'a> {
    lines: Vec<Line<'a>>,
}

impl<'a> Locator<'a> {
    /// Scans the text.
    pub fn new(text: &'a str) -> Locator<'a> {
        Locator {
            lines: parse_lines(text),
        }
    }

    /// 1-based (line, column) of the value at `pointer`, or of its deepest ancestor found.
    pub fn locate(&self, pointer: &str) -> Option<(usize, usize)> {
        locate_in(&self.lines, pointer)
    }
}

fn locate_in(lines: &[Line<'_>], pointer: &str) -> Option<(usize, usize)> {
    let segments: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    // The lines of the current node's block, the column its children must exceed, and whether
    // the first line's key belongs to the block (a list item whose first key shares its line).
    let (mut lo, mut hi) = (0, lines.len());
    let mut parent: Option<usize> = None;
    let mut first_key_inside = false;
    let mut found = None;
    for seg in &segments {
        let inside = |l: &Line<'_>| parent.is_none_or(|p| l.start() > p);
        let hit = if let Ok(index) = seg.parse::<usize>() {
            let items: Vec<usize> = (lo..hi)
                .filter(|&i| lines[i].dash.is_some_and(|d| parent.is_none_or(|p| d >= p)))
                .collect();
            let column = items.first().and_then(|&i| lines[i].dash);
            let mut same = items.into_iter().filter(|&i| lines[i].dash == column);
            same.nth(index)
                .map(|i| (i, lines[i].dash.unwrap_or(0), true))
        } else {
            // Keys of this block sit at one column: that of its first line.
            let child_col = if first_key_inside {
                lines.get(lo).and_then(|l| l.key).map(|k| k.0)
            } else {
                (lo..hi)
                    .map(|i| &lines[i])
                    .find(|l| inside(l))
                    .map(Line::start)
            };
            lines[lo..hi].iter().enumerate().find_map(|(offset, l)| {
                let eligible = (offset == 0 && first_key_inside) || (l.dash.is_none() && inside(l));
                match l.key {
                    Some((c, k)) if eligible && k == seg && Some(c) == child_col => {
                        Some((lo + offset, c, false))
                    }
                    _ => None,
                }
            })
        };
        let Some((i, col, is_item)) = hit else { break };
        found = Some((lines[i].no + 1, col + 1));
        lo = i;
        hi = (i + 1..lines.len())
            .find(|&j| lines[j].start() <= col)
            .unwrap_or(lines.len());
        if is_item {
            first_key_inside = lines[i].key.is_some();
        } else {
            lo = i + 1;
            first_key_inside = false;
        }
        parent = Some(col);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::locate;

    const DOC: &str = "\
# a comment
name: x
task: sentiment
data:
  labeled_examples: -5
  unlabeled_examples: 3
languages: [en, xx]
models:
  - id: a
    tasks: [t]
  - id: b
    tasks:
      - one
      - two
";

    #[test]
    fn finds_keys_items_and_nested_keys() {
        assert_eq!(locate(DOC, "/task"), Some((3, 1)));
        assert_eq!(locate(DOC, "/data/labeled_examples"), Some((5, 3)));
        assert_eq!(locate(DOC, "/data/unlabeled_examples"), Some((6, 3)));
        assert_eq!(locate(DOC, "/models/0/id"), Some((9, 5)));
        assert_eq!(locate(DOC, "/models/1"), Some((11, 3)));
        assert_eq!(locate(DOC, "/models/1/tasks"), Some((12, 5)));
        assert_eq!(locate(DOC, "/models/1/tasks/1"), Some((14, 7)));
    }

    #[test]
    fn falls_back_to_the_deepest_ancestor() {
        assert_eq!(locate(DOC, "/languages/1"), Some((7, 1)));
        assert_eq!(locate(DOC, "/data/missing"), Some((4, 1)));
        assert_eq!(locate(DOC, "/nothing"), None);
        assert_eq!(locate(DOC, ""), None);
    }

    #[test]
    fn does_not_confuse_a_sibling_item_key() {
        assert_eq!(locate(DOC, "/models/0/tasks"), Some((10, 5)));
    }
}
