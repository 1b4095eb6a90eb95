//! The page's side of segments and journeys: loading the config, and telling listeners about changes.
//!
//! With the `segments` feature the config (inline or fetched) builds the rule engine; without it a config is
//! answered with one `segments_unavailable` warning, and none of this, nor the engine, is in the wasm.

use super::*;

#[cfg(feature = "segments")]
use super::super::options::ConfigSource;
#[cfg(feature = "segments")]
use crate::core::segments::Change;

/// Starts loading the config given to `init`, if any.
#[cfg(feature = "segments")]
pub(super) fn start(sdk: &mut Sdk, config: Option<ConfigSource>, now: Millis) {
    match config {
        Some(ConfigSource::Inline(text)) => sdk.load_config(&text, now),
        Some(ConfigSource::Url(url)) => {
            sdk.tracker.expect_config();
            transport::get_text(&sdk.window, &url, |result| {
                run(|s, now| match result {
                    Ok(text) => s.load_config(&text, now),
                    Err(why) => {
                        s.report(&Warning {
                            code: "config_unavailable",
                            message: console::join(&[
                                "the config could not be loaded (",
                                &why,
                                "); segments are off",
                            ]),
                        });
                        s.config_loaded(false);
                    }
                });
            });
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
        sdk.config_loaded(false);
    }
}

#[cfg(not(feature = "segments"))]
impl Sdk {
    pub(super) fn announce_changes(&mut self) {}
}

impl Sdk {
    /// Tells listeners whether segments are live (`config` event, `{ ok }`).
    fn config_loaded(&mut self, ok: bool) {
        let payload = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&payload, &JsValue::from_str("ok"), &JsValue::from_bool(ok));
        self.outbox.emit("config", payload.into());
    }
}

#[cfg(feature = "segments")]
impl Sdk {
    /// Builds segments and journeys from config text, then emits `config` (`{ ok }`): every error is reported,
    /// and tracking goes on either way.
    fn load_config(&mut self, text: &str, now: Millis) {
        let ok = self.try_load_config(text, now);
        self.config_loaded(ok);
    }

    fn try_load_config(&mut self, text: &str, now: Millis) -> bool {
        let value = match crate::core::json::parse(text) {
            Ok(v) => v,
            Err(_) => {
                self.report(&Warning {
                    code: "config_invalid",
                    message: "the config is not valid JSON; segments are off".into(),
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
            Ok(audience) => {
                self.tracker.set_audience(audience, state.as_deref(), now);
                true
            }
            Err((code, errors)) => {
                self.tracker.no_config();
                let mut message = String::from("segments are off: ");
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
    }
}

/// Segments and journeys from a config.
#[cfg(feature = "segments")]
fn build_audience(
    config: &crate::core::json::Value,
) -> Result<Box<dyn crate::core::audience::Segmenter>, (&'static str, Vec<String>)> {
    crate::core::audience::Audience::boxed(config).map_err(|errors| ("config_invalid", errors))
}
