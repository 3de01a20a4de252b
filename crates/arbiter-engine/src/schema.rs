//! JSON Schemas generated from the Rust types, and validators compiled from them once.
//!
//! The generated schemas are the one copy of each wire format: `arbiter schema <kind>` prints
//! them, `schemas/*.schema.json` holds them checked in, and a test fails when the two drift.
//! Validation is generic over the format's type, so this module names no format;
//! [`crate::formats`] is the one place that maps each kind to its type.

use std::fmt;
use std::sync::OnceLock;

use schemars::JsonSchema;

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
}

/// Validates a raw document against the schema generated from `T`, the type of `kind`, and
/// returns every error with its JSON pointer. The validator is compiled once per kind.
pub fn validate_as<T: JsonSchema>(kind: SchemaKind, instance: &Value) -> Vec<Diagnostic> {
    static VALIDATORS: [OnceLock<Result<jsonschema::Validator, String>>; 5] =
        [const { OnceLock::new() }; 5];
    let index = SchemaKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
    let validator = match VALIDATORS[index].get_or_init(|| compile(kind, &generate::<T>())) {
        Ok(v) => v,
        Err(e) => return vec![Diagnostic::new("", e.clone())],
    };
    let mut out: Vec<Diagnostic> = validator
        .iter_errors(instance)
        .map(|e| {
            let path = e.instance_path.to_string();
            let message = describe(kind, &path, &e);
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

/// The schema of `T` (JSON Schema draft 2020-12).
pub fn generate<T: JsonSchema>() -> Value {
    schemars::schema_for!(T).to_value()
}

impl fmt::Display for SchemaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn compile(kind: SchemaKind, schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::draft202012::new(schema)
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
