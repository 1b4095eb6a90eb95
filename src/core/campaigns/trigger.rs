//! Whether a signal fires a campaign's trigger. Threshold triggers (idle, scroll, engaged time) fire when the
//! measure crosses the threshold, not on every report above it.

use super::model::Trigger;
use super::signal::Signal;
use crate::core::rules::eval::evaluate_with_event;
use crate::core::rules::{Event, Input};

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
                    let event = Event {
                        kind: "track",
                        name: n,
                        properties,
                        context: None,
                        session_id: None,
                        engaged_ms: 0.0,
                    };
                    evaluate_with_event(f, facts, Some(&event), now_ms).value
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
/// Two page triggers do when their patterns are the same, or both match `url` (the page viewed again).
pub fn same_trigger(a: &Trigger, b: &Trigger, url: Option<&str>) -> bool {
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
        (Trigger::Page(x), Trigger::Page(y)) => {
            x == y || url.is_some_and(|u| x.matches(u) && y.matches(u))
        }
        (Trigger::ExitIntent, Trigger::ExitIntent)
        | (Trigger::SessionStart, Trigger::SessionStart) => true,
        (Trigger::Idle(x), Trigger::Idle(y))
        | (Trigger::EngagedTime(x), Trigger::EngagedTime(y)) => x == y,
        (Trigger::Scroll(x), Trigger::Scroll(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::json::{parse, Map};
    use crate::core::rules::{compile, Snapshot};

    /// A trigger's `where` rule reads the event that fired it (its name, type and properties, and no context),
    /// and everything else from the visitor's facts, whose own event it does not see.
    #[test]
    fn a_filter_reads_the_firing_event_and_the_facts() {
        let facts = Snapshot::from_value(
            &parse(
                r#"{"traits": {"plan": "pro"}, "segments": ["buyers"], "anonymousId": "a1",
                    "event": {"event": "Other", "properties": {"revenue": 1}, "context": {"x": 1}}}"#,
            )
            .unwrap(),
        );
        let mut properties = Map::new();
        properties.insert("revenue", 20.0.into());
        let signal = Signal::Event {
            name: "Order Completed",
            properties: &properties,
        };
        let fires_with = |rule: &str| {
            let trigger = Trigger::Event {
                name: "Order Completed".into(),
                filter: Some(Box::new(compile(rule).unwrap())),
            };
            fires(&trigger, &signal, &Meters::default(), &facts, 0)
        };
        for rule in [
            "properties.revenue > 10",
            "event.name == \"Order Completed\" && event.type == \"track\"",
            "event.context.x == null",
            "traits.plan == \"pro\" && in_segment(\"buyers\")",
        ] {
            assert!(fires_with(rule), "{rule}");
        }
        for rule in [
            "properties.revenue < 10",
            "event.name == \"Other\"",
            "traits.plan == \"free\"",
        ] {
            assert!(!fires_with(rule), "{rule}");
        }
    }
}
