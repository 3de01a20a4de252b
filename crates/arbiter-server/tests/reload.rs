//! Hot reload with real files in temporary folders and real file-system events: every way
//! editors and deployment tools replace files, broken and test-failing bundles, and reloads
//! under load. Tests wait on the store's counters with a deadline, never a fixed sleep.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arbiter_engine::bundle::Files;
use arbiter_engine::store::{BundleStore, ReloadOutcome};
use arbiter_engine::{decide, load};
use arbiter_server::watch::{self, BundleWatcher, WatchConfig, WatchMode};
use arbiter_test_support::{copy_dir, repo};

const DEADLINE: Duration = Duration::from_secs(15);

fn task() -> arbiter_engine::Task {
    load::task_from_str(
        "name: t\ntask: text-classification\nlanguages: [en]\ndata: {labeled_examples: 100}\n",
        load::Syntax::Yaml,
        "t",
    )
    .unwrap()
}

/// Waits until `done` holds, or fails the test after the deadline.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    bundle: PathBuf,
    store: Arc<BundleStore>,
    outcomes: Arc<Mutex<Vec<ReloadOutcome>>>,
    _watcher: BundleWatcher,
}

impl Fixture {
    fn new(mode: WatchMode) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let bundle = dir.path().join("bundle");
        copy_dir(&repo().join("tests/bundles/tiny"), &bundle);
        Fixture::watch(dir, bundle, None, mode)
    }

    fn watch(
        dir: tempfile::TempDir,
        bundle: PathBuf,
        catalog: Option<PathBuf>,
        mode: WatchMode,
    ) -> Fixture {
        let store = Arc::new(BundleStore::new(&bundle, catalog));
        assert!(
            matches!(store.reload(), ReloadOutcome::Activated { .. }),
            "{:?}",
            store.last_failure()
        );
        let outcomes = Arc::new(Mutex::new(Vec::new()));
        let sink = outcomes.clone();
        let config = WatchConfig {
            mode,
            poll_interval: Duration::from_millis(50),
            ..WatchConfig::default()
        };
        let watcher = watch::spawn(store.clone(), config, move |o| {
            sink.lock().unwrap().push(o.clone())
        })
        .unwrap();
        Fixture {
            _dir: dir,
            bundle,
            store,
            outcomes,
            _watcher: watcher,
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.bundle.join(rel)
    }

    fn activated(&self) -> u64 {
        self.store.counters.activated.load(Ordering::SeqCst)
    }

    fn rejected(&self) -> u64 {
        self.store.counters.rejected.load(Ordering::SeqCst)
    }

    fn wait_activation(&self, after: u64) {
        wait_until("an activation", || self.store.generation() > after);
    }

    fn wait_rejection(&self, after: u64) {
        wait_until("a rejection", || self.rejected() > after);
    }

    /// The reason the `version` criterion gave for the chosen model.
    fn version(&self) -> String {
        let bundle = self.store.snapshot().unwrap();
        let d = decide(&bundle, task()).unwrap();
        d.ranking[0].criteria["version"].reasons[0].clone()
    }
}

fn version_script(v: &str) -> String {
    format!(
        "// Reports the version ({v}).\nfn evaluate(task, model) {{\n    score(0.5, \"{v}\")\n}}\n"
    )
}

#[test]
fn in_place_write_reloads() {
    let f = Fixture::new(WatchMode::Native);
    let g = f.store.generation();
    std::fs::write(f.path("criteria/version.rhai"), version_script("version 2")).unwrap();
    f.wait_activation(g);
    assert_eq!(f.version(), "version 2");
}

#[test]
fn write_to_temp_then_rename_reloads() {
    // vim, `sed -i` and JetBrains' safe write all replace the file by a rename.
    let f = Fixture::new(WatchMode::Native);
    let g = f.store.generation();
    let tmp = f.path("criteria/.version.rhai.swp");
    std::fs::write(&tmp, version_script("version 3")).unwrap();
    std::fs::rename(&tmp, f.path("criteria/version.rhai")).unwrap();
    f.wait_activation(g);
    assert_eq!(f.version(), "version 3");
}

#[test]
fn delete_then_recreate_keeps_serving_then_reloads() {
    let f = Fixture::new(WatchMode::Native);
    let (g, r) = (f.store.generation(), f.rejected());
    std::fs::remove_file(f.path("criteria/version.rhai")).unwrap();
    f.wait_rejection(r);
    assert_eq!(
        f.store.generation(),
        g,
        "a bundle with a missing script must not go live"
    );
    assert_eq!(
        f.version(),
        "version 1",
        "the last good bundle keeps serving"
    );
    let failure = f.store.last_failure().unwrap();
    assert!(
        failure
            .message
            .contains("criteria/version.rhai` is missing"),
        "{failure:?}"
    );
    std::fs::write(f.path("criteria/version.rhai"), version_script("version 4")).unwrap();
    f.wait_activation(g);
    assert_eq!(f.version(), "version 4");
}

#[test]
fn configmap_data_symlink_swap_reloads() {
    // Kubernetes mounts a ConfigMap as files that are symlinks into `..data`, itself a symlink
    // to a timestamped folder; an update writes a new folder and swaps `..data` atomically.
    let dir = tempfile::tempdir().unwrap();
    let mount = dir.path().join("mount");
    std::fs::create_dir_all(&mount).unwrap();
    let v1 = mount.join("..2026_11_28_00_00_01.000000001");
    copy_dir(&repo().join("tests/bundles/tiny"), &v1);
    std::os::unix::fs::symlink("..2026_11_28_00_00_01.000000001", mount.join("..data")).unwrap();
    for name in ["bundle.toml", "catalog.yaml", "criteria", "tests"] {
        std::os::unix::fs::symlink(format!("..data/{name}"), mount.join(name)).unwrap();
    }
    let f = Fixture::watch(dir, mount.clone(), None, WatchMode::Native);
    assert_eq!(f.version(), "version 1");

    let g = f.store.generation();
    let v2 = mount.join("..2026_11_28_00_05_00.000000002");
    copy_dir(&v1, &v2);
    std::fs::write(
        v2.join("criteria/version.rhai"),
        version_script("version 5"),
    )
    .unwrap();
    std::os::unix::fs::symlink("..2026_11_28_00_05_00.000000002", mount.join("..data_tmp"))
        .unwrap();
    std::fs::rename(mount.join("..data_tmp"), mount.join("..data")).unwrap();
    std::fs::remove_dir_all(&v1).unwrap();
    f.wait_activation(g);
    assert_eq!(f.version(), "version 5");
}

#[test]
fn a_new_criterion_with_its_manifest_entry_reloads() {
    let f = Fixture::new(WatchMode::Native);
    let g = f.store.generation();
    std::fs::write(
        f.path("criteria/depth.rhai"),
        "fn evaluate(task, model) {\n    score(0.25, \"depth\")\n}\n",
    )
    .unwrap();
    let mut manifest = std::fs::read_to_string(f.path("bundle.toml")).unwrap();
    manifest.push_str(
        "\n[[criterion]]\nname = \"depth\"\nscript = \"criteria/depth.rhai\"\nweight = 1.0\n",
    );
    std::fs::write(f.path("bundle.toml"), manifest).unwrap();
    wait_until("the new criterion", || {
        f.store
            .active()
            .is_some_and(|a| a.bundle.criteria.iter().any(|c| c.name == "depth"))
    });
    assert!(f.store.generation() > g);
}

#[test]
fn a_catalog_edit_reloads() {
    let f = Fixture::new(WatchMode::Native);
    let g = f.store.generation();
    let catalog = std::fs::read_to_string(f.path("catalog.yaml")).unwrap();
    std::fs::write(
        f.path("catalog.yaml"),
        catalog.replacen("parameters_m: 110", "parameters_m: 120", 1),
    )
    .unwrap();
    f.wait_activation(g);
    let bundle = f.store.snapshot().unwrap();
    assert_eq!(bundle.catalog.get("x/trigger").unwrap().parameters_m, 120.0);
}

#[test]
fn a_truncated_script_is_rejected_and_fixing_it_reloads() {
    let f = Fixture::new(WatchMode::Native);
    let (g, r) = (f.store.generation(), f.rejected());
    let good = std::fs::read_to_string(f.path("criteria/size.rhai")).unwrap();
    std::fs::write(f.path("criteria/size.rhai"), &good[..good.len() / 2]).unwrap();
    f.wait_rejection(r);
    assert_eq!(f.store.generation(), g);
    let failure = f.store.last_failure().unwrap();
    assert!(
        failure
            .file
            .as_deref()
            .unwrap()
            .ends_with("criteria/size.rhai"),
        "{failure:?}"
    );
    assert!(failure.span.is_some(), "{failure:?}");
    assert!(
        f.outcomes
            .lock()
            .unwrap()
            .iter()
            .any(|o| matches!(o, ReloadOutcome::Rejected(_)))
    );
    assert_eq!(
        f.version(),
        "version 1",
        "the last good bundle keeps serving"
    );
    std::fs::write(
        f.path("criteria/size.rhai"),
        good.replace("version 1", "version 1b"),
    )
    .unwrap();
    f.wait_activation(g);
}

#[test]
fn a_change_that_breaks_a_golden_case_is_rejected_naming_the_case() {
    let f = Fixture::new(WatchMode::Native);
    let (g, r) = (f.store.generation(), f.rejected());
    // Larger is better now: x/first would no longer be chosen.
    std::fs::write(
        f.path("criteria/size.rhai"),
        "fn evaluate(task, model) {\n    score(model.parameters_m / 1000.0, \"version 1\")\n}\n",
    )
    .unwrap();
    f.wait_rejection(r);
    assert_eq!(
        f.store.generation(),
        g,
        "a bundle failing its golden cases must not go live"
    );
    let failure = f.store.last_failure().unwrap();
    assert!(
        failure
            .message
            .contains("tests/smallest-wins.yaml: golden case failed"),
        "{failure:?}"
    );
    assert!(
        failure
            .file
            .as_deref()
            .unwrap()
            .ends_with("tests/smallest-wins.yaml")
    );
}

#[test]
fn identical_content_is_a_no_op() {
    let f = Fixture::new(WatchMode::Native);
    let g = f.store.generation();
    let unchanged = f.store.counters.unchanged.load(Ordering::SeqCst);
    let text = std::fs::read_to_string(f.path("criteria/size.rhai")).unwrap();
    std::fs::write(f.path("criteria/size.rhai"), text).unwrap();
    wait_until("a no-op rescan", || {
        f.store.counters.unchanged.load(Ordering::SeqCst) > unchanged
    });
    assert_eq!(f.store.generation(), g);
}

#[test]
fn poll_mode_sees_changes_too() {
    let f = Fixture::new(WatchMode::Poll);
    let g = f.store.generation();
    std::fs::write(f.path("criteria/version.rhai"), version_script("version 6")).unwrap();
    f.wait_activation(g);
    assert_eq!(f.version(), "version 6");
}

/// A script linked to a file outside the bundle folder is refused, naming the link, and the
/// last good bundle keeps serving: a bundle is what is in its folder (a link was followed, and a
/// file anywhere on the machine could be read as a script, its first token quoted in the error).
/// Links inside the folder — a ConfigMap's `..data` — still reload (see above).
#[test]
fn a_script_linked_out_of_the_bundle_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared");
    std::fs::create_dir_all(&shared).unwrap();
    let bundle = dir.path().join("bundle");
    copy_dir(&repo().join("tests/bundles/tiny"), &bundle);
    let f = Fixture::watch(dir, bundle.clone(), None, WatchMode::Native);
    let (g, r) = (f.store.generation(), f.rejected());
    std::fs::write(shared.join("version.rhai"), version_script("version 7")).unwrap();
    std::fs::remove_file(bundle.join("criteria/version.rhai")).unwrap();
    std::os::unix::fs::symlink(
        shared.join("version.rhai"),
        bundle.join("criteria/version.rhai"),
    )
    .unwrap();
    f.wait_rejection(r);
    assert_eq!(
        f.store.generation(),
        g,
        "the last good bundle keeps serving"
    );
    assert_eq!(f.version(), "version 1");
    let failure = f.store.last_failure().unwrap();
    assert!(
        failure.message.contains("criteria/version.rhai")
            && failure.message.contains("leads out of the bundle folder"),
        "{}",
        failure.message
    );
}

#[test]
fn reload_under_load_never_fails_or_mixes_bundles() {
    // Decisions run on four threads while good and broken bundles alternate, each swapped in
    // atomically (ConfigMap style). Every decision must succeed, name the hash of a good bundle,
    // and carry that bundle's version in every criterion's reason.
    let dir = tempfile::tempdir().unwrap();
    let mount = dir.path().join("mount");
    std::fs::create_dir_all(&mount).unwrap();
    let base = repo().join("tests/bundles/tiny");
    let mut good: HashMap<String, String> = HashMap::new();
    let make = |i: usize, broken: bool| -> PathBuf {
        let v = mount.join(format!("..v{i:03}"));
        copy_dir(&base, &v);
        let tag = format!("version {i}");
        let size = std::fs::read_to_string(v.join("criteria/size.rhai"))
            .unwrap()
            .replace("version 1", &tag);
        let size = if broken {
            size.replace("score(", "score((")
        } else {
            size
        };
        std::fs::write(v.join("criteria/size.rhai"), size).unwrap();
        std::fs::write(v.join("criteria/version.rhai"), version_script(&tag)).unwrap();
        v
    };
    let v0 = make(0, false);
    good.insert(Files::read_dir(&v0).unwrap().hash(), "version 0".into());
    std::os::unix::fs::symlink("..v000", mount.join("..data")).unwrap();
    for name in ["bundle.toml", "catalog.yaml", "criteria", "tests"] {
        std::os::unix::fs::symlink(format!("..data/{name}"), mount.join(name)).unwrap();
    }
    let f = Fixture::watch(dir, mount.clone(), None, WatchMode::Native);
    let good = Arc::new(Mutex::new(good));

    let stop = Arc::new(AtomicBool::new(false));
    let decisions = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (store, stop, decisions, good) = (
                f.store.clone(),
                stop.clone(),
                decisions.clone(),
                good.clone(),
            );
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let bundle = store.snapshot().unwrap();
                    let d = decide(&bundle, task()).unwrap();
                    assert!(d.errors.is_empty(), "{:?}", d.errors);
                    let expected = good.lock().unwrap().get(&d.bundle.hash).cloned();
                    let expected = expected.unwrap_or_else(|| {
                        panic!("decision by an unknown bundle {}", d.bundle.hash)
                    });
                    for r in &d.ranking {
                        for (name, c) in &r.criteria {
                            assert_eq!(
                                c.reasons[0], expected,
                                "criterion {name} of {} mixed bundles",
                                r.model
                            );
                        }
                    }
                    decisions.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();

    for i in 1..=60 {
        let broken = i % 2 == 0;
        let v = make(i, broken);
        if !broken {
            good.lock()
                .unwrap()
                .insert(Files::read_dir(&v).unwrap().hash(), format!("version {i}"));
        }
        let (g, r) = (f.store.generation(), f.rejected());
        let tmp = mount.join("..data_tmp");
        std::os::unix::fs::symlink(v.file_name().unwrap(), &tmp).unwrap();
        std::fs::rename(&tmp, mount.join("..data")).unwrap();
        if broken {
            f.wait_rejection(r);
        } else {
            f.wait_activation(g);
        }
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().expect("a decision thread failed");
    }
    assert_eq!(f.activated(), 31, "the first bundle and 30 good ones");
    assert_eq!(f.rejected(), 30);
    assert!(
        decisions.load(Ordering::Relaxed) > 60,
        "too few decisions ran during the reloads"
    );
}
