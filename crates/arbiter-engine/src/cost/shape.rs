//! A model's shape as the formulas use it: the widths of its layers ([`Dims`]) and how many
//! layers generate.

use crate::catalog::{Family, Model};

/// The widths every formula here uses, as floats.
pub(super) struct Dims {
    /// Hidden size between blocks.
    pub(super) d: f64,
    /// Attention width: the hidden size, or the bottleneck.
    pub(super) w: f64,
    /// Heads × head size (= w unless `head_size` says otherwise, as for mT5-Small or Gemma 2).
    pub(super) i: f64,
    /// Key-value heads × head size (= i without grouped-query attention).
    pub(super) kv: f64,
    /// Feed-forward width.
    pub(super) f: f64,
    /// Feed-forward networks a token passes per layer: stacked (MobileBERT) or routed experts.
    pub(super) k: f64,
    /// Projections per feed-forward network: 3 when gated, else 2.
    pub(super) proj: f64,
    /// Whether a bottleneck narrower than `d` adds its projections.
    pub(super) bottleneck: bool,
}

impl Dims {
    pub(super) fn of(m: &Model) -> Dims {
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
    pub(super) fn per_token(&self) -> f64 {
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

/// Decoder layers of the part that generates: `decoder_layers` of an encoder-decoder, all
/// layers of a decoder, none of an encoder.
pub(super) fn generating_layers(m: &Model) -> f64 {
    match m.family {
        Family::Encoder => 0.0,
        Family::Decoder => f64::from(m.layers),
        Family::EncoderDecoder => f64::from(m.decoder_layers.unwrap_or(m.layers)),
    }
}
