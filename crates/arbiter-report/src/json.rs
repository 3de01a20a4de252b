//! The decision and its explanation as one JSON value, for machines (`POST /v1/explain`).

use serde_json::{Value, json};

use crate::Report;

/// `{"decision": …, "explanation": "…"}`, and `"counterfactuals"` when the report has them.
pub fn explanation(r: &Report<'_>) -> Value {
    let mut v = json!({
        "decision": r.decision,
        "explanation": crate::sentences::explain(r, false),
    });
    if let Some(found) = &r.counterfactuals {
        v["counterfactuals"] =
            json!(found
            .iter()
            .map(|c| json!({"field": c.field, "from": c.from, "to": c.to, "chosen": c.chosen}))
            .collect::<Vec<_>>());
    }
    v
}
