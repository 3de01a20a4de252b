//! The combination step, pure: verdicts, weights and a tie-break in, a ranking out.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::{CriterionResult, Outcome, Ranked, Rejection, ScriptError, Status};
use crate::host::Verdict;
use crate::manifest::{OnError, TieBreak};
use crate::script::ScriptFault;

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
        // Weights are scaled by the power of two nearest below the largest, which is exact:
        // the result is bit for bit that of Σ wᵢ·sᵢ / Σ wᵢ wherever that neither overflows
        // (weights near 1e308 summed to infinity) nor underflows (weights near 5e-324 whose
        // products round to zero), and right where it would.
        let scale = weight_scale(
            results
                .values()
                .filter(|r| r.status == Status::Ok)
                .map(|r| r.weight),
        );
        let total: f64 = results
            .values()
            .filter(|r| r.status == Status::Ok)
            .map(|r| r.weight / scale)
            .sum();
        let mut score = 0.0;
        for r in results.values_mut() {
            if let (Status::Ok, Some(s)) = (r.status, r.score) {
                r.contribution = if total > 0.0 {
                    (r.weight / scale) * s / total
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

/// The power of two at or below the largest positive finite weight (1.0 if there is none):
/// dividing by it is exact, and brings the largest weight into [1, 2).
fn weight_scale(weights: impl Iterator<Item = f64>) -> f64 {
    let max = weights
        .filter(|w| w.is_finite() && *w > 0.0)
        .fold(0.0_f64, f64::max);
    if max == 0.0 {
        return 1.0;
    }
    let bits = max.to_bits();
    if max.is_normal() {
        // The exponent alone: the mantissa's bits cleared.
        f64::from_bits(bits & 0xfff0_0000_0000_0000)
    } else {
        // A subnormal: its highest set bit.
        f64::from_bits(1 << (63 - bits.leading_zeros()))
    }
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
