//! Parameter counts computed from an architecture, for models whose authors published none.
//!
//! Each function counts the trainable parameters of the Hugging Face `transformers` base model
//! of one family, term by term as its modelling code declares them, and returns the count with
//! its arithmetic (for a catalog entry's `notes`, beside `parameters_basis: computed`). Heads
//! used only for pre-training or fine-tuning are not counted, nor are buffers and fixed
//! sinusoidal tables (they are not trained); an output projection is counted only where it is
//! not tied to the input embeddings.
//!
//! Sources: `transformers` `modeling_bert.py`, `modeling_roberta.py`, `modeling_electra.py`,
//! `modeling_albert.py`, `modeling_distilbert.py`, `modeling_mpnet.py`, `modeling_deberta_v2.py`,
//! `modeling_modernbert.py`, `modeling_gpt2.py`, `modeling_llama.py` (and Mistral, Mixtral,
//! Qwen2, Gemma 2, Phi-3, which differ only in biases, norms and experts), `modeling_t5.py`,
//! `modeling_bart.py`, `modeling_marian.py`, `modeling_m2m_100.py`. Every formula is tested
//! against a published count (within 1 %) in the tests below.
//!
//! [`crate::cost::bert_style_parameters_m`] is the BERT case of [`encoder`] (two token types, a
//! pooler) and is computed by it.

use std::fmt::Write as _;

/// A parameter count and how it was computed.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterCount {
    /// The exact count.
    pub parameters: u128,
    /// The arithmetic, term by term, for a catalog note.
    pub arithmetic: String,
}

impl ParameterCount {
    /// The count in millions.
    pub fn millions(&self) -> f64 {
        // Counts are far below 2^53: the conversion is exact.
        self.parameters as f64 / 1e6
    }
}

/// Builds a count from named terms.
#[derive(Default)]
struct Terms(Vec<(String, u128)>);

impl Terms {
    fn add(&mut self, label: impl Into<String>, value: u128) {
        if value > 0 {
            self.0.push((label.into(), value));
        }
    }

    fn finish(self, what: &str) -> ParameterCount {
        let parameters = self.0.iter().map(|(_, v)| v).sum();
        let mut arithmetic = format!("{what}: ");
        for (i, (label, value)) in self.0.iter().enumerate() {
            if i > 0 {
                arithmetic.push_str(" + ");
            }
            let _ = write!(arithmetic, "{label} = {}", group(*value));
        }
        let _ = write!(arithmetic, "; total {}", group(parameters));
        ParameterCount {
            parameters,
            arithmetic,
        }
    }
}

/// `1234567` → `1 234 567`.
fn group(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

fn w(x: u32) -> u128 {
    u128::from(x)
}

/// A BERT-like encoder (BERT, RoBERTa, XLM-R, ELECTRA, ALBERT, DistilBERT, MPNet).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EncoderShape {
    /// Vocabulary `V`.
    pub vocab: u32,
    /// Learned position table `P` (0 for none).
    pub positions: u32,
    /// Token types `T` (BERT 2, RoBERTa 1, DistilBERT 0).
    pub token_types: u32,
    /// Embedding width `E` (= `d` unless factorised: ALBERT, ELECTRA-Small).
    pub embedding: u32,
    /// Hidden size `d`.
    pub hidden: u32,
    /// Distinct layers `L` (ALBERT: hidden groups × inner groups, since layers are shared).
    pub layers: u32,
    /// Feed-forward width `f`.
    pub ffn: u32,
    /// A pooler `d² + d` (BERT, RoBERTa, ALBERT, MPNet; not ELECTRA, DistilBERT).
    pub pooler: bool,
    /// Relative-attention bias table entries (MPNet: buckets × heads), 0 for none.
    pub relative_bias: u32,
}

/// Token, position and token-type embeddings of width `E` and their layer norm:
/// `(V + P + T)·E + 2E`, from `[V, P, T, E]`.
fn embedding_terms(terms: &mut Terms, [vocab, positions, types, width]: [u32; 4]) {
    let (v, p, t, e) = (w(vocab), w(positions), w(types), w(width));
    terms.add(
        format!("embeddings ({vocab} + {positions} + {types})×{width} + 2×{width}"),
        (v + p + t) * e + 2 * e,
    );
}

/// One BERT layer: Q, K, V, output `4d² + 4d`, a norm `2d`, the feed-forward network
/// `d·f + f + f·d + d`, a norm `2d`.
fn bert_layer(d: u128, f: u128) -> u128 {
    4 * d * d + 4 * d + 2 * d + 2 * d * f + f + d + 2 * d
}

/// Parameters of a BERT-like encoder:
///
/// embeddings `(V + P + T)·E + 2E` (+ `E·d + d` when factorised), per layer
/// `4d² + 4d` (Q, K, V, output) `+ 2d` (norm) `+ d·f + f + f·d + d` (feed-forward) `+ 2d`
/// (norm), a pooler `d² + d` where the base model has one, and a relative-attention bias table.
pub fn encoder(s: &EncoderShape) -> ParameterCount {
    let (e, d, f) = (w(s.embedding), w(s.hidden), w(s.ffn));
    let mut terms = Terms::default();
    embedding_terms(
        &mut terms,
        [s.vocab, s.positions, s.token_types, s.embedding],
    );
    if e != d {
        terms.add(
            format!(
                "embedding projection {}×{} + {}",
                s.embedding, s.hidden, s.hidden
            ),
            e * d + d,
        );
    }
    let layer = bert_layer(d, f);
    terms.add(
        format!(
            "{} layers × (4×{d}² + 4×{d} + 2×{d}×{f} + {f} + 5×{d} = {})",
            s.layers,
            group(layer)
        ),
        w(s.layers) * layer,
    );
    terms.add("relative attention bias", w(s.relative_bias));
    if s.pooler {
        terms.add(format!("pooler {d}² + {d}"), d * d + d);
    }
    terms.finish("computed from config.json (BERT-style encoder)")
}

/// A DeBERTa-v2/v3 encoder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DebertaV2Shape {
    /// Vocabulary `V`.
    pub vocab: u32,
    /// Absolute position table `P`, where `position_biased_input` (0 otherwise; v3: 0).
    pub positions: u32,
    /// Token types `T` (v3: 0).
    pub token_types: u32,
    /// Embedding width `E` (= `d` unless `embedding_size` differs).
    pub embedding: u32,
    /// Hidden size `d`.
    pub hidden: u32,
    /// Layers `L`.
    pub layers: u32,
    /// Feed-forward width `f`.
    pub ffn: u32,
    /// Relative position embeddings: `2 × position_buckets` rows (0 without relative attention).
    pub relative_rows: u32,
    /// A layer norm over the relative embeddings (`norm_rel_ebd` has `layer_norm`).
    pub relative_norm: bool,
    /// Separate position projections `d² + d` per layer: one each for `c2p` and `p2c` when
    /// `share_att_key` is false (0, 1 or 2).
    pub position_projections: u32,
}

/// Parameters of a DeBERTa-v2/v3 encoder (`modeling_deberta_v2.py`, no pooler in the base
/// model): embeddings `(V + P + T)·E + 2E` (+ `E·d` unbiased projection when `E ≠ d`), relative
/// embeddings `R·d` (+ `2d` norm), per layer the BERT layer (+ `d² + d` per position projection
/// when keys are not shared).
pub fn deberta_v2(s: &DebertaV2Shape) -> ParameterCount {
    let (e, d, f) = (w(s.embedding), w(s.hidden), w(s.ffn));
    let mut terms = Terms::default();
    embedding_terms(
        &mut terms,
        [s.vocab, s.positions, s.token_types, s.embedding],
    );
    if e != d {
        terms.add(
            format!("embedding projection {}×{}", s.embedding, s.hidden),
            e * d,
        );
    }
    terms.add(
        format!("relative embeddings {}×{}", s.relative_rows, s.hidden),
        w(s.relative_rows) * d,
    );
    if s.relative_norm && s.relative_rows > 0 {
        terms.add("relative embedding norm", 2 * d);
    }
    let projections = w(s.position_projections) * (d * d + d);
    let layer = bert_layer(d, f) + projections;
    terms.add(
        format!("{} layers × {}", s.layers, group(layer)),
        w(s.layers) * layer,
    );
    terms.finish("computed from config.json (DeBERTa-v2 encoder)")
}

/// A ModernBERT encoder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModernBertShape {
    /// Vocabulary `V`.
    pub vocab: u32,
    /// Hidden size `d`.
    pub hidden: u32,
    /// Layers `L`.
    pub layers: u32,
    /// Width of one of the two gated projections, `f`.
    pub ffn: u32,
    /// Biases on attention projections (`attention_bias`).
    pub attention_bias: bool,
    /// Biases on feed-forward projections (`mlp_bias`).
    pub mlp_bias: bool,
    /// Biases in layer norms (`norm_bias`).
    pub norm_bias: bool,
}

/// Parameters of a ModernBERT encoder (`modeling_modernbert.py`): embeddings `V·d` and a norm,
/// per layer a fused `d × 3d` QKV and a `d × d` output, a gated `d × 2f` input and `f × d` output
/// projection and two norms (the first layer has no attention norm), and a final norm.
pub fn modernbert(s: &ModernBertShape) -> ParameterCount {
    let (v, d, f, l) = (w(s.vocab), w(s.hidden), w(s.ffn), w(s.layers));
    let norm = if s.norm_bias { 2 * d } else { d };
    let attn_bias = if s.attention_bias { 4 * d } else { 0 };
    let mlp_bias = if s.mlp_bias { 2 * f + d } else { 0 };
    let layer = 4 * d * d + attn_bias + 3 * d * f + mlp_bias + 2 * norm;
    let mut terms = Terms::default();
    terms.add(
        format!("embeddings {}×{} + norm", s.vocab, s.hidden),
        v * d + norm,
    );
    terms.add(
        format!(
            "{} layers × (4×{d}² + 3×{d}×{f} + norms = {}) − the first layer's attention norm",
            s.layers,
            group(layer)
        ),
        (l * layer).saturating_sub(norm),
    );
    terms.add("final norm", norm);
    terms.finish("computed from config.json (ModernBERT encoder)")
}

/// A GPT-2 decoder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gpt2Shape {
    /// Vocabulary `V`.
    pub vocab: u32,
    /// Learned positions `P` (`n_positions`).
    pub positions: u32,
    /// Hidden size `d` (`n_embd`).
    pub hidden: u32,
    /// Layers `L` (`n_layer`).
    pub layers: u32,
    /// Feed-forward width `f` (`n_inner`, or 4d).
    pub ffn: u32,
}

/// Parameters of GPT-2 (`modeling_gpt2.py`; the output layer is tied to the token embeddings):
/// embeddings `V·d + P·d`, per layer `2d` (norm) `+ 3d² + 3d` (QKV) `+ d² + d` (projection)
/// `+ 2d` (norm) `+ d·f + f + f·d + d` (feed-forward), final norm `2d`.
pub fn gpt2(s: &Gpt2Shape) -> ParameterCount {
    let (v, p, d, f) = (w(s.vocab), w(s.positions), w(s.hidden), w(s.ffn));
    let layer = 2 * d + 3 * d * d + 3 * d + d * d + d + 2 * d + 2 * d * f + f + d;
    let mut terms = Terms::default();
    terms.add(
        format!(
            "embeddings ({} + {})×{} (tied to the output layer)",
            s.vocab, s.positions, s.hidden
        ),
        (v + p) * d,
    );
    terms.add(
        format!(
            "{} layers × (4×{d}² + 2×{d}×{f} + {f} + 9×{d} = {})",
            s.layers,
            group(layer)
        ),
        w(s.layers) * layer,
    );
    terms.add("final norm", 2 * d);
    terms.finish("computed from config.json (GPT-2 decoder)")
}

/// A Llama-style decoder (Llama, Mistral, Mixtral, Qwen2, Gemma 2, Phi-3).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecoderShape {
    /// Vocabulary `V`.
    pub vocab: u32,
    /// Hidden size `d`.
    pub hidden: u32,
    /// Layers `L`.
    pub layers: u32,
    /// Query heads `h`.
    pub heads: u32,
    /// Key-value heads `h_kv`.
    pub kv_heads: u32,
    /// Head width `a`.
    pub head_dim: u32,
    /// Width of one of the gated projections, `f`.
    pub ffn: u32,
    /// Feed-forward experts per layer (1 for a dense model).
    pub experts: u32,
    /// Biases on Q, K and V (Qwen2; Llama's `attention_bias`).
    pub qkv_bias: bool,
    /// A bias on the attention output (Llama's `attention_bias`).
    pub o_bias: bool,
    /// Biases on the feed-forward projections (Llama's `mlp_bias`).
    pub mlp_bias: bool,
    /// RMS norms per layer (2; Gemma 2: 4).
    pub norms_per_layer: u32,
    /// Whether the output layer is the token embedding matrix (`tie_word_embeddings`).
    pub tied: bool,
}

/// Parameters of a Llama-style decoder (`modeling_llama.py`): embeddings `V·d`, per layer
/// `d·h·a` (Q) `+ 2·d·h_kv·a` (K, V) `+ h·a·d` (output) `+ E·3·d·f` (gated feed-forward, per
/// expert) `+ d·E` (router, with experts) `+ n·d` (RMS norms), a final norm `d`, and the output
/// layer `V·d` unless tied.
pub fn decoder(s: &DecoderShape) -> ParameterCount {
    let (v, d, a, f) = (w(s.vocab), w(s.hidden), w(s.head_dim), w(s.ffn));
    let q = w(s.heads) * a;
    let kv = w(s.kv_heads) * a;
    let e = w(s.experts.max(1));
    let attention = d * q
        + 2 * d * kv
        + q * d
        + if s.qkv_bias { q + 2 * kv } else { 0 }
        + if s.o_bias { d } else { 0 };
    let ffn = e * (3 * d * f + if s.mlp_bias { 2 * f + d } else { 0 });
    let router = if s.experts > 1 { d * e } else { 0 };
    let layer = attention + ffn + router + w(s.norms_per_layer) * d;
    let mut terms = Terms::default();
    terms.add(format!("embeddings {}×{}", s.vocab, s.hidden), v * d);
    let experts = if s.experts > 1 {
        format!(
            " × {} experts + router {}×{}",
            s.experts, s.hidden, s.experts
        )
    } else {
        String::new()
    };
    terms.add(
        format!(
            "{} layers × (attention {}×{} + 2×{}×{} + {}×{}{} + feed-forward 3×{}×{}{experts} + {} norms = {})",
            s.layers,
            s.hidden,
            q,
            s.hidden,
            kv,
            q,
            s.hidden,
            if s.qkv_bias || s.o_bias { " + biases" } else { "" },
            s.hidden,
            s.ffn,
            s.norms_per_layer,
            group(layer)
        ),
        w(s.layers) * layer,
    );
    terms.add("final norm", d);
    if !s.tied {
        terms.add(
            format!("output layer {}×{} (untied)", s.vocab, s.hidden),
            v * d,
        );
    }
    let what = if s.tied {
        "computed from config.json (decoder, output layer tied to the embeddings)"
    } else {
        "computed from config.json (decoder)"
    };
    terms.finish(what)
}

/// A T5 or mT5 encoder-decoder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct T5Shape {
    /// Vocabulary `V`.
    pub vocab: u32,
    /// Model width `d` (`d_model`).
    pub hidden: u32,
    /// Heads `h` (`num_heads`).
    pub heads: u32,
    /// Head width `a` (`d_kv`).
    pub head_dim: u32,
    /// Feed-forward width `f` (`d_ff`).
    pub ffn: u32,
    /// Encoder layers.
    pub layers: u32,
    /// Decoder layers.
    pub decoder_layers: u32,
    /// Gated feed-forward (`feed_forward_proj` = `gated-…`: T5 v1.1, mT5, Flan-T5).
    pub gated: bool,
    /// Relative attention buckets (`relative_attention_num_buckets`).
    pub buckets: u32,
    /// Whether the output layer is the shared embedding (T5 v1.0: yes; v1.1 and mT5: no).
    pub tied: bool,
}

/// Parameters of T5 (`modeling_t5.py`, no biases, RMS norms of `d`): shared embeddings `V·d`;
/// per encoder layer `4·d·h·a` (attention) `+ (2|3)·d·f` (feed-forward) `+ 2d`; per decoder
/// layer `8·d·h·a + (2|3)·d·f + 3d`; a relative bias table `buckets × h` in the first layer of
/// each stack; final norms `2d`; the output layer `V·d` unless tied.
pub fn t5(s: &T5Shape) -> ParameterCount {
    let (v, d, f) = (w(s.vocab), w(s.hidden), w(s.ffn));
    let inner = w(s.heads) * w(s.head_dim);
    let proj = if s.gated { 3 } else { 2 };
    let attention = 4 * d * inner;
    let enc = attention + proj * d * f + 2 * d;
    let dec = 2 * attention + proj * d * f + 3 * d;
    let mut terms = Terms::default();
    terms.add(format!("shared embeddings {}×{}", s.vocab, s.hidden), v * d);
    terms.add(
        format!(
            "{} encoder layers × (4×{}×{} + {proj}×{}×{} + 2×{} = {})",
            s.layers,
            s.hidden,
            inner,
            s.hidden,
            s.ffn,
            s.hidden,
            group(enc)
        ),
        w(s.layers) * enc,
    );
    terms.add(
        format!(
            "{} decoder layers × (8×{}×{} + {proj}×{}×{} + 3×{} = {})",
            s.decoder_layers,
            s.hidden,
            inner,
            s.hidden,
            s.ffn,
            s.hidden,
            group(dec)
        ),
        w(s.decoder_layers) * dec,
    );
    terms.add(
        format!("relative bias 2×{}×{}", s.buckets, s.heads),
        2 * w(s.buckets) * w(s.heads),
    );
    terms.add("final norms", 2 * d);
    if !s.tied {
        terms.add(
            format!("output layer {}×{} (untied)", s.vocab, s.hidden),
            v * d,
        );
    }
    terms.finish("computed from config.json (T5 encoder-decoder)")
}

/// A BART-style encoder-decoder (BART, Marian, M2M-100 and NLLB).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seq2SeqShape {
    /// Vocabulary `V` (shared by encoder, decoder and output layer).
    pub vocab: u32,
    /// Model width `d` (`d_model`).
    pub hidden: u32,
    /// Encoder layers.
    pub layers: u32,
    /// Decoder layers.
    pub decoder_layers: u32,
    /// Encoder feed-forward width.
    pub encoder_ffn: u32,
    /// Decoder feed-forward width.
    pub decoder_ffn: u32,
    /// Rows of each stack's learned position table (BART: `max_position_embeddings + 2`), 0 for
    /// fixed sinusoids (Marian, M2M-100), which are not trained.
    pub learned_positions: u32,
    /// A layer norm after the embeddings in each stack (BART).
    pub embedding_norm: bool,
    /// A final layer norm in each stack (M2M-100, pre-norm).
    pub final_norm: bool,
    /// A separate output layer `V·d` (not tied to the shared embeddings).
    pub untied_output: bool,
}

/// Parameters of a BART-style encoder-decoder (`modeling_bart.py`, `modeling_marian.py`,
/// `modeling_m2m_100.py`): shared embeddings `V·d`; per encoder layer `4(d² + d)` (attention)
/// `+ 2d + d·f + f + f·d + d + 2d`; per decoder layer that plus cross-attention `4(d² + d) + 2d`;
/// learned position tables, embedding norms and final norms where the model has them.
pub fn seq2seq(s: &Seq2SeqShape) -> ParameterCount {
    let (v, d) = (w(s.vocab), w(s.hidden));
    let attention = 4 * (d * d + d) + 2 * d;
    let ffn = |f: u128| 2 * d * f + f + d + 2 * d;
    let enc = attention + ffn(w(s.encoder_ffn));
    let dec = 2 * attention + ffn(w(s.decoder_ffn));
    let mut terms = Terms::default();
    terms.add(format!("shared embeddings {}×{}", s.vocab, s.hidden), v * d);
    terms.add(
        format!("learned positions 2×{}×{}", s.learned_positions, s.hidden),
        2 * w(s.learned_positions) * d,
    );
    if s.embedding_norm {
        terms.add("embedding norms", 4 * d);
    }
    terms.add(
        format!("{} encoder layers × {}", s.layers, group(enc)),
        w(s.layers) * enc,
    );
    terms.add(
        format!("{} decoder layers × {}", s.decoder_layers, group(dec)),
        w(s.decoder_layers) * dec,
    );
    if s.final_norm {
        terms.add("final norms", 4 * d);
    }
    if s.untied_output {
        terms.add(
            format!("output layer {}×{} (untied)", s.vocab, s.hidden),
            v * d,
        );
    }
    terms.finish("computed from config.json (encoder-decoder)")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Within 1 % of a published count, in millions.
    fn near(count: &ParameterCount, published_m: f64) {
        let m = count.millions();
        assert!(
            (m - published_m).abs() <= 0.01 * published_m,
            "{m} M is not within 1 % of the published {published_m} M: {}",
            count.arithmetic
        );
    }

    fn bert(vocab: u32, layers: u32, d: u32) -> EncoderShape {
        EncoderShape {
            vocab,
            positions: 512,
            token_types: 2,
            embedding: d,
            hidden: d,
            layers,
            ffn: 4 * d,
            pooler: true,
            relative_bias: 0,
        }
    }

    fn llama(vocab: u32, d: u32, layers: u32, heads: u32, kv: u32, f: u32) -> DecoderShape {
        DecoderShape {
            vocab,
            hidden: d,
            layers,
            heads,
            kv_heads: kv,
            head_dim: d / heads,
            ffn: f,
            experts: 1,
            qkv_bias: false,
            o_bias: false,
            mlp_bias: false,
            norms_per_layer: 2,
            tied: false,
        }
    }

    #[test]
    fn bert_base_is_110m() {
        // Devlin et al. 2019, §3: BERT-Base 110 M, BERT-Large 340 M. (The cost model's
        // `bert_style_parameters_m` calls this formula.)
        let base = encoder(&bert(30522, 12, 768));
        near(&base, 110.0);
    }

    #[test]
    fn roberta_distilbert_albert_mpnet() {
        // RoBERTa-Base 125 M (Liu et al. 2019; fairseq README): V 50265, P 514, one token type.
        near(
            &encoder(&EncoderShape {
                vocab: 50265,
                positions: 514,
                token_types: 1,
                ..bert(0, 12, 768)
            }),
            125.0,
        );
        // DistilBERT 66 M (Sanh et al. 2019): 6 layers, no token types, no pooler.
        near(
            &encoder(&EncoderShape {
                token_types: 0,
                pooler: false,
                ..bert(30522, 6, 768)
            }),
            66.0,
        );
        // ALBERT-Base: E 128, one shared layer of d 768. Published figures are rounded loosely
        // (paper 12 M, Hugging Face docs 11 M), so this one is checked by hand.
        let albert = encoder(&EncoderShape {
            vocab: 30000,
            embedding: 128,
            layers: 1,
            ..bert(0, 1, 768)
        });
        let layer = 4 * 768 * 768 + 4 * 768 + 2 * 768 * 3072 + 3072 + 5 * 768;
        assert_eq!(
            albert.parameters,
            (30000 + 512 + 2) * 128 + 256 + 128 * 768 + 768 + layer + 768 * 768 + 768
        );
        // MPNet-Base 110 M (Song et al. 2020, §3.1): V 30527, P 514, no token types, 32 × 12 bias.
        near(
            &encoder(&EncoderShape {
                vocab: 30527,
                positions: 514,
                token_types: 0,
                relative_bias: 32 * 12,
                ..bert(0, 12, 768)
            }),
            110.0,
        );
    }

    #[test]
    fn deberta_v3_base_is_184m() {
        // Model card: 86 M backbone + 98 M embedding parameters.
        let c = deberta_v2(&DebertaV2Shape {
            vocab: 128_100,
            positions: 0,
            token_types: 0,
            embedding: 768,
            hidden: 768,
            layers: 12,
            ffn: 3072,
            relative_rows: 512,
            relative_norm: true,
            position_projections: 0,
        });
        near(&c, 184.0);
    }

    #[test]
    fn modernbert_base_is_149m() {
        // Model card (answerdotai/ModernBERT-base): 149 M.
        let c = modernbert(&ModernBertShape {
            vocab: 50368,
            hidden: 768,
            layers: 22,
            ffn: 1152,
            attention_bias: false,
            mlp_bias: false,
            norm_bias: false,
        });
        near(&c, 149.0);
    }

    #[test]
    fn gpt2_is_124m() {
        // openai/gpt-2 README: 124 M (formerly called 117 M); GPT-2 XL 1558 M.
        let small = gpt2(&Gpt2Shape {
            vocab: 50257,
            positions: 1024,
            hidden: 768,
            layers: 12,
            ffn: 3072,
        });
        near(&small, 124.0);
        assert_eq!(small.parameters, 124_439_808, "{}", small.arithmetic);
        near(
            &gpt2(&Gpt2Shape {
                vocab: 50257,
                positions: 1024,
                hidden: 1600,
                layers: 48,
                ffn: 6400,
            }),
            1558.0,
        );
    }

    #[test]
    fn llama_style_decoders() {
        // Llama-3-8B: 8.03 B (Meta model card); untied, GQA 32/8.
        let l3 = decoder(&llama(128_256, 4096, 32, 32, 8, 14336));
        near(&l3, 8030.0);
        // Llama-3.2-1B: 1.23 B (model card), tied.
        near(
            &decoder(&DecoderShape {
                head_dim: 64,
                tied: true,
                ..llama(128_256, 2048, 16, 32, 8, 8192)
            }),
            1230.0,
        );
        // Qwen2.5-0.5B: 494 M (Qwen2.5 report: 0.49 B; 494 032 768 by hand), tied, QKV biases.
        let qwen = decoder(&DecoderShape {
            qkv_bias: true,
            tied: true,
            ..llama(151_936, 896, 24, 14, 2, 4864)
        });
        assert_eq!(qwen.parameters, 494_032_768, "{}", qwen.arithmetic);
        near(&qwen, 494.0);
        // TinyLlama-1.1B: 1.1 B; SmolLM2-135M: 135 M (tied); Phi-3-mini: 3.8 B.
        near(&decoder(&llama(32000, 2048, 22, 32, 4, 5632)), 1100.0);
        near(
            &decoder(&DecoderShape {
                tied: true,
                ..llama(49152, 576, 30, 9, 3, 1536)
            }),
            135.0,
        );
        near(&decoder(&llama(32064, 3072, 32, 32, 32, 8192)), 3800.0);
        // Mixtral-8x7B: 46.7 B total (Mistral AI announcement), 8 experts.
        near(
            &decoder(&DecoderShape {
                experts: 8,
                ..llama(32000, 4096, 32, 32, 8, 14336)
            }),
            46700.0,
        );
        // Gemma-2-2B: 2.61 B (Gemma 2 report, Table 1: 2 614 M), head_dim 256, four norms, tied.
        near(
            &decoder(&DecoderShape {
                head_dim: 256,
                norms_per_layer: 4,
                tied: true,
                ..llama(256_000, 2304, 26, 8, 4, 9216)
            }),
            2614.0,
        );
    }

    #[test]
    fn t5_small_is_60m() {
        // Raffel et al. 2020, §3.7: T5-Small 60 M (tied output layer).
        let small = T5Shape {
            vocab: 32128,
            hidden: 512,
            heads: 8,
            head_dim: 64,
            ffn: 2048,
            layers: 6,
            decoder_layers: 6,
            gated: false,
            buckets: 32,
            tied: true,
        };
        near(&t5(&small), 60.0);
        // T5-Base, published as 220 M (1.3 % below the exact count): checked by hand,
        // 32128·768 + 12·(4·768² + 2·768·3072 + 2·768) + 12·(8·768² + 2·768·3072 + 3·768)
        // + 2·32·12 + 2·768 = 222 903 552.
        let base = t5(&T5Shape {
            hidden: 768,
            heads: 12,
            ffn: 3072,
            layers: 12,
            decoder_layers: 12,
            ..small
        });
        assert_eq!(base.parameters, 222_903_552, "{}", base.arithmetic);
        // mT5-Small: 300 M (Xue et al. 2021, Table 3): V 250112, 6 heads of 64, gated, untied.
        near(
            &t5(&T5Shape {
                vocab: 250_112,
                heads: 6,
                ffn: 1024,
                layers: 8,
                decoder_layers: 8,
                gated: true,
                tied: false,
                ..small
            }),
            300.0,
        );
    }

    #[test]
    fn bart_large_is_406m_and_marian_by_hand() {
        // Hugging Face docs (pretrained_models.rst): facebook/bart-large 406 M.
        let bart = seq2seq(&Seq2SeqShape {
            vocab: 50265,
            hidden: 1024,
            layers: 12,
            decoder_layers: 12,
            encoder_ffn: 4096,
            decoder_ffn: 4096,
            learned_positions: 1026,
            embedding_norm: true,
            final_norm: false,
            untied_output: false,
        });
        near(&bart, 406.0);
        // Marian opus-mt-zh-en (V 65001, d 512, 6 + 6 layers, f 2048), by hand:
        // 65001·512 + 6·(4·(512² + 512) + 1024 + 2·512·2048 + 2048 + 512 + 1024)
        //           + 6·(8·(512² + 512) + 2048 + 2·512·2048 + 2048 + 512 + 1024).
        let marian = seq2seq(&Seq2SeqShape {
            vocab: 65001,
            hidden: 512,
            layers: 6,
            decoder_layers: 6,
            encoder_ffn: 2048,
            decoder_ffn: 2048,
            learned_positions: 0,
            embedding_norm: false,
            final_norm: false,
            untied_output: false,
        });
        let d: u128 = 512;
        let enc = 4 * (d * d + d) + 2 * d + 2 * d * 2048 + 2048 + d + 2 * d;
        let dec = enc + 4 * (d * d + d) + 2 * d;
        assert_eq!(marian.parameters, 65001 * d + 6 * enc + 6 * dec);
    }

    #[test]
    fn arithmetic_reads_as_a_sum() {
        let c = gpt2(&Gpt2Shape {
            vocab: 50257,
            positions: 1024,
            hidden: 768,
            layers: 12,
            ffn: 3072,
        });
        assert!(
            c.arithmetic.contains("total 124 439 808"),
            "{}",
            c.arithmetic
        );
        assert!(c.arithmetic.starts_with("computed from config.json"));
    }
}
