//! Validation and normalisation of incoming messages, independent of HTTP and storage.
//!
//! A request is first checked for its overall shape (a `{"batch":[…]}` envelope or a single
//! message); a wrong shape fails the whole request. Each message is then checked on its own,
//! so that one bad event never costs the good events sent with it.

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::clock;

/// Largest serialised message, in bytes.
pub const MAX_EVENT_BYTES: usize = 32 * 1024;
/// Largest total, in bytes, of a batch's messages as compact JSON with the batch-level `context`
/// and `integrations` merged into each: a batch whose copies would exceed it is refused whole.
pub const MAX_MERGED_BATCH_BYTES: usize = 4 * crate::body::MAX_REQUEST_BYTES;
/// Most rejected messages listed in an ingest answer's `errors` (its `rejected` counts them all).
pub const MAX_LISTED_ERRORS: usize = 100;
/// Longest accepted `messageId`, in characters.
pub const MAX_MESSAGE_ID_CHARS: usize = 100;
/// Why a client dropped events, as its SDK reports them in a batch's
/// `context.wayline.dropped`: over its queue bound, older than its max age, refused by the
/// collector with a non-retryable status, unreadable in its storage.
pub const DROP_REASONS: [&str; 4] = ["overflow", "expired", "rejected", "corrupt"];
/// Largest believable count for one reason in one report; a larger one makes the whole
/// report malformed.
pub const MAX_DROP_COUNT: u64 = 1_000_000_000;

/// The Segment message types the collector stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    Track,
    Page,
    Identify,
    Group,
    Alias,
    Screen,
}

impl MessageType {
    pub const ALL: [Self; 6] = [
        Self::Track,
        Self::Page,
        Self::Identify,
        Self::Group,
        Self::Alias,
        Self::Screen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Track => "track",
            Self::Page => "page",
            Self::Identify => "identify",
            Self::Group => "group",
            Self::Alias => "alias",
            Self::Screen => "screen",
        }
    }

    /// The type a message's `type` names, ignoring ASCII case (`"Track"`, `"PAGE"`); only ASCII
    /// letters are folded, so no other character stands in for one of them.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(name))
    }
}

/// Which endpoint a request came in on, which decides the body's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/v1/batch`: `{"batch":[…],"sentAt":…,"writeKey":…}`.
    Batch,
    /// `/v1/track` and friends: one message whose type is given by the path.
    Single(MessageType),
}

/// Why a request body as a whole was refused (HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError(pub String);

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ShapeError {}

/// A request body split into what the collector needs before it looks at any message.
#[derive(Debug)]
pub struct Envelope {
    pub write_key: Option<String>,
    /// The request-level `sentAt`, still raw: an invalid one only disables skew correction.
    pub sent_at: Option<Value>,
    pub messages: Vec<Value>,
    /// The batch-level `context` and `integrations` (when objects, not empty), still to be
    /// merged into each message; always empty for a single call.
    pub shared: Vec<(&'static str, Map<String, Value>)>,
    /// The client's drop report, as (reason, count) with counts above zero; empty when the
    /// request has none, has a malformed one, or is a single call.
    pub drops: Vec<(&'static str, i64)>,
    /// Indices in `messages` of messages that [`read_batch_leniently`] could not read (their
    /// place holds `null`): each is rejected as [`Rejection::NumberOutOfRange`].
    pub unreadable: Vec<usize>,
}

impl Envelope {
    pub fn from_body(body: Value, endpoint: Endpoint) -> Result<Self, ShapeError> {
        let Value::Object(mut object) = body else {
            return Err(ShapeError("the body must be a JSON object".into()));
        };
        let write_key = match object.remove("writeKey") {
            None | Some(Value::Null) => None,
            Some(Value::String(key)) => Some(key),
            Some(_) => return Err(ShapeError("`writeKey` must be a string".into())),
        };
        match endpoint {
            Endpoint::Batch => {
                let messages = match object.remove("batch") {
                    Some(Value::Array(messages)) => messages,
                    Some(_) => return Err(ShapeError("`batch` must be an array".into())),
                    None => return Err(ShapeError("`batch` is missing".into())),
                };
                let drops = drop_report(
                    object
                        .get("context")
                        .and_then(|context| context.get("wayline"))
                        .and_then(|wayline| wayline.get("dropped")),
                );
                // As Segment's API does, a batch-level `context` and `integrations` are merged
                // into each message, one message at a time in `normalise_all` (after the write
                // key is known), so that the copies are counted as they are made. The drop
                // report is the collector's to count, not part of any event.
                if let Some(Value::Object(context)) = object.get_mut("context") {
                    if let Some(Value::Object(wayline)) = context.get_mut("wayline") {
                        wayline.remove("dropped");
                        if wayline.is_empty() {
                            context.remove("wayline");
                        }
                    }
                }
                let mut shared = Vec::new();
                for field in ["context", "integrations"] {
                    if let Some(Value::Object(defaults)) = object.remove(field) {
                        if !defaults.is_empty() {
                            shared.push((field, defaults));
                        }
                    }
                }
                Ok(Self {
                    write_key,
                    sent_at: object.remove("sentAt"),
                    messages,
                    shared,
                    drops,
                    unreadable: Vec::new(),
                })
            }
            Endpoint::Single(kind) => {
                // The path names the type; a conflicting `type` in the body is overruled.
                object.insert("type".into(), Value::String(kind.as_str().into()));
                let sent_at = object.get("sentAt").cloned();
                // A message's own `context` is part of the event, not a report.
                Ok(Self {
                    write_key,
                    sent_at,
                    messages: vec![Value::Object(object)],
                    shared: Vec::new(),
                    drops: Vec::new(),
                    unreadable: Vec::new(),
                })
            }
        }
    }
}

/// Reads a batch body that `serde_json` cannot read as a whole only because some of its messages hold a number
/// beyond what a double holds (`1e400`, `-1e309`; Segment's API, which reads numbers as doubles, refuses the
/// whole request): each message is read on its own, those are read as `null` and their indices returned, so that
/// they alone are rejected and the batch's other messages kept. `None` for any other body (the first parse error
/// stands), and for such a number outside `batch` (in the batch's `context`, which every message would carry).
pub fn read_batch_leniently(json: &[u8]) -> Option<(Value, Vec<usize>)> {
    use serde_json::value::RawValue;
    // Raw values are only checked for syntax: numbers are scanned, not converted.
    let fields: std::collections::BTreeMap<String, Box<RawValue>> =
        serde_json::from_slice(json).ok()?;
    let mut object = Map::new();
    let mut unreadable = Vec::new();
    for (key, raw) in fields {
        let value = if key == "batch" {
            let items: Vec<Box<RawValue>> = serde_json::from_str(raw.get()).ok()?;
            let mut messages = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                messages.push(match serde_json::from_str(item.get()) {
                    Ok(message) => message,
                    Err(err) if err.to_string().starts_with("number out of range") => {
                        unreadable.push(index);
                        Value::Null
                    }
                    Err(_) => return None,
                });
            }
            Value::Array(messages)
        } else {
            serde_json::from_str(raw.get()).ok()?
        };
        object.insert(key, value);
    }
    Some((Value::Object(object), unreadable))
}

/// Merges a batch-level object into a message's field of the same name: the message's own
/// value wins wherever both have one, and where both hold objects they are merged the same way,
/// key by key. A missing or `null` field takes the batch's object whole.
fn merge_defaults(own: &mut Value, shared: &Map<String, Value>) {
    match own {
        Value::Null => *own = Value::Object(shared.clone()),
        Value::Object(own) => {
            for (key, value) in shared {
                match (own.get_mut(key), value) {
                    (None | Some(Value::Null), _) => {
                        own.insert(key.clone(), value.clone());
                    }
                    (Some(mine @ Value::Object(_)), Value::Object(shared)) => {
                        merge_defaults(mine, shared);
                    }
                    _ => {}
                }
            }
        }
        // Not an object: the message's own value, kept as sent.
        _ => {}
    }
}

/// Reads a batch's `context.wayline.dropped`: `{"overflow":2,"expired":0,…}`.
///
/// The report is diagnostics riding along with the events, so a bad one never fails the
/// request: unless it is an object whose known reasons all hold integers in
/// `0..=MAX_DROP_COUNT`, it counts as nothing. Unknown reasons are skipped (a newer SDK may
/// report more), and zero counts are left out.
pub fn drop_report(dropped: Option<&Value>) -> Vec<(&'static str, i64)> {
    let Some(Value::Object(dropped)) = dropped else {
        return Vec::new();
    };
    let mut counts = Vec::new();
    for reason in DROP_REASONS {
        let Some(value) = dropped.get(reason) else {
            continue;
        };
        // `as_u64` is `None` for negative numbers and for any number written with a
        // fraction or an exponent (`2.0`, `1e3`), which are not counts.
        let Some(count) = value
            .as_u64()
            .filter(|&count| count <= MAX_DROP_COUNT)
            .and_then(|count| i64::try_from(count).ok())
        else {
            return Vec::new();
        };
        if count > 0 {
            counts.push((reason, count));
        }
    }
    counts
}

/// Why one message was rejected. The code is stable (it is counted per source in the
/// database and returned to clients); the message is for humans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    NumberOutOfRange,
    TooLarge,
    NotAnObject,
    InvalidType,
    InvalidMessageId,
    InvalidIdentity,
    MissingIdentity,
    InvalidTimestamp,
    MissingEvent,
    MissingPreviousId,
}

impl Rejection {
    pub fn code(self) -> &'static str {
        match self {
            Self::NumberOutOfRange => "number_out_of_range",
            Self::TooLarge => "event_too_large",
            Self::NotAnObject => "invalid_event",
            Self::InvalidType => "invalid_type",
            Self::InvalidMessageId => "invalid_message_id",
            Self::InvalidIdentity => "invalid_identity",
            Self::MissingIdentity => "missing_identity",
            Self::InvalidTimestamp => "invalid_timestamp",
            Self::MissingEvent => "missing_event",
            Self::MissingPreviousId => "missing_previous_id",
        }
    }

    pub fn message(self) -> String {
        match self {
            Self::NumberOutOfRange => {
                "the message holds a number beyond what a double holds (about ±1.8e308)".into()
            }
            Self::TooLarge => format!("the message exceeds {MAX_EVENT_BYTES} bytes"),
            Self::NotAnObject => "the message must be a JSON object".into(),
            Self::InvalidType => {
                "`type` must be one of track, page, identify, group, alias, screen".into()
            }
            Self::InvalidMessageId => {
                format!("`messageId` must be a non-empty string of at most {MAX_MESSAGE_ID_CHARS} characters")
            }
            Self::InvalidIdentity => "`anonymousId` and `userId` must be strings or numbers".into(),
            Self::MissingIdentity => "`anonymousId` or `userId` is required".into(),
            Self::InvalidTimestamp => {
                "`timestamp` must be an ISO-8601 date-time with an offset".into()
            }
            Self::MissingEvent => "a track message needs a non-empty `event` name".into(),
            Self::MissingPreviousId => "an alias message needs a non-empty `previousId`".into(),
        }
    }
}

/// A message that passed validation, normalised and ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub message_id: String,
    pub kind: MessageType,
    /// `event` for track, `name` for page and screen.
    pub event_name: Option<String>,
    pub anonymous_id: Option<String>,
    pub user_id: Option<String>,
    /// Corrected time, ISO-8601 UTC with milliseconds.
    pub timestamp: String,
    pub received_at: String,
    /// The normalised message as JSON: everything the client sent except `writeKey`, plus
    /// `originalTimestamp` (when it sent a `timestamp`), the corrected `timestamp`, `receivedAt`
    /// and `sentAt`.
    pub body: String,
}

/// A batch whose messages, with the batch-level `context` and `integrations` merged into each,
/// exceed [`MAX_MERGED_BATCH_BYTES`] in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergedTooLarge;

/// Merges the batch-level objects into each message, then validates and normalises it. The
/// result has one entry per message, in order, so that rejections can be reported by index.
///
/// The merged copies are made one message at a time and counted as they are made: a small
/// body naming a large `context` and many messages would otherwise multiply into gigabytes.
/// Past [`MAX_MERGED_BATCH_BYTES`] in all the whole batch is refused, so the copying done for
/// one request is bounded by that limit plus one message.
pub fn normalise_all(
    envelope: Envelope,
    received_at: OffsetDateTime,
) -> Result<Vec<Result<Event, Rejection>>, MergedTooLarge> {
    let Envelope {
        sent_at,
        messages,
        shared,
        unreadable,
        ..
    } = envelope;
    let mut total = 0usize;
    let mut results = Vec::with_capacity(messages.len());
    for (index, mut message) in messages.into_iter().enumerate() {
        if unreadable.contains(&index) {
            results.push(Err(Rejection::NumberOutOfRange));
            continue;
        }
        if let Value::Object(object) = &mut message {
            for (field, defaults) in &shared {
                merge_defaults(object.entry(*field).or_insert(Value::Null), defaults);
            }
        }
        let len = serialized_len(&message);
        total = total.saturating_add(len);
        if total > MAX_MERGED_BATCH_BYTES {
            return Err(MergedTooLarge);
        }
        results.push(normalise_measured(
            message,
            len,
            sent_at.as_ref(),
            received_at,
        ));
    }
    Ok(results)
}

/// Validates one message and, if it is good, normalises it.
///
/// `batch_sent_at` is the request's `sentAt`; a message's own `sentAt` is used only when the
/// request has no valid one (missing, null or not an ISO-8601 time).
pub fn normalise(
    message: Value,
    batch_sent_at: Option<&Value>,
    received_at: OffsetDateTime,
) -> Result<Event, Rejection> {
    let len = serialized_len(&message);
    normalise_measured(message, len, batch_sent_at, received_at)
}

/// [`normalise`] of a message whose compact JSON is `len` bytes.
fn normalise_measured(
    message: Value,
    len: usize,
    batch_sent_at: Option<&Value>,
    received_at: OffsetDateTime,
) -> Result<Event, Rejection> {
    if len > MAX_EVENT_BYTES {
        return Err(Rejection::TooLarge);
    }
    let Value::Object(mut object) = message else {
        return Err(Rejection::NotAnObject);
    };
    // Segment's API gives a message without a `messageId` one. Being new on every request, it
    // cannot deduplicate a retried message: such a message is stored once per request.
    if matches!(object.get("messageId"), None | Some(Value::Null)) {
        object.insert("messageId".into(), Value::String(generated_message_id()));
    }
    // Segment's libraries take numeric ids too; stored as their text, an id keeps one shape
    // (`42` and `"42"` are the same user).
    for field in ["anonymousId", "userId", "previousId"] {
        if let Some(id) = object.get_mut(field) {
            if let Value::Number(number) = id {
                // An integer, written as JavaScript writes it (`42.0` and `42` are one id); a fraction or an
                // integer past 2^53 is no id a client meant, and stays a number, which is refused below.
                let text = match (number.as_i64(), number.as_u64(), number.as_f64()) {
                    (Some(n), _, _) => Some(n.to_string()),
                    (_, Some(n), _) => Some(n.to_string()),
                    (_, _, Some(x)) => integer_text(x),
                    _ => None,
                };
                if let Some(text) = text {
                    *id = Value::String(text);
                }
            }
        }
    }
    let checked = validate(&object)?;
    // Stored as its canonical name, however it was spelled, so that readers match one spelling.
    object.insert("type".into(), Value::String(checked.kind.as_str().into()));

    // A batch-level `sentAt` that is null or not a valid time counts as none, so the message's
    // own is used.
    let parse = |value: Option<&Value>| value.and_then(Value::as_str).and_then(clock::parse);
    let sent_at = parse(batch_sent_at).or_else(|| parse(object.get("sentAt")));
    // Without a client time the event happened when it arrived, as Segment's API has it.
    let timestamp = match (checked.original, sent_at) {
        (Some(original), Some(sent_at)) => clock::correct_skew(original, sent_at, received_at),
        (Some(original), None) => original,
        (None, _) => received_at,
    };
    // A time after the event was received is the client clock's error; past a tolerance it is not kept (the
    // client's time stays in `originalTimestamp`). Without `sentAt` nothing else corrects it.
    let timestamp = clock::format(clock::not_after_receipt(timestamp, received_at));
    let received_at = clock::format(received_at);

    // The write key is a credential: it identifies the source, which is stored in its own
    // column, and it must not be copied into every stored row.
    object.remove("writeKey");
    match checked.original {
        Some(original) => {
            object.insert(
                "originalTimestamp".into(),
                Value::String(clock::format(original)),
            );
        }
        None => {
            object.remove("originalTimestamp");
        }
    }
    object.insert("timestamp".into(), Value::String(timestamp.clone()));
    object.insert("receivedAt".into(), Value::String(received_at.clone()));
    match sent_at {
        Some(sent_at) => {
            object.insert("sentAt".into(), Value::String(clock::format(sent_at)));
        }
        // Readers rely on every stored time field being parseable, so a bad one is dropped.
        None => {
            object.remove("sentAt");
        }
    }

    let body = Value::Object(object).to_string();
    Ok(Event {
        message_id: checked.message_id,
        kind: checked.kind,
        event_name: checked.event_name,
        anonymous_id: checked.anonymous_id,
        user_id: checked.user_id,
        timestamp,
        received_at,
        body,
    })
}

struct Checked {
    kind: MessageType,
    message_id: String,
    event_name: Option<String>,
    anonymous_id: Option<String>,
    user_id: Option<String>,
    /// The client's `timestamp`; `None` when it sent none.
    original: Option<OffsetDateTime>,
}

fn validate(object: &Map<String, Value>) -> Result<Checked, Rejection> {
    let kind = object
        .get("type")
        .and_then(Value::as_str)
        .and_then(MessageType::from_name)
        .ok_or(Rejection::InvalidType)?;

    let message_id = match object.get("messageId") {
        Some(Value::String(id)) if !id.is_empty() && id.chars().count() <= MAX_MESSAGE_ID_CHARS => {
            id.clone()
        }
        _ => return Err(Rejection::InvalidMessageId),
    };

    let anonymous_id = optional_string(object, "anonymousId")?;
    let user_id = optional_string(object, "userId")?;
    if anonymous_id.is_none() && user_id.is_none() {
        return Err(Rejection::MissingIdentity);
    }

    // Absent or `null`: the collector times the event. Anything else must be a valid time.
    let original = match object.get("timestamp") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            value
                .as_str()
                .and_then(clock::parse)
                .ok_or(Rejection::InvalidTimestamp)?,
        ),
    };

    let event_name = match kind {
        MessageType::Track => Some(non_empty(object, "event").ok_or(Rejection::MissingEvent)?),
        MessageType::Page | MessageType::Screen => non_empty(object, "name"),
        _ => None,
    };
    if kind == MessageType::Alias && non_empty(object, "previousId").is_none() {
        return Err(Rejection::MissingPreviousId);
    }

    Ok(Checked {
        kind,
        message_id,
        event_name,
        anonymous_id,
        user_id,
        original,
    })
}

/// An integral number that a double holds exactly (within ±2^53), written as JavaScript writes it (`42.0` and
/// `-0.0` as `42` and `0`); `None` for a fraction or a larger magnitude. Ids and answers sent as numbers are
/// compared as this text.
pub fn integer_text(x: f64) -> Option<String> {
    (x.fract() == 0.0 && x.abs() <= 9_007_199_254_740_992.0).then(|| format!("{}", x as i64))
}

/// A random UUID (version 4), prefixed to tell it from the ids clients make:
/// `collector-0b6f2c1e-…`.
fn generated_message_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // Without the OS's randomness, the time, the process and a counter keep ids apart.
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos() as u64;
        bytes[..8].copy_from_slice(&nanos.to_be_bytes());
        bytes[8..12].copy_from_slice(&std::process::id().to_be_bytes());
        bytes[12..].copy_from_slice(&COUNT.fetch_add(1, Ordering::Relaxed).to_be_bytes());
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "collector-{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// An identity field: absent, `null` and `""` all mean "not given"; anything but a string
/// (a number is already one by now) is an error rather than being coerced, so that ids never
/// change shape in storage.
fn optional_string(object: &Map<String, Value>, field: &str) -> Result<Option<String>, Rejection> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.is_empty() => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(Rejection::InvalidIdentity),
    }
}

fn non_empty(object: &Map<String, Value>, field: &str) -> Option<String> {
    object
        .get(field)
        .and_then(Value::as_str)
        .filter(|text| !text.trim().is_empty())
        .map(str::to_owned)
}

/// Length of the compact JSON serialisation, without building the string.
fn serialized_len(value: &Value) -> usize {
    struct Counter(usize);
    impl Write for Counter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing a `Value` into an infallible sink cannot fail; if it somehow did, the
    // partial count errs towards accepting, and SQLite still bounds what is stored.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn received() -> OffsetDateTime {
        clock::parse("2026-11-25T15:42:03.500Z").unwrap()
    }

    fn track() -> Value {
        json!({
            "type": "track",
            "event": "Order Completed",
            "messageId": "m-1",
            "anonymousId": "anon-1",
            "timestamp": "2026-11-25T15:52:00.000Z",
            "properties": {"revenue": 42},
        })
    }

    fn reject(message: Value) -> Rejection {
        normalise(message, None, received()).unwrap_err()
    }

    fn with(mut message: Value, field: &str, value: Value) -> Value {
        message[field] = value;
        message
    }

    fn without(mut message: Value, field: &str) -> Value {
        message.as_object_mut().unwrap().remove(field);
        message
    }

    #[test]
    fn good_track_is_normalised_with_skew_correction() {
        let sent = json!("2026-11-25T15:52:03.000Z");
        let event = normalise(
            with(track(), "writeKey", json!("wk")),
            Some(&sent),
            received(),
        )
        .unwrap();
        assert_eq!(event.message_id, "m-1");
        assert_eq!(event.kind, MessageType::Track);
        assert_eq!(event.event_name.as_deref(), Some("Order Completed"));
        assert_eq!(event.anonymous_id.as_deref(), Some("anon-1"));
        assert_eq!(event.user_id, None);
        assert_eq!(event.timestamp, "2026-11-25T15:42:00.500Z");
        assert_eq!(event.received_at, "2026-11-25T15:42:03.500Z");
        let body: Value = serde_json::from_str(&event.body).unwrap();
        assert_eq!(body["originalTimestamp"], "2026-11-25T15:52:00.000Z");
        assert_eq!(body["timestamp"], "2026-11-25T15:42:00.500Z");
        assert_eq!(body["receivedAt"], "2026-11-25T15:42:03.500Z");
        assert_eq!(body["sentAt"], "2026-11-25T15:52:03.000Z");
        assert_eq!(body["properties"]["revenue"], 42);
        assert!(body.get("writeKey").is_none());
    }

    #[test]
    fn without_valid_sent_at_timestamp_is_kept() {
        for sent in [None, Some(json!("not a time")), Some(json!(17))] {
            let event = normalise(track(), sent.as_ref(), received()).unwrap();
            assert_eq!(event.timestamp, "2026-11-25T15:52:00.000Z");
            let body: Value = serde_json::from_str(&event.body).unwrap();
            assert!(body.get("sentAt").is_none());
            assert_eq!(body["originalTimestamp"], "2026-11-25T15:52:00.000Z");
        }
    }

    #[test]
    fn message_sent_at_is_used_when_the_batch_has_none() {
        let message = with(track(), "sentAt", json!("2026-11-25T15:52:01.000Z"));
        let event = normalise(message, None, received()).unwrap();
        assert_eq!(event.timestamp, "2026-11-25T15:42:02.500Z");
    }

    #[test]
    fn message_sent_at_is_used_when_the_batch_one_is_null_or_invalid() {
        let message = with(track(), "sentAt", json!("2026-11-25T15:52:01.000Z"));
        for batch in [json!(null), json!("not a time"), json!(17)] {
            let event = normalise(message.clone(), Some(&batch), received()).unwrap();
            assert_eq!(event.timestamp, "2026-11-25T15:42:02.500Z", "batch {batch}");
            let body: Value = serde_json::from_str(&event.body).unwrap();
            assert_eq!(body["sentAt"], "2026-11-25T15:52:01.000Z");
        }
    }

    #[test]
    fn without_timestamp_the_event_is_timed_when_received() {
        let sent = json!("2026-11-25T15:52:03.000Z");
        for message in [
            without(track(), "timestamp"),
            with(track(), "timestamp", json!(null)),
        ] {
            let event = normalise(message, Some(&sent), received()).unwrap();
            assert_eq!(event.timestamp, "2026-11-25T15:42:03.500Z");
            let body: Value = serde_json::from_str(&event.body).unwrap();
            assert_eq!(body["timestamp"], "2026-11-25T15:42:03.500Z");
            assert_eq!(body["sentAt"], "2026-11-25T15:52:03.000Z");
            assert!(body.get("originalTimestamp").is_none());
        }
    }

    #[test]
    fn without_message_id_one_is_generated() {
        let mut ids = Vec::new();
        for message in [
            without(track(), "messageId"),
            with(track(), "messageId", json!(null)),
            without(track(), "messageId"),
        ] {
            let event = normalise(message, None, received()).unwrap();
            let body: Value = serde_json::from_str(&event.body).unwrap();
            assert_eq!(body["messageId"], event.message_id.as_str());
            let uuid = event.message_id.strip_prefix("collector-").unwrap();
            assert_eq!(uuid.len(), 36, "{uuid}");
            assert_eq!(&uuid[14..15], "4", "{uuid}");
            ids.push(event.message_id);
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 3);
    }

    #[test]
    fn required_fields() {
        assert_eq!(reject(json!([1])), Rejection::NotAnObject);
        assert_eq!(reject(json!("track")), Rejection::NotAnObject);
        assert_eq!(reject(without(track(), "type")), Rejection::InvalidType);
        assert_eq!(
            reject(with(track(), "type", json!("purchase"))),
            Rejection::InvalidType
        );
        assert_eq!(
            reject(with(track(), "messageId", json!(""))),
            Rejection::InvalidMessageId
        );
        assert_eq!(
            reject(with(track(), "messageId", json!(7))),
            Rejection::InvalidMessageId
        );
        assert_eq!(
            reject(with(track(), "messageId", json!("x".repeat(101)))),
            Rejection::InvalidMessageId
        );
        assert!(normalise(
            with(track(), "messageId", json!("é".repeat(100))),
            None,
            received()
        )
        .is_ok());
        assert_eq!(
            reject(without(track(), "anonymousId")),
            Rejection::MissingIdentity
        );
        assert_eq!(
            reject(with(track(), "anonymousId", json!(""))),
            Rejection::MissingIdentity
        );
        assert_eq!(
            reject(with(track(), "anonymousId", json!(true))),
            Rejection::InvalidIdentity
        );
        assert_eq!(
            reject(with(track(), "userId", json!({"id": 1}))),
            Rejection::InvalidIdentity
        );
        assert_eq!(
            reject(with(track(), "timestamp", json!(1764085920000_u64))),
            Rejection::InvalidTimestamp
        );
        assert_eq!(
            reject(with(track(), "timestamp", json!("soon"))),
            Rejection::InvalidTimestamp
        );
        assert_eq!(reject(without(track(), "event")), Rejection::MissingEvent);
        assert_eq!(
            reject(with(track(), "event", json!("  "))),
            Rejection::MissingEvent
        );
    }

    #[test]
    fn type_is_matched_ignoring_ascii_case_and_stored_lower_case() {
        for (sent, kind) in [
            ("Track", MessageType::Track),
            ("TRACK", MessageType::Track),
            ("Page", MessageType::Page),
            ("IDENTIFY", MessageType::Identify),
            ("gRoUp", MessageType::Group),
            ("Screen", MessageType::Screen),
        ] {
            let mut message = with(track(), "type", json!(sent));
            message["previousId"] = json!("p-1");
            let event = normalise(message, None, received()).unwrap();
            assert_eq!(event.kind, kind, "{sent}");
            let body: Value = serde_json::from_str(&event.body).unwrap();
            assert_eq!(body["type"], kind.as_str(), "{sent}");
        }
        // ASCII only: a Kelvin sign is no K, a Cyrillic а no a.
        for sent in ["TRAC\u{212A}", "tr\u{430}ck", "track ", "tracks"] {
            assert_eq!(
                reject(with(track(), "type", json!(sent))),
                Rejection::InvalidType,
                "{sent}"
            );
        }
    }

    #[test]
    fn user_id_alone_is_enough_and_page_name_is_optional() {
        let identify = json!({
            "type": "identify", "messageId": "m-2", "userId": "user-42",
            "timestamp": "2026-11-25T15:52:00Z", "traits": {"plan": "pro"},
        });
        let event = normalise(identify, None, received()).unwrap();
        assert_eq!(event.user_id.as_deref(), Some("user-42"));
        assert_eq!(event.event_name, None);

        let page = json!({"type": "page", "messageId": "m-3", "anonymousId": "a",
            "timestamp": "2026-11-25T15:52:00Z", "name": "Pricing"});
        assert_eq!(
            normalise(page, None, received())
                .unwrap()
                .event_name
                .as_deref(),
            Some("Pricing")
        );
    }

    #[test]
    fn numeric_ids_become_strings() {
        let message = with(with(track(), "anonymousId", json!(5)), "userId", json!(42));
        let event = normalise(message, None, received()).unwrap();
        assert_eq!(event.anonymous_id.as_deref(), Some("5"));
        assert_eq!(event.user_id.as_deref(), Some("42"));
        let body: Value = serde_json::from_str(&event.body).unwrap();
        assert_eq!(body["anonymousId"], "5");
        assert_eq!(body["userId"], "42");

        let alias = json!({"type": "alias", "messageId": "m-4", "userId": 42,
            "previousId": 7, "timestamp": "2026-11-25T15:52:00Z"});
        let body: Value =
            serde_json::from_str(&normalise(alias, None, received()).unwrap().body).unwrap();
        assert_eq!(body["previousId"], "7");

        // As JavaScript writes them: an integral float is the integer; a fraction or an inexact integer is
        // refused rather than stored as some other user's id.
        for (sent, stored) in [(json!(42.0), "42"), (json!(1e2), "100"), (json!(-0.0), "0")] {
            let event = normalise(with(track(), "userId", sent.clone()), None, received()).unwrap();
            assert_eq!(event.user_id.as_deref(), Some(stored), "{sent}");
        }
        for sent in [json!(42.5), json!(1.2345678901234568e22)] {
            assert_eq!(
                reject(with(track(), "userId", sent.clone())),
                Rejection::InvalidIdentity,
                "{sent}"
            );
        }
    }

    #[test]
    fn alias_needs_previous_id() {
        let alias = json!({"type": "alias", "messageId": "m-4", "userId": "u",
            "timestamp": "2026-11-25T15:52:00Z"});
        assert_eq!(reject(alias.clone()), Rejection::MissingPreviousId);
        assert!(normalise(with(alias, "previousId", json!("anon-1")), None, received()).is_ok());
    }

    #[test]
    fn size_cap_is_on_the_serialised_message() {
        let overhead = serialized_len(&with(track(), "pad", json!("")));
        let fits = with(
            track(),
            "pad",
            json!("x".repeat(MAX_EVENT_BYTES - overhead)),
        );
        assert_eq!(serialized_len(&fits), MAX_EVENT_BYTES);
        assert!(normalise(fits, None, received()).is_ok());
        let over = with(
            track(),
            "pad",
            json!("x".repeat(MAX_EVENT_BYTES - overhead + 1)),
        );
        assert_eq!(reject(over), Rejection::TooLarge);
    }

    #[test]
    fn batch_envelope_shape() {
        let envelope = Envelope::from_body(
            json!({"batch": [track(), 3], "sentAt": "2026-11-25T15:52:03Z", "writeKey": "wk_demo"}),
            Endpoint::Batch,
        )
        .unwrap();
        assert_eq!(envelope.write_key.as_deref(), Some("wk_demo"));
        assert_eq!(envelope.messages.len(), 2);
        let results = normalise_all(envelope, received()).unwrap();
        assert!(results[0].is_ok());
        assert_eq!(results[1], Err(Rejection::NotAnObject));

        for bad in [
            json!([]),
            json!({"batch": {}}),
            json!({}),
            json!({"batch": [], "writeKey": 1}),
        ] {
            assert!(Envelope::from_body(bad, Endpoint::Batch).is_err());
        }
    }

    #[test]
    fn copies_of_the_batch_context_stop_at_the_cap() {
        // 400 KB of context and 100,000 messages would be 40 GB of copies; the batch is refused
        // after the first few.
        let defaults: Map<String, Value> = (0..20_000)
            .map(|i| (format!("k{i:05}"), json!(0)))
            .collect();
        let envelope = Envelope {
            write_key: None,
            sent_at: None,
            messages: vec![json!({}); 100_000],
            shared: vec![("context", defaults)],
            drops: Vec::new(),
            unreadable: Vec::new(),
        };
        assert_eq!(normalise_all(envelope, received()), Err(MergedTooLarge));
    }

    #[test]
    fn size_cap_is_on_the_message_with_the_batch_context() {
        let envelope = Envelope::from_body(
            json!({"batch": [track()], "writeKey": "wk_demo",
                "context": {"pad": "x".repeat(MAX_EVENT_BYTES)}}),
            Endpoint::Batch,
        )
        .unwrap();
        assert_eq!(
            normalise_all(envelope, received()),
            Ok(vec![Err(Rejection::TooLarge)])
        );
    }

    #[test]
    fn batch_drop_report() {
        let report = |context: Value| {
            Envelope::from_body(
                json!({"batch": [track()], "writeKey": "wk_demo", "context": context}),
                Endpoint::Batch,
            )
            .unwrap()
            .drops
        };
        assert_eq!(
            report(json!({"wayline": {"dropped":
                {"overflow": 2, "expired": 0, "rejected": 5, "corrupt": 1, "future": -3}}})),
            [("overflow", 2), ("rejected", 5), ("corrupt", 1)]
        );
        assert_eq!(
            report(json!({"wayline": {"dropped": {"expired": 1_000_000_000}}})),
            [("expired", 1_000_000_000)]
        );
        assert_eq!(
            report(json!({"wayline": {"dropped": {"overflow": 0, "corrupt": 0}}})),
            []
        );
        // Anything malformed makes the whole report count as nothing.
        for bad in [
            json!({"wayline": {"dropped": {"overflow": 2, "expired": -1}}}),
            json!({"wayline": {"dropped": {"overflow": 2, "expired": 1.5}}}),
            json!({"wayline": {"dropped": {"overflow": 2, "expired": 2.0}}}),
            json!({"wayline": {"dropped": {"overflow": 2, "expired": "3"}}}),
            json!({"wayline": {"dropped": {"overflow": 2, "expired": null}}}),
            json!({"wayline": {"dropped": {"overflow": 2, "expired": 1_000_000_001_u64}}}),
            json!({"wayline": {"dropped": {"overflow": u64::MAX}}}),
            json!({"wayline": {"dropped": [2, 0, 5, 1]}}),
            json!({"wayline": {"dropped": 8}}),
            json!({"wayline": {"dropped": null}}),
            json!({"wayline": "dropped"}),
            json!({"library": {"name": "wayline"}}),
            json!("context"),
        ] {
            assert_eq!(report(bad.clone()), [], "{bad}");
        }
        let without = json!({"batch": [track()], "writeKey": "wk_demo"});
        assert!(Envelope::from_body(without, Endpoint::Batch)
            .unwrap()
            .drops
            .is_empty());

        // A single call's `context` belongs to its message.
        let single = with(
            track(),
            "context",
            json!({"wayline": {"dropped": {"overflow": 2}}}),
        );
        let envelope = Envelope::from_body(single, Endpoint::Single(MessageType::Track)).unwrap();
        assert!(envelope.drops.is_empty());
    }

    #[test]
    fn single_call_takes_type_from_path_and_keeps_its_sent_at() {
        let message = with(
            with(
                with(track(), "type", json!("identify")),
                "writeKey",
                json!("wk_demo"),
            ),
            "sentAt",
            json!("2026-11-25T15:52:03.000Z"),
        );
        let envelope = Envelope::from_body(message, Endpoint::Single(MessageType::Track)).unwrap();
        assert_eq!(envelope.write_key.as_deref(), Some("wk_demo"));
        let event = normalise_all(envelope, received())
            .unwrap()
            .remove(0)
            .unwrap();
        assert_eq!(event.kind, MessageType::Track);
        assert_eq!(event.timestamp, "2026-11-25T15:42:00.500Z");
        assert!(
            Envelope::from_body(json!([track()]), Endpoint::Single(MessageType::Page)).is_err()
        );
    }
}
