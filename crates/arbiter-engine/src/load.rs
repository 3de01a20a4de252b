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
use crate::schema::SchemaKind;
use crate::span::Span;
use crate::task::Task;
use crate::yaml;

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
    #[error("{origin}:{span}: {message}")]
    Syntax {
        /// The file (or `<stdin>`, `<request>`).
        origin: String,
        /// Where the parser stopped.
        span: Span,
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
            LoadError::Syntax { span, message, .. } => {
                vec![Diagnostic::new("", message.clone()).at_span(*span)]
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

/// A parsed text: its value and the problems found while parsing (duplicate keys, non-finite
/// numbers), already located.
struct Parsed {
    value: Value,
    problems: Vec<Diagnostic>,
}

/// Parses text into a raw value; a syntax error carries its position.
fn parse(text: &str, syntax: Syntax, origin: &str) -> Result<Parsed, LoadError> {
    let syntax_error = |span: Span, message: String| LoadError::Syntax {
        origin: origin.to_string(),
        span,
        message: diagnostic::lowercase_first(&message),
    };
    // A byte-order mark is legal at the start of a UTF-8 file, and meaningless.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match syntax {
        Syntax::Json => {
            let value = serde_json::from_str(text).map_err(|e| {
                syntax_error(
                    Span::point(e.line(), e.column()),
                    format!("invalid JSON: {e}"),
                )
            })?;
            // JSON is YAML too: duplicate keys (which serde_json would silently resolve to the
            // last) are found by the YAML parser, as are positions when a problem needs them.
            let problems = yaml::parse(text).map(|p| p.problems).unwrap_or_default();
            Ok(Parsed { value, problems })
        }
        Syntax::Yaml => {
            let p = yaml::parse(text)
                .map_err(|e| syntax_error(e.span, format!("invalid YAML: {}", e.message)))?;
            Ok(Parsed {
                value: p.value,
                problems: p.problems,
            })
        }
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
    let Parsed { value, problems } = parse(text, syntax, origin)?;
    let invalid = |mut diagnostics: Vec<Diagnostic>| {
        // A document with thousands of mistakes gets the first hundred: enough to act on.
        let total = diagnostics.len();
        diagnostics.truncate(MAX_DIAGNOSTICS);
        // Positions are found only now, on the way to an error: a valid document never pays
        // for them.
        let positions = yaml::positions(text.strip_prefix('\u{feff}').unwrap_or(text));
        for d in &mut diagnostics {
            if d.span.is_none() {
                d.span = match &d.anchor {
                    Some(anchor) => positions.key(anchor).or_else(|| positions.node(&d.path)),
                    None => positions.node(&d.path),
                };
            }
        }
        // In file order where located, so the report reads top to bottom.
        diagnostics.sort_by_key(|d| (d.span.is_none(), d.line(), d.column()));
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
    // A non-finite number was read as null: the schema's complaint about that null says less
    // than the parser's.
    errors.retain(|e| !problems.iter().any(|p| p.path == e.path));
    errors.splice(0..0, problems);
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
    let text = read(path, crate::ceilings::TASK_BYTES, "a task document")?;
    task_from_str(&text, Syntax::for_path(path), &path.display().to_string())
}

/// Loads a catalog from text.
pub fn catalog_from_str(text: &str, syntax: Syntax, origin: &str) -> Result<Catalog, LoadError> {
    document_from_str(text, syntax, origin, SchemaKind::Catalog, Catalog::check)
}

/// Loads a catalog from a file.
pub fn load_catalog(path: &Path) -> Result<Catalog, LoadError> {
    let text = read(path, crate::ceilings::CATALOG_BYTES, "a catalog document")?;
    catalog_from_str(&text, Syntax::for_path(path), &path.display().to_string())
}

/// Reads a whole regular file as UTF-8, within `ceiling` bytes (see [`crate::ceilings`]).
pub fn read(path: &Path, ceiling: u64, what: &str) -> Result<String, LoadError> {
    crate::ceilings::read_text(path, ceiling, what).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })
}
