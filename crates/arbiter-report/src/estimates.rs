//! What one call of each ranked model costs, as the cost model prices it: the latency and
//! memory a decision's scatter plots. A decision records each model's precision but not these
//! figures, so they are priced again here with the engine's public cost functions, from the
//! bundle that decided (its catalog and device profiles) and the decision's normalised task —
//! the same call the `resources` criterion's `estimate(task, model, precision)` prices.

use arbiter_engine::cost::{self, Precision};
use arbiter_engine::{Bundle, Decision};

/// One call of one ranked model, priced.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// The model id.
    pub model: String,
    /// The precision it was priced at: the one the decision judged it at, else the task's most
    /// precise accepted precision.
    pub precision: Precision,
    /// Whether [`Estimate::precision`] is the one the decision recorded for the model.
    pub recorded_precision: bool,
    /// The whole call: prefill plus every generated token, in ms.
    pub latency_ms: f64,
    /// Memory at the end of the call, in MB (10⁶ bytes).
    pub memory_mb: f64,
}

/// Every ranked model of `decision` priced with `bundle`'s catalog and device profile for the
/// task's deployment, in ranking order. A model the catalog no longer holds (a bundle other than
/// the one that decided) is left out.
pub fn estimates(bundle: &Bundle, decision: &Decision) -> Vec<Estimate> {
    let task = &decision.task;
    let r = &task.resources;
    // A loaded bundle holds a profile for every deployment class (its own or the default).
    let Some(device) = bundle.devices.get(&r.deployment).copied() else {
        return Vec::new();
    };
    let fallback = r
        .accepted_precisions()
        .first()
        .copied()
        .unwrap_or_else(|| Precision::default_for(r.deployment));
    let out_tokens = r.output_tokens_for(task.task);
    decision
        .ranking
        .iter()
        .filter_map(|ranked| {
            let model = bundle.catalog.get(&ranked.model)?;
            let precision = ranked.precision.unwrap_or(fallback);
            let call = cost::estimate_call(
                model,
                &device,
                precision,
                r.sequence_length,
                out_tokens,
                r.batch_size,
            );
            Some(Estimate {
                model: ranked.model.clone(),
                precision,
                recorded_precision: ranked.precision.is_some(),
                latency_ms: call.latency_ms,
                memory_mb: call.memory_mb,
            })
        })
        .collect()
}
