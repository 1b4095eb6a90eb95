//! The aggregate store: one state per distinct aggregate that the bound rules need, updated as events arrive,
//! bounded in bytes, and persisted with the profile as a versioned JSON value.

use std::rc::Rc;

use super::aggregate::{State, Tally};
use super::eval::matches_event;
use super::input::{Event, Fact, Input};
use super::limits::{clamp_time, MAX_AGGREGATES, MAX_STATE_BYTES, MAX_STEPS, MAX_TIME_MS};
use super::program::Program;
use super::series::Series;
use super::spec::{AggKind, AggSpec};
use crate::core::json::{write_number, write_string, write_value, Map, Value};

/// Version of the persisted form; a different version is discarded rather than misread.
pub const STATE_VERSION: f64 = 1.0;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// More distinct aggregates than [`MAX_AGGREGATES`].
    TooManyAggregates,
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::TooManyAggregates => write!(
                f,
                "the rules need more than {MAX_AGGREGATES} distinct aggregates"
            ),
        }
    }
}

/// Why persisted state was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateError {
    /// Not an object with a numeric `v`: not ours, or corrupt.
    Foreign,
    /// Written by another version of the format.
    Version,
}

/// What [`Store::restore`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Restored {
    /// States taken over from the persisted value.
    pub restored: usize,
    /// States present but unreadable, or laid out differently (their rule changed); they start afresh.
    pub discarded: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Store {
    specs: Vec<Rc<AggSpec>>,
    states: Vec<State>,
    /// Each state as this tab last took it in or wrote it (restored at load, another tab's write, or this tab's
    /// own): what it added since is what it has to add to another tab's state ([`Store::absorb`]).
    base: Vec<State>,
    weights: Vec<usize>,
    total_weight: usize,
    /// Slots watching each event name, in the order names were first seen. Found by a linear scan: a config
    /// watches few distinct names (at most [`MAX_AGGREGATES`]), and a sorted list with a binary search, or a
    /// `BTreeMap` (about 2.5 KB), costs more wasm for no visible gain.
    by_event: Vec<(String, Vec<usize>)>,
    /// Slots watching every event (sessions, engaged time).
    every: Vec<usize>,
    /// Buckets dropped to respect [`MAX_STATE_BYTES`]; reported, never silent.
    pub dropped_buckets: u64,
}

impl Store {
    pub fn new() -> Store {
        Store::default()
    }

    /// Registers the aggregates `program` needs (sharing any already registered with the same key) and points
    /// the program at their slots.
    pub fn bind(&mut self, program: &mut Program) -> Result<(), StoreError> {
        for local in 0..program.aggregates.len() {
            let spec = &program.aggregates[local];
            let slot = match self.specs.iter().position(|s| s.key == spec.key) {
                Some(slot) => slot,
                None => self.register(spec.clone())?,
            };
            program.slots[local] = slot;
        }
        Ok(())
    }

    fn register(&mut self, spec: Rc<AggSpec>) -> Result<usize, StoreError> {
        if self.specs.len() >= MAX_AGGREGATES {
            return Err(StoreError::TooManyAggregates);
        }
        let slot = self.specs.len();
        match &spec.kind {
            AggKind::Sessions | AggKind::Engaged => self.every.push(slot),
            AggKind::Sequence { steps, .. } => {
                for s in steps {
                    let slots = self.watchers(s);
                    // Slots are registered in increasing order: if this one is already listed (a step
                    // named twice), it is the last.
                    if slots.last() != Some(&slot) {
                        slots.push(slot);
                    }
                }
            }
            _ => self.watchers(&spec.event).push(slot),
        }
        let state = State::new(&spec);
        let weight = state.weight();
        self.weights.push(weight);
        self.total_weight += weight;
        self.base.push(state.clone());
        self.states.push(state);
        self.specs.push(spec);
        Ok(slot)
    }

    fn event_position(&self, name: &str) -> Option<usize> {
        self.by_event.iter().position(|(n, _)| n == name)
    }

    /// The slots watching event `name`, created empty on first use.
    fn watchers(&mut self, name: &str) -> &mut Vec<usize> {
        let i = match self.event_position(name) {
            Some(i) => i,
            None => {
                self.by_event.push((name.to_string(), Vec::new()));
                self.by_event.len() - 1
            }
        };
        &mut self.by_event[i].1
    }

    pub fn specs(&self) -> &[Rc<AggSpec>] {
        &self.specs
    }

    /// Applies an event at `now_ms` to the aggregates that watch its name and whose filter it passes. Returns
    /// the slots whose state changed. Costs time proportional to those aggregates, not to history.
    pub fn ingest(&mut self, event: &Event<'_>, now_ms: i64) -> Vec<usize> {
        let now_ms = clamp_time(now_ms);
        let mut changed = Vec::new();
        let named = match self.event_position(event.name) {
            Some(i) => self.by_event[i].1.as_slice(),
            None => &[],
        };
        for &slot in named.iter().chain(self.every.iter()) {
            let spec = &self.specs[slot];
            if let Some(filter) = &spec.filter {
                let mut budget = MAX_STEPS;
                if !matches_event(filter, &[], *event, &mut budget) {
                    continue;
                }
            }
            if self.states[slot].update(spec, event, now_ms) {
                changed.push(slot);
            }
        }
        for &slot in &changed {
            self.reweigh(slot);
        }
        self.enforce_budget();
        changed
    }

    /// Takes the weight of the state at `slot` anew, and the total with it.
    fn reweigh(&mut self, slot: usize) {
        let w = self.states[slot].weight();
        self.total_weight = self.total_weight + w - self.weights[slot];
        self.weights[slot] = w;
    }

    /// Keeps the persisted size under [`MAX_STATE_BYTES`] by dropping the oldest bucket of the heaviest state.
    fn enforce_budget(&mut self) {
        while self.total_weight > MAX_STATE_BYTES {
            // The heaviest; among equals the last (as `max_by_key` would pick).
            let mut heaviest = None;
            for (i, &w) in self.weights.iter().enumerate() {
                if heaviest.is_none_or(|h: usize| w >= self.weights[h]) {
                    heaviest = Some(i);
                }
            }
            let Some(slot) = heaviest else {
                return;
            };
            if !self.states[slot].drop_oldest() {
                return;
            }
            self.dropped_buckets += 1;
            self.reweigh(slot);
        }
    }

    pub fn value(&self, slot: usize, now_ms: i64) -> Fact<'_> {
        let now_ms = clamp_time(now_ms);
        match (self.specs.get(slot), self.states.get(slot)) {
            (Some(spec), Some(state)) => state.value(spec, now_ms),
            _ => Fact::Absent,
        }
    }

    /// The next instant after `now_ms` at which aggregate `slot` changes with no new event.
    pub fn next_change(&self, slot: usize, now_ms: i64) -> Option<i64> {
        let now_ms = clamp_time(now_ms);
        self.states
            .get(slot)?
            .next_change(&self.specs[slot], now_ms)
    }

    /// Moves every time the aggregates hold `d` ms earlier: see [`State::shift_back`]. (Their merge bases too, so
    /// that the move is not taken for events this tab added.)
    pub fn shift_back(&mut self, d: i64) {
        for s in self.states.iter_mut().chain(&mut self.base) {
            s.shift_back(d);
        }
    }

    /// Approximate persisted size in bytes.
    pub fn state_bytes(&self) -> usize {
        self.total_weight
    }

    /// Forgets all history (logout).
    pub fn clear(&mut self) {
        for (i, spec) in self.specs.iter().enumerate() {
            self.states[i] = State::new(spec);
            self.weights[i] = self.states[i].weight();
        }
        self.total_weight = self.weights.iter().sum();
        self.mark_written();
    }

    /// The states were written where other tabs read them: they are the base of the next merge.
    pub fn mark_written(&mut self) {
        // State by state: there is one base for each state (`Vec::clone_from` links code for other lengths).
        for (base, state) in self.base.iter_mut().zip(&self.states) {
            *base = state.clone();
        }
    }

    /// Takes the base of each aggregate `old` (the store this one replaces in the same page) also keeps: what
    /// that store added since its base is not written yet, and still to be added to another tab's state.
    pub fn keep_base(&mut self, old: &Store) {
        for slot in 0..self.specs.len() {
            for (j, spec) in old.specs.iter().enumerate() {
                if spec.key == self.specs[slot].key {
                    if let Some(b) = old.base.get(j) {
                        self.base[slot] = b.clone();
                    }
                }
            }
        }
    }

    /// Merges another tab's persisted aggregates (as [`Store::to_value`] writes them) into these, state by state
    /// ([`State::merged`]), at `now_ms`; each merged state's base becomes theirs, which is now what is stored. A
    /// state theirs lacks or cannot read stays this tab's (one they lack is not written back for them). Returns whether these hold something theirs lack (to
    /// be written back), else nothing is: repeating a merge, or merging theirs back, changes nothing, so two
    /// tabs settle. Their times are first moved `behind` ms earlier ([`State::shift_back`]): they were written on
    /// a clock since set back by as much, as this tab's own were moved when it saw the jump.
    pub fn absorb(&mut self, v: &Value, behind: i64, now_ms: i64) -> Result<bool, StateError> {
        let now = clamp_time(now_ms);
        let aggs = aggregates(v)?;
        let mut beyond = false;
        for slot in 0..self.specs.len() {
            let spec = &self.specs[slot];
            // Every aggregate of a config is written: one theirs lacks is not in their config (another tab
            // running another config), which would drop it again from a write back, so it is no news to them.
            let Some(saved) = aggs.get(&spec.key) else {
                continue;
            };
            let Some(mut theirs) = state_from_value(spec, saved) else {
                beyond |= differ(&self.states[slot], &State::new(spec));
                continue;
            };
            if behind > 0 {
                theirs.shift_back(behind);
            }
            theirs.prune(now);
            self.states[slot].prune(now);
            self.base[slot].prune(now);
            let changed = differ(&self.states[slot], &self.base[slot]);
            let merged = self.states[slot].merged(spec, &self.base[slot], &theirs, changed);
            beyond |= differ(&merged, &theirs);
            self.states[slot] = merged;
            self.base[slot] = theirs;
            self.reweigh(slot);
        }
        self.enforce_budget();
        Ok(beyond)
    }

    /// The persisted form: `{"v": 1, "a": {key: state, ...}}`.
    pub fn to_value(&self) -> Value {
        let mut text = String::new();
        self.write_state(&mut text);
        crate::core::json::parse(&text).unwrap_or(Value::Null)
    }

    /// Appends the persisted form ([`Store::to_value`]) as JSON text. Written directly rather than built as a
    /// [`Value`] first: building costs the browser build a map insertion for every field.
    pub fn write_state(&self, out: &mut String) {
        out.push_str("{\"v\":1,\"a\":{");
        for (i, (spec, state)) in self.specs.iter().zip(&self.states).enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(&spec.key, out);
            out.push(':');
            write_state(state, out);
        }
        out.push_str("}}");
    }

    /// Takes over persisted states whose key matches a registered aggregate. States of rules no longer in the
    /// config are ignored; unreadable ones start afresh and are counted.
    pub fn restore(&mut self, v: &Value) -> Result<Restored, StateError> {
        let aggs = aggregates(v)?;
        let mut report = Restored::default();
        for slot in 0..self.specs.len() {
            let Some(saved) = aggs.get(&self.specs[slot].key) else {
                continue;
            };
            let state = match state_from_value(&self.specs[slot], saved) {
                Some(state) => {
                    report.restored += 1;
                    state
                }
                None => {
                    report.discarded += 1;
                    State::new(&self.specs[slot])
                }
            };
            // The total follows each weight, as on an event (`Iterator::sum` would be linked for this alone).
            self.states[slot] = state;
            self.reweigh(slot);
        }
        self.enforce_budget();
        self.mark_written();
        Ok(report)
    }
}

/// Whether two states differ as persisted: compared as text, which the store writes anyway, rather than by a
/// derived comparison of every kind of state (more code in the wasm, for a comparison made only when merging).
fn differ(a: &State, b: &State) -> bool {
    let (mut x, mut y) = (String::new(), String::new());
    write_state(a, &mut x);
    write_state(b, &mut y);
    x != y
}

/// The aggregates of a persisted store, by key.
fn aggregates(v: &Value) -> Result<&Map, StateError> {
    let version = v
        .get("v")
        .and_then(Value::as_f64)
        .ok_or(StateError::Foreign)?;
    if version != STATE_VERSION {
        return Err(StateError::Version);
    }
    v.get("a")
        .and_then(Value::as_object)
        .ok_or(StateError::Foreign)
}

/// A number, or `null` for none.
fn write_num(x: Option<f64>, out: &mut String) {
    match x {
        Some(x) => write_number(x, out),
        None => out.push_str("null"),
    }
}

fn write_time(t: Option<i64>, out: &mut String) {
    write_num(t.map(|t| t as f64), out);
}

/// `{"e": total}` for all time, `{"b": bucket ms, "c": [index, value, ...]}` for a window.
fn write_tally(t: &Tally, out: &mut String) {
    match t {
        Tally::Ever(x) => {
            out.push_str("{\"e\":");
            write_num(*x, out);
        }
        Tally::Window(s) => {
            out.push_str("{\"b\":");
            write_number(s.bucket_ms as f64, out);
            out.push_str(",\"c\":[");
            for (k, (i, x)) in s.cells.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                write_number(*i as f64, out);
                out.push(',');
                write_number(*x, out);
            }
            out.push(']');
        }
    }
    out.push('}');
}

/// One state, by its kind: a tally; `{"t"}` a time; `{"v"}` a last value (absent for none); `{"p", "d"}` a
/// sequence's partial matches and completion; `{"s", "f"}` an absence's start and whether it was followed;
/// `{"i", "n"}` the last session and the sessions' tally.
fn write_state(state: &State, out: &mut String) {
    match state {
        State::Tally(t) => return write_tally(t, out),
        State::Time(t) => {
            out.push_str("{\"t\":");
            write_time(*t, out);
        }
        State::LastValue(v) => {
            out.push('{');
            if let Some(v) = v {
                out.push_str("\"v\":");
                write_value(v, out);
            }
        }
        State::Sequence { partial, done } => {
            out.push_str("{\"p\":[");
            for (k, &t) in partial.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                write_time(t, out);
            }
            out.push_str("],\"d\":");
            write_time(*done, out);
        }
        State::Absence { start, followed } => {
            out.push_str("{\"s\":");
            write_time(*start, out);
            out.push_str(if *followed {
                ",\"f\":true"
            } else {
                ",\"f\":false"
            });
        }
        State::Sessions { last_id, tally } => {
            out.push_str("{\"i\":");
            write_time(*last_id, out);
            out.push_str(",\"n\":");
            write_tally(tally, out);
        }
    }
    out.push('}');
}

/// A persisted time: a number, or `null` for none. `None` when it is neither (corrupt).
fn read_time(v: Option<&Value>) -> Option<Option<i64>> {
    match v {
        None | Some(Value::Null) => Some(None),
        Some(Value::Number(n)) if n.is_finite() => Some(Some(clamp_time(*n as i64))),
        _ => None,
    }
}

fn tally_from_value(window_ms: Option<i64>, v: &Value) -> Option<Tally> {
    match window_ms {
        None => match v.get("e") {
            None | Some(Value::Null) => Some(Tally::Ever(None)),
            Some(Value::Number(x)) if x.is_finite() => Some(Tally::Ever(Some(*x))),
            _ => None,
        },
        Some(w) => {
            let mut s = Series::new(w);
            // A different bucket size means the rule's window changed: the old buckets do not fit.
            if v.get("b").and_then(Value::as_f64) != Some(s.bucket_ms as f64) {
                return None;
            }
            let flat = v.get("c")?.as_array()?;
            if flat.len() % 2 != 0 || flat.len() / 2 > s.span as usize + 1 {
                return None;
            }
            let mut last = i64::MIN;
            for pair in flat.chunks_exact(2) {
                let [i, x] = pair else {
                    return None;
                };
                // A bucket index, held where its time (index × bucket) is a supported time: the wake-up
                // arithmetic multiplies it back, and a stored index is only as sane as the storage it came from.
                let bound = MAX_TIME_MS / s.bucket_ms;
                let i = (i.as_f64().filter(|x| x.is_finite())? as i64).clamp(-bound, bound);
                let x = x.as_f64().filter(|x| x.is_finite())?;
                if i <= last {
                    return None;
                }
                last = i;
                s.cells.push((i, x));
            }
            Some(Tally::Window(s))
        }
    }
}

fn state_from_value(spec: &AggSpec, v: &Value) -> Option<State> {
    v.as_object()?;
    // By the spec's kind, as `State::new` lays states out (matching on a fresh `State` would build and drop one).
    Some(match &spec.kind {
        AggKind::First | AggKind::Last => State::Time(read_time(v.get("t"))?),
        AggKind::LastValue(_) => State::LastValue(v.get("v").cloned()),
        AggKind::Sequence {
            steps,
            absent_last: false,
            ..
        } => {
            let saved = v.get("p")?.as_array()?;
            // Read before the partial matches are: a refusal after their allocation costs its clean-up code.
            let done = read_time(v.get("d"))?;
            if saved.len() != steps.len().saturating_sub(1) {
                return None;
            }
            let mut partial = Vec::with_capacity(saved.len());
            for p in saved {
                partial.push(read_time(Some(p))?);
            }
            State::Sequence { partial, done }
        }
        AggKind::Sequence { .. } => State::Absence {
            start: read_time(v.get("s"))?,
            followed: v.get("f")?.as_bool()?,
        },
        AggKind::Sessions => State::Sessions {
            last_id: read_time(v.get("i"))?,
            tally: tally_from_value(spec.window_ms, v.get("n")?)?,
        },
        _ => State::Tally(tally_from_value(spec.window_ms, v)?),
    })
}

/// An [`Input`] that answers aggregates from a store and everything else from another input.
pub struct WithAggregates<'a> {
    pub input: &'a dyn Input,
    pub store: &'a Store,
}

impl Input for WithAggregates<'_> {
    fn traits(&self) -> Option<&Map> {
        self.input.traits()
    }
    fn context(&self) -> Option<&Value> {
        self.input.context()
    }
    fn page(&self) -> Option<&Value> {
        self.input.page()
    }
    fn channel(&self) -> Option<&Value> {
        self.input.channel()
    }
    fn attributes(&self) -> Option<&Map> {
        self.input.attributes()
    }
    fn event(&self) -> Option<Event<'_>> {
        self.input.event()
    }
    fn in_segment(&self, name: &str) -> bool {
        self.input.in_segment(name)
    }
    fn stage(&self, journey: &str) -> Option<&str> {
        self.input.stage(journey)
    }
    fn saved_group(&self, id: &str) -> Option<&[Value]> {
        self.input.saved_group(id)
    }
    fn anonymous_id(&self) -> &str {
        self.input.anonymous_id()
    }
    fn aggregate(&self, slot: usize, now_ms: i64) -> Fact<'_> {
        self.store.value(slot, now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::rules::compile;

    /// Each event's watchers are listed once each, in slot order, however often a sequence names the event.
    #[test]
    fn watchers_are_listed_once_in_slot_order() {
        let mut store = Store::new();
        for rule in [
            r#"count("A") > 0"#,
            r#"sequence("A", "B", "A", within: 1h)"#,
            r#"sequence("B", "B", within: 1h) && count("B") > 1"#,
        ] {
            let mut p = compile(rule).unwrap();
            store.bind(&mut p).unwrap();
        }
        let listed: Vec<(&str, &[usize])> = store
            .by_event
            .iter()
            .map(|(n, s)| (n.as_str(), s.as_slice()))
            .collect();
        assert_eq!(listed, [("A", &[0, 1][..]), ("B", &[1, 2, 3][..])]);
    }

    /// Each slot's weight is its state's, and the total their sum, after events, after the budget drops buckets,
    /// and after a restore (each of which takes a weight anew: see `Store::reweigh`).
    #[test]
    fn weights_follow_the_states() {
        fn store() -> Store {
            let mut store = Store::new();
            for i in 0..40 {
                let rule = format!(
                    r#"count("E{i}", within: 400d) > 0 && time_since(last("E{i}")) > 1m && sequence("E{i}", "F", within: 1h)"#
                );
                let mut p = compile(&rule).unwrap();
                store.bind(&mut p).unwrap();
            }
            store
        }
        fn check(store: &Store) {
            let mut total = 0;
            for (slot, state) in store.states.iter().enumerate() {
                assert_eq!(store.weights[slot], state.weight());
                total += state.weight();
            }
            assert_eq!(store.total_weight, total);
        }
        let mut s = store();
        check(&s);
        let day = 24 * 3_600_000;
        for d in 0..400 {
            for i in (0..40).step_by(1 + d as usize % 3) {
                let event = crate::core::rules::OwnedEvent::from_value(
                    &crate::core::json::parse(&format!(r#"{{"type":"track","event":"E{i}"}}"#))
                        .unwrap(),
                )
                .unwrap();
                s.ingest(&event.as_event(), d * day);
            }
            check(&s);
        }
        assert!(s.dropped_buckets > 0);
        let mut again = store();
        again.restore(&s.to_value()).unwrap();
        check(&again);
        assert_eq!(again.total_weight, s.total_weight);
    }

    /// Merging two tabs' aggregates: each kind by its own rule (see `State::merged`).
    mod merge {
        use super::super::*;
        use crate::core::rules::{compile, OwnedEvent};

        const M: i64 = 60_000;
        const D: i64 = 24 * 60 * M;

        /// Two tabs' stores of one rule, both from the same stored state (nothing yet).
        fn tabs(rule: &str) -> (Store, Store) {
            let mut a = Store::new();
            let mut p = compile(rule).unwrap();
            a.bind(&mut p).unwrap();
            let b = a.clone();
            (a, b)
        }

        fn feed(s: &mut Store, name: &str, props: &str, session: i64, t: i64) {
            let json = format!(
                r#"{{"type":"track","event":"{name}","properties":{props},"context":{{"sessionId":{session}}}}}"#
            );
            let e = OwnedEvent::from_value(&crate::core::json::parse(&json).unwrap()).unwrap();
            s.ingest(&e.as_event(), t);
        }

        /// The tab writes its state where the other reads it.
        fn write(s: &mut Store) -> Value {
            s.mark_written();
            s.to_value()
        }

        fn num(s: &Store, now: i64) -> Option<f64> {
            match s.value(0, now) {
                Fact::Num(x) => Some(x),
                _ => None,
            }
        }

        /// Tab B takes in A's write, writes back, and A takes that in: both then hold the same, and A has nothing
        /// to write back.
        fn settle(a: &mut Store, b: &mut Store, now: i64) {
            let from_a = write(a);
            b.absorb(&from_a, 0, now).unwrap();
            let from_b = write(b);
            assert!(
                !a.absorb(&from_b, 0, now).unwrap(),
                "A holds nothing B lacks"
            );
            assert_eq!(a.states, b.states);
        }

        #[test]
        fn counts_add_what_each_tab_counted_since_its_base() {
            for rule in [r#"count("E") > 0"#, r#"count("E", within: 7d) > 0"#] {
                let (mut a, mut b) = tabs(rule);
                feed(&mut a, "E", "{}", 1, 0);
                let shared = write(&mut a);
                b.absorb(&shared, 0, 10).unwrap();
                feed(&mut a, "E", "{}", 1, D);
                feed(&mut a, "E", "{}", 1, D + 1);
                feed(&mut b, "E", "{}", 1, 2 * D);
                settle(&mut a, &mut b, 2 * D + 1);
                assert_eq!(num(&a, 2 * D + 1), Some(4.0), "{rule}");
                // Taking in the same state again changes nothing, in either tab.
                let again = a.to_value();
                assert!(!b.absorb(&again, 0, 2 * D + 2).unwrap());
                assert!(!a.absorb(&again, 0, 2 * D + 2).unwrap());
                assert_eq!(num(&b, 2 * D + 2), Some(4.0), "{rule}");
            }
        }

        #[test]
        fn a_windowed_count_keeps_each_tabs_buckets_and_their_expiry() {
            let (mut a, mut b) = tabs(r#"count("E", within: 7d) >= 2"#);
            feed(&mut a, "E", "{}", 1, D);
            feed(&mut b, "E", "{}", 1, 3 * D);
            let from_a = write(&mut a);
            assert!(b.absorb(&from_a, 0, 3 * D).unwrap());
            assert_eq!(num(&b, 3 * D), Some(2.0));
            // A's bucket leaves B's window when it leaves A's.
            assert_eq!(b.next_change(0, 3 * D), Some(8 * D));
            assert_eq!(num(&b, 8 * D), Some(1.0));
            // A bucket both counted before the base is not counted twice, and one gone from the window goes.
            let from_b = write(&mut b);
            assert!(!a.absorb(&from_b, 0, 9 * D).unwrap());
            assert_eq!(num(&a, 9 * D), Some(1.0));
            let Some(State::Tally(Tally::Window(s))) = a.states.first() else {
                panic!("a windowed tally");
            };
            assert_eq!(s.cells.len(), 1);
        }

        #[test]
        fn engaged_time_merges_without_float_noise_or_negative_buckets() {
            let (mut a, mut b) = tabs(r#"engaged_time(within: 1d) > 1s"#);
            feed(&mut a, "x", r#"{"engagedMs":0.1}"#, 1, 1_000);
            let shared = write(&mut a);
            b.absorb(&shared, 0, 1_000).unwrap();
            feed(&mut a, "x", r#"{"engagedMs":0.2}"#, 1, 2_000);
            feed(&mut b, "x", r#"{"engagedMs":0.3}"#, 1, 3_000);
            settle(&mut a, &mut b, 4_000);
            let total = num(&a, 4_000).unwrap();
            assert!((total - 0.6).abs() < 1e-12, "{total}");
            // Every bucket kept is a positive amount.
            let Some(State::Tally(Tally::Window(s))) = a.states.first() else {
                panic!("a windowed tally");
            };
            assert!(s.cells.iter().all(|c| c.1 > 0.0), "{:?}", s.cells);
        }

        #[test]
        fn minima_and_maxima_combine_both_tabs() {
            for (rule, expected) in [
                (r#"max("E", "x") > 0"#, 9.0),
                (r#"min("E", "x", within: 1d) > 0"#, 2.0),
            ] {
                let (mut a, mut b) = tabs(rule);
                feed(&mut a, "E", r#"{"x":5}"#, 1, 1_000);
                feed(&mut a, "E", r#"{"x":2}"#, 1, 1_500);
                feed(&mut b, "E", r#"{"x":9}"#, 1, 2_000);
                settle(&mut a, &mut b, 3_000);
                assert_eq!(num(&b, 3_000), Some(expected), "{rule}");
            }
        }

        #[test]
        fn first_is_the_earlier_and_last_the_later() {
            let (mut a, mut b) =
                tabs(r#"time_since(first("E")) > 1m && time_since(last("E")) < 1d"#);
            feed(&mut b, "E", "{}", 1, 1_000);
            feed(&mut a, "E", "{}", 1, 2_000);
            feed(&mut a, "E", "{}", 1, 5_000);
            feed(&mut b, "E", "{}", 1, 4_000);
            settle(&mut a, &mut b, 6_000);
            assert_eq!(a.value(0, 6_000), Fact::Time(1_000));
            assert_eq!(a.value(1, 6_000), Fact::Time(5_000));
        }

        #[test]
        fn a_last_value_is_ours_if_it_changed_since_the_base_else_theirs() {
            let (mut a, mut b) = tabs(r#"last("E").x == 1"#);
            let slot = a
                .specs
                .iter()
                .position(|s| matches!(s.kind, AggKind::LastValue(_)))
                .unwrap();
            feed(&mut a, "E", r#"{"x":1}"#, 1, 1_000);
            let shared = write(&mut a);
            b.absorb(&shared, 0, 1_000).unwrap();
            // Only B saw a newer value: A takes it.
            feed(&mut b, "E", r#"{"x":2}"#, 1, 2_000);
            let from_b = write(&mut b);
            assert!(!a.absorb(&from_b, 0, 2_500).unwrap());
            assert_eq!(a.states[slot], State::LastValue(Some(Value::from(2.0))));
            // Now A saw one since: it keeps its own, and has it to write back.
            feed(&mut a, "E", r#"{"x":3}"#, 1, 3_000);
            assert!(a.absorb(&from_b, 0, 3_500).unwrap());
            assert_eq!(a.states[slot], State::LastValue(Some(Value::from(3.0))));
        }

        #[test]
        fn a_sequence_keeps_the_later_partial_start_and_completion() {
            let (mut a, mut b) = tabs(r#"sequence("A", "B", "C", within: 1h)"#);
            feed(&mut a, "A", "{}", 1, 1_000);
            let from_a = write(&mut a);
            b.absorb(&from_a, 0, 1_500).unwrap();
            // B continues the match A started.
            feed(&mut b, "B", "{}", 1, 2_000);
            feed(&mut a, "A", "{}", 1, 2_500);
            let from_b = write(&mut b);
            assert!(a.absorb(&from_b, 0, 3_000).unwrap());
            assert_eq!(
                a.states[0],
                State::Sequence {
                    partial: vec![Some(2_500), Some(1_000)],
                    done: None
                }
            );
            feed(&mut a, "C", "{}", 1, 4_000);
            settle(&mut a, &mut b, 5_000);
            assert_eq!(b.value(0, 5_000), Fact::Bool(true));
        }

        #[test]
        fn an_absence_keeps_the_later_start_and_whether_that_start_was_followed() {
            let rule = r#"sequence("A", not "B", within: 30m)"#;
            let (mut a, mut b) = tabs(rule);
            feed(&mut a, "A", "{}", 1, 1_000);
            let from_a = write(&mut a);
            b.absorb(&from_a, 0, 1_500).unwrap();
            // The same start: followed if either tab saw the B.
            feed(&mut b, "B", "{}", 1, 2_000);
            settle(&mut b, &mut a, 3_000);
            assert_eq!(a.value(0, 40 * M), Fact::Bool(false));
            // A later start in one tab wins, with what followed it there.
            feed(&mut a, "A", "{}", 1, 4_000);
            settle(&mut a, &mut b, 5_000);
            assert_eq!(b.value(0, 40 * M), Fact::Bool(true));
            assert_eq!(b.next_change(0, 5_000), Some(4_000 + 30 * M));
        }

        #[test]
        fn a_session_both_tabs_counted_counts_once() {
            for rule in [
                r#"session_count() > 1"#,
                r#"session_count(within: 30d) > 1"#,
            ] {
                let (mut a, mut b) = tabs(rule);
                feed(&mut a, "E", "{}", 100, 1_000);
                let shared = write(&mut a);
                b.absorb(&shared, 0, 1_000).unwrap();
                // Session 200 reaches both tabs (the profile merge shares it): each counts it.
                feed(&mut a, "E", "{}", 200, D);
                feed(&mut b, "E", "{}", 200, D + 5_000);
                let from_a = write(&mut a);
                assert!(!b.absorb(&from_a, 0, D + 6_000).unwrap(), "{rule}");
                assert_eq!(num(&b, D + 6_000), Some(2.0), "{rule}");
                // A session only one tab saw adds to the other's.
                feed(&mut b, "E", "{}", 300, 2 * D);
                settle(&mut b, &mut a, 2 * D + 1);
                assert_eq!(num(&a, 2 * D + 1), Some(3.0), "{rule}");
                // Two different new sessions, one in each tab: both count, and the later is the last.
                feed(&mut a, "E", "{}", 400, 3 * D);
                feed(&mut b, "E", "{}", 500, 3 * D + 1);
                settle(&mut a, &mut b, 3 * D + 2);
                assert_eq!(num(&a, 3 * D + 2), Some(5.0), "{rule}");
                assert!(matches!(
                    a.states[0],
                    State::Sessions {
                        last_id: Some(500),
                        ..
                    }
                ));
            }
        }

        #[test]
        fn a_state_theirs_lacks_or_cannot_read_stays_ours() {
            let (mut a, mut b) = tabs(r#"count("E") > 0"#);
            feed(&mut a, "E", "{}", 1, 1_000);
            let foreign = crate::core::json::parse(r#"{"v":1,"a":{"count:E":"junk"}}"#).unwrap();
            // Not in their config: a write back would not keep it there.
            assert!(!a.absorb(&foreign, 0, 2_000).unwrap());
            assert_eq!(num(&a, 2_000), Some(1.0));
            // Theirs unreadable: ours is written back.
            let junk = crate::core::json::parse(r#"{"v":1,"a":{"count|\"E\"":"junk"}}"#).unwrap();
            assert!(a.absorb(&junk, 0, 2_000).unwrap());
            assert_eq!(num(&a, 2_000), Some(1.0));
            assert_eq!(a.absorb(&Value::Null, 0, 2_000), Err(StateError::Foreign));
            // Nothing of ours: nothing to write back.
            assert!(!b.absorb(&foreign, 0, 2_000).unwrap());
        }

        #[test]
        fn a_merged_state_keeps_the_byte_budget_and_restores_as_it_is() {
            let mut a = Store::new();
            for i in 0..40 {
                let mut p = compile(&format!(r#"count("E{i}", within: 400d) > 0"#)).unwrap();
                a.bind(&mut p).unwrap();
            }
            let mut b = a.clone();
            for d in 0..120 {
                let tab = if d % 2 == 0 { &mut a } else { &mut b };
                for i in 0..40 {
                    feed(tab, &format!("E{i}"), "{}", 1, d * D);
                }
            }
            assert!(a.state_bytes() <= MAX_STATE_BYTES && b.state_bytes() <= MAX_STATE_BYTES);
            let from_a = write(&mut a);
            b.absorb(&from_a, 0, 120 * D).unwrap();
            assert!(b.state_bytes() <= MAX_STATE_BYTES, "{}", b.state_bytes());
            assert!(b.to_value().to_json().len() <= MAX_STATE_BYTES + 4096);
            let mut again = a.clone();
            assert_eq!(again.restore(&b.to_value()).unwrap().discarded, 0);
            assert_eq!(again.states, b.states);
        }
    }
}
