//! Sessions: a visit ends after a stretch of inactivity, or when the visitor arrives through a new campaign.

use super::time::{Millis, MINUTE};

/// Default inactivity that ends a session (the industry's usual 30 minutes).
pub const DEFAULT_IDLE_TIMEOUT: Millis = 30 * MINUTE;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The session's start time in ms, which also identifies it (as Amplitude does).
    pub id: Millis,
    pub last_activity: Millis,
    /// The campaign key the session started with, empty when none.
    pub campaign: String,
    /// Engaged time in the session so far (see `engagement.rs`), across its pages.
    pub engaged_ms: Millis,
}

/// The visitor's current session and how many sessions they have had.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sessions {
    pub current: Option<Session>,
    pub count: u32,
}

impl Sessions {
    /// Records activity at `now`; `campaign` is the key of a UTM campaign in the landing URL, if any.
    /// Returns true when this activity starts a new session.
    /// The key is taken by value: a new session keeps it as it is.
    pub fn touch(&mut self, now: Millis, campaign: Option<String>, idle_timeout: Millis) -> bool {
        let rotate = match &self.current {
            None => true,
            Some(s) => {
                let idle = now.saturating_sub(s.last_activity) >= idle_timeout;
                let new_campaign = campaign.as_ref().is_some_and(|c| *c != s.campaign);
                idle || new_campaign
            }
        };
        if rotate {
            // A clock that went backwards must not produce a session id that is already taken.
            let id = match &self.current {
                Some(s) if now <= s.id => s.id + 1,
                _ => now,
            };
            self.current = Some(Session {
                id,
                last_activity: now,
                campaign: campaign.unwrap_or_default(),
                engaged_ms: 0,
            });
            self.count = self.count.saturating_add(1);
        } else if let Some(s) = &mut self.current {
            // The latest reading, even one before the last (a clock set back counts as no time passed, and the
            // session's idleness is measured on the new clock from here).
            s.last_activity = now;
        }
        rotate
    }

    pub fn id(&self) -> Option<Millis> {
        self.current.as_ref().map(|s| s.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_after_idle_timeout_only() {
        let mut s = Sessions::default();
        assert!(s.touch(1_000, None, DEFAULT_IDLE_TIMEOUT));
        assert!(!s.touch(1_000 + 29 * MINUTE, None, DEFAULT_IDLE_TIMEOUT));
        // Activity extends the session: 29 minutes after the last activity is still the same one.
        assert!(!s.touch(1_000 + 58 * MINUTE, None, DEFAULT_IDLE_TIMEOUT));
        assert_eq!(s.id(), Some(1_000));
        assert!(s.touch(1_000 + 88 * MINUTE, None, DEFAULT_IDLE_TIMEOUT));
        assert_eq!(s.id(), Some(1_000 + 88 * MINUTE));
        assert_eq!(s.count, 2);
    }

    #[test]
    fn rotates_on_a_new_campaign_but_not_the_same_one() {
        let mut s = Sessions::default();
        s.touch(0, Some("spring|nl|email".into()), DEFAULT_IDLE_TIMEOUT);
        assert!(!s.touch(MINUTE, Some("spring|nl|email".into()), DEFAULT_IDLE_TIMEOUT));
        assert!(!s.touch(2 * MINUTE, None, DEFAULT_IDLE_TIMEOUT));
        assert!(s.touch(
            3 * MINUTE,
            Some("summer|nl|email".into()),
            DEFAULT_IDLE_TIMEOUT
        ));
        assert_eq!(s.count, 2);
    }

    #[test]
    fn backwards_clock_never_reuses_an_id() {
        let mut s = Sessions::default();
        s.touch(10 * MINUTE, None, DEFAULT_IDLE_TIMEOUT);
        assert!(s.touch(5 * MINUTE, Some("c".into()), DEFAULT_IDLE_TIMEOUT));
        assert_eq!(s.id(), Some(10 * MINUTE + 1));
    }

    /// A clock set back counts as no time passed, and idleness is measured on the new clock from then on: the
    /// session goes on across the jump, and 30 minutes without activity after it still end it (rather than once
    /// the clock has caught up with the activity before the jump, which could be days).
    #[test]
    fn a_clock_set_back_neither_ends_the_session_nor_holds_it_open() {
        let day = 24 * 60 * MINUTE;
        let mut s = Sessions::default();
        s.touch(10 * day, None, DEFAULT_IDLE_TIMEOUT);
        assert!(!s.touch(9 * day, None, DEFAULT_IDLE_TIMEOUT));
        assert!(!s.touch(9 * day + 20 * MINUTE, None, DEFAULT_IDLE_TIMEOUT));
        assert!(s.touch(9 * day + 51 * MINUTE, None, DEFAULT_IDLE_TIMEOUT));
        assert_eq!(s.count, 2);
        // And forward again: a jump forward is time that passed (as a laptop's sleep is).
        assert!(s.touch(10 * day, None, DEFAULT_IDLE_TIMEOUT));
        assert_eq!(s.count, 3);
    }
}
