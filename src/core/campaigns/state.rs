//! What the engine remembers across page loads: per-campaign history (shows, answered, last dismissal), the
//! session's prompt count and last prompt, the open prompt, and pending delays. Serialised to a versioned
//! [`Value`]; everything restored is bounded and checked against the current campaigns.

use super::limits::{MAX_PENDING, MAX_SHOWS_KEPT};
use super::model::Campaign;
use crate::core::json::{write_number, write_string, Map, Value};

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

    /// Takes in another tab's history of the same campaign (see [`State::absorb`]): the union of the show times
    /// (a time both hold is kept once; the newest [`MAX_SHOWS_KEPT`], sorted), answered or held out if either
    /// is, the later dismissal.
    fn absorb(&mut self, other: &History) {
        for &t in &other.shows {
            if !holds(&self.shows, t) {
                self.keep_show(t);
            }
        }
        self.answered |= other.answered;
        self.held_out |= other.held_out;
        self.dismissed_at = later(self.dismissed_at, other.dismissed_at);
    }

    /// Whether this history holds something `other` lacks, once it has taken `other` in: a show time `other`
    /// does not hold (one it dropped as too old is not kept here either), an answer, a hold-out or a later
    /// dismissal. Asked by membership, not equality, so a time recorded twice here is not news to `other`.
    fn beyond(&self, other: &History) -> bool {
        for t in &self.shows {
            if !holds(&other.shows, *t) {
                return true;
            }
        }
        (self.answered && !other.answered)
            || (self.held_out && !other.held_out)
            || at(self.dismissed_at) > at(other.dismissed_at)
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

/// Whether `t` is among `shows` (a plain loop: `contains` links an unrolled search of its own).
fn holds(shows: &[i64], t: i64) -> bool {
    for &s in shows {
        if s == t {
            return true;
        }
    }
    false
}

/// A time or session that may be missing, as a number in the same order: none comes before every time (all are
/// within `±MAX_TIME_MS`). Compared as plain numbers, not as `Option`s, whose comparisons link code of their own.
fn at(t: Option<i64>) -> i64 {
    t.unwrap_or(i64::MIN)
}

/// The later of two times that may be missing.
fn later(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    if at(b) > at(a) {
        b
    } else {
        a
    }
}

/// The history of a campaign with nothing to remember.
static NO_HISTORY: History = History {
    shows: Vec::new(),
    answered: false,
    held_out: false,
    dismissed_at: None,
};

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
    /// Histories, by id, of campaigns not in this config that another tab running another config stored: written
    /// back as they were, else each tab's write would drop the other's and be answered for ever.
    pub foreign: Map,
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

    /// Takes in the state another tab of the same site stored (tabs share one stored state, and each writes its
    /// whole state), so that what either tab recorded holds in both, and survives whichever writes last:
    ///
    /// - each campaign's history: the union of show times (a time both hold is kept once; the newest
    ///   [`MAX_SHOWS_KEPT`], sorted), answered or held out if either is, the later dismissal;
    /// - the session's prompt count: in the same session the larger count; else the later session, with its count;
    /// - the last prompt: the later one;
    /// - the open prompt, pending delays and engaged time stay this tab's: they belong to its screen, its timers
    ///   and its own time on the page, and the other tab keeps its own (taking them in would show or time a
    ///   prompt twice).
    ///
    /// The merge is idempotent and, on the fields it merges, commutative: taking in a state that already holds
    /// everything this one does changes nothing, so two tabs converge. Gives whether this state then holds
    /// something `other` lacks: the other tab learns it only if this one writes, and when neither holds anything
    /// the other lacks neither writes again (no write answers a write for ever).
    pub fn absorb(&mut self, other: &State) -> bool {
        for (i, h) in &other.history {
            self.history_mut(*i).absorb(h);
        }
        let mut beyond = false;
        for (i, h) in &self.history {
            beyond |= h.beyond(other.history(*i).unwrap_or(&NO_HISTORY));
        }
        if at(self.session) == at(other.session) {
            beyond |= self.session_prompts > other.session_prompts;
            self.session_prompts = self.session_prompts.max(other.session_prompts);
        } else if at(self.session) < at(other.session) {
            self.session = other.session;
            self.session_prompts = other.session_prompts;
        } else {
            beyond = true;
        }
        beyond |= at(self.last_prompt_at) > at(other.last_prompt_at);
        self.last_prompt_at = later(self.last_prompt_at, other.last_prompt_at);
        beyond
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
    /// Without `pending`, the waiting delays are left out (`"pending": []`).
    pub fn write(&self, campaigns: &[Campaign], pending: bool, out: &mut String) {
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
        for (id, h) in self.foreign.iter() {
            if !first {
                out.push(',');
            }
            first = false;
            write_string(id, out);
            out.push(':');
            out.push_str(&h.to_json());
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
        let list: &[Pending] = if pending { &self.pending } else { &[] };
        for (k, p) in list.iter().enumerate() {
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
    use super::{History, State, MAX_SHOWS_KEPT};
    use proptest::prelude::*;

    fn history(
        shows: &[i64],
        answered: bool,
        held_out: bool,
        dismissed_at: Option<i64>,
    ) -> History {
        History {
            shows: shows.to_vec(),
            answered,
            held_out,
            dismissed_at,
        }
    }

    /// What the merge decides, in a comparable form: the histories with something in them, by campaign; the
    /// session, its prompt count and the last prompt.
    type Merged = (Vec<(usize, History)>, Option<i64>, u32, Option<i64>);

    fn merged(s: &State) -> Merged {
        let mut h: Vec<(usize, History)> = s
            .history
            .iter()
            .filter(|(_, h)| *h != History::default())
            .cloned()
            .collect();
        h.sort_by_key(|(i, _)| *i);
        (h, s.session, s.session_prompts, s.last_prompt_at)
    }

    fn absorbed(mut ours: State, theirs: &State) -> (State, bool) {
        let beyond = ours.absorb(theirs);
        (ours, beyond)
    }

    #[test]
    fn another_tabs_state_is_merged_by_the_rules() {
        let ours = State {
            history: vec![
                (0, history(&[10, 30], false, false, Some(40))),
                (2, history(&[5], false, true, None)),
            ],
            session: Some(100),
            session_prompts: 1,
            last_prompt_at: Some(30),
            open: Some((0, 30)),
            engaged_ms: 7,
            ..State::default()
        };
        let theirs = State {
            history: vec![
                (0, history(&[20, 30], true, false, Some(35))),
                (1, history(&[25], false, false, Some(26))),
            ],
            session: Some(100),
            session_prompts: 2,
            last_prompt_at: Some(25),
            open: Some((1, 25)),
            engaged_ms: 9,
            ..State::default()
        };
        let (s, beyond) = absorbed(ours, &theirs);
        assert_eq!(
            s.history(0),
            Some(&history(&[10, 20, 30], true, false, Some(40)))
        );
        assert_eq!(s.history(1), Some(&history(&[25], false, false, Some(26))));
        assert_eq!(s.history(2), Some(&history(&[5], false, true, None)));
        assert_eq!((s.session, s.session_prompts), (Some(100), 2));
        assert_eq!(s.last_prompt_at, Some(30));
        // This tab's screen and timers.
        assert_eq!((s.open, s.engaged_ms), (Some((0, 30)), 7));
        assert!(
            beyond,
            "a show, a dismissal, a hold-out and a prompt the other tab lacks"
        );
    }

    #[test]
    fn the_later_session_wins_with_its_count() {
        let old = State {
            session: Some(100),
            session_prompts: 3,
            ..State::default()
        };
        let new = State {
            session: Some(200),
            session_prompts: 1,
            ..State::default()
        };
        let (s, beyond) = absorbed(old.clone(), &new);
        assert_eq!(
            (s.session, s.session_prompts, beyond),
            (Some(200), 1, false)
        );
        let (s, beyond) = absorbed(new.clone(), &old);
        assert_eq!((s.session, s.session_prompts, beyond), (Some(200), 1, true));
        let (s, beyond) = absorbed(State::default(), &new);
        assert_eq!(
            (s.session, s.session_prompts, beyond),
            (Some(200), 1, false)
        );
    }

    #[test]
    fn only_what_the_other_tab_lacks_asks_for_a_write() {
        let theirs = State {
            history: vec![(0, history(&[10, 20], true, false, Some(30)))],
            session: Some(1),
            session_prompts: 2,
            last_prompt_at: Some(20),
            ..State::default()
        };
        // Less than theirs, or the same: nothing to tell.
        let less = State {
            history: vec![(0, history(&[20], false, false, None))],
            session: Some(1),
            session_prompts: 1,
            // Our own screen and timers are not news.
            open: Some((0, 20)),
            engaged_ms: 5,
            ..State::default()
        };
        assert!(!absorbed(less, &theirs).1);
        assert!(!absorbed(theirs.clone(), &theirs).1);
        // A time recorded twice here is not news either.
        let twice = State {
            history: vec![(0, history(&[10, 10, 20], false, false, None))],
            ..theirs.clone()
        };
        assert!(!absorbed(twice, &theirs).1);
        // Each thing they lack is.
        let more = |h: History| State {
            history: vec![(0, h)],
            ..theirs.clone()
        };
        assert!(absorbed(more(history(&[15], false, false, None)), &theirs).1);
        assert!(absorbed(more(history(&[], false, true, None)), &theirs).1);
        assert!(absorbed(more(history(&[], false, false, Some(31))), &theirs).1);
        let other_campaign = State {
            history: vec![(1, history(&[5], false, false, None))],
            ..theirs.clone()
        };
        assert!(absorbed(other_campaign, &theirs).1);
        let more_prompts = State {
            session_prompts: 3,
            ..theirs.clone()
        };
        assert!(absorbed(more_prompts, &theirs).1);
        let later_prompt = State {
            last_prompt_at: Some(21),
            ..theirs.clone()
        };
        assert!(absorbed(later_prompt, &theirs).1);
    }

    #[test]
    fn the_newest_shows_are_kept_and_an_older_one_is_not_news() {
        let all: Vec<i64> = (0..MAX_SHOWS_KEPT as i64 + 4).collect();
        let ours = State {
            history: vec![(0, history(&all[..4], false, false, None))],
            ..State::default()
        };
        let theirs = State {
            history: vec![(0, history(&all[4..], false, false, None))],
            ..State::default()
        };
        let (s, beyond) = absorbed(ours, &theirs);
        assert_eq!(s.history(0).map(|h| &h.shows[..]), Some(&all[4..]));
        assert!(!beyond);
    }

    fn a_history() -> impl Strategy<Value = History> {
        (
            proptest::collection::btree_set(0i64..60, 0..MAX_SHOWS_KEPT + 6),
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(0i64..60),
        )
            .prop_map(|(shows, answered, held_out, dismissed_at)| {
                let shows: Vec<i64> = shows.into_iter().collect();
                History {
                    shows: shows[shows.len().saturating_sub(MAX_SHOWS_KEPT)..].to_vec(),
                    answered,
                    held_out,
                    dismissed_at,
                }
            })
    }

    fn a_state() -> impl Strategy<Value = State> {
        (
            proptest::collection::btree_map(0usize..4, a_history(), 0..4),
            proptest::option::of(0i64..3),
            0u32..4,
            proptest::option::of(0i64..60),
            proptest::option::of((0usize..4, 0i64..60)),
            0i64..9,
        )
            .prop_map(
                |(history, session, session_prompts, last_prompt_at, open, engaged_ms)| State {
                    history: history.into_iter().collect(),
                    session,
                    session_prompts,
                    last_prompt_at,
                    open,
                    engaged_ms,
                    ..State::default()
                },
            )
    }

    proptest! {
        /// Two tabs converge: either order of merging gives the same, merging again changes nothing, and the
        /// answer to "must this tab write?" is whether the other tab would learn something from it.
        #[test]
        fn merging_is_commutative_idempotent_and_says_when_to_write(a in a_state(), b in a_state()) {
            let (ab, a_beyond) = absorbed(a.clone(), &b);
            let (ba, _) = absorbed(b.clone(), &a);
            prop_assert_eq!(merged(&ab), merged(&ba));
            prop_assert_eq!(a_beyond, merged(&ab) != merged(&b));
            // This tab's screen and timers stay.
            prop_assert_eq!((ab.open, ab.engaged_ms), (a.open, a.engaged_ms));
            // Merging either part, or the merge itself, again changes nothing (and the merge itself is not news).
            for part in [&a, &b, &ab] {
                let (again, beyond) = absorbed(ab.clone(), part);
                prop_assert_eq!(merged(&again), merged(&ab));
                prop_assert_eq!(beyond, merged(&ab) != merged(part));
            }
            // The other tab, taking in what this one then writes, holds the same and has nothing to answer.
            let (b2, b_beyond) = absorbed(b.clone(), &ab);
            prop_assert_eq!(merged(&b2), merged(&ab));
            prop_assert!(!b_beyond);
        }
    }

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
