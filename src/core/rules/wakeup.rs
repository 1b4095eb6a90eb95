//! When can a rule's value change with no new event? The engine sets one timer for the earliest such instant
//! instead of polling.
//!
//! Two things move with time alone: windowed aggregates (a bucket leaves the window; abandonment becomes
//! due), which the store reports, and `time_since`/`days_since` compared with a value, which cross it at a
//! computable instant. Waking a millisecond early is harmless (the rule is re-checked and the next instant is
//! planned); waking late would be a bug, so every candidate is an instant at or before the change.

use super::eval::number_of;
use super::input::Input;
use super::program::{Binary, Node, NodeKind, Program, Unary};
use super::store::Store;

/// The earliest instant after `now_ms` at which `program`'s value may change with no new event.
pub fn next_wakeup(
    program: &Program,
    input: &dyn Input,
    store: &Store,
    now_ms: i64,
) -> Option<i64> {
    let mut best: Option<i64> = None;
    visit(program, &program.root, input, store, now_ms, &mut best);
    best
}

fn offer(best: &mut Option<i64>, now: i64, at: i64) {
    if at > now && best.is_none_or(|b| at < b) {
        *best = Some(at);
    }
}

fn visit(
    program: &Program,
    n: &Node,
    input: &dyn Input,
    store: &Store,
    now: i64,
    best: &mut Option<i64>,
) {
    match &n.kind {
        NodeKind::Agg(local) => {
            if let Some(at) = program
                .slot(*local)
                .and_then(|slot| store.next_change(slot, now))
            {
                offer(best, now, at);
            }
        }
        NodeKind::Binary(op, l, r) => {
            if let Binary::Cmp(_) = op {
                for &(clock, other) in &[(l, r), (r, l)] {
                    // Two elapsed times grow together: their comparison never flips with time alone.
                    if let (
                        NodeKind::Unary(since @ (Unary::TimeSince | Unary::DaysSince), arg),
                        false,
                    ) = (&clock.kind, reads_clock(other))
                    {
                        let days = *since == Unary::DaysSince;
                        crossing(program, arg, days, other, input, now, best);
                    }
                }
            }
            visit(program, l, input, store, now, best);
            visit(program, r, input, store, now, best);
        }
        NodeKind::Many(_, items) => {
            for i in items {
                visit(program, i, input, store, now, best);
            }
        }
        NodeKind::Unary(_, a) | NodeKind::Matches(a, _) => {
            visit(program, a, input, store, now, best)
        }
        _ => {}
    }
}

/// `time_since(arg) OP other`: the elapsed time grows by one per millisecond, so the comparison flips when it
/// reaches `other`. Offers that instant and the next millisecond (strict and non-strict comparisons flip at
/// one or the other), as one candidate: the earlier of the two that is after `now`.
fn crossing(
    program: &Program,
    arg: &Node,
    days: bool,
    other: &Node,
    input: &dyn Input,
    now: i64,
    best: &mut Option<i64>,
) {
    let (Some(t0), Some(limit)) = (
        number_of(program, arg, input, now),
        number_of(program, other, input, now),
    ) else {
        return;
    };
    let limit_ms = if days { limit * 86_400_000.0 } else { limit };
    let at = t0 + limit_ms;
    if !at.is_finite() || at.abs() > 9.0e15 {
        return;
    }
    let at = at.ceil() as i64;
    // Of `at` and `at + 1`, the earlier one after `now`: `at + 1` only when `at` is `now` itself.
    offer(best, now, at + i64::from(at == now));
}

/// Whether a node's value moves with the clock (it contains `time_since`/`days_since`).
fn reads_clock(n: &Node) -> bool {
    match &n.kind {
        NodeKind::Unary(Unary::TimeSince | Unary::DaysSince, _) => true,
        NodeKind::Unary(_, a) | NodeKind::Matches(a, _) => reads_clock(a),
        NodeKind::Binary(_, a, b) => reads_clock(a) || reads_clock(b),
        NodeKind::Many(_, items) => items.iter().any(reads_clock),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::offer;

    /// One offer of `at`, or of `at + 1` when `at` is `now`, leaves the same earliest instant as offering both, as
    /// `crossing` did before: every `at` around `now`, with and without an earlier candidate.
    #[test]
    fn one_offer_picks_what_two_did() {
        let now = 100;
        for at in now - 3..now + 3 {
            for start in [
                None,
                Some(now - 1),
                Some(now + 1),
                Some(now + 2),
                Some(now + 5),
            ] {
                let (mut two, mut one) = (start, start);
                offer(&mut two, now, at);
                offer(&mut two, now, at + 1);
                offer(&mut one, now, at + i64::from(at == now));
                assert_eq!(one, two, "at {at}, from {start:?}");
            }
        }
    }
}
