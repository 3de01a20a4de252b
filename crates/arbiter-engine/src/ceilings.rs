//! The resource ceilings: how large a document, a bundle or a catalog may be. Each is a stated
//! limit with an error that names it, so that no input, careless or hostile, costs unbounded
//! memory or time. Script limits (operations, CPU time, string and collection sizes) are the
//! bundle's own `[limits]`, themselves capped (see `manifest::Limits`); YAML's alias expansion
//! and nesting depth are capped in `yaml`.

use std::io::Read;
use std::path::Path;

/// A task document: 1 MiB (a task is a few hundred bytes; the service's body limit is 2 MiB).
pub const TASK_BYTES: u64 = 1 << 20;
/// A catalog document: 64 MiB (the 10,000-model bench catalog is about 5 MiB).
pub const CATALOG_BYTES: u64 = 64 << 20;
/// Models in a catalog: 20,000 (a decision calls every criterion on every model).
pub const MODELS: usize = 20_000;
/// Criteria in a bundle: 100 (the default bundle has seven).
pub const CRITERIA: usize = 100;
/// Any one file of a bundle folder: the catalog's ceiling.
pub const BUNDLE_FILE_BYTES: u64 = CATALOG_BYTES;
/// All the files of a bundle folder together: 128 MiB.
pub const BUNDLE_BYTES: u64 = 128 << 20;
/// Files in a bundle folder: 10,000 (golden cases included).
pub const BUNDLE_FILES: usize = 10_000;

/// Reads the regular file at `path`, refusing anything else (a folder, a FIFO, a device such as
/// `/dev/zero`) and anything over `ceiling` bytes, named as `what` ("a task document").
pub fn read_file(path: &Path, ceiling: u64, what: &str) -> std::io::Result<Vec<u8>> {
    // Checked before opening: opening a FIFO for reading waits for a writer.
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other(format!(
            "not a regular file ({what} is read from a file, not a folder, FIFO or device)"
        )));
    }
    let too_large = || {
        std::io::Error::other(format!(
            "larger than {}, the limit for {what}",
            human_bytes(ceiling)
        ))
    };
    if meta.len() > ceiling {
        return Err(too_large());
    }
    let file = std::fs::File::open(path)?;
    // The size was checked, but a file can grow while it is read.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(ceiling + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > ceiling {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Reads the regular file at `path` as UTF-8 text, within `ceiling` (see [`read_file`]).
pub fn read_text(path: &Path, ceiling: u64, what: &str) -> std::io::Result<String> {
    String::from_utf8(read_file(path, ceiling, what)?)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not valid UTF-8 text"))
}

/// `1 MiB`, `64 MiB`, `512 KiB`, `100 bytes`.
pub fn human_bytes(n: u64) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_at_the_ceiling_is_read_and_one_byte_more_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![b'a'; 100]).unwrap();
        assert_eq!(read_file(&path, 100, "a test").unwrap().len(), 100);
        let e = read_file(&path, 99, "a test").unwrap_err();
        assert_eq!(e.to_string(), "larger than 99 bytes, the limit for a test");
    }

    #[test]
    fn folders_and_devices_are_not_files() {
        let dir = tempfile::tempdir().unwrap();
        for path in [dir.path(), Path::new("/dev/zero")] {
            if path.exists() {
                let e = read_file(path, 1 << 20, "a task document").unwrap_err();
                assert!(e.to_string().starts_with("not a regular file"), "{e}");
            }
        }
    }
}
