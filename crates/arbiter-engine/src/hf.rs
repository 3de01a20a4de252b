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
//! This module reads and maps; it prints nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::catalog::{BenchmarkResult, Catalog, Family, Model, ParametersBasis, Positional};
use crate::lang;
use crate::params::{self, ParameterCount};
use crate::task::{BenchmarkKey, Domain, LanguageCode, TaskType};

/// The largest safetensors header read (the format's own reference reader caps it at 100 MB).
pub const MAX_SAFETENSORS_HEADER: u64 = 100_000_000;

/// The `model_type`s [`architecture`] maps.
pub const MODEL_TYPES: &[&str] = &[
    "albert",
    "bart",
    "bert",
    "deberta-v2",
    "distilbert",
    "electra",
    "gemma2",
    "gpt2",
    "llama",
    "m2m_100",
    "marian",
    "mistral",
    "mixtral",
    "modernbert",
    "mpnet",
    "mt5",
    "phi3",
    "qwen2",
    "roberta",
    "t5",
    "xlm-roberta",
];

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

/// Where a model folder's files are, and what it is called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The folder holding `config.json` (a snapshot, in a cache).
    pub dir: PathBuf,
    /// The hub id.
    pub id: String,
    /// The revision, for a cache entry.
    pub revision: Option<String>,
    /// The source line's prefix: `hf-cache models--org--name @ rev` or `hf-folder PATH`.
    pub label: String,
    /// How the revision was chosen, when not from `refs/main`.
    pub revision_note: Option<String>,
}

/// Finds the model files under `path`: a plain folder, a cache entry `models--org--name/`
/// (revision from `refs/main`, else its only or newest snapshot), or a snapshot folder.
pub fn locate(path: &Path) -> Result<Located, ImportError> {
    let layout = |message: String| ImportError::Layout {
        path: path.to_path_buf(),
        message,
    };
    let meta = std::fs::metadata(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(layout(
            "not a folder: give a model folder holding config.json, or a Hugging Face cache entry models--org--name".into(),
        ));
    }
    let name = folder_name(path);
    // A snapshot: models--org--name/snapshots/<revision>.
    if let Some(repo) = path
        .parent()
        .filter(|p| folder_name(p) == "snapshots")
        .and_then(Path::parent)
    {
        let repo_name = folder_name(repo);
        if let Some(id) = cache_id(&repo_name) {
            return Ok(Located {
                dir: path.to_path_buf(),
                id,
                label: format!("hf-cache {repo_name} @ {name}"),
                revision: Some(name),
                revision_note: None,
            });
        }
    }
    if let Some(id) = cache_id(&name) {
        let snapshots = path.join("snapshots");
        if snapshots.is_dir() {
            let (revision, note) = cache_revision(path, &snapshots)?;
            return Ok(Located {
                dir: snapshots.join(&revision),
                id,
                label: format!("hf-cache {name} @ {revision}"),
                revision: Some(revision),
                revision_note: note,
            });
        }
        return Err(layout(format!(
            "looks like a Hugging Face cache entry ({name}) but has no snapshots/ folder"
        )));
    }
    let id = match name.split_once("--") {
        Some((org, rest)) => format!("{org}/{rest}"),
        None => name.clone(),
    };
    Ok(Located {
        dir: path.to_path_buf(),
        id,
        revision: None,
        label: format!("hf-folder {}", tidy(path).display()),
        revision_note: None,
    })
}

/// The path without a trailing separator or `./` segments, as users expect to read it back.
fn tidy(path: &Path) -> PathBuf {
    let tidy: PathBuf = path.components().collect();
    if tidy.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        tidy
    }
}

/// The last component of a path, resolving `.` and `..` where needed.
fn folder_name(path: &Path) -> String {
    match path.file_name() {
        Some(n) => n.to_string_lossy().into_owned(),
        None => std::fs::canonicalize(path)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default(),
    }
}

/// `models--org--name` → `org/name` (`models--gpt2` → `gpt2`).
fn cache_id(folder: &str) -> Option<String> {
    let rest = folder.strip_prefix("models--")?;
    if rest.is_empty() {
        return None;
    }
    Some(match rest.split_once("--") {
        Some((org, name)) => format!("{org}/{name}"),
        None => rest.to_string(),
    })
}

fn cache_revision(repo: &Path, snapshots: &Path) -> Result<(String, Option<String>), ImportError> {
    let io = |path: &Path, source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let refs_main = repo.join("refs").join("main");
    if refs_main.is_file() {
        let rev = std::fs::read_to_string(&refs_main)
            .map_err(|e| io(&refs_main, e))?
            .trim()
            .to_string();
        if !rev.is_empty() && snapshots.join(&rev).is_dir() {
            return Ok((rev, None));
        }
        return Err(ImportError::Layout {
            path: refs_main,
            message: format!("names revision `{rev}`, which has no folder under snapshots/"),
        });
    }
    let mut revisions = Vec::new();
    for entry in std::fs::read_dir(snapshots).map_err(|e| io(snapshots, e))? {
        let entry = entry.map_err(|e| io(snapshots, e))?;
        if entry.path().is_dir() {
            let modified = entry.metadata().and_then(|m| m.modified()).ok();
            revisions.push((modified, entry.file_name().to_string_lossy().into_owned()));
        }
    }
    revisions.sort();
    match revisions.as_slice() {
        [] => Err(ImportError::Layout {
            path: snapshots.to_path_buf(),
            message: "has no snapshot folder".into(),
        }),
        [(_, rev)] => Ok((
            rev.clone(),
            Some("no refs/main: the only folder under snapshots/".into()),
        )),
        many => Err(ImportError::Layout {
            path: snapshots.to_path_buf(),
            message: format!(
                "holds {} revisions and no refs/main says which is current ({}): give the snapshot folder itself",
                many.len(),
                many.iter()
                    .map(|(_, r)| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

// ------------------------------------------------------------------------------------------------
// config.json
// ------------------------------------------------------------------------------------------------

/// The architecture fields of a catalog model, as `config.json` states them.
#[derive(Debug, Clone, PartialEq)]
pub struct Architecture {
    /// `model_type`.
    pub model_type: String,
    /// Architecture family.
    pub family: Family,
    /// Encoder layers, or decoder layers of a decoder.
    pub layers: u32,
    /// Decoder layers of an encoder-decoder.
    pub decoder_layers: Option<u32>,
    /// Hidden size.
    pub hidden_size: u32,
    /// Attention heads.
    pub attention_heads: u32,
    /// Key-value heads, where fewer than the attention heads.
    pub kv_heads: Option<u32>,
    /// Head width, where heads × width ≠ hidden size.
    pub head_size: Option<u32>,
    /// Feed-forward width, where not 4 × the hidden size.
    pub intermediate_size: Option<u32>,
    /// A gated feed-forward network.
    pub gated_ffn: bool,
    /// Factorised embedding width, where not the hidden size.
    pub embedding_size: Option<u32>,
    /// Experts per layer.
    pub experts: Option<u32>,
    /// Experts per token.
    pub experts_per_token: Option<u32>,
    /// Position table size.
    pub max_positions: Option<u32>,
    /// Vocabulary size.
    pub vocab_size: Option<u32>,
    /// How positions are encoded.
    pub positional: Option<Positional>,
    /// The parameter count computed from the architecture, where the vocabulary is known.
    pub computed: Option<ParameterCount>,
    /// Facts worth a catalog note (RoPE scaling, sliding windows, differing decoder widths).
    pub notes: Vec<String>,
    /// `architectures`, as listed.
    pub architectures: Vec<String>,
    /// `torch_dtype` (or `dtype`), as stated.
    pub dtype: Option<String>,
}

impl Architecture {
    /// Writes the architecture fields into a catalog model.
    pub fn apply(&self, m: &mut Model) {
        m.family = self.family;
        m.layers = self.layers;
        m.decoder_layers = self.decoder_layers;
        m.hidden_size = self.hidden_size;
        m.attention_heads = self.attention_heads;
        m.kv_heads = self.kv_heads;
        m.head_size = self.head_size;
        m.intermediate_size = self.intermediate_size;
        m.gated_ffn = self.gated_ffn;
        m.embedding_size = self.embedding_size;
        m.experts = self.experts;
        m.experts_per_token = self.experts_per_token;
        m.max_positions = self.max_positions;
        m.vocab_size = self.vocab_size;
        m.positional = self.positional;
    }
}

/// Reads `config.json` (a JSON object) at `path`.
pub fn read_json(path: &Path) -> Result<Value, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    serde_json::from_str(text).map_err(|e| ImportError::Json {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

/// Typed access to a `config.json` object, with errors naming the file and field.
struct Config<'a> {
    map: &'a Map<String, Value>,
    path: &'a Path,
}

impl<'a> Config<'a> {
    fn error(&self, field: &str, message: impl Into<String>) -> ImportError {
        ImportError::Field {
            path: self.path.to_path_buf(),
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// The value of `key`, unless absent or null.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A non-negative integer that fits in 32 bits.
    fn count(&self, key: &str) -> Result<Option<u32>, ImportError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        v.as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| {
                self.error(
                    key,
                    format!("must be a non-negative integer below 2^32, found {v}"),
                )
            })
    }

    /// The first of `keys` present, as a positive integer.
    fn first(&self, keys: &[&str]) -> Result<Option<u32>, ImportError> {
        for key in keys {
            if let Some(n) = self.count(key)? {
                if n == 0 {
                    return Err(self.error(key, "must be positive, found 0"));
                }
                return Ok(Some(n));
            }
        }
        Ok(None)
    }

    /// The first of `keys` present, required.
    fn need(&self, keys: &[&str]) -> Result<u32, ImportError> {
        self.first(keys)?.ok_or_else(|| {
            let names: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
            self.error(
                keys.first().copied().unwrap_or_default(),
                format!("missing ({} expected)", names.join(" or ")),
            )
        })
    }

    fn flag(&self, key: &str, default: bool) -> Result<bool, ImportError> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(self.error(key, format!("must be true or false, found {v}"))),
        }
    }

    fn text(&self, key: &str) -> Result<Option<&'a str>, ImportError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(self.error(key, format!("must be a string, found {v}"))),
        }
    }

    fn signed(&self, key: &str, default: i64) -> Result<i64, ImportError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v
                .as_i64()
                .ok_or_else(|| self.error(key, format!("must be an integer, found {v}"))),
        }
    }
}

/// `Some(value)` unless it equals the catalog default.
fn unless(value: u32, default: u64) -> Option<u32> {
    (u64::from(value) != default).then_some(value)
}

/// Maps a parsed `config.json` to catalog architecture fields, per `model_type`.
pub fn architecture(config: &Value, path: &Path) -> Result<Architecture, ImportError> {
    let Some(map) = config.as_object() else {
        return Err(ImportError::Field {
            path: path.to_path_buf(),
            field: "/".into(),
            message: "config.json must be a JSON object".into(),
        });
    };
    let cfg = Config { map, path };
    let model_type = cfg.text("model_type")?.ok_or_else(|| {
        cfg.error(
            "model_type",
            "missing: config.json must name its model_type",
        )
    })?;
    let architectures = match cfg.get("architectures") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| cfg.error("architectures", "must be a list of class names"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(cfg.error("architectures", "must be a list of class names")),
    };
    let dtype = match cfg.text("torch_dtype")? {
        Some(d) => Some(d.to_string()),
        None => cfg.text("dtype")?.map(str::to_string),
    };
    let mut arch = match model_type {
        "bert" | "roberta" | "xlm-roberta" | "electra" | "albert" | "mpnet" => {
            bert_like(&cfg, model_type)?
        }
        "distilbert" => distilbert(&cfg)?,
        "deberta-v2" => deberta_v2(&cfg)?,
        "modernbert" => modernbert(&cfg)?,
        "gpt2" => gpt2(&cfg)?,
        "llama" | "mistral" | "mixtral" | "qwen2" | "gemma2" | "phi3" => {
            llama_like(&cfg, model_type)?
        }
        "t5" | "mt5" => t5(&cfg, model_type)?,
        "bart" | "marian" | "m2m_100" => seq2seq(&cfg, model_type)?,
        other => {
            return Err(ImportError::UnknownModelType {
                path: path.to_path_buf(),
                model_type: other.to_string(),
            });
        }
    };
    arch.architectures = architectures;
    arch.dtype = dtype;
    Ok(arch)
}

/// A blank architecture to fill in.
fn base(model_type: &str, family: Family, layers: u32, hidden: u32, heads: u32) -> Architecture {
    Architecture {
        model_type: model_type.to_string(),
        family,
        layers,
        decoder_layers: None,
        hidden_size: hidden,
        attention_heads: heads,
        kv_heads: None,
        head_size: None,
        intermediate_size: None,
        gated_ffn: false,
        embedding_size: None,
        experts: None,
        experts_per_token: None,
        max_positions: None,
        vocab_size: None,
        positional: None,
        computed: None,
        notes: Vec::new(),
        architectures: Vec::new(),
        dtype: None,
    }
}

/// BERT, RoBERTa, XLM-R, ELECTRA, ALBERT, MPNet: `modeling_bert.py` and its relatives.
fn bert_like(cfg: &Config, model_type: &str) -> Result<Architecture, ImportError> {
    let layers = cfg.need(&["num_hidden_layers"])?;
    let d = cfg.need(&["hidden_size"])?;
    let heads = cfg.need(&["num_attention_heads"])?;
    let f = cfg.need(&["intermediate_size"])?;
    let mut a = base(model_type, Family::Encoder, layers, d, heads);
    a.vocab_size = cfg.first(&["vocab_size"])?;
    let table = cfg.first(&["max_position_embeddings"])?;
    // RoBERTa, XLM-R and MPNet number positions from `pad_token_id + 1` (fairseq's padding
    // offset), so their table holds `pad_token_id + 1` rows no token uses: 514 rows, 512
    // positions. The catalog's `max_positions` counts the positions a token can use.
    a.max_positions = match model_type {
        "roberta" | "xlm-roberta" | "mpnet" => match table {
            Some(t) => {
                let offset = cfg.first(&["pad_token_id"])?.unwrap_or(1).saturating_add(1);
                a.notes.push(format!(
                    "max_positions: config.json max_position_embeddings {t} less the padding offset of {offset} (positions start after pad_token_id)"
                ));
                Some(t.saturating_sub(offset))
            }
            None => None,
        },
        _ => table,
    };
    a.intermediate_size = unless(f, 4 * u64::from(d));
    let e = match model_type {
        "albert" | "electra" => cfg.need(&["embedding_size"])?,
        _ => d,
    };
    a.embedding_size = unless(e, u64::from(d));
    a.positional = if model_type == "mpnet" {
        // Absolute learned positions, plus a relative-position attention bias.
        a.notes.push(
            "MPNet: learned absolute positions plus a relative-position attention bias (config.json relative_attention_num_buckets)."
                .into(),
        );
        Some(Positional::Learned)
    } else {
        match cfg.text("position_embedding_type")?.unwrap_or("absolute") {
            "absolute" => Some(Positional::Learned),
            "relative_key" | "relative_key_query" => Some(Positional::Relative),
            other => {
                return Err(cfg.error(
                    "position_embedding_type",
                    format!("unknown value `{other}` (absolute, relative_key or relative_key_query expected)"),
                ));
            }
        }
    };
    // ALBERT shares its layers: `num_hidden_groups` groups of `inner_group_num` layers hold
    // every parameter.
    let distinct = if model_type == "albert" {
        let groups = cfg.first(&["num_hidden_groups"])?.unwrap_or(1);
        let inner = cfg.first(&["inner_group_num"])?.unwrap_or(1);
        groups.saturating_mul(inner)
    } else {
        layers
    };
    let token_types = cfg.count("type_vocab_size")?.unwrap_or(2);
    let relative_bias = if model_type == "mpnet" {
        cfg.count("relative_attention_num_buckets")?
            .unwrap_or(32)
            .saturating_mul(heads)
    } else {
        0
    };
    if let (Some(vocab), Some(positions)) = (a.vocab_size, table) {
        a.computed = Some(params::encoder(&params::EncoderShape {
            vocab,
            positions,
            token_types: if model_type == "mpnet" {
                0
            } else {
                token_types
            },
            embedding: e,
            hidden: d,
            layers: distinct,
            ffn: f,
            pooler: model_type != "electra",
            relative_bias,
        }));
    }
    Ok(a)
}

/// DistilBERT: `n_layers`, `dim`, `n_heads`, `hidden_dim`.
fn distilbert(cfg: &Config) -> Result<Architecture, ImportError> {
    let layers = cfg.need(&["n_layers", "num_hidden_layers"])?;
    let d = cfg.need(&["dim", "hidden_size"])?;
    let heads = cfg.need(&["n_heads", "num_attention_heads"])?;
    let f = cfg.need(&["hidden_dim", "intermediate_size"])?;
    let mut a = base("distilbert", Family::Encoder, layers, d, heads);
    a.vocab_size = cfg.first(&["vocab_size"])?;
    a.max_positions = cfg.first(&["max_position_embeddings"])?;
    a.intermediate_size = unless(f, 4 * u64::from(d));
    let sinusoidal = cfg.flag("sinusoidal_pos_embds", false)?;
    a.positional = Some(if sinusoidal {
        Positional::Sinusoidal
    } else {
        Positional::Learned
    });
    if let (Some(vocab), Some(positions)) = (a.vocab_size, a.max_positions) {
        a.computed = Some(params::encoder(&params::EncoderShape {
            vocab,
            positions: if sinusoidal { 0 } else { positions },
            token_types: 0,
            embedding: d,
            hidden: d,
            layers,
            ffn: f,
            pooler: false,
            relative_bias: 0,
        }));
    }
    Ok(a)
}

/// DeBERTa-v2 and v3: `modeling_deberta_v2.py`.
fn deberta_v2(cfg: &Config) -> Result<Architecture, ImportError> {
    let layers = cfg.need(&["num_hidden_layers"])?;
    let d = cfg.need(&["hidden_size"])?;
    let heads = cfg.need(&["num_attention_heads"])?;
    let f = cfg.need(&["intermediate_size"])?;
    let mut a = base("deberta-v2", Family::Encoder, layers, d, heads);
    a.vocab_size = cfg.first(&["vocab_size"])?;
    a.max_positions = cfg.first(&["max_position_embeddings"])?;
    a.intermediate_size = unless(f, 4 * u64::from(d));
    let e = cfg.first(&["embedding_size"])?.unwrap_or(d);
    a.embedding_size = unless(e, u64::from(d));
    let relative = cfg.flag("relative_attention", false)?;
    let biased_input = cfg.flag("position_biased_input", true)?;
    a.positional = if relative {
        Some(Positional::Relative)
    } else if biased_input {
        Some(Positional::Learned)
    } else {
        None
    };
    let positions = a.max_positions.unwrap_or(0);
    let relative_rows = if relative {
        let buckets = cfg.signed("position_buckets", -1)?;
        let max_rel = cfg.signed("max_relative_positions", -1)?;
        let size = if buckets > 0 {
            buckets
        } else if max_rel > 0 {
            max_rel
        } else {
            i64::from(positions)
        };
        u32::try_from(2 * size).unwrap_or(u32::MAX)
    } else {
        0
    };
    let norm = cfg
        .text("norm_rel_ebd")?
        .unwrap_or("none")
        .split('|')
        .any(|s| s.trim() == "layer_norm");
    let pos_att: Vec<String> = match cfg.get("pos_att_type") {
        Some(Value::Array(v)) => v
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => s.split('|').map(|x| x.trim().to_string()).collect(),
        _ => Vec::new(),
    };
    let projections = if relative && !cfg.flag("share_att_key", false)? {
        u32::from(pos_att.iter().any(|p| p == "c2p"))
            + u32::from(pos_att.iter().any(|p| p == "p2c"))
    } else {
        0
    };
    if cfg.count("conv_kernel_size")?.is_some_and(|k| k > 0) {
        a.notes.push(
            "config.json conv_kernel_size > 0: the convolution layer beside the first layer is not in the computed count."
                .into(),
        );
    }
    if let Some(vocab) = a.vocab_size {
        a.computed = Some(params::deberta_v2(&params::DebertaV2Shape {
            vocab,
            positions: if biased_input { positions } else { 0 },
            token_types: cfg.count("type_vocab_size")?.unwrap_or(0),
            embedding: e,
            hidden: d,
            layers,
            ffn: f,
            relative_rows,
            relative_norm: norm,
            position_projections: projections,
        }));
    }
    Ok(a)
}

/// ModernBERT: rotary positions, a gated feed-forward network.
fn modernbert(cfg: &Config) -> Result<Architecture, ImportError> {
    let layers = cfg.need(&["num_hidden_layers"])?;
    let d = cfg.need(&["hidden_size"])?;
    let heads = cfg.need(&["num_attention_heads"])?;
    let f = cfg.need(&["intermediate_size"])?;
    let mut a = base("modernbert", Family::Encoder, layers, d, heads);
    a.vocab_size = cfg.first(&["vocab_size"])?;
    a.max_positions = cfg.first(&["max_position_embeddings"])?;
    a.intermediate_size = unless(f, 4 * u64::from(d));
    a.gated_ffn = true;
    a.positional = Some(Positional::Rope);
    if let Some(vocab) = a.vocab_size {
        a.computed = Some(params::modernbert(&params::ModernBertShape {
            vocab,
            hidden: d,
            layers,
            ffn: f,
            attention_bias: cfg.flag("attention_bias", false)?,
            mlp_bias: cfg.flag("mlp_bias", false)?,
            norm_bias: cfg.flag("norm_bias", false)?,
        }));
    }
    Ok(a)
}

/// GPT-2: `n_layer`, `n_embd`, `n_head`, `n_inner` (null: 4 × `n_embd`), `n_positions`.
fn gpt2(cfg: &Config) -> Result<Architecture, ImportError> {
    let layers = cfg.need(&["n_layer", "num_hidden_layers"])?;
    let d = cfg.need(&["n_embd", "hidden_size"])?;
    let heads = cfg.need(&["n_head", "num_attention_heads"])?;
    let f = cfg.first(&["n_inner"])?.unwrap_or(d.saturating_mul(4));
    let mut a = base("gpt2", Family::Decoder, layers, d, heads);
    a.vocab_size = cfg.first(&["vocab_size"])?;
    a.max_positions = cfg.first(&["n_positions", "max_position_embeddings"])?;
    a.intermediate_size = unless(f, 4 * u64::from(d));
    a.positional = Some(Positional::Learned);
    if let (Some(vocab), Some(positions)) = (a.vocab_size, a.max_positions) {
        a.computed = Some(params::gpt2(&params::Gpt2Shape {
            vocab,
            positions,
            hidden: d,
            layers,
            ffn: f,
        }));
    }
    Ok(a)
}

/// Llama and its relatives (Mistral, Mixtral, Qwen2, Gemma 2, Phi-3): rotary positions, gated
/// feed-forward networks, grouped-query attention.
fn llama_like(cfg: &Config, model_type: &str) -> Result<Architecture, ImportError> {
    let layers = cfg.need(&["num_hidden_layers"])?;
    let d = cfg.need(&["hidden_size"])?;
    let heads = cfg.need(&["num_attention_heads"])?;
    let f = cfg.need(&["intermediate_size"])?;
    // Each config class defaults `num_key_value_heads` to the attention heads and `head_dim`
    // to hidden / heads.
    let kv = cfg.first(&["num_key_value_heads"])?.unwrap_or(heads);
    let head_dim = match cfg.first(&["head_dim"])? {
        Some(h) => h,
        None if d.is_multiple_of(heads) => d / heads,
        None => {
            return Err(cfg.error(
                "head_dim",
                format!("missing, and hidden_size {d} does not split into {heads} heads"),
            ));
        }
    };
    let mut a = base(model_type, Family::Decoder, layers, d, heads);
    a.vocab_size = cfg.first(&["vocab_size"])?;
    a.max_positions = cfg.first(&["max_position_embeddings"])?;
    a.kv_heads = (kv < heads).then_some(kv);
    a.head_size = (u64::from(heads) * u64::from(head_dim) != u64::from(d)).then_some(head_dim);
    a.intermediate_size = unless(f, 4 * u64::from(d));
    a.gated_ffn = true;
    a.positional = Some(Positional::Rope);
    let experts = if model_type == "mixtral" {
        let e = cfg.need(&["num_local_experts"])?;
        let k = cfg.need(&["num_experts_per_tok"])?;
        a.experts = Some(e);
        a.experts_per_token = Some(k);
        e
    } else {
        1
    };
    if let Some(Value::Object(rope)) = cfg.get("rope_scaling") {
        let kind = rope
            .get("rope_type")
            .or_else(|| rope.get("type"))
            .and_then(Value::as_str)
            .unwrap_or("unnamed");
        let mut note = format!("config.json rope_scaling: {kind}");
        if let Some(x) = rope.get("factor").filter(|v| v.is_number()) {
            note.push_str(&format!(", factor {x}"));
        }
        if let Some(x) = rope
            .get("original_max_position_embeddings")
            .filter(|v| v.is_number())
        {
            note.push_str(&format!(", original_max_position_embeddings {x}"));
        }
        a.notes.push(format!("{note}."));
    }
    let sliding = cfg.count("sliding_window")?;
    let uses_sliding = match model_type {
        "qwen2" => cfg.flag("use_sliding_window", false)?,
        _ => true,
    };
    if let (Some(w), true) = (sliding, uses_sliding) {
        a.notes
            .push(format!("config.json sliding_window: {w} tokens."));
    }
    // Defaults of each config class: only Gemma 2 ties its output layer by default.
    let tied = cfg.flag("tie_word_embeddings", model_type == "gemma2")?;
    let (qkv_bias, o_bias) = match model_type {
        "qwen2" => (true, false),
        "llama" | "gemma2" => {
            let b = cfg.flag("attention_bias", false)?;
            (b, b)
        }
        _ => (false, false),
    };
    let mlp_bias = model_type == "llama" && cfg.flag("mlp_bias", false)?;
    if let Some(vocab) = a.vocab_size {
        a.computed = Some(params::decoder(&params::DecoderShape {
            vocab,
            hidden: d,
            layers,
            heads,
            kv_heads: kv,
            head_dim,
            ffn: f,
            experts,
            qkv_bias,
            o_bias,
            mlp_bias,
            norms_per_layer: if model_type == "gemma2" { 4 } else { 2 },
            tied,
        }));
    }
    Ok(a)
}

/// T5 and mT5: `num_layers`, `num_decoder_layers`, `d_model`, `num_heads`, `d_kv`, `d_ff`.
fn t5(cfg: &Config, model_type: &str) -> Result<Architecture, ImportError> {
    let layers = cfg.need(&["num_layers"])?;
    let decoder_layers = cfg.first(&["num_decoder_layers"])?.unwrap_or(layers);
    let d = cfg.need(&["d_model"])?;
    let heads = cfg.need(&["num_heads"])?;
    let d_kv = cfg.need(&["d_kv"])?;
    let f = cfg.need(&["d_ff"])?;
    let mut a = base(model_type, Family::EncoderDecoder, layers, d, heads);
    a.decoder_layers = Some(decoder_layers);
    a.vocab_size = cfg.first(&["vocab_size"])?;
    a.max_positions = cfg.first(&["n_positions"])?;
    a.head_size = (u64::from(heads) * u64::from(d_kv) != u64::from(d)).then_some(d_kv);
    a.intermediate_size = unless(f, 4 * u64::from(d));
    let default_proj = if model_type == "mt5" {
        "gated-gelu"
    } else {
        "relu"
    };
    a.gated_ffn = cfg
        .text("feed_forward_proj")?
        .unwrap_or(default_proj)
        .starts_with("gated-");
    a.positional = Some(Positional::Relative);
    if let Some(vocab) = a.vocab_size {
        a.computed = Some(params::t5(&params::T5Shape {
            vocab,
            hidden: d,
            heads,
            head_dim: d_kv,
            ffn: f,
            layers,
            decoder_layers,
            gated: a.gated_ffn,
            buckets: cfg.count("relative_attention_num_buckets")?.unwrap_or(32),
            tied: cfg.flag("tie_word_embeddings", model_type == "t5")?,
        }));
    }
    Ok(a)
}

/// BART, Marian, M2M-100 (and NLLB): `encoder_layers`, `decoder_layers`, `d_model`,
/// `encoder_attention_heads`, `encoder_ffn_dim`.
fn seq2seq(cfg: &Config, model_type: &str) -> Result<Architecture, ImportError> {
    let layers = cfg.need(&["encoder_layers", "num_hidden_layers"])?;
    let decoder_layers = cfg.need(&["decoder_layers"])?;
    let d = cfg.need(&["d_model"])?;
    let heads = cfg.need(&["encoder_attention_heads"])?;
    let f = cfg.need(&["encoder_ffn_dim"])?;
    let decoder_heads = cfg.first(&["decoder_attention_heads"])?.unwrap_or(heads);
    let decoder_f = cfg.first(&["decoder_ffn_dim"])?.unwrap_or(f);
    let mut a = base(model_type, Family::EncoderDecoder, layers, d, heads);
    a.decoder_layers = Some(decoder_layers);
    a.vocab_size = cfg.first(&["vocab_size"])?;
    a.max_positions = cfg.first(&["max_position_embeddings"])?;
    a.intermediate_size = unless(f, 4 * u64::from(d));
    if decoder_heads != heads {
        a.notes.push(format!(
            "config.json: the decoder has {decoder_heads} attention heads, the encoder {heads} (the catalog holds the encoder's)."
        ));
    }
    if decoder_f != f {
        a.notes.push(format!(
            "config.json: the decoder's feed-forward width is {decoder_f}, the encoder's {f} (the catalog holds the encoder's)."
        ));
    }
    let bart = model_type == "bart";
    a.positional = Some(if bart {
        Positional::Learned
    } else {
        Positional::Sinusoidal
    });
    let shared = model_type != "marian" || cfg.flag("share_encoder_decoder_embeddings", true)?;
    if !shared {
        a.notes.push(
            "config.json share_encoder_decoder_embeddings is false: the decoder's own embeddings (decoder_vocab_size) are counted as one more vocabulary matrix."
                .into(),
        );
    }
    if let Some(vocab) = a.vocab_size {
        a.computed = Some(params::seq2seq(&params::Seq2SeqShape {
            vocab,
            hidden: d,
            layers,
            decoder_layers,
            encoder_ffn: f,
            decoder_ffn: decoder_f,
            // BART's learned table has two extra rows (the fairseq padding offset).
            learned_positions: if bart {
                a.max_positions.unwrap_or(0).saturating_add(2)
            } else {
                0
            },
            embedding_norm: bart,
            final_norm: model_type == "m2m_100",
            untied_output: !shared || !cfg.flag("tie_word_embeddings", true)?,
        }));
    }
    Ok(a)
}

// ------------------------------------------------------------------------------------------------
// The model card
// ------------------------------------------------------------------------------------------------

/// The YAML front matter of a model card: the text between a first line `---` and the next
/// `---`. `Ok(None)` when the card has none.
pub fn front_matter(text: &str) -> Result<Option<&str>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    match lines.next() {
        Some(first) if first.trim_end() == "---" => {}
        _ => return Ok(None),
    }
    let start = text.find('\n').map_or(text.len(), |i| i + 1);
    let mut at = start;
    for line in lines {
        if line.trim_end() == "---" {
            return Ok(Some(&text[start..at]));
        }
        at += line.len();
    }
    Err("the front matter opened by `---` on line 1 is never closed".into())
}

/// Reads a card's front matter as a JSON object (empty when the card has none).
pub fn read_card(path: &Path) -> Result<Option<Map<String, Value>>, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let error = |message: String| ImportError::Field {
        path: path.to_path_buf(),
        field: "front matter".into(),
        message,
    };
    let Some(yaml) = front_matter(&text).map_err(error)? else {
        return Ok(None);
    };
    if yaml.trim().is_empty() {
        return Ok(Some(Map::new()));
    }
    let value: serde_yaml::Value = serde_yaml::from_str(yaml).map_err(|e| {
        // The front matter starts on line 2 of the file.
        let at = e.location().map_or(String::new(), |l| {
            format!("line {} of the file: ", l.line() + 1)
        });
        error(format!(
            "{at}invalid YAML (the parser counts from the line after the opening ---): {e}"
        ))
    })?;
    match serde_json::to_value(&value) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        Ok(Value::Null) => Ok(Some(Map::new())),
        Ok(_) => Err(error("must be a YAML mapping".into())),
        Err(e) => Err(error(format!("cannot be read: {e}"))),
    }
}

/// One value or a list of them, as strings (a card's `language`, `tags`, `datasets`).
fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|x| match x {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Maps a Hugging Face licence id to SPDX where they differ only in spelling.
pub fn spdx_license(hf: &str) -> String {
    let known = [
        ("apache-2.0", "Apache-2.0"),
        ("mit", "MIT"),
        ("cc-by-4.0", "CC-BY-4.0"),
        ("cc-by-sa-4.0", "CC-BY-SA-4.0"),
        ("cc-by-nc-4.0", "CC-BY-NC-4.0"),
        ("cc-by-nc-sa-4.0", "CC-BY-NC-SA-4.0"),
        ("cc-by-nc-nd-4.0", "CC-BY-NC-ND-4.0"),
        ("cc0-1.0", "CC0-1.0"),
        ("bsd-2-clause", "BSD-2-Clause"),
        ("bsd-3-clause", "BSD-3-Clause"),
        ("gpl-2.0", "GPL-2.0"),
        ("gpl-3.0", "GPL-3.0"),
        ("lgpl-3.0", "LGPL-3.0"),
        ("agpl-3.0", "AGPL-3.0"),
        ("mpl-2.0", "MPL-2.0"),
        ("unlicense", "Unlicense"),
    ];
    let lower = hf.trim().to_ascii_lowercase();
    known
        .iter()
        .find(|(k, _)| *k == lower)
        .map_or_else(|| hf.trim().to_string(), |(_, spdx)| (*spdx).to_string())
}

/// A task for a model class, as the Hugging Face hub infers one from `architectures`.
pub fn task_for_class(class: &str) -> Option<TaskType> {
    let task = if class.ends_with("ForSequenceClassification") {
        TaskType::TextClassification
    } else if class.ends_with("ForTokenClassification") {
        TaskType::TokenClassification
    } else if class.ends_with("ForQuestionAnswering") {
        TaskType::QuestionAnswering
    } else if class.ends_with("ForMaskedLM") {
        TaskType::FillMask
    } else if class.ends_with("ForCausalLM") || class.ends_with("LMHeadModel") {
        TaskType::TextGeneration
    } else if class == "MarianMTModel" || class == "M2M100ForConditionalGeneration" {
        TaskType::Translation
    } else if class.ends_with("ForConditionalGeneration") {
        // T5, BART: the hub's text2text-generation, an alias of text-generation here.
        TaskType::TextGeneration
    } else if class.ends_with("Model") && !class.ends_with("PreTrainedModel") {
        // The bare encoder (`BertModel`): hidden states, i.e. features.
        TaskType::FeatureExtraction
    } else {
        return None;
    };
    Some(task)
}

/// The domain a card tag names, where it names one unambiguously.
fn domain_for_tag(tag: &str) -> Option<Domain> {
    match tag.to_ascii_lowercase().as_str() {
        "biology" | "medical" | "biomedical" => Some(Domain::Biomedical),
        "legal" => Some(Domain::Legal),
        "finance" => Some(Domain::Finance),
        "code" => Some(Domain::Code),
        _ => None,
    }
}

/// Whether a name or tag says instruction tuning: a word `instruct…`, `chat` or
/// `conversational`.
fn says_instruct(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .map(str::to_ascii_lowercase)
        .any(|w| w.starts_with("instruct") || w == "chat" || w == "conversational")
}

/// A benchmark key from a `model-index` dataset: `squad` → `squad-v1.1`, `squad_v2` →
/// `squad-v2.0`, `glue` with config `mnli` → `mnli`, `wikitext` with a `wikitext-103…` config
/// → `wikitext-103`; otherwise the type (or name), lower case, in `[a-z0-9][a-z0-9.-]*`.
pub fn benchmark_key(dataset_type: &str, config: Option<&str>) -> Option<BenchmarkKey> {
    let norm = |s: &str| -> String {
        let s = s.rsplit('/').next().unwrap_or(s).to_ascii_lowercase();
        let mut out = String::new();
        for c in s.chars() {
            let c = if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            };
            if !(c == '-' && (out.is_empty() || out.ends_with('-'))) {
                out.push(c);
            }
        }
        out.trim_end_matches('-').to_string()
    };
    let t = norm(dataset_type);
    let config = config.map(norm).filter(|c| !c.is_empty());
    let key = match (t.as_str(), config.as_deref()) {
        ("squad", _) => "squad-v1.1".to_string(),
        ("squad-v2", _) => "squad-v2.0".to_string(),
        ("glue" | "super-glue", Some(c)) => c.to_string(),
        ("wikitext", Some(c)) if c.starts_with("wikitext-103") => "wikitext-103".to_string(),
        ("wikitext", Some(c)) if c.starts_with("wikitext-2") => "wikitext-2".to_string(),
        _ => t,
    };
    let key = key.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
    (!key.is_empty()).then(|| BenchmarkKey(key.to_string()))
}

/// Metrics preferred as a benchmark's score when a result reports several.
const PREFERRED_METRICS: &[&str] = &[
    "f1",
    "accuracy",
    "matthews_correlation",
    "spearmanr",
    "pearsonr",
];

/// Metrics where a lower figure is better.
fn lower_is_better(metric: &str) -> bool {
    let m = metric.to_ascii_lowercase();
    ["perplexity", "wer", "cer", "loss", "ter"]
        .iter()
        .any(|x| m == *x || m.ends_with(&format!("_{x}")) || m.starts_with(&format!("{x}_")))
}

fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64().filter(|x| x.is_finite()),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
        _ => None,
    }
}

/// Benchmarks from a card's `model-index`: one per dataset, its score the preferred metric
/// (`f1`, `accuracy`, …, else the first), the other metrics in `detail`.
fn benchmarks(
    card: &Map<String, Value>,
    source: &str,
    notices: &mut Vec<Notice>,
) -> BTreeMap<BenchmarkKey, BenchmarkResult> {
    let mut out = BTreeMap::new();
    let Some(index) = card.get("model-index").and_then(Value::as_array) else {
        return out;
    };
    for (i, entry) in index.iter().enumerate() {
        let Some(results) = entry.get("results").and_then(Value::as_array) else {
            continue;
        };
        for (j, result) in results.iter().enumerate() {
            let at = format!("model-index/{i}/results/{j}");
            let dataset = result.get("dataset");
            let text = |k: &str| dataset.and_then(|d| d.get(k)).and_then(Value::as_str);
            let Some(key) = text("type")
                .or_else(|| text("name"))
                .and_then(|t| benchmark_key(t, text("config")))
            else {
                notices.push(Notice::new(
                    "benchmarks",
                    NoticeKind::Dropped,
                    format!("{at}: no dataset type or name to key it by"),
                ));
                continue;
            };
            let metrics: Vec<(String, f64, Option<bool>)> = result
                .get("metrics")
                .and_then(Value::as_array)
                .map(|ms| {
                    ms.iter()
                        .filter_map(|m| {
                            let kind = m
                                .get("type")
                                .or_else(|| m.get("name"))
                                .and_then(Value::as_str)?;
                            let value = number(m.get("value"))?;
                            Some((
                                kind.to_string(),
                                value,
                                m.get("verified").and_then(Value::as_bool),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let chosen = PREFERRED_METRICS
                .iter()
                .find_map(|p| metrics.iter().position(|(k, ..)| k.eq_ignore_ascii_case(p)))
                .or_else(|| (!metrics.is_empty()).then_some(0));
            let Some(chosen) = chosen else {
                notices.push(Notice::new(
                    "benchmarks",
                    NoticeKind::Dropped,
                    format!("{at} ({}): no metric with a numeric value", key.as_str()),
                ));
                continue;
            };
            if out.contains_key(&key) {
                notices.push(Notice::new(
                    "benchmarks",
                    NoticeKind::Dropped,
                    format!(
                        "{at}: a second result for `{}`; the first one is kept",
                        key.as_str()
                    ),
                ));
                continue;
            }
            let (metric, score, verified) = metrics[chosen].clone();
            let others: Vec<String> = metrics
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != chosen)
                .map(|(_, (m, v, _))| format!("{m} {v}"))
                .collect();
            if score.abs() <= 1.0 && !lower_is_better(&metric) {
                notices.push(Notice::new(
                    "benchmarks",
                    NoticeKind::Derived,
                    format!("{}: {metric} {score} looks like a fraction where the catalog's figures are mostly percentages; kept as published", key.as_str()),
                ));
            }
            out.insert(
                key,
                BenchmarkResult {
                    score,
                    lower_is_better: lower_is_better(&metric),
                    metric: Some(metric),
                    split: text("split").map(str::to_string),
                    setting: None,
                    verified,
                    detail: (!others.is_empty()).then(|| others.join("; ")),
                    source: source.to_string(),
                },
            );
        }
    }
    out
}

// ------------------------------------------------------------------------------------------------
// Weights
// ------------------------------------------------------------------------------------------------

/// What a safetensors header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafetensorsHeader {
    /// Parameters: the sum over tensors of their shape products.
    pub parameters: u128,
    /// Tensors per dtype.
    pub dtypes: BTreeMap<String, usize>,
}

/// Bytes per element of a safetensors dtype, where it is a whole number.
fn dtype_bytes(dtype: &str) -> Option<u128> {
    Some(match dtype {
        "F64" | "I64" | "U64" => 8,
        "F32" | "I32" | "U32" => 4,
        "F16" | "BF16" | "I16" | "U16" => 2,
        "I8" | "U8" | "BOOL" | "F8_E4M3" | "F8_E5M2" => 1,
        _ => return None,
    })
}

/// Reads only the header of a safetensors file — an 8-byte little-endian length, then that
/// many bytes of JSON mapping tensor names to `{dtype, shape, data_offsets}` — and counts the
/// parameters. The tensor data is never read; its extent is checked against the file size.
pub fn safetensors_header(path: &Path) -> Result<SafetensorsHeader, ImportError> {
    let bad = |message: String| ImportError::Safetensors {
        path: path.to_path_buf(),
        message,
    };
    let io = |source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let mut head = [0u8; 8];
    if size < 8 {
        return Err(bad(format!(
            "the file has {size} bytes, fewer than the 8-byte header length"
        )));
    }
    file.read_exact(&mut head).map_err(io)?;
    if &head == b"version " {
        return Err(bad(
            "this is a Git LFS pointer, not the weights (fetch them with `git lfs pull`)".into(),
        ));
    }
    let n = u64::from_le_bytes(head);
    if n > MAX_SAFETENSORS_HEADER {
        return Err(bad(format!(
            "the header claims {n} bytes, more than the {MAX_SAFETENSORS_HEADER}-byte limit"
        )));
    }
    if 8 + n > size {
        return Err(bad(format!(
            "the header claims {n} bytes but the file has only {size}"
        )));
    }
    let mut json = Vec::new();
    file.take(n).read_to_end(&mut json).map_err(io)?;
    let value: Value = serde_json::from_slice(&json).map_err(|e| bad(format!("not JSON: {e}")))?;
    let Value::Object(tensors) = value else {
        return Err(bad("not a JSON object".into()));
    };
    let mut parameters: u128 = 0;
    let mut dtypes = BTreeMap::new();
    let mut end_of_data: u128 = 0;
    for (name, t) in &tensors {
        if name == "__metadata__" {
            continue;
        }
        let dtype = t
            .get("dtype")
            .and_then(Value::as_str)
            .ok_or_else(|| bad(format!("tensor `{name}` has no dtype")))?;
        let shape = t
            .get("shape")
            .and_then(Value::as_array)
            .ok_or_else(|| bad(format!("tensor `{name}` has no shape")))?;
        let mut elements: u128 = 1;
        for dim in shape {
            let dim = dim
                .as_u64()
                .ok_or_else(|| bad(format!("tensor `{name}` has a shape entry {dim}")))?;
            elements = elements
                .checked_mul(u128::from(dim))
                .ok_or_else(|| bad(format!("tensor `{name}` is impossibly large")))?;
        }
        let offsets = t
            .get("data_offsets")
            .and_then(Value::as_array)
            .filter(|o| o.len() == 2)
            .and_then(|o| Some((o[0].as_u64()?, o[1].as_u64()?)))
            .ok_or_else(|| bad(format!("tensor `{name}` has no data_offsets [begin, end]")))?;
        let (begin, end) = (u128::from(offsets.0), u128::from(offsets.1));
        if end < begin {
            return Err(bad(format!("tensor `{name}` ends before it begins")));
        }
        if let Some(b) = dtype_bytes(dtype)
            && elements.checked_mul(b) != Some(end - begin)
        {
            return Err(bad(format!(
                "tensor `{name}`: {elements} {dtype} elements do not take the {} bytes its offsets give",
                end - begin
            )));
        }
        end_of_data = end_of_data.max(end);
        parameters = parameters.saturating_add(elements);
        *dtypes.entry(dtype.to_string()).or_insert(0) += 1;
    }
    let available = u128::from(size - 8 - n);
    if end_of_data > available {
        return Err(bad(format!(
            "the header describes {end_of_data} bytes of tensor data but only {available} follow it (an incomplete download?)"
        )));
    }
    Ok(SafetensorsHeader { parameters, dtypes })
}

/// Where the parameter count came from.
enum Count {
    Stated { parameters: u128, note: String },
    Computed(ParameterCount),
}

/// The parameter count: the index's `total_parameters`, else the safetensors headers, else the
/// architecture. `files` collects the files read.
fn parameter_count(
    dir: &Path,
    arch: &Architecture,
    files: &mut Vec<String>,
    notices: &mut Vec<Notice>,
) -> Result<Option<Count>, ImportError> {
    let index_path = dir.join("model.safetensors.index.json");
    let mut shards: Option<Vec<String>> = None;
    if index_path.is_file() {
        let index = read_json(&index_path)?;
        files.push("model.safetensors.index.json".into());
        let meta = index.get("metadata");
        if let Some(n) = meta
            .and_then(|m| m.get("total_parameters"))
            .and_then(Value::as_u64)
        {
            return Ok(Some(Count::Stated {
                parameters: u128::from(n),
                note: format!(
                    "parameters_m: {n} parameters, model.safetensors.index.json metadata.total_parameters."
                ),
            }));
        }
        if let Some(size) = meta
            .and_then(|m| m.get("total_size"))
            .and_then(Value::as_u64)
        {
            // Dividing by the dtype's width is only right if every tensor has that dtype,
            // which only the shard headers can show — and with them the count is exact anyway.
            notices.push(Notice::new(
                "parameters_m",
                NoticeKind::Dropped,
                format!(
                    "model.safetensors.index.json total_size {size} bytes is not divided by {}'s width: only the shard headers show every tensor's dtype",
                    arch.dtype.as_deref().unwrap_or("torch_dtype")
                ),
            ));
        }
        let mut names: Vec<String> = index
            .get("weight_map")
            .and_then(Value::as_object)
            .map(|m| {
                m.values()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names.dedup();
        shards = Some(names);
    }
    let weight_files = match shards {
        Some(names) => {
            let missing: Vec<&String> = names.iter().filter(|n| !dir.join(n).is_file()).collect();
            if names.is_empty() || !missing.is_empty() {
                if !names.is_empty() {
                    notices.push(Notice::new(
                        "parameters_m",
                        NoticeKind::Derived,
                        format!(
                            "{} of {} weight files named by the index are absent, so their headers could not be read",
                            missing.len(),
                            names.len()
                        ),
                    ));
                }
                Vec::new()
            } else {
                names
            }
        }
        None => {
            let mut found = Vec::new();
            let entries = std::fs::read_dir(dir).map_err(|source| ImportError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.ends_with(".safetensors") && entry.path().is_file() {
                    found.push(name);
                }
            }
            found.sort();
            if found.iter().any(|n| n == "model.safetensors") {
                vec!["model.safetensors".to_string()]
            } else if found.len() <= 1 {
                found
            } else {
                notices.push(Notice::new(
                    "parameters_m",
                    NoticeKind::Derived,
                    format!(
                        "several safetensors files and no index to say which make up the model ({}): none counted",
                        found.join(", ")
                    ),
                ));
                Vec::new()
            }
        }
    };
    if !weight_files.is_empty() {
        let mut total: u128 = 0;
        let mut dtypes: BTreeMap<String, usize> = BTreeMap::new();
        for name in &weight_files {
            let header = safetensors_header(&dir.join(name))?;
            total = total.saturating_add(header.parameters);
            for (d, n) in header.dtypes {
                *dtypes.entry(d).or_insert(0) += n;
            }
            files.push(format!("{name} (header)"));
        }
        let dtypes: Vec<String> = dtypes.iter().map(|(d, n)| format!("{n} {d}")).collect();
        return Ok(Some(Count::Stated {
            parameters: total,
            note: format!(
                "parameters_m: {total} parameters, the sum of the tensor shapes in the safetensors header{} of {} (tensors: {}).",
                if weight_files.len() == 1 { "" } else { "s" },
                weight_files.join(", "),
                dtypes.join(", ")
            ),
        }));
    }
    Ok(arch.computed.clone().map(Count::Computed))
}

// ------------------------------------------------------------------------------------------------
// Import
// ------------------------------------------------------------------------------------------------

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
    let no_card = |what: &str| {
        if has_card {
            format!("the card states no {what}")
        } else {
            format!("no README.md, so no card states the {what}")
        }
    };

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

    // Languages.
    let mut languages: Vec<LanguageCode> = Vec::new();
    let stated = strings(card.get("language"));
    for raw in &stated {
        let code = raw.trim().to_ascii_lowercase();
        let code = if lang::is_known(&code) {
            code
        } else if let Some(two) = lang::two_letter_for(&code) {
            notices.push(Notice::new(
                "languages",
                NoticeKind::Derived,
                format!("`{raw}` written as its ISO 639-1 code `{two}`"),
            ));
            two.to_string()
        } else {
            let why = if code == "multilingual" {
                "names no language".to_string()
            } else {
                "is not an ISO 639-1 or 639-3 code".to_string()
            };
            notices.push(Notice::new(
                "languages",
                NoticeKind::Dropped,
                format!("`{raw}` {why}"),
            ));
            continue;
        };
        if !languages.iter().any(|l| l.as_str() == code) {
            languages.push(LanguageCode(code));
        }
    }
    if languages.is_empty() {
        let why = if stated.is_empty() {
            if has_card {
                "the card states none".to_string()
            } else {
                "no README.md, so no card states them".to_string()
            }
        } else {
            "none of the card's languages is an ISO code".to_string()
        };
        notices.push(Notice::new("languages", NoticeKind::Absent, why));
    }

    // Card fields of the wrong shape are reported as such, not as missing.
    for key in ["license", "license_name", "pipeline_tag"] {
        if let Some(v) = card.get(key).filter(|v| !v.is_string() && !v.is_null()) {
            notices.push(Notice::new(
                key,
                NoticeKind::Dropped,
                format!("the card's `{key}` is {v}, not one string: not used"),
            ));
        }
    }
    for key in ["tags", "language", "datasets", "model-index"] {
        if let Some(v) = card
            .get(key)
            .filter(|v| !v.is_array() && !v.is_string() && !v.is_null())
        {
            notices.push(Notice::new(
                key,
                NoticeKind::Dropped,
                format!("the card's `{key}` is {v}, not a list: not used"),
            ));
        }
    }

    // Licence.
    let license = match card.get("license").and_then(Value::as_str).map(str::trim) {
        Some("other") => match card.get("license_name").and_then(Value::as_str) {
            Some(name) => Some(name.trim().to_string()),
            None => {
                notices.push(Notice::new(
                    "license",
                    NoticeKind::Absent,
                    "the card says `other` without a license_name",
                ));
                None
            }
        },
        Some(l) if !l.is_empty() => Some(spdx_license(l)),
        _ => {
            notices.push(Notice::new(
                "license",
                NoticeKind::Absent,
                no_card("licence"),
            ));
            None
        }
    };

    // Tasks: the card's pipeline_tag, else its tags that are task ids, else `architectures`.
    let tags = strings(card.get("tags"));
    let mut tasks: Vec<String> = Vec::new();
    let push = |t: TaskType, tasks: &mut Vec<String>| {
        if !tasks.iter().any(|x| x == t.as_str()) {
            tasks.push(t.as_str().to_string());
        }
    };
    if let Some(tag) = card.get("pipeline_tag").and_then(Value::as_str) {
        match TaskType::parse(tag) {
            Some(t) => push(t, &mut tasks),
            None => notices.push(Notice::new(
                "tasks",
                NoticeKind::Dropped,
                format!(
                    "pipeline_tag `{tag}` is not a task the catalog knows ({})",
                    TaskType::IDS.join(", ")
                ),
            )),
        }
    }
    if tasks.is_empty() {
        let from_tags: Vec<&String> = tags
            .iter()
            .filter(|t| TaskType::parse(t).is_some())
            .collect();
        for t in &from_tags {
            if let Some(task) = TaskType::parse(t) {
                push(task, &mut tasks);
            }
        }
        if !tasks.is_empty() {
            notices.push(Notice::new(
                "tasks",
                NoticeKind::Derived,
                format!(
                    "{} from the card's tags ({}): it has no pipeline_tag",
                    tasks.join(", "),
                    from_tags
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    if tasks.is_empty() {
        for class in &arch.architectures {
            if let Some(t) = task_for_class(class) {
                push(t, &mut tasks);
            }
        }
        if !tasks.is_empty() {
            notices.push(Notice::new(
                "tasks",
                NoticeKind::Derived,
                format!(
                    "{} from config.json architectures ({}): {}",
                    tasks.join(", "),
                    arch.architectures.join(", "),
                    if has_card {
                        "the card has no pipeline_tag"
                    } else {
                        "there is no card"
                    }
                ),
            ));
        }
    }
    // A decoder-only model_type (Llama, Mistral, Mixtral, Qwen2, Gemma 2, Phi-3, GPT-2) is a
    // causal language model whatever head its config names: it generates text.
    if tasks.is_empty() && arch.family == Family::Decoder {
        push(TaskType::TextGeneration, &mut tasks);
        notices.push(Notice::new(
            "tasks",
            NoticeKind::Derived,
            format!(
                "text-generation: `{}` is a decoder-only causal language model ({})",
                arch.model_type,
                if has_card {
                    "the card has no pipeline_tag nor a task tag"
                } else {
                    "there is no card"
                }
            ),
        ));
    }
    if tasks.is_empty() {
        return Err(ImportError::Field {
            path: dir.to_path_buf(),
            field: "tasks".into(),
            message: format!(
                "no task: {}, and config.json {}",
                if has_card {
                    "the card has no pipeline_tag nor a task tag"
                } else {
                    "there is no README.md with a pipeline_tag"
                },
                if arch.architectures.is_empty() {
                    "lists no architectures".to_string()
                } else {
                    format!(
                        "architectures ({}) name no task head",
                        arch.architectures.join(", ")
                    )
                }
            ),
        });
    }

    // Domain.
    let domains: BTreeSet<Domain> = tags.iter().filter_map(|t| domain_for_tag(t)).collect();
    let domain = match domains.len() {
        1 => domains.iter().next().copied(),
        0 => {
            notices.push(Notice::new(
                "domain",
                NoticeKind::Absent,
                if has_card {
                    "the card has no domain tag (catalog default: general)"
                } else {
                    "no card, so no domain tag (catalog default: general)"
                },
            ));
            None
        }
        _ => {
            let names: Vec<&str> = domains.iter().map(|d| d.as_str()).collect();
            notices.push(Notice::new(
                "domain",
                NoticeKind::Absent,
                format!(
                    "the card's tags name several domains ({}): left at the catalog default",
                    names.join(", ")
                ),
            ));
            None
        }
    };

    // Instruction tuning.
    let repo_name = id.rsplit('/').next().unwrap_or(&id).to_string();
    let instruct_tag = tags.iter().find(|t| says_instruct(t));
    let instruction_tuned = if let Some(tag) = instruct_tag {
        notices.push(Notice::new(
            "instruction_tuned",
            NoticeKind::Derived,
            format!("true: the card's tag `{tag}`"),
        ));
        true
    } else if says_instruct(&repo_name) {
        notices.push(Notice::new(
            "instruction_tuned",
            NoticeKind::Derived,
            format!("true: the name `{repo_name}` says so"),
        ));
        true
    } else {
        false
    };

    // Benchmarks.
    let benchmarks = benchmarks(
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

// ------------------------------------------------------------------------------------------------
// Merging and writing
// ------------------------------------------------------------------------------------------------

/// An id found twice when merging.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("duplicate id `{id}`: {first} and {second}")]
pub struct DuplicateId {
    /// The id.
    pub id: String,
    /// Where it was first.
    pub first: String,
    /// Where it is again.
    pub second: String,
}

/// Appends the imported models to an existing catalog (named `origin` in errors), refusing
/// every id that appears twice.
pub fn merge(
    existing: Option<(&Catalog, &str)>,
    imported: &[Imported],
) -> Result<Catalog, Vec<DuplicateId>> {
    let mut seen: BTreeMap<&str, String> = BTreeMap::new();
    let mut models = Vec::new();
    let mut duplicates = Vec::new();
    if let Some((catalog, origin)) = existing {
        for (i, m) in catalog.models.iter().enumerate() {
            seen.entry(m.id.as_str())
                .or_insert_with(|| format!("`{origin}` (/models/{i})"));
            models.push(m.clone());
        }
    }
    for imp in imported {
        let here = format!("imported from `{}`", imp.origin.display());
        match seen.get(imp.model.id.as_str()) {
            Some(first) => duplicates.push(DuplicateId {
                id: imp.model.id.clone(),
                first: first.clone(),
                second: here,
            }),
            None => {
                seen.insert(imp.model.id.as_str(), here);
                models.push(imp.model.clone());
            }
        }
    }
    if duplicates.is_empty() {
        Ok(Catalog { models })
    } else {
        Err(duplicates)
    }
}

/// The catalog as YAML, without `domain` where no source stated it (`domain_unstated`, by id)
/// and without empty `objectives`: the catalog reads both as their defaults.
pub fn catalog_yaml(
    catalog: &Catalog,
    domain_unstated: &[&str],
) -> Result<String, serde_yaml::Error> {
    let mut value = serde_yaml::to_value(catalog)?;
    if let Some(models) = value
        .get_mut("models")
        .and_then(serde_yaml::Value::as_sequence_mut)
    {
        for m in models {
            let Some(map) = m.as_mapping_mut() else {
                continue;
            };
            let id = map
                .get("id")
                .and_then(serde_yaml::Value::as_str)
                .map(str::to_string)
                .unwrap_or_default();
            if domain_unstated.contains(&id.as_str()) {
                map.shift_remove("domain");
            }
            if map
                .get("objectives")
                .and_then(serde_yaml::Value::as_sequence)
                .is_some_and(Vec::is_empty)
            {
                map.shift_remove("objectives");
            }
        }
    }
    serde_yaml::to_string(&value)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_between_dashes() {
        assert_eq!(front_matter("---\na: 1\n---\nbody"), Ok(Some("a: 1\n")));
        assert_eq!(
            front_matter("\u{feff}---\r\na: 1\r\n---\r\n"),
            Ok(Some("a: 1\r\n"))
        );
        assert_eq!(front_matter("# title\n---\n"), Ok(None));
        assert!(front_matter("---\na: 1\n").is_err());
    }

    #[test]
    fn benchmark_keys() {
        let k = |t: &str, c: Option<&str>| benchmark_key(t, c).map(|k| k.0);
        assert_eq!(k("squad_v2", None).as_deref(), Some("squad-v2.0"));
        assert_eq!(
            k("squad", Some("plain_text")).as_deref(),
            Some("squad-v1.1")
        );
        assert_eq!(k("glue", Some("mnli")).as_deref(), Some("mnli"));
        assert_eq!(
            k("cnn_dailymail", Some("3.0.0")).as_deref(),
            Some("cnn-dailymail")
        );
        assert_eq!(
            k("wikitext", Some("wikitext-103-raw-v1")).as_deref(),
            Some("wikitext-103")
        );
        assert_eq!(
            k("mteb/amazon_polarity", None).as_deref(),
            Some("amazon-polarity")
        );
        assert_eq!(k("___", None), None);
    }

    #[test]
    fn licences_and_classes() {
        assert_eq!(spdx_license("apache-2.0"), "Apache-2.0");
        assert_eq!(spdx_license("cc-by-nc-4.0"), "CC-BY-NC-4.0");
        assert_eq!(spdx_license("llama3.2"), "llama3.2");
        assert_eq!(task_for_class("BertForMaskedLM"), Some(TaskType::FillMask));
        assert_eq!(
            task_for_class("GPT2LMHeadModel"),
            Some(TaskType::TextGeneration)
        );
        assert_eq!(task_for_class("MarianMTModel"), Some(TaskType::Translation));
        assert_eq!(
            task_for_class("BertModel"),
            Some(TaskType::FeatureExtraction)
        );
        assert_eq!(task_for_class("ElectraForPreTraining"), None);
    }

    #[test]
    fn instruct_words() {
        assert!(says_instruct("Qwen2.5-0.5B-Instruct"));
        assert!(says_instruct("TinyLlama-1.1B-Chat-v1.0"));
        assert!(!says_instruct("opus-mt-en-it"));
        assert!(!says_instruct("chatglm-6b"));
    }

    #[test]
    fn cache_ids() {
        assert_eq!(
            cache_id("models--Qwen--Qwen2.5-0.5B").as_deref(),
            Some("Qwen/Qwen2.5-0.5B")
        );
        assert_eq!(cache_id("models--gpt2").as_deref(), Some("gpt2"));
        assert_eq!(cache_id("datasets--x--y"), None);
    }
}
