//! `arbiter catalog import`: catalog entries from Hugging Face model folders already on disk.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use arbiter_engine::hf::{self, Imported};
use arbiter_engine::{Syntax, load};
use clap::{Args, Subcommand};

use crate::exit;

#[derive(Subcommand)]
pub enum CatalogCommand {
    /// Build catalog entries from Hugging Face model folders you already have (no network).
    #[command(
        long_about = "Build catalog entries from Hugging Face model folders you already have.\n\n\
            Each PATH is a model folder holding config.json (and usually the model card \
            README.md), or a Hugging Face cache entry models--org--name (its refs/main revision, \
            else its only snapshot; several and no refs/main is an error) or one of its snapshots/<revision> folders. The \
            architecture comes from config.json; languages, licence, task, domain and \
            benchmarks (model-index) from the card's front matter; the parameter count from \
            model.safetensors.index.json, else the safetensors headers (only the header is \
            read), else it is computed from the architecture and marked computed.\n\n\
            Nothing is guessed: what no file states is left absent, and stderr lists it per \
            model. Model Arbiter never touches the network. To get a model's folder without its \
            weights:\n\n  \
            huggingface-cli download ORG/NAME config.json README.md --local-dir DIR\n  \
            hf download ORG/NAME config.json README.md --local-dir DIR\n\n\
            A plain folder's name gives the id, its first `--` read as `/` \
            (Qwen--Qwen2.5-0.5B-Instruct is Qwen/Qwen2.5-0.5B-Instruct); --id overrides it for \
            a single PATH.",
        after_help = "Examples:\n  \
            arbiter catalog import ~/.cache/huggingface/hub/models--Qwen--Qwen2.5-0.5B-Instruct\n  \
            arbiter catalog import models/* --output imported.yaml\n  \
            arbiter catalog import DIR --id my-org/my-model --merge policies/catalog.yaml --output catalog.yaml\n\n\
            Exit codes: 0 every PATH imported, 2 a PATH failed (the others are still written), \
            a duplicate id, or an invalid --merge catalog (nothing written)."
    )]
    Import(ImportArgs),
}

#[derive(Args)]
pub struct ImportArgs {
    /// Model folders or Hugging Face cache entries (models--org--name).
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
    /// Append the imported models to this catalog (refusing ids it already has); the result is
    /// written whole (its comments are not kept).
    #[arg(long, value_name = "CATALOG")]
    merge: Option<PathBuf>,
    /// Write the catalog here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// The hub id of the model, when a single PATH is given (default: from the folder name).
    #[arg(long, value_name = "ID")]
    id: Option<String>,
}

pub fn run(cmd: &CatalogCommand) -> anyhow::Result<u8> {
    match cmd {
        CatalogCommand::Import(args) => import(args),
    }
}

fn import(args: &ImportArgs) -> anyhow::Result<u8> {
    if args.id.is_some() && args.paths.len() != 1 {
        bail!(
            "--id names one model, but {} paths were given: give a single PATH with --id",
            args.paths.len()
        );
    }
    let mut imported: Vec<Imported> = Vec::new();
    let mut failed = 0usize;
    for path in &args.paths {
        match hf::import(path, args.id.as_deref()) {
            Ok(i) => imported.push(i),
            Err(e) => {
                failed += 1;
                eprintln!("error: {e}");
            }
        }
    }
    for i in &imported {
        eprintln!("{}", summary(i));
    }
    let existing = match &args.merge {
        Some(path) => match load::load_catalog(path) {
            Ok(c) => Some((c, path.display().to_string())),
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(exit::INVALID);
            }
        },
        None => None,
    };
    if imported.is_empty() && existing.is_none() {
        eprintln!(
            "nothing imported: {failed} of {} path(s) failed",
            args.paths.len()
        );
        return Ok(exit::INVALID);
    }
    let catalog = match hf::merge(existing.as_ref().map(|(c, o)| (c, o.as_str())), &imported) {
        Ok(c) => c,
        Err(duplicates) => {
            for d in &duplicates {
                eprintln!("error: {d}");
            }
            eprintln!("nothing written: {} duplicate id(s)", duplicates.len());
            return Ok(exit::INVALID);
        }
    };
    let text = hf::catalog_document(&catalog, &imported, args.merge.as_deref())
        .context("cannot write the catalog as YAML")?;
    // The same gates as any catalog: syntax, schema, semantic checks (Catalog::check).
    if let Err(e) = load::catalog_from_str(&text, Syntax::Yaml, "<imported catalog>") {
        eprintln!("error: {e}");
        return Ok(exit::INVALID);
    }
    match &args.output {
        Some(path) => {
            write_atomically(path, &text)?;
            eprintln!(
                "wrote {} model(s) to {}{}",
                catalog.models.len(),
                path.display(),
                if failed > 0 {
                    format!(" ({failed} path(s) failed)")
                } else {
                    String::new()
                }
            );
        }
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .context("cannot write to standard output")?,
    }
    Ok(if failed > 0 { exit::INVALID } else { exit::OK })
}

/// One model's summary for stderr.
fn summary(i: &Imported) -> String {
    let m = &i.model;
    let mut s = format!(
        "imported {} ({}, {} M parameters{})\n  from {}",
        m.id,
        m.family,
        m.parameters_m,
        if m.parameters_basis == arbiter_engine::catalog::ParametersBasis::Computed {
            ", computed"
        } else {
            ""
        },
        i.source
    );
    for n in &i.notices {
        s.push_str(&format!(
            "\n  {:<12} {}: {}",
            n.kind.as_str(),
            n.field,
            n.message
        ));
    }
    s
}

/// Writes `text` to a temporary file beside `path`, then renames it over `path`, so that a
/// reader (or `--merge` of the same file) never sees half a catalog.
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "catalog.yaml".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write `{}`", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write `{}`", path.display())
    })
}
