//! Where each record of an open log is: its sequence number, decision id, byte offset and
//! length, so that the service finds a decision, or the latest ones, by reading one line each
//! instead of the whole log. Built once by reading the log one line at a time, then kept
//! current by every append. About a hundred bytes a record.

use std::collections::HashMap;
use std::io::Read;

use serde::Deserialize;

use crate::read::Lines;

/// One record's place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Its sequence number.
    pub seq: u64,
    /// The byte offset of its line.
    pub offset: u64,
    /// The line's length, without its newline.
    pub len: u64,
}

/// The places of a log's records, in log order, and by decision id.
#[derive(Debug, Default)]
pub struct LogIndex {
    entries: Vec<Entry>,
    by_id: HashMap<Box<str>, usize>,
}

/// What the index reads of a line (the rest is not kept).
#[derive(Deserialize)]
struct Light {
    seq: u64,
    decision: LightDecision,
}

#[derive(Deserialize)]
struct LightDecision {
    decision_id: String,
}

impl LogIndex {
    /// Indexes every line of `reader` that reads as a record, up to `len` bytes. Lines that do
    /// not are left out (`verify` says what is wrong with them; a lookup verifies the record it
    /// reads).
    pub fn build<R: Read>(reader: R, len: u64) -> std::io::Result<LogIndex> {
        let mut index = LogIndex::default();
        let mut lines = Lines::new(reader.take(len));
        while let Some(line) = lines.next_line()? {
            if line.too_long || !line.ended {
                continue;
            }
            if let Ok(light) = serde_json::from_slice::<Light>(&line.bytes) {
                index.push(
                    Entry {
                        seq: light.seq,
                        offset: line.offset,
                        len: line.bytes.len() as u64,
                    },
                    &light.decision.decision_id,
                );
            }
        }
        Ok(index)
    }

    /// Adds an appended record, unless it is already there (an append racing the build).
    pub fn push(&mut self, entry: Entry, decision_id: &str) {
        if self
            .entries
            .last()
            .is_some_and(|last| last.seq >= entry.seq)
        {
            return;
        }
        // The first record of an id is the one found, as `log::find` finds it.
        self.by_id
            .entry(decision_id.into())
            .or_insert(self.entries.len());
        self.entries.push(entry);
    }

    /// The place of the record of this decision.
    pub fn get(&self, decision_id: &str) -> Option<Entry> {
        self.by_id.get(decision_id).map(|&i| self.entries[i])
    }

    /// Up to `limit` places, newest first, of the records numbered below `before` (all, when
    /// `None`); and whether older ones remain.
    pub fn recent(&self, limit: usize, before: Option<u64>) -> (Vec<Entry>, bool) {
        let end = before.map_or(self.entries.len(), |b| {
            self.entries.partition_point(|e| e.seq < b)
        });
        let start = end.saturating_sub(limit);
        let page = self.entries[start..end].iter().rev().copied().collect();
        (page, start > 0)
    }

    /// The number of records indexed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index_of(ids: &[&str]) -> LogIndex {
        let mut index = LogIndex::default();
        for (i, id) in ids.iter().enumerate() {
            let seq = i as u64 + 1;
            index.push(
                Entry {
                    seq,
                    offset: seq * 100,
                    len: 99,
                },
                id,
            );
        }
        index
    }

    #[test]
    fn pages_go_newest_first_and_say_whether_older_ones_remain() {
        let index = index_of(&["a", "b", "c", "d", "e"]);
        let seqs = |(page, more): (Vec<Entry>, bool)| {
            (page.iter().map(|e| e.seq).collect::<Vec<_>>(), more)
        };
        assert_eq!(seqs(index.recent(2, None)), (vec![5, 4], true));
        assert_eq!(seqs(index.recent(2, Some(4))), (vec![3, 2], true));
        assert_eq!(seqs(index.recent(2, Some(2))), (vec![1], false));
        assert_eq!(seqs(index.recent(10, Some(1))), (vec![], false));
        assert_eq!(index.get("c").map(|e| e.seq), Some(3));
        assert_eq!(index.get("z"), None);
    }

    #[test]
    fn an_append_already_indexed_is_not_added_twice() {
        let mut index = index_of(&["a", "b"]);
        index.push(
            Entry {
                seq: 2,
                offset: 200,
                len: 99,
            },
            "b",
        );
        assert_eq!(index.len(), 2);
    }
}
