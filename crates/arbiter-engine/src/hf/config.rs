//! `config.json`: reading it, typed access to its fields, and the architecture it states,
//! per `model_type` (the mappings themselves are in `model_types.rs`).

use std::path::Path;

use serde_json::{Map, Value};

use super::ImportError;
use super::model_types::{
    bert_like, deberta_v2, distilbert, gpt2, llama_like, modernbert, seq2seq, t5,
};
use crate::catalog::{Family, Model, Positional};
use crate::params::ParameterCount;

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
pub(super) struct Config<'a> {
    map: &'a Map<String, Value>,
    path: &'a Path,
}

impl<'a> Config<'a> {
    pub(super) fn error(&self, field: &str, message: impl Into<String>) -> ImportError {
        ImportError::Field {
            path: self.path.to_path_buf(),
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// The value of `key`, unless absent or null.
    pub(super) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A non-negative integer that fits in 32 bits.
    pub(super) fn count(&self, key: &str) -> Result<Option<u32>, ImportError> {
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
    pub(super) fn first(&self, keys: &[&str]) -> Result<Option<u32>, ImportError> {
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
    pub(super) fn need(&self, keys: &[&str]) -> Result<u32, ImportError> {
        self.first(keys)?.ok_or_else(|| {
            let names: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
            self.error(
                keys.first().copied().unwrap_or_default(),
                format!("missing ({} expected)", names.join(" or ")),
            )
        })
    }

    pub(super) fn flag(&self, key: &str, default: bool) -> Result<bool, ImportError> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(self.error(key, format!("must be true or false, found {v}"))),
        }
    }

    pub(super) fn text(&self, key: &str) -> Result<Option<&'a str>, ImportError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(self.error(key, format!("must be a string, found {v}"))),
        }
    }

    pub(super) fn signed(&self, key: &str, default: i64) -> Result<i64, ImportError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v
                .as_i64()
                .ok_or_else(|| self.error(key, format!("must be an integer, found {v}"))),
        }
    }
}

/// `Some(value)` unless it equals the catalog default.
pub(super) fn unless(value: u32, default: u64) -> Option<u32> {
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
pub(super) fn base(
    model_type: &str,
    family: Family,
    layers: u32,
    hidden: u32,
    heads: u32,
) -> Architecture {
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
