//! Weight sensitivity as interval bars: per criterion, the weights (the others fixed) within
//! which the choice stays, the weight now marked, and the model that takes over past each bound.

use std::fmt::Write as _;

use arbiter_engine::sensitivity::WeightRange;

use super::svg::{self, Swatch, n};
use super::{HtmlOptions, escape};
use crate::{Report, chosen_at};

const LEFT: f64 = 180.0;
const RIGHT: f64 = 620.0;
const TOP: f64 = 8.0;

/// A range with the models that take over past its bounds.
struct Row<'a> {
    range: &'a WeightRange,
    colour: Swatch,
    below: Option<&'a str>,
    above: Option<&'a str>,
}

impl Row<'_> {
    fn lines(&self) -> [String; 2] {
        let r = self.range;
        let below = match (r.low > 0.0, self.below) {
            (false, _) => "any lower weight keeps the choice".to_string(),
            (true, Some(m)) => format!("below {:.2}: {m}", r.low),
            (true, None) => format!("below {:.2}: another model", r.low),
        };
        let above = match (r.high, self.above) {
            (None, _) => "any higher weight keeps the choice".to_string(),
            (Some(h), Some(m)) => format!("above {h:.2}: {m}"),
            (Some(h), None) => format!("above {h:.2}: another model"),
        };
        [below, above]
    }

    fn height() -> f64 {
        56.0
    }
}

/// Just past `bound`, on the side away from `weight`.
fn beyond(bound: f64, weight: f64) -> f64 {
    let step = 1e-6 * bound.abs().max(1.0);
    if bound < weight {
        (bound - step).max(0.0)
    } else {
        bound + step
    }
}

pub(super) fn section(s: &mut String, report: &Report<'_>, options: &HtmlOptions) {
    let d = report.decision;
    s.push_str("<section>\n<h2>Weight sensitivity</h2>\n");
    let ranges = report.sensitivity();
    let Some(chosen) = d.chosen.as_deref().filter(|_| !ranges.is_empty()) else {
        s.push_str("<p>Nothing was chosen, so no weight keeps a choice.</p>\n</section>\n");
        return;
    };
    let rows: Vec<Row<'_>> = ranges
        .iter()
        .map(|r| {
            let index = d
                .criteria
                .iter()
                .position(|c| c.name == r.criterion)
                .unwrap_or(0);
            let takeover = |bound: f64| {
                chosen_at(d, &r.criterion, beyond(bound, r.weight))
                    .map(|m| m.model.as_str())
                    .filter(|m| *m != chosen)
            };
            Row {
                range: r,
                colour: Swatch::of(index),
                below: (r.low > 0.0).then(|| takeover(r.low)).flatten(),
                above: r.high.and_then(takeover),
            }
        })
        .collect();
    let id = format!("{}-weights", options.id_prefix);
    s.push_str("<figure>\n");
    chart(s, report, &rows, chosen, &id);
    let scope = match &d.limited {
        Some(l) => format!(
            " This record keeps the first {} of {} ranked models; rivals beyond them are not considered.",
            d.ranking.len(),
            l.ranked
        ),
        None => String::new(),
    };
    let _ = writeln!(
        s,
        "<figcaption>Each criterion's weight may move alone, the others fixed, within its bar and \
         {} stays chosen; the black mark is the weight now. Past a bound, the model named takes \
         over. Solved exactly from the scores the decision records; no script runs. A bar ending \
         in an arrow goes on past the axis (its bound is in the table).{}</figcaption>\n</figure>",
        escape(chosen),
        escape(&scope)
    );
    table(s, &rows);
    s.push_str("</section>\n");
}

fn chart(s: &mut String, report: &Report<'_>, rows: &[Row<'_>], chosen: &str, id: &str) {
    let d = report.decision;
    let w_max = rows.iter().map(|r| r.range.weight).fold(0.0, f64::max);
    let mut extent = rows
        .iter()
        .map(|r| r.range.weight * 2.0)
        .fold(1.0, f64::max);
    for r in rows {
        if let Some(h) = r.range.high {
            extent = extent.max(h.min(w_max * 4.0));
        }
        extent = extent.max(r.range.low);
    }
    let step = svg::nice_step(extent / 5.0);
    let axis_max = (extent / step).ceil() * step;
    let px = |x: f64| LEFT + x.min(axis_max) / axis_max * (RIGHT - LEFT);
    let bottom = TOP + Row::height() * rows.len() as f64;
    let desc: Vec<String> = rows
        .iter()
        .map(|r| {
            let [below, above] = r.lines();
            format!(
                "{} now {}, {}; {}",
                r.range.criterion, r.range.weight, below, above
            )
        })
        .collect();
    svg::open(
        s,
        id,
        (800.0, bottom + 28.0),
        &format!("The weights within which {chosen} stays chosen"),
        &format!("{}.", desc.join(". ")),
    );
    svg::vertical_grid(
        s,
        svg::ticks(0.0, axis_max, 5)
            .into_iter()
            .map(|t| (px(t), svg::tick_label(t, step))),
        TOP,
        bottom,
    );
    let hatch = format!("{id}-hatch");
    if d.criteria.len() > 9 {
        svg::hatch_pattern(s, &hatch);
    }
    for (i, row) in rows.iter().enumerate() {
        let r = row.range;
        let y = TOP + Row::height() * i as f64;
        let _ = write!(
            s,
            "<g data-criterion=\"{}\"><text x=\"0\" y=\"{}\" font-weight=\"600\">{}</text>\
             <text x=\"0\" y=\"{}\" fill=\"#444\">now {}</text>",
            escape(&r.criterion),
            n(y + 14.0),
            escape(&r.criterion),
            n(y + 28.0),
            r.weight
        );
        let (x0, x1) = (px(r.low), r.high.map_or(RIGHT, px));
        let clipped = r.high.is_none_or(|h| h > axis_max);
        let attrs = format!(
            " data-weight=\"{}\" data-low=\"{}\" data-high=\"{}\"",
            r.weight,
            r.low,
            r.high.map_or("inf".to_string(), |h| h.to_string())
        );
        row.colour
            .rect(s, (x0, y + 4.0, (x1 - x0).max(1.0), 14.0), &attrs, &hatch);
        let _ = write!(
            s,
            "><title>{}: {:.2} to {}</title></rect>",
            escape(&r.criterion),
            r.low,
            r.high.map_or("∞".to_string(), |h| format!("{h:.2}"))
        );
        if clipped {
            let _ = write!(
                s,
                "<path d=\"M{},{} l10,7 l-10,7 Z\" fill=\"#444\" />",
                n(RIGHT),
                n(y + 4.0)
            );
        }
        let wx = n(px(r.weight));
        let _ = write!(
            s,
            "<line x1=\"{wx}\" y1=\"{}\" x2=\"{wx}\" y2=\"{}\" stroke=\"#000\" stroke-width=\"3\" data-weight=\"{}\" />",
            n(y),
            n(y + 22.0),
            r.weight
        );
        let [below, above] = row.lines();
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"start\">[{:.2}, {}]</text>\
             <text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#333\">{}</text>\
             <text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#333\">{}</text></g>",
            n(RIGHT + 16.0),
            n(y + 16.0),
            r.low,
            r.high.map_or("∞".to_string(), |h| format!("{h:.2}")),
            n(LEFT),
            n(y + 32.0),
            escape(&below),
            n(LEFT),
            n(y + 45.0),
            escape(&above)
        );
    }
    s.push_str("</svg>\n");
}

fn table(s: &mut String, rows: &[Row<'_>]) {
    s.push_str(
        "<table>\n<caption>Per criterion, the weights that keep the choice, and who takes over \
         past each bound</caption>\n<thead><tr><th scope=\"col\">criterion</th>\
         <th scope=\"col\" class=\"num\">weight now</th><th scope=\"col\" class=\"num\">lowest</th>\
         <th scope=\"col\" class=\"num\">highest</th><th scope=\"col\">below the lowest</th>\
         <th scope=\"col\">above the highest</th></tr></thead>\n<tbody>\n",
    );
    for row in rows {
        let r = row.range;
        let below = match (r.low > 0.0, row.below) {
            (false, _) => "—",
            (true, m) => m.unwrap_or("another model"),
        };
        let above = match (r.high, row.above) {
            (None, _) => "—",
            (Some(_), m) => m.unwrap_or("another model"),
        };
        let _ = writeln!(
            s,
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{:.2}</td>\
             <td class=\"num\">{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
            escape(&r.criterion),
            r.weight,
            r.low,
            r.high.map_or("∞ (none)".to_string(), |h| format!("{h:.2}")),
            escape(below),
            escape(above)
        );
    }
    s.push_str("</tbody>\n</table>\n");
}
