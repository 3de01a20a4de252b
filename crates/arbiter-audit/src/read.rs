//! Reading a decision log one line at a time, with a bound on a line: memory is that of the
//! longest record, never that of the log, and a line past [`MAX_RECORD_BYTES`] (a log linked
//! to `/dev/zero`, a file that is not a log) is skipped to its end without being kept.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::log::{LogError, Record, sound_record};

/// The longest line a record may be: 64 MiB. A whole decision over the largest catalog the
/// engine accepts (20,000 models) is some 25 MB.
pub const MAX_RECORD_BYTES: usize = 64 << 20;

/// One line of a log.
#[derive(Debug)]
pub struct Line {
    /// 1-based.
    pub number: usize,
    /// The byte offset of its first byte.
    pub offset: u64,
    /// Its bytes, without the newline; empty when it is [`Line::too_long`].
    pub bytes: Vec<u8>,
    /// Whether a newline ended it (only a log's last line can lack one: a torn write).
    pub ended: bool,
    /// Whether it is longer than [`MAX_RECORD_BYTES`] (its bytes are not kept).
    pub too_long: bool,
}

/// The lines of a log, read one at a time.
#[derive(Debug)]
pub struct Lines<R> {
    reader: BufReader<R>,
    number: usize,
    offset: u64,
}

impl<R: Read> Lines<R> {
    /// Lines read from `reader`, numbered from 1 at offset 0.
    pub fn new(reader: R) -> Lines<R> {
        Lines {
            reader: BufReader::with_capacity(1 << 16, reader),
            number: 0,
            offset: 0,
        }
    }

    /// The next line, or `None` at the end.
    pub fn next_line(&mut self) -> std::io::Result<Option<Line>> {
        let mut bytes = Vec::new();
        let mut too_long = false;
        let mut read = 0u64;
        let ended = loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                break false;
            }
            let (chunk, newline) = match buf.iter().position(|b| *b == b'\n') {
                Some(i) => (&buf[..i], true),
                None => (buf, false),
            };
            if !too_long && bytes.len() + chunk.len() <= MAX_RECORD_BYTES {
                bytes.extend_from_slice(chunk);
            } else {
                too_long = true;
                bytes = Vec::new();
            }
            let used = chunk.len() + usize::from(newline);
            read += used as u64;
            self.reader.consume(used);
            if newline {
                break true;
            }
        };
        if read == 0 {
            return Ok(None);
        }
        self.number += 1;
        let line = Line {
            number: self.number,
            offset: self.offset,
            bytes,
            ended,
            too_long,
        };
        self.offset += read;
        Ok(Some(line))
    }
}

/// Opens the log at `path` for reading, line by line.
pub fn open(path: &Path) -> Result<Lines<std::fs::File>, LogError> {
    let file = std::fs::File::open(path).map_err(|source| LogError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Lines::new(file))
}

/// A sound record with where it stands in the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    /// The record.
    pub record: Record,
    /// Its 1-based line.
    pub line: usize,
    /// The byte offset of the line.
    pub offset: u64,
}

/// The sound records of a log, in order, read one line at a time; lines that are not records
/// are skipped (`verify` says what is wrong with them).
pub struct Records {
    lines: Lines<Box<dyn Read + Send>>,
    /// What errors name: the log's path or the store's URL.
    path: std::path::PathBuf,
}

impl std::fmt::Debug for Records {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Records")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The sound records of the log at `path` (for show, replay and diff).
pub fn records(path: &Path) -> Result<Records, LogError> {
    let file = std::fs::File::open(path).map_err(|source| LogError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Records::new(Lines::new(Box::new(file)), path.to_path_buf()))
}

impl Records {
    /// The sound records among these lines; errors name `path`.
    pub fn new(lines: Lines<Box<dyn Read + Send>>, path: std::path::PathBuf) -> Records {
        Records { lines, path }
    }
}

impl Iterator for Records {
    type Item = Result<Located, LogError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let line = match self.lines.next_line() {
                Ok(Some(line)) => line,
                Ok(None) => return None,
                Err(source) => {
                    return Some(Err(LogError::Io {
                        path: self.path.clone(),
                        source,
                    }));
                }
            };
            if line.too_long {
                continue;
            }
            if let Ok(record) = sound_record(&line.bytes) {
                return Some(Ok(Located {
                    record,
                    line: line.number,
                    offset: line.offset,
                }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(bytes: &[u8]) -> Vec<(usize, u64, Vec<u8>, bool, bool)> {
        let mut lines = Lines::new(bytes);
        let mut out = Vec::new();
        while let Some(l) = lines.next_line().unwrap() {
            out.push((l.number, l.offset, l.bytes, l.ended, l.too_long));
        }
        out
    }

    #[test]
    fn lines_carry_their_number_offset_and_whether_a_newline_ended_them() {
        assert_eq!(
            lines_of(b"ab\n\ncd"),
            vec![
                (1, 0, b"ab".to_vec(), true, false),
                (2, 3, Vec::new(), true, false),
                (3, 4, b"cd".to_vec(), false, false),
            ]
        );
        assert!(lines_of(b"").is_empty());
    }

    #[test]
    fn a_line_past_the_bound_is_skipped_without_being_kept() {
        let mut text = vec![b'x'; MAX_RECORD_BYTES + 1];
        text.extend_from_slice(b"\nok\n");
        let lines = lines_of(&text);
        assert_eq!(lines.len(), 2);
        assert!(lines[0].4 && lines[0].2.is_empty(), "too long, not kept");
        assert_eq!(
            lines[1],
            (2, MAX_RECORD_BYTES as u64 + 2, b"ok".to_vec(), true, false)
        );
        // Exactly at the bound is kept.
        let mut text = vec![b'x'; MAX_RECORD_BYTES];
        text.push(b'\n');
        assert!(!lines_of(&text)[0].4);
    }
}
