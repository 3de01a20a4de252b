//! Benchmarks from a model card's `model-index`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Notice, NoticeKind};
use crate::catalog::BenchmarkResult;
use crate::task::BenchmarkKey;

/// A benchmark key from a `model-index` dataset: `squad` → `squad-v1.1`, `squad_v2` →
/// `squad-v2.0`, `glue` with config `mnli` → `mnli`, `wikitext` with a `wikitext-103…` config
/// → `wikitext-103`; otherwise the type (or name), lower case, in `[a-z0-9][a-z0-9.-]*`.
pub fn benchmark_key(dataset_type: &str, config: Option<&str>) -> Option<BenchmarkKey> {
    let norm = |s: &str| -> String {
        let s = s.rsplit('/').next().unwrap_or(s).to_ascii_lowercase();
        let mut out = String::new();
        for c in s.chars() {
            let c = if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            };
            if !(c == '-' && (out.is_empty() || out.ends_with('-'))) {
                out.push(c);
            }
        }
        out.trim_end_matches('-').to_string()
    };
    let t = norm(dataset_type);
    let config = config.map(norm).filter(|c| !c.is_empty());
    let key = match (t.as_str(), config.as_deref()) {
        ("squad", _) => "squad-v1.1".to_string(),
        ("squad-v2", _) => "squad-v2.0".to_string(),
        ("glue" | "super-glue", Some(c)) => c.to_string(),
        ("wikitext", Some(c)) if c.starts_with("wikitext-103") => "wikitext-103".to_string(),
        ("wikitext", Some(c)) if c.starts_with("wikitext-2") => "wikitext-2".to_string(),
        _ => t,
    };
    let key = key.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
    (!key.is_empty()).then(|| BenchmarkKey(key.to_string()))
}

/// Metrics preferred as a benchmark's score when a result reports several.
const PREFERRED_METRICS: &[&str] = &[
    "f1",
    "accuracy",
    "matthews_correlation",
    "spearmanr",
    "pearsonr",
];

/// Metrics where a lower figure is better.
fn lower_is_better(metric: &str) -> bool {
    let m = metric.to_ascii_lowercase();
    ["perplexity", "wer", "cer", "loss", "ter"]
        .iter()
        .any(|x| m == *x || m.ends_with(&format!("_{x}")) || m.starts_with(&format!("{x}_")))
}

fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64().filter(|x| x.is_finite()),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
        _ => None,
    }
}

/// Benchmarks from a card's `model-index`: one per dataset, its score the preferred metric
/// (`f1`, `accuracy`, …, else the first), the other metrics in `detail`.
pub(super) fn benchmarks(
    card: &Map<String, Value>,
    source: &str,
    notices: &mut Vec<Notice>,
) -> BTreeMap<BenchmarkKey, BenchmarkResult> {
    let mut out = BTreeMap::new();
    let Some(index) = card.get("model-index").and_then(Value::as_array) else {
        return out;
    };
    for (i, entry) in index.iter().enumerate() {
        let Some(results) = entry.get("results").and_then(Value::as_array) else {
            continue;
        };
        for (j, result) in results.iter().enumerate() {
            let at = format!("model-index/{i}/results/{j}");
            let dataset = result.get("dataset");
            let text = |k: &str| dataset.and_then(|d| d.get(k)).and_then(Value::as_str);
            let Some(key) = text("type")
                .or_else(|| text("name"))
                .and_then(|t| benchmark_key(t, text("config")))
            else {
                notices.push(Notice::new(
                    "benchmarks",
                    NoticeKind::Dropped,
                    format!("{at}: no dataset type or name to key it by"),
                ));
                continue;
            };
            let metrics: Vec<(String, f64, Option<bool>)> = result
                .get("metrics")
                .and_then(Value::as_array)
                .map(|ms| {
                    ms.iter()
                        .filter_map(|m| {
                            let kind = m
                                .get("type")
                                .or_else(|| m.get("name"))
                                .and_then(Value::as_str)?;
                            let value = number(m.get("value"))?;
                            Some((
                                kind.to_string(),
                                value,
                                m.get("verified").and_then(Value::as_bool),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let chosen = PREFERRED_METRICS
                .iter()
                .find_map(|p| metrics.iter().position(|(k, ..)| k.eq_ignore_ascii_case(p)))
                .or_else(|| (!metrics.is_empty()).then_some(0));
            let Some(chosen) = chosen else {
                notices.push(Notice::new(
                    "benchmarks",
                    NoticeKind::Dropped,
                    format!("{at} ({}): no metric with a numeric value", key.as_str()),
                ));
                continue;
            };
            if out.contains_key(&key) {
                notices.push(Notice::new(
                    "benchmarks",
                    NoticeKind::Dropped,
                    format!(
                        "{at}: a second result for `{}`; the first one is kept",
                        key.as_str()
                    ),
                ));
                continue;
            }
            let (metric, score, verified) = metrics[chosen].clone();
            let others: Vec<String> = metrics
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != chosen)
                .map(|(_, (m, v, _))| format!("{m} {v}"))
                .collect();
            if score.abs() <= 1.0 && !lower_is_better(&metric) {
                notices.push(Notice::new(
                    "benchmarks",
                    NoticeKind::Derived,
                    format!("{}: {metric} {score} looks like a fraction where the catalog's figures are mostly percentages; kept as published", key.as_str()),
                ));
            }
            out.insert(
                key,
                BenchmarkResult {
                    score,
                    lower_is_better: lower_is_better(&metric),
                    metric: Some(metric),
                    split: text("split").map(str::to_string),
                    setting: None,
                    verified,
                    detail: (!others.is_empty()).then(|| others.join("; ")),
                    source: source.to_string(),
                },
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benchmark_keys() {
        let k = |t: &str, c: Option<&str>| benchmark_key(t, c).map(|k| k.0);
        assert_eq!(k("squad_v2", None).as_deref(), Some("squad-v2.0"));
        assert_eq!(
            k("squad", Some("plain_text")).as_deref(),
            Some("squad-v1.1")
        );
        assert_eq!(k("glue", Some("mnli")).as_deref(), Some("mnli"));
        assert_eq!(
            k("cnn_dailymail", Some("3.0.0")).as_deref(),
            Some("cnn-dailymail")
        );
        assert_eq!(
            k("wikitext", Some("wikitext-103-raw-v1")).as_deref(),
            Some("wikitext-103")
        );
        assert_eq!(
            k("mteb/amazon_polarity", None).as_deref(),
            Some("amazon-polarity")
        );
        assert_eq!(k("___", None), None);
    }
}
