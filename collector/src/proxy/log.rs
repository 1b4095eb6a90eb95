//! The record of every ingest request the proxy saw, read by tests through
//! `GET /__faults/log` to line what the browser did up with what was injected.

use std::collections::VecDeque;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// Oldest entries are dropped past this, so a proxy left running cannot grow without bound;
/// a test suite clears the log long before.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Forwarded,
    /// Answered with this status by the proxy, not forwarded.
    Status(u16),
    ResetBefore,
    ResetAfter,
    Delayed,
    /// Forwarding failed (upstream down or broken); the client got 502.
    UpstreamError,
}

impl Outcome {
    fn label(self) -> String {
        match self {
            Self::Forwarded => "forwarded".into(),
            Self::Status(status) => format!("status:{status}"),
            Self::ResetBefore => "reset-before".into(),
            Self::ResetAfter => "reset-after".into(),
            Self::Delayed => "delayed".into(),
            Self::UpstreamError => "upstream-error".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// When the request had been read in full, in Unix milliseconds.
    pub at_ms: u64,
    pub method: String,
    pub path: String,
    pub bytes: usize,
    pub outcome: Outcome,
    pub upstream_status: Option<u16>,
}

impl Entry {
    fn to_json(&self) -> Value {
        json!({
            "at_ms": self.at_ms,
            "method": self.method,
            "path": self.path,
            "bytes": self.bytes,
            "outcome": self.outcome.label(),
            "upstream_status": self.upstream_status,
        })
    }
}

#[derive(Debug, Default)]
pub struct Log {
    entries: VecDeque<Entry>,
}

impl Log {
    pub fn push(&mut self, entry: Entry) {
        if self.entries.len() == MAX_ENTRIES {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    pub fn to_json(&self) -> Value {
        Value::Array(self.entries.iter().map(Entry::to_json).collect())
    }
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_as_json() {
        let mut log = Log::default();
        log.push(Entry {
            at_ms: 5,
            method: "POST".into(),
            path: "/v1/batch".into(),
            bytes: 12,
            outcome: Outcome::Status(503),
            upstream_status: None,
        });
        log.push(Entry {
            at_ms: 6,
            method: "POST".into(),
            path: "/v1/batch".into(),
            bytes: 0,
            outcome: Outcome::ResetAfter,
            upstream_status: Some(200),
        });
        assert_eq!(
            log.to_json(),
            json!([
                {"at_ms": 5, "method": "POST", "path": "/v1/batch", "bytes": 12,
                 "outcome": "status:503", "upstream_status": null},
                {"at_ms": 6, "method": "POST", "path": "/v1/batch", "bytes": 0,
                 "outcome": "reset-after", "upstream_status": 200},
            ])
        );
        log.clear();
        assert_eq!(log.to_json(), json!([]));
        assert!(now_ms() > 1_700_000_000_000);
    }
}
