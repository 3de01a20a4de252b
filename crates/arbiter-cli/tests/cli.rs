//! The `arbiter` binary, driven as a user drives it: arguments in, exit code and text out.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn arbiter(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arbiter"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("the arbiter binary runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn example_tasks() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(repo().join("examples/tasks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| {
            format!(
                "examples/tasks/{}",
                p.file_name().unwrap().to_string_lossy()
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn every_example_task_checks() {
    let tasks = example_tasks();
    assert!(tasks.len() >= 8, "{tasks:?}");
    let mut args = vec!["check"];
    args.extend(tasks.iter().map(String::as_str));
    let out = arbiter(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn four_mistakes_are_reported_in_one_run() {
    let out = arbiter(&["check", "tests/cases/invalid/four-errors-at-once.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let t = text(&out);
    for needle in [
        "/task:",
        "/languages:",
        "/data/labeled_examples:",
        "`colour`",
        "4 problems",
    ] {
        assert!(t.contains(needle), "missing {needle} in:\n{t}");
    }
}

#[test]
fn broken_yaml_names_line_and_column() {
    let out = arbiter(&["check", "tests/cases/invalid/broken-yaml.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let t = text(&out);
    assert!(t.contains("broken-yaml.yaml:6:5:"), "{t}");
}

#[test]
fn one_bad_file_fails_the_whole_check_but_all_are_checked() {
    let out = arbiter(&[
        "check",
        "tests/cases/invalid/zero-budgets.yaml",
        "examples/tasks/biomedical-ner.yaml",
        "tests/cases/invalid/wrong-types.yaml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let t = text(&out);
    assert!(
        t.contains("zero-budgets.yaml") && t.contains("wrong-types.yaml"),
        "{t}"
    );
    assert!(
        t.contains("ok      examples/tasks/biomedical-ner.yaml"),
        "{t}"
    );
    assert!(t.contains("2 of 3 file(s) invalid"), "{t}");
}

#[test]
fn missing_file_is_an_error_not_a_panic() {
    let out = arbiter(&["check", "no/such/task.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("cannot read `no/such/task.yaml`"),
        "{}",
        text(&out)
    );
}

#[test]
fn the_default_catalog_checks() {
    let out = arbiter(&["check", "--catalog", "policies/catalog.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn schema_output_equals_the_checked_in_files() {
    for kind in ["task", "catalog"] {
        let out = arbiter(&["schema", kind]);
        assert_eq!(out.status.code(), Some(0));
        let file = std::fs::read(repo().join(format!("schemas/{kind}.schema.json"))).unwrap();
        assert_eq!(
            out.stdout, file,
            "arbiter schema {kind} differs from schemas/{kind}.schema.json"
        );
    }
    let out = arbiter(&["schema", "nonsense"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("unknown schema `nonsense`"),
        "{}",
        text(&out)
    );
}

// ---------------------------------------------------------------------------------------------
// select and test

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", text(out)))
}

/// A decision without the two fields that differ from run to run.
fn stable(mut v: serde_json::Value) -> serde_json::Value {
    let o = v.as_object_mut().unwrap();
    o.remove("decision_id").unwrap();
    o.remove("created_at").unwrap();
    v
}

/// Copies a folder, following symbolic links, so a test can edit a bundle.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let target = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &target);
        } else {
            std::fs::copy(&p, &target).unwrap();
        }
    }
}

fn edit(path: &Path, from: &str, to: &str) {
    let s = std::fs::read_to_string(path).unwrap();
    assert!(
        s.contains(from),
        "{} does not contain {from:?}",
        path.display()
    );
    std::fs::write(path, s.replacen(from, to, 1)).unwrap();
}

#[test]
fn every_example_selects_with_a_valid_deterministic_decision() {
    for task in example_tasks() {
        let out = arbiter(&["select", &task, "--format", "json"]);
        assert_eq!(out.status.code(), Some(0), "{task}: {}", text(&out));
        let d = json(&out);
        let errors = arbiter_engine::SchemaKind::Decision.validate(&d);
        assert!(
            errors.is_empty(),
            "{task}: decision breaks its schema: {errors:?}"
        );
        assert!(d["chosen"].is_string(), "{task}");
        let first = &d["ranking"][0];
        assert_eq!(first["rank"], 1);
        assert_eq!(
            first["criteria"].as_object().unwrap().len(),
            6,
            "{task}: six criteria per ranked model"
        );
        let again = json(&arbiter(&["select", &task, "--format", "json"]));
        assert_ne!(d["decision_id"], again["decision_id"]);
        assert_eq!(stable(d), stable(again), "{task}: two runs differ");
    }
}

#[test]
fn the_table_shows_each_criterion_per_model() {
    let out = arbiter(&["select", "examples/tasks/chinese-sentiment-cpu.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = text(&out);
    for c in [
        "task_type",
        "language",
        "domain",
        "resources",
        "data_volume",
        "benchmarks",
        "chosen: hfl/",
    ] {
        assert!(t.contains(c), "missing {c}:\n{t}");
    }
}

#[test]
fn explain_gives_reasons_and_vetoes_and_why_not_gives_the_gap() {
    let out = arbiter(&[
        "select",
        "examples/tasks/english-classification-phone.yaml",
        "--explain",
        "--top",
        "2",
        "--why-not",
        "google-bert/bert-base-uncased",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let t = text(&out);
    assert!(t.contains("vetoed ("), "{t}");
    assert!(
        t.contains("google-bert/bert-base-uncased — resources: needs about 444 MB"),
        "{t}"
    );
    assert!(
        t.contains("why not google-bert/bert-base-uncased?\n  vetoed by resources"),
        "{t}"
    );

    let out = arbiter(&[
        "select",
        "examples/tasks/english-extractive-qa.yaml",
        "--why-not",
        "google-bert/bert-base-cased",
    ]);
    let t = text(&out);
    assert!(
        t.contains("behind") && t.contains("per criterion (winner − this)"),
        "{t}"
    );

    let out = arbiter(&[
        "select",
        "examples/tasks/english-extractive-qa.yaml",
        "--why-not",
        "no/such-model",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("`no/such-model` is not in the catalog"));
}

#[test]
fn markdown_is_a_table() {
    let out = arbiter(&[
        "select",
        "examples/tasks/legal-classification.yaml",
        "--format",
        "markdown",
        "--explain",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let t = text(&out);
    assert!(t.contains("| rank | model | score | margin |"), "{t}");
    assert!(
        t.contains("**chosen: nlpaueb/legal-bert-base-uncased**"),
        "{t}"
    );
}

#[test]
fn exit_codes_distinguish_no_choice_invalid_input_and_policy_failure() {
    let dir = tempfile::tempdir().unwrap();
    // 1: every model vetoed, and the JSON still lists why.
    let task = dir.path().join("impossible.yaml");
    std::fs::write(
        &task,
        "name: impossible\ntask: translation\nlanguages: [en, sw]\ndata: {labeled_examples: 10}\nresources: {deployment: mobile, max_memory_mb: 50}\n",
    )
    .unwrap();
    let out = arbiter(&["select", task.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let d = json(&out);
    assert!(d["chosen"].is_null());
    assert_eq!(d["outcome"], "all-vetoed");
    assert!(d["rejected"].as_array().unwrap().len() >= 47);

    // 2: an invalid task.
    let out = arbiter(&["select", "tests/cases/invalid/four-errors-at-once.yaml"]);
    assert_eq!(out.status.code(), Some(2));

    // 2: an invalid bundle, named by file, line and column.
    let bundle = dir.path().join("broken");
    copy_dir(&repo().join("policies"), &bundle);
    edit(
        &bundle.join("criteria/domain.rhai"),
        "fn evaluate(task, model) {",
        "fn evaluate(task, model) {\n    let = 1;",
    );
    let out = arbiter(&[
        "select",
        "examples/tasks/legal-classification.yaml",
        "--bundle",
        bundle.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("criteria/domain.rhai:18:9: expecting name of a variable"),
        "{}",
        text(&out)
    );

    // 3: a criterion with on_error = "fail" fails at run time.
    let bundle = dir.path().join("failing");
    copy_dir(&repo().join("policies"), &bundle);
    edit(
        &bundle.join("criteria/task_type.rhai"),
        "fn evaluate(task, model) {",
        "fn evaluate(task, model) {\n    if model.id == \"distilbert-base-uncased\" { return 1 / 0; }",
    );
    let out = arbiter(&[
        "select",
        "examples/tasks/legal-classification.yaml",
        "--bundle",
        bundle.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let d = json(&out);
    assert_eq!(d["outcome"], "failed");
    assert_eq!(d["errors"][0]["criterion"], "task_type");
    assert!(
        d["errors"][0]["at"]
            .as_str()
            .unwrap()
            .starts_with("criteria/task_type.rhai:")
    );
}

#[test]
fn a_weight_or_script_edited_on_disk_changes_the_next_select() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("policies");
    copy_dir(&repo().join("policies"), &bundle);
    let b = bundle.to_str().unwrap();
    let task = "examples/tasks/legal-classification.yaml";
    let chosen = || {
        json(&arbiter(&[
            "select", task, "--bundle", b, "--format", "json",
        ]))["chosen"]
            .clone()
    };
    assert_eq!(chosen(), "nlpaueb/legal-bert-base-uncased");

    edit(
        &bundle.join("bundle.toml"),
        "name = \"domain\"\nscript = \"criteria/domain.rhai\"\nweight = 2.0",
        "name = \"domain\"\nscript = \"criteria/domain.rhai\"\nweight = 0.0",
    );
    assert_ne!(
        chosen(),
        "nlpaueb/legal-bert-base-uncased",
        "the weight edit had no effect"
    );

    edit(&bundle.join("bundle.toml"), "weight = 0.0", "weight = 2.0");
    assert_eq!(chosen(), "nlpaueb/legal-bert-base-uncased");
    edit(
        &bundle.join("criteria/domain.rhai"),
        "if have == want {",
        "if false {",
    );
    assert_ne!(
        chosen(),
        "nlpaueb/legal-bert-base-uncased",
        "the script edit had no effect"
    );
}

#[test]
fn arbiter_test_passes_on_shipped_bundles_and_names_a_broken_case() {
    for bundle in ["policies", "examples/bundles/commercial"] {
        let out = arbiter(&["test", "--bundle", bundle]);
        assert_eq!(out.status.code(), Some(0), "{bundle}: {}", text(&out));
        assert!(text(&out).contains(" 0 failed"), "{}", text(&out));
    }
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("policies");
    copy_dir(&repo().join("policies"), &bundle);
    edit(
        &bundle.join("bundle.toml"),
        "name = \"domain\"\nscript = \"criteria/domain.rhai\"\nweight = 2.0",
        "name = \"domain\"\nscript = \"criteria/domain.rhai\"\nweight = 0.0",
    );
    let out = arbiter(&["test", "--bundle", bundle.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("FAIL  tests/legal-prefers-legal-bert.yaml"),
        "{}",
        text(&out)
    );
}

#[test]
fn the_embedded_bundle_is_used_outside_the_repository() {
    let dir = tempfile::tempdir().unwrap();
    let task = repo().join("examples/tasks/chinese-sentiment-cpu.yaml");
    let out = Command::new(env!("CARGO_BIN_EXE_arbiter"))
        .args(["select", task.to_str().unwrap(), "--format", "json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let embedded = json(&out);
    let local = json(&arbiter(&[
        "select",
        "examples/tasks/chinese-sentiment-cpu.yaml",
        "--format",
        "json",
    ]));
    assert_eq!(
        embedded["bundle"], local["bundle"],
        "the embedded bundle differs from policies/"
    );
    assert_eq!(stable(embedded), stable(local));
}

#[test]
fn script_prints_never_reach_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("policies");
    copy_dir(&repo().join("policies"), &bundle);
    edit(
        &bundle.join("criteria/domain.rhai"),
        "fn evaluate(task, model) {",
        "fn evaluate(task, model) {\n    print(\"noise\");\n    debug(\"more noise\");",
    );
    let out = arbiter(&[
        "select",
        "examples/tasks/legal-classification.yaml",
        "--bundle",
        bundle.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    json(&out);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("noise"));
}
