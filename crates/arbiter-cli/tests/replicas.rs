//! Several `arbiter serve` replicas sharing one PostgreSQL decision store, as behind a load
//! balancer (deploy/kubernetes runs the same binary with the same flags): driven at once while
//! their bundle folder is rewritten, then one `audit verify` over the single chain; and the
//! database stopped in the middle of the load — 503s, no acknowledged decision lost, recovery
//! once it is back.
//!
//! Run by `scripts/test`, inside `scripts/with-postgres` (which starts the server and exports
//! how to stop and start it). The two tests stop the database or depend on it staying up, so
//! they take turns.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arbiter_test_support::{Binary, BundleCopy, Running, fresh_postgres_schema, repo_listing};

const ARBITER: Binary = Binary::new(env!("CARGO_BIN_EXE_arbiter"));
const TOKEN: &str = "replica-test-token";

/// One test at a time: one stops the database the other uses.
static DATABASE: Mutex<()> = Mutex::new(());

struct Replica {
    _process: Running,
    base: String,
}

/// A replica started with the flags of deploy/kubernetes' Deployment (bundle folder, token
/// file, replica id, the store's URL from the environment as the Secret gives it).
fn replica(bundle: &str, token_file: &str, url: &str, id: &str) -> Replica {
    let mut command = ARBITER.command();
    command.env("ARBITER_DECISION_LOG", url).args([
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--bundle",
        bundle,
        "--token-file",
        token_file,
        "--replica-id",
        id,
        "--deadline-ms",
        "60000",
    ]);
    let mut process = Running::spawn(command);
    let base = process.listening_base();
    Replica {
        _process: process,
        base,
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(90)))
        .build()
        .into()
}

fn get(base: &str, path: &str) -> (u16, String) {
    match agent()
        .get(&format!("{base}{path}"))
        .header("authorization", &format!("Bearer {TOKEN}"))
        .call()
    {
        Ok(mut r) => (
            r.status().as_u16(),
            r.body_mut().read_to_string().unwrap_or_default(),
        ),
        Err(e) => (0, e.to_string()),
    }
}

/// What the load saw: every answer's status, the ids of the decisions answered 200, and
/// their latencies.
#[derive(Default)]
struct Load {
    statuses: BTreeMap<u16, usize>,
    acknowledged: Vec<String>,
    acknowledged_at: Vec<Instant>,
    latencies: Vec<Duration>,
    bodies_503: Vec<String>,
}

impl Load {
    fn merge(&mut self, other: Load) {
        for (s, n) in other.statuses {
            *self.statuses.entry(s).or_default() += n;
        }
        self.acknowledged.extend(other.acknowledged);
        self.acknowledged_at.extend(other.acknowledged_at);
        self.latencies.extend(other.latencies);
        self.bodies_503.extend(other.bodies_503);
    }

    fn p99(&self) -> Duration {
        let mut l = self.latencies.clone();
        l.sort_unstable();
        l.get((l.len() * 99).div_ceil(100).saturating_sub(1))
            .copied()
            .unwrap_or_default()
    }
}

fn tasks() -> Vec<(Vec<u8>, &'static str)> {
    repo_listing("examples/tasks", |p| {
        p.extension().is_some_and(|e| e == "yaml" || e == "json")
    })
    .into_iter()
    .map(|rel| {
        let body = std::fs::read(arbiter_test_support::repo().join(&rel)).unwrap();
        let kind = if rel.ends_with(".json") {
            "application/json"
        } else {
            "application/yaml"
        };
        (body, kind)
    })
    .collect()
}

/// Posts tasks to `base` until `stop` is raised.
fn drive(base: String, offset: usize, stop: Arc<AtomicBool>) -> Load {
    let tasks = tasks();
    let agent = agent();
    let mut load = Load::default();
    let mut i = offset;
    while !stop.load(Ordering::Relaxed) {
        let (body, kind) = &tasks[i % tasks.len()];
        i += 1;
        let started = Instant::now();
        let answer = agent
            .post(&format!("{base}/v1/select"))
            .header("content-type", *kind)
            .header("authorization", &format!("Bearer {TOKEN}"))
            .send(&body[..]);
        let (status, text) = match answer {
            Ok(mut r) => (
                r.status().as_u16(),
                r.body_mut().read_to_string().unwrap_or_default(),
            ),
            Err(_) => (0, String::new()),
        };
        *load.statuses.entry(status).or_default() += 1;
        match status {
            200 => {
                load.latencies.push(started.elapsed());
                load.acknowledged_at.push(Instant::now());
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                load.acknowledged
                    .push(v["decision_id"].as_str().unwrap().to_string());
            }
            503 => {
                load.bodies_503.push(text);
                std::thread::sleep(Duration::from_millis(50));
            }
            _ => {}
        }
    }
    load
}

/// Drives every replica with `per_replica` clients until `stop` is raised; the merged load.
fn drive_all(
    replicas: &[Replica],
    per_replica: usize,
    stop: &Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<Load>> {
    let mut clients = Vec::new();
    for (r, replica) in replicas.iter().enumerate() {
        for c in 0..per_replica {
            let (base, stop) = (replica.base.clone(), Arc::clone(stop));
            clients.push(std::thread::spawn(move || drive(base, r * 7 + c * 3, stop)));
        }
    }
    clients
}

fn joined(clients: Vec<std::thread::JoinHandle<Load>>) -> Load {
    let mut load = Load::default();
    for c in clients {
        load.merge(c.join().unwrap());
    }
    load
}

/// The records of the store: decision id → replica, from `audit query`.
fn logged(url: &str) -> Vec<(String, String)> {
    let out = ARBITER.run(&["audit", "query", url, "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    rows.iter()
        .map(|r| {
            (
                r["decision_id"].as_str().unwrap().to_string(),
                r["replica"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// `audit verify` over the store: the number of records of an intact chain.
fn verified_records(url: &str) -> usize {
    let out = ARBITER.run(&["audit", "verify", url]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "verify failed: {text}");
    text.strip_prefix("intact: ")
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected: {text}"))
}

fn write_token(dir: &std::path::Path) -> String {
    let path = dir.join("token");
    std::fs::write(&path, format!("{TOKEN}\n")).unwrap();
    path.to_str().unwrap().to_string()
}

/// Writes a line to the test's report (printed, and kept in target/test-reports/).
fn report(name: &str, line: &str) {
    eprintln!("{line}");
    let dir = arbiter_test_support::repo().join("target/test-reports");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.txt")), format!("{line}\n")).unwrap();
}

#[test]
fn three_replicas_share_one_chain_while_their_bundle_is_rewritten() {
    let _turn = DATABASE.lock().unwrap_or_else(|p| p.into_inner());
    let url = fresh_postgres_schema("replicas");
    let bundle = BundleCopy::policies();
    let dir = tempfile::tempdir().unwrap();
    let token = write_token(dir.path());
    let replicas: Vec<Replica> = ["r1", "r2", "r3"]
        .iter()
        .map(|id| replica(bundle.arg(), &token, &url, id))
        .collect();

    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let clients = drive_all(&replicas, 2, &stop);
    // The bundle is rewritten twice while they serve: every replica reloads it.
    for (from, to) in [("2.0", "2.5"), ("2.5", "3.0")] {
        std::thread::sleep(Duration::from_secs(3));
        bundle.reweigh("domain", from, to);
    }
    std::thread::sleep(Duration::from_secs(3));
    stop.store(true, Ordering::Relaxed);
    let load = joined(clients);
    let elapsed = started.elapsed();

    // The replicas converge on one bundle.
    let deadline = Instant::now() + Duration::from_secs(30);
    let hashes = loop {
        let hashes: BTreeSet<String> = replicas
            .iter()
            .map(|r| {
                let (status, body) = get(&r.base, "/v1/bundle");
                assert_eq!(status, 200, "{body}");
                let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                format!("{} (generation {})", v["hash"], v["generation"])
            })
            .collect();
        if hashes.len() == 1 && hashes.iter().all(|h| h.contains("generation 3")) {
            break hashes;
        }
        assert!(Instant::now() < deadline, "no convergence: {hashes:?}");
        std::thread::sleep(Duration::from_millis(200));
    };
    drop(replicas);

    let ok = load.statuses.get(&200).copied().unwrap_or(0);
    assert_eq!(
        load.statuses.keys().copied().collect::<Vec<_>>(),
        vec![200],
        "every request answered 200: {:?}",
        load.statuses
    );
    assert!(ok >= 30, "too little load to mean anything: {ok}");
    // One chain, as long as the decisions acknowledged, holding each of them, from every
    // replica.
    assert_eq!(verified_records(&url), ok, "chain length = 2xx answers");
    let records = logged(&url);
    let ids: BTreeSet<&str> = records.iter().map(|(id, _)| id.as_str()).collect();
    for id in &load.acknowledged {
        assert!(
            ids.contains(id.as_str()),
            "acknowledged {id} is not in the chain"
        );
    }
    for r in ["r1", "r2", "r3"] {
        assert!(
            records.iter().any(|(_, replica)| replica == r),
            "no record from {r}"
        );
    }
    report(
        "replicas",
        &format!(
            "three replicas, one PostgreSQL store: {ok} decisions in {:.1} s = {:.0}/s, p99 {:.0} ms, 6 clients, bundle rewritten twice (converged on {}); chain verified: {ok} records",
            elapsed.as_secs_f64(),
            ok as f64 / elapsed.as_secs_f64(),
            load.p99().as_secs_f64() * 1000.0,
            hashes.iter().next().unwrap(),
        ),
    );
}

/// Runs a command line from `scripts/with-postgres` (`ARBITER_TEST_POSTGRES_STOP`/`_START`).
fn control(variable: &str) {
    let command = std::env::var(variable).unwrap_or_else(|_| {
        panic!("{variable} is not set: run the tests with scripts/test (scripts/with-postgres)")
    });
    let status = std::process::Command::new("sh")
        .args(["-c", &command])
        .status()
        .unwrap();
    assert!(status.success(), "{variable} failed: {status}");
}

#[test]
fn the_database_stopped_mid_load_gives_503s_and_loses_no_acknowledged_decision() {
    let _turn = DATABASE.lock().unwrap_or_else(|p| p.into_inner());
    let url = fresh_postgres_schema("outage");
    let bundle = BundleCopy::policies();
    let dir = tempfile::tempdir().unwrap();
    let token = write_token(dir.path());
    let replicas = vec![
        replica(bundle.arg(), &token, &url, "a"),
        replica(bundle.arg(), &token, &url, "b"),
    ];
    let stop = Arc::new(AtomicBool::new(false));
    let clients = drive_all(&replicas, 2, &stop);
    std::thread::sleep(Duration::from_secs(2));
    // Killed as by a crash: what survives the restart is what was committed.
    control("ARBITER_TEST_POSTGRES_STOP");
    std::thread::sleep(Duration::from_secs(1));
    let (status, body) = get(&replicas[0].base, "/readyz");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("decision store is unreachable"), "{body}");
    // A replica started while the database is down starts unready, rather than exiting (as a
    // scheduler may start pods before their database).
    let late = replica(bundle.arg(), &token, &url, "c");
    let (status, body) = get(&late.base, "/readyz");
    assert_eq!(status, 503, "{body}");
    std::thread::sleep(Duration::from_secs(1));
    control("ARBITER_TEST_POSTGRES_START");
    // Ready again within the backoff's longest wait.
    let deadline = Instant::now() + Duration::from_secs(20);
    for r in replicas.iter().chain([&late]) {
        while get(&r.base, "/readyz").0 != 200 {
            assert!(Instant::now() < deadline, "not ready again");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let recovered = Instant::now();
    std::thread::sleep(Duration::from_secs(2));
    stop.store(true, Ordering::Relaxed);
    let load = joined(clients);
    drop(replicas);
    drop(late);

    let unavailable = load.statuses.get(&503).copied().unwrap_or(0);
    assert!(
        unavailable > 0,
        "no 503 while the database was down: {:?}",
        load.statuses
    );
    assert!(
        load.bodies_503
            .iter()
            .all(|b| b.contains("store_unavailable") || b.contains("\"unavailable\"")),
        "{:?}",
        load.bodies_503.first()
    );
    assert!(
        load.statuses.keys().all(|s| *s == 200 || *s == 503),
        "only 200 and 503: {:?}",
        load.statuses
    );
    // Decisions are acknowledged again once it is back.
    assert!(
        load.acknowledged_at.iter().any(|t| *t > recovered),
        "no decision acknowledged after the restart"
    );
    let ok = load.statuses.get(&200).copied().unwrap_or(0);
    let records = logged(&url);
    let ids: BTreeSet<&str> = records.iter().map(|(id, _)| id.as_str()).collect();
    for id in &load.acknowledged {
        assert!(ids.contains(id.as_str()), "acknowledged {id} was lost");
    }
    // A decision committed as the connection broke is recorded but was not acknowledged; no
    // record is missing, none duplicated.
    assert!(
        records.len() >= ok,
        "{} records, {ok} acknowledged",
        records.len()
    );
    assert_eq!(ids.len(), records.len(), "a decision recorded twice");
    assert_eq!(verified_records(&url), records.len());
    report(
        "outage",
        &format!(
            "database stopped (immediate) mid-load for ~3 s: {ok} acknowledged (all in the chain), {unavailable} answered 503, {} records, chain verified",
            records.len()
        ),
    );
}
