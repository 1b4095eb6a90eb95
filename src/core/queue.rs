//! The batch queue's policy: when to send, what goes into a batch, what happens after each outcome.
//!
//! Pure: the web layer feeds it time and outcomes and carries out what it decides. Delivery is at least once:
//! events leave the queue only when a send of them was accepted (or handed to `sendBeacon`), and the collector
//! turns repeats into one stored event by `messageId`.

use std::collections::VecDeque;

use super::json::write_string;
use super::time::{write_iso8601, Millis, SECOND};

#[derive(Debug, Clone, PartialEq)]
pub struct QueueConfig {
    /// Send as soon as this many events wait.
    pub flush_at: usize,
    /// Send when the oldest waiting event is this old.
    pub flush_interval: Millis,
    /// Upper bound of one request body; the collector accepts 500 KB.
    pub max_batch_bytes: usize,
    /// Bound on waiting events; beyond it the oldest are dropped and counted.
    pub max_events: usize,
    /// Bound on the bytes of waiting events, likewise.
    pub max_bytes: usize,
    /// First retry delay; doubles with each failure up to `retry_max`.
    pub retry_base: Millis,
    pub retry_max: Millis,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            flush_at: 20,
            flush_interval: 2 * SECOND,
            max_batch_bytes: 450_000,
            max_events: 10_000,
            max_bytes: 8 << 20,
            retry_base: SECOND,
            retry_max: 60 * SECOND,
        }
    }
}

/// One serialised message waiting to be sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub seq: u64,
    pub json: String,
    pub at: Millis,
}

/// A request body ready to send and the range of queued events it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub first_seq: u64,
    pub last_seq: u64,
    pub count: usize,
    pub body: String,
}

/// What came of sending a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendOutcome {
    /// 2xx: the collector has the events.
    Accepted,
    /// 5xx, 408, 429 or a network error: send again later, not before `retry_after` if the server said so.
    Retry { retry_after: Option<Millis> },
    /// Any other status: sending again cannot succeed, so the events are dropped and counted.
    Rejected { status: u16 },
}

impl SendOutcome {
    /// Classifies an HTTP status (0 for a network error).
    pub fn from_status(status: u16, retry_after: Option<Millis>) -> SendOutcome {
        match status {
            200..=299 => SendOutcome::Accepted,
            0 | 408 | 429 | 500..=599 => SendOutcome::Retry { retry_after },
            _ => SendOutcome::Rejected { status },
        }
    }
}

/// Events the queue gave up on, by reason; reported, never silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DropCounts {
    /// Dropped to keep within `max_events`/`max_bytes`.
    pub overflow: u64,
    /// Refused by the collector with a non-retryable status.
    pub rejected: u64,
}

#[derive(Debug, Clone)]
pub struct Queue {
    config: QueueConfig,
    items: VecDeque<Item>,
    bytes: usize,
    next_seq: u64,
    in_flight: Option<(u64, u64)>,
    failures: u32,
    retry_at: Option<Millis>,
    flush_requested: bool,
    paused: bool,
    pub dropped: DropCounts,
}

impl Queue {
    pub fn new(config: QueueConfig) -> Self {
        Queue {
            config,
            items: VecDeque::new(),
            bytes: 0,
            next_seq: 1,
            in_flight: None,
            failures: 0,
            retry_at: None,
            flush_requested: false,
            paused: false,
            dropped: DropCounts::default(),
        }
    }

    pub fn config(&self) -> &QueueConfig {
        &self.config
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.items.iter()
    }

    pub fn is_sending(&self) -> bool {
        self.in_flight.is_some()
    }

    /// Adds a serialised message; drops the oldest events not being sent when over a bound.
    pub fn push(&mut self, json: String, now: Millis) {
        self.bytes += json.len();
        self.items.push_back(Item {
            seq: self.next_seq,
            json,
            at: now,
        });
        self.next_seq += 1;
        while self.items.len() > self.config.max_events || self.bytes > self.config.max_bytes {
            let in_flight_front = self.in_flight.is_some_and(|(first, last)| {
                self.items
                    .front()
                    .is_some_and(|i| (first..=last).contains(&i.seq))
            });
            let victim = if in_flight_front {
                // The batch on the wire may still be accepted; drop the oldest event behind it instead.
                let behind = self
                    .items
                    .iter()
                    .position(|i| self.in_flight.is_none_or(|(_, last)| i.seq > last));
                match behind {
                    Some(at) if at + 1 < self.items.len() => self.items.remove(at),
                    _ => break,
                }
            } else {
                self.items.pop_front()
            };
            if let Some(v) = victim {
                self.bytes -= v.json.len();
                self.dropped.overflow += 1;
            }
        }
    }

    /// Asks for everything waiting to be sent now, regardless of `flush_at` and `flush_interval`.
    pub fn request_flush(&mut self) {
        self.flush_requested = !self.items.is_empty();
    }

    /// Holds sending while the browser is offline; resuming clears the backoff so it sends at once.
    pub fn set_paused(&mut self, paused: bool) {
        if self.paused && !paused {
            self.retry_at = None;
        }
        self.paused = paused;
    }

    /// When the next batch should go: `None` while a send is in flight, paused, or nothing waits.
    pub fn next_send_at(&self) -> Option<Millis> {
        if self.in_flight.is_some() || self.paused {
            return None;
        }
        let oldest = self.items.front()?;
        let wanted = if self.flush_requested || self.items.len() >= self.config.flush_at {
            Millis::MIN
        } else {
            oldest.at + self.config.flush_interval
        };
        Some(wanted.max(self.retry_at.unwrap_or(Millis::MIN)))
    }

    /// Takes the next batch if one is due at `now`, marking it in flight.
    pub fn take_due(&mut self, now: Millis, write_key: &str) -> Option<Batch> {
        if self.next_send_at()? > now {
            return None;
        }
        let batch = self.build_batch(now, write_key, self.config.max_batch_bytes, true)?;
        self.in_flight = Some((batch.first_seq, batch.last_seq));
        Some(batch)
    }

    /// Builds a batch for the page-exit path (`sendBeacon`/`keepalive`), whose bodies share a 64 KiB budget.
    /// It includes events already in flight: the page is going away and may cancel that request.
    /// Call [`Queue::ack`] with `Accepted` once the browser took the body.
    pub fn take_for_exit(
        &mut self,
        now: Millis,
        write_key: &str,
        max_bytes: usize,
        skip_through: u64,
    ) -> Option<Batch> {
        let skip = self
            .items
            .iter()
            .take_while(|i| i.seq <= skip_through)
            .count();
        self.build_from(skip, now, write_key, max_bytes, usize::MAX)
    }

    fn build_batch(
        &self,
        now: Millis,
        write_key: &str,
        max_bytes: usize,
        limit_count: bool,
    ) -> Option<Batch> {
        let limit = if limit_count && !self.flush_requested {
            self.config.flush_at.max(1)
        } else {
            usize::MAX
        };
        self.build_from(0, now, write_key, max_bytes, limit)
    }

    fn build_from(
        &self,
        skip: usize,
        now: Millis,
        write_key: &str,
        max_bytes: usize,
        limit: usize,
    ) -> Option<Batch> {
        let mut tail = String::with_capacity(64 + write_key.len());
        tail.push_str("],\"sentAt\":\"");
        write_iso8601(now, &mut tail);
        tail.push_str("\",\"writeKey\":");
        write_string(write_key, &mut tail);
        tail.push('}');
        let head = "{\"batch\":[";
        let mut body = String::from(head);
        let mut count = 0;
        let mut first_seq = 0;
        let mut last_seq = 0;
        for item in self.items.iter().skip(skip).take(limit) {
            let extra = item.json.len() + usize::from(count > 0);
            if body.len() + extra + tail.len() > max_bytes {
                break;
            }
            if count > 0 {
                body.push(',');
            } else {
                first_seq = item.seq;
            }
            body.push_str(&item.json);
            last_seq = item.seq;
            count += 1;
        }
        if count == 0 {
            return None;
        }
        body.push_str(&tail);
        Some(Batch {
            first_seq,
            last_seq,
            count,
            body,
        })
    }

    /// Applies the outcome of sending the events `first_seq..=last_seq`. `jitter` is a random number in [0, 1).
    pub fn ack(
        &mut self,
        first_seq: u64,
        last_seq: u64,
        outcome: SendOutcome,
        now: Millis,
        jitter: f64,
    ) {
        if self.in_flight == Some((first_seq, last_seq)) {
            self.in_flight = None;
        }
        match outcome {
            SendOutcome::Accepted => {
                self.remove_range(first_seq, last_seq);
                self.failures = 0;
                self.retry_at = None;
            }
            SendOutcome::Rejected { .. } => {
                self.dropped.rejected += self.remove_range(first_seq, last_seq) as u64;
            }
            SendOutcome::Retry { retry_after } => {
                self.failures = self.failures.saturating_add(1);
                let delay = self.backoff(jitter).max(retry_after.unwrap_or(0));
                self.retry_at = Some(now + delay);
            }
        }
        if self.items.is_empty() {
            self.flush_requested = false;
        }
    }

    /// The delay before the next try: exponential, capped, with "equal jitter" so that many clients that failed
    /// together do not come back together.
    fn backoff(&self, jitter: f64) -> Millis {
        let exp = self.failures.saturating_sub(1).min(20);
        let full = self
            .config
            .retry_base
            .saturating_mul(1 << exp)
            .min(self.config.retry_max);
        full / 2 + ((full / 2) as f64 * jitter.clamp(0.0, 1.0)) as Millis
    }

    fn remove_range(&mut self, first_seq: u64, last_seq: u64) -> usize {
        let before = self.items.len();
        let mut freed = 0;
        self.items.retain(|i| {
            let gone = (first_seq..=last_seq).contains(&i.seq);
            if gone {
                freed += i.json.len();
            }
            !gone
        });
        self.bytes -= freed;
        before - self.items.len()
    }

    /// When a retry is scheduled, the instant it may happen.
    pub fn retry_at(&self) -> Option<Millis> {
        self.retry_at
    }

    /// The sequence range of the batch on the wire, if any.
    pub fn in_flight(&self) -> Option<(u64, u64)> {
        self.in_flight
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::json;

    fn queue(flush_at: usize) -> Queue {
        Queue::new(QueueConfig {
            flush_at,
            flush_interval: 1_000,
            ..QueueConfig::default()
        })
    }

    fn ev(n: usize) -> String {
        format!("{{\"n\":{n}}}")
    }

    #[test]
    fn sends_when_count_or_age_is_reached() {
        let mut q = queue(3);
        q.push(ev(1), 0);
        assert_eq!(q.next_send_at(), Some(1_000));
        assert!(q.take_due(999, "k").is_none());
        q.push(ev(2), 10);
        q.push(ev(3), 20);
        assert_eq!(q.next_send_at(), Some(Millis::MIN));
        let b = q.take_due(20, "k").unwrap();
        assert_eq!(b.count, 3);
        let body = json::parse(&b.body).unwrap();
        assert_eq!(
            body.get("batch").and_then(|v| v.as_array()).map(<[_]>::len),
            Some(3)
        );
        assert_eq!(body.get("writeKey").and_then(|v| v.as_str()), Some("k"));
        assert_eq!(
            body.get("sentAt").and_then(|v| v.as_str()),
            Some("1970-01-01T00:00:00.020Z")
        );
    }

    #[test]
    fn one_batch_in_flight_at_a_time_and_accept_removes_it() {
        let mut q = queue(1);
        q.push(ev(1), 0);
        let b = q.take_due(0, "k").unwrap();
        q.push(ev(2), 1);
        assert_eq!(q.next_send_at(), None);
        assert!(q.take_due(5, "k").is_none());
        q.ack(b.first_seq, b.last_seq, SendOutcome::Accepted, 5, 0.0);
        assert_eq!(q.len(), 1);
        let b2 = q.take_due(5, "k").unwrap();
        assert!(b2.body.contains("{\"n\":2}"));
    }

    #[test]
    fn retries_with_capped_exponential_backoff_and_retry_after() {
        let mut q = queue(1);
        q.push(ev(1), 0);
        let mut delays = Vec::new();
        let mut now = 0;
        for _ in 0..9 {
            let b = q.take_due(now, "k").unwrap();
            q.ack(
                b.first_seq,
                b.last_seq,
                SendOutcome::Retry { retry_after: None },
                now,
                1.0,
            );
            let at = q.next_send_at().unwrap();
            delays.push(at - now);
            now = at;
        }
        assert_eq!(
            delays,
            [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]
        );
        let b = q.take_due(now, "k").unwrap();
        q.ack(
            b.first_seq,
            b.last_seq,
            SendOutcome::Retry {
                retry_after: Some(90_000),
            },
            now,
            0.0,
        );
        assert_eq!(q.next_send_at(), Some(now + 90_000));
        // Equal jitter keeps at least half the delay.
        let b = q.take_due(now + 90_000, "k").unwrap();
        q.ack(
            b.first_seq,
            b.last_seq,
            SendOutcome::Retry { retry_after: None },
            0,
            0.0,
        );
        assert_eq!(q.next_send_at(), Some(30_000));
        assert_eq!(q.len(), 1, "retried events stay queued");
    }

    #[test]
    fn classifies_statuses() {
        assert_eq!(SendOutcome::from_status(204, None), SendOutcome::Accepted);
        for s in [0, 408, 429, 500, 503] {
            assert!(
                matches!(SendOutcome::from_status(s, None), SendOutcome::Retry { .. }),
                "{s}"
            );
        }
        for s in [400, 401, 403, 404, 413] {
            assert_eq!(
                SendOutcome::from_status(s, None),
                SendOutcome::Rejected { status: s }
            );
        }
    }

    #[test]
    fn rejected_batches_are_dropped_and_counted() {
        let mut q = queue(2);
        q.push(ev(1), 0);
        q.push(ev(2), 0);
        let b = q.take_due(0, "k").unwrap();
        q.ack(
            b.first_seq,
            b.last_seq,
            SendOutcome::Rejected { status: 400 },
            0,
            0.0,
        );
        assert!(q.is_empty());
        assert_eq!(q.dropped.rejected, 2);
        assert_eq!(q.bytes(), 0);
    }

    #[test]
    fn overflow_drops_oldest_but_never_the_batch_in_flight() {
        let mut q = Queue::new(QueueConfig {
            flush_at: 2,
            max_events: 3,
            ..QueueConfig::default()
        });
        q.push(ev(1), 0);
        q.push(ev(2), 0);
        let b = q.take_due(0, "k").unwrap();
        q.push(ev(3), 0);
        q.push(ev(4), 0);
        q.push(ev(5), 0);
        assert_eq!(q.len(), 3);
        assert_eq!(q.dropped.overflow, 2);
        let left: Vec<_> = q.items().map(|i| i.json.clone()).collect();
        assert_eq!(left, [ev(1), ev(2), ev(5)]);
        q.ack(b.first_seq, b.last_seq, SendOutcome::Accepted, 0, 0.0);
        assert_eq!(q.len(), 1);
        assert_eq!(q.bytes(), ev(5).len());
    }

    #[test]
    fn batches_respect_the_byte_limit() {
        let mut q = Queue::new(QueueConfig {
            flush_at: 100,
            max_batch_bytes: 200,
            ..QueueConfig::default()
        });
        for n in 0..50 {
            q.push(ev(n), 0);
        }
        q.request_flush();
        let mut sent = 0;
        while let Some(b) = q.take_due(0, "key") {
            assert!(b.body.len() <= 200, "{}", b.body.len());
            json::parse(&b.body).unwrap();
            sent += b.count;
            q.ack(b.first_seq, b.last_seq, SendOutcome::Accepted, 0, 0.0);
        }
        assert_eq!(sent, 50);
        assert_eq!(q.next_send_at(), None);
    }

    #[test]
    fn exit_batches_include_in_flight_events_and_stay_under_budget() {
        let mut q = queue(2);
        for n in 0..10 {
            q.push(ev(n), 0);
        }
        let inflight = q.take_due(0, "k").unwrap();
        assert_eq!(inflight.count, 2);
        let mut budget = 64 * 1024;
        let mut through = 0;
        let mut carried = 0;
        while let Some(b) = q.take_for_exit(1, "k", budget.min(120), through) {
            budget -= b.body.len();
            through = b.last_seq;
            carried += b.count;
        }
        assert_eq!(carried, 10);
    }

    #[test]
    fn paused_queue_waits_and_resume_clears_backoff() {
        let mut q = queue(1);
        q.push(ev(1), 0);
        let b = q.take_due(0, "k").unwrap();
        q.ack(
            b.first_seq,
            b.last_seq,
            SendOutcome::Retry { retry_after: None },
            0,
            0.0,
        );
        q.set_paused(true);
        assert_eq!(q.next_send_at(), None);
        q.set_paused(false);
        assert_eq!(q.next_send_at(), Some(Millis::MIN));
    }
}
