//! The `arbiter` binary, driven as a user drives it: arguments in, exit code and text out.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use std::path::Path;
use std::process::{Output, Stdio};

use arbiter_report::html::escape;
use arbiter_test_support::{
    Binary, BundleCopy, Running, assert_exit, assert_says, copy_dir, external_references,
    oversized_post_status, repo, repo_listing, text,
};

const ARBITER: Binary = Binary::new(env!("CARGO_BIN_EXE_arbiter"));

const LEGAL: &str = "examples/tasks/legal-classification.yaml";

/// `arbiter ARGS`, run from the repository root to completion.
fn arbiter(args: &[&str]) -> Output {
    ARBITER.run(args)
}

/// `arbiter select TASK [--bundle BUNDLE] --format json`.
fn select_json(task: &str, bundle: Option<&str>) -> Output {
    let mut args = vec!["select", task];
    if let Some(b) = bundle {
        args.extend(["--bundle", b]);
    }
    args.extend(["--format", "json"]);
    arbiter(&args)
}

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

fn example_tasks() -> Vec<String> {
    repo_listing("examples/tasks", |p| {
        p.extension().is_some_and(|e| e == "yaml")
    })
}

// ---------------------------------------------------------------------------------------------
// check and schema

#[test]
fn every_example_task_checks() {
    let tasks = example_tasks();
    assert!(tasks.len() >= 8, "{tasks:?}");
    let mut args = vec!["check"];
    args.extend(tasks.iter().map(String::as_str));
    assert_exit(&arbiter(&args), 0);
}

#[test]
fn four_mistakes_are_reported_in_one_run() {
    let out = arbiter(&["check", "tests/cases/invalid/four-errors-at-once.yaml"]);
    assert_exit(&out, 2);
    for needle in [
        "/task:",
        "/languages:",
        "/data/labeled_examples:",
        "`colour`",
        "4 problems",
    ] {
        assert_says(&out, needle);
    }
}

#[test]
fn a_problem_is_shown_in_its_source_line_with_the_fix() {
    let out = arbiter(&[
        "check",
        "tests/cases/invalid/misspelt-names-get-suggestions.yaml",
    ]);
    assert_exit(&out, 2);
    // The headline editors jump to, the source line, the span underlined, the fix.
    assert_says(
        &out,
        "misspelt-names-get-suggestions.yaml:15:1: /: unknown field `lanugages`",
    );
    assert_says(&out, " 15 │ lanugages: [en]\n    · ────┬────");
    assert_says(&out, "help: did you mean `languages`?");
    assert_says(&out, "invalid task, 6 problems");
}

#[test]
fn broken_yaml_names_line_and_column() {
    let out = arbiter(&["check", "tests/cases/invalid/broken-yaml.yaml"]);
    assert_exit(&out, 2);
    assert_says(&out, "broken-yaml.yaml:6:5:");
}

#[test]
fn one_bad_file_fails_the_whole_check_but_all_are_checked() {
    let out = arbiter(&[
        "check",
        "tests/cases/invalid/zero-budgets.yaml",
        "examples/tasks/biomedical-ner.yaml",
        "tests/cases/invalid/wrong-types.yaml",
    ]);
    assert_exit(&out, 2);
    assert_says(&out, "zero-budgets.yaml");
    assert_says(&out, "wrong-types.yaml");
    assert_says(&out, "ok      examples/tasks/biomedical-ner.yaml");
    assert_says(&out, "2 of 3 file(s) invalid");
}

#[test]
fn missing_file_is_an_error_not_a_panic() {
    let out = arbiter(&["check", "no/such/task.yaml"]);
    assert_exit(&out, 2);
    assert_says(&out, "cannot read `no/such/task.yaml`");
}

/// An invalid catalog given with `--catalog` is named as given, for the embedded bundle and a
/// bundle folder alike (the errors named the bundle's own `catalog.yaml`).
#[test]
fn catalog_errors_name_the_catalog_given() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("mine.yaml");
    std::fs::write(&bad, "models: [{id: 1}]\n").unwrap();
    let bad = bad.display().to_string();
    for bundle in [None, Some("policies")] {
        let mut args = vec![
            "select",
            "examples/tasks/legal-classification.yaml",
            "--catalog",
            &bad,
        ];
        if let Some(b) = bundle {
            args.extend(["--bundle", b]);
        }
        let out = arbiter(&args);
        assert_exit(&out, 2);
        assert_says(&out, &format!("{bad}:1:10: /models/0:"));
        assert!(!text(&out).contains("catalog.yaml"), "{}", text(&out));
    }
}

#[test]
fn the_default_catalog_checks() {
    assert_exit(
        &arbiter(&["check", "--catalog", "policies/catalog.yaml"]),
        0,
    );
}

#[test]
fn schema_output_equals_the_checked_in_files() {
    for kind in ["task", "catalog"] {
        let out = arbiter(&["schema", kind]);
        assert_exit(&out, 0);
        let file = std::fs::read(repo().join(format!("schemas/{kind}.schema.json"))).unwrap();
        assert_eq!(
            out.stdout, file,
            "arbiter schema {kind} differs from schemas/{kind}.schema.json"
        );
    }
    let out = arbiter(&["schema", "nonsense"]);
    assert_exit(&out, 2);
    assert_says(&out, "unknown schema `nonsense`");
}

// ---------------------------------------------------------------------------------------------
// select and test

#[test]
fn every_example_selects_with_a_valid_deterministic_decision() {
    for task in example_tasks() {
        let out = select_json(&task, None);
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
        let again = json(&select_json(&task, None));
        assert_ne!(d["decision_id"], again["decision_id"]);
        assert!(differences(d, again).is_empty(), "{task}: two runs differ");
    }
}

#[test]
fn the_table_shows_each_criterion_per_model() {
    let out = arbiter(&["select", "examples/tasks/chinese-sentiment-cpu.yaml"]);
    assert_exit(&out, 0);
    for c in [
        "task_type",
        "language",
        "domain",
        "resources",
        "data_volume",
        "benchmarks",
        "chosen: hfl/",
    ] {
        assert_says(&out, c);
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
    assert_exit(&out, 0);
    assert_says(&out, "vetoed (");
    assert_says(&out, "weight sensitivity");
    assert_says(&out, "stays chosen for weights in [");
    assert_says(
        &out,
        "google-bert/bert-base-uncased — resources: needs about 443 MB at fp32",
    );
    assert_says(
        &out,
        "why not google-bert/bert-base-uncased?\n  vetoed by resources",
    );

    let out = arbiter(&[
        "select",
        "examples/tasks/english-extractive-qa.yaml",
        "--why-not",
        "google-bert/bert-base-cased",
    ]);
    assert_says(&out, "behind");
    assert_says(&out, "per criterion (winner − this)");

    let out = arbiter(&[
        "select",
        "examples/tasks/english-extractive-qa.yaml",
        "--why-not",
        "no/such-model",
    ]);
    assert_exit(&out, 2);
    assert_says(&out, "`no/such-model` is not in the catalog");

    // A near miss names the id meant.
    let out = arbiter(&[
        "select",
        "examples/tasks/english-extractive-qa.yaml",
        "--why-not",
        "google-bert/bert-large-uncase",
    ]);
    assert_exit(&out, 2);
    assert_says(&out, "help: did you mean `google-bert/bert-large-uncased`?");
}

#[test]
fn markdown_is_a_table() {
    let out = arbiter(&["select", LEGAL, "--format", "markdown", "--explain"]);
    assert_exit(&out, 0);
    assert_says(&out, "| rank | model | score | margin |");
    assert_says(&out, "**chosen: nlpaueb/legal-bert-base-uncased**");
}

/// The part of an HTML page from the chart with this id to its end.
fn svg_of<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("<svg class=\"chart\" id=\"{id}\""))
        .unwrap_or_else(|| panic!("no chart {id}"));
    let end = start + page[start..].find("</svg>").unwrap();
    &page[start..end]
}

#[test]
fn select_writes_one_self_contained_html_page() {
    let dir = tempfile::tempdir().unwrap();
    let out = arbiter(&["select", LEGAL, "--format", "html"]);
    assert_exit(&out, 0);
    // What `> report.html` writes.
    let file = dir.path().join("report.html");
    std::fs::write(&file, &out.stdout).unwrap();
    let page = std::fs::read_to_string(&file).unwrap();
    assert!(
        page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"),
        "{page}"
    );
    assert!(page.trim_end().ends_with("</html>"));
    assert_eq!(external_references(&page), Vec::<String>::new());

    let d = json(&select_json(LEGAL, None));
    let ranking = d["ranking"].as_array().unwrap();
    for r in ranking {
        let model = escape(r["model"].as_str().unwrap()).to_string();
        assert!(
            page.contains(&format!("<th scope=\"row\"><code>{model}</code></th>")),
            "{model} is not in the ranking table"
        );
    }
    let chosen = d["chosen"].as_str().unwrap();
    assert_says(&out, &format!("{} was chosen", escape(chosen)));
    assert_says(&out, "Court-decision topic classification");
    assert_says(&out, d["task_hash"].as_str().unwrap());
    // Ten bars by default, each labelled with its score; the what-if table is there.
    let bars = svg_of(&page, "arbiter-scores");
    assert_eq!(bars.matches("data-score=").count(), ranking.len().min(10));
    assert!(svg_of(&page, "arbiter-cost").contains("estimated latency of one call (ms)"));
    assert_says(
        &out,
        "<caption>For each task field, the nearest value tried",
    );

    let out = arbiter(&[
        "select",
        LEGAL,
        "--format",
        "html",
        "--top",
        "3",
        "--chart-x",
        "memory",
    ]);
    assert_exit(&out, 0);
    let page = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(
        svg_of(&page, "arbiter-scores")
            .matches("data-score=")
            .count(),
        3
    );
    assert!(svg_of(&page, "arbiter-cost").contains("estimated memory of one call (MB)"));

    let out = arbiter(&["select", LEGAL, "--format", "html", "--why-not", "x"]);
    assert_exit(&out, 2);
    assert_says(&out, "--why-not is not part of the HTML report");
}

#[test]
fn exit_codes_distinguish_no_choice_invalid_input_and_policy_failure() {
    // 1: every model vetoed, and the JSON still lists why.
    let dir = tempfile::tempdir().unwrap();
    let task = dir.path().join("impossible.yaml");
    std::fs::write(
        &task,
        "name: impossible\ntask: translation\nlanguages: [en, sw]\ndata: {labeled_examples: 10}\nresources: {deployment: mobile, max_memory_mb: 50}\n",
    )
    .unwrap();
    let out = select_json(task.to_str().unwrap(), None);
    assert_exit(&out, 1);
    let d = json(&out);
    assert!(d["chosen"].is_null());
    assert_eq!(d["outcome"], "all-vetoed");
    assert!(d["rejected"].as_array().unwrap().len() >= 47);

    // 2: an invalid task.
    let out = arbiter(&["select", "tests/cases/invalid/four-errors-at-once.yaml"]);
    assert_exit(&out, 2);

    // 2: an invalid bundle, named by file, line and column.
    let broken = BundleCopy::policies();
    broken.prepend_to_evaluate("domain", &["let = 1;"]);
    let out = arbiter(&["select", LEGAL, "--bundle", broken.arg()]);
    assert_exit(&out, 2);
    assert_says(
        &out,
        "criteria/domain.rhai:18:9: expecting name of a variable",
    );

    // 3: a criterion with on_error = "fail" fails at run time.
    let failing = BundleCopy::policies();
    failing.prepend_to_evaluate(
        "task_type",
        &["if model.id == \"distilbert-base-uncased\" { return 1 / 0; }"],
    );
    let out = select_json(LEGAL, Some(failing.arg()));
    assert_exit(&out, 3);
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
    let bundle = BundleCopy::policies();
    let chosen = || json(&select_json(LEGAL, Some(bundle.arg())))["chosen"].clone();
    assert_eq!(chosen(), "nlpaueb/legal-bert-base-uncased");

    bundle.reweigh("domain", "2.0", "0.0");
    assert_ne!(
        chosen(),
        "nlpaueb/legal-bert-base-uncased",
        "the weight edit had no effect"
    );

    bundle.reweigh("domain", "0.0", "2.0");
    assert_eq!(chosen(), "nlpaueb/legal-bert-base-uncased");
    bundle.patch_script("domain", "if have == want {", "if false {");
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
        assert_says(&out, " 0 failed");
    }
    let bundle = BundleCopy::policies();
    bundle.reweigh("domain", "2.0", "0.0");
    let out = arbiter(&["test", "--bundle", bundle.arg()]);
    assert_exit(&out, 1);
    assert_says(&out, "FAIL  tests/legal-prefers-legal-bert.yaml");
}

#[test]
fn the_embedded_bundle_is_used_outside_the_repository() {
    let dir = tempfile::tempdir().unwrap();
    let task = repo().join("examples/tasks/chinese-sentiment-cpu.yaml");
    let out = ARBITER.run_in(
        dir.path(),
        &["select", task.to_str().unwrap(), "--format", "json"],
    );
    assert_exit(&out, 0);
    let embedded = json(&out);
    let local = json(&select_json(
        "examples/tasks/chinese-sentiment-cpu.yaml",
        None,
    ));
    assert_eq!(
        embedded["bundle"], local["bundle"],
        "the embedded bundle differs from policies/"
    );
    assert_eq!(differences(embedded, local), Vec::<&str>::new());
}

#[test]
fn script_prints_never_reach_stdout() {
    let bundle = BundleCopy::policies();
    bundle.prepend_to_evaluate("domain", &["print(\"noise\");", "debug(\"more noise\");"]);
    let out = select_json(LEGAL, Some(bundle.arg()));
    assert_exit(&out, 0);
    json(&out);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("noise"));
}

// ---------------------------------------------------------------------------------------------
// watch

const TINY_TASK: &str = "tests/cases/watch-task.yaml";

fn version_script(v: &str) -> String {
    format!("fn evaluate(task, model) {{\n    score(0.5, \"{v}\")\n}}\n")
}

/// A running `arbiter watch`, once it says it is watching; killed when dropped.
fn watch(bundle: &Path, task: &str) -> Running {
    let mut w = ARBITER.start(&[
        "watch",
        "--bundle",
        bundle.to_str().unwrap(),
        task,
        "--debounce-ms",
        "50",
    ]);
    w.expect("(watching for changes");
    w
}

#[test]
fn watch_reloads_after_every_kind_of_save() {
    let bundle = BundleCopy::of("tests/bundles/tiny");
    let b = bundle.path();
    let mut w = watch(b, TINY_TASK);

    // In place.
    bundle.write("criteria/version.rhai", &version_script("v2"));
    w.expect("reloaded:");
    // Temporary file, then rename (vim, sed -i, JetBrains).
    bundle.write("criteria/.version.rhai.tmp", &version_script("v3"));
    std::fs::rename(
        b.join("criteria/.version.rhai.tmp"),
        b.join("criteria/version.rhai"),
    )
    .unwrap();
    w.expect("reloaded:");
    // Delete, then re-create: the gap is refused, the new file goes live.
    std::fs::remove_file(b.join("criteria/version.rhai")).unwrap();
    w.expect("rejected:");
    bundle.write("criteria/version.rhai", &version_script("v4"));
    w.expect("reloaded:");
    // A new criterion and its manifest entry.
    bundle.write("criteria/depth.rhai", &version_script("depth"));
    bundle.append(
        "bundle.toml",
        "\n[[criterion]]\nname = \"depth\"\nscript = \"criteria/depth.rhai\"\nweight = 1.0\n",
    );
    w.expect("reloaded:");
    // A catalog edit.
    bundle.patch("catalog.yaml", "parameters_m: 110", "parameters_m: 120");
    w.expect("reloaded:");
    // A catalog edit that changes the choice: the golden case pins x/first, so it is refused
    // with the case named, and the old choice keeps serving.
    bundle.patch("catalog.yaml", "parameters_m: 66", "parameters_m: 999");
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
    bundle.write(
        "criteria/version.rhai",
        "fn evaluate(task, model) {\n    score(0.5, \n",
    );
    let line = w.expect("rejected:");
    assert!(line.contains("criteria/version.rhai:3:1:"), "{line}");
    bundle.write("criteria/version.rhai", &version_script("v5"));
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
    let mut w = watch(&mount, TINY_TASK);
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

/// Edits the record at `index` (0-based) of a log: its first rank 1 becomes rank 7.
fn flip_a_character(log: &Path, index: usize) {
    let content = std::fs::read_to_string(log).unwrap();
    let mut lines: Vec<String> = content.lines().map(str::to_string).collect();
    lines[index] = lines[index].replacen("\"rank\":1", "\"rank\":7", 1);
    std::fs::write(
        log,
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
}

/// The first `n` example tasks selected with `--log LOG`: their decision ids.
fn logged_selects(log: &str, n: usize) -> Vec<String> {
    example_tasks()
        .iter()
        .take(n)
        .map(|task| {
            let out = arbiter(&["select", task, "--log", log, "--format", "json"]);
            assert_exit(&out, 0);
            json(&out)["decision_id"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn logged_selects_verify_replay_and_explain_themselves() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.log");
    let l = log.to_str().unwrap();
    let ids = logged_selects(l, 4);
    let out = arbiter(&["audit", "verify", l]);
    assert_exit(&out, 0);
    assert_says(&out, "intact: 4 records");
    let head = text(&out)
        .lines()
        .find_map(|l| l.strip_prefix("head: "))
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    assert_exit(&arbiter(&["audit", "verify", l, "--expect-head", &head]), 0);

    let out = arbiter(&["audit", "replay", l]);
    assert_exit(&out, 0);
    assert_says(&out, "4 replayed: 4 identical");

    let out = arbiter(&["audit", "show", l, &ids[1]]);
    assert_exit(&out, 0);
    assert_says(&out, " was chosen because:");
    assert_says(&out, "was rejected by");
    let out = arbiter(&["audit", "show", l, &ids[1], "--format", "json"]);
    assert_eq!(json(&out)["decision"]["decision_id"], ids[1].as_str());

    // Flip one character of the third record.
    flip_a_character(&log, 2);
    let out = arbiter(&["audit", "verify", l]);
    assert_exit(&out, 1);
    assert_says(&out, "the record at line 3 was edited");
}

/// Replay and diff verify the log first: a log tampered with in any way is refused with exit 1
/// (replay printed "4 replayed: 4 identical" and exited 0 over an edited `chosen`, silently
/// skipping the edited record).
#[test]
fn replay_and_diff_refuse_a_log_that_does_not_verify() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.log");
    let l = log.to_str().unwrap();
    logged_selects(l, 4);
    let good = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = good.lines().collect();
    let edit_chosen = {
        let mut v: Vec<String> = lines.iter().map(|s| (*s).to_string()).collect();
        let record: serde_json::Value = serde_json::from_str(&v[1]).unwrap();
        let chosen = record["decision"]["chosen"].as_str().unwrap().to_string();
        v[1] = v[1].replacen(
            &format!("\"chosen\":\"{chosen}\""),
            "\"chosen\":\"someone/else\"",
            1,
        );
        assert_ne!(v[1], lines[1]);
        v
    };
    let tampered: Vec<(&str, Vec<String>)> = vec![
        ("chosen edited into valid JSON", edit_chosen),
        (
            "a line duplicated",
            [&lines[..2], &lines[1..]]
                .concat()
                .iter()
                .map(|s| (*s).to_string())
                .collect(),
        ),
        (
            "two lines swapped",
            [lines[0], lines[2], lines[1], lines[3]]
                .iter()
                .map(|s| (*s).to_string())
                .collect(),
        ),
        (
            "a line deleted",
            [lines[0], lines[2], lines[3]]
                .iter()
                .map(|s| (*s).to_string())
                .collect(),
        ),
    ];
    for (what, content) in tampered {
        std::fs::write(
            &log,
            content.iter().map(|l| format!("{l}\n")).collect::<String>(),
        )
        .unwrap();
        let out = arbiter(&["audit", "replay", l]);
        assert_exit(&out, 1);
        assert_says(&out, "does not verify");
        assert!(!text(&out).contains("replayed:"), "{what}: {}", text(&out));
        let out = arbiter(&["audit", "diff", l, "--bundle", "policies"]);
        assert_exit(&out, 1);
        assert_says(&out, "refusing to diff");
    }
    // A torn last line (a crash mid-write) is noted, and the records before it replay.
    std::fs::write(&log, format!("{good}{{\"decision\":")).unwrap();
    let out = arbiter(&["audit", "replay", l]);
    assert_exit(&out, 0);
    assert_says(&out, "4 replayed: 4 identical");
    assert_says(&out, "note: the last record (line 5) is truncated");
}

#[test]
fn audit_show_html_states_the_record_and_whether_the_chain_verifies_up_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.log");
    let l = log.to_str().unwrap();
    let ids = logged_selects(l, 3);
    let record = json(&arbiter(&["audit", "show", l, &ids[1], "--format", "json"]));
    let out = arbiter(&["audit", "show", l, &ids[1], "--format", "html"]);
    assert_exit(&out, 0);
    let page = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(external_references(&page), Vec::<String>::new());
    assert_says(&out, "<dt>Log record</dt><dd>2</dd>");
    assert_says(
        &out,
        &format!(
            "<dt>Record hash</dt><dd><code>{}</code></dd>",
            record["hash"].as_str().unwrap()
        ),
    );
    assert_says(
        &out,
        "<span class=\"verified\">verified up to this record</span>: all 3 records",
    );
    assert_says(&out, &ids[1]);
    // The archive holds the bundle: the cost chart is drawn.
    svg_of(&page, "arbiter-cost");

    // Edit the first record: the chain no longer verifies up to the second.
    flip_a_character(&log, 0);
    let out = arbiter(&["audit", "show", l, &ids[1], "--format", "html"]);
    // Shown (it is evidence), but the exit status says it is not vouched for.
    assert_exit(&out, 1);
    assert_says(&out, "warning: the chain breaks before this record");
    assert_says(
        &out,
        "<span class=\"broken\">NOT verified up to this record</span>",
    );
    assert_says(&out, "the record at line 1 was edited");
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
    let candidate = BundleCopy::policies();
    candidate.reweigh("domain", "2.0", "0.0");
    let out = arbiter(&["audit", "diff", l, "--bundle", candidate.arg()]);
    assert_exit(&out, 0);
    assert_says(
        &out,
        "“Court-decision topic classification”: nlpaueb/legal-bert-base-uncased → ",
    );
    assert_says(
        &out,
        &format!("of {} logged decisions would change", example_tasks().len()),
    );
}

#[test]
fn a_writer_killed_mid_stream_leaves_a_log_whose_complete_records_verify() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.log");
    let mut child = ARBITER
        .command()
        .args([
            "select",
            LEGAL,
            "--log",
            log.to_str().unwrap(),
            "--repeat",
            "1000000",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
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
    let out = arbiter(&["select", LEGAL, "--log", log.to_str().unwrap()]);
    assert_exit(&out, 0);
    assert_exit(&arbiter(&["audit", "verify", log.to_str().unwrap()]), 0);
}

// ---------------------------------------------------------------------------------------------
// serve, end to end: the real binary on a free loopback port, driven by a real HTTP client

/// A running `arbiter serve` on a free loopback port; killed when dropped.
struct Server {
    process: Running,
    base: String,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut all = vec!["serve", "--addr", "127.0.0.1:0"];
        all.extend(args);
        let mut process = ARBITER.start(&all);
        let base = process.listening_base();
        Server { process, base }
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
}

fn content_type(task: &str) -> &'static str {
    if task.ends_with(".json") {
        "application/json"
    } else {
        "application/yaml"
    }
}

fn json_str(body: &str, key: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body).unwrap()[key]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_service_killed_under_load_loses_no_acknowledged_decision() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.log");
    let mut server = Server::start(&["--bundle", "policies", "--log", log.to_str().unwrap()]);
    let body = std::fs::read(repo().join(LEGAL)).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Eight clients post as fast as they can; each keeps the ids it got a 200 for.
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let (base, body, stop) = (server.base.clone(), body.clone(), stop.clone());
            std::thread::spawn(move || {
                let agent = Server::agent();
                let mut acknowledged = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let Ok(mut res) = agent
                        .post(&format!("{base}/v1/select"))
                        .header("content-type", "application/yaml")
                        .send(&body[..])
                    else {
                        break; // the server is gone
                    };
                    if res.status().as_u16() == 200
                        && let Ok(text) = res.body_mut().read_to_string()
                    {
                        acknowledged.push(json_str(&text, "decision_id"));
                    }
                }
                acknowledged
            })
        })
        .collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::fs::read_to_string(&log).map_or(0, |t| t.lines().count()) < 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "the service logged too little"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    server.process.kill(); // SIGKILL, mid-stream
    server.process.wait();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let acknowledged: Vec<String> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    assert!(
        acknowledged.len() >= 100,
        "{} acknowledged",
        acknowledged.len()
    );
    let logged: std::collections::HashSet<String> = arbiter_audit::log::read_records(&log)
        .unwrap()
        .iter()
        .map(|r| r.decision_id().to_string())
        .collect();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !logged.contains(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged decisions not in the log: {lost:?}",
        lost.len()
    );
    // The complete records verify (a last record torn by the kill is reported, not hidden).
    let out = arbiter(&["audit", "verify", log.to_str().unwrap()]);
    assert!(
        out.status.code() == Some(0) || text(&out).contains("complete records before it verify"),
        "{}",
        text(&out)
    );
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
        let cli = String::from_utf8(select_json(&task, None).stdout).unwrap();
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
    assert_eq!(
        oversized_post_status(&server.base, "/v1/select", 2 << 20),
        413
    );
}

#[test]
fn serve_reloads_while_serving_and_finishes_requests_on_sigterm() {
    let bundle = BundleCopy::of("tests/bundles/tiny");
    // A deliberately slow criterion, so that a request is in flight when SIGTERM arrives (well
    // within the 1 s script limit even in a debug build: 400,000 iterations were not, and the
    // bundle was refused at its smoke call).
    bundle.write(
        "criteria/slow.rhai",
        "fn evaluate(task, model) {\n    let i = 0;\n    while i < 100000 { i += 1; }\n    score(0.5, \"slow\")\n}\n",
    );
    bundle.patch(
        "bundle.toml",
        "catalog = \"catalog.yaml\"",
        "catalog = \"catalog.yaml\"\n\n[limits]\nmax_operations = 10000000\ntimeout_ms = 1000",
    );
    bundle.append(
        "bundle.toml",
        "\n[[criterion]]\nname = \"slow\"\nscript = \"criteria/slow.rhai\"\nweight = 1.0\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.log");
    // The deadline is far beyond the slow criterion's time even on a loaded machine (CI's two
    // cores, debug build): the in-flight request must finish because of the graceful
    // shutdown, not fail for a deadline this test is not about.
    let mut server = Server::start(&[
        "--bundle",
        bundle.arg(),
        "--log",
        log.to_str().unwrap(),
        "--deadline-ms",
        "120000",
    ]);
    assert_eq!(server.get("/readyz").0, 200);
    let task = std::fs::read(repo().join(TINY_TASK)).unwrap();

    // A reload while serving.
    let (_, before) = server.get("/v1/bundle");
    assert!(before.contains("\"generation\":1"), "{before}");
    bundle.write("criteria/version.rhai", &version_script("v2"));
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
    server.process.terminate();
    let (status, body) = in_flight.join().unwrap();
    assert_eq!(status, 200, "{body}");
    let exit = server.process.wait();
    assert!(exit.success(), "{exit:?}");
    let out = arbiter(&["audit", "verify", log.to_str().unwrap()]);
    assert_exit(&out, 0);
    let id = json_str(&body, "decision_id");
    let out = arbiter(&["audit", "show", log.to_str().unwrap(), &id]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the in-flight decision was not logged: {}",
        text(&out)
    );
}

// ---------------------------------------------------------------------------------------------
// catalog import

/// Every folder of tests/hf, as a path relative to the repository.
fn hf_fixtures() -> Vec<String> {
    repo_listing("tests/hf", Path::is_dir)
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
    let expected = if failing.is_empty() { 0 } else { 2 };
    assert_exit(&out, expected);
    for f in &failing {
        assert_says(&out, &format!("error: {f}"));
    }
    let imported = fixtures.len() - failing.len();
    assert_says(&out, &format!("wrote {imported} model(s)"));
    assert_says(&out, "left absent  languages");
    let check = arbiter(&["check", "--catalog", &out_arg]);
    assert_exit(&check, 0);
    assert_says(&check, &format!("{imported} models"));
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
    assert_exit(&out, 2);
    assert_says(
        &out,
        "duplicate id `google-bert/bert-base-uncased`: `policies/catalog.yaml` (/models/",
    );
    assert_says(
        &out,
        "imported from `tests/hf/google-bert--bert-base-uncased`",
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
    assert_exit(&out, 0);
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
    assert_exit(&out, 2);
    assert_says(
        &out,
        "google--vit-base/config.json: unknown model_type `vit`",
    );
    assert_says(&out, "cannot read `no/such/folder`");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("- id: openai-community/gpt2"), "{stdout}");
    assert!(
        stdout.contains("'hf-folder tests/hf/openai-community--gpt2: config.json, README.md'"),
        "{stdout}"
    );

    let out = arbiter(&["catalog", "import", "--id", "a/b", &vit_arg, &vit_arg]);
    assert_exit(&out, 2);
    assert_says(&out, "--id names one model");

    let help = arbiter(&["catalog", "import", "--help"]);
    assert_says(&help, "huggingface-cli download");
    assert_says(&help, "never touches the network");
}
