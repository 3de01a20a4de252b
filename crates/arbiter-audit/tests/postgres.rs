//! The audit trail in PostgreSQL (`--log postgres://…`), against a real server: the file log's
//! cases again — tampering of every kind found and located (an updated, deleted or inserted
//! row, swapped records, the newest rows deleted), concurrent appends (from two stores, as two
//! replicas) forming one chain, replay from the archived bundles, redaction — and what only a
//! database has: the schema's version, and queries matching what a file log answers.
//!
//! Run by `scripts/test`, inside `scripts/with-postgres`; each test has its own schema.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod common;

use std::path::Path;
use std::sync::Arc;

use arbiter_audit::log::{Problem, Sync};
use arbiter_audit::query::Filter;
use arbiter_audit::replay::{self, Replay};
use arbiter_audit::{AuditTrail, Location, Source};
use arbiter_engine::{Bundle, decide};
use arbiter_test_support::{fresh_postgres_schema, psql, repo};
use common::{default_bundle, example_tasks};

fn location(url: &str) -> Location {
    Location::from_arg(Path::new(url))
}

/// A store in a fresh schema: its URL.
fn fresh(name: &str) -> String {
    fresh_postgres_schema(name)
}

/// `n` decisions over the example tasks, recorded at `url` by a replica so named.
fn write(url: &str, bundle: &Bundle, n: usize, replica: &str) {
    let trail = AuditTrail::open_at(&location(url), Sync::Always, Some(replica.into())).unwrap();
    let tasks = example_tasks();
    for i in 0..n {
        let d = decide(bundle, tasks[i % tasks.len()].clone()).unwrap();
        trail.record(bundle, &d).unwrap();
    }
}

fn verify(url: &str) -> arbiter_audit::log::Verification {
    Source::open(&location(url)).unwrap().verify().unwrap()
}

#[test]
fn tampering_of_every_kind_is_detected_and_located() {
    let url = fresh("tamper");
    write(&url, &default_bundle(), 6, "a");
    let v = verify(&url);
    assert!(v.intact(), "{v:?}");
    assert_eq!(v.verified, 6);
    assert_eq!(v.head.as_ref().map(|h| h.0), Some(6));
    psql(
        &url,
        "CREATE TABLE pristine AS SELECT * FROM arbiter_decisions",
    );
    let restore = || {
        psql(
            &url,
            "DELETE FROM arbiter_decisions; INSERT INTO arbiter_decisions SELECT * FROM pristine",
        );
        assert!(verify(&url).intact());
    };

    // An updated row: one character of record 3.
    psql(
        &url,
        r#"UPDATE arbiter_decisions SET record = regexp_replace(record, '"score":0\.', '"score":1.') WHERE seq = 3"#,
    );
    let v = verify(&url);
    assert!(
        matches!(v.problem, Some(Problem::Edited { line: 3, .. })),
        "{v:?}"
    );
    assert_eq!(v.verified, 2);
    restore();

    // A deleted row.
    psql(&url, "DELETE FROM arbiter_decisions WHERE seq = 4");
    assert_eq!(
        verify(&url).problem,
        Some(Problem::Deleted {
            line: 4,
            from: 4,
            to: 4
        })
    );
    restore();

    // An inserted row: a copy of record 2 after the others.
    psql(
        &url,
        "INSERT INTO arbiter_decisions SELECT 100, record, decision_id, created_at, replica, outcome, chosen, bundle_hash, task_name, stored_at FROM arbiter_decisions WHERE seq = 2",
    );
    assert_eq!(verify(&url).problem, Some(Problem::Inserted { line: 7 }));
    restore();

    // Reordered: the records of rows 2 and 3 swapped.
    psql(
        &url,
        "UPDATE arbiter_decisions d SET record = o.record FROM pristine o WHERE (d.seq, o.seq) IN ((2, 3), (3, 2))",
    );
    assert_eq!(
        verify(&url).problem,
        Some(Problem::Reordered {
            line: 2,
            found: 3,
            expected: 2
        })
    );
    restore();

    // The newest rows deleted: every link holds, but the chain head points past them.
    psql(&url, "DELETE FROM arbiter_decisions WHERE seq >= 5");
    assert_eq!(
        verify(&url).problem,
        Some(Problem::Deleted {
            line: 5,
            from: 5,
            to: 6
        })
    );
    restore();

    // And the head moved back with them: the next append continues the shortened chain, so
    // only a head kept elsewhere (`verify --expect-head`) tells — as with a file.
    psql(
        &url,
        "DELETE FROM arbiter_decisions WHERE seq >= 5; UPDATE arbiter_chain_head SET seq = 4, hash = (SELECT record::json->>'hash' FROM arbiter_decisions WHERE seq = 4)",
    );
    let v = verify(&url);
    assert!(v.intact(), "{v:?}");
    assert_eq!(v.head.map(|h| h.0), Some(4));
}

#[test]
fn appends_from_two_replicas_and_many_threads_form_one_chain() {
    let url = fresh("concurrent");
    let bundle = Arc::new(default_bundle());
    let tasks = Arc::new(example_tasks());
    let trails: Vec<Arc<AuditTrail>> = ["a", "b"]
        .iter()
        .map(|r| {
            Arc::new(AuditTrail::open_at(&location(&url), Sync::Always, Some((*r).into())).unwrap())
        })
        .collect();
    let mut threads = Vec::new();
    for t in 0..8 {
        let (trail, bundle, tasks) = (
            Arc::clone(&trails[t % 2]),
            Arc::clone(&bundle),
            Arc::clone(&tasks),
        );
        threads.push(std::thread::spawn(move || {
            let mut seqs = Vec::new();
            for i in 0..10 {
                let d = decide(&bundle, tasks[(t + i) % tasks.len()].clone()).unwrap();
                seqs.push(trail.record(&bundle, &d).unwrap().0);
            }
            seqs
        }));
    }
    let mut seqs: Vec<u64> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=80).collect::<Vec<_>>(), "one gap-free sequence");
    let v = verify(&url);
    assert!(v.intact(), "{v:?}");
    assert_eq!(v.verified, 80);
    let source = Source::open(&location(&url)).unwrap();
    for replica in ["a", "b"] {
        let mine = source
            .query(&Filter {
                replica: Some(replica.into()),
                ..Filter::default()
            })
            .unwrap();
        assert_eq!(mine.len(), 40, "replica {replica}");
    }
}

#[test]
fn logged_decisions_replay_from_the_archived_bundle_and_an_altered_one_is_noticed() {
    let url = fresh("replay");
    write(&url, &default_bundle(), 12, "a");
    let source = Source::open(&location(&url)).unwrap();
    let archive = source.archive();
    let records: Vec<_> = source
        .records()
        .unwrap()
        .map(|r| r.unwrap().record)
        .collect();
    assert_eq!(records.len(), 12);
    for r in &records {
        assert_eq!(replay::replay(&archive, r), Replay::Identical);
    }
    assert_eq!(
        psql(&url, "SELECT count(*) FROM arbiter_bundles"),
        "1",
        "one bundle, stored once"
    );
    psql(
        &url,
        "UPDATE arbiter_bundle_files SET content = replace(convert_from(content, 'UTF8'), '0.85', '0.95')::bytea WHERE path = 'criteria/domain.rhai'",
    );
    assert!(
        matches!(replay::replay(&archive, &records[0]), Replay::Skipped(why) if why.contains("was altered")),
    );
}

#[test]
fn redacted_fields_are_masked_in_the_database_too() {
    let url = fresh("redact");
    let mut files = arbiter_engine::bundle::Files::read_dir(&repo().join("policies")).unwrap();
    let manifest = String::from_utf8(files.0["bundle.toml"].clone()).unwrap();
    files.0.insert(
        "bundle.toml".into(),
        manifest
            .replacen(
                "allow_task_weights = true",
                "allow_task_weights = true\nredact = [\"/name\"]",
                1,
            )
            .into_bytes(),
    );
    let bundle = Bundle::from_files(files, "redacting".into()).unwrap();
    assert_eq!(bundle.manifest.redact, vec!["/name".to_string()]);
    write(&url, &bundle, 3, "a");
    assert_eq!(
        psql(
            &url,
            "SELECT count(*) FROM arbiter_decisions WHERE record LIKE '%\"name\":\"[redacted]\"%'"
        ),
        "3"
    );
    assert!(verify(&url).intact());
}

#[test]
fn a_database_whose_schema_is_newer_is_refused_and_an_older_one_migrated_once() {
    let url = fresh("schema");
    write(&url, &default_bundle(), 1, "a");
    write(&url, &default_bundle(), 1, "a");
    assert_eq!(
        psql(&url, "SELECT count(*) FROM arbiter_schema_migrations"),
        "1",
        "migrated once"
    );
    psql(
        &url,
        "INSERT INTO arbiter_schema_migrations (version, applied_by) VALUES (99, 'a future arbiter')",
    );
    let refused = Source::open(&location(&url)).unwrap_err().to_string();
    assert!(
        refused.contains("schema is version 99, newer than this arbiter knows"),
        "{refused}"
    );
    assert!(!refused.contains("password"), "{refused}");
}

#[test]
fn queries_answer_as_a_log_file_does() {
    let url = fresh("query");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("decisions.log");
    let bundle = default_bundle();
    let db = AuditTrail::open_at(&location(&url), Sync::Always, Some("a".into())).unwrap();
    let log = AuditTrail::open_at(
        &Location::File(file.clone()),
        Sync::Always,
        Some("a".into()),
    )
    .unwrap();
    for (i, task) in example_tasks().into_iter().cycle().take(30).enumerate() {
        let d = decide(&bundle, task).unwrap();
        db.record(&bundle, &d).unwrap();
        log.record(&bundle, &d).unwrap();
        if i == 14 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
    let (db, log) = (
        Source::open(&location(&url)).unwrap(),
        Source::open(&Location::File(file)).unwrap(),
    );
    let all = log.query(&Filter::default()).unwrap();
    let some_chosen = all
        .iter()
        .find_map(|r| r.decision["chosen"].as_str())
        .unwrap()
        .to_string();
    let middle = all[15].decision["created_at"].as_str().unwrap().to_string();
    let filters = [
        Filter::default(),
        Filter {
            chosen: Some(some_chosen),
            ..Filter::default()
        },
        Filter {
            outcome: Some("all-vetoed".into()),
            ..Filter::default()
        },
        Filter {
            bundle: Some(bundle.hash[..20].to_string()),
            since: Some(middle.clone()),
            ..Filter::default()
        },
        Filter {
            until: Some(middle),
            limit: Some(7),
            ..Filter::default()
        },
        Filter {
            task: Some(all[3].decision["task"]["name"].as_str().unwrap().into()),
            ..Filter::default()
        },
        Filter {
            replica: Some("b".into()),
            ..Filter::default()
        },
    ];
    let ids = |rs: Vec<arbiter_audit::Record>| {
        rs.iter()
            .map(|r| r.decision_id().to_string())
            .collect::<Vec<_>>()
    };
    for f in &filters {
        let (a, b) = (ids(db.query(f).unwrap()), ids(log.query(f).unwrap()));
        assert_eq!(a, b, "{f:?}");
    }
    assert_eq!(ids(db.query(&filters[0]).unwrap()).len(), 30);
    assert!(ids(db.query(&filters[4]).unwrap()).len() == 7);
}
