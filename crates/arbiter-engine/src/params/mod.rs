//! Parameter counts computed from an architecture, for models whose authors published none.
//!
//! Each function counts the trainable parameters of the Hugging Face `transformers` base model
//! of one family, term by term as its modelling code declares them, and returns the count with
//! its arithmetic (for a catalog entry's `notes`, beside `parameters_basis: computed`). Heads
//! used only for pre-training or fine-tuning are not counted, nor are buffers and fixed
//! sinusoidal tables (they are not trained); an output projection is counted only where it is
//! not tied to the input embeddings.
//!
//! Sources: `transformers` `modeling_bert.py`, `modeling_roberta.py`, `modeling_electra.py`,
//! `modeling_albert.py`, `modeling_distilbert.py`, `modeling_mpnet.py`, `modeling_deberta_v2.py`,
//! `modeling_modernbert.py`, `modeling_gpt2.py`, `modeling_llama.py` (and Mistral, Mixtral,
//! Qwen2, Gemma 2, Phi-3, which differ only in biases, norms and experts), `modeling_t5.py`,
//! `modeling_bart.py`, `modeling_marian.py`, `modeling_m2m_100.py`. Every formula is tested
//! against a published count (within 1 %) in the tests beside it.
//!
//! [`crate::cost::bert_style_parameters_m`] is the BERT case of [`encoder`] (two token types, a
//! pooler) and is computed by it.
//!
//! Its files, one a kind of model: `encoders.rs` (BERT-like, DeBERTa-v2, ModernBERT),
//! `decoders.rs` (GPT-2, Llama-style), `encoder_decoders.rs` (T5, BART-style); this file holds
//! the count, the builder that writes its arithmetic, and the parts several families share (a
//! BERT layer, an untied output layer).

mod decoders;
mod encoder_decoders;
mod encoders;

use std::fmt::Write as _;

pub use decoders::{DecoderShape, Gpt2Shape, decoder, gpt2};
pub use encoder_decoders::{Seq2SeqShape, T5Shape, seq2seq, t5};
pub use encoders::{
    DebertaV2Shape, EncoderShape, ModernBertShape, deberta_v2, encoder, modernbert,
};

/// A parameter count and how it was computed.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterCount {
    /// The exact count.
    pub parameters: u128,
    /// The arithmetic, term by term, for a catalog note.
    pub arithmetic: String,
}

impl ParameterCount {
    /// The count in millions.
    pub fn millions(&self) -> f64 {
        // Counts are far below 2^53: the conversion is exact.
        self.parameters as f64 / 1e6
    }
}

/// Builds a count from named terms.
#[derive(Default)]
struct Terms(Vec<(String, u128)>);

impl Terms {
    fn add(&mut self, label: impl Into<String>, value: u128) {
        if value > 0 {
            self.0.push((label.into(), value));
        }
    }

    fn finish(self, what: &str) -> ParameterCount {
        let parameters = self.0.iter().map(|(_, v)| v).sum();
        let mut arithmetic = format!("{what}: ");
        for (i, (label, value)) in self.0.iter().enumerate() {
            if i > 0 {
                arithmetic.push_str(" + ");
            }
            let _ = write!(arithmetic, "{label} = {}", group(*value));
        }
        let _ = write!(arithmetic, "; total {}", group(parameters));
        ParameterCount {
            parameters,
            arithmetic,
        }
    }
}

impl Terms {
    /// An output layer `V·d` of its own, not tied to the input embeddings.
    fn untied_output(&mut self, vocab: u32, hidden: u32) {
        self.add(
            format!("output layer {vocab}×{hidden} (untied)"),
            w(vocab) * w(hidden),
        );
    }
}

/// One BERT layer: Q, K, V, output `4d² + 4d`, a norm `2d`, the feed-forward network
/// `d·f + f + f·d + d`, a norm `2d`. GPT-2's layer and a BART-style encoder layer hold the same
/// weights.
fn bert_layer(d: u128, f: u128) -> u128 {
    4 * d * d + 4 * d + 2 * d + 2 * d * f + f + d + 2 * d
}

/// `1234567` → `1 234 567`.
fn group(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

fn w(x: u32) -> u128 {
    u128::from(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Within 1 % of a published count, in millions.
    pub(super) fn near(count: &ParameterCount, published_m: f64) {
        let m = count.millions();
        assert!(
            (m - published_m).abs() <= 0.01 * published_m,
            "{m} M is not within 1 % of the published {published_m} M: {}",
            count.arithmetic
        );
    }

    #[test]
    fn arithmetic_reads_as_a_sum() {
        let c = gpt2(&Gpt2Shape {
            vocab: 50257,
            positions: 1024,
            hidden: 768,
            layers: 12,
            ffn: 3072,
        });
        assert!(
            c.arithmetic.contains("total 124 439 808"),
            "{}",
            c.arithmetic
        );
        assert!(c.arithmetic.starts_with("computed from config.json"));
    }
}
