//! The bundle manifest, `bundle.toml`: the criteria with their weights and `on_error`, how
//! verdicts combine, the limits of each script call, device profiles and redaction. Parsed and
//! checked by [`crate::bundle::parse_manifest`].

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::cost::DeviceProfile;
use crate::task::{CriterionName, Deployment};

/// The manifest, `bundle.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Model Arbiter bundle manifest")]
pub struct Manifest {
    /// The bundle's name.
    #[schemars(length(min = 1))]
    pub name: String,
    /// The bundle's version (free form; semantic versioning recommended).
    #[schemars(length(min = 1))]
    pub version: String,
    /// What this bundle is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The catalog file, relative to the bundle folder.
    #[serde(default = "default_catalog")]
    pub catalog: String,
    /// The folder of golden cases, relative to the bundle folder.
    #[serde(default = "default_tests")]
    pub tests: String,
    /// Whether tasks may override criterion weights (`weights:` in a task).
    #[serde(default)]
    pub allow_task_weights: bool,
    /// How verdicts are combined.
    #[serde(default)]
    pub combine: Combine,
    /// Limits on each criterion call.
    #[serde(default)]
    pub limits: Limits,
    /// The criteria, in the order they are reported: 1 to 100.
    #[serde(rename = "criterion")]
    #[schemars(length(min = 1, max = crate::ceilings::CRITERIA))]
    pub criteria: Vec<CriterionSpec>,
    /// Device profiles per deployment class; classes not listed keep their defaults.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub devices: BTreeMap<Deployment, DeviceProfile>,
    /// Task fields masked in decision logs (JSON pointers, e.g. `/name`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redact: Vec<String>,
}

fn default_catalog() -> String {
    "catalog.yaml".into()
}

fn default_tests() -> String {
    "tests".into()
}

/// How verdicts are combined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Combine {
    /// The combination method.
    #[serde(default)]
    pub method: CombineMethod,
    /// Keys that order models with equal scores, in turn; `id` is always the last resort.
    #[serde(default = "default_tie_break")]
    pub tie_break: Vec<TieBreak>,
}

impl Default for Combine {
    fn default() -> Self {
        Self {
            method: CombineMethod::default(),
            tie_break: default_tie_break(),
        }
    }
}

fn default_tie_break() -> Vec<TieBreak> {
    vec![TieBreak::ParametersM, TieBreak::Id]
}

/// Combination methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(transform = crate::plain_enum::plain_enum)]
pub enum CombineMethod {
    /// Vetoes first; then Σ wᵢ·sᵢ / Σ wᵢ over the criteria that answered.
    #[default]
    WeightedSum,
}

/// Tie-break keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(transform = crate::plain_enum::plain_enum)]
pub enum TieBreak {
    /// The smaller model first.
    ParametersM,
    /// The newer model first (by `released`).
    Released,
    /// Alphabetical by id.
    Id,
}

/// Limits on each criterion call. A script past a limit fails that call; it never hangs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Rhai operations per call. At most 10 million (about a second of a script's work).
    #[serde(default = "defaults::max_operations")]
    #[schemars(range(min = 1, max = 10_000_000))]
    pub max_operations: u64,
    /// CPU time per call (of the thread running it), in milliseconds: a busy machine does not
    /// turn a verdict into a timeout. At most 1,000: a call that needs more than a second
    /// cannot serve a decision, which calls every criterion on every model.
    #[serde(default = "defaults::timeout_ms")]
    #[schemars(range(min = 1, max = 1000))]
    pub timeout_ms: u64,
    /// Nested function calls. At most 48: deeper recursion could overflow the native stack of
    /// the evaluation threads before Rhai's own limit stops it.
    #[serde(default = "defaults::max_call_levels")]
    #[schemars(range(min = 1, max = 48))]
    pub max_call_levels: usize,
    /// Nesting depth of expressions. At most 256, for the same reason.
    #[serde(default = "defaults::max_expr_depth")]
    #[schemars(range(min = 1, max = 256))]
    pub max_expr_depth: usize,
    /// Length of any string, in bytes. At most 1 MiB.
    #[serde(default = "defaults::max_string_size")]
    #[schemars(range(min = 1, max = 1_048_576))]
    pub max_string_size: usize,
    /// Elements of any array. At most 100,000.
    #[serde(default = "defaults::max_array_size")]
    #[schemars(range(min = 1, max = 100_000))]
    pub max_array_size: usize,
    /// Entries of any object map. At most 100,000.
    #[serde(default = "defaults::max_map_size")]
    #[schemars(range(min = 1, max = 100_000))]
    pub max_map_size: usize,
}

mod defaults {
    pub fn max_operations() -> u64 {
        100_000
    }
    pub fn timeout_ms() -> u64 {
        20
    }
    pub fn max_call_levels() -> usize {
        32
    }
    pub fn max_expr_depth() -> usize {
        64
    }
    pub fn max_string_size() -> usize {
        16_384
    }
    pub fn max_array_size() -> usize {
        10_000
    }
    pub fn max_map_size() -> usize {
        1_000
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_operations: defaults::max_operations(),
            timeout_ms: defaults::timeout_ms(),
            max_call_levels: defaults::max_call_levels(),
            max_expr_depth: defaults::max_expr_depth(),
            max_string_size: defaults::max_string_size(),
            max_array_size: defaults::max_array_size(),
            max_map_size: defaults::max_map_size(),
        }
    }
}

/// One criterion of the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CriterionSpec {
    /// The criterion's name, unique in the bundle.
    pub name: CriterionName,
    /// The script, relative to the bundle folder.
    #[schemars(length(min = 1))]
    pub script: String,
    /// Its weight in the combination, 0 to 1,000,000 (as a task's weights).
    #[schemars(range(min = 0.0, max = 1_000_000.0))]
    pub weight: f64,
    /// What a run-time error of this criterion does.
    #[serde(default)]
    pub on_error: OnError,
    /// What the criterion judges, for people reading the manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// What a criterion's run-time error does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(transform = crate::plain_enum::plain_enum)]
pub enum OnError {
    /// The decision fails.
    #[default]
    Fail,
    /// The criterion is dropped for that model (weights renormalised; recorded).
    Abstain,
    /// The model is rejected.
    Veto,
}

impl OnError {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            OnError::Fail => "fail",
            OnError::Abstain => "abstain",
            OnError::Veto => "veto",
        }
    }
}
