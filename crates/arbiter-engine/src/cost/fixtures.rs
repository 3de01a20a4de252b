//! Models and devices the cost model's tests price: a generic one of any shape, BERT-Base,
//! GPT-2 and Llama-3-8B, and a device of given throughput and bandwidth.

use super::DeviceProfile;
use crate::catalog::{Family, Model};
use crate::task::LanguageCode;

pub(super) fn model(family: Family, params: f64, layers: u32, d: u32, heads: u32) -> Model {
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

pub(super) fn bert_base() -> Model {
    model(Family::Encoder, 110.0, 12, 768, 12)
}

pub(super) fn gpt2() -> Model {
    model(Family::Decoder, 124.0, 12, 768, 12)
}

/// Llama-3-8B's shape: 32 layers, d = 4096, 32 query heads and 8 key-value heads of 128,
/// a SwiGLU feed-forward network of 14 336, 8 030 M parameters (Meta's model card: 8B).
pub(super) fn llama3_8b() -> Model {
    let mut m = model(Family::Decoder, 8030.0, 32, 4096, 32);
    m.kv_heads = Some(8);
    m.intermediate_size = Some(14336);
    m.gated_ffn = true;
    m
}

pub(super) fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9 * b.abs().max(1.0)
}

pub(super) fn device(gflops: f64, gbs: f64) -> DeviceProfile {
    DeviceProfile {
        gflops,
        memory_mb: 1e6,
        memory_bandwidth_gbs: Some(gbs),
    }
}
