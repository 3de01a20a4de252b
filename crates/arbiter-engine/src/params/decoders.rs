//! Decoders: GPT-2, and Llama-style (Llama, Mistral, Mixtral, Qwen2, Gemma 2, Phi-3).

use super::{ParameterCount, Terms, bert_layer, group, w};

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
/// `+ 2d` (norm) `+ d·f + f + f·d + d` (feed-forward), final norm `2d`: per layer the weights
/// of a BERT layer, the norms first and Q, K, V fused.
pub fn gpt2(s: &Gpt2Shape) -> ParameterCount {
    let (v, p, d, f) = (w(s.vocab), w(s.positions), w(s.hidden), w(s.ffn));
    let layer = bert_layer(d, f);
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
        terms.untied_output(s.vocab, s.hidden);
    }
    let what = if s.tied {
        "computed from config.json (decoder, output layer tied to the embeddings)"
    } else {
        "computed from config.json (decoder)"
    };
    terms.finish(what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::tests::near;

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
}
