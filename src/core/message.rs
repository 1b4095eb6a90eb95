//! Segment-spec messages, written straight to JSON text.
//!
//! The context that every message carries changes only with the page or the session, so it is serialised once
//! and spliced into each message: building a `track` message is string concatenation, not a tree walk.

use super::attribution::{Attribution, Campaign};
use super::json::{write_int, write_number, write_string, Map};
use super::time::{write_iso8601, Millis};
use super::url::{clip_url, Url};

pub const LIBRARY_NAME: &str = "wayline";
pub const LIBRARY_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The start of every context: `{"library":{"name":…,"version":…},"page":`.
const LIBRARY_JSON: &str = concat!(
    "{\"library\":{\"name\":\"wayline\",\"version\":\"",
    env!("CARGO_PKG_VERSION"),
    "\"},\"page\":"
);

/// Longest URL, referrer or title kept in a message's context; longer ones are cut.
pub const MAX_CONTEXT_TEXT: usize = 2_048;

/// Longest campaign value (a UTM parameter, a touch's source, medium or campaign) kept in a message's context.
pub const MAX_CAMPAIGN_TEXT: usize = 256;

/// Largest message sent, context included: Segment's HTTP API refuses a batch holding a message over 32 KB (read
/// as 32,000 bytes, the stricter reading) with a 400.
pub const MAX_MESSAGE_BYTES: usize = 32_000;

/// Facts about the browser that hold for the whole page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Environment {
    pub user_agent: String,
    pub locale: String,
    pub timezone: String,
    pub screen_width: u32,
    pub screen_height: u32,
    pub screen_density: f64,
    /// `navigator.maxTouchPoints`: a touch screen (iPadOS's Safari names a Mac in its user agent; this tells them
    /// apart). Not sent.
    pub touch_points: u32,
}

/// The page the visitor is on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    pub url: String,
    pub title: String,
    pub referrer: String,
}

impl Page {
    pub fn parsed_url(&self) -> Url<'_> {
        Url::parse(&self.url)
    }

    /// The URL as messages carry it and rules read it: without its `#fragment`, as analytics.js sends it (an
    /// in-page anchor is not another page).
    pub fn sent_url(&self) -> &str {
        Url::without_hash(&self.url)
    }
}

/// Cuts `s` to at most `max` bytes on a character boundary.
pub fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

fn field(out: &mut String, name: &str, value: &str) {
    write_string(name, out);
    out.push(':');
    write_string(value, out);
}

/// A member whose key is written out as JSON (`"key":`, with the comma before it when it is not the first):
/// only the value is escaped at run time.
fn member(out: &mut String, key_json: &str, value: &str) {
    out.push_str(key_json);
    write_string(value, out);
}

/// Writes the `properties` Segment gives a page view (and the context's `page`): path, referrer, search, title, url
/// and, for a page view the caller named, `name` (a page property Segment's spec reserves for it) and `category`
/// (which analytics.js copies into the properties), less those the caller's own properties (`own`) hold: they
/// follow, and a JSON object with a name twice is read differently by different parsers.
pub fn write_page_properties(
    page: &Page,
    category: Option<&str>,
    name: Option<&str>,
    own: Option<&Map>,
    out: &mut String,
) {
    let url = page.parsed_url();
    out.push('{');
    page_property(out, own, "path", clip_url(url.path, MAX_CONTEXT_TEXT));
    page_property(
        out,
        own,
        "referrer",
        clip_url(&page.referrer, MAX_CONTEXT_TEXT),
    );
    page_property(out, own, "search", clip_url(url.search, MAX_CONTEXT_TEXT));
    page_property(out, own, "title", &page.title);
    page_property(out, own, "url", clip_url(page.sent_url(), MAX_CONTEXT_TEXT));
    if let Some(category) = category {
        page_property(out, own, "category", category);
    }
    if let Some(name) = name {
        page_property(out, own, "name", name);
    }
    out.push('}');
}

/// A member of [`write_page_properties`]' object, unless the caller's own properties hold it.
#[inline(never)]
fn page_property(out: &mut String, own: Option<&Map>, key: &str, value: &str) {
    if own.is_some_and(|own| own.get(key).is_some()) {
        return;
    }
    if !out.ends_with('{') {
        out.push(',');
    }
    out.push('"');
    out.push_str(key);
    out.push_str("\":");
    write_string(clip(value, MAX_CONTEXT_TEXT), out);
}

/// A member of `context.campaign`, unless its value is empty.
#[inline(never)]
fn campaign_member(out: &mut String, key: &str, value: &str) {
    if value.is_empty() {
        return;
    }
    if !out.ends_with('{') {
        out.push(',');
    }
    field(out, key, value);
}

/// Serialises the `context` object shared by every message of the current page and session.
pub fn write_context(
    env: &Environment,
    page: &Page,
    campaign: Option<&Campaign>,
    session_id: Option<Millis>,
    attribution: &Attribution,
    out: &mut String,
) {
    // The library's name and version are known when compiling: one literal (a test checks it against them).
    out.push_str(LIBRARY_JSON);
    write_page_properties(page, None, None, None, out);
    member(
        out,
        ",\"userAgent\":",
        clip(&env.user_agent, MAX_CONTEXT_TEXT),
    );
    member(out, ",\"locale\":", &env.locale);
    member(out, ",\"timezone\":", &env.timezone);
    out.push_str(",\"screen\":{\"width\":");
    write_int(i64::from(env.screen_width), out);
    out.push_str(",\"height\":");
    write_int(i64::from(env.screen_height), out);
    out.push_str(",\"density\":");
    write_number(env.screen_density, out);
    out.push('}');
    if let Some(c) = campaign {
        out.push_str(",\"campaign\":{");
        let parts = [
            ("name", &c.name),
            ("source", &c.source),
            ("medium", &c.medium),
            ("term", &c.term),
            ("content", &c.content),
        ];
        for (k, v) in parts {
            campaign_member(out, k, v);
        }
        for (k, v) in &c.other {
            campaign_member(out, k, v);
        }
        out.push('}');
    }
    if let Some(id) = session_id {
        out.push_str(",\"sessionId\":");
        write_int(id, out);
    }
    if attribution.first.is_some() || attribution.last.is_some() {
        out.push_str(",\"attribution\":");
        attribution.write(true, out);
    }
    out.push('}');
}

/// The parts every message has (the context is added by the queue, which shares it between messages).
pub struct Envelope<'a> {
    pub message_id: &'a str,
    pub anonymous_id: &'a str,
    pub user_id: Option<&'a str>,
    pub timestamp: Millis,
    /// The call's `integrations` option, as JSON text (an object).
    pub integrations: Option<&'a str>,
}

/// What distinguishes one message type from another.
pub enum Body<'a> {
    Track {
        event: &'a str,
        properties_json: &'a str,
    },
    Page {
        category: Option<&'a str>,
        name: Option<&'a str>,
        properties_json: &'a str,
    },
    Identify {
        traits_json: &'a str,
    },
    /// `group(groupId, traits)`: the visitor belongs to a company or team.
    Group {
        group_id: &'a str,
        traits_json: &'a str,
    },
    /// `alias(userId, previousId)`: the message's `userId` is the new id, not the current one.
    Alias {
        user_id: &'a str,
        previous_id: &'a str,
    },
}

/// The bytes [`write_message_head`] writes at most for text that needs no escapes: the room to reserve for it, so
/// that writing it never grows the buffer (a grown buffer is copied, and the queue keeps its spare capacity).
pub fn head_room(envelope: &Envelope<'_>, body: &Body<'_>) -> usize {
    let len = |t: Option<&str>| t.map_or(0, str::len);
    // The members' names and punctuation (a named page view with a category has the most) and the timestamp.
    170 + envelope.message_id.len()
        + envelope.anonymous_id.len()
        + len(envelope.user_id)
        + len(envelope.integrations)
        + match body {
            Body::Track {
                event,
                properties_json,
            } => event.len() + properties_json.len(),
            Body::Page {
                category,
                name,
                properties_json,
            } => len(*category) + len(*name) + properties_json.len(),
            Body::Identify { traits_json } => traits_json.len(),
            Body::Group {
                group_id,
                traits_json,
            } => group_id.len() + traits_json.len(),
            Body::Alias {
                user_id,
                previous_id,
            } => user_id.len() + previous_id.len(),
        }
}

/// Writes a message up to and including `"context":`; the context object and the closing brace follow.
pub fn write_message_head(envelope: &Envelope<'_>, body: &Body<'_>, out: &mut String) {
    match body {
        Body::Track {
            event,
            properties_json,
        } => {
            out.push_str("{\"type\":\"track\",\"event\":");
            write_string(event, out);
            out.push_str(",\"properties\":");
            out.push_str(properties_json);
        }
        Body::Page {
            category,
            name,
            properties_json,
        } => {
            out.push_str("{\"type\":\"page\"");
            if let Some(c) = category {
                out.push_str(",\"category\":");
                write_string(c, out);
            }
            if let Some(n) = name {
                out.push_str(",\"name\":");
                write_string(n, out);
            }
            out.push_str(",\"properties\":");
            out.push_str(properties_json);
        }
        Body::Identify { traits_json } => {
            out.push_str("{\"type\":\"identify\",\"traits\":");
            out.push_str(traits_json);
        }
        Body::Group {
            group_id,
            traits_json,
        } => {
            out.push_str("{\"type\":\"group\",\"groupId\":");
            write_string(group_id, out);
            out.push_str(",\"traits\":");
            out.push_str(traits_json);
        }
        Body::Alias {
            user_id,
            previous_id,
        } => {
            out.push_str("{\"type\":\"alias\",\"previousId\":");
            write_string(previous_id, out);
            member(out, ",\"userId\":", user_id);
        }
    }
    member(out, ",\"messageId\":", envelope.message_id);
    member(out, ",\"anonymousId\":", envelope.anonymous_id);
    if let (Some(u), false) = (envelope.user_id, matches!(body, Body::Alias { .. })) {
        member(out, ",\"userId\":", u);
    }
    out.push_str(",\"timestamp\":\"");
    write_iso8601(envelope.timestamp, out);
    out.push('"');
    if let Some(integrations) = envelope.integrations {
        out.push_str(",\"integrations\":");
        out.push_str(integrations);
    }
    out.push_str(",\"context\":");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::attribution::{Channel, Touch};
    use crate::core::json::{parse, Value};

    fn env() -> Environment {
        Environment {
            user_agent: "UA \"quoted\"".into(),
            locale: "de-DE".into(),
            timezone: "Europe/Berlin".into(),
            screen_width: 1280,
            screen_height: 720,
            screen_density: 1.5,
            touch_points: 0,
        }
    }

    #[test]
    fn context_carries_the_spec_fields() {
        let page = Page {
            url: "https://shop.test/p?utm_source=nl&utm_campaign=x#h".into(),
            title: "Shop".into(),
            referrer: "https://google.com/".into(),
        };
        let campaign = Campaign::from_url(&page.parsed_url());
        let mut attribution = Attribution::default();
        attribution.record(Touch {
            channel: Channel::Search,
            source: "google.com".into(),
            medium: String::new(),
            campaign: String::new(),
            at: 0,
        });
        let mut s = String::new();
        write_context(
            &env(),
            &page,
            campaign.as_ref(),
            Some(77),
            &attribution,
            &mut s,
        );
        let v = parse(&s).unwrap();
        let get = |path: &[&str]| path.iter().try_fold(&v, |v, k| v.get(k)).cloned();
        assert_eq!(get(&["library", "name"]), Some(Value::from("wayline")));
        assert_eq!(get(&["page", "path"]), Some(Value::from("/p")));
        assert_eq!(
            get(&["page", "search"]),
            Some(Value::from("?utm_source=nl&utm_campaign=x"))
        );
        assert_eq!(
            get(&["page", "referrer"]),
            Some(Value::from("https://google.com/"))
        );
        assert_eq!(get(&["userAgent"]), Some(Value::from("UA \"quoted\"")));
        assert_eq!(get(&["screen", "density"]), Some(Value::Number(1.5)));
        assert_eq!(get(&["campaign", "source"]), Some(Value::from("nl")));
        assert_eq!(get(&["campaign", "name"]), Some(Value::from("x")));
        assert_eq!(get(&["sessionId"]), Some(Value::Number(77.0)));
        assert_eq!(
            get(&["attribution", "first", "channel"]),
            Some(Value::from("search"))
        );
        assert_eq!(get(&["timezone"]), Some(Value::from("Europe/Berlin")));
    }

    /// Every kind of head, with the longest fixed parts (a named page view with a category, a user id, options'
    /// integrations), fits the room reserved for it, so it is written without growing its buffer; so does the head
    /// of `bench/track.mjs`'s call, which the fixed 256 bytes reserved before did not hold.
    #[test]
    fn message_heads_fit_the_room_reserved_for_them() {
        let props =
            r#"{"revenue":42,"currency":"EUR","items":[{"sku":"ridge-30","qty":1}],"coupon":null}"#;
        let uuid = "8f3c2a1e-5b7d-4c9e-a2f1-0d6b8e4c3a7f";
        let bodies = [
            Body::Track {
                event: "Benchmark Event",
                properties_json: props,
            },
            Body::Page {
                category: Some("Docs"),
                name: Some("Intro"),
                properties_json: props,
            },
            Body::Identify { traits_json: props },
            Body::Group {
                group_id: "g1",
                traits_json: props,
            },
            Body::Alias {
                user_id: "u2",
                previous_id: uuid,
            },
        ];
        for (user_id, integrations) in [(None, None), (Some("u1"), Some(r#"{"All":false}"#))] {
            let envelope = Envelope {
                message_id: uuid,
                anonymous_id: uuid,
                user_id,
                timestamp: 1_700_000_000_123,
                integrations,
            };
            for body in &bodies {
                let room = head_room(&envelope, body);
                let mut out = String::with_capacity(room);
                write_message_head(&envelope, body, &mut out);
                assert!(out.len() <= room, "{out}: {} bytes in {room}", out.len());
            }
        }
    }

    #[test]
    fn messages_are_valid_json_with_envelope() {
        let env = Envelope {
            message_id: "m1",
            anonymous_id: "a1",
            user_id: Some("u1"),
            timestamp: 0,
            integrations: None,
        };
        let mut s = String::new();
        write_message_head(
            &env,
            &Body::Track {
                event: "Order \"Completed\"",
                properties_json: "{\"revenue\":42}",
            },
            &mut s,
        );
        assert!(s.ends_with("\"context\":"));
        s.push_str("{}}");
        let v = parse(&s).unwrap();
        assert_eq!(v.get("type"), Some(&Value::from("track")));
        assert_eq!(v.get("event"), Some(&Value::from("Order \"Completed\"")));
        assert_eq!(
            v.get("properties").and_then(|p| p.get("revenue")),
            Some(&Value::Number(42.0))
        );
        assert_eq!(v.get("userId"), Some(&Value::from("u1")));
        assert_eq!(
            v.get("timestamp"),
            Some(&Value::from("1970-01-01T00:00:00.000Z"))
        );
        let mut p = String::new();
        write_message_head(
            &Envelope {
                user_id: None,
                ..env
            },
            &Body::Page {
                category: None,
                name: None,
                properties_json: "{}",
            },
            &mut p,
        );
        p.push_str("{}}");
        let v = parse(&p).unwrap();
        assert_eq!(v.get("type"), Some(&Value::from("page")));
        assert_eq!(v.get("userId"), None);
    }

    #[test]
    fn library_literal_names_this_library() {
        let mut want = String::from("{\"library\":{");
        field(&mut want, "name", LIBRARY_NAME);
        want.push(',');
        field(&mut want, "version", LIBRARY_VERSION);
        want.push_str("},\"page\":");
        assert_eq!(LIBRARY_JSON, want);
    }

    #[test]
    fn clip_respects_char_boundaries() {
        assert_eq!(clip("héllo", 2), "h");
        assert_eq!(clip("abc", 10), "abc");
    }
}
