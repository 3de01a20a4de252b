//! Catalog entries from Hugging Face model folders a user already has, read without a network.
//!
//! A folder is either a plain model folder (`config.json`, usually the model card `README.md`,
//! perhaps `*.safetensors` weights or `model.safetensors.index.json`) or a Hugging Face cache
//! entry (`models--org--name/`, or one of its `snapshots/<revision>/`). From it [`import`] builds
//! one catalog [`Model`] plus a [`Notice`] list saying what could not be known and was left
//! absent, what was derived and how, and what a source stated that the catalog cannot take.
//! Nothing is guessed: a fact no file states stays absent.
//!
//! - The architecture comes from `config.json`, per `model_type` ([`architecture`]); optional
//!   catalog fields are omitted where they equal the catalog default, so that an import
//!   reproduces a hand-written entry.
//! - Languages, licence, task, domain, instruction tuning and benchmarks come from the card's
//!   YAML front matter.
//! - The parameter count is `metadata.total_parameters` of `model.safetensors.index.json`
//!   where stated, else the sum of the tensor shapes in the safetensors headers (only the header
//!   is read, never the weights), else computed from the architecture ([`crate::params`]) and
//!   marked `parameters_basis: computed`.
//!
//! This module reads and maps; it prints nothing. Its files: `layout.rs` finds the folder's
//! files, `config.rs` and `model_types.rs` read `config.json`, `card.rs` and `benchmarks.rs`
//! the card, `safetensors.rs` the weights' headers; this file assembles the entry, and
//! `merge.rs` merges entries into a catalog and writes it.

mod benchmarks;
mod card;
mod config;
mod layout;
mod merge;
mod model_types;
mod safetensors;

use std::path::{Path, PathBuf};

use serde_json::Map;

use crate::catalog::{Catalog, Model, ParametersBasis, Positional};
use crate::task::LanguageCode;
use card::strings;
use safetensors::{Count, parameter_count};

pub use benchmarks::benchmark_key;
pub use card::{front_matter, read_card, spdx_license, task_for_class};
pub use config::{Architecture, MODEL_TYPES, architecture, read_json};
pub use layout::{Located, locate};
pub use merge::{DuplicateId, catalog_document, catalog_yaml, merge};
pub use safetensors::{MAX_SAFETENSORS_HEADER, SafetensorsHeader, safetensors_header};

/// Why a folder could not be imported. Every variant names the file (or folder) at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// A file or folder could not be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A JSON file is not valid JSON.
    #[error("{}:{line}:{column}: invalid JSON: {message}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// The path is not a model folder or a cache entry.
    #[error("{}: {message}", path.display())]
    Layout {
        /// The path given.
        path: PathBuf,
        /// What is missing.
        message: String,
    },
    /// `config.json` names an architecture this importer does not map.
    #[error("{}: unknown model_type `{model_type}` (supported: {})", path.display(), MODEL_TYPES.join(", "))]
    UnknownModelType {
        /// The `config.json`.
        path: PathBuf,
        /// Its `model_type`.
        model_type: String,
    },
    /// A field is missing or has the wrong type.
    #[error("{}: {field}: {message}", path.display())]
    Field {
        /// The file.
        path: PathBuf,
        /// The field (`hidden_size`, `model-index/0/results/1`).
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A safetensors file has a header that cannot be trusted.
    #[error("{}: invalid safetensors header: {message}", path.display())]
    Safetensors {
        /// The weight file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The entry built breaks the catalog's rules.
    #[error("{}: the imported entry is not a valid catalog model: {}", path.display(), .problems.join("; "))]
    Invalid {
        /// The folder.
        path: PathBuf,
        /// Every problem.
        problems: Vec<String>,
    },
}

impl ImportError {
    /// The file or folder the error is about.
    pub fn path(&self) -> &Path {
        match self {
            ImportError::Io { path, .. }
            | ImportError::Json { path, .. }
            | ImportError::Layout { path, .. }
            | ImportError::UnknownModelType { path, .. }
            | ImportError::Field { path, .. }
            | ImportError::Safetensors { path, .. }
            | ImportError::Invalid { path, .. } => path,
        }
    }
}

/// What a [`Notice`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// The field was left absent (or at the catalog default): no file states it.
    Absent,
    /// The value was derived, not read as such; the message says from what.
    Derived,
    /// A source states something the catalog cannot take; it was left out.
    Dropped,
}

impl NoticeKind {
    /// A short label for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Absent => "left absent",
            NoticeKind::Derived => "derived",
            NoticeKind::Dropped => "dropped",
        }
    }
}

/// One line of an import's summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The catalog field concerned.
    pub field: String,
    /// What happened to it.
    pub kind: NoticeKind,
    /// Why, in lower case.
    pub message: String,
}

impl Notice {
    fn new(field: &str, kind: NoticeKind, message: impl Into<String>) -> Notice {
        Notice {
            field: field.to_string(),
            kind,
            message: message.into(),
        }
    }
}

/// One imported model and its summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The catalog entry.
    pub model: Model,
    /// The path given.
    pub origin: PathBuf,
    /// Its source line (also in `model.sources`).
    pub source: String,
    /// What could not be known, what was derived, what was dropped.
    pub notices: Vec<Notice>,
    /// Whether the card stated the domain (otherwise `model.domain` is only the default, and
    /// [`catalog_yaml`] leaves it out).
    pub domain_stated: bool,
}

/// Imports the model folder at `path` (see [`locate`]); `id` overrides the hub id.
pub fn import(path: &Path, id: Option<&str>) -> Result<Imported, ImportError> {
    let loc = locate(path)?;
    let id = id.map_or_else(|| loc.id.clone(), str::to_string);
    let dir = &loc.dir;
    let mut notices = Vec::new();
    let mut files = Vec::new();
    let mut notes = Vec::new();
    if let Some(how) = &loc.revision_note {
        notices.push(Notice::new(
            "sources",
            NoticeKind::Derived,
            format!("revision: {how}"),
        ));
    }

    let config_path = dir.join("config.json");
    if !config_path.is_file() {
        return Err(ImportError::Layout {
            path: config_path,
            message: "missing: the architecture is read from config.json (a model card alone does not give it)".into(),
        });
    }
    let config = read_json(&config_path)?;
    let arch = architecture(&config, &config_path)?;
    files.push("config.json".to_string());

    let card_path = dir.join("README.md");
    let card = if card_path.is_file() {
        let card = read_card(&card_path)?;
        files.push("README.md".to_string());
        if card.is_none() {
            notices.push(Notice::new(
                "card",
                NoticeKind::Absent,
                "README.md has no YAML front matter",
            ));
        }
        card.unwrap_or_default()
    } else {
        Map::new()
    };
    let has_card = card_path.is_file();

    let count = parameter_count(dir, &arch, &mut files, &mut notices)?;
    let source = format!("{}: {}", loc.label, files.join(", "));
    let revision = loc
        .revision
        .as_deref()
        .map_or_else(|| format!("of {}", loc.label), |r| format!("@ {r}"));

    // Parameters.
    let (parameters, basis) = match count {
        Some(Count::Stated { parameters, note }) => {
            notes.push(note);
            (parameters, ParametersBasis::Published)
        }
        Some(Count::Computed(c)) => {
            notes.push(format!("parameters_m: {}.", c.arithmetic));
            notices.push(Notice::new(
                "parameters_m",
                NoticeKind::Derived,
                format!(
                    "computed from the architecture ({} M, parameters_basis: computed): no index states a count and no safetensors weights are here",
                    round_m(c.parameters)
                ),
            ));
            (c.parameters, ParametersBasis::Computed)
        }
        None => {
            return Err(ImportError::Field {
                path: config_path,
                field: "vocab_size".into(),
                message: "missing, and no index or safetensors weights state the parameter count, so it cannot be computed either".into(),
            });
        }
    };

    // The card's fields, each with its notices.
    let languages = card::languages(&card, has_card, &mut notices);
    card::wrong_shapes(&card, &mut notices);
    let license = card::license(&card, has_card, &mut notices);
    let tags = strings(card.get("tags"));
    let tasks = card::tasks(&card, &tags, &arch, has_card, dir, &mut notices)?;
    let domain = card::domain(&tags, has_card, &mut notices);
    let repo_name = id.rsplit('/').next().unwrap_or(&id).to_string();
    let instruction_tuned = card::instruction_tuned(&tags, &repo_name, &mut notices);

    // Benchmarks.
    let benchmarks = benchmarks::benchmarks(
        &card,
        &format!("model-index in README.md {revision}"),
        &mut notices,
    );

    // Card facts worth a note.
    for base in strings(card.get("base_model")) {
        notes.push(format!("Base model (card): {base}."));
    }
    let datasets = strings(card.get("datasets"));
    if !datasets.is_empty() {
        notes.push(format!(
            "Training data (card datasets): {}.",
            datasets.join(", ")
        ));
    }
    notes.extend(arch.notes.iter().cloned());

    // What nobody states — except where the architecture itself is the objective: Marian and
    // M2M-100 (NLLB) checkpoints are trained on parallel text only, as translation models.
    let objectives: Vec<String> = if matches!(arch.model_type.as_str(), "marian" | "m2m_100") {
        notices.push(Notice::new(
            "objectives",
            NoticeKind::Derived,
            format!(
                "translation: `{}` checkpoints are trained on parallel text as translation models",
                arch.model_type
            ),
        ));
        vec!["translation".to_string()]
    } else {
        notices.push(Notice::new(
            "objectives",
            NoticeKind::Absent,
            "neither config.json nor the card states the pre-training objectives",
        ));
        Vec::new()
    };
    notices.push(Notice::new(
        "released",
        NoticeKind::Absent,
        "neither config.json nor the card states a release date",
    ));
    if matches!(
        arch.positional,
        Some(Positional::Rope | Positional::Relative | Positional::Sinusoidal)
    ) {
        notices.push(Notice::new(
            "context_length",
            NoticeKind::Absent,
            "config.json sizes the position table; the trained context is stated in cards and papers",
        ));
    }
    if arch.experts.is_some() {
        notices.push(Notice::new(
            "active_parameters_m",
            NoticeKind::Absent,
            "parameters used per token are published in cards, not in config.json",
        ));
    }

    // One-way translation: OPUS-MT checkpoints are named `opus-mt-SRC-TGT` (Helsinki-NLP's
    // naming scheme), and translate SRC into TGT only.
    let (translates_from, translates_into) = opus_direction(&arch.model_type, &id, &languages);
    if !translates_from.is_empty() {
        notices.push(Notice::new(
            "translates_from",
            NoticeKind::Derived,
            format!(
                "{} → {}: from the OPUS-MT name `opus-mt-SRC-TGT`",
                translates_from[0], translates_into[0]
            ),
        ));
    }
    let mut model = Model {
        id: id.clone(),
        name: repo_name,
        family: arch.family,
        objectives,
        parameters_m: round_m(parameters),
        parameters_basis: basis,
        layers: arch.layers,
        decoder_layers: None,
        hidden_size: arch.hidden_size,
        attention_heads: arch.attention_heads,
        head_size: None,
        kv_heads: None,
        intermediate_size: None,
        gated_ffn: false,
        experts: None,
        experts_per_token: None,
        active_parameters_m: None,
        embedding_size: None,
        bottleneck_size: None,
        ffn_stacks: None,
        max_positions: None,
        positional: None,
        context_length: None,
        vocab_size: None,
        languages,
        translates_from,
        translates_into,
        instruction_tuned,
        domain: domain.unwrap_or_default(),
        license,
        released: None,
        tasks,
        benchmarks,
        sources: vec![source.clone()],
        notes,
    };
    arch.apply(&mut model);

    let problems: Vec<String> = Catalog {
        models: vec![model.clone()],
    }
    .check()
    .into_iter()
    .map(|d| d.to_string())
    .collect();
    if !problems.is_empty() {
        return Err(ImportError::Invalid {
            path: path.to_path_buf(),
            problems,
        });
    }
    Ok(Imported {
        model,
        origin: path.to_path_buf(),
        source,
        notices,
        domain_stated: domain.is_some(),
    })
}

/// Millions, to the thousand parameters (the exact count is in the notes).
fn round_m(parameters: u128) -> f64 {
    (parameters as f64 / 1e3).round() / 1e3
}

/// The direction of an OPUS-MT pair, from its name `…/opus-mt-SRC-TGT`, where both codes are
/// among the card's languages; empty for anything else (multi-way models, group codes such as
/// `mul`, names that do not follow the scheme).
fn opus_direction(
    model_type: &str,
    id: &str,
    languages: &[LanguageCode],
) -> (Vec<LanguageCode>, Vec<LanguageCode>) {
    let none = (Vec::new(), Vec::new());
    if model_type != "marian" {
        return none;
    }
    let Some(pair) = id
        .rsplit('/')
        .next()
        .and_then(|n| n.strip_prefix("opus-mt-"))
    else {
        return none;
    };
    let Some((from, to)) = pair.split_once('-') else {
        return none;
    };
    let known = |c: &str| languages.iter().find(|l| l.as_str() == c).cloned();
    match (known(from), known(to)) {
        (Some(f), Some(t)) => (vec![f], vec![t]),
        _ => none,
    }
}
