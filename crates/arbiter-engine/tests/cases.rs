//! Data-driven tests over the repository's case files: one test per file.
//!
//! - `tests/cases/invalid/*.{yaml,json}`: tasks that must be rejected. Their expectations are
//!   header comments (for JSON, a sibling `.expect` file):
//!   `# expect: <pointer> ~ <text in the message>`, `# expect-count: <n>` (exact number of
//!   diagnostics), `# expect-line: <pointer> <line>:<column>`, `# expect-syntax: <line>:<column>`,
//!   `# expect-help: <pointer> ~ <text in the suggested fix>`.
//! - `tests/cases/invalid-catalog/*.yaml`: catalogs that must be rejected, with the same headers.
//! - `examples/tasks/*`: tasks that must load.
//! - `tests/cases/hostile/*.rhai`: misbehaving criterion scripts, run in a one-criterion bundle
//!   over `tests/cases/hostile/catalog.yaml`. Headers: `// on_error: <fail|abstain|veto>`,
//!   `// limits: <key> = <value>`, and one of `// expect-load: <line>:<column> ~ <text>` (the
//!   bundle is rejected), `// expect-runtime: <model> ~ <text>` (the call fails on that model,
//!   `on_error` is followed, the decision finishes within a second), `// expect-manifest ~ <text>`
//!   (the manifest, e.g. its `[limits]`, is rejected), `// expect-ok`; with `expect-runtime`,
//!   `// expect-at: <line>:<column>` says where in the script the error must point.
//! - the golden cases of `policies/` and of every bundle in `examples/bundles/`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use std::path::{Path, PathBuf};

use std::time::{Duration, Instant};

use arbiter_engine::bundle::{Bundle, Files};
use arbiter_engine::decide::{Outcome, Status};
use arbiter_engine::load::{self, LoadError};
use arbiter_engine::{decide, golden};
use arbiter_test_support::repo;
use libtest_mimic::{Arguments, Failed, Trial};

fn files(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| exts.contains(&e))
        })
        .collect();
    out.sort();
    out
}

#[derive(Default, Debug)]
struct Expect {
    errors: Vec<(String, String)>,
    count: Option<usize>,
    lines: Vec<(String, usize, usize)>,
    syntax: Option<(usize, usize)>,
    helps: Vec<(String, String)>,
}

fn line_col(s: &str) -> Result<(usize, usize), Failed> {
    let (l, c) = s
        .trim()
        .split_once(':')
        .ok_or_else(|| format!("bad line:col `{s}`"))?;
    Ok((
        l.parse().map_err(|_| format!("bad line `{l}`"))?,
        c.parse().map_err(|_| format!("bad column `{c}`"))?,
    ))
}

fn parse_expect(text: &str) -> Result<Expect, Failed> {
    let mut e = Expect::default();
    for line in text.lines().filter_map(|l| l.strip_prefix("# ")) {
        if let Some(rest) = line.strip_prefix("expect: ") {
            let (ptr, msg) = rest
                .split_once(" ~ ")
                .ok_or_else(|| format!("bad expect line `{line}`"))?;
            let ptr = if ptr == "/" { "" } else { ptr };
            e.errors.push((ptr.to_string(), msg.to_string()));
        } else if let Some(rest) = line.strip_prefix("expect-count: ") {
            e.count = Some(
                rest.trim()
                    .parse()
                    .map_err(|_| format!("bad count `{rest}`"))?,
            );
        } else if let Some(rest) = line.strip_prefix("expect-line: ") {
            let (ptr, lc) = rest
                .split_once(' ')
                .ok_or_else(|| format!("bad expect-line `{line}`"))?;
            let (l, c) = line_col(lc)?;
            let ptr = if ptr == "/" { "" } else { ptr };
            e.lines.push((ptr.to_string(), l, c));
        } else if let Some(rest) = line.strip_prefix("expect-syntax: ") {
            e.syntax = Some(line_col(rest)?);
        } else if let Some(rest) = line.strip_prefix("expect-help: ") {
            let (ptr, help) = rest
                .split_once(" ~ ")
                .ok_or_else(|| format!("bad expect-help line `{line}`"))?;
            let ptr = if ptr == "/" { "" } else { ptr };
            e.helps.push((ptr.to_string(), help.to_string()));
        }
    }
    if e.errors.is_empty() && e.syntax.is_none() {
        return Err("the case states no expectation".into());
    }
    Ok(e)
}

fn run_invalid(path: &Path, catalog: bool) -> Result<(), Failed> {
    let expect_text = if path.extension().is_some_and(|e| e == "json") {
        std::fs::read_to_string(path.with_extension("expect"))?
    } else {
        std::fs::read_to_string(path)?
    };
    let expect = parse_expect(&expect_text)?;
    let loaded = if catalog {
        load::load_catalog(path).map(|c| format!("{} models", c.models.len()))
    } else {
        load::load_task(path).map(|t| format!("{t:?}"))
    };
    let err = match loaded {
        Ok(doc) => return Err(format!("loaded, but must be rejected: {doc}").into()),
        Err(e) => e,
    };
    if let Some((line, column)) = expect.syntax {
        return match &err {
            LoadError::Syntax { span, .. } if (span.line, span.column) == (line, column) => Ok(()),
            other => {
                Err(format!("expected a syntax error at {line}:{column}, got: {other}").into())
            }
        };
    }
    let diags = err.diagnostics();
    let mut problems = Vec::new();
    for (ptr, msg) in &expect.errors {
        if !diags
            .iter()
            .any(|d| &d.path == ptr && d.message.contains(msg.as_str()))
        {
            problems.push(format!("missing: {ptr} ~ {msg}"));
        }
    }
    if let Some(n) = expect.count
        && diags.len() != n
    {
        problems.push(format!("expected {n} diagnostics, got {}", diags.len()));
    }
    for (ptr, line, column) in &expect.lines {
        if !diags
            .iter()
            .any(|d| &d.path == ptr && d.line() == Some(*line) && d.column() == Some(*column))
        {
            problems.push(format!("expected {ptr} at {line}:{column}"));
        }
    }
    for (ptr, help) in &expect.helps {
        if !diags
            .iter()
            .any(|d| &d.path == ptr && d.help.as_deref().is_some_and(|h| h.contains(help.as_str())))
        {
            problems.push(format!("expected help at {ptr} ~ {help}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\nthe error was:\n{err}", problems.join("\n")).into())
    }
}

struct Hostile {
    on_error: String,
    limits: Vec<String>,
    expect: HostileExpect,
    /// Where the run-time error must point (`line:column` in the script).
    at: Option<String>,
}

enum HostileExpect {
    Load {
        line: usize,
        column: usize,
        text: String,
    },
    Runtime {
        model: String,
        text: String,
    },
    /// The manifest (its `[limits]`) is rejected.
    Manifest {
        text: String,
    },
    Ok,
}

fn parse_hostile(text: &str) -> Result<Hostile, Failed> {
    let mut h = Hostile {
        on_error: "fail".into(),
        limits: Vec::new(),
        expect: HostileExpect::Ok,
        at: None,
    };
    let mut stated = false;
    for line in text.lines().filter_map(|l| l.strip_prefix("// ")) {
        if let Some(v) = line.strip_prefix("on_error: ") {
            h.on_error = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("limits: ") {
            h.limits.push(v.trim().to_string());
        } else if let Some(v) = line.strip_prefix("expect-load: ") {
            let (lc, text) = v.split_once(" ~").ok_or("bad expect-load")?;
            let (line, column) = line_col(lc)?;
            h.expect = HostileExpect::Load {
                line,
                column,
                text: text.trim().to_string(),
            };
            stated = true;
        } else if let Some(v) = line.strip_prefix("expect-runtime: ") {
            let (model, text) = v.split_once(" ~ ").ok_or("bad expect-runtime")?;
            h.expect = HostileExpect::Runtime {
                model: model.trim().to_string(),
                text: text.trim().to_string(),
            };
            stated = true;
        } else if let Some(v) = line.strip_prefix("expect-at: ") {
            h.at = Some(v.trim().to_string());
        } else if let Some(v) = line.strip_prefix("expect-manifest ~ ") {
            h.expect = HostileExpect::Manifest {
                text: v.trim().to_string(),
            };
            stated = true;
        } else if line.trim() == "expect-ok" {
            stated = true;
        }
    }
    if !stated {
        return Err("the case states no expectation".into());
    }
    Ok(h)
}

fn run_hostile(path: &Path) -> Result<(), Failed> {
    let script = std::fs::read_to_string(path)?;
    let h = parse_hostile(&script)?;
    let manifest = format!(
        "name = \"hostile\"\nversion = \"0\"\n[limits]\ntimeout_ms = 50\n{}\n\
         [[criterion]]\nname = \"hostile\"\nscript = \"criteria/hostile.rhai\"\nweight = 1.0\non_error = \"{}\"\n",
        h.limits.join("\n"),
        h.on_error
    );
    let catalog = std::fs::read(path.with_file_name("catalog.yaml"))?;
    let files = Files::from_pairs([
        ("bundle.toml", manifest.as_bytes()),
        ("catalog.yaml", catalog.as_slice()),
        ("criteria/hostile.rhai", script.as_bytes()),
    ]);
    let loaded = Bundle::from_files(files, "hostile".into());
    let (bundle, model, text) = match (&h.expect, loaded) {
        (HostileExpect::Load { line, column, text }, Err(e)) => {
            let msg = e.to_string();
            let at = format!("hostile/criteria/hostile.rhai:{line}:{column}:");
            return if msg.starts_with(&at) && msg.contains(text.as_str()) {
                Ok(())
            } else {
                Err(format!("expected `{at} …{text}…`, got: {msg}").into())
            };
        }
        (HostileExpect::Manifest { text }, Err(e)) => {
            let msg = format!("{e}: {e:?}");
            return if msg.contains("bundle.toml") && msg.contains(text.as_str()) {
                Ok(())
            } else {
                Err(format!("expected bundle.toml to be rejected with …{text}…, got: {msg}").into())
            };
        }
        (HostileExpect::Load { .. } | HostileExpect::Manifest { .. }, Ok(_)) => {
            return Err("the bundle loaded, but must be rejected".into());
        }
        (_, Err(e)) => return Err(format!("the bundle must load: {e}").into()),
        (HostileExpect::Runtime { model, text }, Ok(b)) => (b, model.clone(), text.clone()),
        (HostileExpect::Ok, Ok(b)) => (b, String::new(), String::new()),
    };
    let task = load::task_from_str(
        "name: t\ntask: text-classification\nlanguages: [en]\ndata: {labeled_examples: 1000}\n",
        load::Syntax::Yaml,
        "fixture",
    )?;
    let started = Instant::now();
    let d = decide(&bundle, task)?;
    let elapsed = started.elapsed();
    if elapsed > Duration::from_secs(1) {
        return Err(format!("the decision took {elapsed:?}, over a second").into());
    }
    if model.is_empty() {
        return if d.errors.is_empty() && d.outcome == Outcome::Chosen {
            Ok(())
        } else {
            Err(format!(
                "expected a clean decision, got {:?} with errors {:?}",
                d.outcome, d.errors
            )
            .into())
        };
    }
    let Some(err) = d.errors.iter().find(|e| e.model == model) else {
        return Err(format!("no script error recorded for `{model}`: {:?}", d.errors).into());
    };
    if !err.message.contains(text.as_str()) || !err.at.starts_with("criteria/hostile.rhai:") {
        return Err(format!(
            "error for `{model}` is `{}` at {}, expected …{text}…",
            err.message, err.at
        )
        .into());
    }
    if let Some(at) = &h.at
        && err.at != format!("criteria/hostile.rhai:{at}")
    {
        return Err(format!(
            "error for `{model}` is at {}, expected line:column {at}",
            err.at
        )
        .into());
    }
    if d.errors.iter().any(|e| e.model != model) {
        return Err(format!("other models failed too: {:?}", d.errors).into());
    }
    let ranked = |id: &str| d.ranking.iter().find(|r| r.model == id);
    let ok = match h.on_error.as_str() {
        "fail" => d.outcome == Outcome::Failed && d.chosen.is_none(),
        "abstain" => {
            ranked(&model).is_some_and(|r| {
                r.criteria
                    .get("hostile")
                    .is_some_and(|c| c.status == Status::Error)
            }) && ranked("x/first").is_some()
        }
        "veto" => {
            d.rejected
                .iter()
                .any(|r| r.model == model && r.criterion == "hostile")
                && ranked("x/first").is_some()
        }
        other => return Err(format!("unknown on_error `{other}`").into()),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("on_error = {} was not followed: {d:?}", h.on_error).into())
    }
}

/// A file of an example bundle that has the name of one of `policies/` is a copy of it: bundles
/// hold their own files (links out of a bundle folder are refused), and the examples must not
/// drift from the default rules they build on.
fn same_as_default(root: &Path) -> Result<(), Failed> {
    let default = Files::read_dir(&root.join("policies"))?;
    for dir in bundle_dirs(root).into_iter().skip(1) {
        for (name, bytes) in Files::read_dir(&dir)?.0 {
            // The commercial bundle's licence criterion replaces the default's on purpose
            // (a veto instead of a light preference): its own, not a copy.
            let own = name == "criteria/licence.rhai";
            let shared = !own && (name == "catalog.yaml" || name.starts_with("criteria/"));
            if let (true, Some(original)) = (shared, default.0.get(&name))
                && *original != bytes
            {
                return Err(format!(
                    "{}/{name} differs from policies/{name}: copy it again",
                    dir.display()
                )
                .into());
            }
        }
    }
    Ok(())
}

fn bundle_dirs(root: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![root.join("policies")];
    if let Ok(entries) = std::fs::read_dir(root.join("examples/bundles")) {
        let mut more: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("bundle.toml").is_file())
            .collect();
        more.sort();
        dirs.extend(more);
    }
    dirs
}

fn golden_trials(root: &Path) -> Vec<Trial> {
    let mut trials = Vec::new();
    for dir in bundle_dirs(root) {
        let label = dir.strip_prefix(root).unwrap_or(&dir).display().to_string();
        let bundle = match Bundle::load(&dir, None) {
            Ok(b) => std::sync::Arc::new(b),
            Err(e) => {
                let msg = e.to_string();
                trials.push(Trial::test(format!("golden::{label}::load"), move || {
                    Err(msg.into())
                }));
                continue;
            }
        };
        let cases: Vec<String> = bundle
            .files
            .0
            .keys()
            .filter(|k| {
                k.starts_with(&format!("{}/", bundle.manifest.tests))
                    && (k.ends_with(".yaml") || k.ends_with(".json"))
            })
            .cloned()
            .collect();
        if cases.is_empty() {
            trials.push(Trial::test(format!("golden::{label}::has-cases"), || {
                Err("no golden cases".into())
            }));
        }
        for case in cases {
            let b = bundle.clone();
            trials.push(Trial::test(format!("golden::{label}::{case}"), move || {
                let text = String::from_utf8_lossy(&b.files.0[&case]).to_string();
                let parsed =
                    golden::case_from_str(&text, load::Syntax::for_path(Path::new(&case)), &case)?;
                let report = golden::run_case(&b, &case, &parsed);
                if report.passed() {
                    Ok(())
                } else {
                    Err(report.failures.join("\n").into())
                }
            }));
        }
    }
    trials
}

fn main() {
    let args = Arguments::from_args();
    let root = repo();
    let mut trials = Vec::new();
    for path in files(&root.join("tests/cases/invalid"), &["yaml", "yml", "json"]) {
        let name = format!(
            "invalid::{}",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        );
        trials.push(Trial::test(name, move || run_invalid(&path, false)));
    }
    for path in files(
        &root.join("tests/cases/invalid-catalog"),
        &["yaml", "yml", "json"],
    ) {
        let name = format!(
            "invalid-catalog::{}",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        );
        trials.push(Trial::test(name, move || run_invalid(&path, true)));
    }
    for path in files(&root.join("examples/tasks"), &["yaml", "yml", "json"]) {
        let name = format!(
            "example::{}",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        );
        trials.push(Trial::test(name, move || {
            load::load_task(&path)
                .map(|_| ())
                .map_err(|e| Failed::from(e.to_string()))
        }));
    }
    for path in files(&root.join("tests/cases/hostile"), &["rhai"]) {
        let name = format!(
            "hostile::{}",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        );
        trials.push(Trial::test(name, move || run_hostile(&path)));
    }
    trials.extend(golden_trials(&root));
    let example_root = root.clone();
    trials.push(Trial::test(
        "example-bundles::share-the-default-files-by-copy",
        move || same_as_default(&example_root),
    ));
    libtest_mimic::run(&args, trials).exit();
}
