//! Memory at inference: the weights, the peak activations of one layer, and the key-value cache
//! a generating model keeps.

use super::shape::{Dims, generating_layers};
use crate::catalog::{Family, Model};
use crate::task::Precision;

/// Key-value cache values per example at `c` decoder tokens and `n` source tokens:
/// `2·L_dec·c·i_kv` for a decoder's self-attention, plus `2·L_dec·n·i_kv` for an
/// encoder-decoder's cross-attention.
pub(super) fn kv_cache_values(m: &Model, c: f64, n: f64) -> f64 {
    let Dims { kv, .. } = Dims::of(m);
    let layers = generating_layers(m);
    let cross = if m.family == Family::EncoderDecoder {
        n
    } else {
        0.0
    };
    2.0 * layers * (c + cross) * kv
}

/// Memory in MB at inference: weights, plus the peak activations of one layer over the input,
/// plus the key-value cache at the end of generation:
///
/// `(P·b + B·a·n·(4w + f) + B·a·kv(n + out)) / 10⁶`
///
/// with `P` parameters, `b` bytes per weight, `a` bytes per activation
/// ([`Precision::activation_bytes`]), `B` the batch, and `kv(t)` the key-value cache values:
/// `2·L_dec·t·i_kv` for decoders that generate (the input and every generated token; none when
/// `out` is 0, since a decoder reading a text keeps no cache), `2·L_dec·(out + n)·i_kv` for
/// encoder-decoders (self-attention over the output, cross-attention over the input), none for
/// encoders.
///
/// The attention scores (`h·n²` values per layer, the guide's quadratic term) are not held:
/// current runtimes compute them in tiles with memory-efficient attention (PyTorch's
/// `scaled_dot_product_attention`, the default in `transformers` and ONNX Runtime; FlashAttention,
/// Dao et al. 2022), so they cost compute, counted in the FLOPs, but not memory. Counting them
/// would veto a 1 B decoder at 16 k tokens for 18 GB it never needs.
pub fn estimate_memory_mb(
    m: &Model,
    precision: Precision,
    seq_len: u32,
    output_tokens: u32,
    batch: u32,
) -> f64 {
    let b = precision.bytes();
    let a = precision.activation_bytes();
    let n = f64::from(seq_len);
    let out = f64::from(output_tokens);
    let batch = f64::from(batch);
    let Dims { w, f, .. } = Dims::of(m);
    let weights = m.parameters_m * 1e6 * b;
    let activations = batch * a * n * (4.0 * w + f);
    let kv_cache = batch
        * a
        * match m.family {
            Family::Encoder => 0.0,
            Family::Decoder if output_tokens == 0 => 0.0,
            Family::Decoder => kv_cache_values(m, n + out, 0.0),
            Family::EncoderDecoder => kv_cache_values(m, out, n),
        };
    (weights + activations + kv_cache) / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::fixtures::{bert_base, close, gpt2};

    /// BERT-Base, 128 tokens, batch 1, by hand:
    /// weights 110e6·b; activations 128·(4·768 + 3072) = 786 432 values, at 4 bytes for fp32 and
    /// 2 bytes otherwise (quantisation is of the weights).
    #[test]
    fn memory_of_bert_base_at_each_precision() {
        let m = bert_base();
        let mem = |p| estimate_memory_mb(&m, p, 128, 0, 1);
        assert!(close(mem(Precision::Fp32), 440.0 + 3.145_728));
        assert!(close(mem(Precision::Fp16), 220.0 + 1.572_864));
        assert!(close(mem(Precision::Bf16), 220.0 + 1.572_864));
        assert!(close(mem(Precision::Int8), 110.0 + 1.572_864));
        assert!(close(mem(Precision::Int4), 61.875 + 1.572_864));
    }

    /// GPT-2, 128 tokens, batch 1, by hand: activations 786 432 values as above and, reading
    /// without generating, no key-value cache. With 64 output tokens the cache holds 192 tokens:
    /// 2·12·192·768 = 3 538 944 values.
    #[test]
    fn memory_of_gpt2_at_each_precision() {
        let m = gpt2();
        assert!(close(
            estimate_memory_mb(&m, Precision::Fp32, 128, 0, 1),
            496.0 + 3.145_728
        ));
        assert!(close(
            estimate_memory_mb(&m, Precision::Fp16, 128, 0, 1),
            248.0 + 1.572_864
        ));
        assert!(close(
            estimate_memory_mb(&m, Precision::Fp16, 128, 64, 1),
            248.0 + 2.0 * (786_432.0 + 3_538_944.0) / 1e6
        ));
    }

    /// The attention scores are not held (memory-efficient attention): activations grow
    /// linearly with the input, not quadratically.
    #[test]
    fn activations_grow_linearly_with_the_input() {
        let m = bert_base();
        let act = |n| estimate_memory_mb(&m, Precision::Fp32, n, 0, 1) - 440.0;
        assert!(close(act(4096), 32.0 * act(128)));
    }

    #[test]
    fn batch_scales_activations_not_weights() {
        let m = bert_base();
        let one = estimate_memory_mb(&m, Precision::Fp32, 128, 0, 1) - 440.0;
        let eight = estimate_memory_mb(&m, Precision::Fp32, 128, 0, 8) - 440.0;
        assert!(close(eight, 8.0 * one));
    }
}
