//! A JSON value written as block-style YAML, for files people read and edit afterwards (the
//! catalog `arbiter catalog import` writes).
//!
//! Strings are left plain only when every YAML reader gives them back as the same string: not
//! when the YAML 1.2 core schema would read a number, boolean or null, nor when a YAML 1.1
//! reader would (`no`, `on`, `y`, `12:30`), nor when an indicator character or a `: ` / ` #`
//! inside would change the structure. Others are single-quoted, or double-quoted when they hold
//! a line break or another control character.

use serde_json::Value;

/// The value as a YAML document (block style, two-space indentation, lists flush with their
/// key as `serde_yaml` wrote them), ending in a newline.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => mapping(&mut out, m, 0),
        Value::Array(items) if !items.is_empty() => sequence(&mut out, items, 0),
        scalar => {
            out += &inline(scalar);
            out.push('\n');
        }
    }
    out
}

/// YAML allows an implicit key (`key: value`) of at most 1024 characters.
const MAX_IMPLICIT_KEY: usize = 1024;

fn mapping(out: &mut String, m: &serde_json::Map<String, Value>, indent: usize) {
    for (i, (key, value)) in m.iter().enumerate() {
        // The first key of a mapping inside a list item follows its `- `.
        if i > 0 || !out.ends_with("- ") {
            push_indent(out, indent);
        }
        let key = string(key);
        if key.chars().count() > MAX_IMPLICIT_KEY {
            // Too long for an implicit key: an explicit one, `? key` then `: value`.
            *out += "? ";
            *out += &key;
            out.push('\n');
            push_indent(out, indent);
        } else {
            *out += &key;
        }
        out.push(':');
        match value {
            Value::Object(inner) if !inner.is_empty() => {
                out.push('\n');
                mapping(out, inner, indent + 2);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                sequence(out, items, indent);
            }
            scalar => {
                out.push(' ');
                *out += &inline(scalar);
                out.push('\n');
            }
        }
    }
}

fn sequence(out: &mut String, items: &[Value], indent: usize) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 || !out.ends_with("- ") {
            push_indent(out, indent);
        }
        *out += "- ";
        match item {
            Value::Object(inner) if !inner.is_empty() => mapping(out, inner, indent + 2),
            Value::Array(inner) if !inner.is_empty() => sequence(out, inner, indent + 2),
            scalar => {
                *out += &inline(scalar);
                out.push('\n');
            }
        }
    }
}

fn push_indent(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// A scalar, or an empty collection, on one line.
fn inline(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

/// A string, plain when that is unambiguous, quoted otherwise.
fn string(s: &str) -> String {
    if s.chars().any(|c| c.is_control() || c == '\u{feff}') {
        // JSON's escapes are valid in a double-quoted YAML scalar. A byte order mark must be
        // escaped too: YAML forbids one inside a document, even in a quoted scalar.
        return Value::String(s.to_string())
            .to_string()
            .replace('\u{feff}', "\\ufeff");
    }
    if plain_is_safe(s) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

fn plain_is_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let resolves_to_other = !matches!(
        super::plain_scalar(s),
        super::Scalar::Value(Value::String(_))
    );
    let yaml_1_1 = matches!(
        s.to_ascii_lowercase().as_str(),
        "y" | "n" | "yes" | "no" | "on" | "off"
    ) || (s.starts_with(|c: char| c.is_ascii_digit() || ".+-".contains(c))
        && s.chars()
            .all(|c| c.is_ascii_digit() || "._:+-eE".contains(c)));
    !resolves_to_other
        && !yaml_1_1
        && !"-?:,[]{}#&*!|>'\"%@`".contains(first)
        && !first.is_whitespace()
        && !s.ends_with(char::is_whitespace)
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::to_string;

    #[test]
    fn block_style_like_people_write_it() {
        let v = json!({
            "models": [
                {"id": "a/b", "languages": ["en", "no"], "params": 1.5, "gated": false,
                 "note": null, "empty": [], "nested": {"x": 1}},
                [1, 2]
            ],
            "k": {}
        });
        assert_eq!(
            to_string(&v),
            "models:\n- id: a/b\n  languages:\n  - en\n  - 'no'\n  params: 1.5\n  gated: false\n  \
             note: null\n  empty: []\n  nested:\n    x: 1\n- - 1\n  - 2\nk: {}\n"
        );
    }

    #[test]
    fn strings_read_back_as_themselves() {
        let tricky = [
            "no",
            "Yes",
            "on",
            "null",
            "~",
            "",
            "12",
            "1.5",
            "0x1f",
            ".inf",
            ".nan",
            "1e3",
            "2024-01-01",
            "12:30",
            "- item",
            "a: b",
            "a #b",
            "#x",
            "x:",
            " padded",
            "padded ",
            "it's",
            "[x]",
            "{x}",
            "*alias",
            "&anchor",
            "!tag",
            "%dir",
            "@x",
            "`x`",
            "|x",
            ">x",
            "line\nbreak",
            "tab\there",
            "ünïcödé",
            "CC-BY-4.0",
            "google-bert/bert-base-uncased",
            "true",
            "False",
            "-",
            "?",
            "a,b",
            "x\u{7f}",
            "edge\u{feff}case",
        ];
        for s in tricky {
            let text = to_string(&json!({ "k": s }));
            let back: serde_json::Value =
                crate::yaml::from_str(&text).unwrap_or_else(|e| panic!("{s:?} → {text:?}: {e}"));
            assert_eq!(back, json!({ "k": s }), "{s:?} → {text:?}");
        }
        // Keys past YAML's 1024 characters for an implicit key, before each kind of value.
        let long = |c: &str, n| format!("{}:", c.repeat(n));
        let v = json!({
            long("a", 1024): 1,
            long("b", 1025): {"x": 1, long("c", 2000): [1, {"y": 2}]},
            long("d", 3000): [[1], {long("e", 1100): "z", "f": 1}],
            long("it's ", 300): "",
        });
        let text = to_string(&v);
        let back: serde_json::Value =
            crate::yaml::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(back, v, "{text}");
        assert_eq!(
            to_string(&json!("CC-BY-4.0")),
            "CC-BY-4.0\n",
            "plain when safe"
        );
        assert_eq!(to_string(&json!("no")), "'no'\n");
    }
}
