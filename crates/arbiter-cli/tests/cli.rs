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

/// The fields in which two decision records differ, apart from the envelope every run stamps.
fn differences(a: serde_json::Value, b: serde_json::Value) -> Vec<&'static str> {
    let a: arbiter_engine::Decision = serde_json::from_value(a).unwrap();
    let b: arbiter_engine::Decision = serde_json::from_value(b).unwrap();
    a.differences(&b)
}

/// Copies a folder, following symbolic links, so a test can edit a bundle.
fn copy_dir(from: &Path, to: &Path) {
    arbiter_engine::bundle::Files::read_dir(from)
        .unwrap()
        .write_to(to)
        .unwrap();
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
            7,
            "{task}: seven criteria per ranked model (the guide's six and licence)"
        );
        let again = json(&arbiter(&["select", &task, "--format", "json"]));
        assert_ne!(d["decision_id"], again["decision_id"]);
        assert!(differences(d, again).is_empty(), "{task}: two runs differ");
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
        t.contains("weight sensitivity") && t.contains("stays chosen for weights in ["),
        "{t}"
    );
    assert!(
        t.contains("google-bert/bert-base-uncased — resources: needs about 443 MB at fp32"),
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
    assert_eq!(differences(embedded, local), Vec::<&str>::new());
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

// ---------------------------------------------------------------------------------------------
// watch

/// A running `arbiter watch` whose output lines arrive on a channel; killed when dropped.
struct Watching {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Watching {
    fn start(bundle: &Path, task: &str) -> Watching {
        let mut child = Command::new(env!("CARGO_BIN_EXE_arbiter"))
            .args([
                "watch",
                "--bundle",
                bundle.to_str().unwrap(),
                task,
                "--debounce-ms",
                "50",
            ])
            .current_dir(repo())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut w = Watching {
            child,
            lines,
            seen: Vec::new(),
        };
        w.expect("(watching for changes");
        w
    }

    /// Waits (with a deadline) for a line containing `needle`, returning it.
    fn expect(&mut self, needle: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!("no line with {needle:?}; saw:\n{}", self.seen.join("\n")),
            }
        }
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const TINY_TASK: &str = "tests/cases/watch-task.yaml";

fn version_script(v: &str) -> String {
    format!("fn evaluate(task, model) {{\n    score(0.5, \"{v}\")\n}}\n")
}

#[test]
fn watch_reloads_after_every_kind_of_save() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("bundle");
    copy_dir(&repo().join("tests/bundles/tiny"), &b);
    let mut w = Watching::start(&b, TINY_TASK);

    // In place.
    std::fs::write(b.join("criteria/version.rhai"), version_script("v2")).unwrap();
    w.expect("reloaded:");
    // Temporary file, then rename (vim, sed -i, JetBrains).
    std::fs::write(b.join("criteria/.version.rhai.tmp"), version_script("v3")).unwrap();
    std::fs::rename(
        b.join("criteria/.version.rhai.tmp"),
        b.join("criteria/version.rhai"),
    )
    .unwrap();
    w.expect("reloaded:");
    // Delete, then re-create: the gap is refused, the new file goes live.
    std::fs::remove_file(b.join("criteria/version.rhai")).unwrap();
    w.expect("rejected:");
    std::fs::write(b.join("criteria/version.rhai"), version_script("v4")).unwrap();
    w.expect("reloaded:");
    // A new criterion and its manifest entry.
    std::fs::write(b.join("criteria/depth.rhai"), version_script("depth")).unwrap();
    let mut manifest = std::fs::read_to_string(b.join("bundle.toml")).unwrap();
    manifest.push_str(
        "\n[[criterion]]\nname = \"depth\"\nscript = \"criteria/depth.rhai\"\nweight = 1.0\n",
    );
    std::fs::write(b.join("bundle.toml"), manifest).unwrap();
    w.expect("reloaded:");
    // A catalog edit.
    let catalog = std::fs::read_to_string(b.join("catalog.yaml")).unwrap();
    std::fs::write(
        b.join("catalog.yaml"),
        catalog.replacen("parameters_m: 110", "parameters_m: 120", 1),
    )
    .unwrap();
    w.expect("reloaded:");
    // A catalog edit that changes the choice: the golden case pins x/first, so it is refused
    // with the case named, and the old choice keeps serving.
    let catalog = std::fs::read_to_string(b.join("catalog.yaml")).unwrap();
    std::fs::write(
        b.join("catalog.yaml"),
        catalog.replacen("parameters_m: 66", "parameters_m: 999", 1),
    )
    .unwrap();
    let line = w.expect("rejected:");
    assert!(
        line.contains("tests/smallest-wins.yaml: golden case failed"),
        "{line}"
    );
    // Drop the golden case with the edit: now the choice moves, shown before → after.
    std::fs::remove_file(b.join("tests/smallest-wins.yaml")).unwrap();
    w.expect("reloaded:");
    w.expect("x/first → x/trigger");
    // A broken script: file, line and column; the process keeps running.
    std::fs::write(
        b.join("criteria/version.rhai"),
        "fn evaluate(task, model) {\n    score(0.5, \n",
    )
    .unwrap();
    let line = w.expect("rejected:");
    assert!(line.contains("criteria/version.rhai:3:1:"), "{line}");
    std::fs::write(b.join("criteria/version.rhai"), version_script("v5")).unwrap();
    w.expect("reloaded:");
}

#[test]
fn watch_reloads_a_configmap_update() {
    let dir = tempfile::tempdir().unwrap();
    let mount = dir.path().join("mount");
    std::fs::create_dir_all(&mount).unwrap();
    copy_dir(&repo().join("tests/bundles/tiny"), &mount.join("..2026_01"));
    std::os::unix::fs::symlink("..2026_01", mount.join("..data")).unwrap();
    for name in ["bundle.toml", "catalog.yaml", "criteria", "tests"] {
        std::os::unix::fs::symlink(format!("..data/{name}"), mount.join(name)).unwrap();
    }
    let mut w = Watching::start(&mount, TINY_TASK);
    copy_dir(&mount.join("..2026_01"), &mount.join("..2026_02"));
    std::fs::write(
        mount.join("..2026_02/criteria/version.rhai"),
        version_script("v2"),
    )
    .unwrap();
    std::os::unix::fs::symlink("..2026_02", mount.join("..data_tmp")).unwrap();
    std::fs::rename(mount.join("..data_tmp"), mount.join("..data")).unwrap();
    w.expect("reloaded:");
}

// ---------------------------------------------------------------------------------------------
// audit

#[test]
fn logged_selects_verify_replay_and_explain_themselves() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.log");
    let l = log.to_str().unwrap();
    let mut ids = Vec::new();
    for task in example_tasks().iter().take(4) {
        let out = arbiter(&["select", task, "--log", l, "--format", "json"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        ids.push(json(&out)["decision_id"].as_str().unwrap().to_string());
    }
    let out = arbiter(&["audit", "verify", l]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("intact: 4 records"), "{}", text(&out));
    let head = text(&out)
        .lines()
        .find_map(|l| l.strip_prefix("head: "))
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    let out = arbiter(&["audit", "verify", l, "--expect-head", &head]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let out = arbiter(&["audit", "replay", l]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("4 replayed: 4 identical"),
        "{}",
        text(&out)
    );

    let out = arbiter(&["audit", "show", l, &ids[1]]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains(" was chosen because:") && t.contains("was rejected by"),
        "{t}"
    );
    let out = arbiter(&["audit", "show", l, &ids[1], "--format", "json"]);
    assert_eq!(json(&out)["decision"]["decision_id"], ids[1].as_str());

    // Flip one character of the third record.
    let content = std::fs::read_to_string(&log).unwrap();
    let mut lines: Vec<String> = content.lines().map(str::to_string).collect();
    lines[2] = lines[2].replacen("\"rank\":1", "\"rank\":7", 1);
    std::fs::write(
        &log,
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
    let out = arbiter(&["audit", "verify", l]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("the record at line 3 was edited"),
        "{}",
        text(&out)
    );
}

#[test]
fn audit_diff_lists_the_choices_a_candidate_bundle_changes() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.log");
    let l = log.to_str().unwrap();
    for task in example_tasks() {
        arbiter(&[
            "select",
            &task,
            "--log",
            l,
            "--log-sync",
            "batch",
            "--format",
            "json",
        ]);
    }
    let bundle = dir.path().join("candidate");
    copy_dir(&repo().join("policies"), &bundle);
    edit(
        &bundle.join("bundle.toml"),
        "name = \"domain\"\nscript = \"criteria/domain.rhai\"\nweight = 2.0",
        "name = \"domain\"\nscript = \"criteria/domain.rhai\"\nweight = 0.0",
    );
    let out = arbiter(&["audit", "diff", l, "--bundle", bundle.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("“Court-decision topic classification”: nlpaueb/legal-bert-base-uncased → "),
        "{t}"
    );
    assert!(
        t.contains(&format!(
            "of {} logged decisions would change",
            example_tasks().len()
        )),
        "{t}"
    );
}

#[test]
fn a_writer_killed_mid_stream_leaves_a_log_whose_complete_records_verify() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_arbiter"))
        .args([
            "select",
            "examples/tasks/legal-classification.yaml",
            "--log",
            log.to_str().unwrap(),
            "--repeat",
            "1000000",
        ])
        .current_dir(repo())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::fs::read_to_string(&log).map_or(0, |t| t.lines().count()) < 20 {
        assert!(
            std::time::Instant::now() < deadline,
            "the writer wrote too little"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let out = arbiter(&["audit", "verify", log.to_str().unwrap()]);
    let t = text(&out);
    // Either the kill fell between records (intact) or inside one (a truncated last line);
    // never anything else.
    assert!(
        (out.status.code() == Some(0) && t.contains("intact"))
            || (out.status.code() == Some(1)
                && t.contains("is truncated")
                && t.contains("complete records before it verify")),
        "{t}"
    );
    // The next writer continues the chain.
    let out = arbiter(&[
        "select",
        "examples/tasks/legal-classification.yaml",
        "--log",
        log.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = arbiter(&["audit", "verify", log.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

// ---------------------------------------------------------------------------------------------
// serve, end to end: the real binary on a free loopback port, driven by a real HTTP client

struct Server {
    child: std::process::Child,
    base: String,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_arbiter"))
            .arg("serve")
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .current_dir(repo())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected: {line}"))
            .to_string();
        Server { child, base }
    }

    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into()
    }

    fn post(&self, path: &str, content_type: &str, body: &[u8]) -> (u16, String) {
        let mut res = Self::agent()
            .post(&format!("{}{path}", self.base))
            .header("content-type", content_type)
            .send(body)
            .unwrap();
        (
            res.status().as_u16(),
            res.body_mut().read_to_string().unwrap(),
        )
    }

    fn get(&self, path: &str) -> (u16, String) {
        let mut res = Self::agent()
            .get(&format!("{}{path}", self.base))
            .call()
            .unwrap();
        (
            res.status().as_u16(),
            res.body_mut().read_to_string().unwrap(),
        )
    }

    /// The status answered to a POST of `len` bytes. Raw, because the server answers 413 once the
    /// body passes the limit and closes, which HTTP clients still sending the body report as a
    /// broken pipe rather than as the response.
    fn oversized_post_status(&self, len: usize) -> u16 {
        use std::io::{Read, Write};
        let addr = self.base.strip_prefix("http://").unwrap();
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        let head = format!(
            "POST /v1/select HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        // The body goes from another thread, ignoring write errors: the server stops reading at
        // the limit, answers and closes.
        let mut writer = stream.try_clone().unwrap();
        std::thread::spawn(move || {
            let _ = writer.write_all(&vec![b' '; len]);
        });
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status in {response:?}"))
    }

    fn terminate(&self) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn content_type(task: &str) -> &'static str {
    if task.ends_with(".json") {
        "application/json"
    } else {
        "application/yaml"
    }
}

#[test]
fn cli_and_http_give_the_same_decisions() {
    let server = Server::start(&["--bundle", "policies"]);
    let mut tasks = example_tasks();
    tasks.push("examples/tasks/chinese-reading-comprehension.json".into());
    for task in tasks {
        let body = std::fs::read(repo().join(&task)).unwrap();
        let (status, http) = server.post("/v1/select", content_type(&task), &body);
        assert_eq!(status, 200, "{task}: {http}");
        let cli =
            String::from_utf8(arbiter(&["select", &task, "--format", "json"]).stdout).unwrap();
        let strip = |s: &str| -> String {
            s.lines()
                .filter(|l| {
                    !l.starts_with("  \"decision_id\"") && !l.starts_with("  \"created_at\"")
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(strip(&http), strip(&cli), "{task}: CLI and HTTP differ");
    }
    let invalid =
        std::fs::read(repo().join("tests/cases/invalid/four-errors-at-once.yaml")).unwrap();
    let (status, body) = server.post("/v1/select", "application/yaml", &invalid);
    assert_eq!(status, 400);
    for pointer in [
        "\"/task\"",
        "\"/languages\"",
        "\"/data/labeled_examples\"",
        "`colour`",
    ] {
        assert!(body.contains(pointer), "{body}");
    }
    assert_eq!(server.oversized_post_status(2 << 20), 413);
}

#[test]
fn serve_reloads_while_serving_and_finishes_requests_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    copy_dir(&repo().join("tests/bundles/tiny"), &bundle);
    // A deliberately slow criterion, so that a request is in flight when SIGTERM arrives.
    std::fs::write(
        bundle.join("criteria/slow.rhai"),
        "fn evaluate(task, model) {\n    let i = 0;\n    while i < 400000 { i += 1; }\n    score(0.5, \"slow\")\n}\n",
    )
    .unwrap();
    let mut manifest = std::fs::read_to_string(bundle.join("bundle.toml")).unwrap();
    manifest = manifest.replace(
        "catalog = \"catalog.yaml\"",
        "catalog = \"catalog.yaml\"\n\n[limits]\nmax_operations = 100000000\ntimeout_ms = 30000",
    );
    manifest.push_str(
        "\n[[criterion]]\nname = \"slow\"\nscript = \"criteria/slow.rhai\"\nweight = 1.0\n",
    );
    std::fs::write(bundle.join("bundle.toml"), manifest).unwrap();
    let log = dir.path().join("decisions.log");
    let server = Server::start(&[
        "--bundle",
        bundle.to_str().unwrap(),
        "--log",
        log.to_str().unwrap(),
    ]);
    assert_eq!(server.get("/readyz").0, 200);
    let task = std::fs::read(repo().join(TINY_TASK)).unwrap();

    // A reload while serving.
    let (_, before) = server.get("/v1/bundle");
    assert!(before.contains("\"generation\":1"), "{before}");
    std::fs::write(bundle.join("criteria/version.rhai"), version_script("v2")).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !server.get("/v1/bundle").1.contains("\"generation\":2") {
        assert!(std::time::Instant::now() < deadline, "no reload");
        let (status, _) = server.post("/v1/select", "application/yaml", &task);
        assert_eq!(status, 200, "a request failed during the reload");
    }
    let (_, body) = server.post("/v1/select", "application/yaml", &task);
    assert!(
        body.contains("\"v2\""),
        "the reloaded bundle does not serve: {body}"
    );

    // SIGTERM during a request: it still completes, then the process exits cleanly.
    let base = server.base.clone();
    let in_flight = std::thread::spawn(move || {
        let mut res = Server::agent()
            .post(&format!("{base}/v1/select"))
            .header("content-type", "application/yaml")
            .send(&task)
            .unwrap();
        (
            res.status().as_u16(),
            res.body_mut().read_to_string().unwrap(),
        )
    });
    std::thread::sleep(std::time::Duration::from_millis(100));
    server.terminate();
    let (status, body) = in_flight.join().unwrap();
    assert_eq!(status, 200, "{body}");
    let mut server = server;
    let exit = server.child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    let out = arbiter(&["audit", "verify", log.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let id = json_str(&body, "decision_id");
    let out = arbiter(&["audit", "show", log.to_str().unwrap(), &id]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the in-flight decision was not logged: {}",
        text(&out)
    );
}

fn json_str(body: &str, key: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body).unwrap()[key]
        .as_str()
        .unwrap()
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// catalog import

/// Every folder of tests/hf, as a path relative to the repository.
fn hf_fixtures() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(repo().join("tests/hf"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| format!("tests/hf/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    v.sort();
    v
}

const TINY_BERT: &str = r#"{"architectures": ["BertForMaskedLM"], "model_type": "bert",
  "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 256,
  "max_position_embeddings": 128, "vocab_size": 1000}"#;

#[test]
fn catalog_import_of_every_fixture_checks() {
    let fixtures = hf_fixtures();
    assert!(fixtures.len() >= 10, "{fixtures:?}");
    // The folders the engine cannot import (no config.json, or nothing states a task) must be
    // named on stderr; the others end up in a catalog that `arbiter check` accepts.
    let failing: Vec<&String> = fixtures
        .iter()
        .filter(|f| arbiter_engine::hf::import(&repo().join(f), None).is_err())
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let out_file = tmp.path().join("imported.yaml");
    let mut args = vec!["catalog", "import"];
    args.extend(fixtures.iter().map(String::as_str));
    let out_arg = out_file.to_string_lossy().into_owned();
    args.extend(["--output", &out_arg]);
    let out = arbiter(&args);
    let t = text(&out);
    let expected = if failing.is_empty() { 0 } else { 2 };
    assert_eq!(out.status.code(), Some(expected), "{t}");
    for f in &failing {
        assert!(t.contains(&format!("error: {f}")), "{f} not reported:\n{t}");
    }
    let imported = fixtures.len() - failing.len();
    assert!(t.contains(&format!("wrote {imported} model(s)")), "{t}");
    assert!(t.contains("left absent  languages"), "{t}");
    let check = arbiter(&["check", "--catalog", &out_arg]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    assert!(
        text(&check).contains(&format!("{imported} models")),
        "{}",
        text(&check)
    );
}

#[test]
fn catalog_import_merge_refuses_duplicate_ids_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out_file = tmp.path().join("merged.yaml");
    let out_arg = out_file.to_string_lossy().into_owned();
    let out = arbiter(&[
        "catalog",
        "import",
        "tests/hf/google-bert--bert-base-uncased",
        "--merge",
        "policies/catalog.yaml",
        "--output",
        &out_arg,
    ]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains(
            "duplicate id `google-bert/bert-base-uncased`: `policies/catalog.yaml` (/models/"
        ) && t.contains("imported from `tests/hf/google-bert--bert-base-uncased`"),
        "{t}"
    );
    assert!(!out_file.exists(), "nothing may be written");

    // A new id is appended, and the result checks.
    let dir = tmp.path().join("acme--tiny-bert");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.json"), TINY_BERT).unwrap();
    let dir_arg = dir.to_string_lossy().into_owned();
    let out = arbiter(&[
        "catalog",
        "import",
        &dir_arg,
        "--merge",
        "policies/catalog.yaml",
        "--output",
        &out_arg,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let base = arbiter_engine::load::load_catalog(&repo().join("policies/catalog.yaml"))
        .unwrap()
        .models
        .len();
    let merged = arbiter_engine::load::load_catalog(&out_file).unwrap();
    assert_eq!(merged.models.len(), base + 1);
    assert_eq!(merged.models[base].id, "acme/tiny-bert");
}

#[test]
fn catalog_import_reports_every_bad_path_and_still_imports_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let vit = tmp.path().join("google--vit-base");
    std::fs::create_dir_all(&vit).unwrap();
    std::fs::write(vit.join("config.json"), r#"{"model_type": "vit"}"#).unwrap();
    let vit_arg = vit.to_string_lossy().into_owned();
    let out = arbiter(&[
        "catalog",
        "import",
        &vit_arg,
        "no/such/folder",
        "tests/hf/openai-community--gpt2",
    ]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("google--vit-base/config.json: unknown model_type `vit`"),
        "{t}"
    );
    assert!(t.contains("cannot read `no/such/folder`"), "{t}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("- id: openai-community/gpt2"), "{stdout}");
    assert!(
        stdout.contains("'hf-folder tests/hf/openai-community--gpt2: config.json, README.md'"),
        "{stdout}"
    );

    let out = arbiter(&["catalog", "import", "--id", "a/b", &vit_arg, &vit_arg]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("--id names one model"),
        "{}",
        text(&out)
    );

    let help = arbiter(&["catalog", "import", "--help"]);
    let h = text(&help);
    assert!(
        h.contains("huggingface-cli download") && h.contains("never touches the network"),
        "{h}"
    );
}
