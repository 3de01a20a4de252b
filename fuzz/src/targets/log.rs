//! `log`: decision-log bytes through `verify_bytes`, and the same bytes as a file opened for
//! appending (a torn tail set aside) and appended to. Kept small, and to the public surface
//! (`verify_bytes`, `verify`, `DecisionLog::open`/`append`), so that changes to the log's
//! reading functions need no change here.

use std::path::PathBuf;

use arbiter_audit::log::{self, DecisionLog, GENESIS, Problem, Sync, canonical_json, record_hash};
use arbiter_engine::{Bundle, Decision};
use serde_json::Value;

use crate::corpus;
use crate::harness::{Target, Verdict, class_of};
use crate::mutate::{Rng, mutate};

/// The log target: a folder (in memory where `/dev/shm` exists) for the file it reopens.
pub struct LogTarget {
    _dir: tempfile::TempDir,
    path: PathBuf,
    seeds: Vec<Vec<u8>>,
    decision: Decision,
    /// Inputs that verified whole, or whole but for a torn tail; inputs that opened.
    sound: u64,
    opened: u64,
}

impl LogTarget {
    /// Makes the seed logs: every example task decided by the default bundle and logged.
    pub fn new() -> LogTarget {
        let dir = tempfile::tempdir_in("/dev/shm")
            .or_else(|_| tempfile::tempdir())
            .unwrap_or_else(|e| panic!("no temporary folder: {e}"));
        let path = dir.path().join("decisions.log");
        let bundle = Bundle::load(&corpus::repo().join("policies"), None)
            .unwrap_or_else(|e| panic!("policies/ does not load: {e}"));
        let mut decisions = Vec::new();
        for (i, p) in corpus::files("examples/tasks", &["yaml", "json"])
            .iter()
            .enumerate()
        {
            let Ok(task) = arbiter_engine::load::load_task(p) else {
                continue;
            };
            let stamp = arbiter_engine::decide::Stamp {
                decision_id: format!("00000000-0000-7000-8000-{i:012}"),
                ..corpus::stamp()
            };
            if let Ok(d) = arbiter_engine::decide::decide_stamped(&bundle, task, stamp) {
                // The first two ranked: records of a few kilobytes, to mutate quickly.
                decisions.push(d.limited_to(2));
            }
        }
        let seed_path = dir.path().join("seed.log");
        let mut seeds = Vec::new();
        {
            let log = DecisionLog::open(&seed_path, Sync::Batch(1 << 20))
                .unwrap_or_else(|e| panic!("cannot make the seed log: {e}"));
            for (i, d) in decisions.iter().enumerate() {
                if log.append(d).is_ok() && (i < 3 || i + 1 == decisions.len()) {
                    let _ = log.flush();
                    seeds.push(std::fs::read(&seed_path).unwrap_or_default());
                }
            }
        }
        // A torn tail, an empty log, and one record without its newline.
        if let Some(full) = seeds.last().cloned() {
            seeds.push(full[..full.len() - full.len() / 7].to_vec());
        }
        seeds.push(Vec::new());
        if let Some(one) = seeds.first().cloned() {
            seeds.push(one[..one.len() - 1].to_vec());
        }
        let decision = decisions
            .first()
            .map(|d| d.limited_to(1))
            .unwrap_or_else(|| panic!("no example task was decided"));
        LogTarget {
            _dir: dir,
            path,
            seeds,
            decision,
            sound: 0,
            opened: 0,
        }
    }
}

/// A record's value with its hash computed again, as one canonical line.
fn rehashed(mut value: Value) -> String {
    let hash = record_hash(&value);
    if let Value::Object(m) = &mut value {
        m.insert("hash".into(), Value::String(hash));
    }
    canonical_json(&value)
}

/// Changes one value somewhere inside a JSON value.
fn poke(rng: &mut Rng, v: &mut Value, depth: usize) {
    match v {
        Value::Object(m) if !m.is_empty() && depth < 6 && !rng.one_in(4) => {
            let i = rng.below(m.len());
            if let Some((_, child)) = m.iter_mut().nth(i) {
                poke(rng, child, depth + 1);
            }
        }
        Value::Array(a) if !a.is_empty() && depth < 6 && !rng.one_in(4) => {
            let i = rng.below(a.len());
            poke(rng, &mut a[i], depth + 1);
        }
        other => {
            *other = match rng.below(9) {
                0 => Value::Null,
                1 => Value::from(u64::MAX),
                2 => Value::from(i64::MIN),
                3 => Value::from(0),
                4 => Value::from(1e308),
                5 => Value::String(String::new()),
                6 => Value::String("\u{0}\u{feff}é🦀".into()),
                7 => Value::Array(vec![]),
                _ => Value::Object(Default::default()),
            };
        }
    }
}

/// Record-level changes that keep lines well-formed and hashes right, so that the chain's
/// logic (not only its hash check) is exercised: edits re-hashed, seq numbers changed, lines
/// dropped, copied, swapped, the rest of the chain re-linked, torn tails.
fn mutate_records(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(base);
    let mut lines: Vec<String> = text.split_terminator('\n').map(str::to_string).collect();
    for _ in 0..rng.small(4) {
        let n = lines.len();
        match rng.below(8) {
            0 if n > 0 => {
                lines.remove(rng.below(n));
            }
            1 if n > 0 => {
                let l = lines[rng.below(n)].clone();
                lines.insert(rng.below(n + 1), l);
            }
            2 if n > 1 => {
                let (a, b) = (rng.below(n), rng.below(n));
                lines.swap(a, b);
            }
            3 | 4 if n > 0 => {
                let i = rng.below(n);
                if let Ok(mut v @ Value::Object(_)) = serde_json::from_str::<Value>(&lines[i]) {
                    if rng.one_in(2) {
                        let seq =
                            *rng.pick(&[0u64, 1, 2, u64::MAX, u64::MAX - 1, 1 << 53, 1 << 63]);
                        v["seq"] = Value::from(seq);
                    } else {
                        poke(rng, &mut v, 0);
                    }
                    lines[i] = rehashed(v);
                }
            }
            5 => {
                // Re-link the chain from the start: a consistent forgery of what changed.
                let mut prev = GENESIS.to_string();
                for (seq, line) in lines.iter_mut().enumerate() {
                    if let Ok(mut v @ Value::Object(_)) = serde_json::from_str::<Value>(line) {
                        v["prev_hash"] = Value::String(prev.clone());
                        if rng.below(8) != 0 {
                            v["seq"] = Value::from(seq as u64 + 1);
                        }
                        *line = rehashed(v);
                        prev = serde_json::from_str::<Value>(line)
                            .ok()
                            .and_then(|v| v["hash"].as_str().map(str::to_string))
                            .unwrap_or_default();
                    }
                }
            }
            6 => lines.push(String::new()),
            _ => {}
        }
    }
    let mut out = lines.join("\n").into_bytes();
    if !out.is_empty() {
        out.push(b'\n');
    }
    if rng.one_in(3) && !out.is_empty() {
        // A torn tail: the write stopped somewhere in the last record.
        let last = out[..out.len() - 1]
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        out.truncate(last + rng.below(out.len() - last));
    }
    out
}

impl Target for LogTarget {
    fn seeds(&self) -> Vec<Vec<u8>> {
        self.seeds.clone()
    }

    fn tokens(&self) -> Vec<String> {
        [
            "\"seq\":",
            "\"prev_hash\":",
            "\"hash\":",
            "\"decision\":",
            "\"decision_id\":",
            "sha256:",
            GENESIS,
            "\r",
            "\n\n",
            "{}",
        ]
        .map(String::from)
        .into()
    }

    fn max_len(&self) -> usize {
        256 * 1024
    }

    fn generate(
        &mut self,
        rng: &mut Rng,
        base: &[u8],
        others: &dyn Fn(&mut Rng) -> Vec<u8>,
        tokens: &[&str],
    ) -> Vec<u8> {
        if rng.one_in(2) {
            mutate_records(rng, base)
        } else {
            mutate(rng, base, others, tokens, self.max_len())
        }
    }

    fn run(&mut self, input: &[u8]) -> Verdict {
        let v = log::verify_bytes(input);
        let lines = input.split(|b| *b == b'\n').count();
        if v.verified > lines {
            return Err(format!("{} records verified in {lines} lines", v.verified));
        }
        if v.intact() && v.head.is_some() != (v.verified > 0) {
            return Err(format!(
                "an intact log of {} records with head {:?}",
                v.verified, v.head
            ));
        }
        let torn = matches!(v.problem, Some(Problem::Truncated { .. }));
        let class = class_of((
            std::mem::discriminant(&v.problem),
            match &v.problem {
                Some(Problem::Edited { detail, .. }) => detail
                    .split(['(', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
                    .next()
                    .unwrap_or("")
                    .to_string(),
                _ => String::new(),
            },
            v.verified.min(4),
        ));

        // The same bytes as a log file, opened for appending and appended to.
        let torn_path = self.path.with_extension("log.torn");
        let _ = std::fs::remove_file(&torn_path);
        std::fs::write(&self.path, input).map_err(|e| format!("cannot write the log: {e}"))?;
        let opened = DecisionLog::open(&self.path, Sync::Batch(u32::MAX));
        let log = match opened {
            Ok(log) => log,
            Err(e) if v.intact() || torn => {
                return Err(format!(
                    "a log that verifies ({} records{}) does not open: {e}",
                    v.verified,
                    if torn { ", torn tail" } else { "" }
                ));
            }
            Err(_) => return Ok(class ^ 1),
        };
        self.opened += 1;
        if v.intact() || torn {
            self.sound += 1;
        }
        if torn && !torn_path.exists() {
            return Err("a torn tail was not set aside".into());
        }
        let appended = log.append(&self.decision);
        drop(log);
        // A broken chain may end in any sequence number, u64::MAX too: refusing to continue it
        // is right. A sound one must take the record.
        if v.intact() || torn {
            let (seq, _) = appended.map_err(|e| format!("append after open failed: {e}"))?;
            let after = log::verify(&self.path).map_err(|e| e.to_string())?;
            if !after.intact() || after.verified != v.verified + 1 || seq != v.verified as u64 + 1 {
                return Err(format!(
                    "{} records verified, one appended as seq {seq}: now {} verify, problem {:?}",
                    v.verified, after.verified, after.problem
                ));
            }
        }
        Ok(class ^ 2)
    }

    fn extension(&self) -> &'static str {
        "log"
    }

    fn stats(&self) -> String {
        format!(
            "{} logs opened and appended to, {} of them sound (checked after the append)",
            self.opened, self.sound
        )
    }
}
