//! Golden cases: a task and what the bundle must decide for it (`tests/*.yaml` inside a bundle).
//!
//! They are a bundle's own regression tests: `arbiter test` runs them, `cargo test` runs those of
//! the shipped bundles, and a reload that breaks them is never activated.

use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::bundle::Bundle;
use crate::catalog::Family;
use crate::cost;
use crate::decide::{self, Decision, Outcome};
use crate::load::{self, LoadError, Syntax};
use crate::schema::SchemaKind;
use crate::task::Task;

/// A golden case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Model Arbiter golden case")]
pub struct Case {
    /// What the case pins down, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The task.
    pub task: Task,
    /// What the bundle must decide.
    pub expect: Expect,
}

/// Expectations of a golden case. Every one given must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The outcome (`chosen`, `all-vetoed`, `failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// The chosen model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chosen: Option<String>,
    /// The chosen model is one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chosen_one_of: Vec<String>,
    /// How many models `in_top` and `not_in_top` look at (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub top: Option<usize>,
    /// Models that must be among the top `top`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub in_top: Vec<String>,
    /// Models that must not be among the top `top`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_in_top: Vec<String>,
    /// Models that must be vetoed, optionally by a given criterion.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vetoed: Vec<VetoExpect>,
    /// Models that must not be vetoed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_vetoed: Vec<String>,
    /// Every model of a family must be vetoed by a criterion.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub every_vetoed: Vec<FamilyVeto>,
    /// Pairs: `model` must rank above `above` (both ranked).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranked_above: Vec<Above>,
    /// Every ranked model fits the task's budgets by the cost model (memory and the whole
    /// call's latency at the precision the decision recorded for it — else the task's most
    /// precise accepted one — on the task's device, and parameters).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub within_budget: bool,
    /// What the chosen model must be, by its catalog facts rather than its id (so a case keeps
    /// meaning when the catalog grows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chosen_is: Option<ChosenIs>,
    /// Reasons that must appear: a criterion's reason (score or veto) for a model must contain
    /// a text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<ReasonExpect>,
}

/// Facts the chosen model must have. Every one given must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChosenIs {
    /// Its family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<Family>,
    /// Whether it is instruction-tuned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instruction_tuned: Option<bool>,
    /// A pipeline tag the catalog lists it for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suits: Option<String>,
    /// It was pre-trained on every language of the task (by its catalog entry).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub covers_task_languages: bool,
}

/// A reason that must appear.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonExpect {
    /// The model.
    pub model: String,
    /// The criterion.
    pub criterion: String,
    /// Text its reason must contain.
    pub contains: String,
}

/// A model that must be vetoed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VetoExpect {
    /// The model.
    pub model: String,
    /// The criterion that must veto it (any, if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// Every model of a family vetoed by a criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FamilyVeto {
    /// The family.
    pub family: Family,
    /// The criterion.
    pub by: String,
}

/// An ordering between two models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Above {
    /// The model that must rank higher.
    pub model: String,
    /// The model that must rank lower.
    pub above: String,
}

/// The result of one case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseReport {
    /// The case file, relative to the bundle.
    pub name: String,
    /// What did not hold; empty when the case passed.
    pub failures: Vec<String>,
    /// The model chosen, if any.
    pub chosen: Option<String>,
}

impl CaseReport {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Parses a case.
pub fn case_from_str(text: &str, syntax: Syntax, origin: &str) -> Result<Case, LoadError> {
    load::document_from_str(text, syntax, origin, SchemaKind::Case, |c: &Case| {
        load::check_task(&c.task)
    })
}

/// Runs every golden case of a bundle, in file order.
pub fn run_cases(bundle: &Bundle) -> Vec<CaseReport> {
    let dir = format!("{}/", bundle.manifest.tests.trim_end_matches('/'));
    bundle
        .files
        .0
        .iter()
        .filter(|(path, _)| path.starts_with(&dir))
        .filter(|(path, _)| {
            matches!(
                Path::new(path).extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            )
        })
        .map(|(path, bytes)| {
            let origin = format!("{}/{path}", bundle.origin);
            let text = String::from_utf8_lossy(bytes);
            match case_from_str(&text, Syntax::for_path(Path::new(path)), &origin) {
                Ok(case) => run_case(bundle, path, &case),
                Err(e) => CaseReport {
                    name: path.clone(),
                    failures: vec![e.to_string()],
                    chosen: None,
                },
            }
        })
        .collect()
}

/// Runs one case.
pub fn run_case(bundle: &Bundle, name: &str, case: &Case) -> CaseReport {
    let decision = match decide::decide(bundle, case.task.clone()) {
        Ok(d) => d,
        Err(e) => {
            return CaseReport {
                name: name.to_string(),
                failures: vec![e.to_string()],
                chosen: None,
            };
        }
    };
    CaseReport {
        name: name.to_string(),
        failures: check(bundle, &case.expect, &decision),
        chosen: decision.chosen.clone(),
    }
}

/// Every expectation that does not hold for a decision, as a sentence.
pub fn check(bundle: &Bundle, e: &Expect, d: &Decision) -> Vec<String> {
    let mut out = Vec::new();
    let chosen = d.chosen.as_deref().unwrap_or("(none)");
    let rank_of = |id: &str| d.ranking.iter().find(|r| r.model == id).map(|r| r.rank);
    let vetoes_of = |id: &str| {
        d.rejected
            .iter()
            .filter(|r| r.model == id)
            .collect::<Vec<_>>()
    };
    for err in &d.errors {
        out.push(format!(
            "script error: {} on `{}` at {}: {}",
            err.criterion, err.model, err.at, err.message
        ));
    }
    if let Some(o) = e.outcome
        && o != d.outcome
    {
        out.push(format!("outcome is {:?}, expected {o:?}", d.outcome));
    }
    if let Some(want) = &e.chosen
        && Some(want.as_str()) != d.chosen.as_deref()
    {
        out.push(format!(
            "chose `{chosen}`, expected `{want}`{}",
            rank_note(rank_of(want), &vetoes_of(want))
        ));
    }
    if !e.chosen_one_of.is_empty()
        && !e
            .chosen_one_of
            .iter()
            .any(|m| Some(m.as_str()) == d.chosen.as_deref())
    {
        out.push(format!(
            "chose `{chosen}`, expected one of {:?}",
            e.chosen_one_of
        ));
    }
    let top = e.top.unwrap_or(3);
    for m in &e.in_top {
        if rank_of(m).is_none_or(|r| r > top) {
            out.push(format!(
                "`{m}` is not in the top {top}{}",
                rank_note(rank_of(m), &vetoes_of(m))
            ));
        }
    }
    for m in &e.not_in_top {
        if rank_of(m).is_some_and(|r| r <= top) {
            out.push(format!(
                "`{m}` is in the top {top} (rank {})",
                rank_of(m).unwrap_or(0)
            ));
        }
    }
    for v in &e.vetoed {
        let vetoes = vetoes_of(&v.model);
        match &v.by {
            None if vetoes.is_empty() => out.push(format!("`{}` is not vetoed", v.model)),
            Some(by) if !vetoes.iter().any(|r| &r.criterion == by) => {
                out.push(format!("`{}` is not vetoed by {by}", v.model));
            }
            _ => {}
        }
    }
    for m in &e.not_vetoed {
        for r in vetoes_of(m) {
            out.push(format!("`{m}` is vetoed by {}: {}", r.criterion, r.reason));
        }
    }
    for fv in &e.every_vetoed {
        for m in bundle
            .catalog
            .models
            .iter()
            .filter(|m| m.family == fv.family)
        {
            if !vetoes_of(&m.id).iter().any(|r| r.criterion == fv.by) {
                out.push(format!(
                    "`{}` ({}) is not vetoed by {}",
                    m.id, fv.family, fv.by
                ));
            }
        }
    }
    for a in &e.ranked_above {
        match (rank_of(&a.model), rank_of(&a.above)) {
            (Some(x), Some(y)) if x < y => {}
            (x, y) => out.push(format!(
                "`{}` (rank {}) should rank above `{}` (rank {})",
                a.model,
                x.map_or("vetoed".into(), |r| r.to_string()),
                a.above,
                y.map_or("vetoed".into(), |r| r.to_string())
            )),
        }
    }
    if e.within_budget {
        out.extend(budget_violations(bundle, d));
    }
    if let Some(is) = &e.chosen_is {
        out.extend(chosen_is_violations(bundle, is, d));
    }
    for r in &e.reasons {
        let ranked = d
            .ranking
            .iter()
            .find(|x| x.model == r.model)
            .and_then(|x| x.criteria.get(&r.criterion))
            .map(|c| c.reasons.clone());
        let vetoed: Vec<String> = d
            .rejected
            .iter()
            .filter(|x| x.model == r.model && x.criterion == r.criterion)
            .map(|x| x.reason.clone())
            .collect();
        let all: Vec<String> = ranked
            .unwrap_or_default()
            .into_iter()
            .chain(vetoed)
            .collect();
        if !all.iter().any(|x| x.contains(&r.contains)) {
            out.push(format!(
                "no {} reason for `{}` contains {:?} (reasons: {all:?})",
                r.criterion, r.model, r.contains
            ));
        }
    }
    out
}

fn rank_note(rank: Option<usize>, vetoes: &[&crate::decide::Rejection]) -> String {
    match (rank, vetoes.first()) {
        (Some(r), _) => format!(" (it ranks {r})"),
        (None, Some(v)) => format!(" (it was vetoed by {}: {})", v.criterion, v.reason),
        (None, None) => " (it is not in the catalog)".into(),
    }
}

fn chosen_is_violations(bundle: &Bundle, is: &ChosenIs, d: &Decision) -> Vec<String> {
    let mut out = Vec::new();
    let Some(m) = d.chosen.as_deref().and_then(|id| bundle.catalog.get(id)) else {
        return vec!["no model was chosen".into()];
    };
    if let Some(f) = is.family
        && m.family != f
    {
        out.push(format!("chose `{}`, a {}, expected a {f}", m.id, m.family));
    }
    if let Some(t) = is.instruction_tuned
        && m.instruction_tuned != t
    {
        out.push(format!(
            "chose `{}`, which is {}instruction-tuned",
            m.id,
            if m.instruction_tuned { "" } else { "not " }
        ));
    }
    if let Some(t) = &is.suits
        && !m.tasks.iter().any(|x| x == t)
    {
        out.push(format!(
            "chose `{}`, which the catalog does not list for {t}",
            m.id
        ));
    }
    if is.covers_task_languages {
        let missing: Vec<&str> = d
            .task
            .languages
            .iter()
            .filter(|l| !m.covers_language(l))
            .map(|l| l.as_str())
            .collect();
        if !missing.is_empty() {
            out.push(format!(
                "chose `{}`, which does not cover {}",
                m.id,
                missing.join(", ")
            ));
        }
    }
    out
}

/// Ranked models whose estimates exceed the task's budgets, by the cost model itself: memory and
/// the whole call at the precision the decision recorded for the model (else the task's most
/// precise accepted one).
fn budget_violations(bundle: &Bundle, d: &Decision) -> Vec<String> {
    let r = &d.task.resources;
    let device = bundle
        .devices
        .get(&r.deployment)
        .copied()
        .unwrap_or_else(|| cost::DeviceProfile::default_for(r.deployment));
    let fallback = r.accepted_precisions()[0];
    let mut out = Vec::new();
    for ranked in &d.ranking {
        let Some(m) = bundle.catalog.get(&ranked.model) else {
            continue;
        };
        let call = cost::estimate_call(
            m,
            &device,
            ranked.precision.unwrap_or(fallback),
            r.sequence_length,
            r.output_tokens_for(d.task.task),
            r.batch_size,
        );
        let (mem, lat) = (call.memory_mb, call.latency_ms);
        if r.max_memory_mb.is_some_and(|max| mem > max) || mem > device.memory_mb {
            out.push(format!(
                "`{}` is ranked but needs {mem:.0} MB at {}, over the {} MB budget or the device's {} MB",
                m.id,
                call.precision,
                r.max_memory_mb.unwrap_or_default(),
                device.memory_mb
            ));
        }
        if r.max_latency_ms.is_some_and(|max| lat > max) {
            out.push(format!(
                "`{}` is ranked but takes {lat:.0} ms, over the {} ms budget",
                m.id,
                r.max_latency_ms.unwrap_or_default()
            ));
        }
        if r.max_parameters_m.is_some_and(|max| m.parameters_m > max) {
            out.push(format!(
                "`{}` is ranked but has {} M parameters, over the {} M limit",
                m.id,
                m.parameters_m,
                r.max_parameters_m.unwrap_or_default()
            ));
        }
        if let Some((limit, what)) = m.context_limit() {
            let need = r.sequence_length + r.output_tokens_for(d.task.task);
            if need > limit {
                out.push(format!(
                    "`{}` is ranked but {need} tokens exceed {what}",
                    m.id
                ));
            }
        }
    }
    out
}
