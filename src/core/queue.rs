//! The batch queue's policy: when to send, what goes into a batch, what happens after each outcome.
//!
//! Pure: the web layer feeds it time and outcomes and carries out what it decides. Delivery is at least once:
//! events leave the queue only when a send of them was accepted (or handed to `sendBeacon`), and the collector
//! turns repeats into one stored event by `messageId`.
//!
//! Messages are stored as a *head* (everything up to `"context":`) plus a reference to a shared context: the
//! context (~600 bytes of page, browser and attribution facts) changes only with the page or the session, so a
//! burst of events keeps one copy of it. That makes the queue about five times smaller in memory and in storage.

use std::cell::Cell;

use super::json::{self, write_int, write_string};
use super::time::{write_iso8601, Millis, DAY, SECOND};
use super::url::{before_byte, split_once_byte};

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
    /// Bound on the bytes of waiting events (heads plus shared contexts), likewise.
    pub max_bytes: usize,
    /// Events older than this are dropped and counted: the collector's reports would misplace them.
    pub max_age: Millis,
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
            max_bytes: 2 << 20,
            max_age: 7 * DAY,
            retry_base: SECOND,
            retry_max: 60 * SECOND,
        }
    }
}

/// One message waiting to be sent: its head and the id of its context.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub seq: u64,
    pub at: Millis,
    pub head: String,
    pub ctx: u32,
    /// Restored from storage and not yet checked to be well-formed JSON.
    pub unverified: bool,
    /// Already handed to `sendBeacon` on this page: not beaconed again, but kept (and persisted) until a
    /// confirmed send, because a beacon that the browser accepted can still fail on the network.
    pub beaconed: bool,
    /// For an event imported from another tab's log: (that tab's origin id, its sequence number there).
    pub origin: Option<(u32, u64)>,
    /// The part of this tab's stored log the event is written in (own events only; see [`PART_BYTES`]).
    pub part: u32,
}

#[derive(Debug, Clone, PartialEq)]
struct Context {
    id: u32,
    json: String,
    refs: usize,
    /// The last [`Queue::encode_where`] pass that wrote this context's line (its `passes` then).
    written: Cell<u64>,
}

/// A request body ready to send and the range of queued events it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub first_seq: u64,
    pub last_seq: u64,
    pub count: usize,
    pub body: String,
    /// The drop counts this batch reports (cleared once it is accepted).
    pub reported: DropCounts,
}

/// Whether a restored message has its `messageId`, as every message this SDK writes does. A line that parses
/// without one was damaged in storage: the collector would refuse it, and a copy of it could not be told apart.
fn is_message(m: &json::Value) -> bool {
    // The profile's member reader: one lookup routine in the module rather than two.
    crate::core::profile::member_text(Some(m), "messageId").is_some_and(|id| !id.is_empty())
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

/// The wait a `Retry-After` header asks for as of `now`: a number of seconds, or an HTTP date to wait for (RFC 9110
/// gives both forms; `date` is the header read as a date, which the browser's `Date.parse` does); at most a day, so
/// that no answer holds the queue for good. `None` when it says nothing usable.
///
/// A header sent more than once (HTTP allows one value) arrives joined by `, ` (the Fetch API's `headers.get`), and
/// counts by its first value: seconds are read before the first comma, ahead of any date the browser makes of the
/// whole (it reads `5, 10` as 10 May 2001). A first value that is a date keeps its comma (`Wed, 25 Nov 2026 …`) and
/// is the date `Date.parse` reads of the whole, which ignores what follows a date; two dates joined read as none.
pub fn retry_after(header: &str, date: Option<Millis>, now: Millis) -> Option<Millis> {
    let wait = match json::parse(super::sanitize::trim(before_byte(header, b',')))
        .ok()
        .and_then(|v| v.as_f64())
    {
        Some(secs) if secs >= 0.0 => (secs.min(86_400.0) * SECOND as f64) as Millis,
        Some(_) => return None,
        None => date?.saturating_sub(now).max(0),
    };
    Some(wait.min(DAY))
}

/// Events the queue gave up on, by reason; reported, never silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DropCounts {
    /// Dropped to keep within `max_events`/`max_bytes`.
    pub overflow: u64,
    /// Older than `max_age`.
    pub expired: u64,
    /// Refused by the collector with a non-retryable status.
    pub rejected: u64,
    /// Restored from storage but not well-formed.
    pub corrupt: u64,
}

impl DropCounts {
    pub fn total(&self) -> u64 {
        self.overflow + self.expired + self.rejected + self.corrupt
    }

    fn minus(&self, other: &DropCounts) -> DropCounts {
        DropCounts {
            overflow: self.overflow.saturating_sub(other.overflow),
            expired: self.expired.saturating_sub(other.expired),
            rejected: self.rejected.saturating_sub(other.rejected),
            corrupt: self.corrupt.saturating_sub(other.corrupt),
        }
    }

    fn plus(&self, other: &DropCounts) -> DropCounts {
        DropCounts {
            overflow: self.overflow + other.overflow,
            expired: self.expired + other.expired,
            rejected: self.rejected + other.rejected,
            corrupt: self.corrupt + other.corrupt,
        }
    }

    fn write(&self, out: &mut String) {
        out.push_str("{\"overflow\":");
        write_int(self.overflow as i64, out);
        out.push_str(",\"expired\":");
        write_int(self.expired as i64, out);
        out.push_str(",\"rejected\":");
        write_int(self.rejected as i64, out);
        out.push_str(",\"corrupt\":");
        write_int(self.corrupt as i64, out);
        out.push('}');
    }
}

#[derive(Debug, Clone)]
pub struct Queue {
    config: QueueConfig,
    /// The waiting events, oldest first, are `slots[gone..]`; the `gone` slots before them held events dropped one
    /// at a time (by the bound, or as corrupt when checked before a send), their heads freed and their bookkeeping
    /// done. At the bound every new event drops the oldest one: taking it out of a `Vec` moved all the others (10,000
    /// of them, a quarter of `track`'s time). Instead its slot joins the dead ones at the front, and they are cleared
    /// out in one pass of [`Queue::remove_where`] once they are a quarter of the slots, or sooner by any removal of
    /// a run (an accepted batch; `expire`, before every send): a few moves per dropped event, and no more slots than
    /// a full queue's `Vec` already has room for (10,000 events and 3,334 dead ones fit in the 16,384 its doubling
    /// gives). A `VecDeque` would need no dead slots, but its two-slice machinery costs 1.2 KB gzip in the wasm.
    ///
    /// Dead slots are never more than a quarter of them, so a queue with no event waiting has none: the last slot,
    /// when there is one, is the newest waiting event.
    slots: Vec<Item>,
    gone: usize,
    contexts: Vec<Context>,
    current_ctx: Option<u32>,
    next_ctx: u32,
    bytes: usize,
    next_seq: u64,
    in_flight: Option<(u64, u64)>,
    in_flight_reported: DropCounts,
    /// The batch in flight was sent before [`Queue::hand_over`]: its events are gone with the log.
    handed_over: bool,
    failures: u32,
    /// After a failed send: when it failed, and how long to wait from then.
    retry: Option<(Millis, Millis)>,
    flush_requested: bool,
    paused: bool,
    foreign_acks: Vec<(u32, u64)>,
    /// The part that new events of this tab go to, and the head bytes it has taken so far.
    part: u32,
    part_bytes: usize,
    /// Parts whose stored text is out of date, ascending.
    dirty_parts: Vec<u32>,
    /// While a log is taken in ([`Queue::absorb`]): no context is let go until it is all in.
    absorbing: bool,
    /// Counts [`Queue::encode_where`]'s passes, which mark the contexts they have written (64 bits: never wraps).
    passes: Cell<u64>,
    /// Everything dropped since the queue was created (or restored).
    pub dropped: DropCounts,
    /// The part of `dropped` the collector has been told about.
    reported: DropCounts,
}

/// The first line of a persisted queue; a value without it is not ours (or another version) and is discarded.
pub const PERSIST_HEADER: &str = "wayline-queue 1";

/// A tab's stored log is cut into parts of about this many bytes of message heads, each a complete log of its
/// own ([`Queue::encode_part`]) under its own storage key. `localStorage` writes a whole value at a time, and at the
/// queue's byte bound the log is about 2 MiB: written whole it takes 15–20 ms in Chromium. Parts are filled in
/// order of arrival, so a new event changes only the last part and a delivered or dropped one only its own: a
/// write rewrites the parts that changed, a few tens of KiB.
pub const PART_BYTES: usize = 48 * 1024;

/// How many of the newest contexts a new one is compared with before it is stored ([`Queue::intern_context`]).
const INTERNED: usize = 16;

impl Queue {
    pub fn new(config: QueueConfig) -> Self {
        Queue {
            config,
            slots: Vec::new(),
            gone: 0,
            contexts: Vec::new(),
            current_ctx: None,
            next_ctx: 1,
            bytes: 0,
            next_seq: 1,
            in_flight: None,
            in_flight_reported: DropCounts::default(),
            handed_over: false,
            failures: 0,
            retry: None,
            flush_requested: false,
            paused: false,
            foreign_acks: Vec::new(),
            part: 0,
            part_bytes: 0,
            dirty_parts: Vec::new(),
            absorbing: false,
            passes: Cell::new(0),
            dropped: DropCounts::default(),
            reported: DropCounts::default(),
        }
    }

    pub fn config(&self) -> &QueueConfig {
        &self.config
    }

    pub fn len(&self) -> usize {
        self.slots.len() - self.gone
    }

    pub fn is_empty(&self) -> bool {
        // With no event waiting there is no dead slot either (see `slots`).
        self.slots.is_empty()
    }

    /// Bytes held: message heads plus one copy of each context.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.live().iter()
    }

    /// The waiting events, oldest first.
    fn live(&self) -> &[Item] {
        self.slots.get(self.gone..).unwrap_or_default()
    }

    /// The full JSON text of a queued message.
    pub fn message_json(&self, item: &Item) -> String {
        let ctx = self.context_json(item.ctx);
        let mut s = String::with_capacity(item.head.len() + ctx.len() + 1);
        s.push_str(&item.head);
        s.push_str(ctx);
        s.push('}');
        s
    }

    fn context_json(&self, id: u32) -> &str {
        self.context_at(id)
            .map_or("{}", |at| self.contexts[at].json.as_str())
    }

    /// Where the context `id` is in `contexts`. They are added with ascending ids and keep their order, so a binary
    /// search finds it: with a context of its own on every message (analytics.js's `context` option), the queue holds
    /// thousands. (A linear search remains for after the ids wrap around, some 4 billion contexts on.)
    fn context_at(&self, id: u32) -> Option<usize> {
        self.contexts
            .binary_search_by_key(&id, |c| c.id)
            .ok()
            .or_else(|| self.contexts.iter().position(|c| c.id == id))
    }

    /// The length of the context that messages pushed now share.
    pub fn context_len(&self) -> usize {
        self.context().len()
    }

    pub fn is_sending(&self) -> bool {
        self.in_flight.is_some()
    }

    /// The sequence range of the batch on the wire, if any.
    pub fn in_flight(&self) -> Option<(u64, u64)> {
        self.in_flight
    }

    /// Drops not yet reported to the collector.
    pub fn unreported(&self) -> DropCounts {
        self.dropped.minus(&self.reported)
    }

    /// Sets the context that messages pushed from now on share.
    pub fn set_context(&mut self, json: String) {
        if let Some(cur) = self.current_ctx {
            if self.context_json(cur) == json {
                return;
            }
        }
        let id = self.add_context(json);
        let previous = self.current_ctx.replace(id);
        if let Some(prev) = previous {
            self.release_context_if_unused(prev);
        }
    }

    fn release_context_if_unused(&mut self, id: u32) {
        // Not while a log is taken in: the bound may drop, as its first events come in, the last event using a
        // context that its later events use too (one of this tab's with the same context). `absorb` lets go of
        // every unused one once the log is in.
        if !self.absorbing {
            self.drop_unused_contexts(Some(id));
        }
    }

    /// Drops the contexts no event uses (the current one stays): only `id` when given, otherwise every such one.
    /// One loop for both (a context released by its last event; those left unused by an imported log).
    fn drop_unused_contexts(&mut self, only: Option<u32>) {
        // The one asked for is found by its id; otherwise every context is looked at. (The id is still compared in the
        // loop: once it is removed, the next context moves into its place.)
        let (mut at, end) = match only {
            Some(id) => match self.context_at(id) {
                Some(at) => (at, at + 1),
                None => return,
            },
            None => (0, usize::MAX),
        };
        while at < self.contexts.len().min(end) {
            let c = &self.contexts[at];
            if c.refs == 0 && Some(c.id) != self.current_ctx && only.is_none_or(|id| id == c.id) {
                self.bytes -= c.json.len();
                self.contexts.remove(at);
            } else {
                at += 1;
            }
        }
    }

    fn add_ref(&mut self, id: u32) {
        if let Some(at) = self.context_at(id) {
            self.contexts[at].refs += 1;
        }
    }

    fn drop_ref(&mut self, id: u32) {
        if let Some(at) = self.context_at(id) {
            let c = &mut self.contexts[at];
            c.refs = c.refs.saturating_sub(1);
        }
        self.release_context_if_unused(id);
    }

    /// The context that messages pushed now share (JSON text).
    pub fn context(&self) -> &str {
        self.context_json(self.current_ctx.unwrap_or(0))
    }

    /// Adds a message head whose message has a context of its own (a call's `context` option), which goes with it.
    pub fn push_with_context(&mut self, head: String, context: &str, now: Millis) {
        let ctx = self.intern_context(context);
        self.push_item(head, ctx, self.stamp(now), false, None);
        // The context is written with it, in its part: counted there, so that a part of such messages stays about
        // `PART_BYTES` (a shared context is written once a part and not counted).
        self.part_bytes += context.len();
    }

    /// Adds a message head (the message up to and including `"context":`) that uses the current context.
    /// Drops the oldest events not being sent when over a bound.
    pub fn push(&mut self, head: String, now: Millis) {
        if self.current_ctx.is_none() {
            self.set_context("{}".into());
        }
        let ctx = self.current_ctx.unwrap_or(0);
        self.push_item(head, ctx, self.stamp(now), false, None);
    }

    /// The time a new event is queued at: never before the event queued last, which a clock set back would give
    /// and which, once the clock is set right, would look that much older and expire unsent.
    fn stamp(&self, now: Millis) -> Millis {
        now.max(self.slots.last().map_or(now, |i| i.at))
    }

    fn push_item(
        &mut self,
        head: String,
        ctx: u32,
        at: Millis,
        unverified: bool,
        origin: Option<(u32, u64)>,
    ) {
        // Only this tab's own events are in its stored log; imported ones do not call for a write.
        if origin.is_none() {
            if self.part_bytes >= PART_BYTES {
                self.part += 1;
                self.part_bytes = 0;
            }
            self.part_bytes += head.len();
            self.mark_dirty(self.part);
        }
        self.bytes += head.len();
        self.add_ref(ctx);
        self.slots.push(Item {
            seq: self.next_seq,
            at,
            head,
            ctx,
            unverified,
            beaconed: false,
            origin,
            part: self.part,
        });
        self.next_seq += 1;
        self.enforce_bounds();
    }

    fn enforce_bounds(&mut self) {
        while self.len() > self.config.max_events || self.bytes > self.config.max_bytes {
            // The batch on the wire may still be accepted: drop the oldest event behind it instead.
            let last_in_flight = self.in_flight.map_or(0, |(_, last)| last);
            let Some(at) = self.live().iter().position(|i| i.seq > last_in_flight) else {
                break;
            };
            if self.len() == 1 {
                // A single event larger than the whole bound is still kept rather than dropping everything.
                break;
            }
            self.remove_at(at);
            self.dropped.overflow += 1;
        }
    }

    /// Removes the waiting event `at` (0 is the oldest): the events ahead of it (a batch in flight, events checked
    /// or beaconed) move one place on, into its slot, and its own slot, emptied, joins the dead ones at the front
    /// (see `slots`), which are cleared out once they are a quarter of the slots.
    fn remove_at(&mut self, at: usize) {
        let first = self.gone;
        self.forget(first + at);
        for i in (first..first + at).rev() {
            self.slots.swap(i, i + 1);
        }
        self.gone += 1;
        if self.gone * 4 > self.slots.len() {
            // An empty range: the pass only clears out the dead slots.
            self.remove_where(Doomed::Range(1, 0));
        }
    }

    /// The bookkeeping for the event in slot `at` leaving the queue; its head is freed.
    fn forget(&mut self, at: usize) {
        let Item {
            ref mut head,
            ctx,
            part,
            origin,
            ..
        } = self.slots[at];
        self.bytes -= std::mem::take(head).len();
        if origin.is_none() {
            self.mark_dirty(part);
        }
        self.drop_ref(ctx);
    }

    /// Removes every event `doomed` picks, oldest first, in one pass and in place, and clears out the dead slots
    /// before them (see `slots`); returns how many events. Nothing moves when nothing is doomed and no slot is dead
    /// (the common case of `expire`, which runs before every send).
    fn remove_where(&mut self, doomed: Doomed) -> usize {
        let mut first = self.gone;
        while self.slots.get(first).is_some_and(|i| !doomed.takes(i)) {
            first += 1;
        }
        if first == self.slots.len() && self.gone == 0 {
            return 0;
        }
        let gone = std::mem::take(&mut self.gone);
        let mut kept = 0;
        for i in gone..self.slots.len() {
            if doomed.takes(&self.slots[i]) {
                self.forget(i);
            } else {
                self.slots.swap(kept, i);
                kept += 1;
            }
        }
        let removed = self.slots.len() - gone - kept;
        self.slots.truncate(kept);
        removed
    }

    /// Drops events older than `max_age`, counting them.
    pub fn expire(&mut self, now: Millis) {
        // An event stamped after `now` was stamped on a clock since set back: its age counts from now, so that it
        // expires `max_age` from here, not only once the clock has caught up.
        // (Dead slots too: what they hold no longer counts.)
        for item in &mut self.slots {
            item.at = item.at.min(now);
        }
        let limit = now.saturating_sub(self.config.max_age);
        let last_in_flight = self.in_flight.map_or(0, |(_, last)| last);
        let expired = self.remove_where(Doomed::OlderThan(limit, last_in_flight));
        self.dropped.expired += expired as u64;
    }

    /// Asks for everything waiting to be sent now, regardless of `flush_at` and `flush_interval`.
    pub fn request_flush(&mut self) {
        self.flush_requested = !self.is_empty();
    }

    /// Drops the wait before the next try: the next batch is due at once.
    pub fn retry_now(&mut self) {
        self.retry = None;
    }

    /// Holds sending while the browser is offline; resuming clears the backoff so it sends at once.
    pub fn set_paused(&mut self, paused: bool) {
        if self.paused && !paused {
            self.retry = None;
        }
        self.paused = paused;
    }

    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// When the next batch should go, seen at `now`: `None` while a send is in flight, paused, or nothing waits.
    /// An oldest event's time after `now` means the clock was set back since, and how long ago it really was is
    /// unknown: the batch is due now, rather than once the clock catches up, which could be hours. A failed send's
    /// time after `now` counts as `now`: its wait runs whole from the jump (as [`Queue::take_due`] records it).
    pub fn next_send_at(&self, now: Millis) -> Option<Millis> {
        if self.in_flight.is_some() || self.paused {
            return None;
        }
        let oldest = self.slots.get(self.gone)?;
        let wanted =
            if self.flush_requested || self.len() >= self.config.flush_at || oldest.at > now {
                Millis::MIN
            } else {
                oldest.at + self.config.flush_interval
            };
        let retry = self
            .retry
            .map_or(Millis::MIN, |(at, wait)| at.min(now) + wait);
        Some(wanted.max(retry))
    }

    /// Takes the next batch if one is due at `now`, marking it in flight.
    pub fn take_due(&mut self, now: Millis, write_key: &str) -> Option<Batch> {
        // A retry scheduled on a clock since set back waits its whole wait from now (no time passed).
        if let Some((at, _)) = &mut self.retry {
            *at = (*at).min(now);
        }
        if self.next_send_at(now)? > now {
            return None;
        }
        self.expire(now);
        let limit = if self.flush_requested {
            usize::MAX
        } else {
            self.config.flush_at.max(1)
        };
        let batch = self.build_from(0, now, write_key, self.config.max_batch_bytes, limit)?;
        self.in_flight = Some((batch.first_seq, batch.last_seq));
        self.in_flight_reported = batch.reported;
        Some(batch)
    }

    /// Builds a batch for the page-exit path (`sendBeacon`), whose bodies share a 64 KiB budget: the oldest
    /// events not yet beaconed on this page, including those of a batch in flight (the page is going away and may
    /// cancel that request). Call [`Queue::mark_beaconed`] when the browser took the body. The events stay
    /// queued and persisted until a confirmed send; the collector's `messageId` dedupe absorbs the repeat.
    pub fn take_for_exit(
        &mut self,
        now: Millis,
        write_key: &str,
        max_bytes: usize,
    ) -> Option<Batch> {
        let skip = self.live().iter().take_while(|i| i.beaconed).count();
        self.build_from(skip, now, write_key, max_bytes, usize::MAX)
    }

    /// Records that the events of `batch` were handed to `sendBeacon`. Its drop report counts as delivered, so
    /// the next body does not repeat it (the collector sums reports; a report lost with a failed beacon is the
    /// lesser error).
    pub fn mark_beaconed(&mut self, batch: &Batch) {
        self.reported = self.reported.plus(&batch.reported);
        // (Dead slots too: what they hold no longer counts.)
        for item in &mut self.slots {
            if (batch.first_seq..=batch.last_seq).contains(&item.seq) {
                item.beaconed = true;
            }
        }
    }

    /// Checks restored messages about to be sent; malformed ones (or ones without a `messageId`) are dropped and
    /// counted, so that one bad entry cannot make the collector refuse a whole batch.
    fn verify_front(&mut self, skip: usize, limit: usize) {
        let mut i = skip;
        let mut checked = 0;
        while i < self.len() && checked < limit {
            // `i` counts from the oldest waiting event: removing one can clear out the dead slots before it.
            let at = self.gone + i;
            if self.slots[at].unverified {
                let ok =
                    json::parse(&self.message_json(&self.slots[at])).is_ok_and(|m| is_message(&m));
                if ok {
                    self.slots[at].unverified = false;
                } else {
                    self.remove_at(i);
                    self.dropped.corrupt += 1;
                    continue;
                }
            }
            i += 1;
            checked += 1;
        }
    }

    fn build_from(
        &mut self,
        skip: usize,
        now: Millis,
        write_key: &str,
        max_bytes: usize,
        limit: usize,
    ) -> Option<Batch> {
        self.verify_front(skip, limit.min(self.len()));
        let reported = self.unreported();
        let mut tail = String::with_capacity(160 + write_key.len());
        tail.push(']');
        if reported.total() > 0 {
            // Segment's batch-level context: tells the collector what this client had to drop.
            tail.push_str(",\"context\":{\"wayline\":{\"dropped\":");
            reported.write(&mut tail);
            tail.push_str("}}");
        }
        tail.push_str(",\"sentAt\":\"");
        write_iso8601(now, &mut tail);
        tail.push_str("\",\"writeKey\":");
        write_string(write_key, &mut tail);
        tail.push('}');
        let mut body = String::from("{\"batch\":[");
        let mut count = 0;
        let mut first_seq = 0;
        let mut last_seq = 0;
        for item in self.slots.iter().skip(self.gone + skip).take(limit) {
            let ctx = self.context_json(item.ctx);
            let extra = item.head.len() + ctx.len() + 1 + usize::from(count > 0);
            if body.len() + extra + tail.len() > max_bytes {
                break;
            }
            if count > 0 {
                body.push(',');
            } else {
                first_seq = item.seq;
            }
            body.push_str(&item.head);
            body.push_str(ctx);
            body.push('}');
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
            reported,
        })
    }

    /// Applies the outcome of the batch in flight (from [`Queue::take_due`]); false when none was in flight, or when
    /// it was sent before [`Queue::hand_over`]. The answer to such a batch only ends the wait for it (and, a success,
    /// counts the drops it reported as told): its events went with the log, which the tab that sends it again gets
    /// its own answer for, so a retry's backoff or `Retry-After` would hold back the events queued since for nothing.
    pub fn ack_in_flight(&mut self, outcome: SendOutcome, now: Millis, jitter: f64) -> bool {
        let Some(range) = self.in_flight else {
            return false;
        };
        let reported = self.in_flight_reported;
        let handed_over = std::mem::take(&mut self.handed_over);
        // A success or a refusal of it changes nothing else through `ack`: it finds none of the events it carried (they
        // have older sequence numbers), and no send has failed since `hand_over` cleared the backoff.
        if let (true, SendOutcome::Retry { .. }) = (handed_over, outcome) {
            self.in_flight = None;
        } else {
            self.ack(range, &reported, outcome, now, jitter);
        }
        !handed_over
    }

    /// Applies the outcome of sending the events `batch_range` that reported `reported` drops.
    /// `jitter` is a random number in [0, 1).
    pub fn ack(
        &mut self,
        batch_range: (u64, u64),
        reported: &DropCounts,
        outcome: SendOutcome,
        now: Millis,
        jitter: f64,
    ) {
        let (first_seq, last_seq) = batch_range;
        if self.in_flight == Some((first_seq, last_seq)) {
            self.in_flight = None;
        }
        match outcome {
            SendOutcome::Accepted => {
                for item in &self.slots[self.gone..] {
                    if item.seq < first_seq || item.seq > last_seq {
                        continue;
                    }
                    if let Some((origin, seq)) = item.origin {
                        match self.foreign_acks.iter_mut().find(|(o, _)| *o == origin) {
                            Some((_, s)) => *s = (*s).max(seq),
                            None => self.foreign_acks.push((origin, seq)),
                        }
                    }
                }
                self.remove_range(first_seq, last_seq);
                self.reported = self.reported.plus(reported);
                self.failures = 0;
                self.retry = None;
            }
            SendOutcome::Rejected { .. } => {
                self.dropped.rejected += self.remove_range(first_seq, last_seq) as u64;
            }
            SendOutcome::Retry { retry_after } => {
                self.failures = self.failures.saturating_add(1);
                let delay = self.backoff(jitter).max(retry_after.unwrap_or(0));
                self.retry = Some((now, delay));
            }
        }
        if self.is_empty() {
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
        self.remove_where(Doomed::Range(first_seq, last_seq))
    }

    /// When a retry is scheduled, the instant it may happen.
    pub fn retry_at(&self) -> Option<Millis> {
        self.retry.map(|(at, wait)| at + wait)
    }

    /// This tab's whole log as one text (the tests read it; storage gets it in parts: [`Queue::next_dirty_part`]).
    #[cfg(test)]
    pub fn encode(&self) -> String {
        self.encode_where(None).unwrap_or_else(|| {
            let mut out = String::from(PERSIST_HEADER);
            out.push('\n');
            out
        })
    }

    /// The log of this tab's own events (of one part, or all), or `None` when there is none. Events imported from other
    /// tabs stay in their owners' logs. The text is a header line, then one line per event (`e <seq> <at> <ctx>
    /// <head>`), each context's line (`c <id> <json>`) once, just before the first event that uses it; serialised JSON
    /// never holds a raw newline, so lines are unambiguous. (Logs written before held every context line first:
    /// the reader takes a context line anywhere before its events.)
    fn encode_where(&self, part: Option<u32>) -> Option<String> {
        let own = |i: &Item| i.origin.is_none() && part.is_none_or(|p| i.part == p);
        let mut bytes = 0;
        for i in self.live() {
            if own(i) {
                bytes += i.head.len() + 40;
            }
        }
        if bytes == 0 {
            return None;
        }
        let mut out = String::with_capacity(bytes + 32);
        out.push_str(PERSIST_HEADER);
        out.push('\n');
        // Each context's line comes before the first event that uses it, in one pass over the events: a context
        // is marked with this pass once written (rather than the contexts being checked against every event,
        // which took 50 ms a part with a context of its own on each of 10,000 messages).
        let pass = self.passes.get().wrapping_add(1);
        self.passes.set(pass);
        for i in self.live() {
            if !own(i) {
                continue;
            }
            if let Some(c) = self.context_at(i.ctx).map(|at| &self.contexts[at]) {
                if c.written.replace(pass) != pass {
                    out.push_str("c ");
                    write_int(i64::from(c.id), &mut out);
                    out.push(' ');
                    out.push_str(&c.json);
                    out.push('\n');
                }
            }
            out.push_str("e ");
            write_int(i.seq as i64, &mut out);
            out.push(' ');
            write_int(i.at, &mut out);
            out.push(' ');
            write_int(i64::from(i.ctx), &mut out);
            out.push(' ');
            out.push_str(&i.head);
            out.push('\n');
        }
        Some(out)
    }

    /// The stored log as parts (see [`PART_BYTES`]): the lowest part whose stored text is out of date, with its
    /// new text, or `None` as text when it holds no event any more (its key is removed). Parts come lowest first,
    /// so a tab reading the log between two writes never sees a later event without the earlier ones.
    pub fn next_dirty_part(&mut self) -> Option<(u32, Option<String>)> {
        let part = *self.dirty_parts.first()?;
        // The rest move down one place: a memmove (`Vec::remove` would be linked for this alone).
        self.dirty_parts.copy_within(1.., 0);
        self.dirty_parts.pop();
        Some((part, self.encode_where(Some(part))))
    }

    /// Marks every part that holds an event of this tab out of date (storage was purged, or could not be written).
    pub fn rewrite_all_parts(&mut self) {
        for at in self.gone..self.slots.len() {
            if self.slots[at].origin.is_none() {
                self.mark_dirty(self.slots[at].part);
            }
        }
    }

    /// Whether some part of the stored log is out of date: the caller schedules a storage write.
    pub fn has_dirty_parts(&self) -> bool {
        !self.dirty_parts.is_empty()
    }

    fn mark_dirty(&mut self, part: u32) {
        // Kept ascending; almost always the last one or already there.
        let mut at = self.dirty_parts.len();
        while at > 0 && self.dirty_parts[at - 1] >= part {
            if self.dirty_parts[at - 1] == part {
                return;
            }
            at -= 1;
        }
        self.dirty_parts.insert(at, part);
    }

    /// Takes over the events of a persisted log (a part written from [`Queue::next_dirty_part`] by a tab that died,
    /// or by an earlier tab without Web Locks) as this tab's own, after anything already queued and with fresh
    /// sequence numbers, keeping their original times. Returns false (and adds nothing) when the text is not a
    /// persisted queue; lines that do not parse are counted as corrupt. Messages are checked (they parse, with a
    /// `messageId`) just before they are sent.
    pub fn restore(&mut self, text: &str) -> bool {
        self.absorb(text, None, 0).is_some()
    }

    /// Imports another live tab's log for sending (the sending tab does this): its events with a sequence number
    /// above `after_seq` join the queue tagged with `origin`, and are reported by [`Queue::take_foreign_acks`]
    /// once accepted. Returns the highest sequence number in the log, or `None` when the text is not a log.
    pub fn import(&mut self, text: &str, origin: u32, after_seq: u64) -> Option<u64> {
        self.absorb(text, Some(origin), after_seq)
    }

    fn absorb(&mut self, text: &str, origin: Option<u32>, after_seq: u64) -> Option<u64> {
        // Lines and fields are cut with byte scans (`url::split_once_byte`), not `split`/`splitn` with a `char`.
        let (header, mut rest) = match split_once_byte(text, b'\n') {
            Some((header, rest)) => (header, Some(rest)),
            None => (text, None),
        };
        if header != PERSIST_HEADER {
            return None;
        }
        // Each context line's id, its text, and the id it is stored under once an event taken in uses it: one used
        // by none (the events this tab already took from the log) is not stored, nor counted against the bound.
        let mut id_map: Vec<(u32, &str, Option<u32>)> = Vec::new();
        let mut highest = 0;
        self.absorbing = true;
        let mut last = -1;
        while let Some(lines) = rest {
            let line = match split_once_byte(lines, b'\n') {
                Some((line, after)) => {
                    rest = Some(after);
                    line
                }
                None => {
                    rest = None;
                    lines
                }
            };
            if line.is_empty() {
                continue;
            }
            if let Some(rest) = line.strip_prefix("c ") {
                let Some((id, json_text)) = split_once_byte(rest, b' ') else {
                    self.dropped.corrupt += 1;
                    continue;
                };
                let Some(old) = parse_u32(id) else {
                    self.dropped.corrupt += 1;
                    continue;
                };
                id_map.push((old, json_text, None));
                continue;
            }
            // `e <seq> <at> <ctx> <head>`: the head (JSON) may itself hold spaces.
            let fields = line.strip_prefix("e ").and_then(|r| {
                let (seq, r) = split_once_byte(r, b' ')?;
                let (at, r) = split_once_byte(r, b' ')?;
                let (ctx, head) = split_once_byte(r, b' ')?;
                Some((seq, at, ctx, head))
            });
            let Some((seq, at, ctx, head)) = fields else {
                self.dropped.corrupt += 1;
                continue;
            };
            // Newest first: a context's line comes just before its first event.
            let ctx = parse_u32(ctx).and_then(|c| id_map.iter().rposition(|(o, ..)| *o == c));
            match (parse_millis(seq), parse_millis(at), ctx) {
                // A log is written in ascending sequence: a line whose number is not above the one before was
                // repeated or moved by damage, and taking it would send a message twice.
                (Some(seq), Some(at), Some(ctx))
                    if seq > last && head.ends_with("\"context\":") =>
                {
                    last = seq;
                    let seq = seq as u64;
                    highest = highest.max(seq);
                    if seq > after_seq {
                        let (_, json_text, stored) = &mut id_map[ctx];
                        let ctx = match *stored {
                            Some(id) => id,
                            None => *stored.insert(self.intern_context(json_text)),
                        };
                        self.push_item(head.to_string(), ctx, at, true, origin.map(|o| (o, seq)));
                    }
                }
                _ => self.dropped.corrupt += 1,
            }
        }
        // Contexts that no event ended up using (or uses any more) are of no use.
        self.absorbing = false;
        self.drop_unused_contexts(None);
        Some(highest)
    }

    /// The id of a context with this text, adding it if new (imported logs repeat the same few contexts, and a call's
    /// own context is often the one before). Only the newest [`INTERNED`] are compared, so a queue holding a context
    /// for each of thousands of messages does not compare each new one with all of them. A text that last came more
    /// than that many contexts ago is stored again (contexts cycling through more values than that, an address from
    /// a pool say, are stored once a message): bytes, which the bound counts, but no event is lost.
    fn intern_context(&mut self, json_text: &str) -> u32 {
        if let Some(c) = self
            .contexts
            .iter()
            .rev()
            .take(INTERNED)
            .find(|c| c.json == json_text)
        {
            return c.id;
        }
        self.add_context(json_text.to_string())
    }

    /// Adds a context under a new id, used by no event yet.
    fn add_context(&mut self, json: String) -> u32 {
        let id = self.next_ctx;
        self.next_ctx = self.next_ctx.wrapping_add(1).max(1);
        self.bytes += json.len();
        self.contexts.push(Context {
            id,
            json,
            refs: 0,
            written: Cell::new(0),
        });
        id
    }

    /// For each other tab whose imported events were accepted since the last call: (origin, highest sequence
    /// number accepted). The sending tab publishes these so the owners can forget the events.
    pub fn take_foreign_acks(&mut self) -> Vec<(u32, u64)> {
        std::mem::take(&mut self.foreign_acks)
    }

    /// Forgets this tab's own events up to `seq`: another tab sent them and the collector accepted them.
    pub fn prune_own_through(&mut self, seq: u64) {
        self.remove_where(Doomed::OwnThrough(seq));
        if self.is_empty() {
            self.flush_requested = false;
        }
    }

    /// Forgets every event, those of a batch in flight and those imported from other tabs included, keeping the
    /// sequence numbers and the drop counts: the tab's stored log, written in full just before, now belongs to a
    /// tab that is gone (a page frozen or kept in the back/forward cache gave up its locks, and comes back as a tab
    /// of its own), and whichever tab sends takes it over from storage; the other tabs' logs are still theirs.
    /// The next event of this tab starts its first part afresh.
    ///
    /// A request still on the wire stays in flight: its answer, which may come after the resume, is then that
    /// request's rather than the answer to a batch sent since, which it would acknowledge, drop or retry, and it
    /// changes nothing but ending that wait ([`Queue::ack_in_flight`]). The next batch waits for it, as always.
    pub fn hand_over(&mut self) {
        self.handed_over = self.in_flight.is_some();
        self.remove_where(Doomed::Range(0, u64::MAX));
        self.dirty_parts.clear();
        self.part = 0;
        self.part_bytes = 0;
        self.failures = 0;
        self.retry = None;
        self.flush_requested = false;
        self.foreign_acks.clear();
    }

    /// Whether events imported with `origin` are still waiting.
    pub fn has_origin(&self, origin: u32) -> bool {
        self.live()
            .iter()
            .any(|i| i.origin.is_some_and(|(o, _)| o == origin))
    }

    /// Whether this tab has events of its own waiting.
    pub fn has_own(&self) -> bool {
        self.live().iter().any(|i| i.origin.is_none())
    }
}

/// Reads the name a log part is stored under, after the key's prefix: `<tab>` for part 0, `<tab>~<n>` for part
/// `n` (decimal, no sign or leading zero); the tab id and the part, or `None` for a name that is neither.
pub fn log_part_name(name: &str) -> Option<(&str, u32)> {
    let Some((tab, digits)) = split_once_byte(name, b'~') else {
        return Some((name, 0));
    };
    if digits.as_bytes().first() == Some(&b'0') {
        return None;
    }
    match parse_u32(digits) {
        Some(part) if part > 0 => Some((tab, part)),
        _ => None,
    }
}

/// Which events [`Queue::remove_where`] removes. An enum rather than a closure: each closure passed as `&dyn Fn`
/// brings a vtable and call shims of its own into the wasm.
#[derive(Clone, Copy)]
enum Doomed {
    /// Sequence numbers in this range, inclusive.
    Range(u64, u64),
    /// Older than this time and behind the batch in flight (whose last sequence number is the second).
    OlderThan(Millis, u64),
    /// This tab's own events up to this sequence number.
    OwnThrough(u64),
}

impl Doomed {
    fn takes(self, i: &Item) -> bool {
        match self {
            Doomed::Range(first, last) => first <= i.seq && i.seq <= last,
            Doomed::OlderThan(limit, last_in_flight) => i.at < limit && i.seq > last_in_flight,
            Doomed::OwnThrough(seq) => i.origin.is_none() && i.seq <= seq,
        }
    }
}

fn parse_millis(s: &str) -> Option<Millis> {
    let (negative, digits) = match s.strip_prefix("-") {
        Some(d) => (true, d),
        None => (false, s),
    };
    if digits.len() > 15 {
        return None;
    }
    let n = crate::core::json::digits_value(digits)? as i64;
    Some(if negative { -n } else { n })
}

/// A sequence number as the sender writes it under a tab's `ack` key: digits only. Anything else (another
/// version's value, damage, `1e300`) reads as `None`, which the web layer takes as "nothing acknowledged": at worst
/// an event is sent again (the collector keeps one per `messageId`), never skipped as if it had been delivered.
pub fn parse_ack(s: &str) -> Option<u64> {
    parse_millis(s).and_then(|n| u64::try_from(n).ok())
}

fn parse_u32(s: &str) -> Option<u32> {
    if s.len() > 9 {
        return None;
    }
    Some(crate::core::json::digits_value(s)? as u32)
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

    fn head(n: usize) -> String {
        format!("{{\"n\":{n},\"context\":")
    }

    /// A message head as the tracker writes one, numbered `n`: what a restored or imported message is checked
    /// for before it is sent.
    fn message(n: usize) -> String {
        format!("{{\"type\":\"track\",\"messageId\":\"m{n}\",\"anonymousId\":\"a\",\"timestamp\":\"t\",\"n\":{n},\"context\":")
    }

    fn ack(q: &mut Queue, b: &Batch, outcome: SendOutcome, now: Millis) {
        q.ack((b.first_seq, b.last_seq), &b.reported, outcome, now, 1.0);
    }

    fn sent_ns(b: &Batch) -> Vec<f64> {
        let v = json::parse(&b.body).unwrap();
        v.get("batch")
            .and_then(|b| b.as_array())
            .unwrap()
            .iter()
            .map(|m| m.get("n").and_then(|n| n.as_f64()).unwrap())
            .collect()
    }

    #[test]
    fn sends_when_count_or_age_is_reached() {
        let mut q = queue(3);
        q.push(head(1), 0);
        assert_eq!(q.next_send_at(0), Some(1_000));
        assert!(q.take_due(999, "k").is_none());
        q.push(head(2), 10);
        q.push(head(3), 20);
        assert_eq!(q.next_send_at(0), Some(Millis::MIN));
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
        assert_eq!(
            body.get("context"),
            None,
            "nothing dropped, nothing reported"
        );
    }

    #[test]
    fn messages_share_their_context() {
        let mut q = queue(10);
        q.set_context("{\"page\":\"a\"}".into());
        q.push(head(1), 0);
        q.push(head(2), 0);
        q.set_context("{\"page\":\"b\"}".into());
        q.push(head(3), 0);
        assert_eq!(q.bytes(), 3 * head(1).len() + 2 * "{\"page\":\"a\"}".len());
        q.request_flush();
        let b = q.take_due(0, "k").unwrap();
        let v = json::parse(&b.body).unwrap();
        let pages: Vec<_> = v
            .get("batch")
            .and_then(|b| b.as_array())
            .unwrap()
            .iter()
            .map(|m| {
                m.get("context")
                    .and_then(|c| c.get("page"))
                    .and_then(|p| p.as_str())
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(pages, ["a", "a", "b"]);
        ack(&mut q, &b, SendOutcome::Accepted, 0);
        assert_eq!(
            q.bytes(),
            "{\"page\":\"b\"}".len(),
            "only the current context is kept"
        );
    }

    #[test]
    fn one_batch_in_flight_at_a_time_and_accept_removes_it() {
        let mut q = queue(1);
        q.push(head(1), 0);
        let b = q.take_due(0, "k").unwrap();
        q.push(head(2), 1);
        assert_eq!(q.next_send_at(0), None);
        assert!(q.take_due(5, "k").is_none());
        ack(&mut q, &b, SendOutcome::Accepted, 5);
        assert_eq!(q.len(), 1);
        let b2 = q.take_due(5, "k").unwrap();
        assert_eq!(sent_ns(&b2), [2.0]);
    }

    #[test]
    fn retries_with_capped_exponential_backoff_and_retry_after() {
        let mut q = queue(1);
        q.push(head(1), 0);
        let mut delays = Vec::new();
        let mut now = 0;
        for _ in 0..9 {
            let b = q.take_due(now, "k").unwrap();
            ack(&mut q, &b, SendOutcome::Retry { retry_after: None }, now);
            let at = q.next_send_at(now).unwrap();
            delays.push(at - now);
            now = at;
        }
        assert_eq!(
            delays,
            [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]
        );
        let b = q.take_due(now, "k").unwrap();
        ack(
            &mut q,
            &b,
            SendOutcome::Retry {
                retry_after: Some(90_000),
            },
            now,
        );
        assert_eq!(q.next_send_at(now), Some(now + 90_000));
        // Equal jitter keeps at least half the delay.
        let b = q.take_due(now + 90_000, "k").unwrap();
        q.ack(
            (b.first_seq, b.last_seq),
            &b.reported,
            SendOutcome::Retry { retry_after: None },
            0,
            0.0,
        );
        assert_eq!(q.next_send_at(0), Some(30_000));
        assert_eq!(q.len(), 1, "retried events stay queued");
    }

    /// `Retry-After` in either form HTTP gives it (RFC 9110 §10.2.3): a number of seconds, or an HTTP date, which
    /// is a wait until then; a wait over a day is cut to a day rather than ignored.
    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        let now = 1_795_621_321_000;
        assert_eq!(retry_after("2", None, now), Some(2_000));
        assert_eq!(retry_after(" 120 ", None, now), Some(120_000));
        assert_eq!(retry_after("0", None, now), Some(0));
        assert_eq!(retry_after("172800", None, now), Some(DAY));
        // A number is seconds even where a browser would also read it as a date (`Date.parse("2")` is in 2001).
        assert_eq!(retry_after("2", Some(978_307_200_000), now), Some(2_000));
        let date = "Wed, 25 Nov 2026 15:42:31 GMT";
        assert_eq!(retry_after(date, Some(now + 30_000), now), Some(30_000));
        assert_eq!(
            retry_after(date, Some(now - 30_000), now),
            Some(0),
            "a date past is no wait"
        );
        assert_eq!(retry_after(date, Some(now + 9 * DAY), now), Some(DAY));
        for bad in ["", "-1", "soon"] {
            assert_eq!(retry_after(bad, None, now), None, "{bad:?}");
        }
    }

    /// A repeated `Retry-After` reaches us joined by `, ` (`headers.get` of the Fetch API): its first value counts.
    /// `date` is what V8's `Date.parse` makes of the whole text: nothing of `120, 60`, 10 May 2001 of `5, 10`, the
    /// date of a date followed by anything, nothing of two dates.
    #[test]
    fn a_repeated_retry_after_is_read_by_its_first_value() {
        let now = 1_795_621_321_000;
        assert_eq!(retry_after("120, 60", None, now), Some(120_000));
        assert_eq!(retry_after(" 120 ,60", None, now), Some(120_000));
        assert_eq!(
            retry_after("5, 10", Some(989_452_800_000), now),
            Some(5_000)
        );
        let date = "Wed, 25 Nov 2026 15:42:31 GMT";
        assert_eq!(
            retry_after(&format!("120, {date}"), None, now),
            Some(120_000)
        );
        assert_eq!(
            retry_after(&format!("{date}, 120"), Some(now + 30_000), now),
            Some(30_000)
        );
        assert_eq!(retry_after(&format!("{date}, {date}"), None, now), None);
        assert_eq!(retry_after(", 120", None, now), None);
    }

    /// A clock set back after events were queued does not hold them until it catches up: they are due at once.
    /// A retry already scheduled counts its wait as not yet begun: it happens that long after the jump (not hours
    /// later, when the clock has caught up; nor at once, against the collector's `Retry-After`).
    #[test]
    fn a_clock_set_back_neither_holds_sending_nor_skips_a_retry_wait() {
        let hour = 3_600_000;
        let mut q = queue(100);
        q.push(head(1), 10 * hour);
        assert_eq!(q.next_send_at(10 * hour), Some(10 * hour + 1_000));
        assert!(q.take_due(10 * hour + 999, "k").is_none());
        assert_eq!(q.next_send_at(9 * hour), Some(Millis::MIN));
        let b = q.take_due(9 * hour, "k").unwrap();
        ack(
            &mut q,
            &b,
            SendOutcome::Retry {
                retry_after: Some(hour),
            },
            10 * hour,
        );
        assert_eq!(q.next_send_at(10 * hour), Some(11 * hour));
        assert!(q.take_due(11 * hour - 1, "k").is_none());
        // Seen before the queue records the jump: the SDK's timer is set for the wait's end, not for at once.
        assert_eq!(q.next_send_at(8 * hour), Some(9 * hour));
        assert!(q.take_due(8 * hour, "k").is_none(), "Retry-After honoured");
        assert_eq!(q.next_send_at(8 * hour), Some(9 * hour));
        assert!(q.take_due(9 * hour - 1, "k").is_none());
        // (The event itself counts as queued at 9h, when its batch was taken: a second for `flush_interval`.)
        assert!(q.take_due(9 * hour + 999, "k").is_none());
        assert!(q.take_due(9 * hour + 1_000, "k").is_some());
    }

    /// Events stamped while the clock was days ahead, then set right, are not kept for those days more: their age
    /// counts from when the clock was seen going back, and `max_age` after that they expire as any event does.
    #[test]
    fn events_stamped_ahead_of_a_clock_set_back_still_expire() {
        let day = DAY;
        let mut q = queue(100);
        q.push(head(1), 400 * day);
        let b = q.take_due(35 * day, "k").unwrap();
        ack(
            &mut q,
            &b,
            SendOutcome::Retry { retry_after: None },
            35 * day,
        );
        assert!(
            q.take_due(41 * day, "k").is_some(),
            "still sent for max_age"
        );
        ack(
            &mut q,
            &b,
            SendOutcome::Retry { retry_after: None },
            41 * day,
        );
        assert!(q.take_due(42 * day + 1, "k").is_none());
        assert_eq!(q.dropped.expired, 1);
        assert!(q.is_empty());
    }

    /// An event recorded while the clock is days behind is never older than the events before it: set right
    /// again, the clock does not make it look days old, and it is not expired as too old.
    #[test]
    fn events_stamped_behind_after_a_clock_set_back_are_not_expired_when_it_is_set_right() {
        let day = DAY;
        let mut q = queue(100);
        q.set_paused(true);
        q.push(head(1), 30 * day);
        q.push(head(2), 20 * day);
        q.set_paused(false);
        let b = q.take_due(30 * day + 1_000, "k").unwrap();
        assert_eq!(sent_ns(&b), [1.0, 2.0]);
        assert_eq!(q.dropped.expired, 0);
    }

    #[test]
    fn an_ack_is_digits_only() {
        assert_eq!(parse_ack("0"), Some(0));
        assert_eq!(parse_ack("12345"), Some(12_345));
        for bad in ["", "-1", "1e300", "1.5", " 1", "12a", "9999999999999999"] {
            assert_eq!(parse_ack(bad), None, "{bad}");
        }
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
    fn drops_are_counted_reported_once_and_cleared_when_accepted() {
        let mut q = Queue::new(QueueConfig {
            flush_at: 2,
            max_events: 3,
            ..QueueConfig::default()
        });
        q.push(head(1), 0);
        q.push(head(2), 0);
        let b = q.take_due(0, "k").unwrap();
        ack(&mut q, &b, SendOutcome::Rejected { status: 400 }, 0);
        assert!(q.is_empty());
        assert_eq!(q.dropped.rejected, 2);
        for n in 3..8 {
            q.push(head(n), 0);
        }
        assert_eq!(q.dropped.overflow, 2);
        let b = q.take_due(0, "k").unwrap();
        let v = json::parse(&b.body).unwrap();
        let dropped = v
            .get("context")
            .and_then(|c| c.get("wayline"))
            .and_then(|w| w.get("dropped"))
            .unwrap();
        assert_eq!(dropped.get("rejected").and_then(|n| n.as_f64()), Some(2.0));
        assert_eq!(dropped.get("overflow").and_then(|n| n.as_f64()), Some(2.0));
        // A failed send does not count as reported.
        ack(&mut q, &b, SendOutcome::Retry { retry_after: None }, 0);
        assert_eq!(q.unreported().total(), 4);
        let b = q.take_due(10_000, "k").unwrap();
        ack(&mut q, &b, SendOutcome::Accepted, 10_000);
        assert_eq!(q.unreported().total(), 0);
        assert_eq!(q.dropped.total(), 4, "the running total stays");
    }

    #[test]
    fn overflow_drops_oldest_but_never_the_batch_in_flight() {
        let mut q = Queue::new(QueueConfig {
            flush_at: 2,
            max_events: 3,
            ..QueueConfig::default()
        });
        q.push(head(1), 0);
        q.push(head(2), 0);
        let b = q.take_due(0, "k").unwrap();
        q.push(head(3), 0);
        q.push(head(4), 0);
        q.push(head(5), 0);
        assert_eq!(q.len(), 3);
        assert_eq!(q.dropped.overflow, 2);
        let left: Vec<_> = q.items().map(|i| i.head.clone()).collect();
        assert_eq!(left, [head(1), head(2), head(5)]);
        ack(&mut q, &b, SendOutcome::Accepted, 0);
        assert_eq!(q.len(), 1);
        assert_eq!(
            q.bytes(),
            head(5).len() + 2,
            "the head and the default context"
        );
    }

    /// Offline far past the bound: 50,000 events into a queue of 10,000, with a batch of the first 20 on the wire.
    /// Each new event drops exactly the oldest one behind the batch, counted; the batch stays until its answer; the
    /// bytes and the stored log's parts follow every drop.
    #[test]
    fn fifty_thousand_events_into_a_bound_of_ten_thousand_keep_the_newest_behind_the_batch_in_flight(
    ) {
        let mut q = queue(20);
        let bound = q.config().max_events;
        for n in 0..20 {
            q.push(head(n), 0);
        }
        let b = q.take_due(0, "k").unwrap();
        assert_eq!((b.first_seq, b.last_seq), (1, 20));
        q.set_paused(true);
        let mut store = Vec::new();
        // Event n has sequence number n + 1.
        for n in 20..50_000 {
            q.push(head(n), 0);
            let pushed = n + 1;
            if pushed % 997 != 0 && pushed != 50_000 {
                continue;
            }
            let expected: Vec<u64> = (1..=20)
                .chain((pushed.max(bound) - bound + 21) as u64..=pushed as u64)
                .collect();
            let seqs: Vec<u64> = q.items().map(|i| i.seq).collect();
            assert_eq!(seqs, expected, "after {pushed}");
            assert_eq!(q.len(), pushed.min(bound));
            assert_eq!(q.dropped.overflow, pushed.saturating_sub(bound) as u64);
            assert_eq!(
                q.dropped,
                DropCounts {
                    overflow: q.dropped.overflow,
                    ..DropCounts::default()
                }
            );
            let heads: usize = q.items().map(|i| i.head.len()).sum();
            assert_eq!(q.bytes(), heads + "{}".len());
            assert_eq!(q.in_flight(), Some((1, 20)));
            if pushed % (5 * 997) == 0 || pushed == 50_000 {
                write_parts(&mut q, &mut store);
                let mut again = queue(20);
                for (_, text) in &store {
                    assert!(again.restore(text));
                }
                assert_eq!(ns_of(&again), ns_of(&q), "the stored log after {pushed}");
            }
        }
        // The batch is accepted: the 9,980 newest are left, and the queue fills up to its bound again.
        ack(&mut q, &b, SendOutcome::Accepted, 0);
        assert_eq!(q.len(), bound - 20);
        for n in 50_000..50_100 {
            q.push(head(n), 0);
        }
        let seqs: Vec<u64> = q.items().map(|i| i.seq).collect();
        assert_eq!(seqs, (40_101..=50_100).collect::<Vec<u64>>());
        assert_eq!(q.dropped.overflow, 40_080);
        let heads: usize = q.items().map(|i| i.head.len()).sum();
        assert_eq!(q.bytes(), heads + "{}".len());
    }

    /// The same at the byte bound: events of about 1 KB, 2 MiB of them.
    #[test]
    fn at_the_byte_bound_each_event_drops_the_oldest_ones_it_needs_room_for() {
        let mut q = queue(10_000);
        q.set_paused(true);
        let mut dropped = 0;
        for n in 0..20_000 {
            let before = q.len();
            q.push(big_head(n), 0);
            dropped += before + 1 - q.len();
            assert!(q.bytes() <= q.config().max_bytes);
            if before + 1 > q.len() {
                // The last one dropped (sequence number one below the oldest left, event n = seq - 1) was needed.
                let last_dropped = q.items().next().unwrap().seq as usize - 2;
                assert!(
                    q.bytes() + big_head(last_dropped).len() > q.config().max_bytes,
                    "no more dropped than needed, after {n}"
                );
            }
        }
        assert_eq!(q.dropped.overflow, dropped as u64);
        let seqs: Vec<u64> = q.items().map(|i| i.seq).collect();
        let first = 20_001 - q.len() as u64;
        assert_eq!(seqs, (first..=20_000).collect::<Vec<u64>>());
        assert_eq!(q.dropped.overflow, first - 1);
        let heads: usize = q.items().map(|i| i.head.len()).sum();
        assert_eq!(q.bytes(), heads + "{}".len());
    }

    #[test]
    fn expired_events_are_dropped_and_counted() {
        let mut q = Queue::new(QueueConfig {
            flush_at: 1,
            max_age: 1_000,
            ..QueueConfig::default()
        });
        q.push(head(1), 0);
        q.push(head(2), 900);
        let b = q.take_due(1_500, "k").unwrap();
        assert_eq!(sent_ns(&b), [2.0]);
        assert_eq!(q.dropped.expired, 1);
    }

    #[test]
    fn batches_respect_the_byte_limit() {
        let mut q = Queue::new(QueueConfig {
            flush_at: 100,
            max_batch_bytes: 200,
            ..QueueConfig::default()
        });
        for n in 0..50 {
            q.push(head(n), 0);
        }
        q.request_flush();
        let mut sent = 0;
        while let Some(b) = q.take_due(0, "key") {
            assert!(b.body.len() <= 200, "{}", b.body.len());
            json::parse(&b.body).unwrap();
            sent += b.count;
            ack(&mut q, &b, SendOutcome::Accepted, 0);
        }
        assert_eq!(sent, 50);
        assert_eq!(q.next_send_at(0), None);
    }

    #[test]
    fn exit_batches_include_in_flight_events_and_stay_under_budget() {
        let mut q = queue(2);
        for n in 0..10 {
            q.push(head(n), 0);
        }
        let inflight = q.take_due(0, "k").unwrap();
        assert_eq!(inflight.count, 2);
        let mut carried = Vec::new();
        while let Some(b) = q.take_for_exit(1, "k", 120) {
            assert!(b.body.len() <= 120);
            carried.extend(sent_ns(&b));
            q.mark_beaconed(&b);
        }
        assert_eq!(carried, (0..10).map(f64::from).collect::<Vec<_>>());
        assert_eq!(q.len(), 10, "beaconed events stay until a confirmed send");
        assert!(
            q.take_for_exit(2, "k", 64 * 1024).is_none(),
            "nothing is beaconed twice"
        );
        assert_eq!(
            q.encode().lines().filter(|l| l.starts_with("e ")).count(),
            10
        );
        // The in-flight request answering removes its events as usual.
        ack(&mut q, &inflight, SendOutcome::Accepted, 2);
        assert_eq!(q.len(), 8);
    }

    /// A page frozen or kept in the back/forward cache hands its stored log over and comes back as a tab of its
    /// own: nothing it held is sent again from memory (another tab takes the log over), a late answer to the
    /// batch that was in flight changes nothing, and its next events start a fresh log.
    #[test]
    fn a_handed_over_queue_starts_afresh() {
        let mut q = queue(2);
        for n in 0..5 {
            q.push(message(n), 0);
        }
        let mut other = queue(2);
        other.push(message(9), 0);
        q.import(&other.encode(), 7, 0);
        assert!(q.take_due(0, "k").is_some());
        while q.next_dirty_part().is_some() {}
        let seq = q.items().last().map(|i| i.seq).unwrap_or(0);
        q.hand_over();
        assert!(q.is_empty() && !q.has_dirty_parts());
        assert_eq!(q.bytes(), "{}".len(), "the current context alone");
        assert!(q.take_foreign_acks().is_empty());
        assert_eq!(q.next_send_at(0), None, "nothing to send");
        // The late answer finds none of the events it carried.
        assert!(!q.ack_in_flight(SendOutcome::Accepted, 5, 0.0));
        assert!(q.is_empty() && q.take_foreign_acks().is_empty());
        q.push(message(5), 10);
        assert!(q.items().all(|i| i.seq > seq), "sequence numbers go on");
        let (part, text) = q.next_dirty_part().unwrap();
        assert_eq!(part, 0);
        assert_eq!(
            text.unwrap()
                .lines()
                .filter(|l| l.starts_with("e "))
                .count(),
            1,
            "the new log holds the new event alone"
        );
        assert_eq!(q.next_send_at(10), Some(1_010));
    }

    /// The request that was on the wire as the queue was handed over is still this tab's: its answer, which may
    /// come after the resume, is that request's alone. No batch goes before it (one request at a time), so it
    /// cannot acknowledge, drop or retry events of a later batch.
    #[test]
    fn a_late_answer_to_a_handed_over_batch_is_that_batchs_alone() {
        let mut q = queue(1);
        q.push(message(0), 0);
        assert!(q.take_due(0, "k").is_some());
        q.hand_over();
        q.push(message(1), 10);
        let early = q.take_due(10, "k");
        // The old request succeeds; a batch sent since would then fail.
        assert!(!q.ack_in_flight(SendOutcome::Accepted, 20, 0.0));
        if let Some(b) = early {
            ack(&mut q, &b, SendOutcome::Retry { retry_after: None }, 30);
        }
        assert_eq!(
            q.len(),
            1,
            "the event tracked after the resume is still queued"
        );
        let b = q
            .take_due(1_000_000, "k")
            .expect("sent once the old request answered");
        assert_eq!(sent_ns(&b), [1.0]);
    }

    /// A late answer to the handed-over request that asks for a retry (a `5xx`, a `429` with `Retry-After`, a network
    /// error) or refuses it sets no wait and drops nothing of the events queued since: those events went with the
    /// log, and the tab that sends the log again gets its own answer. Its success still counts the drop report it
    /// carried as delivered.
    #[test]
    fn a_late_answer_to_a_handed_over_batch_holds_back_nothing_queued_since() {
        let outcomes = [
            SendOutcome::Retry {
                retry_after: Some(3_600_000),
            },
            SendOutcome::Retry { retry_after: None },
            SendOutcome::Rejected { status: 400 },
            SendOutcome::Accepted,
        ];
        for outcome in outcomes {
            let mut q = Queue::new(QueueConfig {
                max_events: 1,
                ..QueueConfig::default()
            });
            q.push(message(0), 0);
            q.push(message(1), 0);
            q.request_flush();
            assert!(q.take_due(0, "k").is_some());
            q.hand_over();
            q.push(message(2), 10);
            q.request_flush();
            let own = q.ack_in_flight(outcome, 20, 0.5);
            assert_eq!(q.retry_at(), None, "{outcome:?}");
            assert_eq!(q.next_send_at(20), Some(Millis::MIN), "{outcome:?}");
            let b = q.take_due(20, "k").expect("the new event goes at once");
            assert_eq!(sent_ns(&b), [2.0], "{outcome:?}");
            assert_eq!(q.dropped.rejected, 0, "{outcome:?}");
            // The drop the old batch reported is told again unless the collector had it.
            let told = u64::from(outcome != SendOutcome::Accepted);
            assert_eq!(b.reported.overflow, told, "{outcome:?}");
            assert!(!own, "not this queue's batch: {outcome:?}");
            // And the new batch's own answer applies as ever.
            assert!(q.ack_in_flight(SendOutcome::Retry { retry_after: None }, 30, 0.0));
            assert_eq!(q.retry_at(), Some(530));
        }
    }

    #[test]
    fn paused_queue_waits_and_resume_clears_backoff() {
        let mut q = queue(1);
        q.push(head(1), 0);
        let b = q.take_due(0, "k").unwrap();
        ack(&mut q, &b, SendOutcome::Retry { retry_after: None }, 0);
        q.set_paused(true);
        assert_eq!(q.next_send_at(0), None);
        q.set_paused(false);
        assert_eq!(q.next_send_at(0), Some(Millis::MIN));
    }

    #[test]
    fn retry_now_drops_the_backoff_but_not_the_failure_count() {
        let mut q = queue(1);
        q.push(head(1), 0);
        let b = q.take_due(0, "k").unwrap();
        ack(&mut q, &b, SendOutcome::Retry { retry_after: None }, 0);
        assert!(q.next_send_at(0).is_some_and(|at| at > 0));
        q.retry_now();
        assert_eq!(q.next_send_at(0), Some(Millis::MIN));
        // The next failure waits longer than the first: the backoff goes on growing.
        let b = q.take_due(0, "k").unwrap();
        ack(&mut q, &b, SendOutcome::Retry { retry_after: None }, 0);
        assert!(q.retry_at().is_some_and(|at| at >= 1_000));
    }

    #[test]
    fn encodes_and_restores_with_contexts_and_times() {
        let mut q = queue(100);
        q.set_context("{\"page\":\"a b\"}".into());
        q.push(head(1), 5);
        q.set_context("{\"page\":\"c\"}".into());
        q.push(head(2), 6);
        let text = q.encode();
        assert_eq!(text.lines().count(), 5);
        let mut again = queue(100);
        again.set_context("{\"page\":\"now\"}".into());
        again.push(head(3), 7);
        assert!(again.restore(&text));
        let msgs: Vec<String> = again.items().map(|i| again.message_json(i)).collect();
        assert_eq!(
            msgs,
            [
                "{\"n\":3,\"context\":{\"page\":\"now\"}}",
                "{\"n\":1,\"context\":{\"page\":\"a b\"}}",
                "{\"n\":2,\"context\":{\"page\":\"c\"}}",
            ]
        );
        assert_eq!(again.items().map(|i| i.at).collect::<Vec<_>>(), [7, 5, 6]);
        let seqs: Vec<u64> = again.items().map(|i| i.seq).collect();
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "existing numbers kept, restored ones after"
        );
        assert_eq!(
            again.bytes(),
            3 * head(1).len() + "{\"page\":\"a b\"}{\"page\":\"c\"}{\"page\":\"now\"}".len()
        );
        assert!(again.has_own());
    }

    /// A head of about 1 KiB, numbered.
    fn big_head(n: usize) -> String {
        format!("{{\"n\":{n},\"pad\":\"{}\",\"context\":", "x".repeat(1000))
    }

    /// Writes every out-of-date part into `store` (a map from part to text, as the web layer's keys are); the
    /// parts written, in order.
    pub(super) fn write_parts(q: &mut Queue, store: &mut Vec<(u32, String)>) -> Vec<u32> {
        let mut written = Vec::new();
        while let Some((part, text)) = q.next_dirty_part() {
            store.retain(|(p, _)| *p != part);
            if let Some(text) = text {
                store.push((part, text));
                store.sort_by_key(|(p, _)| *p);
            }
            written.push(part);
        }
        written
    }

    pub(super) fn ns_of(q: &Queue) -> Vec<f64> {
        q.items()
            .map(|i| {
                json::parse(&q.message_json(i))
                    .unwrap()
                    .get("n")
                    .and_then(|n| n.as_f64())
                    .unwrap()
            })
            .collect()
    }

    /// Messages with a context of their own each (a call's `context` option): their contexts count in the part's
    /// size, so a part stays about [`PART_BYTES`] and each still restores with every context its events use.
    #[test]
    fn parts_of_messages_with_contexts_of_their_own_stay_about_part_bytes() {
        let mut q = queue(1_000);
        let mut store = Vec::new();
        for n in 0..200 {
            let own = format!("{{\"n\":{n},\"pad\":\"{}\"}}", "c".repeat(1000));
            q.push_with_context(head(n), &own, n as Millis);
        }
        write_parts(&mut q, &mut store);
        assert!(store.len() >= 4, "{} parts", store.len());
        for (_, text) in &store {
            assert!(
                text.len() < PART_BYTES + 2 * 1024 + 200,
                "a part is about PART_BYTES: {}",
                text.len()
            );
        }
        let mut again = queue(1_000);
        for (_, text) in &store {
            assert!(again.restore(text));
        }
        assert_eq!(ns_of(&again), (0..200).map(f64::from).collect::<Vec<_>>());
    }

    /// Thousands of messages, most with a context of their own (some repeating one 20 calls back, older than the
    /// contexts a new one is compared with), between messages on the shared context: each part names every context
    /// its events use once, before the first of them, and the parts restore every message whole, in order.
    #[test]
    fn a_context_of_its_own_on_every_message_is_written_before_its_events_and_restores() {
        let mut q = queue(10_000);
        let context = |n: usize| match n % 7 {
            0 => None,
            // The context of the message 20 before (whose `n % 7` is 4).
            3 if n >= 20 => Some(format!(
                "{{\"ip\":\"10.0.0.{}\",\"n\":{}}}",
                (n - 20) % 251,
                n - 20
            )),
            _ => Some(format!("{{\"ip\":\"10.0.0.{}\",\"n\":{n}}}", n % 251)),
        };
        for n in 0..3_000 {
            if n % 500 == 0 {
                q.set_context(format!("{{\"page\":{n}}}"));
            }
            match context(n) {
                Some(own) => q.push_with_context(message(n), &own, n as Millis),
                None => q.push(message(n), n as Millis),
            }
        }
        let sent: Vec<String> = q.items().map(|i| q.message_json(i)).collect();
        let mut store = Vec::new();
        write_parts(&mut q, &mut store);
        assert!(store.len() > 3, "{} parts", store.len());
        for (part, text) in &store {
            let mut declared = Vec::new();
            for line in text.lines().skip(1) {
                let mut fields = line.splitn(5, ' ');
                match (fields.next(), fields.next()) {
                    (Some("c"), Some(id)) => {
                        assert!(!declared.contains(&id), "part {part}: context {id} twice");
                        declared.push(id);
                    }
                    (Some("e"), _) => {
                        let ctx = fields.nth(1).unwrap();
                        assert!(
                            declared.contains(&ctx),
                            "part {part}: context {ctx} before its line"
                        );
                    }
                    _ => panic!("part {part}: {line}"),
                }
            }
        }
        let mut again = queue(10_000);
        for (_, text) in &store {
            assert!(again.restore(text));
        }
        let restored: Vec<String> = again.items().map(|i| again.message_json(i)).collect();
        assert_eq!(restored, sent);
        assert_eq!(again.dropped, DropCounts::default());
    }

    #[test]
    fn the_stored_log_is_cut_into_parts_that_each_restore() {
        let mut q = queue(1_000);
        let mut store = Vec::new();
        for n in 0..200 {
            if n % 50 == 0 {
                q.set_context(format!("{{\"page\":{n}}}"));
            }
            q.push(big_head(n), n as Millis);
        }
        let written = write_parts(&mut q, &mut store);
        let parts = 200 * big_head(0).len() / PART_BYTES;
        assert!(
            written.len() >= parts && written.len() <= parts + 1,
            "{written:?}"
        );
        assert!(written.windows(2).all(|w| w[0] < w[1]), "lowest first");
        for (_, text) in &store {
            assert!(
                text.len() < PART_BYTES + 2 * 1024 + 200,
                "a part is about PART_BYTES"
            );
        }
        // Each part is a complete log: restored in order they give back every event, with its context and time.
        let mut again = queue(1_000);
        for (_, text) in &store {
            assert!(again.restore(text));
        }
        assert_eq!(ns_of(&again), (0..200).map(f64::from).collect::<Vec<_>>());
        let whole: Vec<String> = q.items().map(|i| q.message_json(i)).collect();
        let restored: Vec<String> = again.items().map(|i| again.message_json(i)).collect();
        assert_eq!(restored, whole);
        assert_eq!(
            again.items().map(|i| i.at).collect::<Vec<_>>(),
            (0..200).collect::<Vec<_>>()
        );
        assert_eq!(q.next_dirty_part(), None, "nothing left to write");
    }

    #[test]
    fn a_change_rewrites_only_the_parts_it_touches() {
        let mut q = queue(50);
        let mut store = Vec::new();
        for n in 0..200 {
            q.push(big_head(n), 0);
        }
        let all = write_parts(&mut q, &mut store);
        let last = *all.last().unwrap();
        // A new event: only the last part.
        q.push(big_head(200), 1);
        assert_eq!(write_parts(&mut q, &mut store), [last]);
        // A delivered batch of the 50 oldest: only the parts they were in; the first one is emptied and removed.
        let b = q.take_due(2, "k").unwrap();
        assert_eq!(b.count, 50);
        ack(&mut q, &b, SendOutcome::Accepted, 3);
        let touched = write_parts(&mut q, &mut store);
        assert_eq!(touched[0], all[0]);
        assert!(touched.len() <= 2, "{touched:?}");
        assert!(
            !store.iter().any(|(p, _)| *p == all[0]),
            "an empty part's key is removed"
        );
        let mut again = queue(1_000);
        for (_, text) in &store {
            assert!(again.restore(text));
        }
        assert_eq!(ns_of(&again), (50..201).map(f64::from).collect::<Vec<_>>());
    }

    #[test]
    fn at_the_bound_a_new_event_rewrites_the_first_and_last_parts_only() {
        let mut q = Queue::new(QueueConfig {
            max_bytes: 256 * 1024,
            ..QueueConfig::default()
        });
        let mut store = Vec::new();
        for n in 0..400 {
            q.push(big_head(n), 0);
        }
        assert!(q.dropped.overflow > 0);
        write_parts(&mut q, &mut store);
        for n in 400..420 {
            q.push(big_head(n), 0);
            let touched = write_parts(&mut q, &mut store);
            assert!(touched.len() <= 3, "{touched:?}");
            let bytes: usize = store
                .iter()
                .filter(|(p, _)| touched.contains(p))
                .map(|(_, t)| t.len())
                .sum();
            assert!(
                bytes <= 3 * (PART_BYTES + 2 * 1024),
                "{bytes} bytes rewritten"
            );
        }
        let mut again = queue(1_000);
        for (_, text) in &store {
            assert!(again.restore(text));
        }
        assert_eq!(ns_of(&again), ns_of(&q));
    }

    #[test]
    fn log_part_names_are_read_strictly() {
        assert_eq!(log_part_name("123"), Some(("123", 0)));
        assert_eq!(log_part_name("123~1"), Some(("123", 1)));
        assert_eq!(log_part_name("123~40"), Some(("123", 40)));
        for bad in [
            "123~",
            "123~0",
            "123~01",
            "123~-1",
            "123~x",
            "123~1~2",
            "123~1234567890",
        ] {
            assert_eq!(log_part_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn imported_events_do_not_change_this_tabs_parts() {
        let mut other = queue(1_000);
        other.push(message(1), 0);
        let mut q = queue(1_000);
        assert_eq!(q.import(&other.encode(), 7, 0), Some(1));
        assert!(!q.has_dirty_parts());
        q.request_flush();
        let b = q.take_due(1, "k").unwrap();
        ack(&mut q, &b, SendOutcome::Accepted, 2);
        assert!(!q.has_dirty_parts());
        assert_eq!(q.take_foreign_acks(), [(7, 1)]);
    }

    #[test]
    fn restoring_foreign_or_corrupt_text_is_safe() {
        let mut q = queue(100);
        assert!(!q.restore("not a queue"));
        assert!(!q.restore(""));
        let text = format!(
            "{PERSIST_HEADER}\nc 1 {{}}\ne 1 5 1 {}\ne 2 x 1 {{\"context\":\ne 3 5 9 {{\"context\":\nzzz\ne 4 5 1 {{\"broken\",\"context\":\nc nope\ne 5 5 1 {{\"type\":\"track\",\"context\":\ne 6 5 1 {}\ne 6 5 1 {}\n",
            message(1),
            message(6),
            message(6),
        );
        assert!(q.restore(&text));
        assert_eq!(q.len(), 4);
        assert_eq!(
            q.dropped.corrupt, 5,
            "bad lines, and a line repeated (its number not above the one before)"
        );
        q.request_flush();
        let b = q.take_due(10, "k").unwrap();
        assert_eq!(
            b.count, 2,
            "the malformed message, and the one without its id, are dropped when checked before sending"
        );
        assert_eq!(q.dropped.corrupt, 7);
        json::parse(&b.body).unwrap();
    }

    #[test]
    fn the_sending_tab_imports_other_logs_and_reports_what_was_accepted() {
        // Tab A owns three events.
        let mut a = queue(100);
        a.set_context("{\"tab\":\"a\"}".into());
        for n in 1..=3 {
            a.push(message(n), n as Millis);
        }
        let log_a = a.encode();
        // Tab B sends: it imports A's log next to its own event.
        let mut b = queue(100);
        b.set_context("{\"tab\":\"b\"}".into());
        b.push(head(10), 0);
        while b.next_dirty_part().is_some() {}
        assert_eq!(b.import(&log_a, 7, 0), Some(3));
        assert_eq!(b.len(), 4);
        assert!(
            !b.has_dirty_parts(),
            "imported events do not call for a write of this tab's log"
        );
        assert!(
            !b.encode().contains("\"tab\":\"a\""),
            "imported events stay in their owner's log"
        );
        // Importing again after seq 3 adds nothing.
        assert_eq!(b.import(&log_a, 7, 3), Some(3));
        assert_eq!(b.len(), 4);
        b.request_flush();
        let batch = b.take_due(0, "k").unwrap();
        assert_eq!(sent_ns(&batch), [10.0, 1.0, 2.0, 3.0]);
        ack(&mut b, &batch, SendOutcome::Accepted, 0);
        assert_eq!(b.take_foreign_acks(), [(7, 3)]);
        assert!(b.take_foreign_acks().is_empty());
        // A hears that 1..=3 were delivered and forgets them.
        a.push(head(4), 4);
        a.prune_own_through(3);
        assert_eq!(
            a.items().map(|i| i.head.clone()).collect::<Vec<_>>(),
            [head(4)]
        );
    }

    /// A context that a log taken in names, and that only events the bound drops during the import were using (a
    /// message with a context of its own, as another tab's call on the same page made it too), stays for the log's
    /// events that use it: they are sent with it, and a restored log writes it again with them.
    #[test]
    fn a_context_whose_last_event_the_bound_drops_during_an_import_stays_for_the_imported_ones() {
        let own = "{\"page\":\"a\",\"ip\":\"0.0.0.0\"}";
        let config = QueueConfig {
            max_events: 2,
            ..QueueConfig::default()
        };
        let mut other = Queue::new(config.clone());
        other.set_context("{\"page\":\"b\"}".into());
        other.push(head(3), 3);
        other.push_with_context(head(4), own, 4);
        let log = other.encode();
        let expected = [
            "{\"n\":3,\"context\":{\"page\":\"b\"}}".to_string(),
            format!("{{\"n\":4,\"context\":{own}}}"),
        ];
        for imported in [true, false] {
            let mut q = Queue::new(config.clone());
            q.push_with_context(head(1), own, 1);
            q.set_context("{\"page\":\"c\"}".into());
            q.push(head(2), 2);
            // At the bound, the log's first event drops event 1, the last one using that context, before the
            // log's second event, which uses it too, comes in.
            let took = if imported {
                q.import(&log, 7, 0).is_some()
            } else {
                q.restore(&log)
            };
            assert!(took);
            let msgs: Vec<String> = q.items().map(|i| q.message_json(i)).collect();
            assert_eq!(msgs, expected, "imported: {imported}");
            assert_eq!(
                q.bytes(),
                2 * head(3).len() + "{\"page\":\"b\"}{\"page\":\"c\"}".len() + own.len()
            );
            if !imported {
                let mut again = Queue::new(config.clone());
                assert!(again.restore(&q.encode()));
                let msgs: Vec<String> = again.items().map(|i| again.message_json(i)).collect();
                assert_eq!(msgs, expected, "written and restored again");
                assert_eq!(again.dropped.corrupt, 0);
            }
        }
    }

    /// The sending tab takes in another tab's log part again each time that tab writes it, after the events it
    /// already has. The contexts of those events (a context of its own on every message) are of no use again: they
    /// are not counted against the byte bound meanwhile, so the new event does not drop older ones the bound did
    /// not require dropping.
    #[test]
    fn importing_a_part_again_does_not_count_the_contexts_of_events_already_taken() {
        let own = |n: usize| {
            format!(
                "{{\"ip\":\"10.0.0.{}\",\"n\":{n},\"pad\":\"{}\"}}",
                n % 251,
                "x".repeat(300)
            )
        };
        let mut other = queue(10_000);
        for n in 0..100 {
            other.push_with_context(message(n), &own(n), n as Millis);
        }
        let first = other.encode();
        let mut probe = queue(10_000);
        assert_eq!(probe.import(&first, 7, 0), Some(100));
        // The sender has room for a few more such messages, far less than the part's contexts.
        let mut b = Queue::new(QueueConfig {
            max_bytes: probe.bytes() + 4 * own(0).len(),
            ..QueueConfig::default()
        });
        assert_eq!(b.import(&first, 7, 0), Some(100));
        assert_eq!(b.len(), 100);
        other.push_with_context(message(100), &own(100), 100);
        assert_eq!(b.import(&other.encode(), 7, 100), Some(101));
        assert_eq!(b.dropped, DropCounts::default());
        assert_eq!(b.len(), 101);
        let msgs: Vec<String> = b.items().map(|i| b.message_json(i)).collect();
        let expected: Vec<String> = other.items().map(|i| other.message_json(i)).collect();
        assert_eq!(msgs, expected);
        assert_eq!(
            b.bytes(),
            (0..=100)
                .map(|n| message(n).len() + own(n).len())
                .sum::<usize>()
        );
    }

    #[test]
    fn a_failed_send_of_imported_events_reports_nothing() {
        let mut a = queue(100);
        a.push(message(1), 0);
        let mut b = queue(1);
        b.import(&a.encode(), 1, 0);
        let batch = b.take_due(0, "k").unwrap();
        ack(&mut b, &batch, SendOutcome::Retry { retry_after: None }, 0);
        assert!(b.take_foreign_acks().is_empty());
        assert_eq!(b.len(), 1);
    }
}

/// The queue against a simple model of its bounds (a plain `Vec` of events, each drop a `Vec::remove` of the oldest
/// one behind the batch in flight): random runs of pushes, restored logs (with damaged messages, dropped when
/// checked before a send), sends of all or `flush_at` events, answers and offline spells, under small bounds. After
/// each step the events waiting, their order, the batch in flight, the drop counts and the bytes agree, and the
/// stored log's parts, written as the web layer writes them, restore to the same events. (proptest is a native-only
/// dev-dependency.)
#[cfg(all(test, not(target_arch = "wasm32")))]
mod model_tests {
    use super::tests::{ns_of, write_parts};
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        /// An event whose head is padded by this many bytes.
        Push(usize),
        /// A log of messages taken in; false for one without its `messageId`.
        Restore(Vec<bool>),
        /// A send when due, of every event (`true`: `flush()`) or of `flush_at`.
        Send(bool),
        /// The answer to the batch in flight: accepted, retry, rejected.
        Answer(u8),
        Paused(bool),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            8 => (0usize..60).prop_map(Op::Push),
            1 => (200usize..700).prop_map(Op::Push),
            1 => proptest::collection::vec(any::<bool>(), 1..8).prop_map(Op::Restore),
            2 => any::<bool>().prop_map(Op::Send),
            2 => (0u8..3).prop_map(Op::Answer),
            1 => any::<bool>().prop_map(Op::Paused),
        ]
    }

    /// A model event: its sequence number, its number `n`, its head's length, and, restored, whether it is damaged
    /// and not yet checked.
    #[derive(Debug, Clone, Copy)]
    struct Event {
        seq: u64,
        n: usize,
        len: usize,
        bad_unchecked: bool,
        unchecked: bool,
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn the_bounds_drop_what_a_plain_model_drops(
            max_events in 1usize..30,
            max_bytes in 100usize..3_000,
            flush_at in 1usize..8,
            ops in proptest::collection::vec(op(), 1..150),
        ) {
            let config = QueueConfig { flush_at, max_events, max_bytes, ..QueueConfig::default() };
            let mut q = Queue::new(config);
            q.set_context("{}".into());
            let mut model: Vec<Event> = Vec::new();
            let (mut next_seq, mut next_n) = (1u64, 0usize);
            let mut in_flight: Option<(u64, u64)> = None;
            let (mut flush, mut paused) = (false, false);
            let mut dropped = DropCounts::default();
            let mut store: Vec<(u32, String)> = Vec::new();
            for op in ops {
                let mut added = Vec::new();
                match &op {
                    Op::Push(pad) => {
                        let head = format!("{{\"n\":{next_n},\"pad\":\"{}\",\"context\":", "x".repeat(*pad));
                        added.push((next_n, head.len(), false, false));
                        q.push(head, 0);
                        next_n += 1;
                    }
                    Op::Restore(good) => {
                        let mut text = format!("{PERSIST_HEADER}\nc 1 {{}}\n");
                        for (i, good) in good.iter().enumerate() {
                            let id = if *good { format!("\"messageId\":\"m{next_n}\",") } else { String::new() };
                            let head = format!("{{{id}\"n\":{next_n},\"context\":");
                            text.push_str(&format!("e {} 0 1 {head}\n", i + 1));
                            added.push((next_n, head.len(), !good, true));
                            next_n += 1;
                        }
                        prop_assert!(q.restore(&text));
                    }
                    Op::Send(all) => {
                        if *all {
                            q.request_flush();
                            flush = !model.is_empty();
                        }
                        q.retry_now();
                        let due = in_flight.is_none() && !paused && !model.is_empty()
                            && (flush || model.len() >= flush_at);
                        let batch = q.take_due(0, "k");
                        if due {
                            // Every event the batch may take is checked first; the damaged ones are dropped.
                            let limit = if flush { usize::MAX } else { flush_at };
                            let (mut i, mut checked) = (0, 0);
                            while i < model.len() && checked < limit {
                                if model[i].bad_unchecked {
                                    model.remove(i);
                                    dropped.corrupt += 1;
                                    continue;
                                }
                                model[i].unchecked = false;
                                i += 1;
                                checked += 1;
                            }
                        }
                        match batch {
                            Some(b) => {
                                prop_assert!(due);
                                prop_assert!(b.count >= 1 && b.count <= model.len());
                                prop_assert!(flush || b.count <= flush_at);
                                prop_assert_eq!((b.first_seq, b.last_seq), (model[0].seq, model[b.count - 1].seq));
                                in_flight = Some((b.first_seq, b.last_seq));
                            }
                            None => prop_assert!(!due || model.is_empty()),
                        }
                    }
                    Op::Answer(outcome) => {
                        let outcome = match outcome {
                            0 => SendOutcome::Accepted,
                            1 => SendOutcome::Retry { retry_after: None },
                            _ => SendOutcome::Rejected { status: 400 },
                        };
                        prop_assert_eq!(q.ack_in_flight(outcome, 0, 0.5), in_flight.is_some());
                        if let Some((first, last)) = in_flight.take() {
                            let before = model.len();
                            if outcome != (SendOutcome::Retry { retry_after: None }) {
                                model.retain(|e| e.seq < first || e.seq > last);
                            }
                            if let SendOutcome::Rejected { .. } = outcome {
                                dropped.rejected += (before - model.len()) as u64;
                            }
                            if model.is_empty() {
                                flush = false;
                            }
                        }
                    }
                    Op::Paused(p) => {
                        q.set_paused(*p);
                        paused = *p;
                    }
                }
                for (n, len, bad, unchecked) in added {
                    model.push(Event { seq: next_seq, n, len, bad_unchecked: bad, unchecked });
                    next_seq += 1;
                    // The bound: the oldest event behind the batch in flight, one at a time, but never the only one.
                    while model.len() > max_events
                        || model.iter().map(|e| e.len).sum::<usize>() + 2 > max_bytes
                    {
                        let last = in_flight.map_or(0, |(_, last)| last);
                        let Some(at) = model.iter().position(|e| e.seq > last) else { break };
                        if model.len() == 1 {
                            break;
                        }
                        model.remove(at);
                        dropped.overflow += 1;
                    }
                }
                let q_seqs: Vec<u64> = q.items().map(|i| i.seq).collect();
                let m_seqs: Vec<u64> = model.iter().map(|e| e.seq).collect();
                prop_assert_eq!(&q_seqs, &m_seqs, "after {:?}", op);
                prop_assert_eq!(ns_of(&q), model.iter().map(|e| e.n as f64).collect::<Vec<_>>());
                prop_assert_eq!(q.len(), model.len());
                prop_assert_eq!(q.dropped, dropped);
                prop_assert_eq!(q.in_flight(), in_flight);
                prop_assert_eq!(q.bytes(), model.iter().map(|e| e.len).sum::<usize>() + 2);
                let unchecked: Vec<bool> = q.items().map(|i| i.unverified).collect();
                prop_assert_eq!(unchecked, model.iter().map(|e| e.unchecked).collect::<Vec<_>>());
                // The stored log, written part by part, holds the same events.
                write_parts(&mut q, &mut store);
                let mut again = Queue::new(QueueConfig::default());
                for (_, text) in &store {
                    prop_assert!(again.restore(text));
                }
                prop_assert_eq!(ns_of(&again), ns_of(&q));
            }
        }
    }
}
