//! Every bound the campaign engine keeps, in one place. Config beyond a bound is a config error; state beyond
//! a bound (a restored value written by another version) is trimmed, never trusted.

use crate::core::time::{DAY, MINUTE};

/// Campaigns in one config.
pub const MAX_CAMPAIGNS: usize = 64;
/// Bytes in a campaign id.
pub const MAX_ID_BYTES: usize = 64;
/// Delays waiting at once (at most one per campaign, and never more than this).
pub const MAX_PENDING: usize = 16;
/// The longest delay after a trigger. A delay lives within one session, so a longer one could never end.
pub const MAX_DELAY_MS: i64 = 4 * 60 * MINUTE;
/// The longest duration anywhere else (frequency period, cooldown, minimum gap, idle, engaged time).
pub const MAX_DURATION_MS: i64 = 366 * DAY;
/// Show times kept per campaign; also the largest `max` in an "at most N per period" frequency.
pub const MAX_SHOWS_KEPT: usize = 32;
/// Cancel events per campaign.
pub const MAX_CANCEL_EVENTS: usize = 16;
/// URL patterns per include or exclude list.
pub const MAX_URL_PATTERNS: usize = 32;
/// Bytes in one URL pattern.
pub const MAX_PATTERN_BYTES: usize = 512;
/// Questions in one survey.
pub const MAX_QUESTIONS: usize = 20;
/// Choices in one question.
pub const MAX_CHOICES: usize = 20;
/// A prompt not closed by an outcome (dismissed or completed) within this long counts as closed, so a lost
/// outcome cannot block every later prompt.
pub const MAX_OPEN_MS: i64 = 30 * MINUTE;
/// Priorities lie in `-MAX_PRIORITY..=MAX_PRIORITY`.
pub const MAX_PRIORITY: i64 = 1_000_000;
/// Times are clamped into `-MAX_TIME_MS..=MAX_TIME_MS` (the range of a JavaScript `Date`), so no sum of a time and
/// a bounded duration can overflow, whatever clock the caller passes.
pub const MAX_TIME_MS: i64 = crate::core::time::MAX_DATE_MS;

pub fn clamp_time(ms: i64) -> i64 {
    ms.clamp(-MAX_TIME_MS, MAX_TIME_MS)
}
