//! The audit trail end to end: tampering of every kind detected and located, concurrent
//! appends, replay of 100 decisions, shadow diff after a weight edit, redaction, locking.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod common;

use std::path::Path;
use std::sync::Arc;

use arbiter_audit::log::{self, DecisionLog, Problem, Sync, verify_text};
use arbiter_audit::replay::{self, Replay};
use arbiter_audit::{AuditTrail, LogError, archive_for_log};
use arbiter_engine::bundle::Files;
use arbiter_engine::{Bundle, decide};
use arbiter_test_support::repo;
use common::{default_bundle, example_tasks};

/// A log of `n` decisions over the example tasks.
fn write_log(path: &Path, bundle: &Bundle, n: usize) {
    let trail = AuditTrail::open(path, Sync::Batch(1000)).unwrap();
    let tasks = example_tasks();
    for i in 0..n {
        let d = decide(bundle, tasks[i % tasks.len()].clone()).unwrap();
        trail.record(bundle, &d).unwrap();
    }
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn joined(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

#[test]
fn tampering_of_every_kind_is_detected_and_located() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decisions.log");
    write_log(&path, &default_bundle(), 6);
    let good = lines(&path);
    assert!(verify_text(&joined(&good)).intact());

    // Edit: one character of record 3.
    let mut edited = good.clone();
    edited[2] = edited[2].replacen("\"score\":0.", "\"score\":1.", 1);
    assert_ne!(edited[2], good[2]);
    let v = verify_text(&joined(&edited));
    assert!(
        matches!(v.problem, Some(Problem::Edited { line: 3, .. })),
        "{v:?}"
    );
    assert_eq!(v.verified, 2);

    // Edit and re-hash record 3: the next record no longer links to it.
    let mut rehashed = good.clone();
    let mut value: serde_json::Value = serde_json::from_str(&rehashed[2]).unwrap();
    value["decision"]["chosen"] = serde_json::json!("openai-community/gpt2");
    value["hash"] = serde_json::json!(log::record_hash(&value));
    rehashed[2] = value.to_string();
    let v = verify_text(&joined(&rehashed));
    assert!(
        matches!(v.problem, Some(Problem::Edited { line: 3, .. })),
        "{v:?}"
    );

    // Delete record 4.
    let mut deleted = good.clone();
    deleted.remove(3);
    let v = verify_text(&joined(&deleted));
    assert_eq!(
        v.problem,
        Some(Problem::Deleted {
            line: 4,
            from: 4,
            to: 4
        }),
        "{v:?}"
    );

    // Insert a copy of record 2 after record 4.
    let mut inserted = good.clone();
    inserted.insert(4, good[1].clone());
    let v = verify_text(&joined(&inserted));
    assert_eq!(v.problem, Some(Problem::Inserted { line: 5 }), "{v:?}");

    // Insert a forged record, correctly hashed and linked, after record 2.
    let mut forged = good.clone();
    let mut fake: serde_json::Value = serde_json::from_str(&good[2]).unwrap();
    fake["decision"]["chosen"] = serde_json::json!("distilgpt2");
    fake["hash"] = serde_json::json!(log::record_hash(&fake));
    forged.insert(2, fake.to_string());
    let v = verify_text(&joined(&forged));
    assert_eq!(v.problem, Some(Problem::Inserted { line: 3 }), "{v:?}");

    // Reorder records 2 and 3.
    let mut reordered = good.clone();
    reordered.swap(1, 2);
    let v = verify_text(&joined(&reordered));
    assert_eq!(
        v.problem,
        Some(Problem::Reordered {
            line: 2,
            found: 3,
            expected: 2
        }),
        "{v:?}"
    );

    // Truncate the last record mid-line: reported as such, the others verify.
    let mut text = joined(&good);
    text.truncate(text.len() - 40);
    let v = verify_text(&text);
    assert_eq!(v.problem, Some(Problem::Truncated { line: 6 }), "{v:?}");
    assert_eq!(v.verified, 5);
}

#[test]
fn a_found_record_says_whether_the_chain_verifies_up_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decisions.log");
    write_log(&path, &default_bundle(), 5);
    let good = lines(&path);
    let id = |line: &str| {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        v["decision"]["decision_id"].as_str().unwrap().to_string()
    };
    let found = |text: &str, which: &str| {
        std::fs::write(&path, text).unwrap();
        log::find(&path, which).unwrap()
    };
    for (i, line) in good.iter().enumerate() {
        let f = found(&joined(&good), &id(line)).unwrap();
        assert_eq!((f.line, f.record.seq), (i + 1, i as u64 + 1));
        assert!(f.chain_verified());
    }
    assert!(found(&joined(&good), "no-such-id").is_none());

    // Record 3 edited: records 1 and 2 still verify, 4 and 5 no longer do.
    let mut edited = good.clone();
    edited[2] = edited[2].replacen("\"score\":0.", "\"score\":1.", 1);
    for (i, verified) in [(1, true), (3, false), (4, false)] {
        let f = found(&joined(&edited), &id(&good[i])).unwrap();
        assert_eq!(f.chain_verified(), verified, "record {}", i + 1);
    }
    assert!(
        found(&joined(&edited), &id(&good[2])).is_none(),
        "an edited record is not sound"
    );

    // A forged copy of record 4, hashed and placed before it as line 2: found first, and not
    // verified, though its sequence number is within the verified run.
    let mut forged = good.clone();
    let mut fake: serde_json::Value = serde_json::from_str(&good[3]).unwrap();
    fake["seq"] = serde_json::json!(1);
    fake["decision"]["chosen"] = serde_json::json!("distilgpt2");
    fake["hash"] = serde_json::json!(log::record_hash(&fake));
    forged.insert(1, fake.to_string());
    let f = found(&joined(&forged), &id(&good[3])).unwrap();
    assert_eq!((f.line, f.record.seq), (2, 1));
    assert!(!f.chain_verified());
}

#[test]
fn a_truncated_tail_is_cut_off_and_the_chain_continues() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decisions.log");
    let bundle = default_bundle();
    write_log(&path, &bundle, 3);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, &text[..text.len() - 25]).unwrap();
    write_log(&path, &bundle, 2);
    let v = log::verify(&path).unwrap();
    assert!(v.intact(), "{v:?}");
    assert_eq!(v.verified, 4, "two complete, two appended");
}

#[test]
fn concurrent_appends_from_eight_threads_keep_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decisions.log");
    let bundle = Arc::new(default_bundle());
    let decisions = Arc::new(
        example_tasks()
            .into_iter()
            .map(|t| decide(&bundle, t).unwrap())
            .collect::<Vec<_>>(),
    );
    let log = Arc::new(DecisionLog::open(&path, Sync::Batch(50)).unwrap());
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let (log, decisions) = (log.clone(), decisions.clone());
            std::thread::spawn(move || {
                for j in 0..25 {
                    log.append(&decisions[(i + j) % decisions.len()]).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    drop(log);
    let v = log::verify(&path).unwrap();
    assert!(v.intact(), "{v:?}");
    assert_eq!(v.verified, 200);
}

#[test]
fn a_second_writer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decisions.log");
    let _first = DecisionLog::open(&path, Sync::Always).unwrap();
    let second = DecisionLog::open(&path, Sync::Always);
    assert!(matches!(second, Err(LogError::Locked { .. })), "{second:?}");
}

#[test]
fn a_hundred_logged_decisions_replay_identically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decisions.log");
    write_log(&path, &default_bundle(), 100);
    let archive = archive_for_log(&path);
    let records = log::read_records(&path).unwrap();
    assert_eq!(records.len(), 100);
    for r in &records {
        assert_eq!(
            replay::replay(&archive, r),
            Replay::Identical,
            "{}",
            r.decision_id()
        );
    }
    assert_eq!(
        std::fs::read_dir(archive.dir().unwrap()).unwrap().count(),
        1,
        "one bundle, stored once"
    );
}

#[test]
fn replay_uses_the_archived_bundle_after_the_rules_changed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decisions.log");
    write_log(&path, &default_bundle(), 9);
    // The rules change afterwards; replay still uses the bundle each decision was made with.
    let archive = archive_for_log(&path);
    for r in log::read_records(&path).unwrap() {
        assert_eq!(replay::replay(&archive, &r), Replay::Identical);
    }
    // An altered archive is noticed.
    let stored = std::fs::read_dir(archive.dir().unwrap())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let script = stored.join("criteria/domain.rhai");
    let text = std::fs::read_to_string(&script).unwrap();
    std::fs::write(&script, text.replace("0.85", "0.95")).unwrap();
    let r = &log::read_records(&path).unwrap()[0];
    assert!(
        matches!(replay::replay(&archive, r), Replay::Skipped(why) if why.contains("was altered"))
    );
}

/// The default bundle with the domain criterion's weight set to `w`.
fn with_domain_weight(w: &str) -> Bundle {
    let mut files = Files::read_dir(&repo().join("policies")).unwrap();
    let manifest = String::from_utf8(files.0["bundle.toml"].clone()).unwrap();
    let from = "name = \"domain\"\nscript = \"criteria/domain.rhai\"\nweight = 2.0";
    assert!(manifest.contains(from));
    let to = format!("name = \"domain\"\nscript = \"criteria/domain.rhai\"\nweight = {w}");
    files.0.insert(
        "bundle.toml".into(),
        manifest.replace(from, &to).into_bytes(),
    );
    Bundle::from_files(files, "candidate".into()).unwrap()
}

#[test]
fn diff_lists_exactly_the_decisions_a_weight_edit_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decisions.log");
    write_log(&path, &default_bundle(), 18);
    let records = log::read_records(&path).unwrap();
    let candidate = with_domain_weight("0.0");
    let (compared, changes) = replay::diff(&candidate, records.clone());
    assert_eq!(compared, 18);
    // What must change, found independently: decide each logged task with the candidate.
    let expected: Vec<String> = records
        .iter()
        .filter(|r| {
            let d = r.decision().unwrap();
            decide(&candidate, d.task.clone()).unwrap().chosen != d.chosen
        })
        .map(|r| r.decision_id().to_string())
        .collect();
    let listed: Vec<String> = changes.iter().map(|c| c.decision_id.clone()).collect();
    assert_eq!(listed, expected);
    assert!(
        !listed.is_empty(),
        "the legal and biomedical tasks depend on the domain weight"
    );
    let legal = changes
        .iter()
        .find(|c| c.task.starts_with("Court-decision"))
        .unwrap();
    assert_eq!(
        legal.old.as_deref(),
        Some("nlpaueb/legal-bert-base-uncased")
    );
    assert!(
        legal.cause.starts_with("domain moved most"),
        "{}",
        legal.cause
    );

    // The same bundle changes nothing.
    let (_, none) = replay::diff(&default_bundle(), records);
    assert!(none.is_empty());
}

#[test]
fn redacted_fields_are_masked_but_hashed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decisions.log");
    let mut files = Files::read_dir(&repo().join("policies")).unwrap();
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
    let task = example_tasks().remove(0);
    let d = decide(&bundle, task.clone()).unwrap();
    AuditTrail::open(&path, Sync::Always)
        .unwrap()
        .record(&bundle, &d)
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        !text.contains(&task.name),
        "the task name leaked into the log"
    );
    assert!(text.contains("[redacted]"));
    let r = &log::read_records(&path).unwrap()[0];
    assert_eq!(r.decision["task_hash"], d.task_hash.as_str());
    assert!(log::verify(&path).unwrap().intact());
    assert!(matches!(
        replay::replay(&archive_for_log(&path), r),
        Replay::Skipped(_)
    ));
}

/// Regression: concurrent decisions with a bundle new to the archive all store it at once; a
/// shared temporary folder made some of them fail (500 "not_recorded" under load).
#[test]
fn concurrent_stores_of_a_new_bundle_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decisions.log");
    let trail = Arc::new(AuditTrail::open(&path, Sync::Batch(100)).unwrap());
    let bundle = Arc::new(default_bundle());
    let d = Arc::new(decide(&bundle, example_tasks().remove(0)).unwrap());
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (trail, bundle, d) = (trail.clone(), bundle.clone(), d.clone());
            std::thread::spawn(move || {
                trail
                    .record(&bundle, &d)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap().unwrap();
    }
    let entries: Vec<_> = std::fs::read_dir(trail.archive.dir().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        entries.len(),
        1,
        "one stored bundle and no leftovers: {entries:?}"
    );
}

#[test]
fn non_canonical_lines_are_edits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decisions.log");
    write_log(&path, &default_bundle(), 3);
    let good = lines(&path);
    // A duplicate key placed before the real one (parsers keep the last) and CRLF line ends.
    let mut dup = good.clone();
    dup[1] = dup[1].replacen(
        "{\"decision\":{",
        "{\"decision\":{\"chosen\":\"evil/model\",",
        1,
    );
    let v = verify_text(&joined(&dup));
    assert!(
        matches!(v.problem, Some(Problem::Edited { line: 2, .. })),
        "{v:?}"
    );
    let crlf: String = good.iter().map(|l| format!("{l}\r\n")).collect();
    assert!(matches!(
        verify_text(&crlf).problem,
        Some(Problem::Edited { line: 1, .. })
    ));
    // A correctly hashed record whose decision is not a decision.
    let mut odd: serde_json::Value = serde_json::from_str(&good[2]).unwrap();
    odd["decision"] = serde_json::json!(42);
    odd["hash"] = serde_json::json!(log::record_hash(&odd));
    let mut bad = good.clone();
    bad[2] = log::canonical_json(&odd);
    assert!(matches!(
        verify_text(&joined(&bad)).problem,
        Some(Problem::Edited { line: 3, .. })
    ));
}

#[test]
fn a_torn_tail_is_moved_aside_and_a_whole_record_without_newline_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decisions.log");
    let bundle = default_bundle();
    write_log(&path, &bundle, 3);
    // A whole last record missing only its newline is kept.
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.trim_end()).unwrap();
    write_log(&path, &bundle, 1);
    assert_eq!(log::verify(&path).unwrap().verified, 4);
    // A tail torn inside a multi-byte character is set aside in .torn, not destroyed.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice("{\"decision\":{\"task\":{\"name\":\"中".as_bytes());
    bytes.truncate(bytes.len() - 1);
    std::fs::write(&path, &bytes).unwrap();
    let v = log::verify(&path).unwrap();
    assert_eq!(v.problem, Some(Problem::Truncated { line: 5 }), "{v:?}");
    write_log(&path, &bundle, 1);
    let v = log::verify(&path).unwrap();
    assert!(v.intact(), "{v:?}");
    assert_eq!(v.verified, 5);
    let torn = std::fs::read(dir.path().join("decisions.log.torn")).unwrap();
    assert!(torn.starts_with(b"{\"decision\""));
}

/// Opening reads only the end of a log: a torn tail longer than the first window read (64 KiB)
/// and a last record that needs a wider one are both handled as in a short log.
#[test]
fn a_long_torn_tail_is_found_by_reading_further_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decisions.log");
    let bundle = default_bundle();
    write_log(&path, &bundle, 30);
    let before = std::fs::read(&path).unwrap();
    let mut bytes = before.clone();
    bytes.extend(std::iter::repeat_n(b'x', 300_000));
    std::fs::write(&path, &bytes).unwrap();
    write_log(&path, &bundle, 1);
    let v = log::verify(&path).unwrap();
    assert!(v.intact(), "{v:?}");
    assert_eq!(v.verified, 31);
    let torn = std::fs::read(dir.path().join("decisions.log.torn")).unwrap();
    assert_eq!(
        torn.len(),
        300_001,
        "the whole tail, set aside with a newline"
    );
    assert!(std::fs::read(&path).unwrap().starts_with(&before));
}

/// `verify` streams: a line far longer than any record is an edit, found without keeping it.
#[test]
fn a_line_longer_than_any_record_is_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decisions.log");
    let bundle = default_bundle();
    write_log(&path, &bundle, 2);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend(std::iter::repeat_n(b'x', log::MAX_RECORD_BYTES + 10));
    bytes.push(b'\n');
    std::fs::write(&path, &bytes).unwrap();
    let v = log::verify(&path).unwrap();
    assert_eq!(v.verified, 2);
    assert!(
        matches!(&v.problem, Some(Problem::Edited { line: 3, detail }) if detail.contains("longer than 64 MiB")),
        "{v:?}"
    );
}

#[test]
fn top_limited_records_are_smaller_count_what_they_leave_out_and_replay() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decisions.log");
    let bundle = default_bundle();
    let mut trail = AuditTrail::open(&path, Sync::Batch(1000)).unwrap();
    trail.record_top = Some(3);
    let mut full = Vec::new();
    for task in example_tasks() {
        let d = decide(&bundle, task).unwrap();
        trail.record(&bundle, &d).unwrap();
        full.push(d);
    }
    drop(trail);
    let archive = archive_for_log(&path);
    let records = log::read_records(&path).unwrap();
    assert_eq!(records.len(), full.len());
    for (r, d) in records.iter().zip(&full) {
        let logged = r.decision().unwrap();
        let limited = logged
            .limited
            .as_ref()
            .expect("every example has vetoes or > 3 ranked");
        assert_eq!(logged.ranking, d.ranking[..d.ranking.len().min(3)]);
        assert_eq!(
            (limited.ranked, limited.vetoes),
            (d.ranking.len(), d.rejected.len())
        );
        assert_eq!(
            limited.vetoes_by_criterion.values().sum::<usize>(),
            d.rejected.len()
        );
        assert_eq!(logged.chosen, d.chosen);
        assert!(
            serde_json::to_string(&logged).unwrap().len()
                < serde_json::to_string(d).unwrap().len() / 2,
            "the limited record is much smaller"
        );
        assert_eq!(
            replay::replay(&archive, r),
            Replay::Identical,
            "{}",
            r.decision_id()
        );
    }
    assert!(log::verify(&path).unwrap().intact());
}
