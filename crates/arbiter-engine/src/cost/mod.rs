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
//!
//! Its files, each one concept: `device.rs`, what a deployment class can do ([`DeviceProfile`]);
//! `shape.rs`, the widths of a model's layers as the formulas use them; `flops.rs`, the
//! arithmetic of prefill and of a generation step; `parameters.rs`, the parameters a token or a
//! step uses and those of the layers alone; `memory.rs`, what a call holds in memory (weights,
//! activations, the key-value cache); `call.rs`, one call priced in its two phases. The tests'
//! models are in `fixtures.rs`.

mod call;
mod device;
mod flops;
mod memory;
mod parameters;
mod shape;

pub use crate::task::Precision;
pub use call::{Bound, CallCost, estimate_call, estimate_latency_ms};
pub use device::DeviceProfile;
pub use flops::{encoder_layer_flops, estimate_gflops, step_gflops, token_layer_flops};
pub use memory::estimate_memory_mb;
pub use parameters::{
    active_parameters_m, bert_style_parameters_m, layer_parameters_m, step_parameters_m,
};

#[cfg(test)]
mod fixtures;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::Deployment;

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
