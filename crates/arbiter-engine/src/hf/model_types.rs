//! The architecture of each `model_type` [`architecture`](super::architecture) maps, read from
//! `config.json` under the field names and defaults of its Transformers config class, with the
//! parameter count computed from it ([`crate::params`]).

use serde_json::Value;

use super::config::{Config, base, unless};
use super::{Architecture, ImportError};
use crate::catalog::{Family, Positional};
use crate::params;

/// BERT, RoBERTa, XLM-R, ELECTRA, ALBERT, MPNet: `modeling_bert.py` and its relatives.
pub(super) fn bert_like(cfg: &Config, model_type: &str) -> Result<Architecture, ImportError> {
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
pub(super) fn distilbert(cfg: &Config) -> Result<Architecture, ImportError> {
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
pub(super) fn deberta_v2(cfg: &Config) -> Result<Architecture, ImportError> {
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
pub(super) fn modernbert(cfg: &Config) -> Result<Architecture, ImportError> {
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
pub(super) fn gpt2(cfg: &Config) -> Result<Architecture, ImportError> {
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
pub(super) fn llama_like(cfg: &Config, model_type: &str) -> Result<Architecture, ImportError> {
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
pub(super) fn t5(cfg: &Config, model_type: &str) -> Result<Architecture, ImportError> {
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
pub(super) fn seq2seq(cfg: &Config, model_type: &str) -> Result<Architecture, ImportError> {
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
