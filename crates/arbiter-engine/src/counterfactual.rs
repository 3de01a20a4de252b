//! Counterfactuals: for each task field, the nearest value that would change the choice, and
//! what would be chosen then ("with 445 MB, google-bert/bert-base-uncased").
//!
//! Budgets only matter where they cross a model's estimate, so their candidate values are the
//! estimates themselves (just above and just below); other fields try a short list of plausible
//! values. Candidates are tried nearest first and each is a full decision with the same bundle
//! snapshot, so the answer is exactly what the rules would do — not an approximation of them.

use crate::bundle::Bundle;
use crate::cost;
use crate::decide::decide;
use crate::task::{Deployment, Task};

/// A change of one task field that changes the choice.
#[derive(Debug, Clone, PartialEq)]
pub struct Counterfactual {
    /// The field, as a JSON pointer into the task (`/resources/max_memory_mb`).
    pub field: String,
    /// Its value now.
    pub from: String,
    /// The nearest value found that changes the choice.
    pub to: String,
    /// What would be chosen then (`None`: nothing).
    pub chosen: Option<String>,
}

/// A field and its candidate values, nearest first.
struct Field {
    pointer: &'static str,
    from: String,
    candidates: Vec<(String, Task)>,
}

/// Candidate budgets: each model's estimate, nudged to either side of it, nearest first.
fn budget_candidates(current: f64, estimates: impl Iterator<Item = f64>, nudge: f64) -> Vec<f64> {
    let mut v: Vec<f64> = estimates
        .flat_map(|e| [e + nudge, e - nudge])
        .filter(|x| *x > 0.0 && (x - current).abs() > nudge / 2.0)
        .collect();
    v.sort_by(|a, b| (a - current).abs().total_cmp(&(b - current).abs()));
    v.dedup();
    v
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn fields(bundle: &Bundle, task: &Task) -> Vec<Field> {
    let r = &task.resources;
    let device = bundle
        .devices
        .get(&r.deployment)
        .copied()
        .unwrap_or_else(|| cost::DeviceProfile::default_for(r.deployment));
    // Budgets are tried at each model's estimate at the task's most precise accepted
    // precision: where a full-precision veto turns into a fit.
    let precision = r.accepted_precisions()[0];
    let out_tokens = r.output_tokens_for(task.task);
    let models = &bundle.catalog.models;
    let mut out = Vec::new();
    let with = |f: &dyn Fn(&mut Task)| {
        let mut t = task.clone();
        f(&mut t);
        t
    };
    if let Some(mem) = r.max_memory_mb {
        let values = budget_candidates(
            mem,
            models.iter().map(|m| {
                cost::estimate_memory_mb(m, precision, r.sequence_length, out_tokens, r.batch_size)
            }),
            0.5,
        );
        out.push(Field {
            pointer: "/resources/max_memory_mb",
            from: format!("{mem}"),
            candidates: values
                .into_iter()
                .map(|v| {
                    (
                        format!("{}", round(v)),
                        with(&|t| t.resources.max_memory_mb = Some(round(v))),
                    )
                })
                .collect(),
        });
    }
    if let Some(ms) = r.max_latency_ms {
        let values = budget_candidates(
            ms,
            models.iter().map(|m| {
                cost::estimate_call(
                    m,
                    &device,
                    precision,
                    r.sequence_length,
                    out_tokens,
                    r.batch_size,
                )
                .latency_ms
            }),
            0.05,
        );
        out.push(Field {
            pointer: "/resources/max_latency_ms",
            from: format!("{ms}"),
            candidates: values
                .into_iter()
                .map(|v| {
                    (
                        format!("{}", round(v)),
                        with(&|t| t.resources.max_latency_ms = Some(round(v))),
                    )
                })
                .collect(),
        });
    }
    if let Some(p) = r.max_parameters_m {
        let values = budget_candidates(p, models.iter().map(|m| m.parameters_m), 0.05);
        out.push(Field {
            pointer: "/resources/max_parameters_m",
            from: format!("{p}"),
            candidates: values
                .into_iter()
                .map(|v| {
                    (
                        format!("{}", round(v)),
                        with(&|t| t.resources.max_parameters_m = Some(round(v))),
                    )
                })
                .collect(),
        });
    }
    let n = task.data.labeled_examples;
    let mut sizes: Vec<u64> = [2, 5, 10, 100]
        .iter()
        .flat_map(|k| [n.saturating_mul(*k), n / k])
        .filter(|&m| m != n && (n > 0 || m > 0))
        .collect();
    if n == 0 {
        sizes.extend([1_000, 10_000, 100_000, 1_000_000]);
    }
    sizes.sort_by(|a, b| {
        let d = |m: u64| ((m.max(1) as f64) / (n.max(1) as f64)).ln().abs();
        d(*a).total_cmp(&d(*b))
    });
    sizes.dedup();
    out.push(Field {
        pointer: "/data/labeled_examples",
        from: n.to_string(),
        candidates: sizes
            .into_iter()
            .map(|m| (m.to_string(), with(&|t| t.data.labeled_examples = m)))
            .collect(),
    });
    out.push(Field {
        pointer: "/resources/deployment",
        from: r.deployment.to_string(),
        candidates: Deployment::ALL
            .iter()
            .filter(|d| **d != r.deployment)
            .map(|d| (d.to_string(), with(&|t| t.resources.deployment = *d)))
            .collect(),
    });
    let mut lengths: Vec<u32> = [32, 64, 128, 256, 384, 512]
        .into_iter()
        .filter(|l| *l != r.sequence_length)
        .collect();
    lengths.sort_by(|a, b| {
        let d = |l: u32| (f64::from(l) / f64::from(r.sequence_length)).ln().abs();
        d(*a).total_cmp(&d(*b))
    });
    out.push(Field {
        pointer: "/resources/sequence_length",
        from: r.sequence_length.to_string(),
        candidates: lengths
            .into_iter()
            .map(|l| (l.to_string(), with(&|t| t.resources.sequence_length = l)))
            .collect(),
    });
    out
}

/// For each field, the nearest tried value in each direction (up and down, or any other value
/// for a class) that changes the chosen model, if any does. `limit` bounds the decisions made
/// per field.
pub fn counterfactuals(bundle: &Bundle, task: &Task, limit: usize) -> Vec<Counterfactual> {
    let Ok(base) = decide(bundle, task.clone()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for f in fields(bundle, task) {
        let current: Option<f64> = f.from.parse().ok();
        let mut found_up = false;
        let mut found_down = false;
        for (value, t) in f.candidates.into_iter().take(limit) {
            // Numeric fields are searched in both directions; a class field (deployment) once.
            let up = match (current, value.parse::<f64>()) {
                (Some(c), Ok(v)) => v > c,
                _ => true,
            };
            if (up && found_up) || (!up && found_down) {
                continue;
            }
            let Ok(d) = decide(bundle, t) else { continue };
            if d.chosen != base.chosen {
                out.push(Counterfactual {
                    field: f.pointer.to_string(),
                    from: f.from.clone(),
                    to: value,
                    chosen: d.chosen,
                });
                if up {
                    found_up = true;
                } else {
                    found_down = true;
                }
                if current.is_none() || (found_up && found_down) {
                    break;
                }
            }
        }
    }
    out
}
