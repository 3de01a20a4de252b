//! Score against estimated cost (latency or memory of one call) for every ranked model, with the
//! Pareto front — the models no other both undercuts and outscores — and the chosen model marked.

use std::collections::HashMap;
use std::fmt::Write as _;

use arbiter_engine::decide::Ranked;

use super::svg::{self, n};
use super::{ChartX, HtmlOptions, escape};
use crate::{Estimate, Report};

const LEFT: f64 = 64.0;
const RIGHT: f64 = 770.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 340.0;
const FRONT: &str = "#332288";
const CHOSEN: &str = "#CC6677";

/// One plotted model.
struct Point<'a> {
    ranked: &'a Ranked,
    estimate: &'a Estimate,
    x: f64,
    front: bool,
}

/// A cost as people read it: whole above 100, else with one or two decimals.
fn amount(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 1.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// Marks the Pareto front: sorted by cost, then best score first, a model is on it when it
/// scores above every cheaper one (of identical points, the better ranked).
fn mark_front(points: &mut [Point<'_>]) {
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|&a, &b| {
        points[a]
            .x
            .total_cmp(&points[b].x)
            .then(points[b].ranked.score.total_cmp(&points[a].ranked.score))
            .then(points[a].ranked.rank.cmp(&points[b].ranked.rank))
    });
    let mut best = f64::NEG_INFINITY;
    for i in order {
        if points[i].ranked.score > best {
            best = points[i].ranked.score;
            points[i].front = true;
        }
    }
}

/// The horizontal scale: logarithmic over decades when the costs span a factor of 20 or more,
/// else linear from 0.
struct Scale {
    log: bool,
    low: f64,
    high: f64,
}

impl Scale {
    fn fit(values: impl Iterator<Item = f64> + Clone) -> Scale {
        let min = values.clone().fold(f64::INFINITY, f64::min);
        let max = values.fold(0.0, f64::max);
        if min > 0.0 && max / min >= 20.0 {
            let low = 10f64.powf(min.log10().floor());
            let high = 10f64.powf(max.log10().ceil());
            Scale {
                log: true,
                low,
                high: if high > low { high } else { low * 10.0 },
            }
        } else {
            // A little room past the costliest model, so that its mark is not on the frame.
            let step = svg::nice_step(max * 1.04 / 5.0);
            let high = (max * 1.04 / step).ceil() * step;
            Scale {
                log: false,
                low: 0.0,
                high: if high > 0.0 { high } else { 1.0 },
            }
        }
    }

    /// Where `x` falls, from 0 (low) to 1 (high).
    fn at(&self, x: f64) -> f64 {
        if self.log {
            (x.max(self.low).log10() - self.low.log10()) / (self.high.log10() - self.low.log10())
        } else {
            (x - self.low) / (self.high - self.low)
        }
    }

    fn ticks(&self) -> Vec<(f64, String)> {
        if !self.log {
            let step = svg::nice_step((self.high - self.low) / 5.0);
            return svg::ticks(self.low, self.high, 5)
                .into_iter()
                .map(|t| (t, svg::tick_label(t, step)))
                .collect();
        }
        let decades = (self.high / self.low).log10().round() as i32;
        let mut out = Vec::new();
        let mut p = self.low;
        for _ in 0..=decades {
            let steps: &[f64] = if decades <= 2 {
                &[1.0, 2.0, 5.0]
            } else {
                &[1.0]
            };
            for m in steps {
                let t = p * m;
                if t <= self.high * (1.0 + 1e-9) {
                    out.push((t, amount(t)));
                }
            }
            p *= 10.0;
        }
        out
    }
}

pub(super) fn section(s: &mut String, report: &Report<'_>, options: &HtmlOptions) {
    let d = report.decision;
    let axis = options.chart_x;
    let what = match axis {
        ChartX::Latency => "latency",
        ChartX::Memory => "memory",
    };
    let _ = writeln!(s, "<section>\n<h2>Score against estimated {what}</h2>");
    let Some(estimates) = &report.estimates else {
        s.push_str(
            "<p class=\"note\">Not drawn: estimating latency and memory needs the bundle that \
             decided (its catalog and device profiles), which was not at hand.</p>\n</section>\n",
        );
        return;
    };
    let by_model: HashMap<&str, &Estimate> =
        estimates.iter().map(|e| (e.model.as_str(), e)).collect();
    let mut points: Vec<Point<'_>> = d
        .ranking
        .iter()
        .filter_map(|r| {
            let e = by_model.get(r.model.as_str())?;
            Some(Point {
                ranked: r,
                estimate: e,
                x: axis.of(e),
                front: false,
            })
        })
        .collect();
    if points.is_empty() {
        s.push_str("<p>No ranked model to plot.</p>\n</section>\n");
        return;
    }
    mark_front(&mut points);
    let id = format!("{}-cost", options.id_prefix);
    let scale = Scale::fit(points.iter().map(|p| p.x));
    s.push_str("<figure>\n");
    chart(s, report, &points, &scale, axis, &id);
    let t = &d.task;
    let r = &t.resources;
    let left_out = d.ranking.len() - points.len();
    let _ = writeln!(
        s,
        "<figcaption>The score of every ranked model against the {} ({} scale). Filled circles \
         joined by the dashed line: the Pareto front, the models no other both undercuts and \
         outscores; the diamond: the chosen model. The decision records each model's precision, \
         not its cost: each call is priced again with the bundle's cost model at the precision \
         the model was judged at (else the task's most precise accepted one) on the bundle's {} \
         profile, {} input tokens, {} output tokens, batch {}.{} The table below holds every \
         number.</figcaption>\n</figure>",
        axis.label(),
        if scale.log { "logarithmic" } else { "linear" },
        escape(&r.deployment.to_string()),
        r.sequence_length,
        r.output_tokens_for(t.task),
        r.batch_size,
        if left_out > 0 {
            format!(" {left_out} ranked models the bundle's catalog does not hold are left out.")
        } else {
            String::new()
        }
    );
    table(s, &points);
    s.push_str("</section>\n");
}

fn chart(
    s: &mut String,
    report: &Report<'_>,
    points: &[Point<'_>],
    scale: &Scale,
    axis: ChartX,
    id: &str,
) {
    let d = report.decision;
    let (width, height) = (800.0, 390.0);
    let px = |x: f64| LEFT + scale.at(x) * (RIGHT - LEFT);
    let (smin, smax) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.ranked.score), hi.max(p.ranked.score))
        });
    let mut y_low = (((smin - 0.01) / 0.05).floor() * 0.05).max(0.0);
    let y_high = (((smax + 0.01) / 0.05).ceil() * 0.05).min(1.0);
    if y_high - y_low < 0.1 {
        y_low = (y_high - 0.1).max(0.0);
    }
    let py = |y: f64| BOTTOM - (y - y_low) / (y_high - y_low) * (BOTTOM - TOP);
    let mut front: Vec<&Point<'_>> = points.iter().filter(|p| p.front).collect();
    front.sort_by(|a, b| a.x.total_cmp(&b.x));
    let front_text: Vec<String> = front
        .iter()
        .map(|p| {
            format!(
                "#{} {} ({:.3}, {})",
                p.ranked.rank,
                p.ranked.model,
                p.ranked.score,
                amount(p.x)
            )
        })
        .collect();
    svg::open(
        s,
        id,
        (width, height),
        &format!("Score against {}", axis.label()),
        &format!(
            "{} ranked models plotted. Pareto front, cheapest first: {}. Chosen: {}.",
            points.len(),
            front_text.join("; "),
            d.chosen.as_deref().unwrap_or("nothing")
        ),
    );
    // Axes and grid.
    let step = svg::nice_step((y_high - y_low) / 5.0);
    for t in svg::ticks(y_low, y_high, 5) {
        let y = n(py(t));
        let _ = write!(
            s,
            "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#e4e4e4\" />\
             <text x=\"{}\" y=\"{y}\" dy=\"4\" text-anchor=\"end\" fill=\"#444\">{}</text>",
            n(LEFT),
            n(RIGHT),
            n(LEFT - 6.0),
            svg::tick_label(t, step)
        );
    }
    svg::vertical_grid(
        s,
        scale.ticks().into_iter().map(|(t, label)| (px(t), label)),
        TOP,
        BOTTOM,
    );
    let _ = write!(
        s,
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#888\" />\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\
         <text transform=\"translate(16 {}) rotate(-90)\" text-anchor=\"middle\">score</text>",
        n(LEFT),
        n(TOP),
        n(RIGHT - LEFT),
        n(BOTTOM - TOP),
        n((LEFT + RIGHT) / 2.0),
        n(BOTTOM + 40.0),
        escape(&format!(
            "{}{}",
            axis.label(),
            if scale.log { ", logarithmic" } else { "" }
        )),
        n((TOP + BOTTOM) / 2.0)
    );
    // The front, then the points (the best ranked drawn last, on top).
    let line: Vec<String> = front
        .iter()
        .map(|p| format!("{},{}", n(px(p.x)), n(py(p.ranked.score))))
        .collect();
    let _ = write!(
        s,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"{FRONT}\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\" />",
        line.join(" ")
    );
    let chosen = d.chosen.as_deref();
    for p in points.iter().rev() {
        let (cx, cy) = (px(p.x), py(p.ranked.score));
        let data = format!(
            " data-model=\"{}\" data-score=\"{}\" data-x=\"{}\" data-front=\"{}\"",
            escape(&p.ranked.model),
            p.ranked.score,
            p.x,
            p.front
        );
        let tip = format!(
            "#{} {}: score {:.3}, {} {}",
            p.ranked.rank,
            p.ranked.model,
            p.ranked.score,
            amount(p.x),
            match axis {
                ChartX::Latency => "ms",
                ChartX::Memory => "MB",
            }
        );
        if chosen == Some(p.ranked.model.as_str()) {
            let _ = write!(
                s,
                "<path d=\"M{x},{} L{},{y} L{x},{} L{},{y} Z\" fill=\"{CHOSEN}\" stroke=\"#000\"{data}><title>{}</title></path>",
                n(cy - 8.0),
                n(cx + 8.0),
                n(cy + 8.0),
                n(cx - 8.0),
                escape(&format!("chosen: {tip}")),
                x = n(cx),
                y = n(cy)
            );
            let (anchor, dx) = if cx > LEFT + (RIGHT - LEFT) * 0.6 {
                ("end", -12.0)
            } else {
                ("start", 12.0)
            };
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\" font-weight=\"600\">chosen: {}</text>",
                n(cx + dx),
                n(cy - 10.0),
                escape(&p.ranked.model)
            );
        } else {
            let (fill, stroke) = if p.front {
                (FRONT, FRONT)
            } else {
                ("#fff", "#777")
            };
            let _ = write!(
                s,
                "<circle cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{fill}\" stroke=\"{stroke}\"{data}><title>{}</title></circle>",
                n(cx),
                n(cy),
                escape(&tip)
            );
            if p.front {
                let _ = write!(
                    s,
                    "<text x=\"{}\" y=\"{}\" font-size=\"10\" fill=\"{FRONT}\">#{}</text>",
                    n(cx + 6.0),
                    n(cy - 6.0),
                    p.ranked.rank
                );
            }
        }
    }
    s.push_str("</svg>\n");
}

fn table(s: &mut String, points: &[Point<'_>]) {
    s.push_str(
        "<table>\n<caption>Every plotted model: its score and the estimated cost of one call</caption>\n\
         <thead><tr><th scope=\"col\" class=\"num\">rank</th><th scope=\"col\">model</th>\
         <th scope=\"col\" class=\"num\">score</th><th scope=\"col\" class=\"num\">latency (ms)</th>\
         <th scope=\"col\" class=\"num\">memory (MB)</th><th scope=\"col\">priced at</th>\
         <th scope=\"col\">Pareto front</th></tr></thead>\n<tbody>\n",
    );
    for p in points {
        let e = p.estimate;
        let _ = writeln!(
            s,
            "<tr><td class=\"num\">{}</td><th scope=\"row\"><code>{}</code></th>\
             <td class=\"num\">{:.3}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td>{}{}</td><td>{}</td></tr>",
            p.ranked.rank,
            escape(&p.ranked.model),
            p.ranked.score,
            amount(e.latency_ms),
            amount(e.memory_mb),
            e.precision,
            if e.recorded_precision {
                ""
            } else {
                " (none recorded)"
            },
            if p.front { "yes" } else { "" }
        );
    }
    s.push_str("</tbody>\n</table>\n");
}
