//! The bundle watcher: turns file-system activity into all-or-nothing reloads.
//!
//! It does not trust event kinds or paths — editors save by writing in place, by writing a
//! temporary file and renaming it, or by deleting and re-creating; Kubernetes swaps a `..data`
//! symbolic link; rsync and git rename whole trees. Any event, after a quiet period (the
//! debounce), triggers a rescan of the whole folder, and the store's content hash makes an
//! unchanged folder a cheap no-op. A periodic rescan is the safety net for events that never
//! come (network filesystems, edits behind symbolic links); `WatchMode::Poll` replaces events by
//! polling altogether. Files behind symbolic links that point outside the folder have their
//! own folders watched too, re-registered after every reload.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use arbiter_engine::bundle::is_ignored_name;
use arbiter_engine::store::{BundleStore, ReloadOutcome};
use notify::{PollWatcher, RecommendedWatcher, RecursiveMode, Watcher as _};

/// How changes are noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WatchMode {
    /// Operating-system events (inotify, FSEvents, …).
    #[default]
    Native,
    /// Polling, for network filesystems where events do not arrive.
    Poll,
}

/// Watcher settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchConfig {
    /// Events or polling.
    pub mode: WatchMode,
    /// Quiet time after the last event before reloading, so a multi-file save reloads once.
    pub debounce: Duration,
    /// Rescan this often even without events.
    pub rescan: Duration,
    /// Polling interval in `Poll` mode.
    pub poll_interval: Duration,
}

impl Default for WatchConfig {
    fn default() -> Self {
        Self {
            mode: WatchMode::Native,
            debounce: Duration::from_millis(100),
            rescan: Duration::from_secs(30),
            poll_interval: Duration::from_millis(500),
        }
    }
}

/// The watcher could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WatchError {
    /// The operating system refused to watch a path.
    #[error("cannot watch `{}`: {source}", path.display())]
    Watch {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        source: notify::Error,
    },
    /// The watcher thread could not be started.
    #[error("cannot start the watcher thread: {0}")]
    Thread(#[from] std::io::Error),
}

enum Message {
    Changed,
    Stop,
}

/// A running watcher; dropping it stops it.
pub struct BundleWatcher {
    tx: Sender<Message>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for BundleWatcher {
    fn drop(&mut self) {
        let _ = self.tx.send(Message::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Watches the store's folder (and catalog override) and reloads on change, calling
/// `on_reload` with every outcome but `Unchanged`.
pub fn spawn(
    store: Arc<BundleStore>,
    config: WatchConfig,
    mut on_reload: impl FnMut(&ReloadOutcome) + Send + 'static,
) -> Result<BundleWatcher, WatchError> {
    let (tx, rx) = mpsc::channel();
    let events = tx.clone();
    let handler = move |event: notify::Result<notify::Event>| {
        // Any event but a read, even an error, means: look again. (Reads must be ignored: the
        // reload itself reads every file.)
        if !matches!(&event, Ok(e) if matches!(e.kind, notify::EventKind::Access(_))) {
            let _ = events.send(Message::Changed);
        }
    };
    let mut watcher: Box<dyn notify::Watcher + Send> = match config.mode {
        WatchMode::Native => Box::new(
            RecommendedWatcher::new(handler, notify::Config::default()).map_err(|source| {
                WatchError::Watch {
                    path: store.dir().to_path_buf(),
                    source,
                }
            })?,
        ),
        WatchMode::Poll => Box::new(
            PollWatcher::new(
                handler,
                notify::Config::default()
                    .with_poll_interval(config.poll_interval)
                    .with_compare_contents(true),
            )
            .map_err(|source| WatchError::Watch {
                path: store.dir().to_path_buf(),
                source,
            })?,
        ),
    };
    let mut watched = BTreeSet::new();
    update_watches(watcher.as_mut(), &store, &mut watched)?;

    let thread = std::thread::Builder::new()
        .name("bundle-watcher".into())
        .spawn(move || {
            loop {
                match rx.recv_timeout(config.rescan) {
                    Ok(Message::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                    Ok(Message::Changed) => loop {
                        match rx.recv_timeout(config.debounce) {
                            Ok(Message::Changed) => continue,
                            Ok(Message::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                            Err(RecvTimeoutError::Timeout) => break,
                        }
                    },
                    Err(RecvTimeoutError::Timeout) => {}
                }
                let outcome = store.reload();
                if let ReloadOutcome::Activated { .. } = outcome
                    && let Err(e) = update_watches(watcher.as_mut(), &store, &mut watched)
                {
                    tracing::warn!("bundle watcher: {e}");
                }
                if !matches!(outcome, ReloadOutcome::Unchanged { .. }) {
                    on_reload(&outcome);
                }
            }
        })?;
    Ok(BundleWatcher {
        tx,
        thread: Some(thread),
    })
}

/// Watches the bundle folder, the catalog override's folder, and the folders that symbolic
/// links inside the bundle point into.
fn update_watches(
    watcher: &mut dyn notify::Watcher,
    store: &BundleStore,
    watched: &mut BTreeSet<(PathBuf, bool)>,
) -> Result<(), WatchError> {
    let dir = store.dir().to_path_buf();
    let mut want: BTreeSet<(PathBuf, bool)> = BTreeSet::new();
    want.insert((dir.clone(), true));
    if let Some(parent) = store
        .catalog_override()
        .and_then(|c| c.canonicalize().ok())
        .and_then(|c| c.parent().map(Path::to_path_buf))
    {
        want.insert((parent, false));
    }
    let root = dir.canonicalize().unwrap_or_else(|_| dir.clone());
    for target in link_targets(&dir, 0) {
        if !target.starts_with(&root)
            && let Some(parent) = target.parent()
        {
            want.insert((parent.to_path_buf(), false));
        }
    }
    for (path, recursive) in watched
        .difference(&want.clone())
        .cloned()
        .collect::<Vec<_>>()
    {
        let _ = watcher.unwatch(&path);
        watched.remove(&(path, recursive));
    }
    for (path, recursive) in want {
        if watched.contains(&(path.clone(), recursive)) {
            continue;
        }
        let mode = if recursive {
            RecursiveMode::Recursive
        } else {
            RecursiveMode::NonRecursive
        };
        match watcher.watch(&path, mode) {
            Ok(()) => {
                watched.insert((path, recursive));
            }
            // The bundle folder itself must be watchable; a link target's folder is best effort
            // (the periodic rescan still covers it).
            Err(source) if path == dir => return Err(WatchError::Watch { path, source }),
            Err(e) => {
                tracing::warn!(path = %path.display(), "bundle watcher: cannot watch a link target's folder: {e}")
            }
        }
    }
    Ok(())
}

/// The resolved targets of the files under `dir`.
fn link_targets(dir: &Path, depth: usize) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let name = entry.file_name();
        if is_ignored_name(&name.to_string_lossy()) {
            continue;
        }
        if path.is_dir() && depth < 8 {
            out.extend(link_targets(&path, depth + 1));
        } else if let Ok(target) = path.canonicalize() {
            out.push(target);
        }
    }
    out
}
