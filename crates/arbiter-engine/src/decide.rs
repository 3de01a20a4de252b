//! Evaluation and combination: every criterion judges every model, the verdicts become a
//! ranked, explained decision.
//!
//! Vetoes come first: a vetoed model is out, with every veto's reason. The others are ranked by
//! Σ wᵢ·sᵢ / Σ wᵢ over the criteria that answered (an abstaining criterion's weight is spread over
//! the rest). Equal scores are ordered by the bundle's tie-break keys, then by id, so the same
//! task and bundle always give the same ranking. A criterion's run-time error follows its
//! `on_error`: `fail` fails the decision, `abstain` drops the criterion for that model, `veto`
//! rejects the model; each is recorded in `errors`.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::time::{Instant, SystemTime};

use rayon::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::bundle::Bundle;
use crate::cost::Precision;
use crate::host::{TaskView, Verdict};
use crate::manifest::{OnError, TieBreak};
use crate::script::ScriptFault;
use crate::task::Task;

/// The decision record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Model Arbiter decision")]
pub struct Decision {
    /// Unique id (UUID v7: time-ordered).
    pub decision_id: String,
    /// When the decision was made (RFC 3339, UTC).
    pub created_at: String,
    /// The engine version that made it.
    pub engine_version: String,
    /// The bundle that made it.
    pub bundle: BundleRef,
    /// SHA-256 of the catalog file.
    pub catalog_hash: String,
    /// SHA-256 of the normalised task's canonical JSON.
    pub task_hash: String,
    /// The task, normalised (aliases resolved, defaults filled in).
    pub task: Task,
    /// Whether a model was chosen.
    pub outcome: Outcome,
    /// The chosen model, if any.
    pub chosen: Option<String>,
    /// The criteria in bundle order, with the weights used (task overrides applied).
    pub criteria: Vec<CriterionWeight>,
    /// Every model that was not vetoed, best first.
    pub ranking: Vec<Ranked>,
    /// Every veto, model by model.
    pub rejected: Vec<Rejection>,
    /// Every run-time script error, and what was done about it.
    pub errors: Vec<ScriptError>,
}

impl Decision {
    /// The fields in which two decisions differ, apart from the envelope (`decision_id`,
    /// `created_at`) that every run stamps anew: empty when a replay reproduced a decision.
    pub fn differences(&self, other: &Decision) -> Vec<&'static str> {
        let mut out = Vec::new();
        macro_rules! cmp {
            ($($field:ident),*) => {
                $(if self.$field != other.$field {
                    out.push(stringify!($field));
                })*
            };
        }
        cmp!(
            engine_version,
            bundle,
            catalog_hash,
            task_hash,
            task,
            outcome,
            chosen,
            criteria,
            ranking,
            rejected,
            errors
        );
        out
    }
}

/// The bundle of a decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BundleRef {
    /// Name from the manifest.
    pub name: String,
    /// Version from the manifest.
    pub version: String,
    /// Content hash of all its files.
    pub hash: String,
}

/// The outcome of a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(transform = crate::plain_enum::plain_enum)]
pub enum Outcome {
    /// A model was chosen.
    Chosen,
    /// Every model was vetoed.
    AllVetoed,
    /// A criterion with `on_error = "fail"` failed.
    Failed,
}

impl Outcome {
    /// The wire name (`chosen`, `all-vetoed`, `failed`), as the decision record spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Chosen => "chosen",
            Outcome::AllVetoed => "all-vetoed",
            Outcome::Failed => "failed",
        }
    }
}

/// A criterion and the weight it had in this decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CriterionWeight {
    /// The criterion.
    pub name: String,
    /// Its weight.
    pub weight: f64,
}

/// One ranked model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ranked {
    /// 1 for the chosen model.
    pub rank: usize,
    /// The model id.
    pub model: String,
    /// Σ wᵢ·sᵢ / Σ wᵢ over the criteria that answered, in [0, 1].
    pub score: f64,
    /// This score minus the next model's (for rank 1: the margin to the runner-up).
    pub margin: Option<f64>,
    /// The precision the model was judged at: the first criterion, in bundle order, that chose
    /// one (the default bundle's `resources`: the most precise accepted precision that fits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<Precision>,
    /// Each criterion's part, by criterion name.
    pub criteria: BTreeMap<String, CriterionResult>,
}

/// What one criterion said about one ranked model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CriterionResult {
    /// `ok`, `abstained`, or `error` (failed, and `on_error = "abstain"`).
    pub status: Status,
    /// The score, when the criterion answered.
    pub score: Option<f64>,
    /// The criterion's weight.
    pub weight: f64,
    /// Its share of the model's score: wᵢ·sᵢ / Σ wⱼ.
    pub contribution: f64,
    /// Why.
    pub reasons: Vec<String>,
    /// The precision the criterion judged the model at, where it chose one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<Precision>,
}

/// Status of a criterion for a ranked model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(transform = crate::plain_enum::plain_enum)]
pub enum Status {
    /// It scored the model.
    Ok,
    /// It abstained.
    Abstained,
    /// It failed and its `on_error` is `abstain`.
    Error,
}

/// A veto.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    /// The model.
    pub model: String,
    /// The criterion that vetoed it.
    pub criterion: String,
    /// Why.
    pub reason: String,
}

/// A run-time script error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScriptError {
    /// The criterion.
    pub criterion: String,
    /// The model being judged.
    pub model: String,
    /// What went wrong.
    pub message: String,
    /// `script:line:column`.
    pub at: String,
    /// What was done about it.
    pub on_error: String,
}

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
}

impl DecideError {
    /// The JSON pointer into the task of the field at fault.
    pub fn pointer(&self) -> &'static str {
        match self {
            DecideError::TaskWeightsNotAllowed { .. } | DecideError::UnknownCriterion { .. } => {
                "/weights"
            }
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
    let started = Instant::now();
    let decision = decide_stamped(bundle, task, Stamp::now())?;
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
    let task = task.normalised();
    let weights = effective_weights(bundle, &task)?;
    let verdicts = evaluate(bundle, &task);
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
    };
    Ok(decision)
}

/// Every criterion's verdict on every model of the bundle, in catalog order then bundle order,
/// evaluated in parallel (rayon) over the models.
pub fn evaluate(bundle: &Bundle, task: &Task) -> Vec<Vec<Result<Verdict, ScriptFault>>> {
    let view = TaskView::new(task.clone());
    bundle
        .models()
        .par_iter()
        .map(|m| {
            bundle
                .criteria
                .iter()
                .map(|c| bundle.call(c, &view, m))
                .collect()
        })
        .collect()
}

/// A criterion as [`combine`] needs it: its name, the weight it has in this decision, what a
/// failure means, and its script (to locate faults).
#[derive(Debug, Clone, Copy)]
pub struct CriterionInfo<'a> {
    /// The criterion's name.
    pub name: &'a str,
    /// Its weight in this decision (task overrides applied).
    pub weight: f64,
    /// What a run-time failure does.
    pub on_error: OnError,
    /// Its script, relative to the bundle (for `errors[].at`).
    pub script: &'a str,
}

/// What [`combine`] makes of the verdicts.
#[derive(Debug, Clone, PartialEq)]
pub struct Combined {
    /// Whether a model was chosen.
    pub outcome: Outcome,
    /// The chosen model, if any.
    pub chosen: Option<String>,
    /// Every model that was not vetoed, best first.
    pub ranking: Vec<Ranked>,
    /// Every veto, model by model.
    pub rejected: Vec<Rejection>,
    /// Every run-time script error, and what was done about it.
    pub errors: Vec<ScriptError>,
}

/// Combines verdicts into a ranking — pure: no scripts, no clock, no randomness.
///
/// `verdicts[i][j]` is criterion `j`'s verdict on `models[i]`. Vetoes come first: a vetoed
/// model is out, with every veto's reason. The others are ranked by Σ wᵢ·sᵢ / Σ wᵢ over the
/// criteria that answered; equal scores by `tie_break`, then by id. A fault follows its
/// criterion's `on_error`. The precision a ranked model was judged at is the first one a
/// criterion chose, in criterion order.
pub fn combine(
    models: &[&crate::catalog::Model],
    criteria: &[CriterionInfo<'_>],
    verdicts: Vec<Vec<Result<Verdict, ScriptFault>>>,
    tie_break: &[TieBreak],
) -> Combined {
    let mut ranking = Vec::new();
    let mut rejected = Vec::new();
    let mut errors = Vec::new();
    let mut failed = false;
    for (model, outcomes) in models.iter().zip(verdicts) {
        let id = &model.id;
        let mut vetoed = false;
        let mut results: BTreeMap<String, CriterionResult> = BTreeMap::new();
        for (c, outcome) in criteria.iter().zip(outcomes) {
            let result = |status, score, reason: String| CriterionResult {
                status,
                score,
                weight: c.weight,
                contribution: 0.0,
                reasons: vec![reason],
                precision: None,
            };
            let entry = match outcome {
                Ok(Verdict::Score {
                    value,
                    reason,
                    precision,
                }) => {
                    let mut r = result(Status::Ok, Some(value), reason);
                    r.precision = precision;
                    Some(r)
                }
                Ok(Verdict::Abstain { reason }) => Some(result(Status::Abstained, None, reason)),
                Ok(Verdict::Veto { reason }) => {
                    vetoed = true;
                    rejected.push(Rejection {
                        model: id.clone(),
                        criterion: c.name.to_string(),
                        reason,
                    });
                    None
                }
                Err(fault) => {
                    errors.push(ScriptError {
                        criterion: c.name.to_string(),
                        model: id.clone(),
                        message: fault.message.clone(),
                        at: format!("{}:{}", c.script, fault.span),
                        on_error: c.on_error.as_str().to_string(),
                    });
                    match c.on_error {
                        OnError::Fail => {
                            failed = true;
                            None
                        }
                        OnError::Abstain => Some(result(
                            Status::Error,
                            None,
                            format!("failed: {}", fault.message),
                        )),
                        OnError::Veto => {
                            vetoed = true;
                            rejected.push(Rejection {
                                model: id.clone(),
                                criterion: c.name.to_string(),
                                reason: format!(
                                    "the criterion failed ({}), and its on_error is veto",
                                    fault.message
                                ),
                            });
                            None
                        }
                    }
                }
            };
            if let Some(e) = entry {
                results.insert(c.name.to_string(), e);
            }
        }
        if vetoed {
            continue;
        }
        let total: f64 = results
            .values()
            .filter(|r| r.status == Status::Ok)
            .map(|r| r.weight)
            .sum();
        let mut score = 0.0;
        for r in results.values_mut() {
            if let (Status::Ok, Some(s)) = (r.status, r.score) {
                r.contribution = if total > 0.0 {
                    r.weight * s / total
                } else {
                    0.0
                };
                score += r.contribution;
            }
        }
        let precision = criteria
            .iter()
            .find_map(|c| results.get(c.name).and_then(|r| r.precision));
        ranking.push((
            *model,
            Ranked {
                rank: 0,
                model: id.clone(),
                score,
                margin: None,
                precision,
                criteria: results,
            },
        ));
    }

    ranking.sort_by(|(ma, a), (mb, b)| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| tie_break_order(tie_break, ma, mb))
    });
    let scores: Vec<f64> = ranking.iter().map(|(_, r)| r.score).collect();
    let mut ranking: Vec<Ranked> = ranking.into_iter().map(|(_, r)| r).collect();
    for (i, r) in ranking.iter_mut().enumerate() {
        r.rank = i + 1;
        r.margin = scores.get(i + 1).map(|next| r.score - next);
    }
    let outcome = if failed {
        ranking.clear();
        Outcome::Failed
    } else if ranking.is_empty() {
        Outcome::AllVetoed
    } else {
        Outcome::Chosen
    };
    Combined {
        outcome,
        chosen: ranking.first().map(|r| r.model.clone()),
        ranking,
        rejected,
        errors,
    }
}

fn effective_weights(bundle: &Bundle, task: &Task) -> Result<Vec<f64>, DecideError> {
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

fn tie_break_order(
    keys: &[TieBreak],
    a: &crate::catalog::Model,
    b: &crate::catalog::Model,
) -> Ordering {
    keys.iter()
        .map(|k| match k {
            TieBreak::ParametersM => a.parameters_m.total_cmp(&b.parameters_m),
            TieBreak::Released => b.released.cmp(&a.released),
            TieBreak::Id => a.id.cmp(&b.id),
        })
        .find(|o| o.is_ne())
        .unwrap_or_else(|| a.id.cmp(&b.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Model;

    fn model(id: &str, params: f64) -> Model {
        crate::yaml::from_str(&format!(
            "{{id: {id}, name: x, family: encoder, parameters_m: {params}, layers: 1, \
             hidden_size: 8, attention_heads: 1, tasks: [fill-mask], sources: [x]}}"
        ))
        .unwrap()
    }

    fn score(x: f64) -> Result<Verdict, ScriptFault> {
        Ok(Verdict::Score {
            value: x,
            reason: format!("{x}"),
            precision: None,
        })
    }

    fn info(name: &str, weight: f64, on_error: OnError) -> CriterionInfo<'_> {
        CriterionInfo {
            name,
            weight,
            on_error,
            script: name,
        }
    }

    /// The same task, bundle and stamp give the same decision, field for field.
    #[test]
    fn decide_stamped_is_deterministic() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
        let bundle = Bundle::load(&dir, None).unwrap();
        let text =
            std::fs::read_to_string(dir.join("../examples/tasks/chinese-sentiment-cpu.yaml"))
                .unwrap();
        let task: Task = crate::yaml::from_str(&text).unwrap();
        let stamp = Stamp {
            decision_id: "0".into(),
            created_at: "2026-12-03T00:00:00.000Z".into(),
        };
        let a = decide_stamped(&bundle, task.clone(), stamp.clone()).unwrap();
        let b = decide_stamped(&bundle, task, stamp).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.decision_id, "0");
    }

    /// Outcome names are the wire's, as serde writes them.
    #[test]
    fn outcome_names_are_the_wire_names() {
        for o in [Outcome::Chosen, Outcome::AllVetoed, Outcome::Failed] {
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
        }
    }

    /// Combination by hand, no scripts: a veto removes a model; an abstention spreads its
    /// weight; a fault follows `on_error`; equal scores go to the smaller model.
    #[test]
    fn combine_by_hand() {
        let (a, b, c, d) = (
            model("a", 10.0),
            model("b", 20.0),
            model("c", 30.0),
            model("d", 5.0),
        );
        let models = [&a, &b, &c, &d];
        let criteria = [
            info("x", 1.0, OnError::Abstain),
            info("y", 3.0, OnError::Abstain),
        ];
        let fault = ScriptFault {
            message: "boom".into(),
            span: crate::span::Span::point(2, 3),
        };
        let verdicts = vec![
            vec![score(1.0), score(0.5)],
            vec![
                score(0.0),
                Ok(Verdict::Veto {
                    reason: "no".into(),
                }),
            ],
            vec![Ok(Verdict::Abstain { reason: "-".into() }), score(0.625)],
            vec![Err(fault), score(0.625)],
        ];
        let out = combine(&models, &criteria, verdicts, &[TieBreak::ParametersM]);
        assert_eq!(out.outcome, Outcome::Chosen);
        // a: (1·1 + 3·0.5) / 4 = 0.625; c: abstained x, so 0.625; d: x failed (abstain), 0.625.
        let order: Vec<&str> = out.ranking.iter().map(|r| r.model.as_str()).collect();
        assert_eq!(order, ["d", "a", "c"], "ties by parameters_m");
        assert!(out.ranking.iter().all(|r| (r.score - 0.625).abs() < 1e-12));
        assert_eq!(out.rejected.len(), 1);
        assert_eq!(out.rejected[0].model, "b");
        assert_eq!(out.errors.len(), 1);
        assert_eq!(out.errors[0].at, "x:2:3");
        assert_eq!(out.ranking[0].margin, Some(0.0));
        // With on_error = fail, the same fault fails the decision.
        let criteria = [
            info("x", 1.0, OnError::Fail),
            info("y", 3.0, OnError::Abstain),
        ];
        let verdicts = vec![vec![
            Err(ScriptFault {
                message: "boom".into(),
                span: crate::span::Span::point(1, 1),
            }),
            score(1.0),
        ]];
        let out = combine(&[&a], &criteria, verdicts, &[]);
        assert_eq!(out.outcome, Outcome::Failed);
        assert!(out.ranking.is_empty() && out.chosen.is_none());
    }
}
