//! Model Arbiter's audit trail: the hash-chained decision log, the content-addressed bundle
//! archive, and verify / show / replay / diff over them.
//!
//! - [`log`]: append decisions as a hash chain; verify it, locating the first tampering.
//! - [`archive`]: every bundle a logged decision used, stored once under its hash.
//! - [`replay`]: re-evaluate logged tasks with their own bundle, or shadow-evaluate a candidate.

pub mod archive;
mod canonical;
mod group_commit;
mod index;
pub mod log;
pub mod read;
pub mod replay;

pub use archive::{Archive, archive_for_log};
pub use log::{DecisionLog, LogError, Problem, Record, Sync, verify};

use arbiter_engine::{Bundle, Decision};

/// A log together with its bundle archive: what `--log` opens.
#[derive(Debug)]
pub struct AuditTrail {
    /// The decision log.
    pub log: DecisionLog,
    /// The bundle archive beside it.
    pub archive: Archive,
    /// Log only the first this many ranked models of each decision, the rest counted
    /// ([`arbiter_engine::Decision::limited_to`]); `None` logs decisions whole.
    pub record_top: Option<usize>,
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

impl AuditTrail {
    /// Opens the log at `path` (and its archive `<path>.bundles/`).
    pub fn open(path: &std::path::Path, sync: Sync) -> Result<AuditTrail, LogError> {
        Ok(AuditTrail {
            log: DecisionLog::open(path, sync)?,
            archive: archive_for_log(path),
            record_top: None,
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
        Ok(self.log.append_redacted(
            limited.as_ref().unwrap_or(decision),
            &bundle.manifest.redact,
        )?)
    }
}
