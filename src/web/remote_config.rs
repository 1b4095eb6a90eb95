//! A config fetched from a URL (such as the collector's `GET /v1/config`): the last good one is stored for offline
//! starts and revalidated with its `ETag`; it is checked again when the page becomes visible after a while; a
//! changed one replaces the running one, an invalid one is reported and the last good one stays.

use super::*;

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
    /// Made by the first request, reused by the later ones.
    request: Option<transport::TextRequest>,
}

#[cfg(feature = "segments")]
impl Sdk {
    /// Starts from the copy stored by an earlier page (so an offline start has its segments and campaigns at
    /// once), then asks the network.
    pub(super) fn start_remote_config(&mut self, url: String, now: Millis) {
        let cached = if self.tracker.consent().may_persist() {
            self.store.get(&self.config_key())
        } else {
            None
        };
        // Stored as `etag\nurl\ntext`.
        let parts = crate::core::url::split_once_byte(cached.as_deref().unwrap_or_default(), b'\n')
            .and_then(|(etag, rest)| Some((etag, crate::core::url::split_once_byte(rest, b'\n')?)));
        if let Some((etag, (_, text))) = parts.filter(|(_, (cached_url, _))| *cached_url == url) {
            if self.try_load_config(text, now) {
                self.remote.etag = Some(etag.to_string()).filter(|e| !e.is_empty());
                self.remote.text = Some(text.to_string());
                self.config_loaded(true, "cache");
            }
        }
        if !self.tracker.has_audience() {
            self.tracker.expect_config();
        }
        self.remote.url = Some(url);
        self.fetch_config(now);
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
        let request = self.remote.request.get_or_insert_with(|| {
            transport::TextRequest::new(|fetched| {
                act(Action::Config(fetched));
            })
        });
        request.get(&self.window, &url, self.remote.etag.as_deref());
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
    pub(super) fn on_config_fetched(&mut self, fetched: transport::Fetched, now: Millis) {
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
}

#[cfg(not(feature = "segments"))]
impl Sdk {
    pub fn refresh_config(&mut self, _now: Millis) {}
}
