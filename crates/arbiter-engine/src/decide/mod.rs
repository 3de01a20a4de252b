//! Evaluation and combination: every criterion judges every model, the verdicts become a
//! ranked, explained decision.
//!
//! Vetoes come first: a vetoed model is out, with every veto's reason. The others are ranked by
//! Σ wᵢ·sᵢ / Σ wᵢ over the criteria that answered (an abstaining criterion's weight is spread over
//! the rest). Equal scores are ordered by the bundle's tie-break keys, then by id, so the same
//! task and bundle always give the same ranking. A criterion's run-time error follows its
//! `on_error`: `fail` fails the decision, `abstain` drops the criterion for that model, `veto`
//! rejects the model; each is recorded in `errors`.

use std::time::{Instant, SystemTime};

use rayon::prelude::*;

use crate::bundle::Bundle;
use crate::host::{Cancel, TaskView, Verdict, with_cancel};
use crate::script::ScriptFault;
use crate::task::Task;

mod combine;
mod record;
#[cfg(test)]
mod tests;

pub use combine::{Combined, CriterionInfo, combine};
pub use record::*;

/// A task the bundle cannot decide on as asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecideError {
    /// The task overrides weights, but the bundle does not allow it.
    #[error(
        "the task sets `weights`, but bundle `{bundle}` does not allow per-task weights (allow_task_weights = false)"
    )]
    TaskWeightsNotAllowed {
        /// The bundle.
        bundle: String,
    },
    /// The task overrides the weight of a criterion the bundle does not have.
    #[error(
        "the task sets the weight of `{name}`, which is not a criterion of this bundle; criteria: {known}"
    )]
    UnknownCriterion {
        /// The name.
        name: String,
        /// The bundle's criteria.
        known: String,
    },
    /// The decision was cancelled before it finished (its request passed its deadline).
    #[error("the decision was cancelled before it finished (its request passed its deadline)")]
    Cancelled,
}

impl DecideError {
    /// The JSON pointer into the task of the field at fault.
    pub fn pointer(&self) -> &'static str {
        match self {
            DecideError::TaskWeightsNotAllowed { .. } | DecideError::UnknownCriterion { .. } => {
                "/weights"
            }
            DecideError::Cancelled => "",
        }
    }
}

/// The canonical hash of a task: SHA-256 of its normalised JSON.
pub fn task_hash(task: &Task) -> String {
    crate::hash::sha256(&serde_json::to_vec(task).unwrap_or_default())
}

/// The envelope a recorded decision carries: its id and when it was made. Stamped at the edge
/// that records the decision; the rest of a decision depends on the task and bundle alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// Unique id (UUID v7: time-ordered).
    pub decision_id: String,
    /// When (RFC 3339, UTC, milliseconds).
    pub created_at: String,
}

impl Stamp {
    /// A fresh id and the current time.
    pub fn now() -> Stamp {
        Stamp {
            decision_id: uuid::Uuid::now_v7().to_string(),
            created_at: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
        }
    }
}

/// Decides on a task with a bundle and stamps the decision now: [`decide_stamped`] with
/// [`Stamp::now`], traced.
pub fn decide(bundle: &Bundle, task: Task) -> Result<Decision, DecideError> {
    decide_until(bundle, task, &Cancel::new())
}

/// [`decide`], stopped when `cancel` is raised: what is left of the evaluation is not done, and
/// the result is [`DecideError::Cancelled`].
pub fn decide_until(bundle: &Bundle, task: Task, cancel: &Cancel) -> Result<Decision, DecideError> {
    let started = Instant::now();
    let decision = decide_stamped_until(bundle, task, Stamp::now(), cancel)?;
    tracing::info!(
        decision_id = %decision.decision_id,
        bundle = %decision.bundle.hash,
        task = %decision.task_hash,
        chosen = decision.chosen.as_deref().unwrap_or("-"),
        outcome = ?decision.outcome,
        models = bundle.models().len(),
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        "decision"
    );
    Ok(decision)
}

/// Decides on a task with a bundle, under a given stamp. The bundle is a snapshot: nothing else
/// is read, and no clock or randomness is used, so the same task, bundle and stamp give the
/// same decision, field for field.
///
/// [`evaluate`] (every criterion on every model, in parallel), then [`combine`] (pure), then the
/// record's envelope: hashes, the criteria and weights used, and the stamp.
pub fn decide_stamped(bundle: &Bundle, task: Task, stamp: Stamp) -> Result<Decision, DecideError> {
    decide_stamped_until(bundle, task, stamp, &Cancel::new())
}

fn decide_stamped_until(
    bundle: &Bundle,
    task: Task,
    stamp: Stamp,
    cancel: &Cancel,
) -> Result<Decision, DecideError> {
    let task = task.normalised();
    let weights = effective_weights(bundle, &task)?;
    let verdicts = evaluate_until(bundle, &task, cancel);
    if cancel.is_cancelled() {
        return Err(DecideError::Cancelled);
    }
    let models: Vec<&crate::catalog::Model> = bundle.models().iter().map(|m| &m.0.model).collect();
    let criteria: Vec<CriterionInfo<'_>> = bundle
        .criteria
        .iter()
        .zip(&weights)
        .map(|(c, &weight)| CriterionInfo {
            name: &c.name,
            weight,
            on_error: c.on_error,
            script: &c.script,
        })
        .collect();
    let combined = combine(
        &models,
        &criteria,
        verdicts,
        &bundle.manifest.combine.tie_break,
    );
    let decision = Decision {
        decision_id: stamp.decision_id,
        created_at: stamp.created_at,
        engine_version: env!("CARGO_PKG_VERSION").to_string(),
        bundle: BundleRef {
            name: bundle.manifest.name.clone(),
            version: bundle.manifest.version.clone(),
            hash: bundle.hash.clone(),
            signed_by: bundle.signed_by.clone(),
        },
        catalog_hash: bundle.catalog_hash.clone(),
        task_hash: task_hash(&task),
        task,
        outcome: combined.outcome,
        chosen: combined.chosen,
        criteria: criteria
            .iter()
            .map(|c| CriterionWeight {
                name: c.name.to_string(),
                weight: c.weight,
            })
            .collect(),
        ranking: combined.ranking,
        rejected: combined.rejected,
        errors: combined.errors,
        limited: None,
    };
    Ok(decision)
}

/// Every criterion's verdict on every model of the bundle, in catalog order then bundle order,
/// evaluated in parallel (rayon) over the models.
pub fn evaluate(bundle: &Bundle, task: &Task) -> Vec<Vec<Result<Verdict, ScriptFault>>> {
    evaluate_until(bundle, task, &Cancel::new())
}

/// [`evaluate`], watching `cancel`: once it is raised, the calls not yet made fail at once and
/// the running ones stop at their next progress check.
fn evaluate_until(
    bundle: &Bundle,
    task: &Task,
    cancel: &Cancel,
) -> Vec<Vec<Result<Verdict, ScriptFault>>> {
    let view = TaskView::new(task.clone());
    bundle
        .models()
        .par_iter()
        .enumerate()
        .map(|m| {
            with_cancel(cancel, || {
                bundle
                    .criteria
                    .iter()
                    .enumerate()
                    .map(|c| {
                        if cancel.is_cancelled() {
                            Err(ScriptFault {
                                message: "not called: the decision was cancelled".into(),
                                span: crate::span::Span::START,
                            })
                        } else {
                            bundle.call_cached(c, m, &view)
                        }
                    })
                    .collect()
            })
        })
        .collect()
}

/// Each criterion's weight for this task, in bundle order: the task's own where it sets one and
/// the bundle allows it, else the bundle's. Refuses weights the bundle does not allow, or of a
/// criterion it does not have — what a decision would refuse, checked without deciding.
pub fn effective_weights(bundle: &Bundle, task: &Task) -> Result<Vec<f64>, DecideError> {
    if !task.weights.is_empty() && !bundle.manifest.allow_task_weights {
        return Err(DecideError::TaskWeightsNotAllowed {
            bundle: bundle.manifest.name.clone(),
        });
    }
    for name in task.weights.keys() {
        if !bundle.criteria.iter().any(|c| c.name == name.as_str()) {
            let known: Vec<&str> = bundle.criteria.iter().map(|c| c.name.as_str()).collect();
            return Err(DecideError::UnknownCriterion {
                name: name.to_string(),
                known: known.join(", "),
            });
        }
    }
    Ok(bundle
        .criteria
        .iter()
        .map(|c| {
            task.weights
                .iter()
                .find(|(k, _)| k.as_str() == c.name)
                .map_or(c.weight, |(_, w)| w.0)
        })
        .collect())
}
