//! Canonical JSON: object keys sorted, no whitespace, scalars as serde_json writes them. The
//! form every log record is written and hashed in, so that `verify` can demand it byte for byte.

use serde_json::Value;

/// The canonical JSON of a value: object keys sorted, no whitespace.
pub fn canonical_json(value: &Value) -> String {
    // Written straight from the value, keys sorted as it goes: no sorted copy of the tree.
    fn write(v: &Value, out: &mut Vec<u8>) {
        match v {
            Value::Object(m) => {
                let mut entries: Vec<(&String, &Value)> = m.iter().collect();
                entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
                out.push(b'{');
                for (i, (k, v)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    if serde_json::to_writer(&mut *out, k.as_str()).is_err() {
                        out.extend_from_slice(b"\"\"");
                    }
                    out.push(b':');
                    write(v, out);
                }
                out.push(b'}');
            }
            Value::Array(items) => {
                out.push(b'[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write(v, out);
                }
                out.push(b']');
            }
            scalar => leaf(scalar, out),
        }
    }
    // Scalars exactly as serde_json writes them (escapes, number formats).
    fn leaf(v: &Value, out: &mut Vec<u8>) {
        if serde_json::to_writer(&mut *out, v).is_err() {
            out.extend_from_slice(b"null");
        }
    }
    let mut out = Vec::with_capacity(4096);
    write(value, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::canonical_json;

    /// The definition: a copy of the tree with sorted keys, written by serde_json.
    fn reference(value: &Value) -> String {
        fn sorted(v: &Value) -> Value {
            match v {
                Value::Object(m) => {
                    let mut keys: Vec<&String> = m.keys().collect();
                    keys.sort();
                    Value::Object(
                        keys.into_iter()
                            .map(|k| (k.clone(), sorted(&m[k])))
                            .collect(),
                    )
                }
                Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
                other => other.clone(),
            }
        }
        sorted(value).to_string()
    }

    #[test]
    fn written_as_the_sorted_tree_would_be() {
        let tricky = json!({
            "zeta": [1, -0.5, 1e300, 12345678901234567890u64, -9223372036854775808i64],
            "alpha": {"b": "quote \" backslash \\ newline \n tab \t", "a": null, "é": "ünï\u{1f}"},
            "": [true, false, {}, [], {"y": {"x": 0.1}}],
            "Z": "\u{2028}\u{0}",
        });
        assert_eq!(canonical_json(&tricky), reference(&tricky));
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../schemas/decision.schema.json");
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(canonical_json(&schema), reference(&schema));
    }
}
