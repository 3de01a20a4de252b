//! The default catalog (`policies/catalog.yaml`) against the sourced fact sheet
//! (`reference/model-facts.yaml`): every figure in the catalog must be one somebody published.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use std::path::{Path, PathBuf};

use arbiter_engine::catalog::ParametersBasis;
use arbiter_engine::{Catalog, Model, cost, load};
use serde_yaml::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn catalog() -> Catalog {
    load::load_catalog(&repo().join("policies/catalog.yaml")).unwrap_or_else(|e| panic!("{e}"))
}

fn facts() -> Vec<Value> {
    let text = std::fs::read_to_string(repo().join("reference/model-facts.yaml")).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

/// The fact-sheet entry of a catalog model: by hub id, a legacy alias, or (for models not on the
/// hub) by name.
fn fact_for<'a>(facts: &'a [Value], m: &Model) -> &'a Value {
    facts
        .iter()
        .find(|f| {
            f["hf_id"].as_str() == Some(&m.id)
                || f["hf_id_aliases"]
                    .as_sequence()
                    .is_some_and(|a| a.iter().any(|x| x.as_str() == Some(&m.id)))
                || (f["hf_id"].is_null() && f["name"].as_str() == Some(&m.name))
        })
        .unwrap_or_else(|| panic!("model `{}` has no entry in the fact sheet", m.id))
}

/// Whether `score` is one of the figures of a fact-sheet benchmark entry: its `value` or
/// `value_em`, or a number written in a compound `value` string ("dev 65.5 (64.4) / 84.5 …").
fn published(entry: &Value, score: f64) -> bool {
    let same = |v: &Value| v.as_f64().is_some_and(|x| (x - score).abs() < 1e-9);
    if same(&entry["value"]) || same(&entry["value_em"]) {
        return true;
    }
    entry["value"].as_str().is_some_and(|s| {
        s.split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter_map(|t| t.parse::<f64>().ok())
            .any(|x| (x - score).abs() < 1e-9)
    })
}

#[test]
fn the_default_catalog_is_large_and_sourced() {
    let c = catalog();
    assert!(c.models.len() >= 40, "{} models", c.models.len());
    for m in &c.models {
        assert!(!m.sources.is_empty(), "{} has no source", m.id);
    }
}

#[test]
fn every_model_the_guide_names_is_in_the_catalog() {
    let c = catalog();
    // §3 of the selection guide, model by model.
    for id in [
        "google-bert/bert-base-uncased",
        "google-bert/bert-large-uncased",
        "FacebookAI/roberta-base",
        "FacebookAI/roberta-large",
        "distilbert-base-uncased",
        "google/mobilebert-uncased",
        "albert-base-v2",
        "tensor2tensor/transformer-base",
        "facebook/bart-base",
        "google-t5/t5-base",
        "openai-community/gpt2",
        "allenai/scibert_scivocab_uncased",
        "dmis-lab/biobert-base-cased-v1.2",
        "nlpaueb/legal-bert-base-uncased",
        "google-bert/bert-base-multilingual-cased",
        "FacebookAI/xlm-mlm-100-1280",
        "FacebookAI/xlm-roberta-base",
        "FacebookAI/xlm-roberta-large",
        "hfl/chinese-bert-wwm",
        "hfl/chinese-macbert-base",
    ] {
        assert!(c.get(id).is_some(), "the catalog lacks {id}");
    }
}

#[test]
fn every_benchmark_figure_is_in_the_fact_sheet_for_that_model() {
    let facts = facts();
    let mut unpublished = Vec::new();
    let mut count = 0;
    for m in &catalog().models {
        let entries = fact_for(&facts, m)["benchmarks"]
            .as_sequence()
            .cloned()
            .unwrap_or_default();
        for (key, b) in &m.benchmarks {
            count += 1;
            if !entries.iter().any(|e| published(e, b.score)) {
                unpublished.push(format!("{} {}: {}", m.id, key.as_str(), b.score));
            }
        }
    }
    assert!(count > 40, "only {count} benchmark figures");
    assert!(
        unpublished.is_empty(),
        "figures not in the fact sheet: {unpublished:#?}"
    );
}

#[test]
fn parameter_counts_are_published_or_marked_computed() {
    let facts = facts();
    for m in &catalog().models {
        match fact_for(&facts, m)["params_m"].as_f64() {
            Some(p) => {
                assert_eq!(m.parameters_basis, ParametersBasis::Published, "{}", m.id);
                assert!(
                    (m.parameters_m - p).abs() < 1e-9,
                    "{}: {} vs published {p}",
                    m.id,
                    m.parameters_m
                );
            }
            None => {
                assert_eq!(
                    m.parameters_basis,
                    ParametersBasis::Computed,
                    "{} has no published count",
                    m.id
                );
                assert!(
                    m.notes.iter().any(|n| n.contains("computed")),
                    "{}: the arithmetic belongs in notes",
                    m.id
                );
            }
        }
    }
}

#[test]
fn computed_counts_agree_with_the_engine_formula() {
    // MobileBERT's bottleneck is outside the BERT-style formula; its arithmetic is in its notes.
    // XLM has no token-type embeddings and no pooler, so the formula overcounts it by under 1 %.
    for m in catalog()
        .models
        .iter()
        .filter(|m| m.parameters_basis == ParametersBasis::Computed)
    {
        if m.bottleneck_size.is_some() {
            continue;
        }
        let p = cost::bert_style_parameters_m(m)
            .unwrap_or_else(|| panic!("{}: vocab or positions unknown", m.id));
        assert!(
            (p - m.parameters_m).abs() / m.parameters_m < 0.01,
            "{}: catalog {} vs formula {p:.1}",
            m.id,
            m.parameters_m
        );
    }
}

#[test]
fn multilingual_models_list_their_languages_code_by_code() {
    let c = catalog();
    for (id, at_least) in [
        ("FacebookAI/xlm-roberta-base", 90),
        ("google-bert/bert-base-multilingual-cased", 100),
        ("google/mt5-small", 100),
        ("FacebookAI/xlm-mlm-100-1280", 95),
    ] {
        let m = c.get(id).unwrap();
        assert!(
            m.languages.len() >= at_least,
            "{id}: {} languages",
            m.languages.len()
        );
    }
    let t5 = c.get("google-t5/t5-base").unwrap();
    let langs: Vec<&str> = t5.languages.iter().map(|l| l.as_str()).collect();
    assert_eq!(langs, ["en", "fr", "ro", "de"]);
}
