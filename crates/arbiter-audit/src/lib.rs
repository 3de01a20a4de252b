//! Model Arbiter's audit trail: the hash-chained decision log, the content-addressed bundle
//! archive, and verify / show / replay / diff / query over them — in a log file, or in a
//! PostgreSQL database that several replicas share.
//!
//! - [`log`]: append decisions as a hash chain; verify it, locating the first tampering.
//! - [`postgres`]: the same records in PostgreSQL, one chain across replicas.
//! - [`archive`]: every bundle a logged decision used, stored once under its hash.
//! - [`replay`]: re-evaluate logged tasks with their own bundle, or shadow-evaluate a candidate.
//! - [`query`]: which decisions chose what, under which bundle, when.
//! - [`Location`]: what `--log` names; [`AuditTrail`] appends there, [`Source`] reads there.

pub mod archive;
mod canonical;
mod group_commit;
mod index;
pub mod location;
pub mod log;
pub mod postgres;
pub mod query;
pub mod read;
pub mod replay;

use std::sync::Arc;

pub use archive::{Archive, archive_for_log};
pub use location::{DatabaseUrl, Location};
pub use log::{DecisionLog, LogError, Problem, Record, Sync, verify};

use arbiter_engine::{Bundle, Decision};

use crate::postgres::PgStore;

/// Where decisions are appended: a log file (with its bundle archive) or the PostgreSQL store.
#[derive(Debug)]
pub struct AuditTrail {
    sink: Sink,
    /// The bundle archive beside the log (or in the database).
    pub archive: Archive,
    /// Log only the first this many ranked models of each decision, the rest counted
    /// ([`arbiter_engine::Decision::limited_to`]); `None` logs decisions whole.
    pub record_top: Option<usize>,
}

#[derive(Debug)]
enum Sink {
    File(Box<DecisionLog>),
    Postgres(Arc<PgStore>),
}

/// Why a decision could not be recorded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The log refused it.
    #[error(transparent)]
    Log(#[from] LogError),
    /// The archive refused the bundle.
    #[error(transparent)]
    Archive(#[from] archive::ArchiveError),
}

impl RecordError {
    /// Whether the store is unreachable for now (the service answers 503; a retry may
    /// succeed), as opposed to broken.
    pub fn unavailable(&self) -> bool {
        match self {
            RecordError::Log(e) => e.unavailable(),
            RecordError::Archive(archive::ArchiveError::Database { unavailable, .. }) => {
                *unavailable
            }
            RecordError::Archive(_) => false,
        }
    }
}

impl AuditTrail {
    /// Opens the log at `path` (and its archive `<path>.bundles/`).
    pub fn open(path: &std::path::Path, sync: Sync) -> Result<AuditTrail, LogError> {
        AuditTrail::open_at(&Location::File(path.to_path_buf()), sync, None)
    }

    /// Opens the trail `--log` names, its records naming `replica` (`serve --replica-id`).
    /// `sync` applies to a file (the database commits every record before it is answered).
    pub fn open_at(
        location: &Location,
        sync: Sync,
        replica: Option<String>,
    ) -> Result<AuditTrail, LogError> {
        AuditTrail::open_with(location, sync, replica, false)
    }

    /// As [`AuditTrail::open_at`]; with `wait`, a database that cannot be reached yet is not
    /// an error: the trail starts unready ([`AuditTrail::ready`]) and connects when it can (the
    /// service, which a scheduler may start before its database).
    pub fn open_with(
        location: &Location,
        sync: Sync,
        replica: Option<String>,
        wait: bool,
    ) -> Result<AuditTrail, LogError> {
        Ok(match location {
            Location::File(path) => AuditTrail {
                sink: Sink::File(Box::new(
                    DecisionLog::open(path, sync)?.with_replica(replica),
                )),
                archive: archive_for_log(path),
                record_top: None,
            },
            Location::Postgres(url) => {
                let store = Arc::new(PgStore::connect(url, replica, wait)?);
                AuditTrail {
                    archive: Archive::in_database(Arc::clone(&store)),
                    sink: Sink::Postgres(store),
                    record_top: None,
                }
            }
        })
    }

    /// Records a decision: its bundle into the archive (once), then the decision into the log,
    /// with the task fields the bundle lists under `redact` masked.
    pub fn record(
        &self,
        bundle: &Bundle,
        decision: &Decision,
    ) -> Result<(u64, String), RecordError> {
        self.archive.store(bundle)?;
        let limited = self.record_top.map(|top| decision.limited_to(top));
        let decision = limited.as_ref().unwrap_or(decision);
        let redact = &bundle.manifest.redact;
        Ok(match &self.sink {
            Sink::File(log) => log.append_redacted(decision, redact)?,
            Sink::Postgres(store) => {
                let mut value = serde_json::to_value(decision).map_err(LogError::from)?;
                log::redact(&mut value, redact);
                store.append(&value)?
            }
        })
    }

    /// Prepares lookups: indexes a log file (once); nothing to do for the database. Returns
    /// the number of records indexed, `None` for the database.
    pub fn build_index(&self) -> Result<Option<usize>, LogError> {
        match &self.sink {
            Sink::File(log) => log.build_index().map(Some),
            Sink::Postgres(_) => Ok(None),
        }
    }

    /// The record of this decision, checked against its own hash; `None` when none has it.
    pub fn lookup(&self, decision_id: &str) -> Result<Option<Record>, LogError> {
        match &self.sink {
            Sink::File(log) => log.lookup(decision_id),
            Sink::Postgres(store) => store.lookup(decision_id),
        }
    }

    /// Up to `limit` records, newest first, numbered below `before`, and the `before` of the
    /// next page when older records remain.
    pub fn recent(
        &self,
        limit: usize,
        before: Option<u64>,
    ) -> Result<(Vec<Record>, Option<u64>), LogError> {
        match &self.sink {
            Sink::File(log) => log.recent(limit, before),
            Sink::Postgres(store) => store.recent(limit, before),
        }
    }

    /// Whether decisions can be recorded now: always for a file, a round trip for the
    /// database (`/readyz`).
    pub fn ready(&self) -> Result<(), String> {
        match &self.sink {
            Sink::File(_) => Ok(()),
            Sink::Postgres(store) => store.ready(),
        }
    }

    /// Syncs batched records of a log file (the database's are committed already).
    pub fn flush(&self) -> Result<(), LogError> {
        match &self.sink {
            Sink::File(log) => log.flush(),
            Sink::Postgres(_) => Ok(()),
        }
    }

    /// The log file, when the trail is one.
    pub fn file_log(&self) -> Option<&DecisionLog> {
        match &self.sink {
            Sink::File(log) => Some(log),
            Sink::Postgres(_) => None,
        }
    }
}

/// A decision history opened for reading: what `audit verify|show|replay|diff|query` read.
#[derive(Debug)]
pub enum Source {
    /// A log file.
    File(std::path::PathBuf),
    /// The PostgreSQL store.
    Postgres(Arc<PgStore>),
}

impl Source {
    /// Opens the history `--log` names (for a database: connects, and creates or migrates its
    /// tables, as a writer would).
    pub fn open(location: &Location) -> Result<Source, LogError> {
        Ok(match location {
            Location::File(p) => Source::File(p.clone()),
            Location::Postgres(url) => {
                Source::Postgres(Arc::new(PgStore::connect(url, None, false)?))
            }
        })
    }

    /// The log's path or the store's URL (password masked), for messages.
    pub fn name(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Postgres(s) => s.url().to_string(),
        }
    }

    /// What a position in the chain is called: a log's line, a database's row (in `seq`
    /// order).
    pub fn unit(&self) -> &'static str {
        match self {
            Source::File(_) => "line",
            Source::Postgres(_) => "row",
        }
    }

    /// Verifies the whole chain ([`log::verify`]; for the database, also against its head).
    pub fn verify(&self) -> Result<log::Verification, LogError> {
        match self {
            Source::File(p) => log::verify(p),
            Source::Postgres(s) => s.verify(),
        }
    }

    /// The first sound record with this decision id, and whether the chain verifies up to it.
    pub fn find(&self, decision_id: &str) -> Result<Option<log::Found>, LogError> {
        match self {
            Source::File(p) => log::find(p, decision_id),
            Source::Postgres(s) => s.find(decision_id),
        }
    }

    /// The sound records, in chain order, read one at a time.
    pub fn records(&self) -> Result<read::Records, LogError> {
        match self {
            Source::File(p) => read::records(p),
            Source::Postgres(s) => Ok(read::Records::new(s.lines(), self.name().into())),
        }
    }

    /// The records a filter selects, oldest first, each matched on its own content.
    pub fn query(&self, filter: &query::Filter) -> Result<Vec<Record>, LogError> {
        match self {
            Source::File(_) => {
                let mut out = Vec::new();
                for located in self.records()? {
                    let record = located?.record;
                    if filter.matches(&record) {
                        out.push(record);
                        if filter.limit.is_some_and(|l| out.len() as u64 >= l) {
                            break;
                        }
                    }
                }
                Ok(out)
            }
            Source::Postgres(s) => s.query(filter),
        }
    }

    /// The bundle archive that belongs to this history.
    pub fn archive(&self) -> Archive {
        match self {
            Source::File(p) => archive_for_log(p),
            Source::Postgres(s) => Archive::in_database(Arc::clone(s)),
        }
    }
}
