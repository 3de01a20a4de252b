//! What one `select` costs, and how much of it is the scripting.
//!
//! Measured, each as one complete decision:
//!
//! - `select/default-catalog/scripted`: [`arbiter_engine::decide`] with the default bundle (its
//!   frozen copy, `benches/policies/`, below; the live catalog) on
//!   `examples/tasks/chinese-sentiment-cpu.yaml`;
//! - `select/synthetic-10k/scripted`: the same bundle with its catalog replaced by 10 000
//!   deterministic variants of the default models, on an English text-classification task on
//!   cloud-gpu without budgets (so most models survive the vetoes and are ranked);
//! - `select/.../native`: the seven default criteria (`task_type`, `language`, `domain`,
//!   `resources`, `data_volume`, `benchmarks`, `licence`) written in Rust in `native/`, as close
//!   to `policies/criteria/*.rhai` as Rust allows (same arithmetic in the same order, the same
//!   reason strings with Rhai's float formatting, the engine's cost model: `resources` loops over
//!   the task's accepted precisions, most precise first, pricing each whole call with
//!   [`arbiter_engine::cost::estimate_call`] as the host's `estimate(task, model, precision)`
//!   does, and records the precision it judged the model at), evaluated in parallel over the
//!   models with rayon on the normalised task and combined by the engine's own pure
//!   [`arbiter_engine::decide::combine`], as `decide` combines — so the bench compares the rules,
//!   not two copies of the combination. The decision's envelope (UUID,
//!   timestamp, task hash) is left out of the native side: it costs microseconds. Both sides drop
//!   their result inside the timed loop; over 10 000 models that drop is itself some 15–20 ms.
//!
//! Before anything is timed, a differential check asserts that both sides agree: on the default
//! catalog for the two timed tasks, every task in `examples/tasks/` and a few more in `tasks.rs`
//! to reach the branches those miss (zero-shot, classification and ranking without labels,
//! embeddings, generation at several precisions on small devices, over-long inputs, translation
//! with and without a stated direction); on the synthetic catalog for the two timed tasks and a
//! generation task. Compared: the chosen model, every veto (model, criterion and reason), the
//! ranking order, every score and contribution to 1e-9, every weight, status, reason string and
//! precision (per criterion and per ranked model). A disagreement panics, so the bench fails.
//!
//! The scripted side runs a FROZEN COPY of the default bundle, `benches/policies/` (bundle.toml
//! and the criteria copied from `policies/`; the catalog is the live one, `policies/catalog.yaml`), so
//! editing `policies/` never requires editing Rust — the golden cases guard the live policy. To
//! measure a changed policy, copy its files into `benches/policies/` and mirror the change in
//! `native/` (one file a script). `cargo test -p arbiter-engine --bench select` runs the check
//! alone (criterion's test mode runs each timed function once).
//!
//! Run it with `cargo bench -p arbiter-engine --bench select` (under a minute on two cores once
//! built); `cargo bench -p arbiter-engine --bench select -- synthetic` runs only the 10 000-model
//! cases.
//!
//! Its files: this one, the harness (setup, the check over every task, the timed functions);
//! `tasks.rs`, the tasks written for the bench; `catalogs.rs`, the synthetic and probe catalogs;
//! `native/`, the seven criteria in Rust (`mod.rs` prepares the catalog and the task and
//! combines, one file mirrors each script); `check.rs`, the differential check.

// A bench is a test harness: a broken fixture or a disagreement must stop it, loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(missing_docs)] // criterion's macros generate undocumented items

mod catalogs;
mod check;
mod native;
mod tasks;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use arbiter_engine::cost::Precision;
use arbiter_engine::load::{load_task, task_from_str};
use arbiter_engine::{Syntax, Task, decide};
use criterion::{Criterion, SamplingMode, criterion_group};

use catalogs::{bundle_of_one, bundle_with, frozen_bundle, probe_models, synthetic_models};
use check::check_agreement;
use native::{NativeCatalog, native_select};
use tasks::{CHECK_TASKS, ENGLISH_TASK};

/// The number of models in the synthetic catalog.
const SYNTHETIC_MODELS: usize = 10_000;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The bench's frozen copy of the default bundle (`benches/policies/`: bundle.toml and the
/// criteria copied from `policies/`, with the live catalog, `policies/catalog.yaml`).
fn policies() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/policies")
}

fn select(c: &mut Criterion) {
    let started = std::time::Instant::now();
    let default = frozen_bundle();
    let chinese = load_task(&repo().join("examples/tasks/chinese-sentiment-cpu.yaml")).unwrap();
    let english = task_from_str(ENGLISH_TASK, Syntax::Yaml, "bench").unwrap();
    let synthetic = bundle_with(synthetic_models(&default.catalog.models, SYNTHETIC_MODELS));
    // Scripted against native: every verdict computed, as the native side computes them. The
    // verdict cache is measured on its own below.
    default.cache.set_enabled(false);
    synthetic.cache.set_enabled(false);
    let cached = frozen_bundle();
    // The same scripts run by Rhai's interpreter alone, without the compiled fast path.
    let rhai_default = frozen_bundle();
    rhai_default.cache.set_enabled(false);
    rhai_default.set_compiled(false);
    eprintln!(
        "setup: default bundle and a {}-model synthetic bundle loaded in {:.1} s",
        synthetic.catalog.models.len(),
        started.elapsed().as_secs_f64()
    );

    let probe = bundle_with(probe_models(&default.catalog.models));
    let native_default = NativeCatalog::new(&default);
    let native_synthetic = NativeCatalog::new(&synthetic);
    let native_probe = NativeCatalog::new(&probe);
    let mut examples: Vec<PathBuf> = std::fs::read_dir(repo().join("examples/tasks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "json")
            )
        })
        .collect();
    examples.sort();
    let mut default_tasks: Vec<(String, Task)> = vec![
        ("the timed Chinese task".into(), chinese.clone()),
        ("the timed English task".into(), english.clone()),
    ];
    for path in &examples {
        let name = path.file_name().unwrap().to_string_lossy();
        default_tasks.push((format!("examples/tasks/{name}"), load_task(path).unwrap()));
    }
    for (i, text) in CHECK_TASKS.iter().enumerate() {
        let task = task_from_str(text, Syntax::Yaml, "bench").unwrap();
        default_tasks.push((format!("check task {i} ({})", task.name), task));
    }
    let generation = default_tasks
        .iter()
        .find(|(_, t)| t.name.starts_with("edge assistant"))
        .unwrap()
        .1
        .clone();
    let synthetic_tasks: Vec<(String, Task)> = vec![
        ("the timed English task".into(), english.clone()),
        ("the timed Chinese task".into(), chinese.clone()),
        ("the edge generation task".into(), generation),
    ];
    let checks = default_tasks
        .iter()
        .map(|(name, task)| ("default catalog", &default, &native_default, name, task))
        .chain(
            default_tasks
                .iter()
                .map(|(name, task)| ("probe catalog", &probe, &native_probe, name, task)),
        )
        .chain(synthetic_tasks.iter().map(|(name, task)| {
            (
                "synthetic catalog",
                &synthetic,
                &native_synthetic,
                name,
                task,
            )
        }));
    let mut totals = (0, 0, 0);
    for (catalog, bundle, native, name, task) in checks {
        let what = format!("{catalog}, {name}");
        let scripted = decide(bundle, task.clone()).unwrap();
        let (ranked, rejected) = check_agreement(&what, &scripted, &native_select(native, task));
        totals = (totals.0 + 1, totals.1 + ranked, totals.2 + rejected);
        eprintln!(
            "agree: {what}: {} models, {ranked} ranked, {rejected} vetoes, chosen {} at {}",
            bundle.catalog.models.len(),
            scripted.chosen.as_deref().unwrap_or("-"),
            scripted
                .ranking
                .first()
                .and_then(|r| r.precision)
                .map_or("-", Precision::as_str)
        );
    }
    eprintln!(
        "agree: {} decisions, {} ranked models and {} vetoes compared, no difference",
        totals.0, totals.1, totals.2
    );

    let mut group = c.benchmark_group("select");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    group.bench_function("default-catalog/scripted", |b| {
        b.iter(|| decide(black_box(&default), black_box(&chinese).clone()).unwrap());
    });
    group.bench_function("default-catalog/rhai-only", |b| {
        b.iter(|| decide(black_box(&rhai_default), black_box(&chinese).clone()).unwrap());
    });
    group.bench_function("default-catalog/native", |b| {
        b.iter(|| native_select(black_box(&native_default), black_box(&chinese)));
    });
    // The same task again, as a service sees a repeated request: every verdict from the cache.
    group.bench_function("default-catalog/scripted-cached", |b| {
        b.iter(|| decide(black_box(&cached), black_box(&chinese).clone()).unwrap());
    });

    // One scripted select over 10 000 models takes long enough that criterion's linear sampling
    // (1 + 2 + … + 10 iterations) would take most of a minute: flat sampling, one per sample.
    group
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    group.bench_function("synthetic-10k/scripted", |b| {
        b.iter(|| decide(black_box(&synthetic), black_box(&english).clone()).unwrap());
    });
    synthetic.set_compiled(false);
    group.bench_function("synthetic-10k/rhai-only", |b| {
        b.iter(|| decide(black_box(&synthetic), black_box(&english).clone()).unwrap());
    });
    synthetic.set_compiled(true);
    group.bench_function("synthetic-10k/native", |b| {
        b.iter(|| native_select(black_box(&native_synthetic), black_box(&english)));
    });
    group.finish();

    // What each criterion costs alone on the default catalog, against the floor: a script that
    // returns a constant (the cost of calling a script at all).
    let mut group = c.benchmark_group("criterion");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for name in [
        "floor",
        "task_type",
        "language",
        "domain",
        "resources",
        "data_volume",
        "benchmarks",
        "licence",
    ] {
        let one = bundle_of_one(name);
        one.cache.set_enabled(false);
        group.bench_function(name, |b| {
            b.iter(|| decide(black_box(&one), black_box(&chinese).clone()).unwrap());
        });
    }
    group.finish();

    // The record of a 10,000-model decision, whole and limited to the first ten ranked models
    // (`--record-top 10`): its size, and the time to serialise it.
    let big = decide(&synthetic, english.clone()).unwrap();
    let limited = big.limited_to(10);
    eprintln!(
        "record: 10k-model decision, {} ranked and {} vetoes: {} bytes whole, {} bytes top-10",
        big.ranking.len(),
        big.rejected.len(),
        serde_json::to_vec(&big).unwrap().len(),
        serde_json::to_vec(&limited).unwrap().len()
    );
    let mut group = c.benchmark_group("record");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(2));
    group.bench_function("synthetic-10k/whole", |b| {
        b.iter(|| serde_json::to_vec(black_box(&big)).unwrap());
    });
    group.bench_function("synthetic-10k/top-10", |b| {
        b.iter(|| serde_json::to_vec(&black_box(&big).limited_to(10)).unwrap());
    });
    group.finish();
}

criterion_group!(benches, select);

/// `SELECT_REPEAT=N cargo bench -p arbiter-engine --bench select` runs N scripted decisions on
/// the default catalog (and `SELECT_REPEAT=N,native` N native ones) with nothing else: no
/// check, no criterion, no timing. It is for counters that the machine's other load does not
/// disturb, e.g. `perf stat -e instructions:u` or valgrind's instruction count on the bench
/// binary, and for `perf record`. `SELECT_REPEAT=N,one:language` decides with that criterion
/// alone (`one:floor`: a script that returns a constant). With `SELECT_RHAI_ONLY` set, the scripts
/// run on Rhai alone, without the compiled fast path.
fn main() {
    if let Ok(spec) = std::env::var("SELECT_REPEAT") {
        let (n, side) = spec.split_once(',').unwrap_or((&spec, "scripted"));
        let n: usize = n
            .parse()
            .expect("SELECT_REPEAT=N, N,native or N,one:CRITERION");
        let bundle = match side.strip_prefix("one:") {
            Some(name) => bundle_of_one(name),
            None => frozen_bundle(),
        };
        bundle.cache.set_enabled(false);
        bundle.set_compiled(std::env::var_os("SELECT_RHAI_ONLY").is_none());
        let task = load_task(&repo().join("examples/tasks/chinese-sentiment-cpu.yaml")).unwrap();
        let native = NativeCatalog::new(&bundle);
        for _ in 0..n {
            if side == "native" {
                black_box(native_select(&native, black_box(&task)));
            } else {
                black_box(decide(&bundle, black_box(&task).clone()).unwrap());
            }
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
