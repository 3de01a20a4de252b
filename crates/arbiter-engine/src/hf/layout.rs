//! Where a model's files are: a plain model folder, a Hugging Face cache entry
//! `models--org--name/`, or one of its `snapshots/<revision>/` folders.

use std::path::{Path, PathBuf};

use super::ImportError;

/// Where a model folder's files are, and what it is called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The folder holding `config.json` (a snapshot, in a cache).
    pub dir: PathBuf,
    /// The hub id.
    pub id: String,
    /// The revision, for a cache entry.
    pub revision: Option<String>,
    /// The source line's prefix: `hf-cache models--org--name @ rev` or `hf-folder PATH`.
    pub label: String,
    /// How the revision was chosen, when not from `refs/main`.
    pub revision_note: Option<String>,
}

/// Finds the model files under `path`: a plain folder, a cache entry `models--org--name/`
/// (revision from `refs/main`, else its only or newest snapshot), or a snapshot folder.
pub fn locate(path: &Path) -> Result<Located, ImportError> {
    let layout = |message: String| ImportError::Layout {
        path: path.to_path_buf(),
        message,
    };
    let meta = std::fs::metadata(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(layout(
            "not a folder: give a model folder holding config.json, or a Hugging Face cache entry models--org--name".into(),
        ));
    }
    let name = folder_name(path);
    // A snapshot: models--org--name/snapshots/<revision>.
    if let Some(repo) = path
        .parent()
        .filter(|p| folder_name(p) == "snapshots")
        .and_then(Path::parent)
    {
        let repo_name = folder_name(repo);
        if let Some(id) = cache_id(&repo_name) {
            return Ok(Located {
                dir: path.to_path_buf(),
                id,
                label: format!("hf-cache {repo_name} @ {name}"),
                revision: Some(name),
                revision_note: None,
            });
        }
    }
    if let Some(id) = cache_id(&name) {
        let snapshots = path.join("snapshots");
        if snapshots.is_dir() {
            let (revision, note) = cache_revision(path, &snapshots)?;
            return Ok(Located {
                dir: snapshots.join(&revision),
                id,
                label: format!("hf-cache {name} @ {revision}"),
                revision: Some(revision),
                revision_note: note,
            });
        }
        return Err(layout(format!(
            "looks like a Hugging Face cache entry ({name}) but has no snapshots/ folder"
        )));
    }
    let id = match name.split_once("--") {
        Some((org, rest)) => format!("{org}/{rest}"),
        None => name.clone(),
    };
    Ok(Located {
        dir: path.to_path_buf(),
        id,
        revision: None,
        label: format!("hf-folder {}", tidy(path).display()),
        revision_note: None,
    })
}

/// The path without a trailing separator or `./` segments, as users expect to read it back.
fn tidy(path: &Path) -> PathBuf {
    let tidy: PathBuf = path.components().collect();
    if tidy.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        tidy
    }
}

/// The last component of a path, resolving `.` and `..` where needed.
fn folder_name(path: &Path) -> String {
    match path.file_name() {
        Some(n) => n.to_string_lossy().into_owned(),
        None => std::fs::canonicalize(path)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default(),
    }
}

/// `models--org--name` → `org/name` (`models--gpt2` → `gpt2`).
fn cache_id(folder: &str) -> Option<String> {
    let rest = folder.strip_prefix("models--")?;
    if rest.is_empty() {
        return None;
    }
    Some(match rest.split_once("--") {
        Some((org, name)) => format!("{org}/{name}"),
        None => rest.to_string(),
    })
}

fn cache_revision(repo: &Path, snapshots: &Path) -> Result<(String, Option<String>), ImportError> {
    let io = |path: &Path, source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let refs_main = repo.join("refs").join("main");
    if refs_main.is_file() {
        let rev = std::fs::read_to_string(&refs_main)
            .map_err(|e| io(&refs_main, e))?
            .trim()
            .to_string();
        if !rev.is_empty() && snapshots.join(&rev).is_dir() {
            return Ok((rev, None));
        }
        return Err(ImportError::Layout {
            path: refs_main,
            message: format!("names revision `{rev}`, which has no folder under snapshots/"),
        });
    }
    let mut revisions = Vec::new();
    for entry in std::fs::read_dir(snapshots).map_err(|e| io(snapshots, e))? {
        let entry = entry.map_err(|e| io(snapshots, e))?;
        if entry.path().is_dir() {
            let modified = entry.metadata().and_then(|m| m.modified()).ok();
            revisions.push((modified, entry.file_name().to_string_lossy().into_owned()));
        }
    }
    revisions.sort();
    match revisions.as_slice() {
        [] => Err(ImportError::Layout {
            path: snapshots.to_path_buf(),
            message: "has no snapshot folder".into(),
        }),
        [(_, rev)] => Ok((
            rev.clone(),
            Some("no refs/main: the only folder under snapshots/".into()),
        )),
        many => Err(ImportError::Layout {
            path: snapshots.to_path_buf(),
            message: format!(
                "holds {} revisions and no refs/main says which is current ({}): give the snapshot folder itself",
                many.len(),
                many.iter()
                    .map(|(_, r)| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_ids() {
        assert_eq!(
            cache_id("models--Qwen--Qwen2.5-0.5B").as_deref(),
            Some("Qwen/Qwen2.5-0.5B")
        );
        assert_eq!(cache_id("models--gpt2").as_deref(), Some("gpt2"));
        assert_eq!(cache_id("datasets--x--y"), None);
    }
}
