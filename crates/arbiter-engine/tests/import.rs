//! `hf` import: one trial per real Hugging Face fixture folder (`tests/hf/*`, found at run
//! time, so a new folder is a new test), plus synthetic folders for the cache layout,
//! safetensors headers, merging and errors.
//!
//! For every fixture whose id is in `policies/catalog.yaml`, the architecture read from its
//! `config.json` must equal the catalog entry's field by field, except for the disagreements
//! listed in `tests/import-known-differences.yaml` (each with the reason it is not fixed here);
//! a listed disagreement that no longer occurs fails too, so the list stays true.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use std::fmt::Debug;
use std::path::{Path, PathBuf};

use arbiter_engine::catalog::{Catalog, Model, ParametersBasis};
use arbiter_engine::hf::{self, ImportError, Imported, NoticeKind};
use arbiter_engine::load::{self, Syntax};
use arbiter_engine::task::Domain;
use arbiter_test_support::repo;
use libtest_mimic::{Arguments, Failed, Trial};
use serde::Deserialize;

fn fixtures() -> Vec<PathBuf> {
    let dir = repo().join("tests/hf");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Known {
    id: String,
    field: String,
    catalog: String,
    config: String,
    why: String,
}

fn known() -> Vec<Known> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/import-known-differences.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    arbiter_engine::yaml::from_str::<Option<Vec<Known>>>(&text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .unwrap_or_default()
}

fn show<T: Debug>(v: &Option<T>) -> String {
    match v {
        Some(x) => format!("{x:?}").to_lowercase(),
        None => "absent".into(),
    }
}

/// The architecture fields that differ: (field, catalog, config).
fn differences(catalog: &Model, imported: &Model) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut cmp = |field: &str, a: String, b: String| {
        if a != b {
            out.push((field.to_string(), a, b));
        }
    };
    cmp(
        "family",
        catalog.family.to_string(),
        imported.family.to_string(),
    );
    cmp(
        "layers",
        catalog.layers.to_string(),
        imported.layers.to_string(),
    );
    cmp(
        "decoder_layers",
        show(&catalog.decoder_layers),
        show(&imported.decoder_layers),
    );
    cmp(
        "hidden_size",
        catalog.hidden_size.to_string(),
        imported.hidden_size.to_string(),
    );
    cmp(
        "attention_heads",
        catalog.attention_heads.to_string(),
        imported.attention_heads.to_string(),
    );
    cmp(
        "kv_heads",
        show(&catalog.kv_heads),
        show(&imported.kv_heads),
    );
    cmp(
        "head_size",
        show(&catalog.head_size),
        show(&imported.head_size),
    );
    cmp(
        "intermediate_size",
        show(&catalog.intermediate_size),
        show(&imported.intermediate_size),
    );
    cmp(
        "gated_ffn",
        catalog.gated_ffn.to_string(),
        imported.gated_ffn.to_string(),
    );
    cmp(
        "embedding_size",
        show(&catalog.embedding_size),
        show(&imported.embedding_size),
    );
    cmp("experts", show(&catalog.experts), show(&imported.experts));
    cmp(
        "experts_per_token",
        show(&catalog.experts_per_token),
        show(&imported.experts_per_token),
    );
    cmp(
        "vocab_size",
        show(&catalog.vocab_size),
        show(&imported.vocab_size),
    );
    cmp(
        "max_positions",
        show(&catalog.max_positions),
        show(&imported.max_positions),
    );
    cmp(
        "positional",
        show(&catalog.positional),
        show(&imported.positional),
    );
    out
}

/// A fixture's architecture against its catalog entry, modulo the known differences.
fn matches_catalog(dir: &Path, entry: &Model, known: &[Known]) -> Result<(), Failed> {
    let config_path = dir.join("config.json");
    let config = hf::read_json(&config_path)?;
    let arch = hf::architecture(&config, &config_path)?;
    let mut imported = entry.clone();
    arch.apply(&mut imported);
    let found = differences(entry, &imported);
    let mine: Vec<&Known> = known.iter().filter(|k| k.id == entry.id).collect();
    let mut problems = Vec::new();
    for (field, catalog, config) in &found {
        let listed = mine
            .iter()
            .any(|k| &k.field == field && &k.catalog == catalog && &k.config == config);
        if !listed {
            problems.push(format!(
                "{field}: catalog {catalog}, config.json {config} (fix the importer, or report it and list it in tests/import-known-differences.yaml)"
            ));
        }
    }
    for k in mine {
        if !found
            .iter()
            .any(|(f, a, b)| f == &k.field && a == &k.catalog && b == &k.config)
        {
            problems.push(format!(
                "listed difference no longer occurs: {} catalog {} config {} (remove it from tests/import-known-differences.yaml)",
                k.field, k.catalog, k.config
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}:\n  {}", entry.id, problems.join("\n  ")).into())
    }
}

/// Every fixture imports into a valid catalog entry that reads back as written: `arbiter catalog
/// import tests/hf/*` succeeds on all of them.
fn imports(dir: &Path) -> Result<(), Failed> {
    if !dir.join("config.json").is_file() {
        return Err(
            "tests/hf holds model folders with a config.json (cards alone go in tests/hf-cards)"
                .into(),
        );
    }
    if dir.join("README.md").is_file() && hf::read_card(&dir.join("README.md"))?.is_none() {
        return Err("README.md has no front matter".into());
    }
    let imp = hf::import(dir, None)?;
    let yaml = hf::catalog_yaml(
        &Catalog {
            models: vec![imp.model.clone()],
        },
        &[],
    )?;
    let back = load::catalog_from_str(&yaml, Syntax::Yaml, "<imported>")?;
    if back.models[0] != imp.model {
        return Err(format!("the YAML does not read back as written:\n{yaml}").into());
    }
    if !imp.model.sources[0].starts_with("hf-folder ") {
        return Err(format!("source `{}`", imp.model.sources[0]).into());
    }
    Ok(())
}

/// A folder with a card but no config.json (tests/hf-cards): the card parses, and the import
/// fails naming the missing config.json.
fn card_only(dir: &Path) -> Result<(), Failed> {
    if hf::read_card(&dir.join("README.md"))?.is_none() {
        return Err("README.md has no front matter".into());
    }
    match hf::import(dir, None) {
        Err(ImportError::Layout { path, .. }) if path.ends_with("config.json") => Ok(()),
        Err(e) => Err(format!("the error does not name config.json: {e}").into()),
        Ok(_) => Err("imported without config.json".into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Synthetic folders
// ---------------------------------------------------------------------------------------------

const BERT_CONFIG: &str = r#"{
  "architectures": ["BertForSequenceClassification"],
  "model_type": "bert",
  "hidden_size": 64,
  "num_hidden_layers": 2,
  "num_attention_heads": 4,
  "intermediate_size": 256,
  "max_position_embeddings": 128,
  "type_vocab_size": 2,
  "vocab_size": 1000
}"#;

const CARD: &str = "---
language:
- en
- eng
- english
- multilingual
- de
license: other
license_name: acme-research-1.0
pipeline_tag: sentiment-analysis
tags:
- medical
- chat
datasets:
- pubmed
base_model: acme/base
model-index:
- name: tiny
  results:
  - task: {type: question-answering}
    dataset: {name: SQuAD v2, type: squad_v2, split: validation}
    metrics:
    - {type: exact_match, value: 71.5, verified: false}
    - {type: f1, value: 74.25, verified: true}
  - task: {type: text-classification}
    dataset: {name: GLUE MNLI, type: glue, config: mnli, split: validation_matched}
    metrics:
    - {type: accuracy, value: 0.81}
---
# Tiny
";

fn write(dir: &Path, files: &[(&str, &[u8])]) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

/// A safetensors file: the header, then zero bytes for the data.
fn safetensors(tensors: &[(&str, &str, &[u64])]) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    header.insert("__metadata__".into(), serde_json::json!({"format": "pt"}));
    let mut offset = 0u64;
    for (name, dtype, shape) in tensors {
        let width = match *dtype {
            "F32" => 4,
            "BF16" | "F16" => 2,
            _ => 1,
        };
        let bytes = shape.iter().product::<u64>() * width;
        header.insert(
            (*name).into(),
            serde_json::json!({"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + bytes]}),
        );
        offset += bytes;
    }
    let json = serde_json::to_vec(&header).unwrap();
    let mut out = (json.len() as u64).to_le_bytes().to_vec();
    out.extend(json);
    out.resize(out.len() + offset as usize, 0);
    out
}

fn notice(imp: &Imported, kind: NoticeKind, field: &str, needle: &str) -> Result<(), Failed> {
    if imp
        .notices
        .iter()
        .any(|n| n.kind == kind && n.field == field && n.message.contains(needle))
    {
        Ok(())
    } else {
        Err(format!(
            "no `{}` notice for {field} containing `{needle}`; notices: {:#?}",
            kind.as_str(),
            imp.notices
        )
        .into())
    }
}

fn check(cond: bool, what: impl Into<String>) -> Result<(), Failed> {
    if cond {
        Ok(())
    } else {
        Err(what.into().into())
    }
}

fn cache_layout_with_refs_main() -> Result<(), Failed> {
    let tmp = tempfile::tempdir()?;
    let repo = tmp.path().join("models--acme--tiny-bert");
    write(&repo.join("refs"), &[("main", b"abc123\n")]);
    write(
        &repo.join("snapshots/old999"),
        &[("config.json", BERT_CONFIG.as_bytes())],
    );
    let snap = repo.join("snapshots/abc123");
    write(
        &snap,
        &[
            ("config.json", BERT_CONFIG.as_bytes()),
            ("README.md", CARD.as_bytes()),
        ],
    );
    for path in [repo.clone(), snap.clone()] {
        let imp = hf::import(&path, None)?;
        check(
            imp.model.id == "acme/tiny-bert",
            format!("id {}", imp.model.id),
        )?;
        check(
            imp.model.sources
                == ["hf-cache models--acme--tiny-bert @ abc123: config.json, README.md"],
            format!("sources {:?}", imp.model.sources),
        )?;
        let squad = imp
            .model
            .benchmarks
            .get(&key("squad-v2.0"))
            .ok_or("no squad-v2.0")?;
        check(squad.score == 74.25, format!("score {}", squad.score))?;
        check(squad.metric.as_deref() == Some("f1"), "metric f1")?;
        check(squad.verified == Some(true), "verified")?;
        check(squad.split.as_deref() == Some("validation"), "split")?;
        check(
            squad.detail.as_deref() == Some("exact_match 71.5"),
            format!("{:?}", squad.detail),
        )?;
        check(
            squad.source == "model-index in README.md @ abc123",
            squad.source.clone(),
        )?;
        let mnli = imp.model.benchmarks.get(&key("mnli")).ok_or("no mnli")?;
        check(
            mnli.score == 0.81 && mnli.verified.is_none(),
            format!("{mnli:?}"),
        )?;
        notice(
            &imp,
            NoticeKind::Derived,
            "benchmarks",
            "looks like a fraction",
        )?;
    }
    Ok(())
}

fn key(k: &str) -> arbiter_engine::task::BenchmarkKey {
    arbiter_engine::task::BenchmarkKey(k.into())
}

fn cache_layout_without_refs_takes_the_only_snapshot() -> Result<(), Failed> {
    let tmp = tempfile::tempdir()?;
    let repo = tmp.path().join("models--gpt2");
    write(
        &repo.join("snapshots/r1"),
        &[("config.json", BERT_CONFIG.as_bytes())],
    );
    let imp = hf::import(&repo, None)?;
    check(imp.model.id == "gpt2", imp.model.id.clone())?;
    check(
        imp.model.sources[0].starts_with("hf-cache models--gpt2 @ r1: "),
        imp.model.sources[0].clone(),
    )?;
    notice(
        &imp,
        NoticeKind::Derived,
        "sources",
        "the only folder under snapshots/",
    )?;
    // Two snapshots and no refs/main: which is current is not known, so it is an error.
    write(
        &repo.join("snapshots/r2"),
        &[("config.json", BERT_CONFIG.as_bytes())],
    );
    match hf::import(&repo, None) {
        Err(e) if e.to_string().contains("2 revisions and no refs/main") => {}
        other => return Err(format!("two snapshots: {other:?}").into()),
    }
    // refs/main naming a missing snapshot is an error naming refs/main.
    write(&repo.join("refs"), &[("main", b"gone")]);
    match hf::import(&repo, None) {
        Err(e) if e.path().ends_with("refs/main") && e.to_string().contains("gone") => Ok(()),
        other => Err(format!("{other:?}").into()),
    }
}

fn card_fields_are_mapped_and_the_rest_reported() -> Result<(), Failed> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("acme--tiny-bert-chat");
    write(
        &dir,
        &[
            ("config.json", BERT_CONFIG.as_bytes()),
            ("README.md", CARD.as_bytes()),
        ],
    );
    let imp = hf::import(&dir, None)?;
    let m = &imp.model;
    let langs: Vec<&str> = m.languages.iter().map(|l| l.as_str()).collect();
    check(langs == ["en", "de"], format!("languages {langs:?}"))?;
    notice(
        &imp,
        NoticeKind::Dropped,
        "languages",
        "`english` is not an ISO",
    )?;
    notice(
        &imp,
        NoticeKind::Dropped,
        "languages",
        "`multilingual` names no language",
    )?;
    notice(
        &imp,
        NoticeKind::Derived,
        "languages",
        "`eng` written as its ISO 639-1 code `en`",
    )?;
    check(
        m.license.as_deref() == Some("acme-research-1.0"),
        format!("{:?}", m.license),
    )?;
    check(m.tasks == ["text-classification"], format!("{:?}", m.tasks))?;
    check(
        m.domain == Domain::Biomedical && imp.domain_stated,
        "domain biomedical",
    )?;
    check(m.instruction_tuned, "instruction_tuned from the `chat` tag")?;
    notice(&imp, NoticeKind::Derived, "instruction_tuned", "tag `chat`")?;
    check(
        m.notes.iter().any(|n| n.contains("acme/base")),
        "base model note",
    )?;
    check(
        m.notes.iter().any(|n| n.contains("pubmed")),
        "datasets note",
    )?;
    // The architecture, with the catalog's defaults omitted.
    check(
        m.layers == 2 && m.hidden_size == 64 && m.attention_heads == 4,
        "shape",
    )?;
    check(
        m.intermediate_size.is_none() && m.embedding_size.is_none(),
        "defaults omitted",
    )?;
    check(m.parameters_basis == ParametersBasis::Computed, "computed")?;
    check(
        m.notes.iter().any(|n| n.contains("total")),
        "arithmetic in notes",
    )?;
    notice(&imp, NoticeKind::Absent, "objectives", "")?;
    notice(&imp, NoticeKind::Absent, "released", "")?;
    Ok(())
}

fn summary_lists_what_no_file_states() -> Result<(), Failed> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("acme--bare");
    write(&dir, &[("config.json", BERT_CONFIG.as_bytes())]);
    let imp = hf::import(&dir, Some("acme/renamed"))?;
    check(
        imp.model.id == "acme/renamed",
        "--id overrides the folder name",
    )?;
    check(
        imp.model.languages.is_empty() && imp.model.license.is_none(),
        "nothing guessed",
    )?;
    check(!imp.domain_stated, "domain not stated")?;
    notice(&imp, NoticeKind::Absent, "languages", "no README.md")?;
    notice(&imp, NoticeKind::Absent, "license", "no README.md")?;
    notice(
        &imp,
        NoticeKind::Absent,
        "domain",
        "catalog default: general",
    )?;
    notice(
        &imp,
        NoticeKind::Derived,
        "tasks",
        "from config.json architectures (BertForSequenceClassification)",
    )?;
    notice(
        &imp,
        NoticeKind::Derived,
        "parameters_m",
        "computed from the architecture",
    )?;
    let yaml = hf::catalog_yaml(
        &Catalog {
            models: vec![imp.model.clone()],
        },
        &["acme/renamed"],
    )?;
    check(
        !yaml.contains("domain:") && !yaml.contains("objectives:"),
        yaml.clone(),
    )?;
    let back = load::catalog_from_str(&yaml, Syntax::Yaml, "<imported>")?;
    check(back.models[0] == imp.model, "round trip")
}

/// A card field of the wrong shape is reported as dropped, saying what it was — not as missing.
fn misshapen_card_fields_are_reported() -> Result<(), Failed> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("acme--odd");
    write(
        &dir,
        &[
            ("config.json", BERT_CONFIG.as_bytes()),
            (
                "README.md",
                b"---\nlicense: [mit, apache-2.0]\npipeline_tag: 42\ntags: {a: 1}\n---\n",
            ),
        ],
    );
    let imp = hf::import(&dir, None)?;
    notice(
        &imp,
        NoticeKind::Dropped,
        "license",
        "[\"mit\",\"apache-2.0\"]",
    )?;
    notice(&imp, NoticeKind::Dropped, "pipeline_tag", "42")?;
    notice(&imp, NoticeKind::Dropped, "tags", "not a list")?;
    check(imp.model.license.is_none(), "no licence guessed")
}

fn safetensors_headers_give_the_exact_count() -> Result<(), Failed> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("acme--weights");
    let file = safetensors(&[
        ("a.weight", "F32", &[1000, 300]),
        ("b.bias", "BF16", &[700]),
        ("c", "F32", &[]),
    ]);
    write(
        &dir,
        &[
            ("config.json", BERT_CONFIG.as_bytes()),
            ("model.safetensors", &file),
        ],
    );
    let imp = hf::import(&dir, None)?;
    // 300 000 + 700 + 1 (a scalar) = 300 701.
    check(
        imp.model.parameters_m == 0.301,
        format!("{}", imp.model.parameters_m),
    )?;
    check(
        imp.model.parameters_basis == ParametersBasis::Published,
        "counted, not computed",
    )?;
    check(
        imp.model
            .notes
            .iter()
            .any(|n| n.contains("300701 parameters")),
        format!("{:?}", imp.model.notes),
    )?;
    check(
        imp.model.sources[0].ends_with("config.json, model.safetensors (header)"),
        imp.model.sources[0].clone(),
    )?;
    let h = hf::safetensors_header(&dir.join("model.safetensors"))?;
    check(
        h.parameters == 300_701 && h.dtypes.len() == 2,
        format!("{h:?}"),
    )?;
    // Sharded: the index names the shards; metadata.total_parameters wins when stated.
    let dir2 = tmp.path().join("acme--sharded");
    let index = r#"{"metadata": {"total_size": 1202800}, "weight_map": {"a.weight": "model-00001-of-00002.safetensors", "b.bias": "model-00002-of-00002.safetensors"}}"#;
    write(
        &dir2,
        &[
            ("config.json", BERT_CONFIG.as_bytes()),
            ("model.safetensors.index.json", index.as_bytes()),
            (
                "model-00001-of-00002.safetensors",
                &safetensors(&[("a.weight", "F32", &[1000, 300])]),
            ),
            (
                "model-00002-of-00002.safetensors",
                &safetensors(&[("b.bias", "BF16", &[700])]),
            ),
        ],
    );
    let imp = hf::import(&dir2, None)?;
    check(
        imp.model.parameters_m == 0.301,
        format!("{}", imp.model.parameters_m),
    )?;
    notice(
        &imp,
        NoticeKind::Dropped,
        "parameters_m",
        "total_size 1202800 bytes is not divided",
    )?;
    let stated =
        r#"{"metadata": {"total_parameters": 123456789, "total_size": 1}, "weight_map": {}}"#;
    write(
        &dir2,
        &[("model.safetensors.index.json", stated.as_bytes())],
    );
    let imp = hf::import(&dir2, None)?;
    check(
        imp.model.parameters_m == 123.457,
        format!("{}", imp.model.parameters_m),
    )?;
    check(
        imp.model
            .notes
            .iter()
            .any(|n| n.contains("metadata.total_parameters")),
        "note",
    )?;
    Ok(())
}

fn malformed_safetensors_are_errors_naming_the_file() -> Result<(), Failed> {
    let tmp = tempfile::tempdir()?;
    let good = safetensors(&[("a", "F32", &[4])]);
    let mut truncated = good.clone();
    truncated.truncate(truncated.len() - 4);
    let mut huge = (200_000_000u64).to_le_bytes().to_vec();
    huge.extend(b"{}");
    let mut short = (50u64).to_le_bytes().to_vec();
    short.extend(b"{}");
    let mut not_json = (5u64).to_le_bytes().to_vec();
    not_json.extend(b"hello");
    let wrong = {
        let json = br#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,8]}}"#;
        let mut v = (json.len() as u64).to_le_bytes().to_vec();
        v.extend(json);
        v.extend([0u8; 8]);
        v
    };
    let cases: [(&str, Vec<u8>, &str); 6] = [
        ("truncated", truncated, "an incomplete download"),
        ("huge", huge, "more than the 100000000-byte limit"),
        ("short", short, "the file has only"),
        ("not-json", not_json, "not JSON"),
        (
            "lfs",
            b"version https://git-lfs.github.com/spec/v1\noid sha256:0\n".to_vec(),
            "Git LFS pointer",
        ),
        ("offsets", wrong, "do not take the 8 bytes"),
    ];
    for (name, bytes, needle) in cases {
        let dir = tmp.path().join(name);
        write(
            &dir,
            &[
                ("config.json", BERT_CONFIG.as_bytes()),
                ("model.safetensors", &bytes),
            ],
        );
        match hf::import(&dir, None) {
            Err(e @ ImportError::Safetensors { .. })
                if e.path().ends_with("model.safetensors") && e.to_string().contains(needle) => {}
            other => return Err(format!("{name}: expected `{needle}`, got {other:?}").into()),
        }
    }
    Ok(())
}

fn unknown_model_type_names_file_and_type() -> Result<(), Failed> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("acme--vision");
    write(
        &dir,
        &[(
            "config.json",
            br#"{"model_type": "vit", "hidden_size": 768}"#,
        )],
    );
    let e = hf::import(&dir, None).unwrap_err();
    let text = e.to_string();
    check(
        matches!(e, ImportError::UnknownModelType { .. })
            && text.contains("config.json")
            && text.contains("unknown model_type `vit`"),
        text,
    )
}

fn malformed_config_names_file_line_and_field() -> Result<(), Failed> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("acme--broken");
    write(
        &dir,
        &[(
            "config.json",
            b"{\n  \"model_type\": \"bert\",\n  \"hidden_size\": 64,,\n}",
        )],
    );
    let text = hf::import(&dir, None).unwrap_err().to_string();
    check(
        text.contains("config.json:3:") && text.contains("invalid JSON"),
        text,
    )?;
    write(
        &dir,
        &[(
            "config.json",
            br#"{"model_type": "bert", "hidden_size": "64", "num_hidden_layers": 2}"#,
        )],
    );
    let text = hf::import(&dir, None).unwrap_err().to_string();
    check(
        text.contains("config.json: hidden_size: must be a non-negative integer"),
        text,
    )?;
    write(
        &dir,
        &[(
            "config.json",
            br#"{"model_type": "llama", "hidden_size": 64}"#,
        )],
    );
    let text = hf::import(&dir, None).unwrap_err().to_string();
    check(
        text.contains("config.json: num_hidden_layers: missing"),
        text,
    )?;
    write(
        &dir,
        &[
            ("config.json", BERT_CONFIG.as_bytes()),
            ("README.md", b"---\nlicense: [unclosed\n---\n"),
        ],
    );
    let text = hf::import(&dir, None).unwrap_err().to_string();
    check(
        text.contains("README.md: front matter: line 3 of the file: invalid YAML"),
        text,
    )
}

fn merge_refuses_duplicate_ids_naming_both_places() -> Result<(), Failed> {
    let tmp = tempfile::tempdir()?;
    let a = tmp.path().join("google-bert--bert-base-uncased");
    let b = tmp.path().join("other");
    write(&a, &[("config.json", BERT_CONFIG.as_bytes())]);
    write(&b, &[("config.json", BERT_CONFIG.as_bytes())]);
    let catalog = load::load_catalog(&repo().join("policies/catalog.yaml"))?;
    let imported = vec![
        hf::import(&a, None)?,
        hf::import(&b, None)?,
        hf::import(&b, None)?,
    ];
    let errors = hf::merge(Some((&catalog, "policies/catalog.yaml")), &imported).unwrap_err();
    check(errors.len() == 2, format!("{errors:?}"))?;
    let first = errors[0].to_string();
    check(
        first.contains("duplicate id `google-bert/bert-base-uncased`")
            && first.contains("`policies/catalog.yaml` (/models/")
            && first.contains("imported from"),
        first,
    )?;
    let second = errors[1].to_string();
    check(
        second.contains("`other`") && second.matches("imported from").count() == 2,
        second,
    )?;
    let merged = hf::merge(Some((&catalog, "c")), &imported[1..2]).map_err(|e| format!("{e:?}"))?;
    check(merged.models.len() == catalog.models.len() + 1, "appended")?;
    check(merged.check().is_empty(), "merged catalog checks")
}

/// A synthetic trial.
type Check = fn() -> Result<(), Failed>;

fn main() {
    let args = Arguments::from_args();
    let catalog = load::load_catalog(&repo().join("policies/catalog.yaml")).unwrap();
    let known = known();
    let mut trials = Vec::new();
    let folders = fixtures();
    assert!(!folders.is_empty(), "no fixtures under tests/hf");
    for dir in &folders {
        let d = dir.clone();
        trials.push(Trial::test(
            format!("fixture::{}::imports", name(dir)),
            move || imports(&d),
        ));
        let id = hf::locate(dir).unwrap().id;
        if let Some(entry) = catalog.get(&id).cloned()
            && dir.join("config.json").is_file()
        {
            let d = dir.clone();
            let k = known.clone();
            trials.push(Trial::test(
                format!("fixture::{}::matches-catalog", name(dir)),
                move || matches_catalog(&d, &entry, &k),
            ));
        }
    }
    let cards = repo().join("tests/hf-cards");
    for entry in std::fs::read_dir(&cards).unwrap() {
        let dir = entry.unwrap().path();
        trials.push(Trial::test(
            format!("card-only::{}", name(&dir)),
            move || card_only(&dir),
        ));
    }
    let ids: Vec<String> = folders.iter().map(|d| hf::locate(d).unwrap().id).collect();
    let k = known.clone();
    trials.push(Trial::test(
        "known-differences-name-fixtures-in-the-catalog",
        move || {
            let stray: Vec<String> = k
                .iter()
                .filter(|k| {
                    !ids.contains(&k.id) || catalog.get(&k.id).is_none() || k.why.trim().is_empty()
                })
                .map(|k| format!("{} {}", k.id, k.field))
                .collect();
            check(
                stray.is_empty(),
                format!("entries without a fixture, a catalog entry or a reason: {stray:?}"),
            )
        },
    ));
    let synthetic: [(&str, Check); 10] = [
        ("misshapen-card-fields", misshapen_card_fields_are_reported),
        ("cache-layout-with-refs-main", cache_layout_with_refs_main),
        (
            "cache-layout-without-refs",
            cache_layout_without_refs_takes_the_only_snapshot,
        ),
        ("card-fields", card_fields_are_mapped_and_the_rest_reported),
        (
            "summary-lists-unknown-fields",
            summary_lists_what_no_file_states,
        ),
        (
            "safetensors-headers",
            safetensors_headers_give_the_exact_count,
        ),
        (
            "safetensors-malformed",
            malformed_safetensors_are_errors_naming_the_file,
        ),
        ("unknown-model-type", unknown_model_type_names_file_and_type),
        (
            "malformed-config",
            malformed_config_names_file_line_and_field,
        ),
        (
            "merge-refuses-duplicates",
            merge_refuses_duplicate_ids_naming_both_places,
        ),
    ];
    for (n, f) in synthetic {
        trials.push(Trial::test(format!("synthetic::{n}"), f));
    }
    libtest_mimic::run(&args, trials).exit();
}
