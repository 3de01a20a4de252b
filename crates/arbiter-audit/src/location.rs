//! Where a decision history lives: a log file (with its bundle archive beside it) or a
//! PostgreSQL database (`postgres://…`), as `--log` names it.

use std::fmt;
use std::path::{Path, PathBuf};

/// A decision history's place.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// A log file; its bundles in `<file>.bundles/`.
    File(PathBuf),
    /// A PostgreSQL database: records and bundles in its tables (`crate::postgres`).
    Postgres(DatabaseUrl),
}

/// A `postgres://` or `postgresql://` URL. Shown with its password masked: the URL may come
/// from a secret, and error messages and logs must not repeat it.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    url: String,
}

impl DatabaseUrl {
    /// The URL itself, password included, for connecting.
    pub fn secret(&self) -> &str {
        &self.url
    }
}

impl fmt::Display for DatabaseUrl {
    /// The URL with any password replaced by `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (scheme, rest) = self
            .url
            .split_once("://")
            .unwrap_or(("postgres", &self.url));
        // userinfo ends at the last `@` before the first `/` (a password may hold `@`).
        let authority_end = rest.find('/').unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
                let masked = if userinfo.contains(':') { ":***" } else { "" };
                write!(f, "{scheme}://{user}{masked}{}", &rest[at..])
            }
            None => write!(f, "{}", self.url),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

impl Location {
    /// What `--log` names: a URL starting `postgres://` or `postgresql://` is a database,
    /// anything else a file.
    pub fn from_arg(arg: &Path) -> Location {
        match arg.to_str() {
            Some(s) if s.starts_with("postgres://") || s.starts_with("postgresql://") => {
                Location::Postgres(DatabaseUrl { url: s.to_string() })
            }
            _ => Location::File(arg.to_path_buf()),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(p) => write!(f, "{}", p.display()),
            Location::Postgres(u) => write!(f, "{u}"),
        }
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Location({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_databases_and_passwords_are_masked() {
        let shown = |s: &str| Location::from_arg(Path::new(s)).to_string();
        assert_eq!(
            shown("postgres://arbiter:s3cr@t@db:5432/arbiter"),
            "postgres://arbiter:***@db:5432/arbiter"
        );
        assert_eq!(
            shown("postgresql://arbiter@127.0.0.1/a?x=1"),
            "postgresql://arbiter@127.0.0.1/a?x=1"
        );
        assert_eq!(shown("postgres://db/a"), "postgres://db/a");
        assert!(matches!(
            Location::from_arg(Path::new("decisions.log")),
            Location::File(_)
        ));
        assert!(matches!(
            Location::from_arg(Path::new("./postgres://x")),
            Location::File(_)
        ));
    }
}
