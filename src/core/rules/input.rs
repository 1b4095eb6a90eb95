//! What a rule is evaluated against: the visitor's facts at one moment, and the event being processed.
//!
//! The SDK implements [`Input`] over its profile without copying; [`Snapshot`] is an owned implementation for
//! tests, the CLI and one-off checks.

use crate::core::json::{Map, Value};

/// One event as the rule engine sees it. Borrowed, so the SDK can hand over its message without copying.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    /// `track`, `page`, `identify`, ...
    pub kind: &'a str,
    /// The name rules match on: a track event's name; `Page Viewed` for page views, `Identify` for identify calls.
    pub name: &'a str,
    pub properties: &'a Map,
    /// The event's context. `None` means "unchanged": the engine keeps the last context it saw, so the SDK
    /// need not build one per `track` call (it can call `Engine::set_context` when the page changes).
    pub context: Option<&'a Value>,
    /// The session the event belongs to (`context.sessionId` on the wire), for `session_count()`.
    pub session_id: Option<i64>,
    /// Engaged time this event reports, in milliseconds, for `engaged_time()` (0 for most events).
    pub engaged_ms: f64,
}

/// A behavioural fact's value now, as an aggregate store reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fact<'a> {
    Absent,
    Num(f64),
    /// Epoch milliseconds (first/last occurrence).
    Time(i64),
    Bool(bool),
    Value(&'a Value),
}

/// The facts a rule can read. Every method has a default meaning "nothing known", so an implementation
/// supplies only what it has.
pub trait Input {
    fn traits(&self) -> Option<&Map> {
        None
    }
    fn context(&self) -> Option<&Value> {
        None
    }
    /// The current page; by default `context.page`.
    fn page(&self) -> Option<&Value> {
        self.context().and_then(|c| c.get("page"))
    }
    /// First-touch and last-touch attribution (`channel.first`, `channel.last`).
    fn channel(&self) -> Option<&Value> {
        None
    }
    /// GrowthBook-style attributes, read by conditions written as JSON; by default the traits.
    fn attributes(&self) -> Option<&Map> {
        self.traits()
    }
    /// The event being processed, if any.
    fn event(&self) -> Option<Event<'_>> {
        None
    }
    fn in_segment(&self, _name: &str) -> bool {
        false
    }
    fn stage(&self, _journey: &str) -> Option<&str> {
        None
    }
    /// GrowthBook saved groups (`$inGroup`): the members of a group, by id.
    fn saved_group(&self, _id: &str) -> Option<&[Value]> {
        None
    }
    /// The id bucketing hashes (the anonymous id).
    fn anonymous_id(&self) -> &str {
        ""
    }
    /// The value of the aggregate in store slot `slot` at `now_ms`.
    fn aggregate(&self, _slot: usize, _now_ms: i64) -> Fact<'_> {
        Fact::Absent
    }
}

/// An event that owns its data (read from JSON in tests, the CLI and replays).
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedEvent {
    pub kind: String,
    pub name: String,
    pub properties: Map,
    pub context: Value,
    pub session_id: Option<i64>,
    pub engaged_ms: f64,
    /// `timestamp` as epoch milliseconds, when the message carried a numeric one.
    pub timestamp_ms: Option<i64>,
}

impl OwnedEvent {
    pub fn as_event(&self) -> Event<'_> {
        Event {
            kind: &self.kind,
            name: &self.name,
            properties: &self.properties,
            context: Some(&self.context),
            session_id: self.session_id,
            engaged_ms: self.engaged_ms,
        }
    }

    /// Copies a borrowed event.
    pub fn from_event(e: &Event<'_>) -> OwnedEvent {
        OwnedEvent {
            kind: e.kind.to_string(),
            name: e.name.to_string(),
            properties: e.properties.clone(),
            context: e.context.cloned().unwrap_or(Value::Null),
            session_id: e.session_id,
            engaged_ms: e.engaged_ms,
            timestamp_ms: None,
        }
    }

    /// Reads a Segment-shaped message: `type`, `event` (track) or `name` (page), `properties` (or `traits` for
    /// identify), `context` with an optional `sessionId`, an optional numeric `engagedMs` property, and an
    /// optional `timestamp` (epoch milliseconds, or ISO-8601 text). `None` when it is not an object.
    pub fn from_value(v: &Value) -> Option<OwnedEvent> {
        let obj = v.as_object()?;
        let kind = obj
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("track")
            .to_string();
        let name = match kind.as_str() {
            "page" => "Page Viewed".to_string(),
            "screen" => "Screen Viewed".to_string(),
            "identify" => "Identify".to_string(),
            "group" => "Group".to_string(),
            _ => obj
                .get("event")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        };
        let props_key = if kind == "identify" || kind == "group" {
            "traits"
        } else {
            "properties"
        };
        let mut properties = obj
            .get(props_key)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        // A page's or screen's name and category: the SDK writes them in the properties too, Segment's server
        // libraries (and earlier SDKs) only at the top level, where rules would not see them.
        if kind == "page" || kind == "screen" {
            for key in ["name", "category"] {
                if properties.get(key).is_none() {
                    if let Some(value) = obj.get(key).filter(|v| v.as_str().is_some()) {
                        properties.insert(key, value.clone());
                    }
                }
            }
        }
        let context = obj.get("context").cloned().unwrap_or(Value::Null);
        let session_id = match context.get("sessionId") {
            Some(Value::Number(n)) => Some(*n as i64),
            Some(Value::String(s)) => Some(i64::from(super::hash::fnv1a32(s))),
            _ => None,
        };
        let engaged_ms = properties
            .get("engagedMs")
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        let timestamp_ms = match obj.get("timestamp") {
            Some(Value::Number(t)) if t.is_finite() => Some(*t as i64),
            Some(Value::String(s)) => crate::core::time::parse_iso8601(s),
            _ => None,
        };
        Some(OwnedEvent {
            kind,
            name,
            properties,
            context,
            session_id,
            engaged_ms,
            timestamp_ms,
        })
    }
}

/// An owned set of facts: everything an [`Input`] can report, as plain data.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub traits: Map,
    pub context: Value,
    pub channel: Value,
    /// GrowthBook attributes; when `None`, conditions read the traits.
    pub attributes: Option<Map>,
    pub event: Option<OwnedEvent>,
    pub segments: Vec<String>,
    pub stages: Vec<(String, String)>,
    pub saved_groups: Map,
    pub anonymous_id: String,
}

impl Default for Snapshot {
    fn default() -> Self {
        Snapshot {
            traits: Map::new(),
            context: Value::Object(Map::new()),
            channel: Value::Null,
            attributes: None,
            event: None,
            segments: Vec::new(),
            stages: Vec::new(),
            saved_groups: Map::new(),
            anonymous_id: String::new(),
        }
    }
}

impl Snapshot {
    /// Reads `{traits, context, page, channel, attributes, event, segments, stages, savedGroups, anonymousId}`;
    /// every member is optional. A `page` member is stored as `context.page`.
    pub fn from_value(v: &Value) -> Snapshot {
        let mut s = Snapshot::default();
        let Some(obj) = v.as_object() else {
            return s;
        };
        s.traits = obj
            .get("traits")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        s.context = obj
            .get("context")
            .cloned()
            .unwrap_or(Value::Object(Map::new()));
        if let Some(page) = obj.get("page") {
            if let Value::Object(ctx) = &mut s.context {
                ctx.insert("page", page.clone());
            }
        }
        s.channel = obj.get("channel").cloned().unwrap_or(Value::Null);
        s.attributes = obj.get("attributes").and_then(Value::as_object).cloned();
        s.event = obj.get("event").and_then(OwnedEvent::from_value);
        s.segments = obj
            .get("segments")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        s.stages = obj
            .get("stages")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.to_string(), v.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        s.saved_groups = obj
            .get("savedGroups")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        s.anonymous_id = obj
            .get("anonymousId")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        s
    }
}

impl Input for Snapshot {
    fn traits(&self) -> Option<&Map> {
        Some(&self.traits)
    }
    fn context(&self) -> Option<&Value> {
        Some(&self.context)
    }
    fn channel(&self) -> Option<&Value> {
        Some(&self.channel)
    }
    fn attributes(&self) -> Option<&Map> {
        self.attributes.as_ref().or(Some(&self.traits))
    }
    fn event(&self) -> Option<Event<'_>> {
        self.event.as_ref().map(OwnedEvent::as_event)
    }
    fn in_segment(&self, name: &str) -> bool {
        self.segments.iter().any(|s| s == name)
    }
    fn stage(&self, journey: &str) -> Option<&str> {
        self.stages
            .iter()
            .find(|(j, _)| j == journey)
            .map(|(_, s)| s.as_str())
    }
    fn saved_group(&self, id: &str) -> Option<&[Value]> {
        self.saved_groups.get(id).and_then(Value::as_array)
    }
    fn anonymous_id(&self) -> &str {
        &self.anonymous_id
    }
}
