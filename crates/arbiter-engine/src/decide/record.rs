//! The decision record: what a decision says, field by field, as it is logged and served.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::cost::Precision;
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
    /// Present when the record was limited to the first models of the ranking: what was left
    /// out, counted. The rest of the record is exactly the full decision's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limited: Option<Limited>,
}

/// What a top-limited record left out ([`Decision::limited_to`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Limited {
    /// How many ranked models the record keeps, best first.
    pub top: usize,
    /// How many models the full decision ranked.
    pub ranked: usize,
    /// How many vetoes the full decision recorded (the record lists none; they are counted by
    /// criterion below).
    pub vetoes: usize,
    /// The full decision's vetoes by criterion.
    pub vetoes_by_criterion: BTreeMap<String, usize>,
}

impl Decision {
    /// The decision as a top-limited record: the first `top` ranked models in full, the vetoes
    /// counted by criterion, and [`Decision::limited`] saying so. A decision already limited, or
    /// with no more than `top` ranked models and no vetoes, is returned as it is. Replay limits
    /// the decision it makes again the same way before comparing, so a limited record replays.
    pub fn limited_to(&self, top: usize) -> Decision {
        if self.limited.is_some() || (self.ranking.len() <= top && self.rejected.is_empty()) {
            return self.clone();
        }
        let mut vetoes_by_criterion = BTreeMap::new();
        for r in &self.rejected {
            *vetoes_by_criterion.entry(r.criterion.clone()).or_insert(0) += 1;
        }
        Decision {
            decision_id: self.decision_id.clone(),
            created_at: self.created_at.clone(),
            engine_version: self.engine_version.clone(),
            bundle: self.bundle.clone(),
            catalog_hash: self.catalog_hash.clone(),
            task_hash: self.task_hash.clone(),
            task: self.task.clone(),
            outcome: self.outcome,
            chosen: self.chosen.clone(),
            criteria: self.criteria.clone(),
            ranking: self.ranking[..top.min(self.ranking.len())].to_vec(),
            rejected: Vec::new(),
            errors: self.errors.clone(),
            limited: Some(Limited {
                top,
                ranked: self.ranking.len(),
                vetoes: self.rejected.len(),
                vetoes_by_criterion,
            }),
        }
    }

    /// The fields in which two decisions differ, apart from the envelope (`decision_id`,
    /// `created_at`) that every run stamps anew: empty when a replay reproduced a decision.
    /// The bundle's `signed_by` is envelope too: it says which key vouched for the content when
    /// the decision was made (a replay from the archive is checked by no key), while the content
    /// itself is compared by its hash.
    pub fn differences(&self, other: &Decision) -> Vec<&'static str> {
        let mut out = Vec::new();
        macro_rules! cmp {
            ($($field:ident),*) => {
                $(if self.$field != other.$field {
                    out.push(stringify!($field));
                })*
            };
        }
        cmp!(engine_version);
        let unsigned = |b: &BundleRef| BundleRef {
            signed_by: None,
            ..b.clone()
        };
        if unsigned(&self.bundle) != unsigned(&other.bundle) {
            out.push("bundle");
        }
        cmp!(
            catalog_hash,
            task_hash,
            task,
            outcome,
            chosen,
            criteria,
            ranking,
            rejected,
            errors,
            limited
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
    /// The id of the trusted key whose signature the bundle passed, when the decision was made
    /// with trusted keys (`--trusted-keys`). Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
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
