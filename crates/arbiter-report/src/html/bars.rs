//! The scores: a stacked horizontal bar per top model, one segment per criterion (its
//! contribution wᵢ·sᵢ / Σw), the score and margin labelled; the legend; every ranked model in a
//! table; the chosen model's reasons.

use std::fmt::Write as _;

use super::svg::{self, Swatch, n};
use super::{HtmlOptions, escape, sections};
use crate::{Report, text};

/// Width of a score of 1, in the chart's units (its `data-px-per-score`).
const SCORE_WIDTH: f64 = 560.0;
const LEFT: f64 = 10.0;
const TOP: f64 = 8.0;
const ROW: f64 = 38.0;
const BAR: f64 = 14.0;

pub(super) fn section(s: &mut String, report: &Report<'_>, options: &HtmlOptions) {
    let d = report.decision;
    s.push_str("<section>\n<h2>Scores</h2>\n");
    if d.ranking.is_empty() {
        s.push_str("<p>No model was ranked.</p>\n</section>\n");
        return;
    }
    let top = options.top.max(1).min(d.ranking.len());
    let id = format!("{}-scores", options.id_prefix);
    s.push_str("<figure>\n");
    chart(s, report, top, &id);
    s.push_str("<ul class=\"legend\">");
    for (i, c) in d.criteria.iter().enumerate() {
        s.push_str("<li>");
        svg::legend_swatch(s, i, &options.id_prefix);
        let _ = write!(s, "{} (weight {})</li>", escape(&c.name), c.weight);
    }
    s.push_str("</ul>\n");
    let _ = writeln!(
        s,
        "<figcaption>The top {top} of {} ranked models. Each bar is the model's score; each \
         segment, one criterion's contribution wᵢ·sᵢ / Σw (the criteria that answered for the \
         model), in the legend's colours. Beside each bar: the score and its margin over the next \
         model. The table below holds every number.</figcaption>\n</figure>",
        d.ranking.len()
    );
    table(s, report);
    sections::reasons(s, report);
    s.push_str("</section>\n");
}

/// The stacked bars of the first `top` ranked models.
fn chart(s: &mut String, report: &Report<'_>, top: usize, id: &str) {
    let d = report.decision;
    let rows = &d.ranking[..top];
    let height = TOP + ROW * rows.len() as f64 + 28.0;
    let desc: Vec<String> = rows
        .iter()
        .map(|r| {
            let margin = r
                .margin
                .map_or(String::new(), |m| format!(", margin {m:.3}"));
            format!("{}. {} {:.3}{margin}", r.rank, r.model, r.score)
        })
        .collect();
    svg::open(
        s,
        id,
        (800.0, height),
        &format!("Scores of the top {top} models, split into each criterion's contribution"),
        &format!("{}.", desc.join("; ")),
    );
    let hatch = format!("{id}-hatch");
    if d.criteria.len() > 9 {
        svg::hatch_pattern(s, &hatch);
    }
    let _ = write!(s, "<g data-px-per-score=\"{SCORE_WIDTH}\">");
    // Grid and axis.
    let bottom = TOP + ROW * rows.len() as f64;
    let step = 0.2;
    svg::vertical_grid(
        s,
        svg::ticks(0.0, 1.0, 5)
            .into_iter()
            .map(|t| (LEFT + t * SCORE_WIDTH, svg::tick_label(t, step))),
        TOP,
        bottom,
    );
    for (row, r) in rows.iter().enumerate() {
        let y = TOP + ROW * row as f64;
        let _ = write!(
            s,
            "<g data-model=\"{}\"><text x=\"{}\" y=\"{}\">{}. {}</text>",
            escape(&r.model),
            n(LEFT),
            n(y + 12.0),
            r.rank,
            escape(&r.model)
        );
        let mut x = LEFT;
        for (i, c) in d.criteria.iter().enumerate() {
            let Some(res) = r.criteria.get(&c.name) else {
                continue;
            };
            if res.contribution <= 0.0 {
                continue;
            }
            let w = res.contribution * SCORE_WIDTH;
            let attrs = format!(
                " data-criterion=\"{}\" data-contribution=\"{}\"",
                escape(&c.name),
                res.contribution
            );
            Swatch::of(i).rect(s, (x, y + 17.0, w, BAR), &attrs, &hatch);
            let _ = write!(
                s,
                "><title>{}: {} × weight {} / Σw = {:.3}</title></rect>",
                escape(&c.name),
                text::cell(r, &c.name),
                res.weight,
                res.contribution
            );
            x += w;
        }
        let label_x = LEFT + SCORE_WIDTH + 12.0;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" data-score=\"{}\" font-weight=\"600\">{:.3}</text>",
            n(label_x),
            n(y + 29.0),
            r.score,
            r.score
        );
        if let Some(m) = r.margin {
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"{}\" data-margin=\"{m}\" fill=\"#444\">margin {m:.3}</text>",
                n(label_x + 48.0),
                n(y + 29.0),
            );
        }
        s.push_str("</g>");
    }
    s.push_str("</g></svg>\n");
}

/// Every ranked model: score, margin, precision and each criterion's contribution and score.
fn table(s: &mut String, report: &Report<'_>) {
    let d = report.decision;
    let _ = write!(
        s,
        "<table>\n<caption>Every ranked model: its score, margin over the next, the precision it \
         was judged at, and per criterion its contribution (and score)</caption>\n<thead><tr>\
         <th scope=\"col\" class=\"num\">rank</th><th scope=\"col\">model</th>\
         <th scope=\"col\" class=\"num\">score</th><th scope=\"col\" class=\"num\">margin</th>\
         <th scope=\"col\">precision</th>"
    );
    for c in &d.criteria {
        let _ = write!(
            s,
            "<th scope=\"col\" class=\"num\">{}</th>",
            escape(&c.name)
        );
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    for r in &d.ranking {
        let _ = write!(
            s,
            "<tr><td class=\"num\">{}</td><th scope=\"row\"><code>{}</code></th>\
             <td class=\"num\">{:.3}</td><td class=\"num\">{}</td><td>{}</td>",
            r.rank,
            escape(&r.model),
            r.score,
            r.margin.map_or(String::new(), |m| format!("{m:.3}")),
            r.precision.map_or(String::new(), |p| p.to_string())
        );
        for c in &d.criteria {
            let cell = match r.criteria.get(&c.name) {
                Some(res) => format!("{:.3} ({})", res.contribution, text::cell(r, &c.name)),
                None => "?".into(),
            };
            let _ = write!(s, "<td class=\"num\">{}</td>", escape(&cell));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody>\n</table>\n");
}
