//! One explanation for two audiences: plain sentences for reviewers (text or Markdown), built
//! only from the criteria's own reasons; the JSON record is the engineers' version.

use std::fmt::Write as _;

use arbiter_engine::decide::{Outcome, Status};

use crate::Report;

/// Plain sentences explaining a decision, for people who do not read Rhai.
pub fn explain(report: &Report<'_>, markdown: bool) -> String {
    let d = report.decision;
    let mut s = String::new();
    let t = &d.task;
    let langs: Vec<&str> = t.languages.iter().map(|l| l.as_str()).collect();
    let (h, b, bullet) = if markdown {
        ("## ", "**", "- ")
    } else {
        ("", "", "  - ")
    };
    let _ = writeln!(s, "{h}Decision {}", d.decision_id);
    let _ = writeln!(
        s,
        "\nOn {}, the task “{}” — {} in {}, {} domain, {} labelled examples, deployed on {} — was decided by the rules \
         “{}” version {} (bundle {}) over the catalog {}. The task's fingerprint is {}.",
        d.created_at,
        t.name,
        t.task,
        langs.join(", "),
        t.domain,
        t.data.labeled_examples,
        t.resources.deployment,
        d.bundle.name,
        d.bundle.version,
        d.bundle.hash,
        d.catalog_hash,
        d.task_hash
    );
    let weights: Vec<String> = d
        .criteria
        .iter()
        .map(|c| format!("{} ({})", c.name, c.weight))
        .collect();
    let _ = writeln!(
        s,
        "\nThe criteria and their weights: {}.",
        weights.join(", ")
    );

    let _ = writeln!(s, "\n{}", outcome_sentence(report, b));
    if let (Outcome::Chosen, Some(first)) = (d.outcome, d.ranking.first()) {
        let _ = writeln!(s, "\n{} was chosen because:", first.model);
        for c in &d.criteria {
            if let Some(r) = first.criteria.get(&c.name) {
                let what = match (r.status, r.score) {
                    (Status::Ok, Some(x)) => format!("scored {x:.2}"),
                    (Status::Abstained, _) => "did not judge it".into(),
                    _ => "failed and was left out".into(),
                };
                let _ = writeln!(s, "{bullet}{} {what}: {}.", c.name, r.reasons.join("; "));
            }
        }
        if let Some(second) = d.ranking.get(1) {
            let worst = crate::gaps(d, first, second).into_iter().next();
            if let Some(g) = worst.filter(|g| g.gap > 0.0) {
                let _ = writeln!(
                    s,
                    "\nThe runner-up, {}, lost most on {} ({:.3} of the score): {}.",
                    second.model, g.criterion, g.gap, g.reasons
                );
            }
        }
    }

    if !d.rejected.is_empty() {
        let mut models: Vec<&str> = d.rejected.iter().map(|r| r.model.as_str()).collect();
        models.dedup();
        let _ = writeln!(s, "\n{} model(s) were rejected:", models.len());
        for r in &d.rejected {
            let _ = writeln!(
                s,
                "{bullet}{} was rejected by {} because {}.",
                r.model, r.criterion, r.reason
            );
        }
    }
    if !d.errors.is_empty() {
        let _ = writeln!(s, "\nSome rules failed while deciding:");
        for e in &d.errors {
            let _ = writeln!(
                s,
                "{bullet}{} failed on {} ({}, at {}); as its rules say, the failure was handled by “{}”.",
                e.criterion, e.model, e.message, e.at, e.on_error
            );
        }
    }
    s
}

/// The outcome of a decision in one sentence: what was chosen, with its score and its lead over
/// the runner-up, or why nothing was.
pub fn outcome(report: &Report<'_>) -> String {
    outcome_sentence(report, "")
}

/// [`outcome`], its subject between `bold` markers (`**` in Markdown).
fn outcome_sentence(report: &Report<'_>, bold: &str) -> String {
    let d = report.decision;
    let b = bold;
    match (d.outcome, d.ranking.first()) {
        (Outcome::Chosen, Some(first)) => {
            let lead = match d.ranking.get(1) {
                Some(second) => format!(
                    ", {:.3} ahead of {} ({:.2}).",
                    first.score - second.score,
                    second.model,
                    second.score
                ),
                None => "; it was the only model not rejected.".into(),
            };
            format!(
                "{b}{} was chosen{b}, with a score of {:.2} out of 1{lead}",
                first.model, first.score
            )
        }
        (Outcome::AllVetoed, _) => {
            format!("{b}No model was chosen{b}: every model of the catalog was rejected.")
        }
        _ => format!(
            "{b}No model was chosen{b}: a criterion failed, and its rules say a failure stops the decision."
        ),
    }
}
