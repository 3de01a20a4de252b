//! Floating-point operations: of a layer reading its input in one pass, of a layer generating
//! one token from its key-value cache, of prefill and of one generation step.

use super::shape::{Dims, generating_layers};
use crate::catalog::{Family, Model};

/// FLOPs of one self-attention layer over `n` tokens read in one pass (an encoder layer, or a
/// decoder layer at prefill):
///
/// `n·(4·w·i + 4·w·i_kv + 2·proj·w·f·k + 6·d·w·[w ≠ d]) + 4·n²·i`
///
/// with `w` the attention width (hidden size d, or the bottleneck), `i` = heads × head size
/// (= w), `i_kv` = key-value heads × head size (= i), `f` the feed-forward width (4w by default),
/// `proj` its projections (2, or 3 when gated) and `k` the feed-forward networks a token passes
/// (1; MobileBERT's stacks; a mixture's experts per token). With the defaults this is the
/// guide's `24·n·d² + 4·n²·d`.
pub fn encoder_layer_flops(m: &Model, n: f64) -> f64 {
    let dims = Dims::of(m);
    n * dims.per_token() + 4.0 * n * n * dims.i
}

/// FLOPs of one decoder layer for one generated token with `c` tokens of context, with a
/// key-value cache: `4·w·i + 4·w·i_kv + 2·proj·w·f·k + 4·c·i` (the prefill layer's cost per
/// token, attending over the cache instead of the whole pass).
pub fn token_layer_flops(m: &Model, c: f64) -> f64 {
    let dims = Dims::of(m);
    dims.per_token() + 4.0 * c * dims.i
}

/// FLOPs of cross-attention in one decoder layer of an encoder-decoder model, per generated
/// token over `n` source tokens: the query and output projections `4·w·i` and the attention
/// `4·n·i`. (Its keys and values over the source are projected once, at prefill.)
fn cross_token_flops(m: &Model, n: f64) -> f64 {
    let Dims { w, i, .. } = Dims::of(m);
    4.0 * w * i + 4.0 * n * i
}

/// Prefill compute in GFLOPs for one example of `seq_len` input tokens: every family reads its
/// input in one pass.
///
/// - encoder and decoder: `layers × encoder_layer_flops(n)` — a decoder reading a text costs
///   what the same-shaped encoder costs;
/// - encoder-decoder: the encoder stack over `n`, plus each decoder layer's projection of the
///   encoder output into cross-attention keys and values (`4·n·w·i_kv`).
pub fn estimate_gflops(m: &Model, seq_len: u32) -> f64 {
    let n = f64::from(seq_len);
    let layers = f64::from(m.layers);
    let mut flops = layers * encoder_layer_flops(m, n);
    if m.family == Family::EncoderDecoder {
        let Dims { w, kv, .. } = Dims::of(m);
        flops += generating_layers(m) * 4.0 * n * w * kv;
    }
    flops / 1e9
}

/// Compute in GFLOPs of one generation step for one example, with `c` tokens of context (the
/// decoder's own tokens) and, for an encoder-decoder, `n` source tokens: `L_dec ×
/// (token_layer_flops(c) [+ cross_token_flops(n)])`. Zero for encoders.
pub fn step_gflops(m: &Model, c: f64, n: f64) -> f64 {
    let per_layer = token_layer_flops(m, c)
        + if m.family == Family::EncoderDecoder {
            cross_token_flops(m, n)
        } else {
            0.0
        };
    generating_layers(m) * per_layer / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::fixtures::{bert_base, close, model};
    use crate::cost::step_parameters_m;

    #[test]
    fn bert_base_at_128_tokens_is_22_35_gflops() {
        let g = estimate_gflops(&bert_base(), 128);
        assert!((g - 22.35).abs() / 22.35 < 0.02, "{g}");
        // Exactly the guide's formula: 12 × (24·128·768² + 4·128²·768).
        assert!(close(
            g * 1e9,
            12.0 * (24.0 * 128.0 * 768.0 * 768.0 + 4.0 * 128.0 * 128.0 * 768.0)
        ));
    }

    #[test]
    fn attention_cost_grows_quadratically() {
        let m = bert_base();
        let quad = |n: f64| encoder_layer_flops(&m, n) - 24.0 * n * 768.0 * 768.0;
        assert!(close(quad(512.0), 16.0 * quad(128.0)));
    }

    #[test]
    fn encoder_decoder_prefill_reads_the_source_and_steps_attend_to_it() {
        let m = model(Family::EncoderDecoder, 220.0, 12, 768, 12);
        let enc = 12.0 * encoder_layer_flops(&m, 128.0);
        let g = estimate_gflops(&m, 128) * 1e9;
        assert!(close(g, enc + 12.0 * 4.0 * 128.0 * 768.0 * 768.0));
        // A step: self-attention over c, cross-attention over the 128 source tokens.
        assert!(close(
            step_gflops(&m, 10.0, 128.0) * 1e9,
            12.0 * (24.0 * 768.0 * 768.0
                + 4.0 * 10.0 * 768.0
                + 4.0 * 768.0 * 768.0
                + 4.0 * 128.0 * 768.0)
        ));
        // A step reads the decoder side: everything but the 12 encoder layers.
        assert!(close(
            step_parameters_m(&m, 1),
            220.0 - 12.0 * 12.0 * 768.0 * 768.0 / 1e6
        ));
    }
}
