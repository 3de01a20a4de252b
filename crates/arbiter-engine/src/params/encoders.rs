//! Encoders: BERT-like (BERT, RoBERTa, XLM-R, ELECTRA, ALBERT, DistilBERT, MPNet), DeBERTa-v2/v3
//! and ModernBERT.

use super::{ParameterCount, Terms, bert_layer, group, w};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::tests::near;

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
}
