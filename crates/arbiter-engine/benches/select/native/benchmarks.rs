//! `benchmarks.rhai`, natively.

use arbiter_engine::host::Verdict;
use arbiter_engine::{Domain, Task};

use super::{NativeModel, Prepared, abstain, rhai_float, round_int, score};

pub(super) fn relevant(task: &Task) -> Vec<(String, f64)> {
    if !task.benchmarks.is_empty() {
        return task
            .benchmarks
            .iter()
            .map(|(k, w)| (k.as_str().to_string(), w.0))
            .collect();
    }
    // News text is what general benchmarks are made of.
    if task.domain != Domain::General && task.domain != Domain::News {
        return Vec::new();
    }
    let t = task.task.as_str();
    let langs = &task.languages;
    let chinese = langs.len() == 1 && langs[0].as_str() == "zh";
    let english = langs.len() == 1 && langs[0].as_str() == "en";
    let keys: &[&str] = if t == "question-answering" {
        if chinese {
            &["cmrc2018", "drcd"]
        } else {
            &["squad-v1.1", "squad-v2.0"]
        }
    } else if t == "zero-shot-classification" {
        &["mnli", "xnli", "mmlu", "ifeval"]
    } else if t == "translation" {
        &["wmt14-en-de", "wmt14-en-fr"]
    } else if t == "summarization" {
        &["cnn-dailymail"]
    } else if t == "text-generation" {
        &["mmlu", "ifeval"]
    } else if t != "text-classification" {
        &[]
    } else if chinese {
        &["xnli-zh"]
    } else if !english {
        &["xnli"]
    } else {
        &["glue"]
    };
    let mut out: Vec<(String, f64)> = keys.iter().map(|k| (k.to_string(), 1.0)).collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

pub(super) fn benchmarks(p: &Prepared, m: &NativeModel) -> Verdict {
    if p.relevant.is_empty() {
        if p.task.domain != Domain::General {
            return abstain(format!(
                "general benchmarks say nothing about {} text, and the task names none",
                p.task.domain
            ));
        }
        return abstain(format!(
            "no benchmark in the catalog measures {}",
            p.task.task
        ));
    }
    let mut total = 0.0;
    let mut sum = 0.0;
    let mut used = String::new();
    for (key, w) in &p.relevant {
        total += w;
        if let Some(&(figure, x)) = m.benchmarks.get(key.as_str()) {
            sum += w * (0.5 + 0.5 * x);
            if !used.is_empty() {
                used += ", ";
            }
            used += &format!("{key} {}", rhai_float(figure));
        }
    }
    if total == 0.0 {
        return abstain("the task gives every benchmark weight 0".to_string());
    }
    if used.is_empty() {
        let keys: Vec<&str> = p.relevant.iter().map(|(k, _)| k.as_str()).collect();
        return score(0.0, format!("no published result on {keys:?}"));
    }
    score(
        sum / total,
        format!(
            "published: {used} ({}% after normalising across the catalog)",
            round_int(sum / total * 100.0)
        ),
    )
}
