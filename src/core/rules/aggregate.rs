//! The state machine behind each kind of aggregate: what it keeps, how an event updates it, what it reports,
//! and when time alone will change it.

use super::input::{Event, Fact};
use super::limits::MAX_STORED_STRING_BYTES;
use super::series::{Combine, Series, NOISE};
use super::spec::{AggKind, AggSpec};
use crate::core::json::Value;

/// A running total (or extreme) over a window, or over all time.
#[derive(Debug, Clone, PartialEq)]
pub enum Tally {
    Ever(Option<f64>),
    Window(Series),
}

impl Tally {
    fn new(window_ms: Option<i64>) -> Tally {
        match window_ms {
            Some(w) => Tally::Window(Series::new(w)),
            None => Tally::Ever(None),
        }
    }

    fn add(&mut self, t: i64, x: f64, op: Combine) {
        match self {
            Tally::Ever(v) => *v = Some(v.map_or(x, |old| op.apply(old, x))),
            Tally::Window(s) => s.add(t, x, op),
        }
    }

    fn value(&self, now: i64, op: Combine) -> Option<f64> {
        match self {
            Tally::Ever(v) => *v,
            Tally::Window(s) => s.value(now, op),
        }
    }

    fn next_change(&self, now: i64) -> Option<i64> {
        match self {
            Tally::Ever(_) => None,
            Tally::Window(s) => s.next_change(now),
        }
    }

    fn prune(&mut self, now: i64) {
        if let Tally::Window(s) = self {
            s.prune(now);
        }
    }

    /// Another tab's tally merged with this one, over `base`: see [`Series::merged`], of which an all-time total
    /// is the one-bucket case. `None` with `None` is `None`; otherwise a missing total counts as 0.
    fn merged(
        &self,
        base: &Tally,
        theirs: &Tally,
        op: Combine,
        changed: bool,
        shared: bool,
        floor: bool,
    ) -> Tally {
        match (self, base, theirs) {
            (Tally::Window(o), Tally::Window(b), Tally::Window(t)) => {
                Tally::Window(o.merged(b, t, op, changed, shared, floor))
            }
            (Tally::Ever(o), Tally::Ever(b), Tally::Ever(t)) => {
                Tally::Ever(if op != Combine::Sum {
                    match (o, t) {
                        (Some(x), Some(y)) => Some(op.apply(*x, *y)),
                        (x, y) => x.or(*y),
                    }
                } else if !changed && !shared {
                    *t
                } else {
                    let x = t.unwrap_or(0.0) + o.unwrap_or(0.0)
                        - b.unwrap_or(0.0)
                        - f64::from(u8::from(shared));
                    Some(if floor && x < NOISE { 0.0 } else { x })
                })
            }
            _ => self.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// Count, sum, min, max, engaged time.
    Tally(Tally),
    /// First or last occurrence time.
    Time(Option<i64>),
    LastValue(Option<Value>),
    /// For each prefix of the steps, the latest start time of a partial match that reached it; and whether
    /// (when) the whole sequence completed.
    Sequence {
        partial: Vec<Option<i64>>,
        done: Option<i64>,
    },
    /// Time of the latest first step, and whether the forbidden second step followed it.
    Absence {
        start: Option<i64>,
        followed: bool,
    },
    Sessions {
        last_id: Option<i64>,
        tally: Tally,
    },
}

impl State {
    pub fn new(spec: &AggSpec) -> State {
        match &spec.kind {
            AggKind::Count | AggKind::Number(..) | AggKind::Engaged => {
                State::Tally(Tally::new(spec.window_ms))
            }
            AggKind::First | AggKind::Last => State::Time(None),
            AggKind::LastValue(_) => State::LastValue(None),
            AggKind::Sequence {
                steps,
                absent_last: false,
                ..
            } => State::Sequence {
                partial: vec![None; steps.len().saturating_sub(1)],
                done: None,
            },
            AggKind::Sequence {
                absent_last: true, ..
            } => State::Absence {
                start: None,
                followed: false,
            },
            AggKind::Sessions => State::Sessions {
                last_id: None,
                tally: Tally::new(spec.window_ms),
            },
        }
    }

    /// Applies an event (already known to match the spec's name and filter) at time `t`. Returns whether the
    /// state changed.
    pub fn update(&mut self, spec: &AggSpec, event: &Event<'_>, t: i64) -> bool {
        match (&spec.kind, self) {
            (AggKind::Count, State::Tally(tally)) => tally.add(t, 1.0, Combine::Sum),
            (AggKind::Number(op, p), State::Tally(tally)) => match number_at(event, p) {
                Some(x) => tally.add(t, x, *op),
                None => return false,
            },
            (AggKind::Engaged, State::Tally(tally)) => {
                if !(event.engaged_ms > 0.0 && event.engaged_ms.is_finite()) {
                    return false;
                }
                tally.add(t, event.engaged_ms, Combine::Sum)
            }
            (AggKind::First, State::Time(first)) => {
                if first.is_some_and(|f| f <= t) {
                    return false;
                }
                *first = Some(t);
            }
            (AggKind::Last, State::Time(last)) => {
                if last.is_some_and(|l| l > t) {
                    return false;
                }
                *last = Some(t);
            }
            (AggKind::LastValue(p), State::LastValue(last)) => {
                *last = value_at(event, p).map(clip);
            }
            (
                AggKind::Sequence {
                    steps, within_ms, ..
                },
                State::Sequence { partial, done },
            ) => {
                let k = steps.len();
                let mut changed = false;
                // Later steps first, so one event cannot advance a match through two steps at once.
                for i in (1..k).rev() {
                    if steps[i] != event.name {
                        continue;
                    }
                    let Some(start) = partial[i - 1] else {
                        continue;
                    };
                    if t - start > *within_ms {
                        continue;
                    }
                    if i == k - 1 {
                        if done.is_none() {
                            *done = Some(t);
                            changed = true;
                        }
                    } else if !matches!(partial[i], Some(s) if s >= start) {
                        partial[i] = Some(start);
                        changed = true;
                    }
                }
                if steps[0] == event.name {
                    partial[0] = Some(t);
                    changed = true;
                }
                return changed;
            }
            (AggKind::Sequence { steps, .. }, State::Absence { start, followed }) => {
                let mut changed = false;
                if steps.get(1).is_some_and(|b| b == event.name) && start.is_some() && !*followed {
                    *followed = true;
                    changed = true;
                }
                if steps.first().is_some_and(|a| a == event.name) {
                    *start = Some(t);
                    *followed = false;
                    changed = true;
                }
                return changed;
            }
            (AggKind::Sessions, State::Sessions { last_id, tally }) => {
                let Some(id) = event.session_id else {
                    return false;
                };
                if *last_id == Some(id) {
                    return false;
                }
                *last_id = Some(id);
                tally.add(t, 1.0, Combine::Sum);
            }
            _ => return false,
        }
        true
    }

    pub fn value(&self, spec: &AggSpec, now: i64) -> Fact<'_> {
        match (&spec.kind, self) {
            (
                AggKind::Count | AggKind::Number(Combine::Sum, _) | AggKind::Engaged,
                State::Tally(t),
            ) => Fact::Num(t.value(now, Combine::Sum).unwrap_or(0.0)),
            // A minimum or maximum of nothing is absent, not 0.
            (AggKind::Number(op, _), State::Tally(t)) => {
                t.value(now, *op).map_or(Fact::Absent, Fact::Num)
            }
            (AggKind::First | AggKind::Last, State::Time(t)) => t.map_or(Fact::Absent, Fact::Time),
            (AggKind::LastValue(_), State::LastValue(v)) => {
                v.as_ref().map_or(Fact::Absent, Fact::Value)
            }
            (_, State::Sequence { done, .. }) => Fact::Bool(done.is_some()),
            (AggKind::Sequence { within_ms, .. }, State::Absence { start, followed }) => {
                Fact::Bool(matches!(start, Some(s) if !followed && now - s >= *within_ms))
            }
            (_, State::Sessions { tally, .. }) => {
                Fact::Num(tally.value(now, Combine::Sum).unwrap_or(0.0))
            }
            _ => Fact::Absent,
        }
    }

    /// The next instant after `now` at which this aggregate's value changes with no new event.
    pub fn next_change(&self, spec: &AggSpec, now: i64) -> Option<i64> {
        match (&spec.kind, self) {
            (_, State::Tally(t)) | (_, State::Sessions { tally: t, .. }) => t.next_change(now),
            (
                AggKind::Sequence { within_ms, .. },
                State::Absence {
                    start: Some(s),
                    followed: false,
                },
            ) => {
                let at = s + within_ms;
                (at > now).then_some(at)
            }
            _ => None,
        }
    }

    /// Moves every time this state holds `d` ms earlier (the clock was set back by `d`: the time between counts
    /// as none). A session id is a name, not a time, and stays.
    pub fn shift_back(&mut self, d: i64) {
        let back = |t: &mut Option<i64>| {
            if let Some(t) = t {
                *t -= d;
            }
        };
        match self {
            State::Tally(Tally::Window(s))
            | State::Sessions {
                tally: Tally::Window(s),
                ..
            } => s.shift_back(d),
            State::Time(t) | State::Absence { start: t, .. } => back(t),
            State::Sequence { partial, done } => {
                back(done);
                partial.iter_mut().for_each(back);
            }
            _ => {}
        }
    }

    /// Drops the buckets that have left the window at `now`.
    pub fn prune(&mut self, now: i64) {
        match self {
            State::Tally(t) | State::Sessions { tally: t, .. } => t.prune(now),
            _ => {}
        }
    }

    /// Another tab's state `theirs` merged with this one, over `base`: what this tab last took in or wrote (all
    /// three pruned to the same instant). Additive tallies take theirs plus what this tab added since `base`;
    /// minima, maxima, first and last times combine both; a last value is this tab's if it changed since `base`,
    /// else theirs. A sequence keeps, per step reached, the later partial start, and the later completion; an
    /// absence the later start, followed if the side with that start says so (either, when both started at once).
    /// Both approximate one state fed both tabs' events: those interleave, and a step seen in one tab cannot
    /// complete a match started in the other before the merge. A session both tabs counted since `base` (the same
    /// latest session, which `base` did not have: tabs share the session) counts once.
    /// `changed`: this state differs from `base` (worked out by the caller, from the persisted forms).
    pub fn merged(&self, spec: &AggSpec, base: &State, theirs: &State, changed: bool) -> State {
        match (&spec.kind, self, base, theirs) {
            (kind, State::Tally(o), State::Tally(b), State::Tally(t)) => {
                let (op, floor) = match kind {
                    AggKind::Number(op, _) => (*op, false),
                    _ => (Combine::Sum, true),
                };
                State::Tally(o.merged(b, t, op, changed, false, floor))
            }
            (AggKind::First, State::Time(o), _, State::Time(t)) => State::Time(match (o, t) {
                (Some(x), Some(y)) => Some(*x.min(y)),
                (x, y) => x.or(*y),
            }),
            (_, State::Time(o), _, State::Time(t)) => State::Time(*o.max(t)),
            (_, State::LastValue(_), _, State::LastValue(_)) if !changed => theirs.clone(),
            (
                _,
                State::Sequence { partial, done },
                _,
                State::Sequence {
                    partial: their_partial,
                    done: their_done,
                },
            ) if partial.len() == their_partial.len() => {
                let mut merged = Vec::with_capacity(partial.len());
                for (o, t) in partial.iter().zip(their_partial) {
                    merged.push(*o.max(t));
                }
                State::Sequence {
                    partial: merged,
                    done: *done.max(their_done),
                }
            }
            (
                _,
                State::Absence { start, followed },
                _,
                State::Absence {
                    start: their_start,
                    followed: their_followed,
                },
            ) => State::Absence {
                start: *start.max(their_start),
                followed: if start == their_start {
                    *followed || *their_followed
                } else if start > their_start {
                    *followed
                } else {
                    *their_followed
                },
            },
            (
                _,
                State::Sessions { last_id, tally },
                State::Sessions {
                    last_id: base_id,
                    tally: base_tally,
                },
                State::Sessions {
                    last_id: their_id,
                    tally: their_tally,
                },
            ) => {
                let shared = last_id.is_some() && last_id == their_id && last_id != base_id;
                State::Sessions {
                    last_id: *last_id.max(their_id),
                    tally: tally.merged(
                        base_tally,
                        their_tally,
                        Combine::Sum,
                        changed,
                        shared,
                        true,
                    ),
                }
            }
            _ => self.clone(),
        }
    }

    /// A rough count of the bytes this state takes when persisted.
    pub fn weight(&self) -> usize {
        match self {
            State::Tally(Tally::Window(s))
            | State::Sessions {
                tally: Tally::Window(s),
                ..
            } => 24 + 24 * s.cells.len(),
            State::LastValue(Some(v)) => 16 + v.to_json().len(),
            State::Sequence { partial, .. } => 24 + 16 * partial.len(),
            _ => 24,
        }
    }

    /// Drops the oldest bucket of a windowed state; false when there is nothing to drop.
    pub fn drop_oldest(&mut self) -> bool {
        match self {
            State::Tally(Tally::Window(s))
            | State::Sessions {
                tally: Tally::Window(s),
                ..
            } => s.drop_oldest(),
            _ => false,
        }
    }
}

fn value_at<'a>(event: &Event<'a>, path: &[String]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let mut v = event.properties.get(first)?;
    for f in rest {
        v = v.get(f)?;
    }
    Some(v)
}

fn number_at(event: &Event<'_>, path: &[String]) -> Option<f64> {
    value_at(event, path)
        .and_then(Value::as_f64)
        .filter(|x| x.is_finite())
}

/// A copy small enough to keep: long strings are cut, large arrays and objects are not kept.
fn clip(v: &Value) -> Value {
    match v {
        Value::String(s) if s.len() > MAX_STORED_STRING_BYTES => {
            let mut end = MAX_STORED_STRING_BYTES;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            Value::String(s.get(..end).unwrap_or_default().to_string())
        }
        Value::Array(_) | Value::Object(_) if v.to_json().len() > MAX_STORED_STRING_BYTES => {
            Value::Null
        }
        _ => v.clone(),
    }
}
