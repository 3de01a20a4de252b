//! The report's text sections: the header with the hashes and the outcome, the task, the chosen
//! model's reasons, the counterfactuals, the vetoes by criterion and the script errors.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use arbiter_engine::decide::{Rejection, Status};

use super::{HtmlOptions, escape};
use crate::{Report, sentences, text};

/// `<h1>`, the outcome in one sentence, and the facts that identify the decision.
pub(super) fn header(s: &mut String, report: &Report<'_>, options: &HtmlOptions) {
    let d = report.decision;
    let _ = writeln!(
        s,
        "<header>\n<h1>Model decision: {}</h1>\n<p class=\"outcome\">{}</p>",
        escape(&d.task.name),
        escape(&sentences::outcome(report))
    );
    let vetoed: BTreeSet<&str> = d.rejected.iter().map(|r| r.model.as_str()).collect();
    let counts = match (&d.limited, report.catalog_models) {
        (Some(l), _) => format!(
            "{} ranked (this record keeps the first {}), {} vetoes (counted, not listed)",
            l.ranked,
            d.ranking.len(),
            l.vetoes
        ),
        (None, Some(n)) => format!(
            "{n} models: {} ranked, {} vetoed",
            d.ranking.len(),
            vetoed.len()
        ),
        (None, None) => format!("{} ranked, {} vetoed", d.ranking.len(), vetoed.len()),
    };
    let weights: Vec<String> = d
        .criteria
        .iter()
        .map(|c| format!("{} {}", c.name, c.weight))
        .collect();
    s.push_str("<dl class=\"facts\">\n");
    let mut fact = |term: &str, value: &str| {
        let _ = writeln!(s, "<dt>{term}</dt><dd>{value}</dd>");
    };
    fact(
        "Decision",
        &format!("<code>{}</code>", escape(&d.decision_id)),
    );
    fact(
        "Made",
        &format!(
            "{} by Model Arbiter {}",
            escape(&d.created_at),
            escape(&d.engine_version)
        ),
    );
    fact(
        "Bundle",
        &format!(
            "{} {} <code>{}</code>",
            escape(&d.bundle.name),
            escape(&d.bundle.version),
            escape(&d.bundle.hash)
        ),
    );
    fact(
        "Catalog",
        &format!(
            "<code>{}</code> — {}",
            escape(&d.catalog_hash),
            escape(&counts)
        ),
    );
    fact(
        "Task hash",
        &format!("<code>{}</code>", escape(&d.task_hash)),
    );
    fact("Weights", &escape(&weights.join(", ")).to_string());
    if let Some(a) = &options.audit {
        fact("Log record", &a.seq.to_string());
        fact(
            "Record hash",
            &format!("<code>{}</code>", escape(&a.record_hash)),
        );
        let (class, verdict) = match a.chain_verified {
            Some(true) => ("verified", "verified up to this record"),
            Some(false) => ("broken", "NOT verified up to this record"),
            None => ("unchecked", "not checked here"),
        };
        fact(
            "Hash chain",
            &format!(
                "<span class=\"{class}\">{verdict}</span>: {}",
                escape(&a.chain_detail)
            ),
        );
    }
    s.push_str("</dl>\n</header>\n");
}

/// The task: one line, the recorded (normalised) task and, when given, the file as submitted.
pub(super) fn task(s: &mut String, report: &Report<'_>, options: &HtmlOptions) {
    let d = report.decision;
    let _ = writeln!(
        s,
        "<section>\n<h2>The task</h2>\n<p>{}</p>",
        escape(&text::task_line(d))
    );
    if let Some(sub) = &options.submitted {
        let _ = writeln!(
            s,
            "<h3>As submitted: <code>{}</code></h3>\n<pre>{}</pre>",
            escape(&sub.name),
            escape(sub.text.trim_end())
        );
    }
    let recorded = serde_json::to_value(&d.task)
        .map(|v| arbiter_engine::yaml::to_string(&v))
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "<h3>As decided</h3>\n<p class=\"note\">Normalised: aliases resolved, defaults filled in. \
         Its hash, <code>{}</code>, is over this form.</p>\n<pre>{}</pre>\n</section>",
        escape(&d.task_hash),
        escape(recorded.trim_end())
    );
}

/// Why the chosen model was chosen: each criterion's weight, score, contribution and reasons.
pub(super) fn reasons(s: &mut String, report: &Report<'_>) {
    let d = report.decision;
    let (Some(chosen), Some(first)) = (&d.chosen, d.ranking.first()) else {
        return;
    };
    let _ = writeln!(
        s,
        "<h3>Why {}</h3>\n<table>\n<caption>Each criterion's verdict on {}</caption>\n<thead><tr>\
         <th scope=\"col\">criterion</th><th scope=\"col\" class=\"num\">weight</th>\
         <th scope=\"col\" class=\"num\">score</th><th scope=\"col\" class=\"num\">contribution</th>\
         <th scope=\"col\">reasons</th></tr></thead>\n<tbody>",
        escape(chosen),
        escape(chosen)
    );
    for c in &d.criteria {
        let Some(res) = first.criteria.get(&c.name) else {
            continue;
        };
        let score = match (res.status, res.score) {
            (Status::Ok, Some(x)) => format!("{x:.2}"),
            (Status::Abstained, _) => "abstained".into(),
            _ => "error, left out".into(),
        };
        let _ = writeln!(
            s,
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{score}</td>\
             <td class=\"num\">{:.3}</td><td>{}</td></tr>",
            escape(&c.name),
            res.weight,
            res.contribution,
            escape(&res.reasons.join("; "))
        );
    }
    s.push_str("</tbody>\n</table>\n");
}

/// The counterfactuals as a table, or why there are none.
pub(super) fn counterfactuals(s: &mut String, report: &Report<'_>) {
    let d = report.decision;
    s.push_str("<section>\n<h2>What would change the choice</h2>\n");
    let Some(found) = &report.counterfactuals else {
        s.push_str(
            "<p class=\"note\">Not computed: they need the bundle that decided, which was not at hand.</p>\n</section>\n",
        );
        return;
    };
    if found.is_empty() {
        let _ = writeln!(
            s,
            "<p>{}.</p>\n</section>",
            escape(text::NOTHING_CHANGES_IT)
        );
        return;
    }
    let _ = writeln!(
        s,
        "<table>\n<caption>For each task field, the nearest value tried that changes the choice \
         (now: {}); each value tried is a full decision with the same bundle</caption>\n<thead><tr>\
         <th scope=\"col\">field</th><th scope=\"col\" class=\"num\">now</th>\
         <th scope=\"col\" class=\"num\">with</th><th scope=\"col\">chosen then</th></tr></thead>\n<tbody>",
        escape(d.chosen.as_deref().unwrap_or("nothing"))
    );
    for c in found {
        let _ = writeln!(
            s,
            "<tr><th scope=\"row\"><code>{}</code></th><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td>{}</td></tr>",
            escape(&c.field),
            escape(&c.from),
            escape(&c.to),
            escape(c.chosen.as_deref().unwrap_or("nothing would be chosen"))
        );
    }
    s.push_str("</tbody>\n</table>\n</section>\n");
}

/// Every veto, grouped by criterion in bundle order, with its reason.
pub(super) fn vetoes(s: &mut String, report: &Report<'_>) {
    let d = report.decision;
    s.push_str("<section>\n<h2>Vetoes</h2>\n");
    if let Some(l) = &d.limited {
        let _ = writeln!(
            s,
            "<p>This record was limited to the first {} ranked models: its {} vetoes are counted \
             by criterion, not listed.</p>\n<table>\n<caption>Vetoes by criterion</caption>\n\
             <thead><tr><th scope=\"col\">criterion</th><th scope=\"col\" class=\"num\">vetoes</th>\
             </tr></thead>\n<tbody>",
            l.top, l.vetoes
        );
        for (criterion, n) in &l.vetoes_by_criterion {
            let _ = writeln!(
                s,
                "<tr><th scope=\"row\">{}</th><td class=\"num\">{n}</td></tr>",
                escape(criterion)
            );
        }
        s.push_str("</tbody>\n</table>\n</section>\n");
        return;
    }
    if d.rejected.is_empty() {
        s.push_str("<p>No model was vetoed.</p>\n</section>\n");
        return;
    }
    let models: BTreeSet<&str> = d.rejected.iter().map(|r| r.model.as_str()).collect();
    let _ = writeln!(
        s,
        "<p>{} vetoes of {} models. A vetoed model is out whatever its scores.</p>",
        d.rejected.len(),
        models.len()
    );
    // Bundle order first, then any criterion the record names that is not among its criteria.
    let mut order: Vec<&str> = d.criteria.iter().map(|c| c.name.as_str()).collect();
    for r in &d.rejected {
        if !order.contains(&r.criterion.as_str()) {
            order.push(&r.criterion);
        }
    }
    for criterion in order {
        let group: Vec<&Rejection> = d
            .rejected
            .iter()
            .filter(|r| r.criterion == criterion)
            .collect();
        if group.is_empty() {
            continue;
        }
        let _ = writeln!(
            s,
            "<table>\n<caption>Vetoed by {} ({})</caption>\n<thead><tr><th scope=\"col\">model</th>\
             <th scope=\"col\">reason</th></tr></thead>\n<tbody>",
            escape(criterion),
            group.len()
        );
        for r in group {
            let _ = writeln!(
                s,
                "<tr><th scope=\"row\"><code>{}</code></th><td>{}</td></tr>",
                escape(&r.model),
                escape(&r.reason)
            );
        }
        s.push_str("</tbody>\n</table>\n");
    }
    s.push_str("</section>\n");
}

/// What a criterion's `on_error` did about a failure.
fn handled(on_error: &str) -> &str {
    match on_error {
        "fail" => "the decision failed",
        "abstain" => "the criterion was left out for this model",
        "veto" => "the model was rejected",
        other => other,
    }
}

/// Every script error, and what was done about it.
pub(super) fn errors(s: &mut String, report: &Report<'_>) {
    let d = report.decision;
    s.push_str("<section>\n<h2>Script errors</h2>\n");
    if d.errors.is_empty() {
        s.push_str("<p>No criterion failed.</p>\n</section>\n");
        return;
    }
    let _ = writeln!(
        s,
        "<table>\n<caption>Run-time errors of the criteria, each handled as its <code>on_error</code> says</caption>\n\
         <thead><tr><th scope=\"col\">criterion</th><th scope=\"col\">model</th>\
         <th scope=\"col\">what went wrong</th><th scope=\"col\">where</th>\
         <th scope=\"col\">what was done</th></tr></thead>\n<tbody>"
    );
    for e in &d.errors {
        let _ = writeln!(
            s,
            "<tr><th scope=\"row\">{}</th><td><code>{}</code></td><td>{}</td><td><code>{}</code></td>\
             <td>{} (<code>on_error = {}</code>)</td></tr>",
            escape(&e.criterion),
            escape(&e.model),
            escape(&e.message),
            escape(&e.at),
            escape(handled(&e.on_error)),
            escape(&e.on_error)
        );
    }
    s.push_str("</tbody>\n</table>\n</section>\n");
}
