//! Counting what happened during a load run and printing it.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

/// What one connection saw; tallies are merged at the end of the run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Microseconds from writing each answered request to reading its whole answer.
    pub latencies_us: Vec<u64>,
    pub requests: u64,
    /// Events in every request written, whatever became of it.
    pub events_sent: u64,
    /// Requests answered with a status other than 2xx.
    pub non_2xx: u64,
    /// Requests that got no answer (connection refused, reset, malformed answer).
    pub failed: u64,
    /// The collector's own counts, summed over 2xx answers.
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: u64,
}

impl Tally {
    /// Records an answered request: its latency, its status and the counts in its body.
    pub fn answered(&mut self, events: u64, latency: Duration, status: u16, body: &[u8]) {
        self.requests += 1;
        self.events_sent += events;
        self.latencies_us
            .push(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX));
        if !(200..300).contains(&status) {
            self.non_2xx += 1;
            return;
        }
        let counts: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let count = |name: &str| counts[name].as_u64().unwrap_or(0);
        self.accepted += count("accepted");
        self.duplicates += count("duplicates");
        self.rejected += count("rejected");
    }

    pub fn failed(&mut self, events: u64) {
        self.requests += 1;
        self.events_sent += events;
        self.failed += 1;
    }

    pub fn merge(&mut self, other: Tally) {
        self.latencies_us.extend(other.latencies_us);
        self.requests += other.requests;
        self.events_sent += other.events_sent;
        self.non_2xx += other.non_2xx;
        self.failed += other.failed;
        self.accepted += other.accepted;
        self.duplicates += other.duplicates;
        self.rejected += other.rejected;
    }
}

/// A finished run.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub url: String,
    pub batch: usize,
    pub concurrency: usize,
    pub elapsed: Duration,
    pub tally: Tally,
    /// Sorted request latencies, in microseconds.
    sorted_us: Vec<u64>,
}

impl Report {
    pub fn new(
        url: String,
        batch: usize,
        concurrency: usize,
        elapsed: Duration,
        tally: Tally,
    ) -> Self {
        let mut sorted_us = tally.latencies_us.clone();
        sorted_us.sort_unstable();
        Self {
            url,
            batch,
            concurrency,
            elapsed,
            tally,
            sorted_us,
        }
    }

    pub fn events_per_second(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            self.tally.events_sent as f64 / seconds
        } else {
            0.0
        }
    }

    /// Nearest-rank percentile of request latency in milliseconds (`p` in 0–100).
    pub fn latency_ms(&self, p: f64) -> f64 {
        let n = self.sorted_us.len();
        if n == 0 {
            return 0.0;
        }
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        self.sorted_us[rank.clamp(1, n) - 1] as f64 / 1000.0
    }

    /// Every event sent was answered 2xx and stored by this run (none rejected, none already
    /// there): the collector lost nothing it was given.
    pub fn lossless(&self) -> bool {
        let t = &self.tally;
        t.non_2xx == 0 && t.failed == 0 && t.accepted == t.events_sent
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.tally;
        writeln!(
            f,
            "wayline loadgen: POST {} — batches of {} over {} keep-alive connections",
            self.url, self.batch, self.concurrency
        )?;
        writeln!(f, "events sent:      {}", t.events_sent)?;
        writeln!(f, "requests:         {}", t.requests)?;
        writeln!(f, "seconds:          {:.3}", self.elapsed.as_secs_f64())?;
        writeln!(f, "events/s:         {:.0}", self.events_per_second())?;
        writeln!(
            f,
            "latency ms:       p50 {:.1}  p99 {:.1}  max {:.1}  (per request)",
            self.latency_ms(50.0),
            self.latency_ms(99.0),
            self.latency_ms(100.0)
        )?;
        writeln!(f, "non-2xx answers:  {}", t.non_2xx)?;
        writeln!(f, "failed requests:  {}", t.failed)?;
        writeln!(
            f,
            "accepted:         {}  (duplicates {}, rejected {})",
            t.accepted, t.duplicates, t.rejected
        )?;
        write!(
            f,
            "result:           {}",
            if self.lossless() {
                "every event accepted"
            } else {
                "EVENTS NOT ACCEPTED"
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_merge_and_percentiles_use_nearest_rank() {
        let mut a = Tally::default();
        let ok = br#"{"ok":true,"accepted":50,"duplicates":0,"rejected":0,"errors":[]}"#;
        for ms in 1..=99 {
            a.answered(50, Duration::from_millis(ms), 200, ok);
        }
        let mut b = Tally::default();
        b.answered(50, Duration::from_millis(1000), 503, b"{}");
        b.failed(50);
        a.merge(b);
        assert_eq!(a.requests, 101);
        assert_eq!(a.events_sent, 5050);
        assert_eq!(a.accepted, 4950);
        assert_eq!((a.non_2xx, a.failed), (1, 1));

        let report = Report::new("u".into(), 50, 2, Duration::from_secs(2), a);
        assert_eq!(report.latency_ms(50.0), 50.0);
        assert_eq!(report.latency_ms(99.0), 99.0);
        assert_eq!(report.latency_ms(100.0), 1000.0);
        assert_eq!(report.events_per_second(), 2525.0);
        assert!(!report.lossless());
        let text = report.to_string();
        assert!(text.contains("events sent:      5050\n"), "{text}");
        assert!(text.contains("EVENTS NOT ACCEPTED"), "{text}");
    }

    #[test]
    fn a_clean_run_is_lossless() {
        let mut tally = Tally::default();
        tally.answered(
            2,
            Duration::from_millis(3),
            200,
            br#"{"accepted":2,"duplicates":0,"rejected":0}"#,
        );
        let report = Report::new("u".into(), 2, 1, Duration::from_millis(10), tally);
        assert!(report.lossless());
        assert_eq!(
            Report::new("u".into(), 1, 1, Duration::ZERO, Tally::default()).latency_ms(50.0),
            0.0
        );
    }
}
