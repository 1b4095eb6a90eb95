//! Bounds on what the host page hands the SDK: event names, properties and traits.
//!
//! The page may pass anything. The web layer turns it into JSON text (cycles, BigInt, functions and DOM nodes are
//! dealt with there); this module decides what is kept. Oversized properties first lose the tail of their long
//! strings; if they are still too big the event is dropped. Either way a warning says so.

use std::borrow::Cow;

use super::json::{self, int_text, Map, Value};

/// Longest event name kept.
pub const MAX_EVENT_NAME: usize = 200;
/// Largest serialised properties (or traits) object. Together with the context it keeps each message under
/// the collector's 32 KB per-event limit.
pub const MAX_PROPERTIES_BYTES: usize = 16 * 1024;
/// When properties are too large, strings are cut to this many characters before giving up.
pub const MAX_STRING_CHARS: usize = 1_024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputError {
    EmptyName,
    NameTooLong,
    /// Properties that still exceed [`MAX_PROPERTIES_BYTES`] after cutting long strings.
    TooLarge {
        bytes: usize,
    },
}

impl InputError {
    pub fn code(&self) -> &'static str {
        match self {
            InputError::EmptyName => "invalid_event_name",
            InputError::NameTooLong => "event_name_too_long",
            InputError::TooLarge { .. } => "properties_too_large",
        }
    }

    pub fn message(&self) -> String {
        match self {
            InputError::EmptyName => {
                "an event name must be a non-empty string; the event was dropped".into()
            }
            // The limits are written out (a test checks them against the constants): numbers formatted at run
            // time cost code at every message, and `format!` would bring `core::fmt` into the wasm.
            InputError::NameTooLong => {
                "event names are limited to 200 bytes; the event was dropped".into()
            }
            InputError::TooLarge { bytes } => json::concat(&[
                "properties of ",
                &int_text(*bytes as i64),
                " bytes exceed the 16384-byte limit even with strings cut to 1024 characters; the event was dropped",
            ]),
        }
    }
}

/// A change made to the input that the page should hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjustment {
    /// Properties were not an object and were replaced by `{}`.
    NotAnObject,
    /// Long strings were cut to fit the size limit.
    StringsCut,
    /// Properties were not JSON (a tagged click's attribute), or nested past the parser's depth, and were replaced
    /// by `{}`: the event is kept.
    NotJson,
}

impl Adjustment {
    pub fn code(self) -> &'static str {
        match self {
            Adjustment::NotAnObject => "properties_not_object",
            Adjustment::StringsCut => "properties_truncated",
            Adjustment::NotJson => "invalid_properties",
        }
    }

    pub fn message(self) -> String {
        match self {
            Adjustment::NotAnObject => "properties must be an object; sent {} instead".into(),
            Adjustment::StringsCut => {
                "properties were too large; strings were cut to 1024 characters".into()
            }
            Adjustment::NotJson => {
                "properties are not JSON or nest more than 64 levels deep; sent {} instead".into()
            }
        }
    }
}

/// `str::trim`. The tracking build uses [`trim_forward`]; the segments build links std's anyway (the survey prompt
/// trims a free-text answer with it), so there it is std's and the module does not carry both.
#[cfg(not(feature = "segments"))]
pub fn trim(s: &str) -> &str {
    trim_forward(s)
}

#[cfg(feature = "segments")]
pub fn trim(s: &str) -> &str {
    s.trim()
}

/// `str::trim` in one forward pass: std's decodes characters from the back too, and the texts trimmed here (event
/// names, property JSON, option values) are short. Compiled in every build, so the tests check it against std's
/// whichever build they run in.
#[cfg_attr(feature = "segments", allow(dead_code))]
fn trim_forward(s: &str) -> &str {
    trim_where(s, char::is_whitespace)
}

/// `s` without the characters `is_space` names at either end, in one forward pass (for white space other than
/// Rust's, as JavaScript's `Number()` trims it).
pub fn trim_where(s: &str, is_space: impl Fn(char) -> bool) -> &str {
    let mut start = None;
    let mut end = 0;
    let mut i = 0;
    for c in s.chars() {
        let next = i + c.len_utf8();
        if !is_space(c) {
            if start.is_none() {
                start = Some(i);
            }
            end = next;
        }
        i = next;
    }
    match start {
        Some(start) => s.get(start..end).unwrap_or_default(),
        None => "",
    }
}

pub fn event_name(name: &str) -> Result<&str, InputError> {
    if trim(name).is_empty() {
        Err(InputError::EmptyName)
    } else if name.len() > MAX_EVENT_NAME {
        Err(InputError::NameTooLong)
    } else {
        Ok(name)
    }
}

/// Checked properties: the JSON text to send, the parsed object (for the rule engine), and what was changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Props<'a> {
    pub json: Cow<'a, str>,
    pub map: Map,
    pub adjustment: Option<Adjustment>,
}

impl Props<'_> {
    fn empty(adjustment: Option<Adjustment>) -> Self {
        Props {
            json: Cow::Borrowed("{}"),
            map: Map::new(),
            adjustment,
        }
    }
}

/// Checks serialised properties (absent or `null` mean `{}`). `keep`: whether the caller reads them (a rule engine
/// hears the event, the page's properties and traits are kept); without it, properties within the size limit are
/// checked but not read ([`json::check`]: the same answer, warning and text sent, with an empty `map`).
pub fn properties(json_text: Option<&str>, keep: bool) -> Result<Props<'_>, InputError> {
    let text = match json_text.map(trim) {
        None | Some("") | Some("null") => return Ok(Props::empty(None)),
        Some(t) => t,
    };
    let value = if keep || text.len() > MAX_PROPERTIES_BYTES {
        json::parse(text)
    } else {
        json::check(text)
    };
    let Ok(value) = value else {
        return Ok(Props::empty(Some(Adjustment::NotJson)));
    };
    let Value::Object(map) = value else {
        return Ok(Props::empty(Some(Adjustment::NotAnObject)));
    };
    if text.len() <= MAX_PROPERTIES_BYTES {
        return Ok(Props {
            json: Cow::Borrowed(text),
            map,
            adjustment: None,
        });
    }
    let mut value = Value::Object(map);
    cut_strings(&mut value);
    let rewritten = value.to_json();
    match value {
        Value::Object(map) if rewritten.len() <= MAX_PROPERTIES_BYTES => Ok(Props {
            json: Cow::Owned(rewritten),
            map,
            adjustment: Some(Adjustment::StringsCut),
        }),
        _ => Err(InputError::TooLarge {
            bytes: rewritten.len(),
        }),
    }
}

fn cut_strings(v: &mut Value) {
    match v {
        Value::String(s) => {
            // The byte offset of character MAX_STRING_CHARS, found by counting the bytes that start a character
            // (not UTF-8 continuation bytes) rather than by decoding each one.
            let mut chars = 0;
            let mut at = None;
            for (i, &b) in s.as_bytes().iter().enumerate() {
                if b & 0xC0 != 0x80 {
                    if chars == MAX_STRING_CHARS {
                        at = Some(i);
                        break;
                    }
                    chars += 1;
                }
            }
            if let Some(at) = at {
                s.truncate(at);
                s.push('…');
            }
        }
        Value::Array(items) => {
            for child in items {
                cut_strings(child);
            }
        }
        Value::Object(map) => {
            for (_, child) in map.entries_mut() {
                cut_strings(child);
            }
        }
        _ => {}
    }
}

/// `text` with every `pattern` replaced by `with`, as `str::replace` does it, by a scan of the bytes:
/// `str::replace` would link the standard library's two-way searcher (about 1 KB of wasm), and the prompt's
/// templates only replace short placeholders in short texts.
pub fn replace_all(text: &str, pattern: &str, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if !pattern.is_empty() {
            if let Some(after) = rest.strip_prefix(pattern) {
                out.push_str(with);
                rest = after;
                continue;
            }
        }
        // The next character as a whole, so that `rest` stays on a character boundary.
        let mut at = 1;
        while !rest.is_char_boundary(at) {
            at += 1;
        }
        let (head, tail) = rest.split_at(at);
        out.push_str(head);
        rest = tail;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The limits written out in the messages are the ones enforced.
    #[test]
    fn messages_state_the_limits() {
        let name = InputError::NameTooLong.message();
        assert!(name.contains(&format!(" {MAX_EVENT_NAME} bytes")), "{name}");
        let large = InputError::TooLarge { bytes: 20_000 }.message();
        assert_eq!(
            large,
            format!(
                "properties of 20000 bytes exceed the {MAX_PROPERTIES_BYTES}-byte limit even with strings cut to \
                 {MAX_STRING_CHARS} characters; the event was dropped"
            )
        );
        let cut = Adjustment::StringsCut.message();
        assert!(
            cut.ends_with(&format!(" {MAX_STRING_CHARS} characters")),
            "{cut}"
        );
    }

    #[test]
    fn trims_as_str_trim() {
        for s in [
            "",
            " ",
            "a",
            " a ",
            "\u{3000}é b\u{85}\t",
            "\u{b}x\u{c}",
            "\u{a0}",
            "x y",
        ] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
            assert_eq!(trim_forward(s), s.trim(), "{s:?}");
        }
    }

    /// [`properties`] read (`keep`) and only checked: the same text sent, warning and error; checked ones carry no
    /// map unless they had to be read to be cut. The read answer is returned.
    fn props(text: Option<&str>) -> Result<Props<'_>, InputError> {
        let read = properties(text, true);
        let checked = properties(text, false);
        match (&read, &checked) {
            (Ok(r), Ok(c)) => {
                assert_eq!((&r.json, r.adjustment), (&c.json, c.adjustment), "{text:?}");
                // (The segments build's wasm reads them anyway: `json::Parser::keep`.)
                if r.adjustment != Some(Adjustment::StringsCut)
                    && !cfg!(all(feature = "segments", target_arch = "wasm32"))
                {
                    assert!(c.map.is_empty(), "{text:?}");
                }
            }
            _ => assert_eq!(read, checked, "{text:?}"),
        }
        read
    }

    #[test]
    fn small_objects_pass_through_untouched() {
        let p = props(Some("{\"a\":1}")).unwrap();
        assert!(matches!(p.json, Cow::Borrowed("{\"a\":1}")));
        assert_eq!(p.adjustment, None);
        assert_eq!(p.map.get("a"), Some(&Value::Number(1.0)));
        assert!(matches!(
            properties(Some("{\"a\":1}"), false).unwrap().json,
            Cow::Borrowed("{\"a\":1}")
        ));
        assert_eq!(props(None).unwrap().json, "{}");
        assert_eq!(props(Some("null")).unwrap().json, "{}");
        assert_eq!(props(Some(" \u{a0}null\n")).unwrap().adjustment, None);
        assert_eq!(props(Some("")).unwrap().adjustment, None);
    }

    #[test]
    fn non_objects_become_empty_objects() {
        let p = props(Some("[1,2]")).unwrap();
        assert_eq!(
            (p.json.as_ref(), p.adjustment),
            ("{}", Some(Adjustment::NotAnObject))
        );
        assert!(p.map.is_empty());
        for text in [
            "\"x\"",
            "\"{\"",
            "1",
            "-0.5e3",
            "true",
            "false",
            "[]",
            "[{}]",
            " [ {\"a\":1} ] ",
        ] {
            assert_eq!(
                props(Some(text)).unwrap().adjustment,
                Some(Adjustment::NotAnObject),
                "{text}"
            );
        }
        // Only a tagged click's attribute can be text that is not JSON (the JavaScript API passes JSON text), and
        // JSON nested past the parser's depth reads as none: the event is kept, without its properties.
        let p = props(Some("{'slot':'top'}")).unwrap();
        assert_eq!(
            (p.json.as_ref(), p.adjustment),
            ("{}", Some(Adjustment::NotJson))
        );
        let deep = format!("{}1{}", "{\"a\":".repeat(70), "}".repeat(70));
        assert_eq!(
            props(Some(&deep)).unwrap().adjustment,
            Some(Adjustment::NotJson)
        );
        // Text that starts as an object but is not one, or not JSON (a page's `JSON.stringify` may answer anything).
        for text in [
            "{",
            "{}x",
            "{} {}",
            "{\"a\":}",
            "{\"a\":01}",
            "{\"a\":1,}",
            "{\"a\":\"\\x\"}",
            "{\"a\":\"\\u12g4\"}",
            "{\"a\":\"\t\"}",
            "{\"a\":[1,]}",
            "{\"a\":tru}",
            "{\"a\":1.}",
            "{\"a\":-}",
            "{a:1}",
        ] {
            assert_eq!(
                props(Some(text)).unwrap().adjustment,
                Some(Adjustment::NotJson),
                "{text}"
            );
        }
        let within = format!(
            "{}1{}",
            "{\"a\":".repeat(json::MAX_DEPTH - 1),
            "}".repeat(json::MAX_DEPTH - 1)
        );
        assert_eq!(props(Some(&within)).unwrap().adjustment, None);
        let past = format!(
            "{{\"a\":{}1{}}}",
            "[".repeat(json::MAX_DEPTH - 1),
            "]".repeat(json::MAX_DEPTH - 1)
        );
        assert_eq!(
            props(Some(&past)).unwrap().adjustment,
            Some(Adjustment::NotJson)
        );
        for text in [
            "{\"a\":\"\\ud83d\",\"b\":\"\\ud83d\\u0041\",\"c\":\"é\\n\\/\"}",
            "{\"a\":1,\"a\":2}",
            "{\"\":{\"\":[]},\"n\":-0,\"x\":1e400,\"y\":[null,true,false,0.5E-3]}",
        ] {
            assert_eq!(props(Some(text)).unwrap().adjustment, None, "{text}");
        }
    }

    #[test]
    fn a_megabyte_string_is_cut() {
        let big = format!("{{\"note\":\"{}\",\"n\":1}}", "é".repeat(1 << 19));
        let p = props(Some(&big)).unwrap();
        assert_eq!(p.adjustment, Some(Adjustment::StringsCut));
        assert_eq!(p.map.get("n"), Some(&Value::Number(1.0)));
        let v = json::parse(&p.json).unwrap();
        assert_eq!(
            v.get("note")
                .and_then(Value::as_str)
                .map(|s| s.chars().count()),
            Some(MAX_STRING_CHARS + 1)
        );
        assert_eq!(v.get("n"), Some(&Value::Number(1.0)));
    }

    #[test]
    fn strings_are_cut_after_the_limit_in_characters() {
        let fits = "a€😀".repeat(MAX_STRING_CHARS / 3) + &"é".repeat(MAX_STRING_CHARS % 3);
        let mut v = Value::String(fits.clone());
        cut_strings(&mut v);
        assert_eq!(v, Value::String(fits.clone()));
        let mut v = Value::String(fits.clone() + "😀x");
        cut_strings(&mut v);
        assert_eq!(v, Value::String(fits + "…"));
    }

    #[test]
    fn many_fields_that_stay_too_large_drop_the_event() {
        let fields: Vec<String> = (0..200)
            .map(|i| format!("\"k{i}\":\"{}\"", "x".repeat(1_000)))
            .collect();
        let big = format!("{{{}}}", fields.join(","));
        assert!(matches!(
            props(Some(&big)),
            Err(InputError::TooLarge { .. })
        ));
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(event_name("  "), Err(InputError::EmptyName));
        assert_eq!(
            event_name(&"x".repeat(MAX_EVENT_NAME + 1)),
            Err(InputError::NameTooLong)
        );
        assert_eq!(event_name("Order Completed"), Ok("Order Completed"));
    }
}

// proptest is a native-only dev-dependency (the crate's tests also build for wasm32).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod replace_properties {
    use super::replace_all;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn agrees_with_str_replace(text in "[{}nté]{0,30}", pattern in "[{}nté]{1,4}", with in "[{}nx]{0,4}") {
            prop_assert_eq!(replace_all(&text, &pattern, &with), text.replace(pattern.as_str(), &with));
        }
    }

    #[test]
    fn fills_the_prompt_placeholders() {
        assert_eq!(replace_all("{n} of {total}", "{n}", "2"), "2 of {total}");
        assert_eq!(replace_all("{n}{n}", "{n}", "{n}"), "{n}{n}");
        assert_eq!(replace_all("é{total}", "{total}", "5"), "é5");
    }
}
