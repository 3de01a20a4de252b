//! `arbiter watch`: the policy author's loop — every save reloads the bundle, and the choice
//! for each given task is shown before and after.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arbiter_engine::store::{BundleStore, ReloadOutcome};
use arbiter_engine::{Bundle, Task, decide, load};
use arbiter_server::watch::{self, WatchConfig, WatchMode};
use clap::{Args, ValueEnum};

use crate::bundles::{self, BundleArgs};
use crate::exit;
use arbiter_report::short;

#[derive(Args)]
pub struct WatchArgs {
    #[command(flatten)]
    bundle: BundleArgs,
    /// Tasks whose choice to show after every reload.
    #[arg(value_name = "TASK")]
    tasks: Vec<PathBuf>,
    /// How changes are noticed: native file-system events, or polling (network filesystems).
    #[arg(long = "watch", value_enum, default_value_t = Mode::Native)]
    mode: Mode,
    /// Quiet time after the last change before reloading, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 100)]
    debounce_ms: u64,
    /// Rescan this often even without events, in seconds (the safety net).
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    rescan_secs: u64,
}

#[derive(Clone, Copy, ValueEnum)]
enum Mode {
    /// Operating-system events.
    Native,
    /// Polling every 500 ms.
    Poll,
}

fn choices(bundle: &Bundle, tasks: &[(PathBuf, Task)]) -> Vec<String> {
    tasks
        .iter()
        .map(|(_, t)| match decide(bundle, t.clone()) {
            Ok(d) => d
                .chosen
                .unwrap_or_else(|| format!("nothing ({:?})", d.outcome)),
            Err(e) => format!("error: {e}"),
        })
        .collect()
}

pub fn run(args: &WatchArgs) -> anyhow::Result<u8> {
    let Some(dir) = bundles::bundle_dir(&args.bundle) else {
        eprintln!("error: nothing to watch: give --bundle DIR (the built-in bundle cannot change)");
        return Ok(exit::INVALID);
    };
    let mut tasks = Vec::new();
    for path in &args.tasks {
        match load::load_task(path) {
            Ok(t) => tasks.push((path.clone(), t)),
            Err(e) => {
                crate::diagnostics::print_load(&e);
                return Ok(exit::INVALID);
            }
        }
    }
    let trusted = match bundles::trusted_keys(&args.bundle, Some(&dir)) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::INVALID);
        }
    };
    let mut store = BundleStore::new(&dir, args.bundle.catalog.clone());
    if let Some(keys) = trusted {
        store = store.trusting(keys);
    }
    let store = Arc::new(store);
    let mut before: Vec<String> = Vec::new();
    match store.reload() {
        ReloadOutcome::Rejected(f) => {
            println!(
                "{} rejected: {} (nothing is active yet; fix it and save)",
                dir.display(),
                f.message
            );
        }
        _ => {
            if let Some(b) = store.snapshot() {
                println!(
                    "watching {}: {} {} ({}), generation {}",
                    dir.display(),
                    b.manifest.name,
                    b.manifest.version,
                    short(&b.hash),
                    store.generation()
                );
                before = choices(&b, &tasks);
                for ((path, _), c) in tasks.iter().zip(&before) {
                    println!("  {}: {c}", path.display());
                }
            }
        }
    }
    let config = WatchConfig {
        mode: match args.mode {
            Mode::Native => WatchMode::Native,
            Mode::Poll => WatchMode::Poll,
        },
        debounce: Duration::from_millis(args.debounce_ms),
        rescan: Duration::from_secs(args.rescan_secs.max(1)),
        ..WatchConfig::default()
    };
    let reporter = store.clone();
    let _watcher = watch::spawn(store, config, move |outcome| match outcome {
        ReloadOutcome::Activated {
            hash,
            generation,
            took,
            ..
        } => {
            println!(
                "reloaded: {} (generation {generation}, {:.0} ms including golden cases)",
                short(hash),
                took.as_secs_f64() * 1000.0
            );
            if let Some(b) = reporter.snapshot() {
                let after = choices(&b, &tasks);
                for (i, (path, _)) in tasks.iter().enumerate() {
                    match before.get(i) {
                        Some(old) if *old != after[i] => {
                            println!("  {}: {old} → {}", path.display(), after[i])
                        }
                        _ => println!("  {}: {} (unchanged)", path.display(), after[i]),
                    }
                }
                before = after;
            }
        }
        ReloadOutcome::Rejected(f) => {
            let serving = reporter
                .snapshot()
                .map_or("nothing".to_string(), |b| short(&b.hash).to_string());
            println!("rejected: {} — still serving {serving}", f.message);
        }
        ReloadOutcome::Unchanged { .. } => {}
    })?;
    println!("(watching for changes; Ctrl-C to stop)");
    loop {
        std::thread::park();
    }
}
