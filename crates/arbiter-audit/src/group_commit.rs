//! Group commit: decisions appended at the same time share one `fsync`.
//!
//! An append writes its record under the log's lock, then waits here, outside it, until a sync
//! has covered its sequence number. The first waiter to find no sync running becomes the
//! leader: it notes the highest sequence written so far, syncs, and wakes everyone that sync
//! covered; records written meanwhile wait for the next sync, which one of them leads. Each
//! caller still returns only after its own record is on disk, so the guarantee of
//! [`Sync::Always`](crate::log::Sync::Always) is unchanged — an acknowledged decision survives a
//! crash — while concurrent appends cost one sync per group instead of one each.
//!
//! A failed `fsync` closes the log to new records: after one, what reached the disk is unknown
//! (Linux may drop the dirty pages and report success next time), so carrying on would
//! acknowledge decisions that might be lost. The process must be restarted, after checking the
//! disk, and the log verified.

use std::fs::File;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};

/// The sync state shared by the appending threads of one log.
#[derive(Debug)]
pub(crate) struct GroupCommit {
    /// A handle to the log file, for syncing without the write lock.
    file: File,
    /// The highest sequence number written (set under the log's lock, after each write).
    written: AtomicU64,
    state: Mutex<State>,
    synced_now: Condvar,
}

#[derive(Debug)]
struct State {
    /// Every record up to this sequence number is on disk.
    synced: u64,
    /// A leader is syncing.
    syncing: bool,
    /// Why the log no longer accepts records, after a failed sync.
    failed: Option<String>,
}

impl GroupCommit {
    /// Group commit for a log whose records up to `synced` are on disk.
    pub(crate) fn new(file: File, synced: u64) -> GroupCommit {
        GroupCommit {
            file,
            written: AtomicU64::new(synced),
            state: Mutex::new(State {
                synced,
                syncing: false,
                failed: None,
            }),
            synced_now: Condvar::new(),
        }
    }

    /// Notes that the record `seq` was written (called under the log's lock).
    pub(crate) fn written(&self, seq: u64) {
        self.written.fetch_max(seq, Ordering::SeqCst);
    }

    /// Why the log refuses records, if a sync failed.
    pub(crate) fn failure(&self) -> Option<String> {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .failed
            .clone()
    }

    /// Returns once the record `seq` is on disk; `Err` with the reason when a sync failed.
    pub(crate) fn wait(&self, seq: u64) -> Result<(), String> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(why) = &state.failed {
                return Err(why.clone());
            }
            if state.synced >= seq {
                return Ok(());
            }
            if state.syncing {
                state = self
                    .synced_now
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            // Lead: sync everything written so far, without holding the state lock.
            state.syncing = true;
            let target = self.written.load(Ordering::SeqCst);
            drop(state);
            let result = self.file.sync_data();
            state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.syncing = false;
            match result {
                Ok(()) => state.synced = state.synced.max(target),
                Err(e) => {
                    state.failed = Some(format!(
                        "an fsync failed ({e}); the log accepts no more records: check the disk, \
                         run `arbiter audit verify`, then restart"
                    ));
                }
            }
            self.synced_now.notify_all();
        }
    }
}
