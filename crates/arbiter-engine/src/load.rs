//! Reading tasks and catalogs: syntax, then the schema, then the types, then semantic checks.
//!
//! Each stage reports everything it finds at once: a YAML or JSON syntax error with its line and
//! column; otherwise every schema violation with its JSON pointer (and line, where it can be
//! found); otherwise every semantic problem. Only a document that passed all of them becomes an
//! engine type (ARCHITECTURE.md, first invariant).

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::catalog::Catalog;
use crate::diagnostic::{self, Diagnostic};
use crate::lang;
use crate::locate::Locator;
use crate::schema::SchemaKind;
use crate::task::Task;

/// Why a document could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The text is not valid YAML or JSON.
    #[error("{origin}:{line}:{column}: {message}")]
    Syntax {
        /// The file (or `<stdin>`, `<request>`).
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// The document is well-formed but breaks its format.
    #[error("{origin}: invalid {kind}, {} problem{}:\n{}", .diagnostics.len(),
        if .diagnostics.len() == 1 { "" } else { "s" }, diagnostic::join(.origin, .diagnostics))]
    Invalid {
        /// The file (or `<stdin>`, `<request>`).
        origin: String,
        /// Which format it breaks.
        kind: SchemaKind,
        /// Every problem found.
        diagnostics: Vec<Diagnostic>,
    },
}

impl LoadError {
    /// The located problems, for machine-readable output (empty for I/O errors).
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            LoadError::Io { .. } => Vec::new(),
            LoadError::Syntax {
                line,
                column,
                message,
                ..
            } => {
                vec![Diagnostic::new("", message.clone()).at(*line, *column)]
            }
            LoadError::Invalid { diagnostics, .. } => diagnostics.clone(),
        }
    }
}

/// At most this many problems are reported per document.
pub const MAX_DIAGNOSTICS: usize = 100;

/// The syntax of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// YAML 1.2 (a superset of JSON).
    Yaml,
    /// JSON.
    Json,
}

impl Syntax {
    /// JSON for `.json` files, YAML otherwise.
    pub fn for_path(path: &Path) -> Syntax {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("json") => Syntax::Json,
            _ => Syntax::Yaml,
        }
    }
}

/// Parses text into a raw value, with line and column on error; `kind` names the document in
/// the one error found after parsing (a non-finite number).
pub fn parse_value(
    text: &str,
    syntax: Syntax,
    origin: &str,
    kind: SchemaKind,
) -> Result<Value, LoadError> {
    let syntax_error = |line: usize, column: usize, message: String| LoadError::Syntax {
        origin: origin.to_string(),
        line,
        column,
        message: diagnostic::lowercase_first(&message),
    };
    // A byte-order mark is legal at the start of a UTF-8 file, and meaningless.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match syntax {
        Syntax::Json => serde_json::from_str(text)
            .map_err(|e| syntax_error(e.line(), e.column(), format!("invalid JSON: {e}"))),
        Syntax::Yaml => {
            let yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| {
                let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
                syntax_error(line, column, format!("invalid YAML: {e}"))
            })?;
            // JSON has no NaN or infinity: converted silently they would become null, and a
            // budget of `.inf` would read as no budget at all.
            if let Some(path) = non_finite(&yaml, String::new()) {
                return Err(LoadError::Invalid {
                    origin: origin.to_string(),
                    kind,
                    diagnostics: vec![Diagnostic::new(
                        path,
                        "not a finite number (.nan and .inf are not accepted)",
                    )],
                });
            }
            serde_json::to_value(&yaml)
                .map_err(|e| syntax_error(1, 1, format!("invalid YAML: {e}")))
        }
    }
}

/// The JSON pointer of the first non-finite number in a YAML value.
fn non_finite(v: &serde_yaml::Value, at: String) -> Option<String> {
    match v {
        serde_yaml::Value::Number(n) => n.as_f64().filter(|x| !x.is_finite()).map(|_| at),
        serde_yaml::Value::Sequence(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, x)| non_finite(x, format!("{at}/{i}"))),
        serde_yaml::Value::Mapping(m) => m.iter().find_map(|(k, x)| {
            let key = k.as_str().map_or_else(|| format!("{k:?}"), str::to_string);
            non_finite(
                x,
                format!("{at}/{}", key.replace('~', "~0").replace('/', "~1")),
            )
        }),
        serde_yaml::Value::Tagged(t) => non_finite(&t.value, at),
        _ => None,
    }
}

/// A document of some kind, loaded through every stage: syntax, schema, types, `semantic`.
pub fn document_from_str<T: DeserializeOwned + schemars::JsonSchema>(
    text: &str,
    syntax: Syntax,
    origin: &str,
    kind: SchemaKind,
    semantic: impl FnOnce(&T) -> Vec<Diagnostic>,
) -> Result<T, LoadError> {
    let value = parse_value(text, syntax, origin, kind)?;
    let locator = Locator::new(text);
    let invalid = |mut diagnostics: Vec<Diagnostic>| {
        // A document with thousands of mistakes gets the first hundred: enough to act on, and
        // cheap to locate.
        let total = diagnostics.len();
        diagnostics.truncate(MAX_DIAGNOSTICS);
        let mut diagnostics: Vec<Diagnostic> = diagnostics
            .into_iter()
            .map(|d| {
                match (
                    syntax,
                    locator.locate(d.anchor.as_deref().unwrap_or(&d.path)),
                ) {
                    (Syntax::Yaml, Some((line, column))) => d.at(line, column),
                    _ => d,
                }
            })
            .collect();
        // In file order where located, so the report reads top to bottom.
        diagnostics.sort_by_key(|d| (d.line.is_none(), d.line, d.column));
        if total > MAX_DIAGNOSTICS {
            diagnostics.push(Diagnostic::new(
                "",
                format!("… and {} more problems", total - MAX_DIAGNOSTICS),
            ));
        }
        LoadError::Invalid {
            origin: origin.to_string(),
            kind,
            diagnostics,
        }
    };
    let mut errors = crate::schema::validate_as::<T>(kind, &value);
    if !errors.is_empty() {
        // The checks that can run on the raw value run anyway, so that every problem is reported
        // at once (an unknown language beside a misspelt field).
        errors.extend(value_checks(kind, &value));
        return Err(invalid(errors));
    }
    let doc: T = serde_json::from_value(value)
        .map_err(|e| invalid(vec![Diagnostic::new("", e.to_string())]))?;
    let errors = semantic(&doc);
    if !errors.is_empty() {
        return Err(invalid(errors));
    }
    Ok(doc)
}

/// Semantic checks that need only the raw value, for documents that failed their schema: the
/// typed checks cannot run on them, these can.
fn value_checks(kind: SchemaKind, value: &Value) -> Vec<Diagnostic> {
    match kind {
        SchemaKind::Task => {
            let codes: Vec<Option<&str>> = value
                .get("languages")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(Value::as_str).collect())
                .unwrap_or_default();
            language_checks(&codes)
        }
        _ => Vec::new(),
    }
}

/// Language-code checks of a task's `languages`: ISO 639-1 where one exists, known codes, no
/// duplicates. Items that are not well-formed codes are left to the schema.
fn language_checks(codes: &[Option<&str>]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        let Some(l) = code
            .filter(|l| (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_lowercase()))
        else {
            continue;
        };
        let path = format!("/languages/{i}");
        if let Some(two) = lang::two_letter_for(l) {
            out.push(Diagnostic::new(
                path,
                format!("use the ISO 639-1 code `{two}` instead of `{l}`"),
            ));
        } else if !lang::is_known(l) {
            out.push(Diagnostic::new(
                path,
                format!("unknown language code `{l}` (ISO 639-1 or 639-3 expected)"),
            ));
        } else if codes[..i].contains(code) {
            out.push(Diagnostic::new(
                path,
                format!("language `{l}` is listed twice"),
            ));
        }
    }
    out
}

/// Semantic checks of a task that its schema cannot express.
pub fn check_task(task: &Task) -> Vec<Diagnostic> {
    let codes: Vec<Option<&str>> = task.languages.iter().map(|l| Some(l.as_str())).collect();
    let mut out = language_checks(&codes);
    for (i, l) in task.source_languages.iter().enumerate() {
        if !task.languages.contains(l) {
            out.push(Diagnostic::new(
                format!("/source_languages/{i}"),
                format!("`{l}` is not among the task's `languages`"),
            ));
        }
    }
    if !task.source_languages.is_empty() && task.task != crate::task::TaskType::Translation {
        out.push(Diagnostic::new(
            "/source_languages",
            format!(
                "`source_languages` applies to translation only, and this task is {}",
                task.task
            ),
        ));
    }
    let r = &task.resources;
    for (field, value) in [
        ("max_latency_ms", r.max_latency_ms),
        ("max_memory_mb", r.max_memory_mb),
        ("max_parameters_m", r.max_parameters_m),
    ] {
        if value.is_some_and(|v| v <= 0.0) {
            out.push(Diagnostic::new(
                format!("/resources/{field}"),
                "must be greater than 0",
            ));
        }
    }
    out
}

/// Loads a task from text.
pub fn task_from_str(text: &str, syntax: Syntax, origin: &str) -> Result<Task, LoadError> {
    document_from_str(text, syntax, origin, SchemaKind::Task, check_task)
}

/// Loads a task from a file (`.json` as JSON, anything else as YAML).
pub fn load_task(path: &Path) -> Result<Task, LoadError> {
    let text = read(path)?;
    task_from_str(&text, Syntax::for_path(path), &path.display().to_string())
}

/// Loads a catalog from text.
pub fn catalog_from_str(text: &str, syntax: Syntax, origin: &str) -> Result<Catalog, LoadError> {
    document_from_str(text, syntax, origin, SchemaKind::Catalog, Catalog::check)
}

/// Loads a catalog from a file.
pub fn load_catalog(path: &Path) -> Result<Catalog, LoadError> {
    let text = read(path)?;
    catalog_from_str(&text, Syntax::for_path(path), &path.display().to_string())
}

/// Reads a whole file as UTF-8.
pub fn read(path: &Path) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })
}
