//! Measures write-to-active latency: the time from the end of a file write to the moment the
//! new bundle is active, over 100 reloads of a copy of the default bundle (each one compiles
//! every script and runs every golden case), with the default watcher settings.
//!
//! `cargo run --release -p arbiter-server --example reload_latency [-- RELOADS]`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a measuring tool

use std::sync::Arc;
use std::time::{Duration, Instant};

use arbiter_engine::store::BundleStore;
use arbiter_server::watch::{self, WatchConfig};
use arbiter_test_support::{copy_dir, repo};

fn main() {
    let reloads: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    let dir = std::env::temp_dir().join(format!("arbiter-reload-latency-{}", std::process::id()));
    let bundle = dir.join("policies");
    copy_dir(&repo().join("policies"), &bundle);
    let store = Arc::new(BundleStore::new(&bundle, None));
    store.reload();
    let config = WatchConfig::default();
    let _watcher = watch::spawn(store.clone(), config, |_| {}).unwrap();
    let script = bundle.join("criteria/domain.rhai");
    let original = std::fs::read_to_string(&script).unwrap();
    let mut samples = Vec::with_capacity(reloads);
    for i in 0..reloads {
        let generation = store.generation();
        std::fs::write(&script, format!("{original}\n// edit {i}\n")).unwrap();
        let written = Instant::now();
        while store.generation() == generation {
            assert!(
                written.elapsed() < Duration::from_secs(30),
                "no reload after 30 s"
            );
            std::thread::sleep(Duration::from_micros(500));
        }
        samples.push(written.elapsed());
    }
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{} reloads, debounce {} ms: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        samples.len(),
        config.debounce.as_millis(),
        ms(pct(0.5)),
        ms(pct(0.99)),
        ms(*samples.last().unwrap())
    );
    let _ = std::fs::remove_dir_all(&dir);
}
