//! A config fetched from a URL (such as the collector's `GET /v1/config`): the last good one is stored for offline
//! starts and revalidated with its `ETag`; it is checked again when the page becomes visible after a while; a
//! changed one replaces the running one, an invalid one is reported and the last good one stays.

use super::*;
#[cfg(feature = "segments")]
use crate::web::convert::{call1, prop};

/// What a config request brought.
#[cfg(feature = "segments")]
enum Fetched {
    /// A 200: the body and its `ETag`, if any.
    Text { text: String, etag: Option<String> },
    /// A 304: the copy the SDK has (whose tag it sent) is current.
    NotModified,
    /// The reason it could not be had (network error, status), and what an error response said (the collector's
    /// message and, for a config that fails its check, every error with its location), if anything.
    Failed(String, String),
}

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
    /// The reactions to a request (its response, then its body), made by the first request and reused by the
    /// later ones: there is one request at a time (`loading`). Each serves both outcomes of its promise.
    reactions: Option<[Callback; 2]>,
    /// The `ETag` of the response whose body is being read.
    body_tag: Option<String>,
    /// The status of the response whose body is being read (an error's body says why).
    body_status: u16,
    /// A response to the URL requested before the SDK started (`configResponse`), which serves the first request.
    pub early: Option<JsValue>,
    /// While the first request waits for `early`: when it gives up on it (as the SDK's own request gives up after
    /// `transport::CONFIG_TIMEOUT`), reports the config unavailable and makes its own request.
    early_until: Option<Millis>,
}

#[cfg(feature = "segments")]
use crate::core::consent::Consent;

#[cfg(feature = "segments")]
impl Sdk {
    /// Starts from the copy stored by an earlier page (so an offline start has its segments and campaigns at
    /// once), then asks the network.
    pub(super) fn start_remote_config(&mut self, url: String, now: Millis) {
        // Read whenever stored data is (under pending consent too); written only when it may be.
        let cached = if self.tracker.consent().may_record() {
            self.store.get(&self.config_key())
        } else {
            None
        };
        // Stored as `etag\nurl\ntext`.
        let parts = crate::core::url::split_once_byte(cached.as_deref().unwrap_or_default(), b'\n')
            .and_then(|(etag, rest)| Some((etag, crate::core::url::split_once_byte(rest, b'\n')?)));
        if let Some((etag, (_, text))) = parts.filter(|(_, (cached_url, _))| *cached_url == url) {
            // A copy of another format is skipped (no warning) and its `ETag` not kept, so the request below brings
            // this format's config whole (a 304 would leave nothing to use); it is stored in the old one's place.
            if self.try_load_config(text, now, true) {
                self.remote.etag = Some(etag.to_string()).filter(|e| !e.is_empty());
                self.remote.text = Some(text.to_string());
                self.config_loaded(true, "cache");
            }
        }
        // Events are kept for the config on its way, unless it is to wait for consent that was denied.
        let held_for_denied = self.consent_first && self.tracker.consent() == Consent::Denied;
        if !self.tracker.has_audience() && !held_for_denied {
            self.tracker.expect_config();
        }
        self.remote.url = Some(url);
        self.fetch_config(now);
    }

    /// Stores the config in use for the next start, when storage may be written (`set_consent` calls this when
    /// it becomes allowed: a config fetched under pending consent is the current one, and no later fetch of the
    /// same text stores it).
    pub(super) fn store_config(&mut self) {
        if !self.tracker.consent().may_persist() {
            return;
        }
        if let (Some(url), Some(text)) = (&self.remote.url, &self.remote.text) {
            let tag = self.remote.etag.as_deref().unwrap_or_default();
            let stored = console::join(&[tag, "\n", url, "\n", text]);
            let notice = self.store.set(&self.config_key(), stored);
            self.notice(notice);
        }
    }

    /// Whether the config comes from a URL (and may still be on its way).
    pub(super) fn has_config_url(&self) -> bool {
        self.remote.url.is_some()
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
        let [on_response, _] = self.remote.reactions.get_or_insert_with(|| {
            [
                acting(|r| Some(Action::ConfigResponse(r))),
                acting(|b| Some(Action::ConfigBody(b))),
            ]
        });
        // The page's own request (anything with a `then`; another value is ignored) settles as the SDK's own
        // would, within the time the SDK's own is given (its promise could never settle; one given up on is
        // ignored when it does, through a reaction of its own, handed to the page for good). It carries no
        // `If-None-Match`: a copy the SDK already holds comes back whole (or from the HTTP cache, revalidated), and
        // `on_config_fetched` sees it is the same text.
        match self.remote.early.take() {
            Some(early) if prop(&early, "then").is_function() => {
                self.remote.early_until = Some(now + transport::CONFIG_TIMEOUT as Millis);
                let on_early = acting(|r| Some(Action::EarlyConfigResponse(r)));
                transport::settle(&self.window, Some(early), &on_early);
                on_early.keep();
            }
            _ => transport::get(&self.window, &url, self.remote.etag.as_deref(), on_response),
        }
    }

    /// The page's config response (`configResponse`) settled: the first request's answer, unless given up on.
    pub(super) fn on_early_config_response(&mut self, resp: JsValue, now: Millis) {
        if self.remote.early_until.take().is_some() {
            self.on_config_response(resp, now);
        }
    }

    /// When the first request gives up on the page's config response, if it waits for one.
    pub(super) fn early_config_until(&self) -> Option<Millis> {
        self.remote.early_until
    }

    /// The page's config response is given up on when due: reported as a request that timed out is, and the SDK
    /// requests the config itself.
    pub(super) fn give_up_early_config(&mut self, now: Millis) {
        if self.remote.early_until.is_some_and(|at| at <= now) {
            self.remote.early_until = None;
            // No response: reported as the SDK's own request that timed out is (a network error).
            self.on_config_response(JsValue::UNDEFINED, now);
            self.fetch_config(now);
        }
    }

    /// A config request settled: a `Response`, or the error of a failed request (which has no `status`).
    pub(super) fn on_config_response(&mut self, resp: JsValue, now: Millis) {
        let fetched = match prop(&resp, "status").as_f64() {
            None => Fetched::Failed("network error".into(), String::new()),
            Some(status) if status as u16 == 304 => Fetched::NotModified,
            Some(status) => {
                self.remote.body_tag = transport::header(&resp, "ETag");
                self.remote.body_status = status as u16;
                // Its body is read next (an error's too: the collector says there why, and for a config that
                // fails its check, every error with its location), settling later through `Promise.resolve` as the
                // response did (the page's promise-like could call back at once, while the SDK is busy, and be
                // lost); one that cannot be (no `text()`, or not text) ends the request as unreadable, so that a
                // later refresh is not refused as still loading.
                if let Some([_, on_body]) = &self.remote.reactions {
                    let body = call1(&resp, "text", crate::web::convert::UNDEFINED);
                    transport::settle(&self.window, body, on_body);
                    return;
                }
                Fetched::Failed("unreadable body".into(), String::new())
            }
        };
        self.on_config_fetched(fetched, now);
    }

    /// A config response's body was read: its text, or the error reading it failed with (not a string).
    pub(super) fn on_config_body(&mut self, text: JsValue, now: Millis) {
        let status = self.remote.body_status;
        let fetched = if (200..300).contains(&status) {
            match text.as_string() {
                Some(text) => Fetched::Text {
                    text,
                    etag: self.remote.body_tag.take(),
                },
                None => Fetched::Failed("unreadable body".into(), String::new()),
            }
        } else {
            // An error response: its status, and the `message` and `diagnostics` of a JSON error such as the
            // collector's (`{"error": {"code", "message", "diagnostics"?}}`: for a config that fails its check,
            // every error with its location).
            let error = transport::collector_error(&self.window, &text);
            let message = crate::web::convert::text(&error, "message");
            let detail = if message.is_empty() {
                message
            } else {
                let diagnostics = crate::web::convert::text(&error, "diagnostics");
                console::join(&["\n", &message, "\n", &diagnostics])
            };
            Fetched::Failed(
                console::join(&["status ", &console::num(i64::from(status))]),
                detail,
            )
        };
        self.on_config_fetched(fetched, now);
    }

    /// The page is visible again: a config fetched long enough ago is checked for changes.
    pub fn refresh_config(&mut self, now: Millis) {
        self.refetch_config(now, self.remote.refresh);
    }

    /// Back online: the config is checked at once (a start that could not fetch it has none yet).
    pub fn config_online(&mut self, now: Millis) {
        self.refetch_config(now, 0);
    }

    /// Fetches the config again if the last request started at least `wait` ms ago and was answered. (One at a
    /// time: answers carry nothing saying which request they answer. The SDK's request gives up after
    /// `transport::CONFIG_TIMEOUT`, so a hung connection does not hold every later check.)
    fn refetch_config(&mut self, now: Millis, wait: Millis) {
        // (After a clock set back, at once: a revalidation, answered 304 at worst.)
        if self.remote.url.is_some()
            && !self.remote.loading
            && crate::core::time::elapsed(self.remote.fetched_at, now, wait)
        {
            self.fetch_config(now);
        }
    }

    /// A new config replaces the running one; an invalid one is reported (every error) and the last good one
    /// stays; without a network the stored copy stays.
    fn on_config_fetched(&mut self, fetched: Fetched, now: Millis) {
        self.remote.loading = false;
        let had_config = self.has_config();
        match fetched {
            // The copy held is current; stored again, in case storage lost it since (site data cleared while
            // the page was open): the next offline start needs it. (Storage ignores a write of the same value.)
            Fetched::NotModified => self.store_config(),
            Fetched::Text { text, etag } => {
                if self.remote.text.as_deref() == Some(text.as_str()) {
                    // The same text, perhaps under another tag (a proxy's): stored with it, so the next page
                    // revalidates with the tag the server now gives. (Storage ignores a write of the same value.)
                    self.remote.etag = etag;
                    self.store_config();
                    return;
                }
                let ok = self.try_load_config(&text, now, false);
                if ok {
                    self.remote.etag = etag;
                    self.remote.text = Some(text);
                    self.store_config();
                }
                // Told only when it changes what is in use: an invalid config while one runs leaves that one
                // (its `config` event stands), and the warning says why.
                if ok || !had_config {
                    self.config_loaded(ok, "network");
                }
            }
            Fetched::Failed(why, detail) => {
                // Without a config, the events recorded meanwhile are still kept (up to `MAX_EARLY_EVENTS`) for
                // one a later check brings (back online, the page visible again): they count in its rules then.
                let what = if had_config {
                    "); the stored config stays in use"
                } else {
                    "); segments and campaigns are off until it can be"
                };
                self.report(
                    "config_unavailable",
                    &console::join(&["the config could not be loaded (", &why, what, &detail]),
                );
                if !had_config {
                    self.config_loaded(false, "network");
                }
            }
        }
    }
}

#[cfg(not(feature = "segments"))]
impl Sdk {
    pub fn refresh_config(&mut self, _now: Millis) {}
    pub fn config_online(&mut self, _now: Millis) {}
    pub(super) fn early_config_until(&self) -> Option<Millis> {
        None
    }
}
