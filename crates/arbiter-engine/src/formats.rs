//! Every wire format by kind: the one place that names each format's type, so that
//! `arbiter schema KIND`, the service and the schema-drift test can generate and validate any
//! of them. No engine module depends on this one (it would close an import loop): they validate
//! through [`crate::schema::validate_as`] with their own type.

use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::schema::{self, SchemaKind};

impl SchemaKind {
    /// The schema, generated from the Rust types (JSON Schema draft 2020-12).
    pub fn generate(self) -> Value {
        match self {
            SchemaKind::Task => schema::generate::<crate::task::Task>(),
            SchemaKind::Catalog => schema::generate::<crate::catalog::Catalog>(),
            SchemaKind::Bundle => schema::generate::<crate::manifest::Manifest>(),
            SchemaKind::Decision => schema::generate::<crate::decide::Decision>(),
            SchemaKind::Case => schema::generate::<crate::golden::Case>(),
        }
    }

    /// The schema as the checked-in file holds it: pretty JSON with a final newline.
    pub fn generate_pretty(self) -> String {
        let mut text = serde_json::to_string_pretty(&self.generate()).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Validates a raw document of this kind, returning every error with its JSON pointer.
    pub fn validate(self, instance: &Value) -> Vec<Diagnostic> {
        match self {
            SchemaKind::Task => schema::validate_as::<crate::task::Task>(self, instance),
            SchemaKind::Catalog => schema::validate_as::<crate::catalog::Catalog>(self, instance),
            SchemaKind::Bundle => schema::validate_as::<crate::manifest::Manifest>(self, instance),
            SchemaKind::Decision => schema::validate_as::<crate::decide::Decision>(self, instance),
            SchemaKind::Case => schema::validate_as::<crate::golden::Case>(self, instance),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_compiles() {
        for kind in SchemaKind::ALL {
            assert!(
                kind.validate(&serde_json::json!(null))
                    .iter()
                    .all(|d| !d.message.starts_with("internal error")),
                "{kind}"
            );
            assert_eq!(
                kind.generate()["$schema"],
                "https://json-schema.org/draft/2020-12/schema",
                "{kind}"
            );
        }
    }
}
