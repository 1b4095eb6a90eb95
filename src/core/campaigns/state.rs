//! What the engine remembers across page loads: per-campaign history (shows, answered, last dismissal), the
//! session's prompt count and last prompt, the open prompt, and pending delays. Serialised to a versioned
//! [`Value`]; everything restored is bounded and checked against the current campaigns.

use super::limits::{MAX_PENDING, MAX_SHOWS_KEPT};
use super::model::Campaign;
use crate::core::json::{write_number, write_string, Value};

/// Version of the persisted form; another version is discarded (a fresh start), never misread.
pub const STATE_VERSION: f64 = 1.0;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// Show (or held-out) times, oldest first, at most [`MAX_SHOWS_KEPT`].
    pub shows: Vec<i64>,
    pub answered: bool,
    pub held_out: bool,
    pub dismissed_at: Option<i64>,
}

impl History {
    /// Adds a show time read back, in any order: the newest [`MAX_SHOWS_KEPT`] are kept, sorted. One older than
    /// every show kept, when they are as many as that, is not among them; any other takes the oldest's place and
    /// is moved down past the later times (an insertion without `Vec::insert`, whose code would be linked for
    /// this alone).
    fn keep_show(&mut self, t: i64) {
        if self.shows.len() >= MAX_SHOWS_KEPT
            && self.shows.first().is_some_and(|&oldest| t < oldest)
        {
            return;
        }
        self.record_show(t);
        let mut k = self.shows.len() - 1;
        while k > 0 && self.shows[k - 1] > t {
            self.shows.swap(k - 1, k);
            k -= 1;
        }
    }

    pub fn record_show(&mut self, now: i64) {
        if self.shows.len() >= MAX_SHOWS_KEPT {
            // The oldest leaves: the rest move down one place (cheaper in wasm than `remove`).
            self.shows.copy_within(1.., 0);
            self.shows.pop();
        }
        self.shows.push(now);
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pending {
    /// The campaign's position in the config.
    pub campaign: usize,
    pub due: i64,
    pub triggered_at: i64,
    pub session: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct State {
    /// By campaign (its position in the config; persisted by id), only for campaigns with something to remember.
    pub history: Vec<(usize, History)>,
    pub session: Option<i64>,
    pub session_prompts: u32,
    pub last_prompt_at: Option<i64>,
    /// The prompt on screen (its campaign's position) and since when.
    pub open: Option<(usize, i64)>,
    pub pending: Vec<Pending>,
    /// The session's engaged time as last reported, so an `engagedTime` threshold fires once per session.
    pub engaged_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateError {
    NotAnObject,
    Version,
}

/// A time or count as the state writes it (as a JSON number, like every number in a [`Value`]).
fn num(v: i64, out: &mut String) {
    write_number(v as f64, out);
}

/// `key` (with its comma, colon and quotes) and the number, when there is one.
fn field(key: &str, n: Option<i64>, out: &mut String) {
    if let Some(n) = n {
        out.push_str(key);
        num(n, out);
    }
}

fn time(v: Option<&Value>) -> Option<i64> {
    v.and_then(Value::as_f64)
        .filter(|t| t.is_finite() && t.abs() <= super::limits::MAX_TIME_MS as f64)
        .map(|t| t as i64)
}

/// The position of the campaign `id` among `known`.
pub fn position(known: &[Campaign], id: &str) -> Option<usize> {
    for (i, c) in known.iter().enumerate() {
        if c.id == id {
            return Some(i);
        }
    }
    None
}

impl State {
    /// The history of the campaign at position `campaign`.
    pub fn history(&self, campaign: usize) -> Option<&History> {
        for (k, h) in &self.history {
            if *k == campaign {
                return Some(h);
            }
        }
        None
    }

    pub fn history_mut(&mut self, campaign: usize) -> &mut History {
        let mut i = 0;
        while i < self.history.len() && self.history[i].0 != campaign {
            i += 1;
        }
        if i == self.history.len() {
            self.history.push((campaign, History::default()));
        }
        &mut self.history[i].1
    }

    /// Removes the pending delay at `k`, the others keeping their order, and gives its campaign.
    pub fn take_pending(&mut self, k: usize) -> usize {
        let campaign = self.pending[k].campaign;
        self.pending.copy_within(k + 1.., k);
        self.pending.pop();
        campaign
    }

    pub fn pending(&self, campaign: usize) -> Option<&Pending> {
        self.pending.iter().find(|p| p.campaign == campaign)
    }

    /// Writes the persisted form as JSON; `campaigns` are those the positions refer to (campaigns are persisted
    /// by id). Written as text directly rather than built as a [`Value`] first: less code in the browser build.
    ///
    /// `{"v": 1, "c": {id: {"s": [show times], "a"?: true, "h"?: true, "d"?: dismissed}}, "session"?: id,
    /// "sp": prompts this session, "last"?: time, "open"?: [id, since], "pending": [{"c": id, "due": time, "at":
    /// triggered, "s"?: session}], "eng"?: engaged ms}`.
    pub fn write(&self, campaigns: &[Campaign], out: &mut String) {
        let id = |i: usize, out: &mut String| {
            write_string(campaigns.get(i).map_or("", |c| &c.id), out);
        };
        out.push_str("{\"v\":1,\"c\":{");
        let mut first = true;
        for (i, h) in &self.history {
            if campaigns.get(*i).is_none() {
                continue;
            }
            if !first {
                out.push(',');
            }
            first = false;
            id(*i, out);
            out.push_str(":{\"s\":[");
            for (k, &t) in h.shows.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                num(t, out);
            }
            out.push(']');
            if h.answered {
                out.push_str(",\"a\":true");
            }
            if h.held_out {
                out.push_str(",\"h\":true");
            }
            field(",\"d\":", h.dismissed_at, out);
            out.push('}');
        }
        out.push('}');
        field(",\"session\":", self.session, out);
        field(",\"sp\":", Some(i64::from(self.session_prompts)), out);
        field(",\"last\":", self.last_prompt_at, out);
        if let Some((i, at)) = self.open {
            out.push_str(",\"open\":[");
            id(i, out);
            out.push(',');
            num(at, out);
            out.push(']');
        }
        out.push_str(",\"pending\":[");
        for (k, p) in self.pending.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            out.push_str("{\"c\":");
            id(p.campaign, out);
            field(",\"due\":", Some(p.due), out);
            field(",\"at\":", Some(p.triggered_at), out);
            field(",\"s\":", p.session, out);
            out.push('}');
        }
        out.push(']');
        field(",\"eng\":", Some(self.engaged_ms).filter(|&e| e != 0), out);
        out.push('}');
    }

    /// Reads a persisted state, keeping only what concerns the `known` campaigns, within the bounds.
    pub fn from_value(v: &Value, known: &[Campaign]) -> Result<State, StateError> {
        let m = v.as_object().ok_or(StateError::NotAnObject)?;
        if m.get("v").and_then(Value::as_f64) != Some(STATE_VERSION) {
            return Err(StateError::Version);
        }
        let mut s = State::default();
        if let Some(c) = m.get("c").and_then(Value::as_object) {
            for (id, h) in c.iter() {
                let Some(i) = position(known, id) else {
                    continue;
                };
                if s.history(i).is_some() {
                    continue;
                }
                let mut history = History {
                    shows: Vec::new(),
                    answered: h.get("a").and_then(Value::as_bool).unwrap_or(false),
                    held_out: h.get("h").and_then(Value::as_bool).unwrap_or(false),
                    dismissed_at: time(h.get("d")),
                };
                // Written oldest first and at most MAX_SHOWS_KEPT long: a longer list was not written by this
                // SDK, and only its newest entries are read (which also bounds the work).
                let written = h.get("s").and_then(Value::as_array).unwrap_or_default();
                for t in &written[written.len().saturating_sub(MAX_SHOWS_KEPT * 4)..] {
                    if let Some(t) = time(Some(t)) {
                        history.keep_show(t);
                    }
                }
                s.history.push((i, history));
            }
        }
        s.session = time(m.get("session"));
        s.session_prompts = time(m.get("sp")).map_or(0, |n| n.clamp(0, i64::from(u32::MAX)) as u32);
        s.last_prompt_at = time(m.get("last"));
        s.engaged_ms = time(m.get("eng")).unwrap_or(0).max(0);
        if let Some([Value::String(id), at]) = m.get("open").and_then(Value::as_array) {
            if let Some(i) = position(known, id) {
                s.open = time(Some(at)).map(|at| (i, at));
            }
        }
        for p in m
            .get("pending")
            .and_then(Value::as_array)
            .unwrap_or_default()
        {
            let (Some(id), Some(due), Some(at)) = (
                p.get("c").and_then(Value::as_str),
                time(p.get("due")),
                time(p.get("at")),
            ) else {
                continue;
            };
            let Some(i) = position(known, id) else {
                continue;
            };
            if s.pending.len() < MAX_PENDING && s.pending(i).is_none() {
                s.pending.push(Pending {
                    campaign: i,
                    due,
                    triggered_at: at,
                    session: time(p.get("s")),
                });
            }
        }
        Ok(s)
    }
}

// proptest is a native-only dev-dependency (the crate's tests also build for wasm32).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::{History, MAX_SHOWS_KEPT};
    use proptest::prelude::*;

    proptest! {
        /// Show times read one by one keep what sorting them all and keeping the newest did.
        #[test]
        fn kept_shows_agree_with_a_sort_of_them_all(times in proptest::collection::vec(-20i64..60, 0..140)) {
            let mut all = times.clone();
            all.sort();
            let then = all[all.len().saturating_sub(MAX_SHOWS_KEPT)..].to_vec();
            let mut h = History::default();
            for t in times {
                h.keep_show(t);
            }
            prop_assert_eq!(h.shows, then);
        }
    }
}
