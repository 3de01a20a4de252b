//! Replay and diff: logged decisions re-evaluated with their own archived bundle (did anything
//! change?) or with a candidate bundle (what would change if it went live?).

use arbiter_engine::decide::Decision;
use arbiter_engine::{Bundle, decide};
use serde_json::Value;

use crate::archive::Archive;
use crate::log::Record;

/// The result of replaying one record.
#[derive(Debug, Clone, PartialEq)]
pub enum Replay {
    /// The same decision, apart from `decision_id` and `created_at`.
    Identical,
    /// A different decision; the top-level fields that differ.
    Different(Vec<String>),
    /// Not replayable, and why.
    Skipped(String),
}

/// Whether a task was redacted in the log (a masked field cannot be replayed).
fn redacted(d: &Decision) -> bool {
    fn any(v: &Value) -> bool {
        match v {
            Value::String(s) => s == "[redacted]",
            Value::Array(a) => a.iter().any(any),
            Value::Object(m) => m.values().any(any),
            _ => false,
        }
    }
    serde_json::to_value(&d.task).is_ok_and(|v| any(&v))
}

/// Re-evaluates a record's task with its own bundle from the archive.
pub fn replay(archive: &Archive, record: &Record) -> Replay {
    let d = match record.decision() {
        Ok(d) => d,
        Err(e) => {
            return Replay::Skipped(format!(
                "the logged decision does not parse ({e}): redacted?"
            ));
        }
    };
    let d = &d;
    if redacted(d) {
        return Replay::Skipped("task fields were redacted in the log".into());
    }
    let bundle = match archive.load(&d.bundle.hash) {
        Ok(b) => b,
        Err(e) => return Replay::Skipped(e.to_string()),
    };
    match decide(&bundle, d.task.clone()) {
        Err(e) => Replay::Different(vec![format!("the task is now refused: {e}")]),
        Ok(again) => {
            // A top-limited record is compared with the new decision limited the same way.
            let again = match &d.limited {
                Some(l) => again.limited_to(l.top),
                None => again,
            };
            let fields = d.differences(&again);
            if fields.is_empty() {
                Replay::Identical
            } else {
                Replay::Different(fields.into_iter().map(String::from).collect())
            }
        }
    }
}

/// How one logged decision would change under a candidate bundle.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The logged decision.
    pub decision_id: String,
    /// The task's name.
    pub task: String,
    /// The model chosen then.
    pub old: Option<String>,
    /// The model the candidate would choose.
    pub new: Option<String>,
    /// What moved most between the two models: a criterion and how far it moved
    /// (its contribution to new-minus-old), or the criterion that now vetoes the old choice.
    pub cause: String,
}

/// Shadow evaluation: re-runs every record's task against `candidate`, returning the records
/// whose choice would change (and how many were compared).
pub fn diff(candidate: &Bundle, records: impl IntoIterator<Item = Record>) -> (usize, Vec<Change>) {
    let mut changes = Vec::new();
    let mut compared = 0;
    for r in records {
        let Ok(old) = r.decision() else { continue };
        let old = &old;
        if redacted(old) {
            continue;
        }
        let Ok(new) = decide(candidate, old.task.clone()) else {
            continue;
        };
        compared += 1;
        if new.chosen == old.chosen {
            continue;
        }
        changes.push(Change {
            decision_id: old.decision_id.clone(),
            task: old.task.name.clone(),
            old: old.chosen.clone(),
            new: new.chosen.clone(),
            cause: cause(old, &new),
        });
    }
    (compared, changes)
}

/// The criterion that moved most between the old and the new choice.
fn cause(old: &Decision, new: &Decision) -> String {
    let (Some(o), Some(n)) = (&old.chosen, &new.chosen) else {
        return match &new.chosen {
            None => format!("no model is chosen any more ({:?})", new.outcome),
            Some(_) => "a model is chosen where none was".into(),
        };
    };
    if let Some(v) = new.rejected.iter().find(|v| &v.model == o) {
        return format!("{} now vetoes {o}: {}", v.criterion, v.reason);
    }
    // Per criterion: how much more the new winner leads the old one than it did before.
    let lead = |d: &Decision, c: &str| -> f64 {
        let contribution = |m: &str| {
            d.ranking
                .iter()
                .find(|r| r.model == m)
                .and_then(|r| r.criteria.get(c))
                .map_or(0.0, |x| x.contribution)
        };
        contribution(n) - contribution(o)
    };
    let names: Vec<&str> = new.criteria.iter().map(|c| c.name.as_str()).collect();
    let moved = names
        .iter()
        .map(|c| (*c, lead(new, c) - lead(old, c)))
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()));
    match moved {
        Some((c, delta)) => format!("{c} moved most ({delta:+.3} in favour of {n})"),
        None => "the criteria changed".into(),
    }
}
