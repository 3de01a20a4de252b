//! The peer race: arbiter's scripted decisions against the same rules in Rego on regorus.
//!
//! Run it with `cargo bench --manifest-path peer/Cargo.toml` from the repository's root (a
//! workspace of its own, so the root workspace and CI never build regorus); `-- synthetic` times
//! only the 10,000-model catalog, `-- --test` runs the agreement check alone (criterion's test
//! mode runs each timed function once, and the paired rounds are skipped).
//!
//! Both sides decide with the engine bench's frozen copy of the default bundle
//! (`crates/arbiter-engine/benches/policies/`: its bundle.toml, its seven Rhai criteria, the live
//! catalog) over the same catalogs, built by the engine bench's own `catalogs.rs` (included, not
//! copied): the default catalog, its probe (every default model again with what the scripts
//! branch on changed; checked, never timed), and 10,000 synthetic variants of the default models.
//!
//! - arbiter: [`arbiter_engine::decide`], the verdict cache disabled, so every verdict is
//!   computed by a script;
//! - regorus: [`arbiter_peer::Peer::decide`]: the task converted into Rego's `input`, the
//!   bundle's criteria from `peer/policies/` evaluated by regorus over the catalog (loaded once as
//!   `data`, split into one prepared engine per rayon thread), the verdicts combined by the
//!   engine's own pure `combine`. The host functions (`estimate`, `device_memory_mb`,
//!   `translates`) are regorus extensions calling the engine; the benchmark figures normalised
//!   across the catalog are computed by the engine's own function for both sides.
//!
//! First the agreement check, which panics at the first difference: on the default catalog and
//! its probe for every task of `examples/tasks/`, the engine bench's English task and its check
//! tasks (`tasks.rs`, included), on the synthetic catalog for the two timed tasks and a
//! generation task, and with each criterion alone (the bundle cut down to it by `catalogs.rs`'s
//! `bundle_of_one`) on the default catalog, both sides must reach the same outcome, choose the
//! same model, veto the same (model, criterion) pairs, and rank the same models with every
//! score, per-criterion score and contribution within 1e-6 and the same statuses and precisions;
//! the ranking order may differ only between models whose scores are within 1e-6 of each other.
//! Reasons are worded by each side (Rhai's and Rego's number formatting differ), so they are
//! counted, not compared.
//!
//! Then the timing, one decision per iteration, on the Chinese task of
//! `examples/tasks/chinese-sentiment-cpu.yaml` over the default catalog and the English task over
//! the synthetic catalog (the engine bench's two timed cases): criterion's group `race` for each
//! side, then paired rounds, in which arbiter and regorus alternate so that the load of this
//! shared machine falls on both alike — by the wall clock with the machine's rayon pool (both
//! evaluate the models in parallel), and by CPU time on a pool of one thread (which other work
//! on the machine hardly moves): both catalogs, each criterion alone, and regorus driven three
//! ways (one prepared engine reused, as the race does; a clone of it per decision; regorus's
//! `CompiledPolicy`, which builds an engine per evaluation). The final table gives each side's
//! median per decision over the rounds of this run and the ratio regorus / arbiter.

// A bench is a test harness: a broken fixture or a disagreement must stop it, loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(missing_docs)] // criterion's macros generate undocumented items

#[path = "../../crates/arbiter-engine/benches/select/catalogs.rs"]
mod catalogs;
#[path = "../../crates/arbiter-engine/benches/select/tasks.rs"]
mod tasks;

use std::collections::{BTreeMap, BTreeSet};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use arbiter_engine::decide::{Combined, Decision, Ranked};
use arbiter_engine::load::{load_task, task_from_str};
use arbiter_engine::{Bundle, Syntax, Task, decide};
use arbiter_peer::Peer;
use cpu_time::ThreadTime;
use criterion::{Criterion, SamplingMode};
use rayon::ThreadPool;

use catalogs::{bundle_of_one, bundle_with, frozen_bundle, probe_models, synthetic_models};
use tasks::{CHECK_TASKS, ENGLISH_TASK};

/// The number of models in the synthetic catalog (as in the engine bench).
const SYNTHETIC_MODELS: usize = 10_000;

/// The default bundle's criteria, each also timed alone.
const CRITERIA: [&str; 7] = [
    "task_type",
    "language",
    "domain",
    "resources",
    "data_volume",
    "benchmarks",
    "licence",
];

/// How close two scores must be.
const TOLERANCE: f64 = 1e-6;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The engine bench's frozen copy of the default bundle (`catalogs.rs` loads it as
/// `super::policies()`).
fn policies() -> PathBuf {
    repo().join("crates/arbiter-engine/benches/policies")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOLERANCE
}

/// What one agreement check counted.
#[derive(Default)]
struct Tally {
    decisions: usize,
    ranked: usize,
    vetoes: usize,
    reasons: usize,
    same_reasons: usize,
    /// The largest difference between two scores compared.
    largest: f64,
}

impl Tally {
    /// Whether `a` and `b` are within the tolerance; notes the difference.
    fn close(&mut self, a: f64, b: f64) -> bool {
        self.largest = self.largest.max((a - b).abs());
        close(a, b)
    }

    fn close_opt(&mut self, a: Option<f64>, b: Option<f64>) -> bool {
        match (a, b) {
            (Some(a), Some(b)) => self.close(a, b),
            (a, b) => a == b,
        }
    }
}

/// Panics unless the peer decided as the scripts did (see the module's comment); counts what it
/// compared.
fn check_agreement(what: &str, scripted: &Decision, peer: &Combined, tally: &mut Tally) {
    assert!(
        scripted.errors.is_empty(),
        "{what}: the scripts failed: {:?}",
        scripted.errors
    );
    assert!(
        peer.errors.is_empty(),
        "{what}: the Rego rules failed: {:?}",
        peer.errors
    );
    assert_eq!(scripted.outcome, peer.outcome, "{what}: outcome");
    assert_eq!(scripted.chosen, peer.chosen, "{what}: chosen model");
    let vetoes = |r: &[arbiter_engine::decide::Rejection]| -> BTreeSet<(String, String)> {
        r.iter()
            .map(|r| (r.model.clone(), r.criterion.clone()))
            .collect()
    };
    let (sv, pv) = (vetoes(&scripted.rejected), vetoes(&peer.rejected));
    if sv != pv {
        panic!(
            "{what}: vetoes differ; only arbiter: {:?}; only regorus: {:?}",
            sv.difference(&pv).collect::<Vec<_>>(),
            pv.difference(&sv).collect::<Vec<_>>()
        );
    }
    for (s, p) in scripted.rejected.iter().zip(&peer.rejected) {
        tally.reasons += 1;
        tally.same_reasons += usize::from(s.reason == p.reason);
    }
    assert_eq!(
        scripted.ranking.len(),
        peer.ranking.len(),
        "{what}: ranked models"
    );
    let by_id: BTreeMap<&str, &Ranked> =
        peer.ranking.iter().map(|r| (r.model.as_str(), r)).collect();
    for (i, (s, p)) in scripted.ranking.iter().zip(&peer.ranking).enumerate() {
        // The order may differ only between models the tolerance cannot tell apart.
        assert!(
            s.model == p.model || close(s.score, p.score),
            "{what}: rank {}: arbiter {} ({}), regorus {} ({})",
            i + 1,
            s.model,
            s.score,
            p.model,
            p.score
        );
        let m = &s.model;
        let p = by_id
            .get(m.as_str())
            .unwrap_or_else(|| panic!("{what}: {m} is ranked by arbiter only"));
        assert!(
            tally.close(s.score, p.score),
            "{what}: score of {m}: arbiter {} regorus {}",
            s.score,
            p.score
        );
        assert_eq!(s.precision, p.precision, "{what}: precision of {m}");
        let names = |r: &Ranked| r.criteria.keys().cloned().collect::<Vec<_>>();
        assert_eq!(names(s), names(p), "{what}: criteria of {m}");
        for (name, sc) in &s.criteria {
            let pc = &p.criteria[name];
            assert_eq!(sc.status, pc.status, "{what}: {name} status for {m}");
            assert!(
                tally.close_opt(sc.score, pc.score),
                "{what}: {name} score for {m}: arbiter {:?} regorus {:?}",
                sc.score,
                pc.score
            );
            assert_eq!(
                sc.precision, pc.precision,
                "{what}: {name} precision for {m}"
            );
            assert!(
                tally.close(sc.contribution, pc.contribution),
                "{what}: {name} contribution for {m}"
            );
            tally.reasons += 1;
            tally.same_reasons += usize::from(sc.reasons == pc.reasons);
        }
    }
    tally.decisions += 1;
    tally.ranked += peer.ranking.len();
    tally.vetoes += peer.rejected.len();
}

/// Decides every task with both sides over one catalog, and checks that they agree.
fn check_catalog(
    catalog: &str,
    bundle: &Bundle,
    peer: &mut Peer,
    tasks: &[(String, Task)],
    tally: &mut Tally,
) {
    for (name, task) in tasks {
        let what = format!("{catalog}, {name}");
        let scripted = decide(bundle, task.clone()).unwrap();
        let rego = peer.decide(task).unwrap();
        check_agreement(&what, &scripted, &rego, tally);
        eprintln!(
            "agree: {what}: {} models, {} ranked, {} vetoes, chosen {}",
            bundle.catalog.models.len(),
            rego.ranking.len(),
            rego.rejected.len(),
            rego.chosen.as_deref().unwrap_or("-"),
        );
    }
}

/// The median of some times.
fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    let n = times.len();
    if n % 2 == 1 {
        times[n / 2]
    } else {
        f64::midpoint(times[n / 2 - 1], times[n / 2])
    }
}

/// A contender in [`rounds`]: one decision per call, its result dropped inside the call,
/// returning the time it took in seconds.
type Contender<'a> = &'a mut dyn FnMut() -> f64;

/// Paired rounds: each round times one call of every contender, in an order rotated from round
/// to round, so that a change in the machine's load falls on all of them alike (the machine is
/// shared). Returns each contender's median time per call, in seconds.
fn rounds(n: usize, contenders: &mut [Contender<'_>]) -> Vec<f64> {
    let k = contenders.len();
    let mut times = vec![Vec::with_capacity(n); k];
    for round in 0..n {
        for j in 0..k {
            let i = (round + j) % k;
            times[i].push((contenders[i])());
        }
    }
    times.into_iter().map(median).collect()
}

/// The wall-clock time of `f`: what a caller waits for.
fn wall<R>(f: impl FnOnce() -> R) -> f64 {
    let start = Instant::now();
    drop(black_box(f()));
    start.elapsed().as_secs_f64()
}

/// The CPU time of `f` run on `pool`, a pool of one thread, measured on that thread: unlike the
/// wall clock, not lengthened while the shared machine runs something else. (The wall clock
/// where the platform has no thread clock.)
fn cpu_on<R>(pool: &ThreadPool, f: impl FnOnce() -> R + Send) -> f64 {
    pool.install(|| match ThreadTime::try_now() {
        Ok(start) => {
            drop(black_box(f()));
            start.elapsed().as_secs_f64()
        }
        Err(_) => wall(f),
    })
}

fn show(seconds: f64) -> String {
    if seconds >= 1.0 {
        format!("{seconds:.2} s")
    } else if seconds >= 1e-3 {
        format!("{:.2} ms", seconds * 1e3)
    } else {
        format!("{:.0} µs", seconds * 1e6)
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let started = Instant::now();
    let default = frozen_bundle();
    let chinese = load_task(&repo().join("examples/tasks/chinese-sentiment-cpu.yaml")).unwrap();
    let english = task_from_str(ENGLISH_TASK, Syntax::Yaml, "bench").unwrap();
    let synthetic = bundle_with(synthetic_models(&default.catalog.models, SYNTHETIC_MODELS));
    let probe = bundle_with(probe_models(&default.catalog.models));
    // Every verdict computed by a script, as every verdict is computed by Rego.
    for b in [&default, &synthetic, &probe] {
        b.cache.set_enabled(false);
    }
    let threads = rayon::current_num_threads();
    let mut peer_default = Peer::new(&default, threads).unwrap();
    let mut peer_synthetic = Peer::new(&synthetic, threads).unwrap();
    let mut peer_probe = Peer::new(&probe, threads).unwrap();
    eprintln!(
        "setup: {} default models, a {}-model synthetic catalog and a {}-model probe, as bundles and as Rego data ({} engines each, one per rayon thread), in {:.1} s",
        default.catalog.models.len(),
        synthetic.catalog.models.len(),
        probe.catalog.models.len(),
        peer_default.shards(),
        started.elapsed().as_secs_f64()
    );

    // The agreement check.
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
    let mut default_tasks: Vec<(String, Task)> =
        vec![("the timed English task".into(), english.clone())];
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
    let mut tally = Tally::default();
    check_catalog(
        "default catalog",
        &default,
        &mut peer_default,
        &default_tasks,
        &mut tally,
    );
    check_catalog(
        "probe catalog",
        &probe,
        &mut peer_probe,
        &default_tasks,
        &mut tally,
    );
    check_catalog(
        "synthetic catalog",
        &synthetic,
        &mut peer_synthetic,
        &synthetic_tasks,
        &mut tally,
    );
    // Each criterion alone (the bundle cut down to it, as the engine bench's `criterion`
    // group): the Rego rules run are the bundle's, so the peer follows.
    let alone: Vec<(&str, Bundle)> = CRITERIA
        .iter()
        .map(|&name| {
            let one = bundle_of_one(name);
            one.cache.set_enabled(false);
            (name, one)
        })
        .collect();
    let mut peers_alone: Vec<Peer> = alone
        .iter()
        .map(|(_, one)| Peer::new(one, threads).unwrap())
        .collect();
    for ((name, one), peer) in alone.iter().zip(&mut peers_alone) {
        // A task weighting another criterion is refused by a bundle without it.
        let tasks: Vec<(String, Task)> = default_tasks
            .iter()
            .filter(|(_, t)| t.weights.keys().all(|k| k.as_str() == *name))
            .cloned()
            .collect();
        check_catalog(
            &format!("{name} alone, default catalog"),
            one,
            peer,
            &tasks,
            &mut tally,
        );
    }
    eprintln!(
        "agree: {} decisions, {} ranked models and {} vetoes compared, no difference (scores within {TOLERANCE:e}, the largest gap {:e}); reasons worded alike in {} of {}",
        tally.decisions,
        tally.ranked,
        tally.vetoes,
        tally.largest,
        tally.same_reasons,
        tally.reasons
    );

    // The timing: criterion's measures of each side, then the ratios from paired rounds.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |f: &str| args.iter().any(|a| a == f);
    // `cargo bench` passes `--bench`; without it, or with `--test`, criterion runs once.
    let timing = flag("--bench") && !flag("--test") && !flag("--list");
    // The filter is criterion's: the one argument that is neither an option nor an option's
    // value.
    const WITH_VALUE: [&str; 6] = [
        "--save-baseline",
        "--baseline",
        "--load-baseline",
        "--color",
        "--output-format",
        "--profile-time",
    ];
    let filter = args
        .iter()
        .enumerate()
        .find(|(i, a)| {
            !a.starts_with('-') && (*i == 0 || !WITH_VALUE.contains(&args[i - 1].as_str()))
        })
        .map(|(_, a)| a.clone());
    let wanted = |name: &str| timing && filter.as_deref().is_none_or(|f| name.contains(f));

    let mut group = c.benchmark_group("race");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("default-catalog/arbiter", |b| {
        b.iter(|| decide(black_box(&default), black_box(&chinese).clone()).unwrap());
    });
    group.bench_function("default-catalog/regorus", |b| {
        b.iter(|| peer_default.decide(black_box(&chinese)).unwrap());
    });
    // A decision over 10,000 models takes long enough for flat sampling, one per sample.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    group.bench_function("synthetic-10k/arbiter", |b| {
        b.iter(|| decide(black_box(&synthetic), black_box(&english).clone()).unwrap());
    });
    group.bench_function("synthetic-10k/regorus", |b| {
        b.iter(|| peer_synthetic.decide(black_box(&english)).unwrap());
    });
    group.finish();
    c.final_summary();
    if !timing {
        return;
    }

    // Paired rounds, arbiter and regorus alternating: by the wall clock with the machine's rayon
    // pool (both evaluate the models in parallel), then by CPU time on one thread each (the
    // catalog in one regorus engine), which the machine's load hardly moves.
    let single = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut peer_default_1 = Peer::new(&default, 1).unwrap();
    let mut peer_synthetic_1 = Peer::new(&synthetic, 1).unwrap();
    let pair = |name: &str, n: usize, arbiter: Contender, regorus: Contender| {
        if !wanted(name) {
            return None;
        }
        eprintln!("timing {name}: {n} paired rounds");
        let m = rounds(n, &mut [arbiter, regorus]);
        Some((m[0], m[1]))
    };
    let default_pool = pair(
        "race/default-catalog",
        41,
        &mut || wall(|| decide(&default, chinese.clone()).unwrap()),
        &mut || wall(|| peer_default.decide(&chinese).unwrap()),
    );
    let synthetic_pool = pair(
        "race/synthetic-10k",
        7,
        &mut || wall(|| decide(&synthetic, english.clone()).unwrap()),
        &mut || wall(|| peer_synthetic.decide(&english).unwrap()),
    );
    let default_one = pair(
        "race/default-catalog/1-thread",
        41,
        &mut || cpu_on(&single, || decide(&default, chinese.clone()).unwrap()),
        &mut || cpu_on(&single, || peer_default_1.decide(&chinese).unwrap()),
    );
    let synthetic_one = pair(
        "race/synthetic-10k/1-thread",
        7,
        &mut || cpu_on(&single, || decide(&synthetic, english.clone()).unwrap()),
        &mut || cpu_on(&single, || peer_synthetic_1.decide(&english).unwrap()),
    );
    // Each criterion alone on the default catalog: where the time goes.
    let per_criterion: Vec<Option<(f64, f64)>> = alone
        .iter()
        .map(|(name, one)| {
            let mut peer = Peer::new(one, 1).unwrap();
            pair(
                &format!("criterion/{name}"),
                21,
                &mut || cpu_on(&single, || decide(one, chinese.clone()).unwrap()),
                &mut || cpu_on(&single, || peer.decide(&chinese).unwrap()),
            )
        })
        .collect();
    // How regorus is best driven: the prepared engine reused (what the race uses), a clone of
    // it per decision, or regorus's CompiledPolicy (an engine built per evaluation).
    let engines = wanted("regorus-engine/default-catalog").then(|| {
        eprintln!("timing regorus-engine/default-catalog: 41 rounds");
        let compiled = peer_default_1.clone().compiled().unwrap();
        let prepared = peer_default_1.clone();
        rounds(
            41,
            &mut [
                &mut || cpu_on(&single, || peer_default_1.decide(&chinese).unwrap()),
                &mut || cpu_on(&single, || prepared.decide_cloning(&chinese).unwrap()),
                &mut || {
                    cpu_on(&single, || {
                        prepared.decide_compiled(&compiled, &chinese).unwrap()
                    })
                },
            ],
        )
    });

    // The table.
    let row = |what: String, m: Option<(f64, f64)>| match m {
        Some((a, r)) => eprintln!(
            "  {what:<38} {:>10} {:>10} {:>7.2}×",
            show(a),
            show(r),
            r / a
        ),
        None => eprintln!("  {what:<38} {:>10} {:>10} {:>8}", "-", "-", "-"),
    };
    let d = default.catalog.models.len();
    let s = synthetic.catalog.models.len();
    eprintln!();
    eprintln!(
        "race: median per decision over paired rounds of this run; ratio = regorus / arbiter"
    );
    eprintln!(
        "  {:<38} {:>10} {:>10} {:>8}",
        "", "arbiter", "regorus", "ratio"
    );
    eprintln!("wall clock, {threads} rayon threads (what a caller waits for):");
    row(format!("default catalog, {d} models"), default_pool);
    row(format!("synthetic catalog, {s} models"), synthetic_pool);
    eprintln!("CPU time on one thread (what the machine's load hardly moves):");
    row(format!("default catalog, {d} models"), default_one);
    row(format!("synthetic catalog, {s} models"), synthetic_one);
    for ((name, _), m) in alone.iter().zip(per_criterion) {
        row(format!("default catalog, {name} alone"), m);
    }
    if let Some(e) = engines {
        eprintln!(
            "regorus driven three ways, default catalog, CPU time on one thread: one prepared engine reused {}, cloned per decision {}, CompiledPolicy {}",
            show(e[0]),
            show(e[1]),
            show(e[2])
        );
    }
}
