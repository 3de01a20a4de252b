//! Seeds and dictionaries read from the repository: `examples/`, `tests/cases/`, `policies/`
//! and the schemas.

use std::path::PathBuf;

use arbiter_engine::bundle::Files;
use arbiter_engine::load::{self, Syntax};

/// The repository's root, as a plain path (findings are printed with it).
pub fn repo() -> PathBuf {
    let root = arbiter_test_support::repo();
    root.canonicalize().unwrap_or(root)
}

/// The files of a repository folder with one of these extensions, sorted by name.
pub fn files(dir: &str, exts: &[&str]) -> Vec<PathBuf> {
    arbiter_test_support::repo_listing(dir, |p| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| exts.contains(&e))
    })
    .into_iter()
    .map(|rel| repo().join(rel))
    .collect()
}

/// The contents of those files.
pub fn read_all(dir: &str, exts: &[&str]) -> Vec<Vec<u8>> {
    files(dir, exts)
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .collect()
}

/// A repository file's text (empty if it cannot be read: a missing seed is no reason to stop).
pub fn text(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_default()
}

/// Every property name and enum value in a schema, as dictionary tokens: `name: `, `"name":`
/// and each value bare and quoted.
pub fn schema_tokens(schema: &str) -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(serde_json::Value::Object(props)) = m.get("properties") {
                    for k in props.keys() {
                        out.push(format!("{k}: "));
                        out.push(format!("\"{k}\": "));
                        out.push(format!("\n{k}: "));
                        out.push(format!("\n  {k}: "));
                        out.push(format!("{k} = "));
                        out.push(format!("\n{k} = "));
                    }
                }
                if let Some(serde_json::Value::Array(values)) = m.get("enum") {
                    for e in values {
                        if let Some(s) = e.as_str() {
                            out.push(s.to_string());
                            out.push(format!("\"{s}\""));
                        }
                    }
                }
                for (k, v) in m {
                    if k == "const"
                        && let Some(s) = v.as_str()
                    {
                        out.push(s.to_string());
                    }
                    walk(v, out);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text(schema)) {
        walk(&v, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

/// The `task` of every golden case of the repository's bundles, as JSON and as YAML.
pub fn golden_tasks() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for dir in ["policies/tests", "examples/bundles/commercial/tests"] {
        for path in files(dir, &["yaml", "yml", "json"]) {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let Ok(value) = arbiter_engine::yaml::from_str::<serde_json::Value>(&text) else {
                continue;
            };
            if let Some(task) = value.get("task") {
                out.push(arbiter_engine::yaml::to_string(task).into_bytes());
                out.push(task.to_string().into_bytes());
            }
        }
    }
    out
}

/// The default catalog cut into small catalogs: its header, then `k` consecutive models.
pub fn catalog_slices(max_models: usize) -> Vec<Vec<u8>> {
    let text = text("policies/catalog.yaml");
    let Some(first) = text.find("\n  - id:") else {
        return vec![text.into_bytes()];
    };
    let header = &text[..=first];
    let starts: Vec<usize> = text
        .match_indices("\n  - id:")
        .map(|(i, _)| i + 1)
        .chain(std::iter::once(text.len()))
        .collect();
    let mut out = Vec::new();
    for (i, start) in starts.iter().enumerate().take(starts.len() - 1) {
        let k = 1 + i % max_models;
        let end = starts[(i + k).min(starts.len() - 1)];
        out.push(format!("{header}{}", &text[*start..end]).into_bytes());
    }
    out
}

/// The default bundle's files with the catalog cut to its first `models` models, so that a
/// bundle loads and decides in a millisecond or two.
pub fn small_policies(models: usize) -> Files {
    let mut files = Files::read_dir(&repo().join("policies")).unwrap_or(Files(Default::default()));
    let text = text("policies/catalog.yaml");
    let cut = text
        .match_indices("\n  - id:")
        .nth(models)
        .map_or(text.len(), |(i, _)| i + 1);
    files
        .0
        .insert("catalog.yaml".into(), text.as_bytes()[..cut].to_vec());
    files
}

/// A task every bundle can decide on (the hostile cases' fixture task).
pub fn fixed_task() -> arbiter_engine::Task {
    let text =
        "name: t\ntask: text-classification\nlanguages: [en]\ndata: {labeled_examples: 1000}\n";
    match load::task_from_str(text, Syntax::Yaml, "fixture") {
        Ok(t) => t,
        Err(e) => panic!("the fixture task does not load: {e}"),
    }
}

/// A fixed stamp, so that decisions are reproducible.
pub fn stamp() -> arbiter_engine::decide::Stamp {
    arbiter_engine::decide::Stamp {
        decision_id: "00000000-0000-7000-8000-000000000000".into(),
        created_at: "2026-01-01T00:00:00.000Z".into(),
    }
}
