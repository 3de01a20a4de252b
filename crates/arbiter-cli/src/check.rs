//! `arbiter check` and `arbiter schema`: the format commands.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use arbiter_engine::{SchemaKind, load};
use clap::Args;

use crate::exit;

#[derive(Args)]
pub struct CheckArgs {
    /// Task files to validate (YAML, or JSON by the `.json` extension).
    #[arg(value_name = "TASK", required_unless_present = "catalog")]
    tasks: Vec<PathBuf>,
    /// Validate this catalog file instead (or as well).
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
}

#[derive(Args)]
pub struct SchemaArgs {
    /// Which format: task or catalog.
    #[arg(value_name = "KIND", value_parser = schema_kind)]
    kind: SchemaKind,
}

fn schema_kind(s: &str) -> Result<SchemaKind, String> {
    SchemaKind::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = SchemaKind::ALL.iter().map(|k| k.name()).collect();
        format!("unknown schema `{s}`; known: {}", names.join(", "))
    })
}

/// Validates every file given, reporting each problem; exit 2 if any file is invalid.
pub fn run_check(args: &CheckArgs) -> anyhow::Result<u8> {
    let mut failed = 0usize;
    let mut checked = 0usize;
    let mut report = |name: String, result: Result<String, load::LoadError>| {
        checked += 1;
        match result {
            Ok(summary) => println!("ok      {name}: {summary}"),
            Err(e) => {
                failed += 1;
                crate::diagnostics::print_load(&e);
            }
        }
    };
    if let Some(path) = &args.catalog {
        let result = load::load_catalog(path).map(|c| format!("{} models", c.models.len()));
        report(path.display().to_string(), result);
    }
    for path in &args.tasks {
        let result = load::load_task(path).map(|t| format!("{} ({})", t.name, t.task));
        report(path.display().to_string(), result);
    }
    if failed > 0 {
        eprintln!("{failed} of {checked} file(s) invalid");
        Ok(exit::INVALID)
    } else {
        Ok(exit::OK)
    }
}

/// Prints a schema.
pub fn run_schema(args: &SchemaArgs) -> anyhow::Result<u8> {
    std::io::stdout()
        .write_all(args.kind.generate_pretty().as_bytes())
        .context("cannot write to standard output")?;
    Ok(exit::OK)
}
