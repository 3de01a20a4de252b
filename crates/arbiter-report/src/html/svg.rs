//! What the charts share: the criteria's colours, the opening of an accessible `<svg>`, axis
//! ticks, and numbers written for coordinates.

use std::fmt::Write as _;

use super::escape;

/// Paul Tol's "muted" scheme, distinguishable with every common colour-vision deficiency,
/// ordered so that neighbours differ in lightness. Criteria take colours by their bundle order;
/// a tenth and later criterion reuses them hatched ([`Swatch`]).
const PALETTE: [&str; 9] = [
    "#332288", "#DDCC77", "#44AA99", "#CC6677", "#117733", "#88CCEE", "#882255", "#999933",
    "#AA4499",
];

/// How the `index`-th criterion (bundle order) is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Swatch {
    /// Its fill.
    pub colour: &'static str,
    /// Whether white stripes are drawn over it (the palette's second round and later).
    pub hatched: bool,
}

impl Swatch {
    pub fn of(index: usize) -> Swatch {
        Swatch {
            colour: PALETTE[index % PALETTE.len()],
            hatched: index >= PALETTE.len(),
        }
    }

    /// A rectangle of this swatch; hatching refers to the pattern `hatch_id` ([`hatch_pattern`]).
    pub fn rect(
        self,
        s: &mut String,
        (x, y, w, h): (f64, f64, f64, f64),
        attrs: &str,
        hatch_id: &str,
    ) {
        let _ = write!(
            s,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" stroke=\"#fff\" stroke-width=\"0.5\"{attrs}",
            n(x),
            n(y),
            n(w),
            n(h),
            self.colour
        );
        if self.hatched {
            let _ = write!(
                s,
                " /><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"url(#{})\" aria-hidden=\"true\"",
                n(x),
                n(y),
                n(w),
                n(h),
                escape(hatch_id)
            );
        }
    }
}

/// The white stripes hatched swatches are drawn with, as a `<defs>` block.
pub(super) fn hatch_pattern(s: &mut String, id: &str) {
    let _ = write!(
        s,
        "<defs><pattern id=\"{}\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" \
         patternTransform=\"rotate(45)\"><rect width=\"2.5\" height=\"6\" fill=\"#fff\" /></pattern></defs>",
        escape(id)
    );
}

/// A legend entry's swatch: a small inline `<svg>`, hidden from screen readers (the entry's text
/// says what it stands for).
pub(super) fn legend_swatch(s: &mut String, index: usize, id_prefix: &str) {
    let swatch = Swatch::of(index);
    let hatch = format!("{id_prefix}-hatch-legend-{index}");
    s.push_str("<svg width=\"14\" height=\"14\" viewBox=\"0 0 14 14\" aria-hidden=\"true\" focusable=\"false\">");
    if swatch.hatched {
        hatch_pattern(s, &hatch);
    }
    swatch.rect(s, (0.0, 0.0, 14.0, 14.0), "", &hatch);
    s.push_str(" /></svg>");
}

/// Opens a chart's `<svg>`, labelled by its own `<title>` and `<desc>` (ids `{id}-title`,
/// `{id}-desc`), scaled to the width of its container.
pub(super) fn open(s: &mut String, id: &str, (width, height): (f64, f64), title: &str, desc: &str) {
    let id = escape(id);
    let _ = write!(
        s,
        "<svg class=\"chart\" id=\"{id}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" \
         viewBox=\"0 0 {} {}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\" font-size=\"12\" \
         font-family=\"system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        n(width),
        n(height),
        escape(title),
        escape(desc)
    );
}

/// Vertical grid lines from `top` to `bottom`, one per tick (its position and label), the label
/// under the axis.
pub(super) fn vertical_grid(
    s: &mut String,
    ticks: impl IntoIterator<Item = (f64, String)>,
    top: f64,
    bottom: f64,
) {
    for (x, label) in ticks {
        let x = n(x);
        let _ = write!(
            s,
            "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"#e4e4e4\" />\
             <text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" fill=\"#444\">{}</text>",
            n(top),
            n(bottom),
            n(bottom + 16.0),
            escape(&label)
        );
    }
}

/// A coordinate: two decimals at most, no trailing zeros.
pub(super) fn n(x: f64) -> String {
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// About `count` round tick values (1, 2 or 5 times a power of ten apart) from `low` to `high`.
pub(super) fn ticks(low: f64, high: f64, count: usize) -> Vec<f64> {
    if high.is_nan() || low.is_nan() || high <= low || count == 0 {
        return vec![low];
    }
    let step = nice_step((high - low) / count as f64);
    let first = (low / step).ceil();
    let last = (high / step + 1e-9).floor();
    // k / (1 / step) rather than k × step: 3 / 5 is 0.6, where 3 × 0.2 is 0.6000000000000001.
    let per_unit = (1.0 / step).round();
    (first as i64..=last as i64)
        .map(|k| {
            if step < 1.0 {
                k as f64 / per_unit
            } else {
                k as f64 * step
            }
        })
        .collect()
}

/// The smallest of 1, 2, 5 × 10ᵏ at least `raw`.
pub(super) fn nice_step(raw: f64) -> f64 {
    if !raw.is_finite() || raw <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|v| *v >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * p)
}

/// A tick's label: as many decimals as its step needs.
pub(super) fn tick_label(x: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10()).ceil().max(0.0) as usize
    };
    format!("{x:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_within_the_range() {
        assert_eq!(ticks(0.0, 1.0, 4), vec![0.0, 0.5, 1.0]);
        assert_eq!(ticks(0.3, 0.95, 6), vec![0.4, 0.6, 0.8]);
        assert_eq!(ticks(1.0, 0.0, 4), vec![1.0]);
        assert_eq!(nice_step(0.23), 0.5);
        assert_eq!(nice_step(0.2), 0.2);
        assert_eq!(nice_step(130.0), 200.0);
        assert_eq!(n(1.0), "1");
        assert_eq!(n(-0.001), "0");
        assert_eq!(n(12.3456), "12.35");
        assert_eq!(n(0.5), "0.5");
        assert_eq!(tick_label(0.5, 0.1), "0.5");
        assert_eq!(tick_label(200.0, 100.0), "200");
    }
}
