//! A bundle's files in memory ([`Files`]): read whole from a folder (following symbolic links
//! that stay inside it, skipping editor, VCS and ConfigMap internals) or from the copy embedded in the binary, and
//! hashed over their bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why a bundle's files could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FilesError {
    /// A file or folder could not be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The bundle path is not a folder.
    #[error("`{}` is not a folder: a bundle is a folder holding bundle.toml", path.display())]
    NotAFolder {
        /// The path.
        path: PathBuf,
    },
    /// The bundle is larger than a ceiling allows.
    #[error("bundle `{}` is too large: {what}", path.display())]
    TooLarge {
        /// The bundle folder.
        path: PathBuf,
        /// Which ceiling, and by how much.
        what: String,
    },
}

/// The files of a bundle, in memory: relative `/`-separated paths to contents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Files(pub BTreeMap<String, Vec<u8>>);

/// Whether a file name belongs to an editor, a VCS or a Kubernetes ConfigMap's internals
/// rather than to the bundle: hidden names, backups, swap and temporary files.
pub fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || name.starts_with('#')
        || [".swp", ".swx", ".tmp", ".bak", ".orig"]
            .iter()
            .any(|s| name.ends_with(s))
}

impl Files {
    /// Reads every file under `dir` (following symbolic links), skipping ignored names.
    pub fn read_dir(dir: &Path) -> Result<Files, FilesError> {
        let mut files = Files::default();
        let meta = std::fs::metadata(dir).map_err(|source| FilesError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        if !meta.is_dir() {
            return Err(FilesError::NotAFolder {
                path: dir.to_path_buf(),
            });
        }
        let root = std::fs::canonicalize(dir).map_err(|source| FilesError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut total = 0;
        files.read_into(dir, "", 0, &mut total, &root)?;
        Ok(files)
    }

    fn read_into(
        &mut self,
        dir: &Path,
        prefix: &str,
        depth: usize,
        total: &mut u64,
        root: &Path,
    ) -> Result<(), FilesError> {
        use crate::ceilings::{BUNDLE_BYTES, BUNDLE_FILE_BYTES, BUNDLE_FILES, human_bytes};
        if depth > 8 {
            return Ok(());
        }
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| FilesError::Io { path, source }
        };
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(io(dir))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for path in entries {
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if is_ignored_name(name) {
                continue;
            }
            let rel = format!("{prefix}{name}");
            // `metadata` follows symbolic links (ConfigMaps are made of them: `bundle.toml` →
            // `..data/bundle.toml` → `..2026_12_03…/bundle.toml`, all inside the mount). A link
            // that leads out of the bundle folder is refused: a bundle is what is in its folder.
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            let resolved = std::fs::canonicalize(&path).map_err(io(&path))?;
            if !resolved.starts_with(root) {
                return Err(FilesError::Io {
                    path: path.clone(),
                    source: std::io::Error::other(
                        "a symbolic link that leads out of the bundle folder: a bundle holds \
                         its files itself (copy the file in; a catalog kept elsewhere can be \
                         given with --catalog)",
                    ),
                });
            }
            let too_large = |what: String| FilesError::TooLarge {
                path: dir.to_path_buf(),
                what,
            };
            if meta.is_dir() {
                self.read_into(&path, &format!("{rel}/"), depth + 1, total, root)?;
            } else if meta.is_file() {
                if self.0.len() >= BUNDLE_FILES {
                    return Err(too_large(format!(
                        "more than {BUNDLE_FILES} files, the limit for a bundle"
                    )));
                }
                let bytes = crate::ceilings::read_file(&path, BUNDLE_FILE_BYTES, "a bundle file")
                    .map_err(io(&path))?;
                *total += bytes.len() as u64;
                if *total > BUNDLE_BYTES {
                    return Err(too_large(format!(
                        "its files pass {} together, the limit for a bundle",
                        human_bytes(BUNDLE_BYTES)
                    )));
                }
                self.0.insert(rel, bytes);
            } else {
                // A FIFO, socket or device: reading it could block or never end.
                return Err(FilesError::Io {
                    path: path.clone(),
                    source: std::io::Error::other(
                        "not a regular file or folder (a bundle holds only files and folders)",
                    ),
                });
            }
        }
        Ok(())
    }

    /// Files given as (path, contents) pairs, e.g. embedded in a binary. Paths with an ignored
    /// component (see [`is_ignored_name`]) are left out, as [`Files::read_dir`] leaves them out,
    /// so both give the same bundle and the same hash.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Files {
        Files(
            pairs
                .into_iter()
                .filter(|(p, _)| !p.split('/').any(is_ignored_name))
                .map(|(p, b)| (p.to_string(), b.to_vec()))
                .collect(),
        )
    }

    /// Writes every file under `dir` (creating folders as needed).
    pub fn write_to(&self, dir: &Path) -> std::io::Result<()> {
        for (rel, bytes) in &self.0 {
            let path = dir.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, bytes)?;
        }
        Ok(())
    }

    /// The content hash: SHA-256 over every (path, length, bytes) in path order.
    pub fn hash(&self) -> String {
        let mut h = crate::hash::Hasher::default();
        for (path, bytes) in &self.0 {
            h.update(path.as_bytes());
            h.update(&[0]);
            h.update(&(bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        }
        h.finish()
    }
}
