//! The content-addressed bundle archive: every bundle that made a logged decision, stored once,
//! whole (manifest, scripts, catalog, golden cases), under its hash — so any decision can be
//! replayed after the rules changed.
//!
//! Layout: `<dir>/<hex of the sha256>/<the bundle's files>`. A bundle is written to a temporary
//! folder and renamed into place, so a reader never sees half a bundle; on load the files are
//! hashed again and must match their name. With the PostgreSQL store the archive is its
//! `arbiter_bundles` tables instead ([`crate::postgres`]), with the same guarantees.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::postgres::PgStore;

use arbiter_engine::bundle::{Bundle, BundleError, Files};

/// Errors of the archive.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// An I/O error.
    #[error("bundle archive `{}`: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The archive has no bundle with this hash.
    #[error("bundle {hash} is not in the archive `{}`", dir.display())]
    Missing {
        /// The archive.
        dir: PathBuf,
        /// The hash.
        hash: String,
    },
    /// The stored files do not hash to their name: the archive was altered.
    #[error("bundle {hash} in the archive was altered: its files now hash to {actual}")]
    Altered {
        /// The expected hash.
        hash: String,
        /// What the files hash to now.
        actual: String,
    },
    /// The PostgreSQL store failed or refused.
    #[error("bundle archive: {message}")]
    Database {
        /// What went wrong.
        message: String,
        /// Whether the database is unreachable (a retry later may succeed).
        unavailable: bool,
    },
    /// The stored bundle no longer loads (e.g. a newer engine refuses it).
    #[error("bundle {hash} from the archive does not load: {source}")]
    Load {
        /// The hash.
        hash: String,
        /// Why.
        source: BundleError,
    },
}

/// A bundle archive: a folder, or the PostgreSQL store's tables.
#[derive(Debug, Clone)]
pub struct Archive {
    place: Place,
}

#[derive(Debug, Clone)]
enum Place {
    Dir(PathBuf),
    Postgres(Arc<PgStore>),
}

/// The archive that belongs to a log: `<log>.bundles/` beside it.
pub fn archive_for_log(log: &Path) -> Archive {
    let mut name = log
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".bundles");
    Archive::new(log.with_file_name(name))
}

fn hex_of(hash: &str) -> &str {
    hash.strip_prefix("sha256:").unwrap_or(hash)
}

impl Archive {
    /// An archive in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Archive {
        Archive {
            place: Place::Dir(dir.into()),
        }
    }

    /// The archive in a PostgreSQL store.
    pub fn in_database(store: Arc<PgStore>) -> Archive {
        Archive {
            place: Place::Postgres(store),
        }
    }

    /// The archive folder (`None` for the PostgreSQL store).
    pub fn dir(&self) -> Option<&Path> {
        match &self.place {
            Place::Dir(d) => Some(d),
            Place::Postgres(_) => None,
        }
    }

    /// Stores a bundle's files unless a bundle with its hash is already there.
    pub fn store(&self, bundle: &Bundle) -> Result<(), ArchiveError> {
        match &self.place {
            Place::Dir(dir) => store_in(dir, bundle),
            Place::Postgres(store) => store.store_bundle(bundle),
        }
    }

    /// Loads the bundle with this hash, checking that its files still hash to it.
    pub fn load(&self, hash: &str) -> Result<Bundle, ArchiveError> {
        let files = match &self.place {
            Place::Dir(dir) => files_in(dir, hash)?,
            Place::Postgres(store) => store.bundle_files(hash)?,
        };
        let Some(files) = files else {
            return Err(ArchiveError::Missing {
                dir: match &self.place {
                    Place::Dir(d) => d.clone(),
                    Place::Postgres(s) => s.url().to_string().into(),
                },
                hash: hash.to_string(),
            });
        };
        let actual = files.hash();
        if actual != hash {
            return Err(ArchiveError::Altered {
                hash: hash.to_string(),
                actual,
            });
        }
        Bundle::from_files(
            files,
            format!("archive:{}", &hex_of(hash)[..12.min(hex_of(hash).len())]),
        )
        .map_err(|source| ArchiveError::Load {
            hash: hash.to_string(),
            source,
        })
    }
}

/// Stores a bundle's files in an archive folder unless a bundle with its hash is already there.
fn store_in(dir: &Path, bundle: &Bundle) -> Result<(), ArchiveError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ArchiveError::Io { path, source }
    };
    let target = dir.join(hex_of(&bundle.hash));
    if target.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    // A name no other writer uses, in this process or another: concurrent decisions with a
    // new bundle all try to store it, and the first rename wins.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(
        ".tmp-{}-{}-{n}",
        hex_of(&bundle.hash),
        std::process::id()
    ));
    if let Err(e) = bundle.files.write_to(&tmp) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(ArchiveError::Io {
            path: tmp,
            source: e,
        });
    }
    let renamed = std::fs::rename(&tmp, &target);
    if renamed.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    match renamed {
        Ok(()) => Ok(()),
        // Another writer stored the same bundle first: same hash, same content.
        Err(_) if target.is_dir() => Ok(()),
        Err(e) => Err(ArchiveError::Io {
            path: target,
            source: e,
        }),
    }
}

/// The files of the bundle with this hash in an archive folder, `None` when it is not there.
fn files_in(dir: &Path, hash: &str) -> Result<Option<Files>, ArchiveError> {
    let dir = dir.join(hex_of(hash));
    if !dir.is_dir() {
        return Ok(None);
    }
    Files::read_dir(&dir)
        .map(Some)
        .map_err(|e| ArchiveError::Load {
            hash: hash.to_string(),
            source: e.into(),
        })
}
