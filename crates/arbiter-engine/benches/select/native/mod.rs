//! The seven default criteria written in Rust, as close to `benches/policies/criteria/*.rhai` as
//! Rust allows: one file mirrors each script. This file prepares what the host prepares (the
//! catalog once, the task once per decision), holds the scripts' helpers (verdicts, Rhai's float
//! formatting, `join`), and selects: every rule over every model in parallel, combined by the
//! engine's own `combine`.

mod benchmarks;
mod data_volume;
mod domain;
mod language;
mod licence;
mod resources;
mod task_type;

use std::collections::BTreeMap;

use arbiter_engine::bundle::{OnError, ScriptFault, TieBreak};
use arbiter_engine::cost::{DeviceProfile, Precision};
use arbiter_engine::decide::{CriterionInfo, Ranked, Rejection, combine};
use arbiter_engine::host::Verdict;
use arbiter_engine::{Bundle, Model, Task};
use rayon::prelude::*;

use benchmarks::{benchmarks, relevant};
use data_volume::data_volume;
use domain::domain;
use language::language;
use licence::licence;
use resources::resources;
use task_type::task_type;

/// A model with what the host prepares once per catalog load: each benchmark's figure and its
/// min–max normalisation across the catalog (as `host::prepare_models`), and its context limit
/// with the words that name it (what the `context_limit` and `context_basis` getters return).
struct NativeModel<'a> {
    model: &'a Model,
    /// Key → (figure, normalised figure).
    benchmarks: BTreeMap<&'a str, (f64, f64)>,
    /// `Model::context_limit`.
    context: Option<(u32, String)>,
}

/// The catalog prepared for the native rules, once per catalog (like the bundle's models).
pub(super) struct NativeCatalog<'a> {
    models: Vec<NativeModel<'a>>,
    devices: &'a BTreeMap<arbiter_engine::Deployment, DeviceProfile>,
    /// Criterion names and weights, in bundle order.
    criteria: Vec<(&'a str, f64)>,
}

impl<'a> NativeCatalog<'a> {
    pub(super) fn new(bundle: &'a Bundle) -> NativeCatalog<'a> {
        assert_eq!(
            bundle.manifest.combine.tie_break,
            [TieBreak::ParametersM, TieBreak::Id],
            "the native ranking hard-codes the default tie-break"
        );
        let catalog = &bundle.catalog;
        // Normalised as the host normalises them for the scripts: the same figures in.
        let normal = arbiter_engine::host::normalised_benchmarks(catalog);
        let models = catalog
            .models
            .iter()
            .zip(normal)
            .map(|(m, normal)| NativeModel {
                model: m,
                benchmarks: m
                    .benchmarks
                    .iter()
                    .map(|(k, b)| (k.as_str(), (b.score, normal[k.as_str()])))
                    .collect(),
                context: m.context_limit(),
            })
            .collect();
        NativeCatalog {
            models,
            devices: &bundle.devices,
            criteria: bundle
                .criteria
                .iter()
                .map(|c| (c.name.as_str(), c.weight))
                .collect(),
        }
    }
}

/// What the rules need from the (normalised) task, prepared once per decision (as the host's
/// `TaskView`).
struct Prepared<'t> {
    task: &'t Task,
    t: &'static str,
    device: DeviceProfile,
    /// `task.output_tokens`: `Resources::output_tokens_for`.
    output_tokens: u32,
    /// `task.precisions`: `Resources::accepted_precisions`, most precise first.
    precisions: Vec<Precision>,
    /// The benchmarks that matter, sorted by key (the order of a Rhai map's `keys()`).
    relevant: Vec<(String, f64)>,
}

type Rule = for<'a, 't> fn(&Prepared<'t>, &NativeModel<'a>) -> Verdict;

fn rule(name: &str) -> Rule {
    match name {
        "task_type" => task_type,
        "language" => language,
        "domain" => domain,
        "resources" => resources,
        "data_volume" => data_volume,
        "benchmarks" => benchmarks,
        "licence" => licence,
        other => panic!("no native version of criterion `{other}`"),
    }
}

fn score(value: f64, reason: String) -> Verdict {
    scored(value, reason, None)
}

/// `score(value, reason).with_precision(precision)`.
fn score_at(value: f64, reason: String, precision: Precision) -> Verdict {
    scored(value, reason, Some(precision))
}

/// A score, which must lie in [0, 1] (the host refuses any other).
fn scored(value: f64, reason: String, precision: Option<Precision>) -> Verdict {
    assert!((0.0..=1.0).contains(&value), "score {value} out of range");
    Verdict::Score {
        value,
        reason,
        precision,
    }
}

fn veto(reason: String) -> Verdict {
    Verdict::Veto { reason }
}

fn abstain(reason: String) -> Verdict {
    Verdict::Abstain { reason }
}

/// A float as Rhai prints it (`FloatWrapper`'s `Display`): `.0` on whole numbers, exponent
/// notation outside [1e-13, 1e13].
fn rhai_float(x: f64) -> String {
    let abs = x.abs();
    if abs == 0.0 {
        "0.0".into()
    } else if abs > f64::from(10_000_000_000_000.0_f32) || abs < f64::from(0.000_000_000_000_1_f32)
    {
        format!("{x:e}")
    } else if abs.fract() == 0.0 {
        format!("{x}.0")
    } else {
        format!("{x}")
    }
}

/// Rhai's `x.round().to_int()`.
#[allow(clippy::cast_possible_truncation)] // rounded, and far inside i64
fn round_int(x: f64) -> i64 {
    x.round() as i64
}

/// The scripts' `join(items)`: items separated by ", ".
fn join<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for x in items {
        if !out.is_empty() {
            out += ", ";
        }
        out += x;
    }
    out
}

fn suits(m: &Model, t: &str) -> bool {
    m.tasks.iter().any(|x| x == t)
}

fn has_objective(m: &Model, o: &str) -> bool {
    m.objectives.iter().any(|x| x == o)
}

/// The native counterpart of a decision: what `decide` ranks and rejects.
pub(super) struct NativeDecision {
    pub(super) chosen: Option<String>,
    pub(super) ranking: Vec<Ranked>,
    pub(super) rejected: Vec<Rejection>,
}

/// One selection with the native rules, combined exactly as `decide` combines.
pub(super) fn native_select(catalog: &NativeCatalog, task: &Task) -> NativeDecision {
    let task = &task.clone().normalised();
    let r = &task.resources;
    let prepared = Prepared {
        task,
        t: task.task.as_str(),
        device: catalog.devices[&r.deployment],
        output_tokens: r.output_tokens_for(task.task),
        precisions: r.accepted_precisions(),
        relevant: relevant(task),
    };
    let criteria: Vec<(&str, f64, Rule)> = catalog
        .criteria
        .iter()
        .map(|&(name, weight)| {
            let w = task
                .weights
                .iter()
                .find(|(k, _)| k.as_str() == name)
                .map_or(weight, |(_, w)| w.0);
            (name, w, rule(name))
        })
        .collect();
    let verdicts: Vec<Vec<Result<Verdict, ScriptFault>>> = catalog
        .models
        .par_iter()
        .map(|m| criteria.iter().map(|c| Ok((c.2)(&prepared, m))).collect())
        .collect();
    // Combined by the engine's own pure `combine`: the bench compares the rules, not two copies
    // of the combination.
    let models: Vec<&Model> = catalog.models.iter().map(|m| m.model).collect();
    let infos: Vec<CriterionInfo<'_>> = criteria
        .iter()
        .map(|&(name, weight, _)| CriterionInfo {
            name,
            weight,
            on_error: OnError::Fail,
            script: name,
        })
        .collect();
    let combined = combine(
        &models,
        &infos,
        verdicts,
        &[TieBreak::ParametersM, TieBreak::Id],
    );
    NativeDecision {
        chosen: combined.chosen,
        ranking: combined.ranking,
        rejected: combined.rejected,
    }
}
