//! Parameters in millions as the cost model needs them: used per token, read per generation
//! step (a mixture's routed experts), of the Transformer layers alone, and of a BERT-style
//! encoder computed from its architecture.

use super::shape::Dims;
use crate::catalog::{Family, Model};

/// Parameters in millions used per token: `active_parameters_m` where published (mixtures of
/// experts), else all of them.
pub fn active_parameters_m(m: &Model) -> f64 {
    m.active_parameters_m.unwrap_or(m.parameters_m)
}

/// Parameters in millions a generation step reads for a batch of `batch` examples.
///
/// - dense decoder: all of them;
/// - encoder-decoder: all but the encoder layers (the encoder ran once, at prefill);
/// - mixture of experts: the shared part plus the experts the batch is routed to, at most all
///   of them. From the published totals: one expert holds `e = (P − P_active) / (E − k)`, the
///   shared part `P_active − k·e`, and a batch of B touches at most `min(E, B·k)` experts.
pub fn step_parameters_m(m: &Model, batch: u32) -> f64 {
    if m.family == Family::EncoderDecoder {
        // The decoder side; all of it where the layer count exceeds the total (shared layers).
        let enc = f64::from(m.layers) * layer_parameters(m) / 1e6;
        return if enc < m.parameters_m {
            m.parameters_m - enc
        } else {
            m.parameters_m
        };
    }
    match (m.experts, m.experts_per_token, m.active_parameters_m) {
        (Some(e), Some(k), Some(active)) if e > k => {
            let (e, k) = (f64::from(e), f64::from(k));
            let expert = (m.parameters_m - active) / (e - k);
            let shared = active - k * expert;
            shared + (f64::from(batch) * k).min(e) * expert
        }
        _ => active_parameters_m(m),
    }
}

/// Parameters of one encoder-style layer: `4·w·i` for the projections with `i_kv` for K and V
/// (`2·w·i + 2·w·i_kv`), the feed-forward networks `proj·w·f·k_all` (all experts of a mixture),
/// and a bottleneck's `3·d·w`.
fn layer_parameters(m: &Model) -> f64 {
    let Dims {
        d,
        w,
        i,
        kv,
        f,
        proj,
        bottleneck,
        ..
    } = Dims::of(m);
    let k_all = f64::from(m.experts.or(m.ffn_stacks).unwrap_or(1));
    let bottleneck = if bottleneck { 3.0 * d * w } else { 0.0 };
    2.0 * w * i + 2.0 * w * kv + proj * w * f * k_all + bottleneck
}

/// Parameters in millions of the Transformer layers alone — what a model has to fit to its
/// training data, without the vocabulary embeddings that dominate multilingual models:
///
/// per encoder layer `2·w·i + 2·w·i_kv + proj·w·f·k` (+ `3·d·w` with a bottleneck), per decoder
/// layer of an encoder-decoder also cross-attention `4·w·i`; biases and norms ignored.
/// BERT-Base: 84.9 M. Shared layers (ALBERT) are counted once per layer, so this can exceed
/// `parameters_m`.
pub fn layer_parameters_m(m: &Model) -> f64 {
    let layer = layer_parameters(m);
    let decoder = match m.family {
        Family::EncoderDecoder => {
            let Dims { w, i, .. } = Dims::of(m);
            f64::from(m.decoder_layers.unwrap_or(m.layers)) * (layer + 4.0 * w * i)
        }
        _ => 0.0,
    };
    (f64::from(m.layers) * layer + decoder) / 1e6
}

/// Parameters in millions of a BERT-style encoder, from its architecture, for models whose
/// authors did not publish a count: [`crate::params::encoder`] with two token types and a
/// pooler —
///
/// embeddings `(V + P + 2)·E + 2E` (+ `E·d + d` when factorised), per layer
/// `4d² + 4d + 2·d·f + f + d + 4d`, pooler `d² + d`.
/// Returns `None` when the vocabulary or position count is unknown.
pub fn bert_style_parameters_m(m: &Model) -> Option<f64> {
    Some(
        crate::params::encoder(&crate::params::EncoderShape {
            vocab: m.vocab_size?,
            positions: m.max_positions?,
            token_types: 2,
            embedding: m.embedding_size.unwrap_or(m.hidden_size),
            hidden: m.hidden_size,
            layers: m.layers,
            ffn: m.intermediate_size.unwrap_or(4 * m.hidden_size),
            pooler: true,
            relative_bias: 0,
        })
        .millions(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::fixtures::{bert_base, close, llama3_8b, model};
    use crate::cost::{Precision, estimate_memory_mb, token_layer_flops};

    /// Mixtral-shaped: 8 experts, 2 per token, 46 700 M in all, 12 900 M active. One expert holds
    /// (46 700 − 12 900) / 6 = 5 633.3 M, the shared part 12 900 − 2·5 633.3 = 1 633.3 M.
    #[test]
    fn a_mixture_reads_its_active_experts() {
        let mut m = llama3_8b();
        m.parameters_m = 46_700.0;
        m.experts = Some(8);
        m.experts_per_token = Some(2);
        m.active_parameters_m = Some(12_900.0);
        assert!(close(step_parameters_m(&m, 1), 12_900.0));
        let expert = (46_700.0 - 12_900.0) / 6.0;
        assert!(close(
            step_parameters_m(&m, 2),
            12_900.0 - 2.0 * expert + 4.0 * expert
        ));
        assert!(close(step_parameters_m(&m, 64), 46_700.0));
        // Compute: the feed-forward term twice per token.
        let dense = llama3_8b();
        let ffn = 6.0 * 4096.0 * 14336.0;
        assert!(close(
            token_layer_flops(&m, 100.0),
            token_layer_flops(&dense, 100.0) + ffn
        ));
        // Memory holds every expert.
        assert!(
            estimate_memory_mb(&m, Precision::Int4, 128, 0, 1) > 46_700.0 * 0.5625,
            "all weights are resident"
        );
    }

    #[test]
    fn layer_parameters_exclude_embeddings() {
        // 12 × (4·768² + 2·768·3072) = 84 934 656.
        assert!(close(layer_parameters_m(&bert_base()), 84.934_656));
        let t5 = model(Family::EncoderDecoder, 220.0, 12, 768, 12);
        assert!(close(
            layer_parameters_m(&t5),
            84.934_656 + 84.934_656 + 12.0 * 4.0 * 768.0 * 768.0 / 1e6
        ));
        // Llama-3-8B: 32 × (2·4096² + 2·4096·1024 + 3·4096·14336) = 6 979 321 856.
        assert!(close(layer_parameters_m(&llama3_8b()), 6_979.321_856));
    }

    #[test]
    fn bert_style_parameter_formula_recovers_bert_base() {
        // Published: 110 M. The formula gives 109.48 M for BERT-Base uncased.
        let p = bert_style_parameters_m(&bert_base()).unwrap();
        assert!((p - 109.48).abs() < 0.01, "{p}");
    }
}
