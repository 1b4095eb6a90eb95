//! The visitor facts the engine keeps beside the aggregates, and the `Input` view rules are evaluated against.

use super::build::Rules;
use crate::core::json::{Map, Value};
use crate::core::rules::{Event, Fact, Input, OwnedEvent, Store};

/// What rules read besides aggregates. Traits are merged from `identify` events (and can be set directly);
/// the context is the latest event's; the current event is the latest ingested one.
#[derive(Debug, Clone)]
pub struct Facts {
    pub traits: Map,
    pub context: Value,
    pub channel: Value,
    pub anonymous_id: String,
    pub last_event: Option<OwnedEvent>,
    /// What GrowthBook-style conditions read; the traits when not set.
    pub attributes: Option<Map>,
}

impl Default for Facts {
    fn default() -> Self {
        Facts {
            traits: Map::new(),
            context: Value::Null,
            channel: Value::Null,
            anonymous_id: String::new(),
            last_event: None,
            attributes: None,
        }
    }
}

/// The engine's view for one evaluation: facts, the store, and memberships as they stand.
pub struct View<'a> {
    pub facts: &'a Facts,
    pub store: &'a Store,
    /// The segments and journeys, with what each holds.
    pub rules: &'a Rules,
}

impl Input for View<'_> {
    fn traits(&self) -> Option<&Map> {
        Some(&self.facts.traits)
    }
    fn context(&self) -> Option<&Value> {
        Some(&self.facts.context)
    }
    fn channel(&self) -> Option<&Value> {
        Some(&self.facts.channel)
    }
    fn event(&self) -> Option<Event<'_>> {
        self.facts.last_event.as_ref().map(OwnedEvent::as_event)
    }
    fn attributes(&self) -> Option<&Map> {
        self.facts.attributes.as_ref().or(Some(&self.facts.traits))
    }
    fn in_segment(&self, name: &str) -> bool {
        in_segment(self.rules, name)
    }
    fn stage(&self, journey: &str) -> Option<&str> {
        stage(self.rules, journey)
    }
    fn anonymous_id(&self) -> &str {
        &self.facts.anonymous_id
    }
    fn aggregate(&self, slot: usize, now_ms: i64) -> Fact<'_> {
        self.store.value(slot, now_ms)
    }
}

/// Whether a segment named `name` has the visitor as a member.
pub fn in_segment(rules: &Rules, name: &str) -> bool {
    for u in &rules.units {
        if !u.journey && u.held != 0 && u.name == name {
            return true;
        }
    }
    false
}

/// The visitor's stage in the (first) journey named `journey`.
pub fn stage<'a>(rules: &'a Rules, journey: &str) -> Option<&'a str> {
    let u = &rules.units[rules.named(true, journey)?];
    let k = u.held.checked_sub(1)?;
    Some(rules.of(u).get(k)?.0.as_str())
}
