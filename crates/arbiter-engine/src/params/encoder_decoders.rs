//! Encoder-decoders: T5 and mT5, and BART-style (BART, Marian, M2M-100 and NLLB).

use super::{ParameterCount, Terms, bert_layer, group, w};

/// A T5 or mT5 encoder-decoder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct T5Shape {
    /// Vocabulary `V`.
    pub vocab: u32,
    /// Model width `d` (`d_model`).
    pub hidden: u32,
    /// Heads `h` (`num_heads`).
    pub heads: u32,
    /// Head width `a` (`d_kv`).
    pub head_dim: u32,
    /// Feed-forward width `f` (`d_ff`).
    pub ffn: u32,
    /// Encoder layers.
    pub layers: u32,
    /// Decoder layers.
    pub decoder_layers: u32,
    /// Gated feed-forward (`feed_forward_proj` = `gated-…`: T5 v1.1, mT5, Flan-T5).
    pub gated: bool,
    /// Relative attention buckets (`relative_attention_num_buckets`).
    pub buckets: u32,
    /// Whether the output layer is the shared embedding (T5 v1.0: yes; v1.1 and mT5: no).
    pub tied: bool,
}

/// Parameters of T5 (`modeling_t5.py`, no biases, RMS norms of `d`): shared embeddings `V·d`;
/// per encoder layer `4·d·h·a` (attention) `+ (2|3)·d·f` (feed-forward) `+ 2d`; per decoder
/// layer `8·d·h·a + (2|3)·d·f + 3d`; a relative bias table `buckets × h` in the first layer of
/// each stack; final norms `2d`; the output layer `V·d` unless tied.
pub fn t5(s: &T5Shape) -> ParameterCount {
    let (v, d, f) = (w(s.vocab), w(s.hidden), w(s.ffn));
    let inner = w(s.heads) * w(s.head_dim);
    let proj = if s.gated { 3 } else { 2 };
    let attention = 4 * d * inner;
    let enc = attention + proj * d * f + 2 * d;
    let dec = 2 * attention + proj * d * f + 3 * d;
    let mut terms = Terms::default();
    terms.add(format!("shared embeddings {}×{}", s.vocab, s.hidden), v * d);
    terms.add(
        format!(
            "{} encoder layers × (4×{}×{} + {proj}×{}×{} + 2×{} = {})",
            s.layers,
            s.hidden,
            inner,
            s.hidden,
            s.ffn,
            s.hidden,
            group(enc)
        ),
        w(s.layers) * enc,
    );
    terms.add(
        format!(
            "{} decoder layers × (8×{}×{} + {proj}×{}×{} + 3×{} = {})",
            s.decoder_layers,
            s.hidden,
            inner,
            s.hidden,
            s.ffn,
            s.hidden,
            group(dec)
        ),
        w(s.decoder_layers) * dec,
    );
    terms.add(
        format!("relative bias 2×{}×{}", s.buckets, s.heads),
        2 * w(s.buckets) * w(s.heads),
    );
    terms.add("final norms", 2 * d);
    if !s.tied {
        terms.untied_output(s.vocab, s.hidden);
    }
    terms.finish("computed from config.json (T5 encoder-decoder)")
}

/// A BART-style encoder-decoder (BART, Marian, M2M-100 and NLLB).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seq2SeqShape {
    /// Vocabulary `V` (shared by encoder, decoder and output layer).
    pub vocab: u32,
    /// Model width `d` (`d_model`).
    pub hidden: u32,
    /// Encoder layers.
    pub layers: u32,
    /// Decoder layers.
    pub decoder_layers: u32,
    /// Encoder feed-forward width.
    pub encoder_ffn: u32,
    /// Decoder feed-forward width.
    pub decoder_ffn: u32,
    /// Rows of each stack's learned position table (BART: `max_position_embeddings + 2`), 0 for
    /// fixed sinusoids (Marian, M2M-100), which are not trained.
    pub learned_positions: u32,
    /// A layer norm after the embeddings in each stack (BART).
    pub embedding_norm: bool,
    /// A final layer norm in each stack (M2M-100, pre-norm).
    pub final_norm: bool,
    /// A separate output layer `V·d` (not tied to the shared embeddings).
    pub untied_output: bool,
}

/// Parameters of a BART-style encoder-decoder (`modeling_bart.py`, `modeling_marian.py`,
/// `modeling_m2m_100.py`): shared embeddings `V·d`; per encoder layer `4(d² + d)` (attention)
/// `+ 2d + d·f + f + f·d + d + 2d` (a BERT layer); per decoder layer that plus cross-attention
/// `4(d² + d) + 2d`; learned position tables, embedding norms and final norms where the model
/// has them.
pub fn seq2seq(s: &Seq2SeqShape) -> ParameterCount {
    let (v, d) = (w(s.vocab), w(s.hidden));
    let cross_attention = 4 * (d * d + d) + 2 * d;
    let enc = bert_layer(d, w(s.encoder_ffn));
    let dec = bert_layer(d, w(s.decoder_ffn)) + cross_attention;
    let mut terms = Terms::default();
    terms.add(format!("shared embeddings {}×{}", s.vocab, s.hidden), v * d);
    terms.add(
        format!("learned positions 2×{}×{}", s.learned_positions, s.hidden),
        2 * w(s.learned_positions) * d,
    );
    if s.embedding_norm {
        terms.add("embedding norms", 4 * d);
    }
    terms.add(
        format!("{} encoder layers × {}", s.layers, group(enc)),
        w(s.layers) * enc,
    );
    terms.add(
        format!("{} decoder layers × {}", s.decoder_layers, group(dec)),
        w(s.decoder_layers) * dec,
    );
    if s.final_norm {
        terms.add("final norms", 4 * d);
    }
    if s.untied_output {
        terms.untied_output(s.vocab, s.hidden);
    }
    terms.finish("computed from config.json (encoder-decoder)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::tests::near;

    #[test]
    fn t5_small_is_60m() {
        // Raffel et al. 2020, §3.7: T5-Small 60 M (tied output layer).
        let small = T5Shape {
            vocab: 32128,
            hidden: 512,
            heads: 8,
            head_dim: 64,
            ffn: 2048,
            layers: 6,
            decoder_layers: 6,
            gated: false,
            buckets: 32,
            tied: true,
        };
        near(&t5(&small), 60.0);
        // T5-Base, published as 220 M (1.3 % below the exact count): checked by hand,
        // 32128·768 + 12·(4·768² + 2·768·3072 + 2·768) + 12·(8·768² + 2·768·3072 + 3·768)
        // + 2·32·12 + 2·768 = 222 903 552.
        let base = t5(&T5Shape {
            hidden: 768,
            heads: 12,
            ffn: 3072,
            layers: 12,
            decoder_layers: 12,
            ..small
        });
        assert_eq!(base.parameters, 222_903_552, "{}", base.arithmetic);
        // mT5-Small: 300 M (Xue et al. 2021, Table 3): V 250112, 6 heads of 64, gated, untied.
        near(
            &t5(&T5Shape {
                vocab: 250_112,
                heads: 6,
                ffn: 1024,
                layers: 8,
                decoder_layers: 8,
                gated: true,
                tied: false,
                ..small
            }),
            300.0,
        );
    }

    #[test]
    fn bart_large_is_406m_and_marian_by_hand() {
        // Hugging Face docs (pretrained_models.rst): facebook/bart-large 406 M.
        let bart = seq2seq(&Seq2SeqShape {
            vocab: 50265,
            hidden: 1024,
            layers: 12,
            decoder_layers: 12,
            encoder_ffn: 4096,
            decoder_ffn: 4096,
            learned_positions: 1026,
            embedding_norm: true,
            final_norm: false,
            untied_output: false,
        });
        near(&bart, 406.0);
        // Marian opus-mt-zh-en (V 65001, d 512, 6 + 6 layers, f 2048), by hand:
        // 65001·512 + 6·(4·(512² + 512) + 1024 + 2·512·2048 + 2048 + 512 + 1024)
        //           + 6·(8·(512² + 512) + 2048 + 2·512·2048 + 2048 + 512 + 1024).
        let marian = seq2seq(&Seq2SeqShape {
            vocab: 65001,
            hidden: 512,
            layers: 6,
            decoder_layers: 6,
            encoder_ffn: 2048,
            decoder_ffn: 2048,
            learned_positions: 0,
            embedding_norm: false,
            final_norm: false,
            untied_output: false,
        });
        let d: u128 = 512;
        let enc = 4 * (d * d + d) + 2 * d + 2 * d * 2048 + 2048 + d + 2 * d;
        let dec = enc + 4 * (d * d + d) + 2 * d;
        assert_eq!(marian.parameters, 65001 * d + 6 * enc + 6 * dec);
    }
}
