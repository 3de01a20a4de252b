//! The cost model: compute, memory and latency of a model from its architecture alone.
//!
//! It follows the selection guide's self-attention analysis (§4): a Transformer layer over `n`
//! tokens of hidden size `d` costs about `24·n·d² + 4·n²·d` floating-point operations — the
//! Q, K, V and output projections (`8·n·d²`), the attention scores and the weighted sum
//! (`4·n²·d`), and a feed-forward network of width `4d` (`16·n·d²`) — counting a multiply-add as
//! two operations. BERT-Base (12 layers, d = 768) at 128 tokens comes to 22.35 GFLOPs.
//!
//! The per-layer formula is generalised, term by term, to the architectures people now weigh:
//! grouped-query and multi-query attention (K and V projected to `kv_heads` heads, so
//! `4·n·d·i + 4·n·d·i_kv` for the projections), gated feed-forward networks (SwiGLU, GeGLU: three
//! projections, `6·n·d·f`), and mixtures of experts (the feed-forward term once per expert a
//! token is routed to). With the guide's defaults every generalisation reduces to
//! `24·n·d² + 4·n²·d`.
//!
//! A call is priced in two phases (the usual split of LLM inference, e.g. Pope et al. 2022,
//! "Efficiently Scaling Transformer Inference", §2; Kaplan et al. 2020 for `2·N` FLOPs per token):
//!
//! - **prefill** — every family reads its `n` input tokens in one pass: compute-bound, FLOPs over
//!   the device's sustained throughput. A decoder classifying a text costs what the same-shaped
//!   encoder costs.
//! - **generation** — `output_tokens` steps, one token per example each. A step reads every
//!   weight it uses plus the key-value cache, and on current hardware that memory traffic, not
//!   the arithmetic, is what takes the time at small batches; a step takes whichever is larger,
//!   bytes over memory bandwidth or FLOPs over throughput. The step is priced at the mean
//!   context (`n + output_tokens / 2`), exact where one bound holds throughout because both grow
//!   linearly with the context.
//!
//! Every function is pure. Units: FLOPs as GFLOPs (10⁹), memory in megabytes (10⁶ bytes, so that
//! "110 M parameters at fp32" is 440 MB), bandwidth in GB/s (10⁹ bytes), time in milliseconds.
//!
//! Approximations, deliberately kept: embeddings, layer norms, biases and softmax are ignored in
//! FLOPs (each under 1 % at 128 tokens; the output projection onto a large vocabulary is not, but
//! its weights are read in every generation step, which is what bounds it); causal attention is
//! priced like full attention; ALBERT's shared layers cost the same compute as unshared ones
//! (sharing saves memory, not FLOPs); MobileBERT's bottleneck is modelled by running attention
//! and feed-forward at `bottleneck_size` plus three `d × bottleneck` projections per layer.
//! Quantisation changes the bytes of the weights, not the device's throughput.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::{Family, Model};
use crate::task::Deployment;
pub use crate::task::Precision;

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
    /// Sustained memory bandwidth, in GB/s: what bounds each generated token. Absent in a
    /// bundle: the class's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.001))]
    pub memory_bandwidth_gbs: Option<f64>,
}

impl DeviceProfile {
    /// Default profile of a deployment class. Organisations override these in `[devices]`.
    ///
    /// Basis:
    /// - `mobile`: 80 GFLOP/s, calibrated on MobileBERT's published 62 ms per 128-token query on a
    ///   Pixel 4 (MobileBERT abstract, cited in the catalog) against this model's 5.0 GFLOPs for it;
    ///   2 048 MB, a mid-range phone's budget for one foreground app; 15 GB/s, about half the
    ///   34 GB/s peak of the Pixel 4's LPDDR4X-4266 (4 × 16-bit channels).
    /// - `edge`: 40 GFLOP/s and 4 096 MB, a quad-core Cortex-A72/A76 board with NEON at about half
    ///   its fp32 peak (an assumption: replace with a measurement of your own device); 8 GB/s,
    ///   about half the 17 GB/s peak of a Raspberry Pi 5's 32-bit LPDDR4X-4267.
    /// - `on-prem-cpu`: 200 GFLOP/s and 16 384 MB, four AVX2 server cores at about 30 % of peak;
    ///   20 GB/s, what four cores draw from DDR4 (about 5 GB/s per core in STREAM-like loads).
    /// - `cloud-cpu`: 400 GFLOP/s and 16 384 MB, an 8-vCPU AVX-512 instance at about 30 % of peak;
    ///   40 GB/s on the same per-core basis.
    /// - `cloud-gpu`: 20 000 GFLOP/s and 16 384 MB, an NVIDIA T4 (65 TFLOP/s fp16 tensor peak, 16 GB)
    ///   at about 30 % of peak; 240 GB/s, 75 % of the T4's 320 GB/s GDDR6 peak.
    pub fn default_for(deployment: Deployment) -> DeviceProfile {
        let (gflops, memory_mb, bandwidth) = match deployment {
            Deployment::Mobile => (80.0, 2048.0, 15.0),
            Deployment::Edge => (40.0, 4096.0, 8.0),
            Deployment::OnPremCpu => (200.0, 16384.0, 20.0),
            Deployment::CloudCpu => (400.0, 16384.0, 40.0),
            Deployment::CloudGpu => (20000.0, 16384.0, 240.0),
        };
        DeviceProfile {
            gflops,
            memory_mb,
            memory_bandwidth_gbs: Some(bandwidth),
        }
    }

    /// Memory bandwidth in bytes per second; unbounded when neither the bundle nor a default
    /// gives one (generation is then priced by its compute alone).
    fn bytes_per_s(&self) -> f64 {
        self.memory_bandwidth_gbs.map_or(f64::INFINITY, |g| g * 1e9)
    }
}

/// The widths every formula here uses, as floats.
struct Dims {
    /// Hidden size between blocks.
    d: f64,
    /// Attention width: the hidden size, or the bottleneck.
    w: f64,
    /// Heads × head size (= w unless `head_size` says otherwise, as for mT5-Small or Gemma 2).
    i: f64,
    /// Key-value heads × head size (= i without grouped-query attention).
    kv: f64,
    /// Feed-forward width.
    f: f64,
    /// Feed-forward networks a token passes per layer: stacked (MobileBERT) or routed experts.
    k: f64,
    /// Projections per feed-forward network: 3 when gated, else 2.
    proj: f64,
    /// Whether a bottleneck narrower than `d` adds its projections.
    bottleneck: bool,
}

impl Dims {
    fn of(m: &Model) -> Dims {
        let w = f64::from(m.attention_width());
        let head = m
            .head_size
            .map_or_else(|| w / f64::from(m.attention_heads), f64::from);
        let i = m
            .head_size
            .map_or(w, |h| f64::from(m.attention_heads) * f64::from(h));
        Dims {
            d: f64::from(m.hidden_size),
            w,
            i,
            kv: f64::from(m.kv_head_count()) * head,
            f: f64::from(m.ffn_width()),
            k: f64::from(m.experts_per_token.or(m.ffn_stacks).unwrap_or(1)),
            proj: if m.gated_ffn { 3.0 } else { 2.0 },
            bottleneck: m.bottleneck_size.is_some_and(|b| b != m.hidden_size),
        }
    }

    /// FLOPs per token of a layer apart from attention over the context: the Q, K, V and output
    /// projections `4·w·i + 4·w·i_kv`, the feed-forward networks `2·proj·w·f·k`, and a
    /// bottleneck's three `d × w` projections `6·d·w`. With the guide's defaults: `24·d²`.
    fn per_token(&self) -> f64 {
        let bottleneck = if self.bottleneck {
            6.0 * self.d * self.w
        } else {
            0.0
        };
        4.0 * self.w * self.i
            + 4.0 * self.w * self.kv
            + 2.0 * self.proj * self.w * self.f * self.k
            + bottleneck
    }
}

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

/// Decoder layers of the part that generates: `decoder_layers` of an encoder-decoder, all
/// layers of a decoder, none of an encoder.
fn generating_layers(m: &Model) -> f64 {
    match m.family {
        Family::Encoder => 0.0,
        Family::Decoder => f64::from(m.layers),
        Family::EncoderDecoder => f64::from(m.decoder_layers.unwrap_or(m.layers)),
    }
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

/// Key-value cache values per example at `c` decoder tokens and `n` source tokens:
/// `2·L_dec·c·i_kv` for a decoder's self-attention, plus `2·L_dec·n·i_kv` for an
/// encoder-decoder's cross-attention.
fn kv_cache_values(m: &Model, c: f64, n: f64) -> f64 {
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

/// Which resource bounds a generation step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Bound {
    /// Reading weights and cache from memory.
    Memory,
    /// Arithmetic.
    Compute,
}

/// The cost of one call: `batch` examples of `seq_len` input tokens, `output_tokens` generated
/// per example, at one precision on one device.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CallCost {
    /// The precision of the weights.
    pub precision: Precision,
    /// Prefill time: `batch × estimate_gflops / throughput`.
    pub prefill_ms: f64,
    /// Tokens generated per example.
    pub output_tokens: u32,
    /// Time of one generation step at the mean context (0 without output tokens).
    pub token_ms: f64,
    /// What bounds a generation step.
    pub token_bound: Bound,
    /// The whole call: `prefill_ms + output_tokens × token_ms`.
    pub latency_ms: f64,
    /// Memory at the end of the call ([`estimate_memory_mb`]).
    pub memory_mb: f64,
}

/// Prices one call, in two phases.
///
/// - prefill: `B × estimate_gflops(n) / G`, with `G` the device's throughput;
/// - one generation step at mean context `c̄ = n + out/2`:
///   `max(bytes / bandwidth, B × step_gflops(c̄) / G)`, where the bytes are the weights the step
///   reads ([`step_parameters_m`] × bytes per weight) plus the batch's key-value cache at `c̄`;
/// - the call: `prefill + out × step`.
///
/// An encoder generates nothing, whatever `output_tokens` says; its call is its prefill.
pub fn estimate_call(
    m: &Model,
    device: &DeviceProfile,
    precision: Precision,
    seq_len: u32,
    output_tokens: u32,
    batch: u32,
) -> CallCost {
    let n = f64::from(seq_len);
    let b = f64::from(batch);
    let throughput = device.gflops * 1e9;
    let prefill_ms = b * estimate_gflops(m, seq_len) * 1e9 / throughput * 1000.0;
    let output_tokens = if m.family == Family::Encoder {
        0
    } else {
        output_tokens
    };
    let (token_ms, token_bound) = if output_tokens == 0 {
        (0.0, Bound::Memory)
    } else {
        let out = f64::from(output_tokens);
        let c = match m.family {
            Family::EncoderDecoder => out / 2.0,
            _ => n + out / 2.0,
        };
        let bytes = step_parameters_m(m, batch) * 1e6 * precision.bytes()
            + b * precision.activation_bytes() * kv_cache_values(m, c, n);
        let memory_ms = bytes / device.bytes_per_s() * 1000.0;
        let compute_ms = b * step_gflops(m, c, n) * 1e9 / throughput * 1000.0;
        if compute_ms > memory_ms {
            (compute_ms, Bound::Compute)
        } else {
            (memory_ms, Bound::Memory)
        }
    };
    CallCost {
        precision,
        prefill_ms,
        output_tokens,
        token_ms,
        token_bound,
        latency_ms: prefill_ms + f64::from(output_tokens) * token_ms,
        memory_mb: estimate_memory_mb(m, precision, seq_len, output_tokens, batch),
    }
}

/// Prefill latency in ms of one call of `batch` examples at `seq_len` tokens on `device`,
/// compute-bound: `estimate_gflops × batch / device.gflops × 1000` (what a call costs when it
/// generates nothing).
pub fn estimate_latency_ms(m: &Model, device: &DeviceProfile, seq_len: u32, batch: u32) -> f64 {
    estimate_gflops(m, seq_len) * f64::from(batch) / device.gflops * 1000.0
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
            kv_heads: None,
            intermediate_size: None,
            gated_ffn: false,
            experts: None,
            experts_per_token: None,
            active_parameters_m: None,
            embedding_size: None,
            bottleneck_size: None,
            ffn_stacks: None,
            max_positions: Some(512),
            positional: None,
            context_length: None,
            vocab_size: Some(30522),
            languages: vec![LanguageCode("en".into())],
            translates_from: vec![],
            translates_into: vec![],
            instruction_tuned: false,
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

    /// Llama-3-8B's shape: 32 layers, d = 4096, 32 query heads and 8 key-value heads of 128,
    /// a SwiGLU feed-forward network of 14 336, 8 030 M parameters (Meta's model card: 8B).
    fn llama3_8b() -> Model {
        let mut m = model(Family::Decoder, 8030.0, 32, 4096, 32);
        m.kv_heads = Some(8);
        m.intermediate_size = Some(14336);
        m.gated_ffn = true;
        m
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9 * b.abs().max(1.0)
    }

    fn device(gflops: f64, gbs: f64) -> DeviceProfile {
        DeviceProfile {
            gflops,
            memory_mb: 1e6,
            memory_bandwidth_gbs: Some(gbs),
        }
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

    /// A decoder reading a text (a classification, no output) costs what the same-shaped encoder
    /// costs, on every device class.
    #[test]
    fn a_decoder_reading_costs_what_the_same_encoder_costs() {
        for d in Deployment::ALL {
            let dev = DeviceProfile::default_for(d);
            for n in [16, 128, 512, 4096] {
                let enc = estimate_call(&bert_base(), &dev, Precision::Fp32, n, 0, 4);
                let dec = estimate_call(&gpt2(), &dev, Precision::Fp32, n, 0, 4);
                assert!(
                    (dec.latency_ms / enc.latency_ms - 1.0).abs() < 0.05,
                    "{d} at {n}: {} vs {}",
                    dec.latency_ms,
                    enc.latency_ms
                );
            }
        }
    }

    /// Llama-3-8B, 512 input tokens, by hand. Per layer and token, apart from attention:
    /// Q and O `4·4096·4096` = 67 108 864, K and V with 8 × 128 = 1024 wide heads
    /// `4·4096·1024` = 16 777 216, SwiGLU `6·4096·14336` = 352 321 536: 436 207 616.
    /// Prefill: 32 × (512 × 436 207 616 + 4·512²·4096) = 32 × 227 633 266 688
    /// = 7 284 264 534 016 FLOPs.
    #[test]
    fn llama3_8b_prefill_by_hand() {
        let m = llama3_8b();
        assert!(close(estimate_gflops(&m, 512) * 1e9, 7_284_264_534_016.0));
        let dev = device(20_000.0, 240.0);
        let call = estimate_call(&m, &dev, Precision::Fp16, 512, 0, 1);
        assert!(close(
            call.prefill_ms,
            7_284.264_534_016 / 20_000.0 * 1000.0
        ));
        assert!(close(call.latency_ms, call.prefill_ms));
    }

    /// Llama-3-8B generating 64 tokens after 512, fp16, batch 1, by hand. Mean context
    /// 512 + 32 = 544. Bytes per step: weights 8 030e6 × 2 = 16 060 000 000, cache
    /// 2·32·544·1024 values × 2 bytes = 71 303 168: 16 131 303 168 bytes, 67.213 763 2 ms at
    /// 240 GB/s. Compute per step: 32 × (436 207 616 + 4·544·4096) = 14 244 380 672 FLOPs,
    /// 0.712 ms at 20 TFLOP/s: memory-bound, 67.2 ms a token (Llama-3-8B at fp16 on a T4
    /// generates about 15 tokens/s in practice).
    #[test]
    fn llama3_8b_generation_by_hand() {
        let m = llama3_8b();
        assert!(close(
            step_gflops(&m, 544.0, 0.0) * 1e9,
            32.0 * (436_207_616.0 + 4.0 * 544.0 * 4096.0)
        ));
        let dev = device(20_000.0, 240.0);
        let call = estimate_call(&m, &dev, Precision::Fp16, 512, 64, 1);
        assert_eq!(call.token_bound, Bound::Memory);
        assert!(close(call.token_ms, 16_131_303_168.0 / 240e9 * 1000.0));
        assert!(close(
            call.latency_ms,
            call.prefill_ms + 64.0 * call.token_ms
        ));
        // The key-value cache holds 8 heads, not 32: 2·32·576·1024 values at 2 bytes.
        let mem = estimate_memory_mb(&m, Precision::Fp16, 512, 64, 1);
        let activations = 2.0 * 512.0 * (4.0 * 4096.0 + 14336.0);
        let cache = 2.0 * 2.0 * 32.0 * 576.0 * 1024.0;
        assert!(close(mem, (8_030e6 * 2.0 + activations + cache) / 1e6));
    }

    #[test]
    fn a_compute_bound_step_takes_its_flops() {
        // A device with vast bandwidth: the step is priced by its arithmetic.
        let m = gpt2();
        let dev = device(100.0, 1e9);
        let call = estimate_call(&m, &dev, Precision::Fp32, 128, 10, 2);
        assert_eq!(call.token_bound, Bound::Compute);
        assert!(close(
            call.token_ms,
            2.0 * step_gflops(&m, 133.0, 0.0) / 100.0 * 1000.0
        ));
    }

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

    #[test]
    fn prefill_latency_is_compute_over_throughput() {
        let m = bert_base();
        let dev = device(100.0, 10.0);
        let ms = estimate_latency_ms(&m, &dev, 128, 2);
        assert!(close(ms, estimate_gflops(&m, 128) * 2.0 / 100.0 * 1000.0));
        let call = estimate_call(&m, &dev, Precision::Fp32, 128, 50, 2);
        assert_eq!(call.output_tokens, 0, "an encoder generates nothing");
        assert!(close(call.latency_ms, ms));
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

    #[test]
    fn precisions_parse_and_order() {
        for p in Precision::ALL {
            assert_eq!(Precision::parse(p.as_str()), Some(p));
        }
        assert!(Precision::Fp32.rank() < Precision::Fp16.rank());
        assert!(Precision::Int8.rank() < Precision::Int4.rank());
        assert_eq!(
            Precision::default_for(Deployment::CloudGpu),
            Precision::Fp16
        );
        assert_eq!(Precision::default_for(Deployment::Edge), Precision::Fp32);
    }
}
