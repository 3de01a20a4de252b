//! The cost model: compute, memory and latency of a model from its architecture alone.
//!
//! It follows the selection guide's self-attention analysis (§4): a Transformer layer over `n`
//! tokens of hidden size `d` costs about `24·n·d² + 4·n²·d` floating-point operations — the
//! Q, K, V and output projections (`8·n·d²`), the attention scores and the weighted sum
//! (`4·n²·d`), and a feed-forward network of width `4d` (`16·n·d²`) — counting a multiply-add as
//! two operations. BERT-Base (12 layers, d = 768) at 128 tokens comes to 22.35 GFLOPs.
//!
//! Every function is pure. Units: FLOPs as GFLOPs (10⁹), memory in megabytes (10⁶ bytes, so that
//! "110 M parameters at fp32" is 440 MB), time in milliseconds.
//!
//! Approximations, deliberately kept: embeddings, layer norms, biases and softmax are ignored
//! (each under 1 % at 128 tokens); ALBERT's shared layers cost the same compute as unshared ones
//! (sharing saves memory, not FLOPs); MobileBERT's bottleneck is modelled by running attention
//! and feed-forward at `bottleneck_size` plus three `d × bottleneck` projections per layer.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::{Family, Model};
use crate::task::Deployment;

/// Numeric precision of weights and activations at inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(transform = crate::schema::plain_enum)]
pub enum Precision {
    /// 32-bit floats: 4 bytes per value.
    Fp32,
    /// 16-bit floats: 2 bytes per value.
    Fp16,
    /// 8-bit integers: 1 byte per value.
    Int8,
}

impl Precision {
    /// Bytes per stored value.
    pub fn bytes(self) -> f64 {
        match self {
            Precision::Fp32 => 4.0,
            Precision::Fp16 => 2.0,
            Precision::Int8 => 1.0,
        }
    }

    /// Parses `fp32`, `fp16` or `int8`.
    pub fn parse(s: &str) -> Option<Precision> {
        match s {
            "fp32" => Some(Precision::Fp32),
            "fp16" => Some(Precision::Fp16),
            "int8" => Some(Precision::Int8),
            _ => None,
        }
    }
}

/// The effective capacity of a deployment class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceProfile {
    /// Sustained throughput on Transformer inference, in GFLOP/s (not the datasheet peak).
    #[schemars(range(min = 0.001))]
    pub gflops: f64,
    /// Memory available to the model, in MB.
    #[schemars(range(min = 1.0))]
    pub memory_mb: f64,
}

impl DeviceProfile {
    /// Default profile of a deployment class. Organisations override these in `[devices]`.
    ///
    /// Basis:
    /// - `mobile`: 80 GFLOP/s, calibrated on MobileBERT's published 62 ms per 128-token query on a
    ///   Pixel 4 (MobileBERT abstract, cited in the catalog) against this model's 5.0 GFLOPs for it;
    ///   2 048 MB, a mid-range phone's budget for one foreground app.
    /// - `edge`: 40 GFLOP/s and 4 096 MB, a quad-core Cortex-A72/A76 board with NEON at about half
    ///   its fp32 peak (an assumption: replace with a measurement of your own device).
    /// - `on-prem-cpu`: 200 GFLOP/s and 16 384 MB, four AVX2 server cores at about 30 % of peak.
    /// - `cloud-cpu`: 400 GFLOP/s and 16 384 MB, an 8-vCPU AVX-512 instance at about 30 % of peak.
    /// - `cloud-gpu`: 20 000 GFLOP/s and 16 384 MB, an NVIDIA T4 (65 TFLOP/s fp16 tensor peak, 16 GB)
    ///   at about 30 % of peak.
    pub fn default_for(deployment: Deployment) -> DeviceProfile {
        let (gflops, memory_mb) = match deployment {
            Deployment::Mobile => (80.0, 2048.0),
            Deployment::Edge => (40.0, 4096.0),
            Deployment::OnPremCpu => (200.0, 16384.0),
            Deployment::CloudCpu => (400.0, 16384.0),
            Deployment::CloudGpu => (20000.0, 16384.0),
        };
        DeviceProfile { gflops, memory_mb }
    }
}

/// The widths every formula here uses, as floats.
struct Dims {
    /// Hidden size between blocks.
    d: f64,
    /// Attention width: the hidden size, or the bottleneck.
    w: f64,
    /// Heads × head size (= w unless `head_size` says otherwise, as for mT5-Small).
    i: f64,
    /// Feed-forward width.
    f: f64,
    /// Stacked feed-forward networks per layer.
    k: f64,
    /// Whether a bottleneck narrower than `d` adds its projections.
    bottleneck: bool,
}

impl Dims {
    fn of(m: &Model) -> Dims {
        let w = f64::from(m.attention_width());
        Dims {
            d: f64::from(m.hidden_size),
            w,
            i: m.head_size
                .map_or(w, |h| f64::from(m.attention_heads) * f64::from(h)),
            f: f64::from(m.ffn_width()),
            k: f64::from(m.ffn_stacks.unwrap_or(1)),
            bottleneck: m.bottleneck_size.is_some_and(|b| b != m.hidden_size),
        }
    }
}

/// FLOPs of one encoder (self-attention) layer over `n` tokens:
///
/// `8·n·w·i + 4·n²·i + 4·n·w·f·k + 6·n·d·w·[w ≠ d]`
///
/// with `w` the attention width (hidden size d, or the bottleneck), `i` = heads × head size
/// (= w), `f` the feed-forward width (4w by default) and `k` the stacked feed-forward networks
/// (1 by default). With the defaults this is the guide's `24·n·d² + 4·n²·d`.
pub fn encoder_layer_flops(m: &Model, n: f64) -> f64 {
    let Dims {
        d,
        w,
        i,
        f,
        k,
        bottleneck,
    } = Dims::of(m);
    let bottleneck = if bottleneck { 6.0 * n * d * w } else { 0.0 };
    8.0 * n * w * i + 4.0 * n * n * i + 4.0 * n * w * f * k + bottleneck
}

/// FLOPs of one decoder layer of an encoder-decoder model over `n` target tokens attending to `n`
/// source tokens: the encoder layer plus cross-attention (`8·n·w·i + 4·n²·i`).
pub fn cross_decoder_layer_flops(m: &Model, n: f64) -> f64 {
    let Dims { w, i, .. } = Dims::of(m);
    encoder_layer_flops(m, n) + 8.0 * n * w * i + 4.0 * n * n * i
}

/// FLOPs of one decoder-only layer for one generated token with `n` tokens of context, with a
/// key-value cache: `8·w·i + 4·n·i + 4·w·f·k` (the guide's per-layer cost divided by n).
pub fn token_layer_flops(m: &Model, n: f64) -> f64 {
    let Dims { w, i, f, k, .. } = Dims::of(m);
    8.0 * w * i + 4.0 * n * i + 4.0 * w * f * k
}

/// Forward compute in GFLOPs for one example of `seq_len` tokens:
///
/// - encoder: `layers × encoder_layer_flops(n)`;
/// - encoder-decoder: both stacks, the decoder producing `n` tokens from `n` source tokens
///   (with a key-value cache, generating n tokens costs about one teacher-forced pass);
/// - decoder: per generated token, `layers × token_layer_flops(n)` with `n` tokens of context.
pub fn estimate_gflops(m: &Model, seq_len: u32) -> f64 {
    let n = f64::from(seq_len);
    let layers = f64::from(m.layers);
    let flops = match m.family {
        Family::Encoder => layers * encoder_layer_flops(m, n),
        Family::EncoderDecoder => {
            let dec = f64::from(m.decoder_layers.unwrap_or(m.layers));
            layers * encoder_layer_flops(m, n) + dec * cross_decoder_layer_flops(m, n)
        }
        Family::Decoder => layers * token_layer_flops(m, n),
    };
    flops / 1e9
}

/// Memory in MB at inference: weights plus the peak activations of one layer plus, for models
/// that decode, the key-value cache:
///
/// `(P·b + B·b·(n·(4w + f) + h·n²) + B·b·c·L_dec·n·i) / 10⁶`
///
/// with `P` parameters, `b` bytes per value, `B` the batch, `h` heads, `L_dec` decoder layers and
/// `c` = 2 cached tensors (K, V) per decoder layer, 4 for encoder-decoders (self and cross
/// attention). Activations are held at the same precision as the weights.
pub fn estimate_memory_mb(m: &Model, precision: Precision, seq_len: u32, batch: u32) -> f64 {
    let b = precision.bytes();
    let n = f64::from(seq_len);
    let batch = f64::from(batch);
    let Dims { w, i, f, .. } = Dims::of(m);
    let h = f64::from(m.attention_heads);
    let weights = m.parameters_m * 1e6 * b;
    let activations = batch * b * (n * (4.0 * w + f) + h * n * n);
    let kv_cache = match m.family {
        Family::Encoder => 0.0,
        Family::Decoder => 2.0 * f64::from(m.layers) * n * i,
        Family::EncoderDecoder => 4.0 * f64::from(m.decoder_layers.unwrap_or(m.layers)) * n * i,
    } * batch
        * b;
    (weights + activations + kv_cache) / 1e6
}

/// Latency in ms of one call of `batch` examples at `seq_len` tokens on `device`, compute-bound:
/// `estimate_gflops × batch / device.gflops × 1000`. For decoders this is the time per generated
/// token, which is what a streaming reader waits for.
pub fn estimate_latency_ms(m: &Model, device: &DeviceProfile, seq_len: u32, batch: u32) -> f64 {
    estimate_gflops(m, seq_len) * f64::from(batch) / device.gflops * 1000.0
}

/// Parameters in millions of the Transformer layers alone — what a model has to fit to its
/// training data, without the vocabulary embeddings that dominate multilingual models:
///
/// per encoder layer `4·w·i + 2·w·f·k` (+ `3·d·w` with a bottleneck), per decoder layer of an
/// encoder-decoder also cross-attention `4·w·i`; biases and norms ignored. BERT-Base: 84.9 M.
/// Shared layers (ALBERT) are counted once per layer, so this can exceed `parameters_m`.
pub fn layer_parameters_m(m: &Model) -> f64 {
    let Dims {
        d,
        w,
        i,
        f,
        k,
        bottleneck,
    } = Dims::of(m);
    let bottleneck = if bottleneck { 3.0 * d * w } else { 0.0 };
    let layer = 4.0 * w * i + 2.0 * w * f * k + bottleneck;
    let decoder = match m.family {
        Family::EncoderDecoder => {
            f64::from(m.decoder_layers.unwrap_or(m.layers)) * (layer + 4.0 * w * i)
        }
        _ => 0.0,
    };
    (f64::from(m.layers) * layer + decoder) / 1e6
}

/// Parameters in millions of a BERT-style encoder, from its architecture, for models whose
/// authors did not publish a count:
///
/// embeddings `(V + P + 2)·E + 2E` (+ `E·d + d` when factorised), per layer
/// `4d² + 4d + 2·d·f + f + d + 4d`, pooler `d² + d`.
/// Returns `None` when the vocabulary or position count is unknown.
pub fn bert_style_parameters_m(m: &Model) -> Option<f64> {
    let v = f64::from(m.vocab_size?);
    let p = f64::from(m.max_positions?);
    let d = f64::from(m.hidden_size);
    let e = f64::from(m.embedding_size.unwrap_or(m.hidden_size));
    let f = f64::from(m.intermediate_size.unwrap_or(4 * m.hidden_size));
    let factorised = if e == d { 0.0 } else { e * d + d };
    let embeddings = (v + p + 2.0) * e + 2.0 * e + factorised;
    let layer = 4.0 * d * d + 4.0 * d + 2.0 * d * f + f + d + 4.0 * d;
    let pooler = d * d + d;
    Some((embeddings + f64::from(m.layers) * layer + pooler) / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::LanguageCode;

    fn model(family: Family, params: f64, layers: u32, d: u32, heads: u32) -> Model {
        Model {
            id: "test/model".into(),
            name: "test".into(),
            family,
            objectives: vec![],
            parameters_m: params,
            parameters_basis: Default::default(),
            layers,
            decoder_layers: (family == Family::EncoderDecoder).then_some(layers),
            hidden_size: d,
            attention_heads: heads,
            head_size: None,
            intermediate_size: None,
            embedding_size: None,
            bottleneck_size: None,
            ffn_stacks: None,
            max_positions: Some(512),
            vocab_size: Some(30522),
            languages: vec![LanguageCode("en".into())],
            domain: Default::default(),
            license: None,
            released: None,
            tasks: vec!["text-classification".into()],
            benchmarks: Default::default(),
            sources: vec!["test".into()],
            notes: vec![],
        }
    }

    fn bert_base() -> Model {
        model(Family::Encoder, 110.0, 12, 768, 12)
    }

    fn gpt2() -> Model {
        model(Family::Decoder, 124.0, 12, 768, 12)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9 * b.abs().max(1.0)
    }

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

    /// BERT-Base, 128 tokens, batch 1, by hand:
    /// weights 110e6·b; activations 128·(4·768 + 3072) + 12·128² = 983 040 values.
    #[test]
    fn memory_of_bert_base_at_each_precision() {
        let m = bert_base();
        assert!(close(
            estimate_memory_mb(&m, Precision::Fp32, 128, 1),
            440.0 + 3.932_16
        ));
        assert!(close(
            estimate_memory_mb(&m, Precision::Fp16, 128, 1),
            220.0 + 1.966_08
        ));
        assert!(close(
            estimate_memory_mb(&m, Precision::Int8, 128, 1),
            110.0 + 0.983_04
        ));
    }

    /// GPT-2, 128 tokens, batch 1, by hand: activations 983 040 values as above, plus a KV cache
    /// of 2·12·128·768 = 2 359 296 values: 3 342 336 values besides 124e6 weights.
    #[test]
    fn memory_of_gpt2_at_each_precision() {
        let m = gpt2();
        assert!(close(
            estimate_memory_mb(&m, Precision::Fp32, 128, 1),
            496.0 + 13.369_344
        ));
        assert!(close(
            estimate_memory_mb(&m, Precision::Fp16, 128, 1),
            248.0 + 6.684_672
        ));
        assert!(close(
            estimate_memory_mb(&m, Precision::Int8, 128, 1),
            124.0 + 3.342_336
        ));
    }

    #[test]
    fn batch_scales_activations_not_weights() {
        let m = bert_base();
        let one = estimate_memory_mb(&m, Precision::Fp32, 128, 1) - 440.0;
        let eight = estimate_memory_mb(&m, Precision::Fp32, 128, 8) - 440.0;
        assert!(close(eight, 8.0 * one));
    }

    #[test]
    fn decoder_cost_is_per_generated_token() {
        // Per token, per layer: 24·d² + 4·n·d.
        let g = estimate_gflops(&gpt2(), 128) * 1e9;
        assert!(close(
            g,
            12.0 * (24.0 * 768.0 * 768.0 + 4.0 * 128.0 * 768.0)
        ));
    }

    #[test]
    fn encoder_decoder_counts_both_stacks_and_cross_attention() {
        let m = model(Family::EncoderDecoder, 220.0, 12, 768, 12);
        let enc = 12.0 * encoder_layer_flops(&m, 128.0);
        let g = estimate_gflops(&m, 128) * 1e9;
        assert!(g > 2.0 * enc);
        assert!(close(
            g,
            2.0 * enc + 12.0 * (8.0 * 128.0 * 768.0 * 768.0 + 4.0 * 128.0 * 128.0 * 768.0)
        ));
    }

    #[test]
    fn latency_is_compute_over_throughput() {
        let m = bert_base();
        let dev = DeviceProfile {
            gflops: 100.0,
            memory_mb: 1000.0,
        };
        let ms = estimate_latency_ms(&m, &dev, 128, 2);
        assert!(close(ms, estimate_gflops(&m, 128) * 2.0 / 100.0 * 1000.0));
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
    }

    #[test]
    fn bert_style_parameter_formula_recovers_bert_base() {
        // Published: 110 M. The formula gives 109.48 M for BERT-Base uncased.
        let p = bert_style_parameters_m(&bert_base()).unwrap();
        assert!((p - 109.48).abs() < 0.01, "{p}");
    }
}
