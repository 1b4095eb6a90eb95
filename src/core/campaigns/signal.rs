//! What the engine is told: things that happened on the page and in the visitor's profile, and what the
//! visitor did with a prompt. Borrowed, so the SDK hands them over without copying.

use crate::core::json::Map;
use crate::core::segments::Change;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Signal<'a> {
    /// A tracked event (and page views, under the name the SDK gives them).
    Event {
        name: &'a str,
        properties: &'a Map,
    },
    SegmentEnter(&'a str),
    SegmentExit(&'a str),
    Stage {
        journey: &'a str,
        from: Option<&'a str>,
        to: Option<&'a str>,
    },
    /// The page's URL changed (a load or an in-app navigation).
    Page {
        url: &'a str,
    },
    ExitIntent,
    /// The visitor has been idle this long; 0 when they are active again.
    Idle {
        ms: i64,
    },
    /// How far the current page is scrolled, in percent.
    Scroll {
        percent: f64,
    },
    /// Total engaged time in the session so far.
    Engaged {
        total_ms: i64,
    },
    /// The session the visitor is in (the SDK's session id). A different id than before starts a new session.
    SessionStart {
        id: i64,
    },
    /// What the visitor did with a campaign's prompt.
    Outcome {
        campaign: &'a str,
        outcome: Outcome,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Shown,
    Dismissed,
    Answered,
    Completed,
    RewardClaimed,
}

impl Outcome {
    pub fn parse(s: &str) -> Option<Outcome> {
        match s {
            "shown" => Some(Outcome::Shown),
            "dismissed" => Some(Outcome::Dismissed),
            "answered" => Some(Outcome::Answered),
            "completed" => Some(Outcome::Completed),
            "rewardClaimed" => Some(Outcome::RewardClaimed),
            _ => None,
        }
    }
}

impl<'a> From<&'a Change> for Signal<'a> {
    /// The segments engine's changes, as campaign signals.
    fn from(c: &'a Change) -> Signal<'a> {
        match c {
            Change::SegmentEnter { segment, .. } => Signal::SegmentEnter(segment),
            Change::SegmentExit { segment, .. } => Signal::SegmentExit(segment),
            Change::Stage {
                journey, from, to, ..
            } => Signal::Stage {
                journey,
                from: from.as_deref(),
                to: to.as_deref(),
            },
        }
    }
}
