//! `arbiter-fuzz`: in-process mutation fuzzing of every input Model Arbiter reads, on the
//! stable toolchain. `scripts/fuzz` drives it; see README.md, "Fuzzing".
//!
//! ```text
//! arbiter-fuzz list
//! arbiter-fuzz run TARGET --cases N [--seed S] [--findings DIR]   # a supervised run, one line
//! arbiter-fuzz replay TARGET FILE...                               # run saved inputs once
//! arbiter-fuzz work TARGET --seed S --from A --to B --findings DIR # the worker (internal)
//! ```

mod corpus;
mod harness;
mod mutate;
mod targets {
    pub mod bundles;
    pub mod docs;
    pub mod http;
    pub mod log;
}

use std::path::PathBuf;
use std::process::ExitCode;

use harness::Target;

/// Every target, in the order `scripts/fuzz` runs them.
const TARGETS: &[&str] = &["task", "catalog", "manifest", "script", "log", "http"];

fn make(name: &str) -> Option<Box<dyn Target>> {
    Some(match name {
        "task" => Box::new(targets::docs::TaskTarget::new()),
        "catalog" => Box::new(targets::docs::CatalogTarget::new()),
        "manifest" => Box::new(targets::bundles::ManifestTarget::new()),
        "script" => Box::new(targets::bundles::ScriptTarget::new()),
        "log" => Box::new(targets::log::LogTarget::new()),
        "http" => Box::new(targets::http::HttpTarget::new()),
        _ => return None,
    })
}

fn extension(name: &str) -> &'static str {
    match name {
        "manifest" => "toml",
        "script" => "rhai",
        "log" => "log",
        "http" => "http",
        _ => "yaml",
    }
}

struct Options {
    seed: u64,
    cases: u64,
    from: u64,
    to: u64,
    findings: PathBuf,
    rest: Vec<String>,
}

fn options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        seed: 1,
        cases: 1000,
        from: 0,
        to: 0,
        findings: corpus::repo().join("fuzz/findings"),
        rest: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |what: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{a} needs {what}"))
        };
        let number = |s: String| {
            s.parse::<u64>()
                .map_err(|_| format!("{a}: not a number: {s}"))
        };
        match a.as_str() {
            "--seed" => o.seed = number(value("a number")?)?,
            "--cases" => o.cases = number(value("a number")?)?,
            "--from" => o.from = number(value("a number")?)?,
            "--to" => o.to = number(value("a number")?)?,
            "--findings" => o.findings = PathBuf::from(value("a folder")?),
            _ => o.rest.push(a.clone()),
        }
    }
    Ok(o)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(command), Some(rest)) = (args.first(), args.get(1..)) else {
        eprintln!(
            "usage: arbiter-fuzz list | run TARGET --cases N [--seed S] | replay TARGET FILE..."
        );
        return ExitCode::from(2);
    };
    let o = match options(rest) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("arbiter-fuzz: {e}");
            return ExitCode::from(2);
        }
    };
    let target = o.rest.first().cloned().unwrap_or_default();
    if command != "list" && !TARGETS.contains(&target.as_str()) {
        eprintln!(
            "arbiter-fuzz: unknown target `{target}`; targets: {}",
            TARGETS.join(" ")
        );
        return ExitCode::from(2);
    }
    let result = match command.as_str() {
        "list" => {
            println!("{}", TARGETS.join("\n"));
            Ok(true)
        }
        "work" => {
            let Some(mut t) = make(&target) else {
                return ExitCode::from(2);
            };
            harness::work(&target, t.as_mut(), o.seed, (o.from, o.to), &o.findings).map(|()| true)
        }
        "run" => std::env::current_exe().and_then(|exe| {
            let (c, seconds) = harness::supervise(
                &exe,
                &target,
                extension(&target),
                o.cases,
                o.seed,
                &o.findings,
            )?;
            println!(
                "RESULT {target} {} {} {} {:.1} {:.1}",
                c.cases,
                c.crashes,
                c.hangs,
                c.peak_kib as f64 / 1024.0,
                seconds
            );
            Ok(c.crashes == 0 && c.hangs == 0)
        }),
        "replay" => Ok(replay(&target, &o.rest[1..])),
        other => {
            eprintln!("arbiter-fuzz: unknown command `{other}`");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("arbiter-fuzz: {e}");
            ExitCode::from(2)
        }
    }
}

/// Runs saved inputs once each, saying what each did; false if any crashed or hung.
fn replay(target: &str, files: &[String]) -> bool {
    harness::install_panic_hook();
    // Every input takes the sampled paths too (a decision).
    harness::SAMPLE_ALL.store(true, std::sync::atomic::Ordering::Relaxed);
    let Some(mut t) = make(target) else {
        return false;
    };
    let mut ok = true;
    for f in files {
        let input = match std::fs::read(f) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{f}: {e}");
                ok = false;
                continue;
            }
        };
        let started = std::time::Instant::now();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| t.run(&input)));
        let took = started.elapsed();
        let what = match r {
            Ok(Ok(class)) => format!("ok (class {class:016x})"),
            Ok(Err(p)) => {
                ok = false;
                format!("property: {p}")
            }
            Err(_) => {
                ok = false;
                harness::last_panic()
            }
        };
        if took > harness::HANG {
            ok = false;
        }
        println!("{f}: {what} in {took:?}");
    }
    ok
}
