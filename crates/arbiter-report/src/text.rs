//! The engineer's views of a decision, as plain text or Markdown: the ranking table, every
//! criterion's reasons with the weight sensitivity, why-not, and what-if.

use std::fmt::Write as _;

use arbiter_engine::Decision;
use arbiter_engine::decide::{Outcome, Ranked, Status};

use crate::{Report, short};

/// What the what-if view says when no change it tried changes the choice.
pub(crate) const NOTHING_CHANGES_IT: &str = "no single change of a budget, the data volume, the deployment or the sequence length tried changes the choice";

/// A criterion's score of a ranked model as a table cell: the score to two decimals, `–` where
/// it abstained, `err` where it failed.
pub(crate) fn cell(r: &Ranked, criterion: &str) -> String {
    match r.criteria.get(criterion) {
        Some(c) => match (c.status, c.score) {
            (Status::Ok, Some(s)) => format!("{s:.2}"),
            (Status::Abstained, _) => "–".into(),
            (Status::Error, _) => "err".into(),
            _ => "?".into(),
        },
        None => "?".into(),
    }
}

/// The header, the ranking table and the choice.
pub fn summary(r: &Report<'_>, top: usize, md: bool) -> String {
    let d = r.decision;
    let mut s = String::new();
    let vetoed: std::collections::BTreeSet<&str> =
        d.rejected.iter().map(|r| r.model.as_str()).collect();
    let title = task_line(d);
    let meta = format!(
        "bundle {} {} ({}) · catalog {} · {}{} ranked, {} vetoed",
        d.bundle.name,
        d.bundle.version,
        short(&d.bundle.hash),
        short(&d.catalog_hash),
        r.catalog_models
            .map_or(String::new(), |n| format!("{n} models: ")),
        d.ranking.len(),
        vetoed.len()
    );
    let names: Vec<&str> = d.criteria.iter().map(|c| c.name.as_str()).collect();
    if md {
        let _ = writeln!(s, "## {title}\n\n{meta}\n");
        let _ = writeln!(
            s,
            "| rank | model | score | margin | {} |",
            names.join(" | ")
        );
        let _ = writeln!(
            s,
            "|---:|---|---:|---:|{}|",
            names.iter().map(|_| "---:").collect::<Vec<_>>().join("|")
        );
        for r in d.ranking.iter().take(top) {
            let cells: Vec<String> = names.iter().map(|n| cell(r, n)).collect();
            let margin = r.margin.map_or(String::new(), |m| format!("{m:.3}"));
            let _ = writeln!(
                s,
                "| {} | `{}` | {:.3} | {margin} | {} |",
                r.rank,
                r.model,
                r.score,
                cells.join(" | ")
            );
        }
        s.push('\n');
    } else {
        let _ = writeln!(s, "{title}\n{meta}\n");
        let width = d
            .ranking
            .iter()
            .take(top)
            .map(|r| r.model.len())
            .max()
            .unwrap_or(5)
            .max(5);
        let _ = write!(
            s,
            "{:>4}  {:<width$}  {:>5}  {:>6}",
            "rank", "model", "score", "margin"
        );
        for n in &names {
            let _ = write!(s, "  {n:>w$}", w = n.len().max(5));
        }
        s.push('\n');
        for r in d.ranking.iter().take(top) {
            let margin = r.margin.map_or(String::new(), |m| format!("{m:.3}"));
            let _ = write!(
                s,
                "{:>4}  {:<width$}  {:>5.3}  {margin:>6}",
                r.rank, r.model, r.score
            );
            for n in &names {
                let _ = write!(s, "  {:>w$}", cell(r, n), w = n.len().max(5));
            }
            s.push('\n');
        }
        if d.ranking.len() > top {
            let _ = writeln!(s, "      … {} more ranked (--top N)", d.ranking.len() - top);
        }
        s.push('\n');
    }
    let weights: Vec<String> = d
        .criteria
        .iter()
        .map(|c| format!("{} {}", c.name, c.weight))
        .collect();
    let verdict = match (d.outcome, &d.chosen) {
        (Outcome::Chosen, Some(m)) => format!("chosen: {m}"),
        (Outcome::AllVetoed, _) => {
            "no model chosen: every model was vetoed (--explain lists why)".into()
        }
        _ => "no model chosen: a criterion failed (see the script errors)".into(),
    };
    let _ = writeln!(
        s,
        "{}{verdict}{}",
        if md { "**" } else { "" },
        if md { "**" } else { "" }
    );
    let _ = writeln!(
        s,
        "{}weights: {}",
        if md { "\n" } else { "" },
        weights.join(", ")
    );
    s
}

/// The task in one line: its name, then type, languages, domain and deployment.
pub fn task_line(d: &Decision) -> String {
    let t = &d.task;
    let langs: Vec<&str> = t.languages.iter().map(|l| l.as_str()).collect();
    format!(
        "{} ({}, {}, {} on {})",
        t.name,
        t.task,
        langs.join(" "),
        t.domain,
        t.resources.deployment
    )
}

/// Every criterion's reasons for the top models, and every veto.
pub fn explain(report: &Report<'_>, top: usize, md: bool) -> String {
    let d = report.decision;
    let mut s = String::new();
    let (h, li) = if md { ("### ", "- ") } else { ("", "  ") };
    for r in d.ranking.iter().take(top) {
        let at = r
            .precision
            .map_or(String::new(), |p| format!(" — judged at {p}"));
        let _ = writeln!(s, "\n{h}#{} {} — score {:.3}{at}", r.rank, r.model, r.score);
        for c in &d.criteria {
            if let Some(res) = r.criteria.get(&c.name) {
                let what = match (res.status, res.score) {
                    (Status::Ok, Some(x)) => {
                        format!("{x:.2} × {} → {:.3}", res.weight, res.contribution)
                    }
                    (Status::Abstained, _) => "abstained".into(),
                    _ => "error, dropped".into(),
                };
                let _ = writeln!(s, "{li}{:<12} {what}: {}", c.name, res.reasons.join("; "));
            }
        }
    }
    let ranges = report.sensitivity();
    if !ranges.is_empty() {
        let _ = writeln!(
            s,
            "\n{h}weight sensitivity (each weight alone; the others fixed)"
        );
        for r in ranges {
            let high = r.high.map_or("∞".to_string(), |h| format!("{h:.2}"));
            let next = r
                .next
                .as_ref()
                .map(|m| format!(", then {m}"))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "{li}{:<12} {} stays chosen for weights in [{:.2}, {high}] (now {}){next}",
                r.criterion,
                d.chosen.as_deref().unwrap_or("?"),
                r.low,
                r.weight
            );
        }
    }
    if !d.rejected.is_empty() {
        let _ = writeln!(s, "\n{h}vetoed ({} vetoes)", d.rejected.len());
        for v in &d.rejected {
            let _ = writeln!(s, "{li}{} — {}: {}", v.model, v.criterion, v.reason);
        }
    }
    s
}

/// Why `model` was not chosen.
pub fn why_not(r: &Report<'_>, model: &str, md: bool) -> String {
    let d = r.decision;
    let mut s = String::new();
    let (h, li) = if md { ("### ", "- ") } else { ("", "  ") };
    let _ = writeln!(s, "\n{h}why not {model}?");
    let vetoes: Vec<_> = d.rejected.iter().filter(|r| r.model == model).collect();
    if !vetoes.is_empty() {
        for v in vetoes {
            let _ = writeln!(s, "{li}vetoed by {}: {}", v.criterion, v.reason);
        }
        return s;
    }
    let (Some(winner), Some(this)) = (
        d.ranking.first(),
        d.ranking.iter().find(|r| r.model == model),
    ) else {
        let _ = writeln!(s, "{li}not ranked: no decision was reached");
        return s;
    };
    if winner.model == model {
        let _ = writeln!(
            s,
            "{li}{model} is the choice (margin {:.3} to the runner-up)",
            winner.margin.unwrap_or(0.0)
        );
        return s;
    }
    let _ = writeln!(
        s,
        "{li}rank {} with {:.3}, {:.3} behind {} ({:.3}); per criterion (winner − this):",
        this.rank,
        this.score,
        winner.score - this.score,
        winner.model,
        winner.score
    );
    for g in crate::gaps(d, winner, this) {
        let _ = writeln!(s, "{li}{:<12} {:+.3}  ({})", g.criterion, g.gap, g.reasons);
    }
    s
}

/// The counterfactuals, one per field that can change the choice (nothing when the report has
/// none computed).
pub fn what_if(r: &Report<'_>, md: bool) -> String {
    let d = r.decision;
    let Some(found) = &r.counterfactuals else {
        return String::new();
    };
    let mut s = String::new();
    let (h, li) = if md { ("### ", "- ") } else { ("", "  ") };
    let now = d.chosen.as_deref().unwrap_or("nothing");
    let _ = writeln!(s, "\n{h}what if (now: {now})");
    if found.is_empty() {
        let _ = writeln!(s, "{li}{NOTHING_CHANGES_IT}");
    }
    for c in found {
        let _ = writeln!(
            s,
            "{li}with {} = {} (now {}): {}",
            c.field,
            c.to,
            c.from,
            c.chosen.as_deref().unwrap_or("nothing would be chosen")
        );
    }
    s
}
