//! Segments and journeys on the device: the tracker's events feed the rule engine, and the engine's changes
//! become messages for the collector and notices for the page.
//!
//! The engine keeps only the aggregates the configured rules need; this module owns it, its persisted state, and
//! the translation between the SDK's events and the engine's.

use super::json::{self, Map, Value};
use super::rules::Event;
use super::segments::config::engine_from_config;
use super::segments::{Change, Engine};
use super::time::Millis;

/// Names of the events the SDK sends when a membership or a stage changes.
pub const SEGMENT_ENTERED: &str = "Segment Entered";
pub const SEGMENT_EXITED: &str = "Segment Exited";
pub const STAGE_CHANGED: &str = "Journey Stage Changed";

/// Events tracked while the config is still loading are kept (up to this many) and fed to the engine once it is
/// built, so that behaviour before the config arrived counts.
pub const MAX_EARLY_EVENTS: usize = 1_000;

pub struct Audience {
    engine: Engine,
    state_dirty: bool,
}

/// The kind of SDK call an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Track,
    Page,
    Identify,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Track => "track",
            Kind::Page => "page",
            Kind::Identify => "identify",
        }
    }
}

/// An event waiting for the config.
#[derive(Debug, Clone)]
pub struct EarlyEvent {
    pub kind: Kind,
    pub name: String,
    pub properties: Map,
    pub session_id: Option<Millis>,
    pub at: Millis,
}

impl Audience {
    /// Builds the engine from a config's `segments` and `journeys`; on failure, every error rendered with its
    /// location (`config:segments.name:line:col`, source line and caret).
    pub fn from_config(config: &Value) -> Result<Audience, Vec<String>> {
        match engine_from_config(config) {
            Ok(engine) => Ok(Audience {
                engine,
                state_dirty: false,
            }),
            Err(errors) => Err(errors.iter().map(|e| e.render("config")).collect()),
        }
    }

    /// Restores state persisted by [`Audience::state_json`]; false when it is not readable (a fresh start).
    pub fn restore(&mut self, text: &str) -> bool {
        match json::parse(text) {
            Ok(v) => self.engine.restore(&v).is_ok(),
            Err(_) => false,
        }
    }

    /// The persisted state if it changed since the last call.
    pub fn take_state_write(&mut self) -> Option<String> {
        if !self.state_dirty {
            return None;
        }
        self.state_dirty = false;
        Some(self.engine.to_value().to_json())
    }

    pub fn segments(&self) -> Vec<&str> {
        self.engine.segments()
    }

    pub fn stage(&self, journey: &str) -> Option<&str> {
        self.engine.stage(journey)
    }

    pub fn next_wakeup(&self) -> Option<Millis> {
        self.engine.next_wakeup()
    }

    /// Feeds one event; returns the changes it caused.
    pub fn ingest(
        &mut self,
        kind: Kind,
        name: &str,
        properties: &Map,
        session_id: Option<Millis>,
        now: Millis,
    ) -> Vec<Change> {
        let event = Event {
            kind: kind.as_str(),
            name,
            properties,
            context: None,
            session_id,
            engaged_ms: 0.0,
        };
        self.state_dirty = true;
        self.engine.ingest(&event, now)
    }

    /// Lets time pass: rules that change with time alone are re-checked.
    pub fn advance(&mut self, now: Millis) -> Vec<Change> {
        let changes = self.engine.advance(now);
        if !changes.is_empty() {
            self.state_dirty = true;
        }
        changes
    }

    pub fn set_context(&mut self, context: Value, now: Millis) -> Vec<Change> {
        self.engine.set_context(context, now)
    }

    pub fn set_channel(&mut self, channel: Value, now: Millis) -> Vec<Change> {
        self.engine.set_channel(channel, now)
    }

    pub fn set_traits(&mut self, traits: Map, now: Millis) -> Vec<Change> {
        self.engine.set_traits(traits, now)
    }

    pub fn set_anonymous_id(&mut self, id: &str, now: Millis) -> Vec<Change> {
        self.engine.set_anonymous_id(id, now)
    }

    /// Run-time rule problems (type mismatches in data), for debug mode.
    pub fn take_diagnostics(&mut self) -> Vec<String> {
        self.engine
            .take_diagnostics()
            .iter()
            .map(|d| d.render())
            .collect()
    }
}

/// The message a change is reported with: (event name, properties).
pub fn change_event(change: &Change) -> (&'static str, Map) {
    let mut props = Map::new();
    match change {
        Change::SegmentEnter { segment, .. } => {
            props.insert("segment", segment.as_str().into());
            (SEGMENT_ENTERED, props)
        }
        Change::SegmentExit { segment, .. } => {
            props.insert("segment", segment.as_str().into());
            (SEGMENT_EXITED, props)
        }
        Change::Stage {
            journey, from, to, ..
        } => {
            props.insert("journey", journey.as_str().into());
            let opt = |s: &Option<String>| s.as_deref().map_or(Value::Null, Value::from);
            props.insert("from", opt(from));
            props.insert("to", opt(to));
            (STAGE_CHANGED, props)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::time::DAY;

    fn config() -> Value {
        json::parse(
            r#"{
              "segments": {"pricing-curious": "count(\"Page Viewed\", where: path starts_with \"/pricing\", within: 7d) >= 2"},
              "journeys": {"lifecycle": [
                 {"stage": "awareness", "rule": "count(\"Page Viewed\") >= 1"},
                 {"stage": "purchase", "rule": "count(\"Order Completed\") >= 1"}
              ]}
            }"#,
        )
        .unwrap()
    }

    fn page(path: &str) -> Map {
        let mut m = Map::new();
        m.insert("path", path.into());
        m
    }

    #[test]
    fn enters_and_leaves_a_segment_as_events_and_time_pass() {
        let mut a = Audience::from_config(&config()).unwrap();
        let c = a.ingest(Kind::Page, "Page Viewed", &page("/pricing"), Some(1), 0);
        assert!(matches!(&c[..], [Change::Stage { to: Some(s), .. }] if s == "awareness"));
        let c = a.ingest(
            Kind::Page,
            "Page Viewed",
            &page("/pricing/team"),
            Some(1),
            1_000,
        );
        assert!(
            matches!(&c[..], [Change::SegmentEnter { segment, .. }] if segment == "pricing-curious")
        );
        assert_eq!(a.segments(), ["pricing-curious"]);
        let wake = a.next_wakeup().unwrap();
        assert!(wake <= 7 * DAY + 1_000 && wake > 6 * DAY);
        let c = a.advance(wake);
        assert!(matches!(&c[..], [Change::SegmentExit { .. }]));
        let (name, props) = change_event(&c[0]);
        assert_eq!(name, SEGMENT_EXITED);
        assert_eq!(
            props.get("segment").and_then(Value::as_str),
            Some("pricing-curious")
        );
    }

    #[test]
    fn state_survives_a_reload_without_re_announcing() {
        let mut a = Audience::from_config(&config()).unwrap();
        a.ingest(Kind::Page, "Page Viewed", &page("/pricing"), Some(1), 0);
        a.ingest(Kind::Page, "Page Viewed", &page("/pricing"), Some(1), 10);
        let state = a.take_state_write().unwrap();
        assert_eq!(a.take_state_write(), None);
        let mut b = Audience::from_config(&config()).unwrap();
        assert!(b.restore(&state));
        assert_eq!(b.segments(), ["pricing-curious"]);
        assert_eq!(b.stage("lifecycle"), Some("awareness"));
        let c = b.ingest(Kind::Track, "Order Completed", &Map::new(), Some(1), 20);
        let (name, props) = change_event(&c[0]);
        assert_eq!(name, STAGE_CHANGED);
        assert_eq!(props.get("from").and_then(Value::as_str), Some("awareness"));
        assert_eq!(props.get("to").and_then(Value::as_str), Some("purchase"));
        assert!(!b.restore("{garbage"));
    }

    #[test]
    fn a_bad_config_reports_every_error_with_its_location() {
        let bad =
            json::parse(r#"{"segments": {"a": "count(\"x\") >= ", "b": "traits.plan == 3 &&"}}"#)
                .unwrap();
        let errors = Audience::from_config(&bad).err().unwrap();
        assert_eq!(errors.len(), 2);
        assert!(
            errors.iter().all(|e| e.starts_with("config:")),
            "{errors:?}"
        );
        assert!(errors.iter().all(|e| e.contains('^')), "{errors:?}");
    }
}
