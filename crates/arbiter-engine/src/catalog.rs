//! The catalog: the models an organisation allows, with their facts and sources.
//!
//! `schemas/catalog.schema.json` is generated from these types. Beyond the schema,
//! [`Catalog::check`] enforces what a schema cannot say: unique ids, an attention width that
//! splits into heads, known task ids and language codes.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;
use crate::lang;
use crate::task::{BenchmarkKey, Domain, LanguageCode, TaskType};

/// The models an organisation allows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Model Arbiter catalog")]
pub struct Catalog {
    /// The models, in the order they are listed: 1 to 20,000.
    #[schemars(length(min = 1, max = crate::ceilings::MODELS))]
    pub models: Vec<Model>,
}

/// Transformer architecture families.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
#[schemars(transform = crate::plain_enum::plain_enum)]
pub enum Family {
    /// Encoder only (BERT): understanding tasks.
    Encoder,
    /// Encoder and decoder (T5, BART): sequence-to-sequence tasks.
    EncoderDecoder,
    /// Decoder only (GPT-2): generation.
    Decoder,
}

impl Family {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Encoder => "encoder",
            Family::EncoderDecoder => "encoder-decoder",
            Family::Decoder => "decoder",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a parameter count comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(transform = crate::plain_enum::plain_enum)]
pub enum ParametersBasis {
    /// Stated by one of the model's sources.
    #[default]
    Published,
    /// Nobody published it: computed from the architecture (the arithmetic is in `notes`).
    Computed,
}

impl ParametersBasis {
    fn is_published(&self) -> bool {
        *self == ParametersBasis::Published
    }
}

/// One pre-trained model and its sourced facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// Hugging Face hub id, unique in the catalog.
    #[schemars(length(min = 1))]
    pub id: String,
    /// Human-readable name.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Architecture family.
    pub family: Family,
    /// Pre-training objectives (`mlm`, `nsp`, `clm`, `seq2seq-denoising`, `rtd`, `tlm`, `sop`, …).
    #[serde(default)]
    pub objectives: Vec<String>,
    /// Total parameters, in millions.
    #[schemars(range(min = 0.0, max = 100_000_000.0))]
    pub parameters_m: f64,
    /// Whether `parameters_m` was published or computed from the architecture.
    #[serde(default, skip_serializing_if = "ParametersBasis::is_published")]
    pub parameters_basis: ParametersBasis,
    /// Transformer layers (encoder layers; decoder layers for decoder-only models).
    #[schemars(range(min = 1, max = 10_000))]
    pub layers: u32,
    /// Decoder layers of an encoder-decoder model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10_000))]
    pub decoder_layers: Option<u32>,
    /// Hidden size d (the width between blocks).
    #[schemars(range(min = 1, max = 1_048_576))]
    pub hidden_size: u32,
    /// Attention heads per layer.
    #[schemars(range(min = 1, max = 65_536))]
    pub attention_heads: u32,
    /// Width of one attention head, where it is not `hidden_size / attention_heads` (mT5-Small).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1_048_576))]
    pub head_size: Option<u32>,
    /// Key-value heads, where fewer than `attention_heads`: grouped-query (Llama 3, Mistral) or
    /// multi-query attention. The key-value cache holds `kv_heads × head size` values per token
    /// and layer instead of `attention_heads × head size`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65_536))]
    pub kv_heads: Option<u32>,
    /// Feed-forward width, where it is not 4 × the attention width. For a gated feed-forward
    /// network, the width of one of its projections, as `config.json` states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 16_777_216))]
    pub intermediate_size: Option<u32>,
    /// A gated feed-forward network (SwiGLU, GeGLU: Llama, Mistral, Qwen2, Gemma, Phi-3,
    /// T5 v1.1 and mT5, ModernBERT): three projections of `intermediate_size` instead of two.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gated_ffn: bool,
    /// Mixture of experts: feed-forward experts per layer (Mixtral: 8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 2, max = 65_536))]
    pub experts: Option<u32>,
    /// Mixture of experts: experts each token is routed to (Mixtral: 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65_536))]
    pub experts_per_token: Option<u32>,
    /// Mixture of experts: parameters used per token, in millions, as published. Compute
    /// follows these; memory holds all `parameters_m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 100_000_000.0))]
    pub active_parameters_m: Option<f64>,
    /// Factorised embedding width (ALBERT, ELECTRA-small, MobileBERT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1_048_576))]
    pub embedding_size: Option<u32>,
    /// Intra-block bottleneck width (MobileBERT): attention and feed-forward run at this width.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1_048_576))]
    pub bottleneck_size: Option<u32>,
    /// Stacked feed-forward networks per layer (MobileBERT: 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 64))]
    pub ffn_stacks: Option<u32>,
    /// Positions a token can use, where stated: `config.json`'s `max_position_embeddings` (T5's
    /// `n_positions`), less the padding offset RoBERTa-family tables keep (514 rows, 512
    /// positions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 16_777_216))]
    pub max_positions: Option<u32>,
    /// How positions are encoded, where stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positional: Option<Positional>,
    /// The context the model was trained for, in tokens, as its card or paper states it, where
    /// that differs from or replaces `max_positions` (rotary and relative positions, RoPE
    /// scaling, an encoder's truncation length).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 16_777_216))]
    pub context_length: Option<u32>,
    /// Vocabulary size, where stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100_000_000))]
    pub vocab_size: Option<u32>,
    /// Every language the model was pre-trained on, code by code. Empty or absent where no
    /// source states them: coverage is then unconfirmed, never assumed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<LanguageCode>,
    /// For a translation model that translates one way only (an OPUS-MT pair): the languages it
    /// translates from. Absent: any direction between its languages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub translates_from: Vec<LanguageCode>,
    /// For a one-way translation model: the languages it translates into.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub translates_into: Vec<LanguageCode>,
    /// Tuned to follow instructions (chat and instruct checkpoints). Task fine-tunes such as
    /// NLI or sentence embeddings are not.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub instruction_tuned: bool,
    /// The domain of the pre-training text.
    #[serde(default)]
    pub domain: Domain,
    /// SPDX licence id, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// Release date, `YYYY` or `YYYY-MM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]{4}(-[0-9]{2})?$"))]
    pub released: Option<String>,
    /// The pipeline tags this model suits.
    #[schemars(length(min = 1))]
    pub tasks: Vec<String>,
    /// Published benchmark results; a figure nobody published is absent.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub benchmarks: BTreeMap<BenchmarkKey, BenchmarkResult>,
    /// Where the facts come from.
    #[schemars(length(min = 1))]
    pub sources: Vec<String>,
    /// Caveats and derivations worth keeping.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// How a model encodes token positions, which decides what its context limit means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(transform = crate::plain_enum::plain_enum)]
pub enum Positional {
    /// A learned table (BERT, GPT-2, BART): no position beyond `max_positions` exists.
    Learned,
    /// Fixed sinusoids (the original Transformer, Marian, M2M-100, NLLB).
    Sinusoidal,
    /// Rotary embeddings (Llama, Mistral, Qwen2, ModernBERT).
    Rope,
    /// Relative position buckets or biases (T5, DeBERTa).
    Relative,
    /// Attention with linear biases (BLOOM, MPT).
    Alibi,
}

impl Positional {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Positional::Learned => "learned",
            Positional::Sinusoidal => "sinusoidal",
            Positional::Rope => "rope",
            Positional::Relative => "relative",
            Positional::Alibi => "alibi",
        }
    }
}

/// A published benchmark result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BenchmarkResult {
    /// The figure as published.
    pub score: f64,
    /// What the figure measures (`f1`, `accuracy`, `average score`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// The split as the source labels it (`test`, `dev`, `not stated`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<String>,
    /// The evaluation setting, e.g. `zero-shot cross-lingual`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setting: Option<String>,
    /// True for metrics where lower is better (perplexity).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lower_is_better: bool,
    /// Whether the figure was verified by a third party (Hugging Face's `model-index`
    /// `verified` flag), where stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// Per-task figures or other detail, as published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Where the figure was read.
    #[schemars(length(min = 1))]
    pub source: String,
}

impl Model {
    /// The width attention and feed-forward run at: the bottleneck where there is one.
    pub fn attention_width(&self) -> u32 {
        self.bottleneck_size.unwrap_or(self.hidden_size)
    }

    /// The feed-forward width: `intermediate_size`, or 4 × the attention width.
    pub fn ffn_width(&self) -> u32 {
        self.intermediate_size.unwrap_or(4 * self.attention_width())
    }

    /// The longest sequence (input plus output tokens) the model can take, and what the limit
    /// is: the stated trained context where there is one, else the position table.
    pub fn context_limit(&self) -> Option<(u32, String)> {
        if let Some(c) = self.context_length {
            let how = self
                .positional
                .map_or(String::new(), |p| format!(", {} positions", p.as_str()));
            return Some((c, format!("a trained context of {c} tokens{how}")));
        }
        let p = self.max_positions?;
        Some(match self.positional {
            Some(Positional::Learned) => (p, format!("{p} learned positions")),
            None => (p, format!("{p} positions")),
            Some(other) => (
                p,
                format!("a context of {p} tokens ({} positions)", other.as_str()),
            ),
        })
    }

    /// Whether the model translates from `from` into `to`: a one-way model only in its
    /// direction; any other model between any two languages it covers.
    pub fn translates(&self, from: &str, to: &str) -> bool {
        if self.translates_from.is_empty() && self.translates_into.is_empty() {
            return self.covers(from) && self.covers(to);
        }
        self.translates_from
            .iter()
            .any(|l| lang::covers(l.as_str(), from))
            && self
                .translates_into
                .iter()
                .any(|l| lang::covers(l.as_str(), to))
    }

    /// Key-value heads: `kv_heads`, or one per attention head.
    pub fn kv_head_count(&self) -> u32 {
        self.kv_heads.unwrap_or(self.attention_heads)
    }

    /// Whether the model was pre-trained on `code`.
    pub fn covers_language(&self, code: &LanguageCode) -> bool {
        self.covers(code.as_str())
    }

    /// Whether the model was pre-trained on `code`, or on the standard member of that
    /// macrolanguage (or on the macrolanguage of that standard member): see [`lang::covers`].
    pub fn covers(&self, code: &str) -> bool {
        self.languages
            .iter()
            .any(|l| lang::covers(l.as_str(), code))
    }
}

impl Catalog {
    /// Semantic checks a schema cannot express. Every failure names the model id and field.
    pub fn check(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        for (i, m) in self.models.iter().enumerate() {
            let at = |field: &str| format!("/models/{i}/{field}");
            let mut err = |field: &str, message: String| {
                out.push(Diagnostic::new(
                    at(field),
                    format!("model `{}`: {message}", m.id),
                ));
            };
            if !seen.insert(m.id.as_str()) {
                err(
                    "id",
                    "duplicate id: an earlier model has the same id".into(),
                );
            }
            if !(m.parameters_m.is_finite() && m.parameters_m > 0.0) {
                err(
                    "parameters_m",
                    format!("must be positive, found {}", m.parameters_m),
                );
            }
            let width = m.attention_width();
            if m.head_size.is_none() && width % m.attention_heads != 0 {
                err(
                    "attention_heads",
                    format!(
                        "attention width {width} is not divisible by {} heads (give `head_size` if the model's heads do not split it evenly)",
                        m.attention_heads
                    ),
                );
            }
            match (m.family, m.decoder_layers) {
                (Family::EncoderDecoder, None) => err(
                    "decoder_layers",
                    "an encoder-decoder model needs `decoder_layers`".into(),
                ),
                (Family::Encoder | Family::Decoder, Some(_)) => err(
                    "decoder_layers",
                    format!(
                        "only encoder-decoder models have `decoder_layers`, this one is `{}`",
                        m.family
                    ),
                ),
                _ => {}
            }
            if let Some(kv) = m.kv_heads
                && (kv > m.attention_heads || m.attention_heads % kv != 0)
            {
                err(
                    "kv_heads",
                    format!(
                        "{kv} key-value heads do not divide the {} attention heads into groups",
                        m.attention_heads
                    ),
                );
            }
            match (m.experts, m.experts_per_token) {
                (Some(e), Some(k)) if k > e => err(
                    "experts_per_token",
                    format!("{k} experts per token, but only {e} experts"),
                ),
                (Some(_), None) => err(
                    "experts_per_token",
                    "a mixture-of-experts model needs `experts_per_token` beside `experts`".into(),
                ),
                (None, Some(_)) => err(
                    "experts",
                    "`experts_per_token` is given without `experts`".into(),
                ),
                _ => {}
            }
            if let Some(a) = m.active_parameters_m {
                if m.experts.is_none() {
                    err(
                        "active_parameters_m",
                        "only mixture-of-experts models (`experts`) have active parameters".into(),
                    );
                } else if !(a > 0.0 && a <= m.parameters_m) {
                    err(
                        "active_parameters_m",
                        format!(
                            "{a} M active parameters must be positive and at most the {} M in total",
                            m.parameters_m
                        ),
                    );
                }
            }
            if m.bottleneck_size.is_some_and(|b| b > m.hidden_size) {
                err(
                    "bottleneck_size",
                    "the bottleneck is wider than the hidden size".into(),
                );
            }
            for (j, t) in m.tasks.iter().enumerate() {
                match TaskType::parse(t) {
                    Some(p) if p.as_str() == t => {}
                    Some(p) => err(
                        &format!("tasks/{j}"),
                        format!(
                            "`{t}` is an alias: write `{p}` (the catalog takes pipeline tags only)"
                        ),
                    ),
                    None => err(
                        &format!("tasks/{j}"),
                        format!(
                            "unknown task id `{t}`; accepted: {}",
                            TaskType::IDS.join(", ")
                        ),
                    ),
                }
            }
            let mut langs = HashSet::new();
            for (j, l) in m.languages.iter().enumerate() {
                if !lang::is_known(l.as_str()) {
                    err(
                        &format!("languages/{j}"),
                        format!("unknown language code `{l}` (ISO 639-1 or 639-3 expected)"),
                    );
                }
                if !langs.insert(l.as_str()) {
                    err(
                        &format!("languages/{j}"),
                        format!("language `{l}` is listed twice"),
                    );
                }
            }
            for (field, list) in [
                ("translates_from", &m.translates_from),
                ("translates_into", &m.translates_into),
            ] {
                for (j, l) in list.iter().enumerate() {
                    if !m.covers_language(l) {
                        err(
                            &format!("{field}/{j}"),
                            format!("`{l}` is not among the model's languages"),
                        );
                    }
                }
            }
            if m.translates_from.is_empty() != m.translates_into.is_empty() {
                err(
                    "translates_from",
                    "a one-way translation model needs both `translates_from` and `translates_into`"
                        .into(),
                );
            }
            for (key, b) in &m.benchmarks {
                if !b.score.is_finite() {
                    err(
                        &format!("benchmarks/{}", key.as_str()),
                        "score must be a finite number".into(),
                    );
                }
            }
            if m.sources.iter().any(|s| s.trim().is_empty()) {
                err("sources", "a source is empty".into());
            }
        }
        out
    }

    /// The model with this id.
    pub fn get(&self, id: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.id == id)
    }
}
