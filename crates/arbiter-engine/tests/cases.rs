//! Data-driven tests over the repository's case files: one test per file.
//!
//! - `tests/cases/invalid/*.{yaml,json}`: tasks that must be rejected. Their expectations are
//!   header comments (for JSON, a sibling `.expect` file):
//!   `# expect: <pointer> ~ <text in the message>`, `# expect-count: <n>` (exact number of
//!   diagnostics), `# expect-line: <pointer> <line>:<column>`, `# expect-syntax: <line>:<column>`.
//! - `tests/cases/invalid-catalog/*.yaml`: catalogs that must be rejected, with the same headers.
//! - `examples/tasks/*`: tasks that must load.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use std::path::{Path, PathBuf};

use arbiter_engine::load::{self, LoadError};
use libtest_mimic::{Arguments, Failed, Trial};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

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
            LoadError::Syntax {
                line: l, column: c, ..
            } if (*l, *c) == (line, column) => Ok(()),
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
            .any(|d| &d.path == ptr && d.line == Some(*line) && d.column == Some(*column))
        {
            problems.push(format!("expected {ptr} at {line}:{column}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\nthe error was:\n{err}", problems.join("\n")).into())
    }
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
    libtest_mimic::run(&args, trials).exit();
}
