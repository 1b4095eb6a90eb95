//! Engaged time, idleness and scroll depth: how long the visitor has actually been using a visible page.
//!
//! Time counts as engaged while the page is visible and the visitor interacted (pointer, keys, scroll) within
//! the last [`ACTIVE_WINDOW`]: between two interactions the gap counts up to that window, and so does the time
//! from the last one until the page is hidden. Reading without touching anything for a few seconds counts; a tab
//! left open all afternoon does not.

use super::time::{Millis, SECOND};

/// How long after an interaction the visitor still counts as engaged.
pub const ACTIVE_WINDOW: Millis = 30 * SECOND;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Engagement {
    /// The last interaction on the visible page; `None` while hidden or before any.
    last_active: Option<Millis>,
    /// Engaged time is counted up to this instant.
    credited_to: Millis,
    /// Engaged time on the current page.
    pub page_ms: Millis,
    /// The furthest the current page was scrolled, in percent.
    pub max_scroll: f64,
}

impl Engagement {
    /// An interaction at `now`: returns the engaged time it adds.
    pub fn activity(&mut self, now: Millis) -> Millis {
        let added = self.settle(now);
        self.last_active = Some(now);
        // Counted up to now; also after a clock set back, so that the time after the jump counts from it.
        self.credited_to = now;
        added
    }

    /// The page was hidden: the time since the last interaction counts up to the window, then nothing until the
    /// next interaction. Returns the engaged time it adds.
    pub fn hidden(&mut self, now: Millis) -> Millis {
        let added = self.settle(now);
        self.last_active = None;
        added
    }

    pub fn scrolled(&mut self, percent: f64) {
        if percent.is_finite() {
            self.max_scroll = self.max_scroll.max(percent.clamp(0.0, 100.0));
        }
    }

    /// The clock was set back to `now` (see docs/sdk.md, "When the clock jumps"): an interaction that seems to lie
    /// ahead happened now as far as idleness goes, so the visitor is idle from here rather than once the clock has
    /// caught up.
    pub fn clock_set_back(&mut self, now: Millis) {
        if let Some(t) = &mut self.last_active {
            *t = (*t).min(now);
        }
        self.credited_to = self.credited_to.min(now);
    }

    /// How long the visitor has been idle (since the last interaction), while the page is visible.
    pub fn idle_ms(&self, now: Millis) -> Option<Millis> {
        self.last_active.map(|t| now.saturating_sub(t).max(0))
    }

    pub fn last_active(&self) -> Option<Millis> {
        self.last_active
    }

    /// Ends the current page: its engaged time and scroll depth (call [`Engagement::settle`] or
    /// [`Engagement::hidden`] first to count the time up to now); the next page starts afresh, still inside the
    /// window of the last interaction (an in-app navigation follows a click).
    pub fn take_page(&mut self) -> (Millis, f64) {
        let page = (self.page_ms, self.max_scroll);
        self.page_ms = 0;
        self.max_scroll = 0.0;
        page
    }

    /// Counts the engaged time up to `now`: the part of the last interaction's window not counted yet.
    pub fn settle(&mut self, now: Millis) -> Millis {
        let Some(t) = self.last_active else {
            return 0;
        };
        let end = now.min(t.saturating_add(ACTIVE_WINDOW));
        let start = self.credited_to.max(t);
        if end <= start {
            return 0;
        }
        self.credited_to = end;
        let added = end - start;
        self.page_ms = self.page_ms.saturating_add(added);
        added
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_count_up_to_the_window_and_hidden_time_never() {
        let mut e = Engagement::default();
        assert_eq!(e.activity(0), 0, "the first interaction starts the clock");
        assert_eq!(e.activity(10 * SECOND), 10 * SECOND);
        assert_eq!(
            e.activity(100 * SECOND),
            ACTIVE_WINDOW,
            "a long pause counts only the window"
        );
        assert_eq!(e.hidden(105 * SECOND), 5 * SECOND);
        assert_eq!(e.idle_ms(500 * SECOND), None, "no idleness while hidden");
        assert_eq!(
            e.activity(500 * SECOND),
            0,
            "back from hiding: nothing counted for the hidden time"
        );
        assert_eq!(e.page_ms, 45 * SECOND);
        assert_eq!(e.idle_ms(512 * SECOND), Some(12 * SECOND));
    }

    #[test]
    fn a_page_ends_with_its_time_and_depth_and_the_next_starts_afresh() {
        let mut e = Engagement::default();
        e.activity(0);
        e.scrolled(40.0);
        e.scrolled(25.0);
        e.scrolled(f64::NAN);
        e.settle(3 * SECOND);
        assert_eq!(e.take_page(), (3 * SECOND, 40.0));
        e.settle(4 * SECOND);
        assert_eq!(
            e.take_page(),
            (SECOND, 0.0),
            "the next page goes on in the same window"
        );
        assert_eq!(e.settle(4 * SECOND), 0, "counted once");
        e.activity(2 * SECOND);
        assert_eq!(e.page_ms, 0, "a clock going back adds nothing");
    }

    /// Engaged time goes on being counted after the clock is set back, from the new reading; the jump itself
    /// counts as nothing.
    #[test]
    fn engaged_time_counts_on_after_a_clock_set_back() {
        let mut e = Engagement::default();
        e.activity(1_000 * SECOND);
        e.activity(1_010 * SECOND);
        assert_eq!(e.page_ms, 10 * SECOND);
        assert_eq!(e.activity(100 * SECOND), 0, "the jump adds nothing");
        assert_eq!(e.activity(110 * SECOND), 10 * SECOND);
        assert_eq!(e.hidden(115 * SECOND), 5 * SECOND);
        assert_eq!(e.page_ms, 25 * SECOND);
    }
}
