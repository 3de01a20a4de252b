//! `arbiter audit query`: the auditor's usual question — which decisions chose X under bundle
//! Y, in this period — over a log file or the PostgreSQL store. A filter is matched against
//! each record's own content (which its hash covers); the database's columns only narrow the
//! rows read.

use std::time::SystemTime;

use serde_json::Value;

use crate::log::Record;

/// Which records to select; every field set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Made at or after this time (RFC 3339, UTC, as records write it).
    pub since: Option<String>,
    /// Made before this time.
    pub until: Option<String>,
    /// The chosen model's id.
    pub chosen: Option<String>,
    /// The outcome: `chosen`, `all-vetoed` or `failed`.
    pub outcome: Option<String>,
    /// The bundle's hash, or its beginning (`sha256:3f2a…`, at least 8 characters).
    pub bundle: Option<String>,
    /// The task's name.
    pub task: Option<String>,
    /// The replica that made the decision.
    pub replica: Option<String>,
    /// At most this many records, the oldest first.
    pub limit: Option<u64>,
}

/// A time given to `--since`/`--until` that is not a date or an RFC 3339 time.
#[derive(Debug, thiserror::Error)]
#[error(
    "`{given}` is not a time: give a date (2026-12-01) or an RFC 3339 time (2026-12-01T09:30:00Z)"
)]
pub struct BadTime {
    /// What was given.
    pub given: String,
}

/// A date (`2026-12-01`, its midnight UTC) or an RFC 3339 time, as records write times
/// (`2026-12-01T09:30:00.000Z`).
pub fn parse_time(given: &str) -> Result<String, BadTime> {
    let full = if given.len() == 10 {
        format!("{given}T00:00:00Z")
    } else {
        given.to_string()
    };
    let t = humantime::parse_rfc3339_weak(full.trim_end_matches('Z')).map_err(|_| BadTime {
        given: given.to_string(),
    })?;
    Ok(humantime::format_rfc3339_millis(t).to_string())
}

fn time_of(text: &str) -> Option<SystemTime> {
    humantime::parse_rfc3339_weak(text.trim_end_matches('Z')).ok()
}

impl Filter {
    /// Whether a record matches, read from the record itself.
    pub fn matches(&self, record: &Record) -> bool {
        let d = &record.decision;
        let text = |pointer: &str| d.pointer(pointer).and_then(Value::as_str);
        let created = text("/created_at").and_then(time_of);
        let at_or_after = |bound: &Option<String>, after: bool| match bound {
            None => true,
            Some(b) => match (created, time_of(b)) {
                (Some(c), Some(b)) => {
                    if after {
                        c >= b
                    } else {
                        c < b
                    }
                }
                _ => false,
            },
        };
        let equals = |want: &Option<String>, got: Option<&str>| {
            want.as_deref().is_none_or(|w| got == Some(w))
        };
        at_or_after(&self.since, true)
            && at_or_after(&self.until, false)
            && equals(&self.chosen, text("/chosen"))
            && equals(&self.outcome, text("/outcome"))
            && equals(&self.task, text("/task/name"))
            && equals(&self.replica, record.replica.as_deref())
            && self
                .bundle
                .as_deref()
                .is_none_or(|b| text("/bundle/hash").is_some_and(|h| h.starts_with(b)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_dates_or_rfc3339_and_nothing_else() {
        assert_eq!(
            parse_time("2026-12-01").unwrap(),
            "2026-12-01T00:00:00.000Z"
        );
        assert_eq!(
            parse_time("2026-12-01T09:30:00Z").unwrap(),
            "2026-12-01T09:30:00.000Z"
        );
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("2026-13-01").is_err());
    }

    #[test]
    fn a_record_matches_on_its_own_fields() {
        let record = Record {
            seq: 1,
            prev_hash: String::new(),
            hash: String::new(),
            replica: Some("a".into()),
            decision: serde_json::json!({
                "created_at": "2026-12-01T09:30:00.000Z",
                "chosen": "m", "outcome": "chosen",
                "task": {"name": "t"}, "bundle": {"hash": "sha256:abcdef0123"}
            }),
        };
        let f = |f: Filter| f.matches(&record);
        assert!(f(Filter::default()));
        assert!(f(Filter {
            chosen: Some("m".into()),
            bundle: Some("sha256:abcdef01".into()),
            replica: Some("a".into()),
            since: Some(parse_time("2026-12-01").unwrap()),
            until: Some(parse_time("2026-12-02").unwrap()),
            ..Filter::default()
        }));
        assert!(!f(Filter {
            chosen: Some("n".into()),
            ..Filter::default()
        }));
        assert!(!f(Filter {
            until: Some(parse_time("2026-12-01T09:30:00Z").unwrap()),
            ..Filter::default()
        }));
        assert!(!f(Filter {
            replica: Some("b".into()),
            ..Filter::default()
        }));
        assert!(!f(Filter {
            outcome: Some("failed".into()),
            ..Filter::default()
        }));
    }
}
