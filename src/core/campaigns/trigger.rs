//! Whether a signal fires a campaign's trigger. Threshold triggers (idle, scroll, engaged time) fire when the
//! measure crosses the threshold, not on every report above it.

use super::model::Trigger;
use super::signal::Signal;
use crate::core::json::{Map, Value};
use crate::core::rules::{evaluate, Event, Input};

/// The last reported measures, for crossing detection. Scroll and idle are per page; engaged time per session
/// (kept in the persisted state).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Meters {
    pub scroll: f64,
    pub idle_ms: i64,
    pub engaged_ms: i64,
}

pub fn fires(
    trigger: &Trigger,
    signal: &Signal<'_>,
    before: &Meters,
    facts: &dyn Input,
    now_ms: i64,
) -> bool {
    match (trigger, signal) {
        (
            Trigger::Event { name, filter },
            Signal::Event {
                name: n,
                properties,
            },
        ) => {
            name == n
                && filter.as_ref().is_none_or(|f| {
                    let with = WithEvent {
                        facts,
                        name: n,
                        properties,
                    };
                    evaluate(f, &with, now_ms).value
                })
        }
        (Trigger::SegmentEnter(s), Signal::SegmentEnter(n)) => s == n,
        (Trigger::SegmentExit(s), Signal::SegmentExit(n)) => s == n,
        (Trigger::Stage { journey, stage }, Signal::Stage { journey: j, to, .. }) => {
            journey == j && *to == Some(stage.as_str())
        }
        (Trigger::Page(p), Signal::Page { url }) => p.matches(url),
        (Trigger::ExitIntent, Signal::ExitIntent) => true,
        (Trigger::SessionStart, Signal::SessionStart { .. }) => true,
        (Trigger::Idle(t), Signal::Idle { ms }) => before.idle_ms < *t && *ms >= *t,
        (Trigger::Scroll(t), Signal::Scroll { percent }) => before.scroll < *t && *percent >= *t,
        (Trigger::EngagedTime(t), Signal::Engaged { total_ms }) => {
            before.engaged_ms < *t && *total_ms >= *t
        }
        _ => false,
    }
}

/// Whether two triggers fire on the same signals (an event trigger's filter aside), so the two campaigns compete.
pub fn same_trigger(a: &Trigger, b: &Trigger) -> bool {
    match (a, b) {
        (Trigger::Event { name: x, .. }, Trigger::Event { name: y, .. }) => x == y,
        (Trigger::SegmentEnter(x), Trigger::SegmentEnter(y))
        | (Trigger::SegmentExit(x), Trigger::SegmentExit(y)) => x == y,
        (
            Trigger::Stage { journey, stage },
            Trigger::Stage {
                journey: j,
                stage: s,
            },
        ) => journey == j && stage == s,
        (Trigger::Page(x), Trigger::Page(y)) => x == y,
        (Trigger::ExitIntent, Trigger::ExitIntent)
        | (Trigger::SessionStart, Trigger::SessionStart) => true,
        (Trigger::Idle(x), Trigger::Idle(y))
        | (Trigger::EngagedTime(x), Trigger::EngagedTime(y)) => x == y,
        (Trigger::Scroll(x), Trigger::Scroll(y)) => x == y,
        _ => false,
    }
}

/// The visitor's facts, with the triggering event as the current event (for a trigger's `where` rule).
struct WithEvent<'a> {
    facts: &'a dyn Input,
    name: &'a str,
    properties: &'a Map,
}

impl Input for WithEvent<'_> {
    fn traits(&self) -> Option<&Map> {
        self.facts.traits()
    }
    fn context(&self) -> Option<&Value> {
        self.facts.context()
    }
    fn page(&self) -> Option<&Value> {
        self.facts.page()
    }
    fn channel(&self) -> Option<&Value> {
        self.facts.channel()
    }
    fn attributes(&self) -> Option<&Map> {
        self.facts.attributes()
    }
    fn event(&self) -> Option<Event<'_>> {
        Some(Event {
            kind: "track",
            name: self.name,
            properties: self.properties,
            context: None,
            session_id: None,
            engaged_ms: 0.0,
        })
    }
    fn in_segment(&self, name: &str) -> bool {
        self.facts.in_segment(name)
    }
    fn stage(&self, journey: &str) -> Option<&str> {
        self.facts.stage(journey)
    }
    fn saved_group(&self, id: &str) -> Option<&[Value]> {
        self.facts.saved_group(id)
    }
    fn anonymous_id(&self) -> &str {
        self.facts.anonymous_id()
    }
}
