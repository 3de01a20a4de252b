//! JSON Schemas generated from the Rust types, and validators compiled from them once.
//!
//! The generated schemas are the one copy of each wire format: `arbiter schema <kind>` prints
//! them, `schemas/*.schema.json` holds them checked in, and a test fails when the two drift.

use std::fmt;
use std::sync::LazyLock;

use serde_json::Value;

use crate::diagnostic::{self, Diagnostic};
use crate::task::TaskType;

/// The documents that have a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SchemaKind {
    /// A task description (`schemas/task.schema.json`).
    Task,
    /// A model catalog (`schemas/catalog.schema.json`).
    Catalog,
    /// A bundle manifest, `bundle.toml` (`schemas/bundle.schema.json`).
    Bundle,
    /// A decision record (`schemas/decision.schema.json`).
    Decision,
    /// A golden case of a bundle (`schemas/case.schema.json`).
    Case,
}

impl SchemaKind {
    /// Every kind, in the order `arbiter schema --help` lists them.
    pub const ALL: &'static [SchemaKind] = &[
        SchemaKind::Task,
        SchemaKind::Catalog,
        SchemaKind::Bundle,
        SchemaKind::Decision,
        SchemaKind::Case,
    ];

    /// The kind's name (`task`), as used on the command line and in file names.
    pub fn name(self) -> &'static str {
        match self {
            SchemaKind::Task => "task",
            SchemaKind::Catalog => "catalog",
            SchemaKind::Bundle => "bundle",
            SchemaKind::Decision => "decision",
            SchemaKind::Case => "case",
        }
    }

    /// The kind with this name.
    pub fn from_name(name: &str) -> Option<SchemaKind> {
        Self::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// The checked-in file name (`task.schema.json`).
    pub fn file_name(self) -> String {
        format!("{}.schema.json", self.name())
    }

    /// The schema, generated from the Rust types (JSON Schema draft 2020-12).
    pub fn generate(self) -> Value {
        let schema = match self {
            SchemaKind::Task => schemars::schema_for!(crate::task::Task),
            SchemaKind::Catalog => schemars::schema_for!(crate::catalog::Catalog),
            SchemaKind::Bundle => schemars::schema_for!(crate::bundle::Manifest),
            SchemaKind::Decision => schemars::schema_for!(crate::decide::Decision),
            SchemaKind::Case => schemars::schema_for!(crate::golden::Case),
        };
        schema.to_value()
    }

    /// The schema as the checked-in file holds it: pretty JSON with a final newline.
    pub fn generate_pretty(self) -> String {
        let mut text = serde_json::to_string_pretty(&self.generate()).unwrap_or_default();
        text.push('\n');
        text
    }

    fn validator(self) -> &'static Result<jsonschema::Validator, String> {
        static VALIDATORS: LazyLock<Vec<Result<jsonschema::Validator, String>>> =
            LazyLock::new(|| SchemaKind::ALL.iter().map(|k| compile(*k)).collect());
        let index = SchemaKind::ALL.iter().position(|k| *k == self).unwrap_or(0);
        &VALIDATORS[index]
    }

    /// Validates a raw document, returning every error with its JSON pointer.
    pub fn validate(self, instance: &Value) -> Vec<Diagnostic> {
        let validator = match self.validator() {
            Ok(v) => v,
            Err(e) => return vec![Diagnostic::new("", e.clone())],
        };
        let mut out: Vec<Diagnostic> = validator
            .iter_errors(instance)
            .map(|e| {
                let path = e.instance_path.to_string();
                let message = describe(self, &path, &e);
                let anchor = match &e.kind {
                    jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                        unexpected.first().map(|field| {
                            format!("{path}/{}", field.replace('~', "~0").replace('/', "~1"))
                        })
                    }
                    _ => None,
                };
                Diagnostic {
                    anchor,
                    ..Diagnostic::new(path, message)
                }
            })
            .collect();
        out.sort_by(|a, b| a.path.cmp(&b.path).then_with(|| a.message.cmp(&b.message)));
        out.dedup();
        out
    }
}

impl fmt::Display for SchemaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

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

fn compile(kind: SchemaKind) -> Result<jsonschema::Validator, String> {
    jsonschema::draft202012::new(&kind.generate())
        .map_err(|e| format!("internal error: the generated {kind} schema does not compile: {e}"))
}

/// A validation error as a sentence for the person who wrote the file.
fn describe(kind: SchemaKind, path: &str, e: &jsonschema::ValidationError<'_>) -> String {
    use jsonschema::error::ValidationErrorKind as K;
    match (&e.kind, kind, path) {
        (K::Enum { .. }, SchemaKind::Task, "/task") => format!(
            "unknown task type {}; accepted: {} (aliases: {})",
            e.instance,
            TaskType::IDS.join(", "),
            TaskType::ALIASES
                .iter()
                .map(|(a, id)| format!("{a} → {id}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (K::AdditionalProperties { unexpected }, _, _) => {
            let names: Vec<String> = unexpected.iter().map(|u| format!("`{u}`")).collect();
            format!(
                "unknown field {}: not part of the {kind} format",
                names.join(", ")
            )
        }
        _ => diagnostic::lowercase_first(&e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_compiles() {
        for kind in SchemaKind::ALL {
            assert!(kind.validator().is_ok(), "{kind}");
            assert_eq!(
                kind.generate()["$schema"],
                "https://json-schema.org/draft/2020-12/schema",
                "{kind}"
            );
        }
    }
}
