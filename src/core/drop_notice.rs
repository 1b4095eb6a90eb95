//! When to tell the page that events were dropped.
//!
//! At the queue's bound every `track` drops the oldest event; a warning per call would cost the page far more than
//! the call (a console warning is about 100 µs). So drops are announced with their running totals, at most once per
//! [`DropNotice::EVERY`], and only when something was dropped since the last notice.

use super::queue::DropCounts;
use super::time::{Millis, MINUTE};

#[derive(Debug, Default)]
pub struct DropNotice {
    /// The totals last announced, and when.
    announced: DropCounts,
    at: Option<Millis>,
}

impl DropNotice {
    /// The shortest time between two notices.
    pub const EVERY: Millis = MINUTE;

    /// The totals to announce now, if any; a returned notice counts as given.
    pub fn due(&mut self, dropped: DropCounts, now: Millis) -> Option<DropCounts> {
        if dropped.total() == self.announced.total()
            || self
                .at
                .is_some_and(|at| !super::time::elapsed(at, now, Self::EVERY))
        {
            return None;
        }
        self.announced = dropped;
        self.at = Some(now);
        Some(dropped)
    }

    /// When drops not announced yet fall due: the SDK's timer wakes then, so that a page quiet since they happened
    /// still hears of them. `None` when every drop has been announced.
    pub fn next_due(&self, dropped: DropCounts) -> Option<Millis> {
        (dropped.total() != self.announced.total())
            .then(|| self.at.map_or(Millis::MIN, |at| at + Self::EVERY))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overflow(n: u64) -> DropCounts {
        DropCounts {
            overflow: n,
            ..DropCounts::default()
        }
    }

    #[test]
    fn nothing_dropped_is_never_announced() {
        let mut notice = DropNotice::default();
        assert_eq!(notice.due(DropCounts::default(), 0), None);
        assert_eq!(notice.due(DropCounts::default(), 10 * MINUTE), None);
    }

    #[test]
    fn the_first_drop_is_announced_at_once_then_at_most_once_a_minute_with_totals() {
        let mut notice = DropNotice::default();
        assert_eq!(notice.due(overflow(1), 1_000), Some(overflow(1)));
        // Every call at the bound drops one more: silent within the minute.
        for n in 2..=500 {
            assert_eq!(notice.due(overflow(n), 1_000 + n as Millis * 100), None);
        }
        assert_eq!(notice.due(overflow(500), 1_000 + MINUTE - 1), None);
        assert_eq!(
            notice.due(overflow(501), 1_000 + MINUTE),
            Some(overflow(501))
        );
    }

    #[test]
    fn drops_not_announced_yet_say_when_they_fall_due() {
        let mut notice = DropNotice::default();
        assert_eq!(notice.next_due(DropCounts::default()), None);
        assert_eq!(notice.next_due(overflow(1)), Some(Millis::MIN), "at once");
        assert_eq!(notice.due(overflow(1), 1_000), Some(overflow(1)));
        assert_eq!(notice.next_due(overflow(1)), None, "all announced");
        assert_eq!(notice.next_due(overflow(7)), Some(1_000 + MINUTE));
        assert_eq!(notice.due(overflow(7), 1_000 + MINUTE), Some(overflow(7)));
        assert_eq!(notice.next_due(overflow(7)), None);
    }

    #[test]
    fn a_clock_set_back_does_not_hold_the_next_notice() {
        let mut notice = DropNotice::default();
        assert_eq!(notice.due(overflow(1), 10 * MINUTE), Some(overflow(1)));
        assert_eq!(
            notice.due(overflow(2), 2 * MINUTE),
            Some(overflow(2)),
            "set back eight minutes: due, not held until the clock catches up"
        );
        assert_eq!(notice.due(overflow(3), 2 * MINUTE + 1), None);
    }

    #[test]
    fn after_the_interval_only_new_drops_are_announced() {
        let mut notice = DropNotice::default();
        let counts = DropCounts {
            expired: 3,
            rejected: 2,
            ..DropCounts::default()
        };
        assert_eq!(notice.due(counts, 0), Some(counts));
        assert_eq!(notice.due(counts, 5 * MINUTE), None);
        let more = DropCounts {
            corrupt: 1,
            ..counts
        };
        assert_eq!(notice.due(more, 5 * MINUTE), Some(more));
    }
}
