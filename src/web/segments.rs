//! The page's side of segments and journeys: loading the config, and telling listeners about changes.
//!
//! With the `segments` feature the config (inline or fetched) builds the rule engine; without it a config is
//! answered with one `segments_unavailable` warning, and none of this, nor the engine, is in the wasm.

use super::super::convert::object;
use super::*;

#[cfg(feature = "segments")]
use super::super::options::ConfigSource;
#[cfg(feature = "segments")]
use crate::core::compiled;
#[cfg(feature = "segments")]
use crate::core::consent::Consent;
#[cfg(feature = "segments")]
use crate::core::segments::Change;

/// Starts loading the config given to `init`, if any (a URL: `remote_config.rs`).
#[cfg(feature = "segments")]
pub(super) fn start(sdk: &mut Sdk, config: Option<ConfigSource>, now: Millis) {
    // A tab opened in the background starts hidden, with no `visibilitychange` to say so.
    if crate::web::env::is_hidden(&sdk.document) {
        sdk.tracker.page_hidden(now);
    }
    match config {
        Some(ConfigSource::Inline(text)) => {
            let ok = sdk.try_load_config(&text, now, false);
            sdk.config_loaded(ok, "inline");
        }
        Some(ConfigSource::Url(url)) => sdk.start_remote_config(url, now),
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
        sdk.report(
            "segments_unavailable",
            "this build of the SDK has no rule engine, so the config is ignored (use js/dist-segments)",
        );
        sdk.config_loaded(false, "inline");
    }
}

#[cfg(not(feature = "segments"))]
impl Sdk {
    pub(super) fn announce_changes(&mut self) {}
}

impl Sdk {
    /// Tells listeners whether segments are live (`config` event, `{ ok, source }`; `source` is `inline`,
    /// `cache` or `network`).
    pub(super) fn config_loaded(&mut self, ok: bool, source: &str) {
        let payload = object("ok|source", &[ok.into(), source.into()]);
        self.outbox.emit("config", payload);
    }
}

#[cfg(feature = "segments")]
impl Sdk {
    /// `outcome(campaign, outcome, details)` from a host that renders a custom action itself (or reports on
    /// its own UI): recorded exactly as the built-in prompts' outcomes, for the prompt open in this page (see
    /// [`crate::core::tracker::Tracker::host_outcome`]); another is ignored, with a warning in debug mode.
    pub fn host_outcome(
        &mut self,
        campaign: &str,
        outcome: &str,
        details: Option<crate::core::json::Map>,
        now: Millis,
    ) {
        let Some(outcome) = crate::core::campaigns::Outcome::parse(outcome) else {
            self.report(
                "invalid_outcome",
                "outcome() expects shown, dismissed, answered, completed or rewardClaimed",
            );
            return;
        };
        let taken = self
            .tracker
            .host_outcome(campaign, outcome, details.unwrap_or_default(), now);
        if !taken && self.debug {
            let message = console::join(&[
                "outcome() for campaign \"",
                campaign,
                "\", whose prompt is not open in this page (not shown here, or closed since), was ignored",
            ]);
            self.report("outcome_ignored", &message);
        }
    }

    /// Builds segments, journeys and campaigns from config text. Every error is reported with its location; the
    /// config running before (if any) stays, and tracking goes on either way.
    ///
    /// `stored`: the text is the copy stored by an earlier page, which is skipped without a warning when it is a
    /// compiled config of another format (stored by an SDK of another release: this page's was upgraded since).
    pub(super) fn try_load_config(&mut self, text: &str, now: Millis, stored: bool) -> bool {
        let value = match crate::core::json::parse(text) {
            Ok(v) if stored && compiled::is_other_version(&v) => return false,
            Ok(v) => v,
            Err(_) => {
                if !self.has_config() {
                    self.tracker.no_config();
                }
                self.report(
                    "config_invalid",
                    "the config is not valid JSON; it is not used",
                );
                return false;
            }
        };
        // Read whenever the profile is (pending consent too: else the restored profile's traits enter again what
        // the stored state already holds, and that fresh state is what granting consent writes).
        let state = if self.tracker.consent().may_record() {
            self.store.get(&self.state_key)
        } else {
            None
        };
        match build_audience(&value) {
            // Held for consent (`personalizeWithoutConsent: false`); events are kept for it under pending.
            Ok(audience) if self.consent_first && self.tracker.consent() != Consent::Granted => {
                self.held_audience = Some(audience);
                self.keep_events_for_consent();
                true
            }
            Ok(audience) if self.tracker.has_audience() => {
                self.tracker.replace_audience(audience, now);
                true
            }
            Ok(audience) => {
                self.tracker.set_audience(audience, state.as_deref(), now);
                true
            }
            Err((code, errors)) => {
                let mut message = String::from(if self.has_config() {
                    "the new config is not used (the last good one stays): "
                } else {
                    self.tracker.no_config();
                    "segments are off: "
                });
                for e in &errors {
                    message.push('\n');
                    message.push_str(e);
                }
                self.report(code, &message);
                false
            }
        }
    }

    /// Whether a config is in use: running, or held for consent (`personalizeWithoutConsent: false`), which a
    /// config that cannot be used leaves in place, with the events kept for it.
    pub(super) fn has_config(&self) -> bool {
        self.tracker.has_audience() || self.held_audience.is_some()
    }

    /// With `personalizeWithoutConsent: false`, consent given starts the held audience (the events kept under
    /// pending are fed to it), and consent withdrawn stops the running one and holds a fresh one.
    pub(super) fn gate_audience(&mut self, consent: Consent, now: Millis) {
        if !self.consent_first {
            return;
        }
        if consent == Consent::Granted {
            if let Some(audience) = self.held_audience.take() {
                let state = self.store.get(&self.state_key);
                self.tracker.set_audience(audience, state.as_deref(), now);
            }
        } else {
            let open = self.tracker.open_campaign();
            if let Some(audience) = self.tracker.suspend_audience(consent == Consent::Pending) {
                self.close_prompt(open, "consent", true);
                self.held_audience = Some(audience);
            } else {
                self.keep_events_for_consent();
            }
        }
    }

    /// While the config waits for consent: under pending the events are kept for it (held, or on its way) and fed
    /// to it once consent is granted; under denied none are (those kept were the former visitor's).
    fn keep_events_for_consent(&mut self) {
        if self.tracker.consent() != Consent::Pending {
            self.tracker.no_config();
        } else if self.held_audience.is_some() || self.has_config_url() {
            self.tracker.expect_config();
        }
    }

    /// Tells the page's listeners about membership and stage changes.
    pub(super) fn announce_changes(&mut self) {
        // By reference: an owning loop would instantiate the vector's iterator and its drop for `Change`.
        let changes = self.tracker.take_changes();
        for change in &changes {
            let opt = |s: &Option<String>| {
                s.as_deref()
                    .map_or_else(super::super::convert::null, JsValue::from_str)
            };
            let at = JsValue::from_f64(change.at() as f64);
            let (name, payload) = match change {
                Change::SegmentEnter { segment, .. } | Change::SegmentExit { segment, .. } => (
                    if matches!(change, Change::SegmentEnter { .. }) {
                        "segment:enter"
                    } else {
                        "segment:exit"
                    },
                    object("segment|at", &[segment.as_str().into(), at]),
                ),
                Change::Stage {
                    journey, from, to, ..
                } => (
                    "stage:change",
                    object(
                        "journey|from|to|at",
                        &[journey.as_str().into(), opt(from), opt(to), at],
                    ),
                ),
            };
            self.outbox.emit(name, payload);
        }
        if self.debug {
            for d in &self.tracker.take_rule_diagnostics() {
                console::debug(d);
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
) -> Result<Box<crate::core::audience::Audience>, (&'static str, Vec<String>)> {
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
