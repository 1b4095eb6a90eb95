//! Exit intent on touch screens: a quick flick back up the page.
//!
//! A touch screen has no pointer to leave through the top of the window. What a visitor about to leave does there
//! instead is scroll quickly back up (towards the address bar, which reappears, and the tabs): the same signal
//! mobile exit-intent tools use. A visitor who has read at least a screen of the page and then scrolls up by a
//! third of a screen or more within [`WINDOW`] shows exit intent, once per page view. Slow scrolling back up, to
//! re-read, does not count.

use super::time::Millis;

/// How quickly the flick must happen.
pub const WINDOW: Millis = 300;

#[derive(Debug, Clone, Copy)]
pub struct Flick {
    /// The deepest the page was scrolled (top of the viewport, px).
    deepest: f64,
    /// The highest position (most scrolled down) since `peak_at`, which is at most [`WINDOW`] ago: a flick is
    /// measured from there. Two numbers instead of a history of positions.
    peak: f64,
    peak_at: Millis,
    fired: bool,
}

impl Flick {
    /// For a new page view: nothing read yet, and exit intent may fire again.
    pub const fn new() -> Self {
        Flick {
            deepest: 0.0,
            peak: 0.0,
            peak_at: 0,
            fired: false,
        }
    }

    /// The page is scrolled to `y` (px from the top) with a viewport `viewport` px high; true when this completes
    /// a flick (once per page view).
    pub fn scrolled(&mut self, y: f64, viewport: f64, now: Millis) -> bool {
        if !(y.is_finite() && viewport.is_finite() && viewport > 0.0) {
            return false;
        }
        self.deepest = self.deepest.max(y);
        // A peak that seems to lie ahead was seen on a clock since set back: it starts again here.
        if y >= self.peak || !(0..=WINDOW).contains(&(now - self.peak_at)) {
            self.peak = y;
            self.peak_at = now;
            return false;
        }
        if self.fired || self.deepest < viewport || self.peak - y < viewport / 3.0 {
            return false;
        }
        self.fired = true;
        true
    }
}

impl Default for Flick {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VIEWPORT: f64 = 800.0;

    /// Scrolls from `from` to `to` px in `steps` events `every` ms apart, starting at `start`; true if any fired.
    fn scroll(f: &mut Flick, from: f64, to: f64, steps: i64, start: Millis, every: Millis) -> bool {
        let mut fired = false;
        for i in 1..=steps {
            let y = from + (to - from) * i as f64 / steps as f64;
            fired |= f.scrolled(y, VIEWPORT, start + i * every);
        }
        fired
    }

    #[test]
    fn a_quick_flick_up_after_reading_a_screen_is_exit_intent_once() {
        let mut f = Flick::default();
        assert!(
            !scroll(&mut f, 0.0, 2_000.0, 40, 0, 50),
            "reading down is not"
        );
        assert!(scroll(&mut f, 2_000.0, 1_600.0, 5, 3_000, 16));
        assert!(!scroll(&mut f, 1_600.0, 2_400.0, 10, 4_000, 16));
        assert!(
            !scroll(&mut f, 2_400.0, 0.0, 10, 5_000, 16),
            "once per page view"
        );
        f = Flick::new(); // a new page view
        assert!(!f.scrolled(0.0, VIEWPORT, 6_000));
        assert!(!scroll(&mut f, 0.0, 1_500.0, 10, 6_000, 100));
        assert!(
            scroll(&mut f, 1_500.0, 1_000.0, 4, 8_000, 16),
            "and again on the next page"
        );
    }

    #[test]
    fn slow_scrolling_back_up_is_reading_not_leaving() {
        let mut f = Flick::default();
        scroll(&mut f, 0.0, 3_000.0, 30, 0, 50);
        // 1,000 px up in 2.5 s: never a third of a screen within 300 ms.
        assert!(!scroll(&mut f, 3_000.0, 2_000.0, 50, 5_000, 50));
    }

    #[test]
    fn a_short_flick_or_one_before_reading_a_screen_is_not() {
        let mut f = Flick::default();
        scroll(&mut f, 0.0, 2_000.0, 20, 0, 50);
        assert!(
            !scroll(&mut f, 2_000.0, 1_800.0, 3, 3_000, 16),
            "a quarter of a screen"
        );
        let mut top = Flick::default();
        scroll(&mut top, 0.0, 700.0, 10, 0, 50);
        assert!(
            !scroll(&mut top, 700.0, 0.0, 3, 1_000, 16),
            "not a screen read yet"
        );
    }

    /// The clock set back mid-page: the peak, on the old clock, seems to lie ahead, and a slow scroll back up after
    /// the jump is measured from a new peak (not taken for a flick within the window).
    #[test]
    fn a_clock_set_back_does_not_turn_slow_scrolling_into_a_flick() {
        let day = 86_400_000;
        let mut f = Flick::default();
        scroll(&mut f, 0.0, 3_000.0, 30, 10 * day, 50);
        assert!(!scroll(&mut f, 3_000.0, 2_000.0, 50, 9 * day, 50));
    }

    #[test]
    fn jitter_never_fires_and_odd_input_is_ignored() {
        let mut f = Flick::default();
        for i in 0..10_000 {
            assert!(!f.scrolled(1_000.0 + (i % 7) as f64 * 10.0, VIEWPORT, i));
        }
        assert!(!f.scrolled(f64::NAN, VIEWPORT, 20_000));
        assert!(!f.scrolled(0.0, 0.0, 20_001));
        assert!(!f.scrolled(0.0, f64::INFINITY, 20_002));
    }
}
