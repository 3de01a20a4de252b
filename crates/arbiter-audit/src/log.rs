//! The decision log: one JSON line per decision, chained by hashes (ARCHITECTURE.md, invariants on the log).
//!
//! Each line is a [`Record`]: a sequence number, the previous record's hash, the decision, and
//! the record's own hash — SHA-256 over its canonical JSON (keys sorted, no whitespace) without
//! the `hash` field. Editing, deleting, inserting or reordering a record breaks the chain at a
//! place [`verify`] names; a crash mid-write leaves a truncated last line, reported as such,
//! while the complete records before it still verify.
//!
//! Durability: by default every append is on disk (`fsync`ed) before it returns
//! ([`Sync::Always`]); appends made at the same time share one sync (group commit, see
//! [`crate::group_commit`]). [`Sync::Batch`] syncs every `n` records and on close, trading the
//! last few records on a power cut for throughput. Writes from the threads of one process are
//! serialised by a mutex; a second process is refused by an advisory lock on the log file.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use arbiter_engine::Decision;
use arbiter_engine::bundle::sha256;

pub use crate::canonical::canonical_json;
use crate::group_commit::GroupCommit;
use crate::index::{self, LogIndex};
pub use crate::read::MAX_RECORD_BYTES;
use crate::read::{self, Lines};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The `prev_hash` of the first record.
pub const GENESIS: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// 1 for the first record, then consecutive.
    pub seq: u64,
    /// The previous record's `hash` ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// The decision (task fields listed in the bundle's `redact` masked), as logged.
    pub decision: Value,
    /// SHA-256 of this record's canonical JSON without `hash`.
    pub hash: String,
    /// The replica that made the decision (`arbiter serve --replica-id`), covered by the hash;
    /// absent from records written without one (and from logs older than replicas).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica: Option<String>,
}

impl Record {
    /// The decision as an engine type. Fails when redaction masked a field that is not text.
    pub fn decision(&self) -> Result<Decision, serde_json::Error> {
        serde_json::from_value(self.decision.clone())
    }

    /// The decision's id, even when the rest does not parse.
    pub fn decision_id(&self) -> &str {
        self.decision
            .get("decision_id")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

/// A record's line (without its newline) and hash, from its decision's canonical JSON text.
///
/// Records are written in canonical form (keys sorted: decision, hash, prev_hash, replica,
/// seq), so that verify can demand it byte for byte. The line is built around the decision's
/// canonical text, which is computed once: it is most of the record.
pub fn record_line(
    decision_text: &str,
    prev_hash: &str,
    replica: Option<&str>,
    seq: u64,
) -> (String, String) {
    let prev = Value::String(prev_hash.to_string()).to_string();
    let replica = replica
        .map(|r| format!(",\"replica\":{}", Value::String(r.to_string())))
        .unwrap_or_default();
    let hash = sha256(
        format!("{{\"decision\":{decision_text},\"prev_hash\":{prev}{replica},\"seq\":{seq}}}")
            .as_bytes(),
    );
    let line = format!(
        "{{\"decision\":{decision_text},\"hash\":\"{hash}\",\"prev_hash\":{prev}{replica},\"seq\":{seq}}}"
    );
    (line, hash)
}

/// Masks these task fields (JSON pointers below the task, e.g. `/name`) of a serialised
/// decision as `"[redacted]"`.
pub fn redact(decision: &mut Value, redact: &[String]) {
    for pointer in redact {
        if let Some(v) = decision.pointer_mut(&format!("/task{pointer}")) {
            *v = Value::String("[redacted]".into());
        }
    }
}

/// The hash a record must carry: over its canonical JSON without the `hash` field.
pub fn record_hash(value: &Value) -> String {
    let mut v = value.clone();
    if let Value::Object(m) = &mut v {
        m.remove("hash");
    }
    sha256(canonical_json(&v).as_bytes())
}

/// Errors of the decision log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// An I/O error on the log.
    #[error("decision log `{}`: {source}", path.display())]
    Io {
        /// The log.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Another process holds the log.
    #[error("decision log `{}` is in use by another process (one writer per log; use a log per process)", path.display())]
    Locked {
        /// The log.
        path: PathBuf,
    },
    /// The log's last complete record cannot be read, so the chain cannot be continued.
    #[error("decision log `{}`: cannot continue the chain: {message} (run `arbiter audit verify`)", path.display())]
    Corrupt {
        /// The log.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A record read back from the log does not verify on its own (its hash).
    #[error("decision log `{}`: record {seq} does not verify ({why}) (run `arbiter audit verify`)", path.display())]
    Unsound {
        /// The log.
        path: PathBuf,
        /// The record's sequence number, as indexed.
        seq: u64,
        /// What is wrong.
        why: &'static str,
    },
    /// A decision could not be serialised.
    #[error("cannot serialise a decision: {0}")]
    Serialise(#[from] serde_json::Error),
    /// The PostgreSQL decision store failed or refused.
    #[error("decision store `{url}`: {message}")]
    Database {
        /// The store's URL, password masked.
        url: String,
        /// What went wrong.
        message: String,
        /// Whether the database is unreachable (a retry later may succeed), rather than refusing.
        unavailable: bool,
    },
}

impl LogError {
    /// Whether the store is unreachable for now (the service answers 503 and retries), as
    /// opposed to broken (a full disk, a tampered chain: 500 until someone acts).
    pub fn unavailable(&self) -> bool {
        matches!(
            self,
            LogError::Database {
                unavailable: true,
                ..
            }
        )
    }
}

/// When appends reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sync {
    /// Every record on disk before its append returns (the default); concurrent appends share
    /// one `fsync`.
    Always,
    /// `fsync` every this many records, and on close.
    Batch(u32),
}

struct Inner {
    file: File,
    /// Bytes of complete records: where a failed append is rolled back to.
    len: u64,
    seq: u64,
    last_hash: String,
    unsynced: u32,
}

/// An open decision log, for appending.
pub struct DecisionLog {
    path: PathBuf,
    sync: Sync,
    /// Written into every record ([`Record::replica`]).
    replica: Option<String>,
    inner: Mutex<Inner>,
    group: GroupCommit,
    /// Where each record is, once [`DecisionLog::build_index`] ran (the service's lookups);
    /// appends keep it current. Locked after `inner` is released, never while holding it.
    index: Mutex<Option<LogIndex>>,
}

impl std::fmt::Debug for DecisionLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecisionLog")
            .field("path", &self.path)
            .field("sync", &self.sync)
            .finish_non_exhaustive()
    }
}

impl DecisionLog {
    /// Opens (or creates) a log for appending. A truncated last line — a crash mid-write, never
    /// acknowledged to anyone — is cut off so the chain continues from the last complete record.
    pub fn open(path: &Path, sync: Sync) -> Result<DecisionLog, LogError> {
        let io = |source| LogError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(LogError::Locked {
                    path: path.to_path_buf(),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        // Only the end of the log is read: its last complete record (to continue the chain)
        // and whatever follows it (a torn write), however large the log.
        let file_len = file.metadata().map_err(io)?.len();
        let (window_start, window) = tail_window(&mut file, file_len).map_err(io)?;
        let newline = window.iter().rposition(|b| *b == b'\n');
        if newline.is_none() && window_start > 0 {
            return Err(LogError::Corrupt {
                path: path.to_path_buf(),
                message: "its last line is longer than any record".into(),
            });
        }
        let complete = newline.map_or(window_start, |i| window_start + i as u64 + 1);
        let tail = &window[newline.map_or(0, |i| i + 1)..];
        let mut len = file_len;
        let tail_kept = !tail.is_empty() && sound_record(tail).is_ok();
        if !tail.is_empty() {
            if tail_kept {
                // A whole record without its newline: keep it, end the line.
                file.write_all(b"\n").map_err(io)?;
                len += 1;
            } else {
                // A record torn by a crash mid-write, never acknowledged: set it aside, so the
                // chain continues from the last complete record and nothing is destroyed.
                let mut torn = path.as_os_str().to_os_string();
                torn.push(".torn");
                let torn = PathBuf::from(torn);
                let saved = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&torn)
                    .and_then(|mut f| {
                        f.write_all(tail)
                            .and_then(|()| f.write_all(b"\n"))
                            .and_then(|()| f.sync_data())
                    });
                saved.map_err(|source| LogError::Io {
                    path: torn.clone(),
                    source,
                })?;
                tracing::warn!(log = %path.display(), bytes = tail.len(), torn = %torn.display(), "decision log: a torn last record was moved aside");
                file.set_len(complete).map_err(io)?;
                file.seek(SeekFrom::End(0)).map_err(io)?;
                len = complete;
            }
        }
        // The last complete line: the window's text before its last newline, from the newline
        // before that (or the window's start, which is then the file's).
        let body = &window[..newline.unwrap_or(0)];
        let last = if tail_kept {
            // The sound record just given its newline.
            Some(tail)
        } else {
            newline.map(|_| &body[body.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1)..])
        };
        let last = last.filter(|l| !l.is_empty());
        let (seq, last_hash) = match last {
            None => (0, GENESIS.to_string()),
            Some(line) => {
                let r = sound_record(line).map_err(|why| LogError::Corrupt {
                    path: path.to_path_buf(),
                    message: format!("its last record does not verify ({why})"),
                })?;
                (r.seq, r.hash)
            }
        };
        let group = GroupCommit::new(file.try_clone().map_err(io)?, seq);
        Ok(DecisionLog {
            path: path.to_path_buf(),
            sync,
            replica: None,
            group,
            inner: Mutex::new(Inner {
                file,
                len,
                seq,
                last_hash,
                unsynced: 0,
            }),
            index: Mutex::new(None),
        })
    }

    /// Names the replica in every record appended from now on.
    pub fn with_replica(mut self, replica: Option<String>) -> DecisionLog {
        self.replica = replica;
        self
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends a decision; returns its record's sequence number and hash.
    pub fn append(&self, decision: &Decision) -> Result<(u64, String), LogError> {
        self.append_redacted(decision, &[])
    }

    /// Appends a decision with these task fields (JSON pointers below the task, e.g. `/name`)
    /// masked as `"[redacted]"`. The decision's `task_hash` still covers the full task.
    pub fn append_redacted(
        &self,
        decision: &Decision,
        redact: &[String],
    ) -> Result<(u64, String), LogError> {
        let mut decision_value = serde_json::to_value(decision)?;
        self::redact(&mut decision_value, redact);
        let io = |source| LogError::Io {
            path: self.path.clone(),
            source,
        };
        let closed = |message| LogError::Corrupt {
            path: self.path.clone(),
            message,
        };
        if let Some(why) = self.group.failure() {
            return Err(closed(why));
        }
        let mut inner = self.inner.lock().map_err(|_| LogError::Corrupt {
            path: self.path.clone(),
            message: "a writer thread panicked".into(),
        })?;
        let seq = inner.seq.checked_add(1).ok_or_else(|| LogError::Corrupt {
            path: self.path.clone(),
            message: "the sequence number would overflow".into(),
        })?;
        let (mut line, hash) = record_line(
            &canonical_json(&decision_value),
            &inner.last_hash,
            self.replica.as_deref(),
            seq,
        );
        line.push('\n');
        let written = inner.file.write_all(line.as_bytes()).and_then(|()| {
            inner.unsynced += 1;
            // Sync::Always syncs below, outside the lock, together with concurrent appends.
            let due = match self.sync {
                Sync::Always => false,
                Sync::Batch(n) => inner.unsynced >= n.max(1),
            };
            if due {
                inner.file.sync_data()?;
                inner.unsynced = 0;
            }
            Ok(())
        });
        if let Err(e) = written {
            // Roll back to the last complete record, so that a later append (after a full disk
            // was cleared, say) continues a sound chain instead of gluing onto torn bytes.
            let len = inner.len;
            if let Err(undo) = inner.file.set_len(len) {
                tracing::error!(log = %self.path.display(), "decision log: cannot roll back a failed append: {undo}");
            }
            inner.unsynced = 0;
            return Err(io(e));
        }
        let entry = index::Entry {
            seq,
            offset: inner.len,
            len: line.len() as u64 - 1,
        };
        inner.len += line.len() as u64;
        inner.seq = seq;
        inner.last_hash = hash.clone();
        self.group.written(seq);
        drop(inner);
        if let Ok(mut index) = self.index.lock()
            && let Some(index) = index.as_mut()
        {
            index.push(entry, &decision.decision_id);
        }
        if self.sync == Sync::Always {
            self.group.wait(seq).map_err(closed)?;
        }
        Ok((seq, hash))
    }

    /// Indexes the log, once: reads it one line at a time and keeps where each record is
    /// (about a hundred bytes a record), so that [`DecisionLog::lookup`] and
    /// [`DecisionLog::recent`] read one line per record. Returns the number of records.
    pub fn build_index(&self) -> Result<usize, LogError> {
        let mut index = self.index.lock().map_err(|_| self.poisoned())?;
        if let Some(i) = index.as_ref() {
            return Ok(i.len());
        }
        let len = self.inner.lock().map_err(|_| self.poisoned())?.len;
        let file = File::open(&self.path).map_err(|source| self.io(source))?;
        let built = LogIndex::build(file, len).map_err(|source| self.io(source))?;
        let n = built.len();
        *index = Some(built);
        Ok(n)
    }

    /// The record of this decision, read from its place and checked against its own hash
    /// (indexing the log first if need be); `None` when no record has it.
    pub fn lookup(&self, decision_id: &str) -> Result<Option<Record>, LogError> {
        self.build_index()?;
        let entry = self
            .index
            .lock()
            .map_err(|_| self.poisoned())?
            .as_ref()
            .and_then(|i| i.get(decision_id));
        entry.map(|e| self.read_entry(e)).transpose()
    }

    /// Up to `limit` records, newest first, numbered below `before` (the latest when `None`),
    /// and the number to pass as `before` for the next page, if older records remain.
    pub fn recent(
        &self,
        limit: usize,
        before: Option<u64>,
    ) -> Result<(Vec<Record>, Option<u64>), LogError> {
        self.build_index()?;
        let (entries, more) = self
            .index
            .lock()
            .map_err(|_| self.poisoned())?
            .as_ref()
            .map(|i| i.recent(limit, before))
            .unwrap_or_default();
        let next = more.then(|| entries.last().map(|e| e.seq)).flatten();
        let records = entries
            .into_iter()
            .map(|e| self.read_entry(e))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((records, next))
    }

    fn read_entry(&self, e: index::Entry) -> Result<Record, LogError> {
        let mut file = File::open(&self.path).map_err(|source| self.io(source))?;
        let mut line = vec![
            0;
            usize::try_from(e.len)
                .unwrap_or(usize::MAX)
                .min(MAX_RECORD_BYTES)
        ];
        file.seek(SeekFrom::Start(e.offset))
            .and_then(|_| file.read_exact(&mut line))
            .map_err(|source| self.io(source))?;
        sound_record(&line).map_err(|why| LogError::Unsound {
            path: self.path.clone(),
            seq: e.seq,
            why,
        })
    }

    fn io(&self, source: std::io::Error) -> LogError {
        LogError::Io {
            path: self.path.clone(),
            source,
        }
    }

    fn poisoned(&self) -> LogError {
        LogError::Corrupt {
            path: self.path.clone(),
            message: "a writer thread panicked".into(),
        }
    }

    /// Syncs any batched records to disk.
    pub fn flush(&self) -> Result<(), LogError> {
        let mut inner = self.inner.lock().map_err(|_| LogError::Corrupt {
            path: self.path.clone(),
            message: "a writer thread panicked".into(),
        })?;
        if inner.unsynced > 0 {
            inner.file.sync_data().map_err(|source| LogError::Io {
                path: self.path.clone(),
                source,
            })?;
            inner.unsynced = 0;
        }
        Ok(())
    }
}

impl Drop for DecisionLog {
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            tracing::error!("decision log: final sync failed: {e}");
        }
    }
}

/// The end of a file of `len` bytes, enough of it to hold its last complete line and what
/// follows (a torn write): read backwards in growing windows, up to twice the longest record.
/// Returns the window's offset and its bytes.
fn tail_window(file: &mut File, len: u64) -> std::io::Result<(u64, Vec<u8>)> {
    let cap = 2 * MAX_RECORD_BYTES as u64 + (1 << 16);
    let mut size: u64 = 1 << 16;
    loop {
        let start = len.saturating_sub(size);
        file.seek(SeekFrom::Start(start))?;
        let mut window = Vec::new();
        Read::by_ref(file)
            .take(len - start)
            .read_to_end(&mut window)?;
        file.seek(SeekFrom::End(0))?;
        // Enough: the whole file, or two newlines (the end of the line before the last
        // complete one, and that line's own), or as much as any record could need.
        let newlines = window.iter().rev().filter(|b| **b == b'\n').take(2).count();
        if start == 0 || newlines == 2 || size >= cap {
            return Ok((start, window));
        }
        size = (size * 4).min(cap);
    }
}

/// What is wrong with a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The record's content does not match its hash, or is not a record at all.
    Edited {
        /// 1-based line.
        line: usize,
        /// Details.
        detail: String,
    },
    /// Records are missing before this line.
    Deleted {
        /// 1-based line where the gap is.
        line: usize,
        /// The first missing sequence number.
        from: u64,
        /// The last missing sequence number.
        to: u64,
    },
    /// A record that does not belong to the chain was inserted at this line.
    Inserted {
        /// 1-based line.
        line: usize,
    },
    /// Records are out of order: this line holds a record that belongs elsewhere.
    Reordered {
        /// 1-based line.
        line: usize,
        /// The sequence number found there.
        found: u64,
        /// The sequence number expected there.
        expected: u64,
    },
    /// The last line is incomplete (a crash mid-write); the records before it verify.
    Truncated {
        /// 1-based line.
        line: usize,
    },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Edited { line, detail } => {
                write!(f, "the record at line {line} was edited: {detail}")
            }
            Problem::Deleted { line, from, to } if from == to => {
                write!(
                    f,
                    "record {from} was deleted (the gap is before line {line})"
                )
            }
            Problem::Deleted { line, from, to } => {
                write!(
                    f,
                    "records {from} to {to} were deleted (the gap is before line {line})"
                )
            }
            Problem::Inserted { line } => {
                write!(f, "record {line} was inserted: it is not part of the chain")
            }
            Problem::Reordered {
                line,
                found,
                expected,
            } => write!(
                f,
                "records were reordered: line {line} holds record {found} where record {expected} belongs"
            ),
            Problem::Truncated { line } => {
                write!(
                    f,
                    "the last record (line {line}) is truncated, as by a crash mid-write"
                )
            }
        }
    }
}

/// The result of verifying a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Complete records that verified before the first problem.
    pub verified: usize,
    /// The first problem, if any.
    pub problem: Option<Problem>,
    /// The last record's sequence number and hash, when the whole log verified: keep it
    /// elsewhere and compare it later to detect a rewritten or shortened log.
    pub head: Option<(u64, String)>,
}

impl Verification {
    /// Whether the whole log is intact.
    pub fn intact(&self) -> bool {
        self.problem.is_none()
    }
}

/// Checks one line as a record: UTF-8, JSON, in canonical form (so no duplicate keys, no
/// re-ordered keys, no stray whitespace or CR), with a decision, and matching its hash.
pub fn sound_record(line: &[u8]) -> Result<Record, &'static str> {
    let text = std::str::from_utf8(line).map_err(|_| "not UTF-8")?;
    let value: Value = serde_json::from_str(text).map_err(|_| "not a JSON record")?;
    if canonical_json(&value) != text {
        return Err("not in the canonical form records are written in");
    }
    let hash = value.get("hash").and_then(Value::as_str).ok_or("no hash")?;
    if record_hash(&value) != hash {
        return Err("its content does not match its hash");
    }
    let record: Record = serde_json::from_value(value).map_err(|_| "not a record")?;
    if !record.decision.is_object() || record.decision_id().is_empty() {
        return Err("its decision is not a decision");
    }
    Ok(record)
}

/// Verifies a log's chain from the start, stopping at the first problem.
///
/// Rationale: a hash chain proves that records were not changed *relative to each other*;
/// someone who can rewrite the whole file can also recompute every hash, and deleting the last
/// records leaves a valid chain. Compare the head (the last sequence number and hash, which
/// `arbiter audit verify` prints) with a copy kept elsewhere to close that gap
/// (`--expect-head`).
///
/// The log is read one line at a time: memory is that of the longest record (at most
/// [`MAX_RECORD_BYTES`]), whatever the log's size. Telling a gap from a reordering, or an
/// insertion from a forgery, reads the log again, on that failure path only.
pub fn verify(path: &Path) -> Result<Verification, LogError> {
    verify_with(|| File::open(path).map(Lines::new)).map_err(|source| LogError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Verifies a log held in memory.
pub fn verify_text(text: &str) -> Verification {
    verify_bytes(text.as_bytes())
}

/// Verifies a log held in memory, as bytes (a torn write may have split a character).
pub fn verify_bytes(bytes: &[u8]) -> Verification {
    // Reading a slice cannot fail.
    verify_with(|| Ok(Lines::new(bytes))).unwrap_or_else(|e| Verification {
        verified: 0,
        problem: Some(Problem::Edited {
            line: 1,
            detail: e.to_string(),
        }),
        head: None,
    })
}

/// The verification over lines that `open` reads from the start each time it is called.
pub(crate) fn verify_with<R: Read>(
    open: impl Fn() -> std::io::Result<Lines<R>>,
) -> std::io::Result<Verification> {
    let mut lines = open()?;
    let mut expected = 1u64;
    let mut last_hash = GENESIS.to_string();
    let mut verified = 0usize;
    while let Some(line) = lines.next_line()? {
        let n = line.number;
        let parsed = if line.too_long {
            Err(TOO_LONG)
        } else {
            sound_record(&line.bytes)
        };
        let problem = match parsed {
            // A last line that is not even complete JSON, without its newline: a torn write.
            Err("not UTF-8" | "not a JSON record") if !line.ended => {
                Some(Problem::Truncated { line: n })
            }
            Err(why) => Some(Problem::Edited {
                line: n,
                detail: why.to_string(),
            }),
            Ok(r) if r.seq == expected && r.prev_hash == last_hash => {
                last_hash = r.hash;
                expected += 1;
                verified += 1;
                None
            }
            // Right number, wrong link: the previous record was rewritten and re-hashed, or this
            // one was forged.
            Ok(r) if r.seq == expected => Some(Problem::Edited {
                line: n.saturating_sub(1).max(1),
                detail: format!("the record at line {n} no longer links to it (its hash changed)"),
            }),
            // A later line holding the expected record means the order changed; otherwise
            // records are missing.
            Ok(r) if r.seq > expected => Some(if later_holds(&mut lines, expected)? {
                Problem::Reordered {
                    line: n,
                    found: r.seq,
                    expected,
                }
            } else {
                Problem::Deleted {
                    line: n,
                    from: expected,
                    to: r.seq - 1,
                }
            }),
            Ok(r) => {
                let (copy, forged_before) =
                    earlier_holds(open()?, verified, &r.hash, &r.prev_hash)?;
                Some(if copy {
                    // An exact copy of an earlier record.
                    Problem::Inserted { line: n }
                } else if forged_before {
                    // A genuine record whose place a forged one (the line before) took.
                    Problem::Inserted { line: n - 1 }
                } else {
                    Problem::Reordered {
                        line: n,
                        found: r.seq,
                        expected,
                    }
                })
            }
        };
        if problem.is_some() {
            return Ok(Verification {
                verified,
                problem,
                head: None,
            });
        }
    }
    let head = (verified > 0).then(|| (expected - 1, last_hash));
    Ok(Verification {
        verified,
        problem: None,
        head,
    })
}

/// What a line past [`MAX_RECORD_BYTES`] is.
const TOO_LONG: &str = "the line is longer than 64 MiB, more than any record";

/// Whether a line after the current one holds the record numbered `seq`.
fn later_holds<R: Read>(lines: &mut Lines<R>, seq: u64) -> std::io::Result<bool> {
    while let Some(line) = lines.next_line()? {
        if !line.too_long && sound_record(&line.bytes).is_ok_and(|r| r.seq == seq) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Among the first `verified` lines (records that verified): whether one has the hash `hash`
/// (so this is a copy), and whether one has the hash `prev` (so this record follows it).
fn earlier_holds<R: Read>(
    mut lines: Lines<R>,
    verified: usize,
    hash: &str,
    prev: &str,
) -> std::io::Result<(bool, bool)> {
    let (mut copy, mut follows) = (false, false);
    while let Some(line) = lines.next_line()? {
        if line.number > verified {
            break;
        }
        if let Ok(r) = sound_record(&line.bytes) {
            copy |= r.hash == hash;
            follows |= r.hash == prev;
        }
    }
    Ok((copy, follows))
}

/// A logged decision found by its id, with what verifying the log found.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The record.
    pub record: Record,
    /// Its 1-based line in the log.
    pub line: usize,
    /// The whole log verified from its first record.
    pub verification: Verification,
}

impl Found {
    /// Whether the chain verifies from the first record up to and including this one: the
    /// record stands within the unbroken run of records the log starts with, so no record up to
    /// it was edited, deleted, inserted or reordered (relative to one another: the head kept
    /// elsewhere guards the rest).
    pub fn chain_verified(&self) -> bool {
        self.line <= self.verification.verified
    }
}

/// The first sound record of a log whose decision has this id, and whether the chain verifies
/// up to it; `None` when no record has it. Read one line at a time, like [`verify`].
pub fn find(path: &Path, decision_id: &str) -> Result<Option<Found>, LogError> {
    for located in read::records(path)? {
        let located = located?;
        if located.record.decision_id() == decision_id {
            return Ok(Some(Found {
                record: located.record,
                line: located.line,
                verification: verify(path)?,
            }));
        }
    }
    Ok(None)
}

/// Every sound record of a log, in memory (for tests and small logs; the commands read one
/// record at a time with [`read::records`]).
pub fn read_records(path: &Path) -> Result<Vec<Record>, LogError> {
    read::records(path)?.map(|l| l.map(|l| l.record)).collect()
}
