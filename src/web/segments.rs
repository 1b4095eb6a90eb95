//! The page's side of segments and journeys: loading the config, and telling listeners about changes.
//!
//! With the `segments` feature the config (inline or fetched) builds the rule engine; without it a config is
//! answered with one `segments_unavailable` warning, and none of this, nor the engine, is in the wasm.

use super::*;

#[cfg(feature = "segments")]
use super::super::options::ConfigSource;
#[cfg(feature = "segments")]
use crate::core::segments::Change;

/// The config fetched from a URL: its last good text (also kept in storage for offline starts) and tag.
#[cfg(feature = "segments")]
#[derive(Default)]
pub struct Remote {
    url: Option<String>,
    etag: Option<String>,
    text: Option<String>,
    fetched_at: Millis,
    loading: bool,
    /// Checked again when the page becomes visible this long after the last check (`configRefresh`).
    pub refresh: Millis,
}

/// Starts loading the config given to `init`, if any. A URL config starts from the copy stored by an earlier
/// page (so an offline start has its segments and campaigns at once) and is revalidated with its `ETag`.
#[cfg(feature = "segments")]
pub(super) fn start(sdk: &mut Sdk, config: Option<ConfigSource>, now: Millis) {
    match config {
        Some(ConfigSource::Inline(text)) => {
            let ok = sdk.try_load_config(&text, now);
            sdk.config_loaded(ok, "inline");
        }
        Some(ConfigSource::Url(url)) => {
            let cached = if sdk.tracker.consent().may_persist() {
                sdk.store.get(&sdk.config_key())
            } else {
                None
            };
            // Stored as `etag\nurl\ntext`.
            let mut parts = cached.as_deref().unwrap_or_default().splitn(3, '\n');
            let (etag, cached_url, text) = (parts.next(), parts.next(), parts.next());
            if let (Some(etag), Some(text)) = (etag, text.filter(|_| cached_url == Some(&url))) {
                if sdk.try_load_config(text, now) {
                    sdk.remote.etag = Some(etag.to_string()).filter(|e| !e.is_empty());
                    sdk.remote.text = Some(text.to_string());
                    sdk.config_loaded(true, "cache");
                }
            }
            if !sdk.tracker.has_audience() {
                sdk.tracker.expect_config();
            }
            sdk.remote.url = Some(url);
            sdk.fetch_config(now);
        }
        None => {}
    }
}

#[cfg(not(feature = "segments"))]
pub(super) fn start(
    sdk: &mut Sdk,
    config: Option<super::super::options::ConfigSource>,
    _now: Millis,
) {
    if config.is_some() {
        sdk.report(&Warning {
            code: "segments_unavailable",
            message: "this build of the SDK has no rule engine, so the config is ignored (use js/dist-segments)".into(),
        });
        sdk.config_loaded(false, "inline");
    }
}

#[cfg(not(feature = "segments"))]
impl Sdk {
    pub(super) fn announce_changes(&mut self) {}
    pub fn refresh_config(&mut self, _now: Millis) {}
}

impl Sdk {
    /// Tells listeners whether segments are live (`config` event, `{ ok, source }`; `source` is `inline`,
    /// `cache` or `network`).
    fn config_loaded(&mut self, ok: bool, source: &str) {
        let payload = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&payload, &JsValue::from_str("ok"), &JsValue::from_bool(ok));
        let _ = js_sys::Reflect::set(&payload, &JsValue::from_str("source"), &source.into());
        self.outbox.emit("config", payload.into());
    }
}

#[cfg(feature = "segments")]
impl Sdk {
    /// `outcome(campaign, outcome, details)` from a host that renders a custom action itself (or reports on
    /// its own UI): recorded exactly as the built-in prompts' outcomes.
    pub fn host_outcome(
        &mut self,
        campaign: &str,
        outcome: &str,
        details: Option<crate::core::json::Map>,
        now: Millis,
    ) {
        let Some(outcome) = crate::core::campaigns::Outcome::parse(outcome) else {
            self.report(&Warning {
                code: "invalid_outcome",
                message: "outcome() expects shown, dismissed, answered, completed or rewardClaimed"
                    .into(),
            });
            return;
        };
        self.tracker
            .campaign_outcome(campaign, outcome, details.unwrap_or_default(), now);
    }

    fn config_key(&self) -> String {
        console::join(&["wayline:", self.tracker.write_key(), ":config"])
    }

    /// Requests the config URL (revalidating the copy held, if any).
    fn fetch_config(&mut self, now: Millis) {
        let Some(url) = self.remote.url.clone() else {
            return;
        };
        self.remote.loading = true;
        self.remote.fetched_at = now;
        transport::get_text(&self.window, &url, self.remote.etag.as_deref(), |fetched| {
            run(|s, now| s.on_config_fetched(fetched, now));
        });
    }

    /// The page is visible again: a config fetched long enough ago is checked for changes.
    pub fn refresh_config(&mut self, now: Millis) {
        if self.remote.url.is_some()
            && !self.remote.loading
            && now - self.remote.fetched_at >= self.remote.refresh
        {
            self.fetch_config(now);
        }
    }

    /// A new config replaces the running one; an invalid one is reported (every error) and the last good one
    /// stays; without a network the stored copy stays.
    fn on_config_fetched(&mut self, fetched: transport::Fetched, now: Millis) {
        self.remote.loading = false;
        let had_config = self.tracker.has_audience();
        match fetched {
            transport::Fetched::NotModified => {}
            transport::Fetched::Text { text, etag } => {
                if self.remote.text.as_deref() == Some(text.as_str()) {
                    self.remote.etag = etag;
                    return;
                }
                let ok = self.try_load_config(&text, now);
                if ok {
                    if self.tracker.consent().may_persist() {
                        let url = self.remote.url.as_deref().unwrap_or_default();
                        let tag = etag.as_deref().unwrap_or_default();
                        let stored = console::join(&[tag, "\n", url, "\n", &text]);
                        if let Some(w) = self.store.set(&self.config_key(), stored) {
                            self.report(&w);
                        }
                    }
                    self.remote.etag = etag;
                    self.remote.text = Some(text);
                }
                self.config_loaded(ok || had_config, "network");
            }
            transport::Fetched::Failed(why) => {
                let what = if had_config {
                    "); the stored config stays in use"
                } else {
                    self.tracker.no_config();
                    "); segments and campaigns are off"
                };
                self.report(&Warning {
                    code: "config_unavailable",
                    message: console::join(&["the config could not be loaded (", &why, what]),
                });
                if !had_config {
                    self.config_loaded(false, "network");
                }
            }
        }
    }

    /// Builds segments, journeys and campaigns from config text. Every error is reported with its location; the
    /// config running before (if any) stays, and tracking goes on either way.
    fn try_load_config(&mut self, text: &str, now: Millis) -> bool {
        let value = match crate::core::json::parse(text) {
            Ok(v) => v,
            Err(_) => {
                if !self.tracker.has_audience() {
                    self.tracker.no_config();
                }
                self.report(&Warning {
                    code: "config_invalid",
                    message: "the config is not valid JSON; it is not used".into(),
                });
                return false;
            }
        };
        let state = if self.tracker.consent().may_persist() {
            self.store.get(&self.state_key)
        } else {
            None
        };
        match build_audience(&value) {
            Ok(audience) if self.tracker.has_audience() => {
                self.tracker.replace_audience(audience, now);
                true
            }
            Ok(audience) => {
                self.tracker.set_audience(audience, state.as_deref(), now);
                true
            }
            Err((code, errors)) => {
                let mut message = String::from(if self.tracker.has_audience() {
                    "the new config is not used (the last good one stays): "
                } else {
                    self.tracker.no_config();
                    "segments are off: "
                });
                for e in errors {
                    message.push('\n');
                    message.push_str(&e);
                }
                self.report(&Warning { code, message });
                false
            }
        }
    }

    /// Tells the page's listeners about membership and stage changes.
    pub(super) fn announce_changes(&mut self) {
        for change in self.tracker.take_changes() {
            let payload = js_sys::Object::new();
            let set = |k: &str, v: JsValue| {
                let _ = js_sys::Reflect::set(&payload, &JsValue::from_str(k), &v);
            };
            let opt = |s: &Option<String>| s.as_deref().map_or(JsValue::NULL, JsValue::from_str);
            let name = match &change {
                Change::SegmentEnter { segment, .. } => {
                    set("segment", segment.as_str().into());
                    "segment:enter"
                }
                Change::SegmentExit { segment, .. } => {
                    set("segment", segment.as_str().into());
                    "segment:exit"
                }
                Change::Stage {
                    journey, from, to, ..
                } => {
                    set("journey", journey.as_str().into());
                    set("from", opt(from));
                    set("to", opt(to));
                    "stage:change"
                }
            };
            set("at", JsValue::from_f64(change.at() as f64));
            self.outbox.emit(name, payload.into());
        }
        if self.debug {
            for d in self.tracker.take_rule_diagnostics() {
                console::debug(&d);
            }
        }
        self.announce_decisions();
    }
}

/// Segments, journeys and campaigns from a config: compiled (what the collector serves), or as written when
/// this build has the compiler.
#[cfg(feature = "segments")]
fn build_audience(
    config: &crate::core::json::Value,
) -> Result<Box<dyn crate::core::audience::Segmenter>, (&'static str, Vec<String>)> {
    use crate::core::audience::Audience;
    if crate::core::compiled::is_compiled(config) {
        return Audience::boxed_compiled(config).map_err(|errors| ("config_invalid", errors));
    }
    #[cfg(feature = "compiler")]
    return Audience::boxed(config).map_err(|errors| ("config_invalid", errors));
    #[cfg(not(feature = "compiler"))]
    Err((
        "config_not_compiled",
        vec!["this build reads compiled configs: serve it from the collector (GET /v1/config) or compile it with `wayline compile`".into()],
    ))
}
