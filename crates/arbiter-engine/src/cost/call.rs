//! One call priced in its two phases: prefill, bounded by compute, then each generation step,
//! bounded by memory bandwidth or by compute, whichever is slower; and the call's memory.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::device::DeviceProfile;
use super::flops::{estimate_gflops, step_gflops};
use super::memory::{estimate_memory_mb, kv_cache_values};
use super::parameters::step_parameters_m;
use crate::catalog::{Family, Model};
use crate::task::Precision;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::fixtures::{bert_base, close, device, gpt2, llama3_8b};
    use crate::task::Deployment;

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
}
