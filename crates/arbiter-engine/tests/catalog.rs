//! The default catalog (`policies/catalog.yaml`) against the sourced fact sheets
//! (`reference/model-facts.yaml` and `reference/modern-model-facts.yaml`): every figure in the
//! catalog must be one somebody published, and it must come from the sheet that holds the model.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use std::path::PathBuf;

use arbiter_engine::catalog::ParametersBasis;
use arbiter_engine::{Catalog, Family, Model, cost, load};
use arbiter_test_support::repo;
use serde_json::Value;

fn catalog() -> Catalog {
    load::load_catalog(&repo().join("policies/catalog.yaml")).unwrap_or_else(|e| panic!("{e}"))
}

fn sheet(name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(repo().join("reference").join(name)).unwrap();
    arbiter_engine::yaml::from_str(&text).unwrap()
}

/// Both fact sheets: `reference/model-facts.yaml` (the original 47 models) and
/// `reference/modern-model-facts.yaml` (post-2020 encoders, embedding models, instruction-tuned
/// models).
struct Facts {
    classic: Vec<Value>,
    modern: Vec<Value>,
}

fn facts() -> Facts {
    Facts {
        classic: sheet("model-facts.yaml"),
        modern: sheet("modern-model-facts.yaml"),
    }
}

/// Whether a fact-sheet entry is this catalog model: by hub id, a legacy alias, or (for models
/// not on the hub) by name.
fn is_entry_of(f: &Value, m: &Model) -> bool {
    f["hf_id"].as_str() == Some(&m.id)
        || f["hf_id_aliases"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x.as_str() == Some(&m.id)))
        || (f["hf_id"].is_null() && f["name"].as_str() == Some(&m.name))
}

impl Facts {
    /// The model's entry in the modern sheet, if it has one.
    fn modern_for(&self, m: &Model) -> Option<&Value> {
        self.modern.iter().find(|f| is_entry_of(f, m))
    }

    /// Every entry that holds the model, one per sheet (DeBERTa-v3-Base is in both); a model in
    /// neither sheet fails, unless it was imported from a real model folder of `tests/hf`
    /// (checked against that import by `imported_entries_are_their_import`).
    fn entries_for(&self, m: &Model) -> Vec<&Value> {
        let found: Vec<&Value> = [&self.classic, &self.modern]
            .into_iter()
            .filter_map(|sheet| sheet.iter().find(|f| is_entry_of(f, m)))
            .collect();
        assert!(
            !found.is_empty() || imported_from(m).is_some(),
            "model `{}` has no entry in either fact sheet, nor an imported model folder",
            m.id
        );
        found
    }
}

/// The model folder an entry was imported from (`hf-folder tests/hf/X: …` among its sources).
fn imported_from(m: &Model) -> Option<PathBuf> {
    m.sources.iter().find_map(|s| {
        let rest = s.strip_prefix("hf-folder tests/hf/")?;
        let folder = rest.split(':').next()?;
        Some(repo().join("tests/hf").join(folder))
    })
}

/// An entry imported from a model folder is exactly what `arbiter catalog import` makes of that
/// folder today, apart from its name, sources and notes (which say more).
#[test]
fn imported_entries_are_their_import() {
    let mut n = 0;
    for m in &catalog().models {
        let Some(folder) = imported_from(m) else {
            continue;
        };
        n += 1;
        let imported = arbiter_engine::hf::import(&folder, None)
            .unwrap_or_else(|e| panic!("{}: {e}", m.id))
            .model;
        let strip = |m: &Model| {
            let mut m = m.clone();
            m.sources.clear();
            m.notes.clear();
            serde_json::to_value(m).unwrap()
        };
        assert_eq!(strip(m), strip(&imported), "{}", m.id);
    }
    assert!(n >= 1, "no imported entry checked");
}

/// A fact-sheet context length as tokens: an integer, or "128k" / "32k" (k = 1024: Meta states
/// 128K = 131,072 positions).
fn context_tokens(v: &Value) -> Option<u32> {
    if v.is_null() {
        return None;
    }
    if let Some(n) = v.as_u64() {
        return Some(u32::try_from(n).unwrap());
    }
    let s = v.as_str().unwrap_or_else(|| panic!("context_length {v:?}"));
    let k: u32 = s
        .strip_suffix('k')
        .unwrap_or_else(|| panic!("context_length {s:?}"))
        .parse()
        .unwrap();
    Some(k * 1024)
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
    assert!(c.models.len() >= 70, "{} models", c.models.len());
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
        // The figures may come from any sheet that holds the model, and from no other.
        let entries: Vec<Value> = facts
            .entries_for(m)
            .into_iter()
            .flat_map(|f| f["benchmarks"].as_array().cloned().unwrap_or_default())
            .collect();
        for (key, b) in &m.benchmarks {
            count += 1;
            if !entries.iter().any(|e| published(e, b.score)) {
                unpublished.push(format!("{} {}: {}", m.id, key.as_str(), b.score));
            }
        }
    }
    assert!(count > 80, "only {count} benchmark figures");
    assert!(
        unpublished.is_empty(),
        "figures not in the fact sheets: {unpublished:#?}"
    );
}

#[test]
fn parameter_counts_are_published_or_marked_computed() {
    let facts = facts();
    for m in &catalog().models {
        let published: Vec<f64> = facts
            .entries_for(m)
            .iter()
            .filter_map(|f| f["params_m"].as_f64())
            .collect();
        match published.as_slice() {
            [_, ..] => {
                assert_eq!(m.parameters_basis, ParametersBasis::Published, "{}", m.id);
                assert!(
                    published.iter().any(|p| (m.parameters_m - p).abs() < 1e-9),
                    "{}: {} vs published {published:?}",
                    m.id,
                    m.parameters_m
                );
            }
            [] => {
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

/// Parameters in millions of a T5 v1.1 encoder-decoder (FLAN-T5): shared embedding `V·d`, untied
/// lm_head `V·d`; per encoder layer `4d·(h·d_kv) + 3·d·f + 2d` (attention without biases, gated
/// FFN, two RMSNorms); per decoder layer also cross-attention `4d·(h·d_kv)` and a third norm;
/// a `32·h` relative-bias table in the first layer of each stack; two final norms.
fn t5_v11_parameters_m(m: &Model) -> f64 {
    let v = f64::from(m.vocab_size.unwrap());
    let d = f64::from(m.hidden_size);
    let h = f64::from(m.attention_heads);
    let inner = h * f64::from(m.head_size.unwrap_or(m.hidden_size / m.attention_heads));
    let f = f64::from(m.ffn_width());
    let encoder = f64::from(m.layers) * (4.0 * d * inner + 3.0 * d * f + 2.0 * d);
    let decoder = f64::from(m.decoder_layers.unwrap()) * (8.0 * d * inner + 3.0 * d * f + 3.0 * d);
    (2.0 * v * d + encoder + decoder + 2.0 * 32.0 * h + 2.0 * d) / 1e6
}

#[test]
fn computed_counts_agree_with_the_engine_formula() {
    // MobileBERT's bottleneck is outside the BERT-style formula; its arithmetic is in its notes.
    // XLM has no token-type embeddings and no pooler, so the formula overcounts it by under 1 %.
    // The counts computed for models of the modern sheet must agree within 0.1 M: the BERT-style
    // formula (2 token types) is off by at most one or two embedding rows for XLM-R-style
    // (1 token type) and MPNet (no token types, a 32 × heads relative-bias table); FLAN-T5 has
    // its own T5 v1.1 formula.
    let facts = facts();
    let mut modern = 0;
    for m in catalog()
        .models
        .iter()
        .filter(|m| m.parameters_basis == ParametersBasis::Computed)
    {
        if m.bottleneck_size.is_some() || imported_from(m).is_some() {
            continue;
        }
        let p = if m.family == Family::EncoderDecoder && m.gated_ffn {
            t5_v11_parameters_m(m)
        } else {
            cost::bert_style_parameters_m(m)
                .unwrap_or_else(|| panic!("{}: vocab or positions unknown", m.id))
        };
        if facts.modern_for(m).is_some() {
            modern += 1;
            assert!(
                (p - m.parameters_m).abs() < 0.1,
                "{}: catalog {} vs formula {p:.3}",
                m.id,
                m.parameters_m
            );
        } else {
            assert!(
                (p - m.parameters_m).abs() / m.parameters_m < 0.01,
                "{}: catalog {} vs formula {p:.1}",
                m.id,
                m.parameters_m
            );
        }
    }
    assert!(
        modern >= 7,
        "only {modern} computed counts of the modern sheet checked"
    );
}

#[test]
fn the_t5_formula_gives_the_published_t5_base_count() {
    // Sanity check of the FLAN-T5 formula on T5 v1.1's sibling mT5-Base (published 580 M; the
    // README also says 600 M): its 250,100-token vocabulary dominates, so the formula must land
    // between the two.
    let c = catalog();
    let mut mt5 = c.get("google/mt5-base").unwrap().clone();
    mt5.gated_ffn = true;
    let p = t5_v11_parameters_m(&mt5);
    assert!(
        (575.0..=605.0).contains(&p),
        "mT5-Base by the T5 v1.1 formula: {p:.1} M"
    );
}

#[test]
fn modern_fields_agree_with_the_modern_fact_sheet() {
    let facts = facts();
    let mut checked = 0;
    for m in &catalog().models {
        let Some(f) = facts.modern_for(m) else {
            continue;
        };
        checked += 1;
        let id = &m.id;
        // kv_heads only where grouped-query or multi-query attention makes it smaller.
        let kv = f["kv_heads"]
            .as_u64()
            .map(|k| u32::try_from(k).unwrap())
            .filter(|&k| k < m.attention_heads);
        assert_eq!(m.kv_heads, kv, "{id}: kv_heads");
        assert_eq!(
            m.context_length,
            context_tokens(&f["context_length"]),
            "{id}: context_length"
        );
        assert_eq!(
            m.positional.map(|p| p.as_str()),
            f["positional"].as_str(),
            "{id}: positional"
        );
        assert_eq!(
            m.instruction_tuned,
            f["instruction_tuned"].as_bool().unwrap(),
            "{id}: instruction_tuned"
        );
        assert_eq!(
            m.active_parameters_m,
            f["params_active_m"].as_f64(),
            "{id}: active_parameters_m"
        );
        let moe = f["family"].as_str() == Some("decoder-moe");
        assert_eq!(m.experts.is_some(), moe, "{id}: experts");
        for (field, ours) in [
            ("layers", Some(m.layers)),
            ("decoder_layers", m.decoder_layers),
            ("hidden_size", Some(m.hidden_size)),
            ("vocab_size", m.vocab_size),
        ] {
            assert_eq!(
                ours.map(u64::from),
                f[field].as_u64(),
                "{id}: {field} differs from the modern sheet"
            );
        }
        // RoBERTa-family tables keep a padding offset of 2 rows no token uses; the catalog
        // counts usable positions and says so in a note.
        let offset = if m
            .notes
            .iter()
            .any(|n| n.contains("less the padding offset of 2"))
        {
            2
        } else {
            0
        };
        assert_eq!(
            m.max_positions.map(u64::from),
            f["max_positions"].as_u64().map(|p| p - offset),
            "{id}: max_positions differs from the modern sheet"
        );
        if let Some(i) = f["intermediate_size"].as_u64() {
            assert_eq!(u64::from(m.ffn_width()), i, "{id}: feed-forward width");
        }
        if let Some(h) = f["attention_heads"].as_u64() {
            assert_eq!(u64::from(m.attention_heads), h, "{id}: attention_heads");
        } else {
            assert!(
                m.notes.iter().any(|n| n.contains("attention_heads")),
                "{id}: a head count the sheet lacks must be explained in notes"
            );
        }
    }
    assert!(
        checked >= 27,
        "only {checked} models of the modern sheet in the catalog"
    );
}

#[test]
fn models_without_stated_languages_have_none() {
    let facts = facts();
    for m in &catalog().models {
        for f in facts.entries_for(m) {
            let langs = &f["languages"];
            let unstated = langs.is_null() || langs.as_array().is_some_and(|l| l.is_empty());
            // Inherited from a base model the catalog holds: exactly its languages, and a note
            // naming it.
            let base = m.notes.iter().find_map(|n| {
                n.strip_prefix("languages: inherited from its base model `")
                    .and_then(|r| r.split('`').next())
            });
            if let Some(base) = base {
                let c = catalog();
                let b = c.get(base).unwrap_or_else(|| {
                    panic!("{}: base model `{base}` is not in the catalog", m.id)
                });
                assert_eq!(m.languages, b.languages, "{}: languages of `{base}`", m.id);
                continue;
            }
            if unstated {
                assert!(
                    m.languages.is_empty(),
                    "{}: the facts state no languages, the catalog lists {:?}",
                    m.id,
                    m.languages
                );
                assert!(
                    m.notes
                        .iter()
                        .any(|n| n.starts_with("languages: not stated in the sources")),
                    "{}: say that the languages are not stated",
                    m.id
                );
            }
        }
        // A modern-sheet model whose languages are a sentence rather than a list has codes only
        // where a note says how they were read from it.
        if let Some(f) = facts.modern_for(m)
            && f["languages"].is_string()
            && !m.languages.is_empty()
        {
            assert!(
                m.notes.iter().any(|n| n.starts_with("languages:")),
                "{}: languages read from the sentence {:?} need a note",
                m.id,
                f["languages"]
            );
        }
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
