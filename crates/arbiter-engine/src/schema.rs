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
    type Compiled = Result<(jsonschema::Validator, Value), String>;
    static VALIDATORS: [OnceLock<Compiled>; 5] = [const { OnceLock::new() }; 5];
    let index = SchemaKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
    let compiled = VALIDATORS[index].get_or_init(|| {
        let schema = generate::<T>();
        compile(kind, &schema).map(|v| (v, schema))
    });
    let (validator, schema) = match compiled {
        Ok(v) => v,
        Err(e) => return vec![Diagnostic::new("", e.clone())],
    };
    let mut out: Vec<Diagnostic> = validator
        .iter_errors(instance)
        .flat_map(|e| {
            let path = e.instance_path.to_string();
            match &e.kind {
                // One problem per unknown field, each at its own key, each with its own guess.
                jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                    let known = fields_at(schema, schema, &path);
                    unexpected
                        .iter()
                        .map(|field| {
                            let help =
                                diagnostic::did_you_mean(field, known.iter().map(String::as_str))
                                    .map(|s| format!("did you mean `{s}`?"));
                            Diagnostic {
                                anchor: Some(format!(
                                    "{path}/{}",
                                    field.replace('~', "~0").replace('/', "~1")
                                )),
                                help,
                                ..Diagnostic::new(
                                    path.clone(),
                                    format!(
                                        "unknown field `{field}`: not part of the {kind} format"
                                    ),
                                )
                            }
                        })
                        .collect::<Vec<_>>()
                }
                _ => {
                    let help = suggestion(&path, &e).map(|s| format!("did you mean `{s}`?"));
                    vec![Diagnostic {
                        help,
                        ..Diagnostic::new(path.clone(), describe(kind, &path, &e))
                    }]
                }
            }
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path).then_with(|| a.message.cmp(&b.message)));
    out.dedup();
    out
}

/// The likely intended value of a misspelt enum value.
fn suggestion(path: &str, e: &jsonschema::ValidationError<'_>) -> Option<String> {
    let jsonschema::error::ValidationErrorKind::Enum { options } = &e.kind else {
        return None;
    };
    let word = e.instance.as_str()?;
    let mut candidates: Vec<&str> = options
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if path == "/task" {
        candidates.extend(TaskType::ALIASES.iter().map(|(a, _)| *a));
    }
    diagnostic::did_you_mean(word, candidates).map(str::to_string)
}

/// The property names the schema allows for the object at `path` (every branch of an
/// `anyOf`/`oneOf`/`allOf`, through `$ref`s into `$defs`).
fn fields_at(root: &Value, schema: &Value, path: &str) -> Vec<String> {
    // A schema with its `$ref` targets and `anyOf`/`oneOf`/`allOf` branches, transitively.
    fn resolve<'v>(root: &'v Value, s: &'v Value) -> Vec<&'v Value> {
        let mut todo = vec![s];
        let mut out = Vec::new();
        // Bounded: a schema nests refs and branches a few levels at most.
        for _ in 0..64 {
            let Some(s) = todo.pop() else { break };
            if let Some(target) = s
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix('#'))
                .and_then(|p| root.pointer(p))
            {
                todo.push(target);
            }
            for key in ["anyOf", "oneOf", "allOf"] {
                if let Some(branches) = s.get(key).and_then(Value::as_array) {
                    todo.extend(branches);
                }
            }
            out.push(s);
        }
        out
    }
    let mut here = resolve(root, schema);
    for segment in path.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        here = here
            .iter()
            .filter_map(|s| {
                s.get("properties")
                    .and_then(|p| p.get(&segment))
                    .or_else(|| s.get("items"))
            })
            .flat_map(|s| resolve(root, s))
            .collect();
    }
    let mut names: Vec<String> = here
        .iter()
        .filter_map(|s| s.get("properties").and_then(Value::as_object))
        .flat_map(|p| p.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    names
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
        _ => diagnostic::lowercase_first(&e.to_string()),
    }
}
