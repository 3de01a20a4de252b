//! A schemars transform shared by the wire formats' closed lists of names. A leaf: the formats
//! use it, and it uses none of them.

use serde_json::Value;

/// Schema transform for closed lists of names: schemars renders an enum whose variants carry docs
/// as `oneOf` of `const`s, whose validation error ("not valid under any of the schemas listed in
/// the 'oneOf' keyword") tells the user nothing. This turns it into a plain `enum` — whose error
/// lists the accepted values — and keeps each variant's doc in the description.
pub fn plain_enum(schema: &mut schemars::Schema) {
    let Some(Value::Array(variants)) = schema.get("oneOf") else {
        return;
    };
    let mut values = Vec::new();
    let mut docs = Vec::new();
    for v in variants {
        let Some(c) = v.get("const") else { return };
        if let (Some(name), Some(doc)) = (c.as_str(), v.get("description").and_then(Value::as_str))
        {
            docs.push(format!("`{name}`: {}", doc.trim_end_matches('.')));
        }
        values.push(c.clone());
    }
    schema.remove("oneOf");
    schema.insert("type".into(), Value::from("string"));
    schema.insert("enum".into(), Value::Array(values));
    if !docs.is_empty() {
        let head = schema
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let text = if head.is_empty() {
            docs.join("; ")
        } else {
            format!("{head} {}", docs.join("; "))
        };
        schema.insert("description".into(), Value::from(text));
    }
}
