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
