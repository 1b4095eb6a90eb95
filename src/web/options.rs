//! `init` options, read from a plain JS object.
//!
//! Read field by field with `Reflect` rather than through serde: the options are few, and this keeps serde out of
//! the shipped wasm. Unknown fields are ignored; a field of the wrong type is an `invalid_options` error.

use wasm_bindgen::JsValue;

use super::console::{join, num};
use super::errors::wayline_error;
use crate::core::consent::Consent;
use crate::core::queue::QueueConfig;
use crate::core::time::{Millis, MINUTE};
use crate::core::tracker::TrackerOptions;

pub struct InitOptions {
    pub tracker: TrackerOptions,
    /// Collector base URL without a trailing slash.
    pub endpoint: String,
    pub auto_page: bool,
    pub track_clicks: bool,
    pub debug: bool,
    pub consent: Consent,
    pub config: Option<ConfigSource>,
    /// A config fetched from a URL is checked again when the page becomes visible this long after the last check.
    #[cfg_attr(not(feature = "segments"), allow(dead_code))]
    pub config_refresh: Millis,
    /// The response to the config URL's request, started by the page (the stub, for `data-config`): the first
    /// request is not made again.
    #[cfg(feature = "segments")]
    pub config_response: Option<JsValue>,
    /// Segments, journeys and campaigns run in every consent state (`personalizeWithoutConsent`, default true), or
    /// only while consent is granted.
    #[cfg(feature = "segments")]
    pub personalize_without_consent: bool,
}

/// Where segment and journey definitions come from. (Without the `segments` feature only its presence matters.)
#[cfg_attr(not(feature = "segments"), allow(dead_code))]
pub enum ConfigSource {
    /// An object given to `init`, as JSON text.
    Inline(String),
    /// A URL to fetch it from (`data-config` or a string `config`).
    Url(String),
}

fn get(obj: &JsValue, key: &'static str) -> Option<JsValue> {
    Some(super::convert::prop(obj, key)).filter(|v| !super::convert::is_nullish(v))
}

fn invalid(message: &str) -> JsValue {
    wayline_error("invalid_options", message)
}

fn string(obj: &JsValue, key: &'static str) -> Result<Option<String>, JsValue> {
    match get(obj, key) {
        None => Ok(None),
        Some(v) => v
            .as_string()
            .map(Some)
            .ok_or_else(|| invalid(&join(&["init: `", key, "` must be a string"]))),
    }
}

fn number(obj: &JsValue, key: &'static str, min: f64, max: f64) -> Result<Option<f64>, JsValue> {
    match get(obj, key) {
        None => Ok(None),
        Some(v) => match v
            .as_f64()
            .or_else(|| v.as_string().and_then(|s| parse_number(&s)))
        {
            Some(n) if n.is_finite() && (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(invalid(&join(&[
                "init: `",
                key,
                "` must be a number from ",
                &num(min as i64),
                " to ",
                &num(max as i64),
            ]))),
        },
    }
}

fn flag(obj: &JsValue, key: &'static str, default: bool) -> bool {
    match get(obj, key) {
        None => default,
        // `true` and `false` by identity (`===`, the import every such check shares), else a string.
        Some(v) => {
            super::convert::is_true(&v)
                || (v != **super::convert::FALSE
                    && !matches!(v.as_string().as_deref(), Some("false" | "0" | "off")))
        }
    }
}

/// A number given as text (`data-flush-at="10"`), through the JSON number grammar.
fn parse_number(text: &str) -> Option<f64> {
    crate::core::json::parse(crate::core::sanitize::trim(text))
        .ok()?
        .as_f64()
}

impl InitOptions {
    /// `default_endpoint` is the page's origin (empty on a page of no web origin: `endpoint` is then required).
    pub fn read(obj: &JsValue, default_endpoint: &str) -> Result<InitOptions, JsValue> {
        if !obj.is_object() {
            return Err(invalid(
                "init expects an options object such as { writeKey: 'wk_…' }",
            ));
        }
        let write_key = string(obj, "writeKey")?
            .filter(|k| !crate::core::sanitize::trim(k).is_empty())
            .ok_or_else(|| invalid("init: `writeKey` is required"))?;
        let endpoint = string(obj, "endpoint")?
            .filter(|e| !e.is_empty())
            .unwrap_or_else(|| default_endpoint.to_string());
        if endpoint.is_empty() {
            return Err(invalid(
                "init: `endpoint` is required on a page of no web origin",
            ));
        }
        // Without trailing slashes (a plain loop: `trim_end_matches` is one more pattern instantiation).
        let mut endpoint = endpoint.as_str();
        while let Some(rest) = endpoint.strip_suffix("/") {
            endpoint = rest;
        }
        let endpoint = endpoint.to_string();
        let defaults = QueueConfig::default();
        let flush_at =
            number(obj, "flushAt", 1.0, 1_000.0)?.map_or(defaults.flush_at, |n| n as usize);
        let flush_interval = number(obj, "flushInterval", 0.0, 3_600_000.0)?
            .map_or(defaults.flush_interval, |n| n as Millis);
        let idle_minutes = number(obj, "sessionTimeout", 1.0, 1_440.0)?.unwrap_or(30.0);
        let max_age_days = number(obj, "maxEventAge", 1.0, 365.0)?.unwrap_or(7.0);
        let consent = match string(obj, "consent")? {
            None => Consent::Granted,
            Some(c) => Consent::parse(&c).ok_or_else(|| {
                invalid("init: `consent` must be 'granted', 'pending' or 'denied'")
            })?,
        };
        let mut tracker = TrackerOptions::new(&write_key);
        tracker.queue = QueueConfig {
            flush_at,
            flush_interval,
            max_age: (max_age_days * crate::core::time::DAY as f64) as Millis,
            ..defaults
        };
        tracker.idle_timeout = (idle_minutes * MINUTE as f64) as Millis;
        tracker.sent = crate::core::tracker::Sent {
            engagement: flag(obj, "trackEngagement", true),
            scroll_depth: flag(obj, "trackScroll", true),
            session_id: flag(obj, "trackSessions", true),
            attribution: flag(obj, "trackAttribution", true),
        };
        let config_refresh =
            number(obj, "configRefresh", 0.0, 86_400_000.0)?.map_or(5 * MINUTE, |n| n as Millis);
        Ok(InitOptions {
            config_refresh,
            #[cfg(feature = "segments")]
            config_response: get(obj, "configResponse"),
            #[cfg(feature = "segments")]
            personalize_without_consent: flag(obj, "personalizeWithoutConsent", true),
            tracker,
            endpoint,
            auto_page: flag(obj, "autoPage", true),
            track_clicks: flag(obj, "trackClicks", true),
            debug: flag(obj, "debug", false),
            consent,
            config: match get(obj, "config") {
                None => None,
                Some(v) => match v.as_string() {
                    Some(url) => Some(ConfigSource::Url(url)),
                    None => match super::convert::to_json(&v) {
                        super::convert::Json::Text(t) | super::convert::Json::Repaired(t) => {
                            Some(ConfigSource::Inline(t))
                        }
                        super::convert::Json::Absent | super::convert::Json::Lost => None,
                    },
                },
            },
        })
    }
}
