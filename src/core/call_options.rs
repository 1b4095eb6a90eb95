//! analytics.js's `options` argument of `track`, `page`, `identify`, `group` and `alias`: what it changes in the
//! one message that call records, read as analytics-next reads it. `timestamp`, `anonymousId`, `userId` and
//! `messageId` replace the message's own; `integrations` is sent as given (Segment's destinations read it; the collector stores it);
//! `context`'s members, and any other key of the options, replace the context's members of the same name
//! (a shallow merge: `context: {page: {…}}` replaces the whole `page`). Rules and campaigns on the device see the
//! call as they would without options: its time is the time of the call.

use super::json::{Map, Value};
use super::time::{parse_iso8601, Millis};

/// What the options of one call change in its message.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CallOptions {
    pub timestamp: Option<Millis>,
    pub anonymous_id: Option<String>,
    pub user_id: Option<String>,
    /// The page's own `messageId` (a repeat is stored once: the collector, as Segment, deduplicates by it).
    pub message_id: Option<String>,
    /// The `integrations` object as JSON text.
    pub integrations: Option<String>,
    /// Merged over the SDK's context.
    pub context: Map,
}

/// The longest id an option may give (as for `identify` and `group`: `sanitize::MAX_EVENT_NAME`).
const MAX_ID_BYTES: usize = super::sanitize::MAX_EVENT_NAME;

/// The longest `messageId` an option may give: the collector refuses one over 100 characters (read as bytes here,
/// the stricter reading).
const MAX_MESSAGE_ID_BYTES: usize = 100;

impl CallOptions {
    /// Reads the options object (the page's value as JSON-parsed); the names of the options it had to ignore
    /// (a timestamp that is no date, an id that is no string or number of 1 to 200 bytes, a `messageId` that is no
    /// string of 1 to 100 bytes, `integrations` or `context` that is no object), as a list for a warning
    /// ("timestamp, userId").
    pub fn read(options: Map) -> (CallOptions, String) {
        let mut read = CallOptions::default();
        let mut ignored = String::new();
        for (key, value) in options.iter() {
            match key {
                "timestamp" => match timestamp(value) {
                    Some(t) => read.timestamp = Some(t),
                    None => list(&mut ignored, key),
                },
                "anonymousId" | "userId" => match id(value) {
                    Some(id) if key == "userId" => read.user_id = Some(id),
                    Some(id) => read.anonymous_id = Some(id),
                    None => list(&mut ignored, key),
                },
                // A string, as analytics-next takes it (it refuses the call for any other value).
                "messageId" => match value {
                    Value::String(id) if !id.is_empty() && id.len() <= MAX_MESSAGE_ID_BYTES => {
                        read.message_id = Some(id.clone())
                    }
                    _ => list(&mut ignored, key),
                },
                "integrations" => match value {
                    Value::Object(_) => read.integrations = Some(value.to_json()),
                    _ => list(&mut ignored, key),
                },
                "context" => match value {
                    Value::Object(members) => read.context.merge(members),
                    _ => list(&mut ignored, key),
                },
                // analytics-next puts any other option in the context.
                _ => read.context.insert(key, value.clone()),
            }
        }
        (read, ignored)
    }
}

/// Adds `name` to a list of names.
fn list(names: &mut String, name: &str) {
    if !names.is_empty() {
        names.push_str(", ");
    }
    names.push_str(name);
}

/// The first instant of the year 10000, past what a message's ISO 8601 timestamp can say.
const YEAR_10000: f64 = 253_402_300_800_000.0;

/// A date as `JSON.stringify` writes one (ISO 8601), or milliseconds since 1970 (up to the year 9999: a number of
/// microseconds, say, is no date).
fn timestamp(value: &Value) -> Option<Millis> {
    match value {
        Value::String(s) => parse_iso8601(s),
        Value::Number(n) if (0.0..YEAR_10000).contains(n) => Some(*n as Millis),
        _ => None,
    }
}

/// An id as the calls take one: a string, or a finite number written as JavaScript writes it.
fn id(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_finite() => value.to_json(),
        _ => return None,
    };
    (!text.is_empty() && text.len() <= MAX_ID_BYTES).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::json::parse;

    fn read(json: &str) -> (CallOptions, String) {
        match parse(json) {
            Ok(Value::Object(map)) => CallOptions::read(map),
            other => panic!("not an object: {other:?}"),
        }
    }

    #[test]
    fn each_option_is_read_as_analytics_next_reads_it() {
        let (o, ignored) = read(
            r#"{"timestamp": "2026-11-25T15:42:01.123Z", "anonymousId": "a-1", "userId": 42, "messageId": "m-1",
                "integrations": {"All": false, "Mixpanel": true},
                "context": {"ip": "0.0.0.0", "page": {"path": "/x"}}, "traits": {"plan": "pro"}}"#,
        );
        assert_eq!(ignored, "");
        assert_eq!(o.timestamp, parse_iso8601("2026-11-25T15:42:01.123Z"));
        assert_eq!(o.anonymous_id.as_deref(), Some("a-1"));
        assert_eq!(o.user_id.as_deref(), Some("42"));
        assert_eq!(o.message_id.as_deref(), Some("m-1"));
        assert_eq!(
            o.integrations.as_deref(),
            Some(r#"{"All":false,"Mixpanel":true}"#)
        );
        assert_eq!(
            Value::Object(o.context).to_json(),
            r#"{"ip":"0.0.0.0","page":{"path":"/x"},"traits":{"plan":"pro"}}"#
        );
    }

    #[test]
    fn a_timestamp_in_milliseconds_is_taken() {
        assert_eq!(
            read(r#"{"timestamp": 1764085321123}"#).0.timestamp,
            Some(1_764_085_321_123)
        );
    }

    #[test]
    fn what_cannot_be_used_is_named_and_left_out() {
        let (o, ignored) = read(
            r#"{"timestamp": "yesterday", "anonymousId": "", "userId": true, "integrations": ["x"],
                "context": "web", "messageId": 7}"#,
        );
        assert_eq!(o, CallOptions::default());
        assert_eq!(
            ignored,
            "timestamp, anonymousId, userId, integrations, context, messageId"
        );
        let (o, ignored) = read(&format!(r#"{{"messageId": "{}"}}"#, "m".repeat(101)));
        assert_eq!((o, ignored.as_str()), (CallOptions::default(), "messageId"));
        let long = "x".repeat(MAX_ID_BYTES + 1);
        let (o, ignored) = read(&format!(r#"{{"userId": "{long}", "timestamp": 1e300}}"#));
        assert_eq!(o, CallOptions::default());
        assert_eq!(ignored, "userId, timestamp");
        // Microseconds since 1970, or a time before it.
        for micros in ["1764085321123000", "-1"] {
            let (o, ignored) = read(&format!(r#"{{"timestamp": {micros}}}"#));
            assert_eq!((o.timestamp, ignored.as_str()), (None, "timestamp"));
        }
    }
}
