//! YAML text to a JSON value, keeping the position of every node.
//!
//! Built on `saphyr-parser`'s event stream (a maintained YAML 1.2 parser that reports the span
//! of every event), so every node — including the items of a flow list such as `[en, xx]` —
//! has an exact line and column. On top of the parser this module decides what the engine
//! accepts:
//!
//! - the YAML 1.2 core schema for plain scalars (`null`, `true`, `12`, `0.5`, `0x1f`); quoted and
//!   block scalars are strings; the core tags (`!!str`, `!!int`, …) are honoured, other tags are
//!   refused;
//! - one document per text; mapping keys are scalars;
//! - a key given twice in one mapping is a problem naming both lines (`serde_yaml` silently kept
//!   the last);
//! - `.nan` and `.inf` are problems (JSON has neither; converted they would become `null`, and a
//!   budget of `.inf` would read as no budget);
//! - aliases are expanded, but at most [`MAX_ALIASED_NODES`] nodes in all, so an alias bomb
//!   (each anchor repeating the previous one many times) is refused before it costs memory;
//!   nesting deeper than [`MAX_DEPTH`] is refused before it costs stack.

use std::collections::HashMap;
use std::fmt;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Tag};
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

use crate::diagnostic::Diagnostic;
use crate::span::Span;

mod emit;

pub use emit::to_string;

/// Why a YAML text could not be read as a value of some type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Error {
    /// Where, when known.
    pub span: Option<Span>,
    /// What, in lower case.
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.span {
            Some(span) => write!(f, "{span}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Reads one YAML document as a `T`, strictly: a duplicate key or a non-finite number is an
/// error, as in tasks and catalogs. For files other than tasks, catalogs and cases (fact
/// sheets, test data); those go through [`crate::load`], which reports every problem at once.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    let parsed = parse(text).map_err(|e| Error {
        span: Some(e.span),
        message: e.message,
    })?;
    if let Some(p) = parsed.problems.into_iter().next() {
        return Err(Error {
            span: p.span,
            message: format!(
                "{}: {}",
                if p.path.is_empty() { "/" } else { &p.path },
                p.message
            ),
        });
    }
    serde_json::from_value(parsed.value).map_err(|e| Error {
        span: None,
        message: e.to_string(),
    })
}

/// At most this many nodes are copied by expanding aliases, over the whole document.
pub const MAX_ALIASED_NODES: usize = 100_000;

/// At most this many collections may be nested inside each other.
pub const MAX_DEPTH: usize = 128;

/// A parsed document: its value, and the problems that do not stop parsing (duplicate keys,
/// non-finite numbers), each located.
#[derive(Debug)]
pub(crate) struct Parsed {
    /// The document as JSON (`null` for an empty document, and in place of a non-finite number).
    pub value: Value,
    /// Where each node and key sits; empty unless a problem was found (see [`positions`]).
    pub positions: Positions,
    /// Problems found while parsing.
    pub problems: Vec<Diagnostic>,
}

/// The span of every node and every mapping key, by JSON pointer.
#[derive(Debug, Default)]
pub(crate) struct Positions {
    nodes: HashMap<String, Span>,
    keys: HashMap<String, Span>,
}

impl Positions {
    /// The span of the node at `pointer`, or of its nearest ancestor that has one (a missing
    /// field is reported where its parent starts).
    pub fn node(&self, pointer: &str) -> Option<Span> {
        let mut p = pointer;
        loop {
            if let Some(span) = self.nodes.get(p) {
                return Some(*span);
            }
            p = &p[..p.rfind('/')?];
        }
    }

    /// The span of the key that names the member at `pointer`, if the member exists.
    pub fn key(&self, pointer: &str) -> Option<Span> {
        self.keys.get(pointer).copied()
    }
}

/// Why a text could not be parsed: where, and what the parser said.
#[derive(Debug)]
pub(crate) struct SyntaxError {
    /// Where.
    pub span: Span,
    /// What, in lower case.
    pub message: String,
}

/// Parses one YAML document. Positions are not kept on the way (a pointer string per node
/// would cost more than parsing): a document with a problem is parsed again keeping them, and a
/// caller that needs them for other errors asks [`positions`].
pub(crate) fn parse(text: &str) -> Result<Parsed, SyntaxError> {
    let within = |e: SyntaxError| SyntaxError {
        span: within_text(text, e.span),
        ..e
    };
    let fast = build(text, false).map_err(within)?;
    if fast.problems.is_empty() {
        Ok(fast)
    } else {
        build(text, true).map_err(within)
    }
}

/// The parser reads a line break after a text that lacks one, so a problem (or an empty node)
/// at the very end of such a text is placed on a line the text does not have: it goes at the end
/// of the last line.
fn within_text(text: &str, span: Span) -> Span {
    within_lines(text, line_breaks(text), span)
}

/// Line breaks as YAML counts them: LF, CR LF, CR.
fn line_breaks(text: &str) -> usize {
    text.matches('\n').count() + text.matches('\r').count() - text.matches("\r\n").count()
}

/// [`within_text`] for a text with `breaks` line breaks, counted once by the caller: a
/// document's every node is placed this way, and counting per node made locating the problems
/// of a 60 KB task of 12,000 list items take seconds (found by fuzzing).
fn within_lines(text: &str, breaks: usize, span: Span) -> Span {
    if span.line <= breaks + 1 {
        return span;
    }
    let last = text.rsplit(['\n', '\r']).next().unwrap_or("");
    Span::point(breaks + 1, last.chars().count() + 1)
}

/// Where every node and key of a document sits (empty when it does not parse).
pub(crate) fn positions(text: &str) -> Positions {
    let mut p = build(text, true).map(|p| p.positions).unwrap_or_default();
    // An empty node at the very end (`---`, `? `) sits where the parser read its line break.
    let breaks = line_breaks(text);
    for span in p.nodes.values_mut().chain(p.keys.values_mut()) {
        *span = within_lines(text, breaks, *span);
    }
    p
}

fn build(text: &str, track: bool) -> Result<Parsed, SyntaxError> {
    let mut b = Builder {
        events: Parser::new_from_str(text),
        anchors: HashMap::new(),
        aliased: 0,
        track,
        positions: Positions::default(),
        problems: Vec::new(),
    };
    let mut value = Value::Null;
    let mut documents = 0;
    loop {
        let (event, span) = b.next()?;
        match event {
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(SyntaxError {
                        span,
                        message: "more than one YAML document in one file (a second `---`)"
                            .to_string(),
                    });
                }
            }
            event => value = b.node(event, span, String::new(), 0)?,
        }
    }
    Ok(Parsed {
        value,
        positions: b.positions,
        problems: b.problems,
    })
}

struct Builder<'a> {
    events: Parser<'a, saphyr_parser::StrInput<'a>>,
    /// Each anchor's value and how many nodes it holds.
    anchors: HashMap<usize, (Value, usize)>,
    /// Nodes copied through aliases so far.
    aliased: usize,
    /// Whether pointers and positions are kept (problems are reported either way, unlocated
    /// when not: [`parse`] then parses again keeping them).
    track: bool,
    positions: Positions,
    problems: Vec<Diagnostic>,
}

impl<'a> Builder<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), SyntaxError> {
        match self.events.next_event() {
            Some(Ok((event, span))) => Ok((event, to_span(&span))),
            Some(Err(e)) => Err(scan_error(&e)),
            None => Ok((Event::StreamEnd, Span::START)),
        }
    }

    /// Builds the node that `event` starts; returns its value (and records its node count when
    /// it is anchored).
    fn node(
        &mut self,
        event: Event<'a>,
        span: Span,
        pointer: String,
        depth: usize,
    ) -> Result<Value, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(SyntaxError {
                span,
                message: format!("nested more than {MAX_DEPTH} levels deep"),
            });
        }
        if self.track {
            self.positions.nodes.insert(pointer.clone(), span);
        }
        let (value, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                let value = scalar(&text, style, tag.as_deref(), span)?;
                let value = match value {
                    Scalar::Value(v) => v,
                    Scalar::NonFinite => {
                        self.problems.push(
                            Diagnostic::new(
                                pointer,
                                "not a finite number (.nan and .inf are not accepted)",
                            )
                            .at_span(span),
                        );
                        Value::Null
                    }
                };
                (value, anchor)
            }
            Event::Alias(id) => {
                let Some((value, nodes)) = self.anchors.get(&id) else {
                    return Err(SyntaxError {
                        span,
                        message: "alias to an unknown anchor".to_string(),
                    });
                };
                self.aliased += nodes;
                if self.aliased > MAX_ALIASED_NODES {
                    return Err(SyntaxError {
                        span,
                        message: format!(
                            "aliases expand to more than {MAX_ALIASED_NODES} nodes \
                             (an alias bomb?); write the values out instead"
                        ),
                    });
                }
                return Ok(value.clone());
            }
            Event::SequenceStart(anchor, tag) => {
                core_tag(tag.as_deref(), "seq", span)?;
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if event == Event::SequenceEnd {
                        break;
                    }
                    let at = if self.track {
                        format!("{pointer}/{}", items.len())
                    } else {
                        String::new()
                    };
                    let item = self.node(event, span, at, depth + 1)?;
                    items.push(item);
                }
                (Value::Array(items), anchor)
            }
            Event::MappingStart(anchor, tag) => {
                core_tag(tag.as_deref(), "map", span)?;
                let mut map = Map::new();
                loop {
                    let (event, key_span) = self.next()?;
                    let key = match event {
                        Event::MappingEnd => break,
                        Event::Scalar(text, ..) => text.into_owned(),
                        _ => {
                            return Err(SyntaxError {
                                span: key_span,
                                message: "a mapping key must be a plain value, not a list, \
                                          a mapping or an alias"
                                    .to_string(),
                            });
                        }
                    };
                    let at = if self.track {
                        format!("{pointer}/{}", escape(&key))
                    } else {
                        String::new()
                    };
                    if !self.track {
                        if map.contains_key(&key) {
                            self.problems
                                .push(Diagnostic::new("", format!("`{key}` is given twice")));
                        }
                    } else if let Some(first) = self.positions.keys.get(&at).copied() {
                        self.problems.push(
                            Diagnostic::new(
                                at.clone(),
                                if first.line == key_span.line {
                                    // One line (a flow mapping, JSON on one line): columns.
                                    format!(
                                        "`{key}` is given twice in this mapping, at {}:{} and {}:{}",
                                        first.line, first.column, key_span.line, key_span.column
                                    )
                                } else {
                                    format!(
                                        "`{key}` is given twice in this mapping, at line {} and line {}",
                                        first.line, key_span.line
                                    )
                                },
                            )
                            .at_span(key_span),
                        );
                    } else {
                        self.positions.keys.insert(at.clone(), key_span);
                    }
                    let (event, span) = self.next()?;
                    let value = self.node(event, span, at, depth + 1)?;
                    map.insert(key, value);
                }
                (Value::Object(map), anchor)
            }
            other => {
                return Err(SyntaxError {
                    span,
                    message: format!("unexpected YAML event {other:?}"),
                });
            }
        };
        if anchor != 0 {
            self.anchors.insert(anchor, (value.clone(), count(&value)));
        }
        Ok(value)
    }
}

/// How many nodes a value holds (itself included).
fn count(v: &Value) -> usize {
    match v {
        Value::Array(items) => 1 + items.iter().map(count).sum::<usize>(),
        Value::Object(m) => 1 + m.values().map(count).sum::<usize>(),
        _ => 1,
    }
}

enum Scalar {
    Value(Value),
    NonFinite,
}

/// A scalar's value under the YAML 1.2 core schema, or its core tag.
fn scalar(
    text: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
    span: Span,
) -> Result<Scalar, SyntaxError> {
    let string = || Ok(Scalar::Value(Value::String(text.to_string())));
    let wrong = |what: &str| SyntaxError {
        span,
        message: format!("`{text}` is not {what}"),
    };
    match tag {
        Some(t) if t.is_yaml_core_schema() => match t.suffix.as_str() {
            "str" => string(),
            "null" => null(text).map(Scalar::Value).ok_or_else(|| wrong("null")),
            "bool" => bool_(text)
                .map(Scalar::Value)
                .ok_or_else(|| wrong("a boolean")),
            "int" => int(text)
                .map(Scalar::Value)
                .ok_or_else(|| wrong("an integer")),
            "float" => float(text).ok_or_else(|| wrong("a number")),
            other => Err(SyntaxError {
                span,
                message: format!("unsupported tag `!!{other}`"),
            }),
        },
        // `!` alone marks a non-specific tag: the value is a string.
        Some(t) if t.handle == "!" && t.suffix.is_empty() => string(),
        Some(t) => Err(SyntaxError {
            span,
            message: format!("unsupported tag `{t}`"),
        }),
        None if style != ScalarStyle::Plain => string(),
        None => Ok(plain_scalar(text)),
    }
}

/// An untagged plain scalar under the YAML 1.2 core schema.
fn plain_scalar(text: &str) -> Scalar {
    null(text)
        .or_else(|| bool_(text))
        .or_else(|| int(text))
        .map(Scalar::Value)
        .or_else(|| float(text))
        .unwrap_or_else(|| Scalar::Value(Value::String(text.to_string())))
}

/// A core-schema tag on a collection must be the collection's own.
fn core_tag(tag: Option<&Tag>, kind: &str, span: Span) -> Result<(), SyntaxError> {
    match tag {
        None => Ok(()),
        Some(t) if t.is_yaml_core_schema() && t.suffix == kind => Ok(()),
        Some(t) if t.handle == "!" && t.suffix.is_empty() => Ok(()),
        Some(t) => Err(SyntaxError {
            span,
            message: format!("unsupported tag `{t}`"),
        }),
    }
}

fn null(text: &str) -> Option<Value> {
    matches!(text, "" | "~" | "null" | "Null" | "NULL").then_some(Value::Null)
}

fn bool_(text: &str) -> Option<Value> {
    match text {
        "true" | "True" | "TRUE" => Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => Some(Value::Bool(false)),
        _ => None,
    }
}

fn int(text: &str) -> Option<Value> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, digits) = if let Some(d) = text.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = text.strip_prefix("0x") {
        (16, d)
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        (10, digits)
    } else {
        return None;
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u128::from_str_radix(digits, radix).ok();
    let number = match (negative, magnitude) {
        (false, Some(m)) => u64::try_from(m).ok().map(Number::from),
        (true, Some(m)) => i64::try_from(m).ok().map(|m| Number::from(-m)),
        (_, None) => None,
    };
    // Integers too large for 64 bits are kept as the nearest float.
    Some(number.map_or_else(
        || {
            text.parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map_or(Value::Null, Value::Number)
        },
        Value::Number,
    ))
}

/// A core-schema float; `NonFinite` for `.inf`, `-.inf` and `.nan` in any of their spellings.
fn float(text: &str) -> Option<Scalar> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Some(Scalar::NonFinite);
    }
    // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(whole)
        && digits(fraction)
        && (!whole.is_empty() || !fraction.is_empty())
        && (!whole.is_empty() || mantissa.starts_with('.'));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    if !mantissa_ok || !exponent_ok {
        return None;
    }
    let x: f64 = text.parse().ok()?;
    Some(match Number::from_f64(x) {
        Some(n) => Scalar::Value(Value::Number(n)),
        None => Scalar::NonFinite,
    })
}

/// A JSON pointer reference token.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn to_span(s: &saphyr_parser::Span) -> Span {
    Span {
        line: s.start.line(),
        column: s.start.col() + 1,
        len: s.end.index().saturating_sub(s.start.index()),
    }
}

fn scan_error(e: &ScanError) -> SyntaxError {
    SyntaxError {
        span: Span::point(e.marker().line(), e.marker().col() + 1),
        message: e.info().to_string(),
    }
}

#[cfg(test)]
mod tests;
