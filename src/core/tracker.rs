//! The tracker: identity, sessions, attribution and the queue, composed into one pure state machine.
//!
//! Every SDK call becomes one method call here with the current time; the web layer then asks what to do
//! (send a batch, write the profile, warn) and does it. Nothing here touches the browser.

use super::attribution::{classify, Attribution, Campaign, Channel, Touch};
use super::audience::Kind;
use super::call_options::CallOptions;

#[path = "tracker_audience.rs"]
mod tracker_audience;
use super::consent::Consent;
use super::engagement::Engagement;
use super::json::{self, Map};
use super::message::{
    clip, head_room, write_context, write_message_head, write_page_properties, Body, Envelope,
    Environment, Page, MAX_CONTEXT_TEXT, MAX_MESSAGE_BYTES,
};
use super::profile::{Profile, MAX_PROFILE_BYTES};
use super::queue::{Batch, Queue, QueueConfig};
use super::random::Rng;
use super::sanitize::{self, Adjustment, InputError};
use super::session::DEFAULT_IDLE_TIMEOUT;
use super::time::Millis;

/// Whether the properties of `track` and `group` calls are read (into a map, for the rules): only in the build with
/// the rule engine. Without it they are checked but not read (`sanitize::properties`), which was about a seventh of a
/// `track` in the browser. (The segments build reads them also when no config is in use: checking alone would add
/// code there for pages that have no use for that build.)
const RULES_READ_EVENTS: bool = cfg!(feature = "segments");

#[derive(Debug, Clone, PartialEq)]
pub struct TrackerOptions {
    pub write_key: String,
    pub queue: QueueConfig,
    pub idle_timeout: Millis,
    pub sent: Sent,
}

impl TrackerOptions {
    pub fn new(write_key: &str) -> Self {
        TrackerOptions {
            write_key: write_key.to_string(),
            queue: QueueConfig::default(),
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            sent: Sent::default(),
        }
    }
}

/// Which automatic touchpoints leave the device (`trackEngagement`, `trackScroll`, `trackSessions`,
/// `trackAttribution` in `init`). One switched off is not sent; rules and campaigns on the device still read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// `Page Engagement` events.
    pub engagement: bool,
    /// Their `scrollDepth`.
    pub scroll_depth: bool,
    /// Every message's `context.sessionId`.
    pub session_id: bool,
    /// Every message's `context.attribution`.
    pub attribution: bool,
}

impl Default for Sent {
    fn default() -> Self {
        Sent {
            engagement: true,
            scroll_depth: true,
            session_id: true,
            attribution: true,
        }
    }
}

/// Something the page should be told about, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub code: &'static str,
    pub message: String,
}

pub struct Tracker {
    options: TrackerOptions,
    profile: Profile,
    queue: Queue,
    rng: Rng,
    env: Environment,
    page: Page,
    page_campaign: Option<Campaign>,
    profile_dirty: bool,
    /// The profile and state are to be written with the next write of the log (see [`Tracker::take_write_soon`]).
    write_soon: bool,
    /// The options of the page's call being made (`set_call_options`), for its message.
    call_options: Option<CallOptions>,
    warnings: Vec<Warning>,
    consent: Consent,
    /// Engaged time and scroll depth of the current page.
    engagement: Engagement,
    /// Segments and journeys (see `tracker_audience.rs`).
    #[cfg(feature = "segments")]
    pub(super) seg: tracker_audience::Slot,
    /// The latest time the tracker was told (for changes caused by context updates).
    pub(super) clock: Millis,
}

impl Tracker {
    /// Starts from the stored profile (if any); a profile that cannot be read is replaced by a fresh one.
    pub fn new(
        options: TrackerOptions,
        stored_profile: Option<&str>,
        env: Environment,
        page: Page,
        seed: [u8; 32],
    ) -> Self {
        let mut rng = Rng::from_seed(seed);
        let mut warnings = Vec::new();
        let profile = match stored_profile.map(Profile::from_json) {
            Some(Ok(p)) => Some(p),
            Some(Err(e)) => {
                warnings.push(Warning {
                    code: e.code(),
                    message: "the stored profile could not be read and was replaced by a new one"
                        .into(),
                });
                None
            }
            None => None,
        };
        let fresh = profile.is_none();
        let profile = profile.unwrap_or_else(|| Profile::new(rng.uuid_v4()));
        let queue = Queue::new(options.queue.clone());
        let page_campaign = Campaign::from_url(&page.parsed_url());
        let mut t = Tracker {
            options,
            profile,
            queue,
            rng,
            env,
            page,
            page_campaign,
            profile_dirty: fresh,
            write_soon: fresh,
            call_options: None,
            warnings,
            consent: Consent::Granted,
            engagement: Engagement::default(),
            #[cfg(feature = "segments")]
            seg: Default::default(),
            clock: 0,
        };
        t.rebuild_context();
        t
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    pub fn queue_mut(&mut self) -> &mut Queue {
        &mut self.queue
    }

    pub fn write_key(&self) -> &str {
        &self.options.write_key
    }

    /// Whether `now` is before the time the tracker was last told: the clock was set back since, and the rules
    /// and campaigns are to see it ([`Tracker::advance`]) before their next wake-up, on the old clock, is trusted.
    pub fn clock_set_back(&self, now: Millis) -> bool {
        now < self.clock
    }

    /// The next batch if one is due (see [`Queue::take_due`]).
    pub fn take_due_batch(&mut self, now: Millis) -> Option<Batch> {
        self.queue.take_due(now, &self.options.write_key)
    }

    /// A batch for the page-exit path of at most `max_bytes` (see [`Queue::take_for_exit`]).
    pub fn take_exit_batch(&mut self, now: Millis, max_bytes: usize) -> Option<Batch> {
        self.queue
            .take_for_exit(now, &self.options.write_key, max_bytes)
    }

    pub fn page(&self) -> &Page {
        &self.page
    }

    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    pub fn consent(&self) -> Consent {
        self.consent
    }

    /// Applies a consent decision. `Denied` forgets the queued events and the identity (the caller purges
    /// storage); `Granted` marks the profile for writing.
    pub fn set_consent(&mut self, consent: Consent) {
        self.consent = consent;
        match consent {
            Consent::Denied => {
                let config = self.queue.config().clone();
                let dropped = self.queue.dropped;
                self.queue = Queue::new(config);
                self.queue.dropped = dropped;
                self.new_identity(false, 0);
            }
            Consent::Granted => self.profile_dirty = true,
            Consent::Pending => {}
        }
    }

    /// Warnings since the last call.
    pub fn take_warnings(&mut self) -> Vec<Warning> {
        std::mem::take(&mut self.warnings)
    }

    /// The serialised profile if it changed since the last call (the web layer coalesces these writes).
    /// Nothing while consent does not allow storage (the change waits for `Granted`).
    pub fn take_profile_write(&mut self) -> Option<String> {
        if !self.profile_dirty || !self.consent.may_persist() {
            return None;
        }
        self.profile_dirty = false;
        Some(self.profile.to_json())
    }

    /// What this tab stored is gone (storage was cleared under it): the profile, the audience's state and every
    /// part of this tab's log are to be written again.
    pub fn stored_lost(&mut self) {
        self.profile_dirty = true;
        self.queue.rewrite_all_parts();
        #[cfg(feature = "segments")]
        if let Some(audience) = self.seg.audience.as_mut() {
            audience.mark_state_dirty();
        }
    }

    /// Another tab stored its profile (`text`): merges it into this one (see `profile_merge.rs`), and tells the
    /// rules of changed traits and messages of a changed session. Returns whether it is another visitor (the
    /// other tab reset, or identified someone else, after this one did): segments and journeys then start
    /// afresh, as on `reset`. Nothing under denied consent, whose visitor is not the stored one.
    ///
    /// `state` is the segment and campaign state stored beside it (the other tab writes both in one task): the
    /// changed traits and context are checked by the rules together with it, so a segment the other tab entered
    /// on those traits, and announced, is entered here without a second announcement.
    pub fn absorb_stored_profile(&mut self, text: &str, state: Option<&str>, now: Millis) -> bool {
        if !self.consent.may_record() {
            return false;
        }
        let Ok(other) = Profile::from_json(text) else {
            // No profile to take in (none stored, or unreadable): the state beside it still is another tab's.
            if let Some(state) = state {
                self.adopt_stored_state(state, now);
            }
            return false;
        };
        self.clock = now;
        let got = self.profile.absorb(other);
        self.profile_dirty |= got.ours_newer;
        if got.visitor {
            self.adopt_fresh_audience(state, now);
            self.rebuild_context();
            return true;
        }
        self.hold_context();
        if got.context {
            self.rebuild_context();
        }
        if got.traits {
            self.audience_traits(now);
        }
        self.release_context_with(state, now);
        false
    }

    /// Whether the profile and the segment state are to be written together with the next write of the log,
    /// rather than coalesced for a second: they hold something the queued events depend on. A new visitor's
    /// anonymous id and an `identify` (which other tabs take up from storage), and every change the SDK announced
    /// with an event of its own (segment, stage, campaign outcome): a page that died between the two writes would
    /// otherwise start the next one as another visitor, or announce the change again.
    pub fn take_write_soon(&mut self) -> bool {
        std::mem::take(&mut self.write_soon)
    }

    /// Whether the profile, or the audience's state stored beside it, changed since it was last written (a
    /// segment entered when a config is installed changes the state alone).
    pub fn profile_or_state_dirty(&self) -> bool {
        self.profile_dirty || self.audience_state_dirty()
    }

    fn warn(&mut self, code: &'static str, message: String) {
        self.warnings.push(Warning { code, message });
    }

    fn reject(&mut self, e: InputError) {
        self.warn(e.code(), e.message());
    }

    /// The page's properties or traits (JSON text) read as the message carries them: repaired where they can be
    /// (with a warning), refused with one where they cannot. `keep`: whether the caller reads their `map` (see
    /// `sanitize::properties`).
    fn properties<'t>(&mut self, json: Option<&'t str>, keep: bool) -> Option<sanitize::Props<'t>> {
        match sanitize::properties(json, keep) {
            Ok(p) => {
                self.adjusted(p.adjustment);
                Some(p)
            }
            Err(e) => {
                self.reject(e);
                None
            }
        }
    }

    fn adjusted(&mut self, a: Option<Adjustment>) {
        if let Some(a) = a {
            self.warn(a.code(), a.message());
        }
    }

    /// Serialises the context messages share from now on and hands it to the queue, and to the rules.
    fn rebuild_context(&mut self) {
        let s = self.context_text();
        let now = self.clock;
        let for_rules = self.audience_wants_context().then(|| s.clone());
        self.queue.set_context(s);
        if let Some(text) = for_rules {
            self.audience_context(&text, now);
        }
    }

    fn context_text(&self) -> String {
        let mut s = String::with_capacity(768);
        let sent = self.options.sent;
        let none = Attribution::default();
        write_context(
            &self.env,
            &self.page,
            self.page_campaign.as_ref(),
            self.profile.sessions.id().filter(|_| sent.session_id),
            if sent.attribution {
                &self.profile.attribution
            } else {
                &none
            },
            &mut s,
        );
        s
    }

    /// Records activity; a new session records its entry touch. `landing` is set for page views: the current
    /// page (and its campaign) is where the session may start. (Read from `self` rather than passed in, so a page
    /// view needs no copy of its page.)
    fn touch_session(&mut self, now: Millis, landing: bool) {
        let campaign_key = self
            .page_campaign
            .as_ref()
            .filter(|c| landing && c.is_touch())
            .map(Campaign::key);
        let started = self
            .profile
            .sessions
            .touch(now, campaign_key, self.options.idle_timeout);
        self.profile_dirty = true;
        if started {
            // Stored soon: a page opened meanwhile (a frame of this one, a tab opened beside it) continues this
            // session rather than start one of its own.
            self.write_soon = true;
            let touch = if landing {
                classify(&self.page.parsed_url(), &self.page.referrer, now)
            } else {
                None
            };
            let touch = touch.unwrap_or(Touch {
                channel: Channel::Direct,
                source: String::new(),
                medium: String::new(),
                campaign: String::new(),
                at: now,
            });
            self.profile.attribution.record(touch);
            self.rebuild_context();
        }
    }

    /// Queues a message the SDK makes itself unless consent is denied; returns whether it was queued.
    pub(super) fn enqueue(&mut self, body: Body<'_>, now: Millis) -> bool {
        self.enqueue_with(body, None, now)
    }

    /// Queues the message of the page's own call, with the call's options (`set_call_options`), if any.
    fn enqueue_call(&mut self, body: Body<'_>, now: Millis) -> bool {
        let options = self.call_options.take();
        self.enqueue_with(body, options, now)
    }

    fn enqueue_with(&mut self, body: Body<'_>, options: Option<CallOptions>, now: Millis) -> bool {
        self.clock = now;
        if !self.consent.may_record() {
            return false;
        }
        let options = options.unwrap_or_default();
        let message_id = options.message_id.unwrap_or_else(|| self.rng.uuid_v4());
        let envelope = Envelope {
            message_id: &message_id,
            anonymous_id: options
                .anonymous_id
                .as_deref()
                .unwrap_or(&self.profile.anonymous_id),
            user_id: options
                .user_id
                .as_deref()
                .or(self.profile.user_id.as_deref()),
            timestamp: options.timestamp.unwrap_or(now),
            integrations: options.integrations.as_deref(),
        };
        // Room for all of it: a message outgrowing a guess was copied, and the queue kept the doubled buffer.
        let mut out = String::with_capacity(head_room(&envelope, &body));
        write_message_head(&envelope, &body, &mut out);
        // A `context` option: this message's context is the shared one with those members replaced.
        let own_context = (!options.context.is_empty()).then(|| {
            let mut context = match json::parse(self.queue.context()) {
                Ok(json::Value::Object(map)) => map,
                _ => Map::new(),
            };
            context.merge(&options.context);
            json::Value::Object(context).to_json()
        });
        let context_len = own_context
            .as_ref()
            .map_or_else(|| self.queue.context_len(), String::len);
        // Segment refuses the whole batch of a message over its limit: such a message is not sent.
        if out.len() + context_len >= MAX_MESSAGE_BYTES {
            self.warn(
                "message_too_large",
                "a message over 32,000 bytes with its context was not sent".into(),
            );
            return false;
        }
        match own_context {
            Some(context) => self.queue.push_with_context(out, &context, now),
            None => self.queue.push(out, now),
        }
        true
    }

    /// The options (analytics.js's `options` argument, as JSON text) of the page's next call: what they change in
    /// that call's message (`core::call_options`). `None` forgets any not used (a call refused before it
    /// recorded anything). An option that cannot be used is left out with an `invalid_call_options` warning.
    pub fn set_call_options(&mut self, json: Option<&str>) {
        self.call_options = None;
        // (The page's options are an object: the facade takes nothing else as options.)
        let Some(Ok(json::Value::Object(options))) = json.map(json::parse) else {
            return;
        };
        let (options, ignored) = CallOptions::read(options);
        if !ignored.is_empty() {
            self.warn(
                "invalid_call_options",
                json::concat(&["options cannot be used, left out: ", &ignored]),
            );
        }
        self.call_options = Some(options);
    }

    /// Queues a `track` message the SDK makes itself (engagement, changes, campaign outcomes), from properties it
    /// built; whether it was queued.
    pub(super) fn enqueue_track(
        &mut self,
        event: &str,
        properties: &json::Value,
        now: Millis,
    ) -> bool {
        let text = properties.to_json();
        self.write_soon = true;
        self.enqueue(
            Body::Track {
                event,
                properties_json: &text,
            },
            now,
        )
    }

    /// `track(event, properties)`; `properties_json` is the page's object as JSON text (or `None`).
    /// Returns whether the event was recorded for sending (not under denied consent; the rules see it anyway).
    pub fn track(&mut self, event: &str, properties_json: Option<&str>, now: Millis) -> bool {
        let name = match sanitize::event_name(event) {
            Ok(n) => n,
            Err(e) => {
                self.reject(e);
                return false;
            }
        };
        let Some(props) = self.properties(properties_json, RULES_READ_EVENTS) else {
            return false;
        };
        self.record_call(
            Body::Track {
                event: name,
                properties_json: &props.json,
            },
            Some((Kind::Track, name, &props.map)),
            now,
        )
    }

    /// Records a message of the page's own call (an activity in the session), and the event rules see of it.
    #[inline(never)]
    fn record_call(
        &mut self,
        body: Body<'_>,
        event: Option<(Kind, &str, &Map)>,
        now: Millis,
    ) -> bool {
        self.catch_up(now);
        self.hold_context();
        self.touch_session(now, false);
        let recorded = self.enqueue_call(body, now);
        if let Some((kind, name, properties)) = event {
            self.feed(kind, name, properties, now);
        }
        self.release_context(now);
        recorded
    }

    /// Whether `page` is the page the visitor is on: an in-page anchor (the URL's fragment) is not another page, as
    /// the messages, which carry the URL without it, say.
    fn same_page(&self, page: &Page) -> bool {
        let bare = super::url::Url::without_hash;
        bare(&self.page.url) == bare(&page.url)
    }

    /// An in-app navigation to another page: the page left's engagement ends (its `Page Engagement`).
    fn leave_page(&mut self, now: Millis) {
        let added = self.engagement.settle(now);
        self.add_engaged(added, now);
        self.page_left(now);
    }

    /// The visitor is on `page` without a page view of it: an in-app navigation with automatic page views off, or
    /// a title the app set after it navigated. Later messages carry it, as analytics.js reads the page at each call.
    /// The rules see it with the next event, as one change ([`Tracker::hold_context`]): a rule on the page and on
    /// what that event counts (`page.path == "/pricing" && count("Page Viewed") < 3`, with the app's `page()` to
    /// follow) is not entered and left again in between. Leaving a page ends its engagement here, as a page view
    /// would; a page view of the same page later does not end it again.
    pub fn set_page(&mut self, page: Page, now: Millis) {
        if page == self.page {
            return;
        }
        self.catch_up(now);
        if !self.same_page(&page) {
            self.leave_page(now);
            self.page_campaign = Campaign::from_url(&page.parsed_url());
        }
        self.page = page;
        self.page_changed();
    }

    /// The page changed without an event ([`Tracker::set_page`], [`Tracker::retitle`]): messages carry it from
    /// here, and the rules see it with the next event.
    fn page_changed(&mut self) {
        self.queue.set_context(self.context_text());
        self.context_for_next_event();
    }

    /// The page's title now, read as time alone is about to bring changes (a segment window ending): their messages
    /// carry it, as a call's would. Unlike [`Tracker::set_page`], what fell due before is not caught up first: it
    /// is what the timer reports now, and the title read now is the best account of the page at that instant.
    #[cfg(feature = "segments")]
    pub fn retitle(&mut self, title: String) {
        if title != self.page.title {
            self.page.title = title;
            self.page_changed();
        }
    }

    /// A page view of `page` (the current page after a navigation), with optional name and extra properties.
    pub fn page_view(
        &mut self,
        page: Page,
        name: Option<&str>,
        properties_json: Option<&str>,
        now: Millis,
    ) -> bool {
        self.page_view_in(page, None, name, properties_json, now)
    }

    /// `page(category, name, properties)`: a page view in a category, which the message carries as analytics.js
    /// sends it, as its `category` and as `properties.category` (also when the caller's properties hold one), and
    /// which rules read as `category`. An empty category is none, as an empty name is.
    pub fn page_view_in(
        &mut self,
        page: Page,
        category: Option<&str>,
        name: Option<&str>,
        properties_json: Option<&str>,
        now: Millis,
    ) -> bool {
        let Some(extra) = self.properties(properties_json, true) else {
            return false;
        };
        let mut page_props = extra.map;
        let mut extra = extra.json.into_owned();
        let category = page_label(category);
        let name = page_label(name);
        // The call's category and name replace properties of those names, as analytics.js sends them: the
        // message's `name` and its `properties.name` are one name.
        // (`|`: both are removed.)
        if (category.is_some() && page_props.remove("category").is_some())
            | (name.is_some() && page_props.remove("name").is_some())
        {
            extra.clear();
            json::write_map(&page_props, &mut extra);
        }
        self.catch_up(now);
        if !self.same_page(&page) {
            self.leave_page(now);
        }
        self.page_campaign = Campaign::from_url(&page.parsed_url());
        self.page = page;
        self.hold_context();
        self.touch_session(now, true);
        self.rebuild_context();
        // Segment's page properties (path, referrer, search, title, url, category, name), then the caller's own.
        let mut props = String::with_capacity(256 + extra.len());
        write_page_properties(&self.page, category, name, Some(&page_props), &mut props);
        if extra.len() > 2 {
            // The closing brace goes (a byte: `String::pop` would decode a character from the back), and a comma
            // unless the caller's properties replace every one of Segment's.
            props.truncate(props.len() - 1);
            if props.len() > 1 {
                props.push(',');
            }
            props.push_str(extra.get(1..).unwrap_or_default());
        }
        let recorded = self.enqueue_call(
            Body::Page {
                category,
                name,
                properties_json: &props,
            },
            now,
        );
        self.audience_page(page_props, category, name, now);
        self.release_context(now);
        recorded
    }

    /// `identify(userId, traits)`: `None` keeps the current user id (traits only).
    pub fn identify(
        &mut self,
        user_id: Option<&str>,
        traits_json: Option<&str>,
        now: Millis,
    ) -> bool {
        if !user_id.is_none_or(|id| self.valid_id(id, "invalid_user_id", "identify")) {
            return false;
        }
        let Some(traits) = self.properties(traits_json, true) else {
            return false;
        };
        let new_traits = traits.map;
        let traits_text = traits.json.into_owned();
        self.catch_up(now);
        // Another user on this device: the previous user's traits must not carry over.
        if let (Some(id), Some(old)) = (user_id, self.profile.user_id.as_deref()) {
            if id != old {
                self.profile.traits = Map::new();
            }
        }
        // Another identity from now: what other tabs open at once merge by (`profile_merge.rs`).
        if user_id.is_some() && user_id != self.profile.user_id.as_deref() {
            self.profile.identity_at = now.max(self.profile.identity_at + 1);
        }
        let mut merged = self.profile.traits.clone();
        merged.merge(&new_traits);
        let mut merged_text = String::new();
        json::write_map(&merged, &mut merged_text);
        // The message carries every trait the profile holds after the call, as analytics.js sends it, and rules see
        // the event so (`wayline replay` reads the message); traits too large to keep go as the call gave them.
        let (sent_traits, sent_text) = if merged_text.len() > MAX_PROFILE_BYTES / 2 {
            self.warn(
                "traits_too_large",
                "stored traits are limited to 16 KiB; these traits were sent but not kept".into(),
            );
            (new_traits, traits_text)
        } else {
            // Newer traits (kept ones only: traits sent but not kept must not win over another tab's).
            if !new_traits.is_empty() {
                self.profile.traits_at = now.max(self.profile.traits_at + 1);
            }
            self.profile.traits = merged.clone();
            (merged, merged_text)
        };
        if let Some(id) = user_id {
            self.profile.user_id = Some(id.to_string());
        }
        self.write_soon = true;
        self.hold_context();
        self.touch_session(now, false);
        let recorded = self.enqueue_call(
            Body::Identify {
                traits_json: &sent_text,
            },
            now,
        );
        self.audience_traits(now);
        self.feed(Kind::Identify, IDENTIFY, &sent_traits, now);
        self.release_context(now);
        recorded
    }

    /// Whether `id` can be a user or group id (a non-empty string of at most 200 bytes); if not, warns `code` that
    /// `call` was ignored.
    #[inline(never)]
    fn valid_id(&mut self, id: &str, code: &'static str, call: &str) -> bool {
        let valid = !id.is_empty() && id.len() <= sanitize::MAX_EVENT_NAME;
        if !valid {
            self.warn(
                code,
                json::concat(&[
                    "an id must be a non-empty string of at most 200 bytes; ",
                    call,
                    " was ignored",
                ]),
            );
        }
        valid
    }

    /// `group(groupId, traits)`: records a Segment `group` message (the company or team the visitor belongs to;
    /// the group's traits are not kept in the profile). Rules see it as a `"Group"` event whose properties are
    /// the traits, as `wayline replay` reads a stored `group` message.
    pub fn group(&mut self, group_id: &str, traits_json: Option<&str>, now: Millis) -> bool {
        if !self.valid_id(group_id, "invalid_group_id", "group") {
            return false;
        }
        let Some(traits) = self.properties(traits_json, RULES_READ_EVENTS) else {
            return false;
        };
        self.record_call(
            Body::Group {
                group_id,
                traits_json: &traits.json,
            },
            Some((Kind::Group, GROUP, &traits.map)),
            now,
        )
    }

    /// `alias(userId, previousId?)`: records a Segment `alias` message joining `previous_id` (by default the
    /// current user id, else the anonymous id) to `user_id`. As in analytics.js, the visitor's own user id does not
    /// change: `identify` does that.
    pub fn alias(&mut self, user_id: &str, previous_id: Option<&str>, now: Millis) -> bool {
        let previous = previous_id
            .or(self.profile.user_id.as_deref())
            .unwrap_or(&self.profile.anonymous_id)
            .to_string();
        if !(self.valid_id(user_id, "invalid_user_id", "alias")
            && self.valid_id(&previous, "invalid_user_id", "alias"))
        {
            return false;
        }
        self.record_call(
            Body::Alias {
                user_id,
                previous_id: &previous,
            },
            None,
            now,
        )
    }

    /// An interaction on the visible page (pointer, key, scroll): engaged time accrues (see `engagement.rs`).
    pub fn activity(&mut self, now: Millis) {
        let added = self.engagement.activity(now);
        self.add_engaged(added, now);
        self.audience_activity(now);
    }

    /// The page was scrolled to `percent` of its height.
    pub fn scrolled(&mut self, percent: f64, now: Millis) {
        self.engagement.scrolled(percent);
        self.activity(now);
        self.audience_scrolled(percent, now);
    }

    /// The page was hidden (another tab, minimised, leaving): engaged time stops.
    pub fn page_hidden(&mut self, now: Millis) {
        let added = self.engagement.hidden(now);
        self.add_engaged(added, now);
        self.profile_dirty |= added > 0;
        self.audience_visibility(true, now);
    }

    /// The page is visible again: campaigns that became ready while it was hidden are checked now.
    pub fn page_shown(&mut self, now: Millis) {
        self.audience_visibility(false, now);
    }

    fn add_engaged(&mut self, added: Millis, now: Millis) {
        if added <= 0 {
            return;
        }
        // Not a profile write of its own: it goes with the next one (every page exit writes the profile).
        if let Some(s) = &mut self.profile.sessions.current {
            s.engaged_ms = s.engaged_ms.saturating_add(added);
            let total = s.engaged_ms;
            self.audience_engaged(total, now);
        }
    }

    /// The visitor leaves the current page (unload, or an in-app navigation): its engaged time and scroll depth
    /// are recorded as a `Page Engagement` event (`{ path, engagedMs, scrollDepth }`), when there was any.
    pub fn page_left(&mut self, now: Millis) {
        let (engaged, depth) = self.engagement.take_page();
        if engaged <= 0 && depth <= 0.0 {
            return;
        }
        let mut props = Map::new();
        props.insert("path", self.page.parsed_url().path.into());
        props.insert("engagedMs", json::Value::Number(engaged as f64));
        let depth = json::Value::Number(depth.floor());
        let sent = self.options.sent;
        if sent.engagement {
            // What leaves the device, without the scroll depth when that is switched off; rules see the whole
            // event, sent or not.
            let mut message = props.clone();
            if sent.scroll_depth {
                message.insert("scrollDepth", depth.clone());
            }
            self.enqueue_track(PAGE_ENGAGEMENT, &json::Value::Object(message), now);
        }
        props.insert("scrollDepth", depth);
        self.feed(Kind::Track, PAGE_ENGAGEMENT, &props, now);
    }

    /// Logout: a new anonymous id, no user id, no traits, a new session. Queued events keep the identity they
    /// were recorded with.
    pub fn reset(&mut self, now: Millis) {
        self.new_identity(true, now);
    }

    /// A new anonymous profile, audience and context (logout; denied consent, which does not store it).
    fn new_identity(&mut self, dirty: bool, now: Millis) {
        let after = self.profile.identity_at + 1;
        self.profile = Profile::new(self.rng.uuid_v4());
        self.profile.identity_at = now.max(after);
        self.profile_dirty = dirty;
        self.fresh_audience(now);
        self.rebuild_context();
    }
}

/// The event names rules match for page views and identify calls.
pub const PAGE_VIEWED: &str = "Page Viewed";
pub const IDENTIFY: &str = "Identify";
pub const GROUP: &str = "Group";
/// Recorded when the visitor leaves a page they engaged with; rules read its `engagedMs` as `engaged_time()`.
pub const PAGE_ENGAGEMENT: &str = "Page Engagement";

/// A page view's name or category: none when empty, and cut as the message's properties cut it, so that the
/// message's top-level `name` and `category` say the same as its properties (and as rules read them).
#[inline(never)]
fn page_label(label: Option<&str>) -> Option<&str> {
    label
        .filter(|l| !l.is_empty())
        .map(|l| clip(l, MAX_CONTEXT_TEXT))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::json::Value;
    use crate::core::time::MINUTE;

    fn page(url: &str, referrer: &str) -> Page {
        Page {
            url: url.into(),
            title: "T".into(),
            referrer: referrer.into(),
        }
    }

    fn tracker(stored: Option<&str>) -> Tracker {
        Tracker::new(
            TrackerOptions::new("wk"),
            stored,
            Environment::default(),
            page("https://shop.test/", ""),
            [3; 32],
        )
    }

    fn messages(t: &Tracker) -> Vec<Value> {
        t.queue()
            .items()
            .map(|i| json::parse(&t.queue().message_json(i)).unwrap())
            .collect()
    }

    fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
        path.iter()
            .try_fold(v, |v, k| v.get(k))
            .and_then(Value::as_str)
    }

    #[test]
    fn track_builds_a_segment_message() {
        let mut t = tracker(None);
        assert!(t.track(
            "Order Completed",
            Some("{\"revenue\":42,\"currency\":\"EUR\"}"),
            1_000
        ));
        let m = &messages(&t)[0];
        assert_eq!(s(m, &["type"]), Some("track"));
        assert_eq!(s(m, &["event"]), Some("Order Completed"));
        assert_eq!(
            m.get("properties").and_then(|p| p.get("revenue")),
            Some(&Value::Number(42.0))
        );
        assert_eq!(
            s(m, &["anonymousId"]),
            Some(t.profile().anonymous_id.as_str())
        );
        assert_eq!(s(m, &["messageId"]).map(str::len), Some(36));
        assert_eq!(s(m, &["timestamp"]), Some("1970-01-01T00:00:01.000Z"));
        assert_eq!(
            m.get("context").and_then(|c| c.get("sessionId")),
            Some(&Value::Number(1_000.0))
        );
        assert_eq!(
            s(m, &["context", "attribution", "first", "channel"]),
            Some("direct")
        );
    }

    /// Each property once: the caller's own replaces Segment's default of the same name (a JSON object with a
    /// repeated name is read differently by different parsers), and the page's name is the reserved `name`
    /// property of Segment's page spec too, so rules can filter page views on it.
    #[test]
    fn a_page_views_properties_name_each_property_once_the_name_included() {
        let mut t = tracker(None);
        let pricing = || page("https://shop.test/pricing?x=1", "https://mail.example/");
        t.page_view(pricing(), Some("Pricing"), Some("{\"plan\":\"pro\"}"), 0);
        t.page_view(
            pricing(),
            Some("Pricing"),
            Some("{\"path\":\"/p\",\"name\":\"Own\"}"),
            1,
        );
        t.page_view(pricing(), None, None, 2);
        let raw: Vec<String> = t
            .queue()
            .items()
            .map(|i| t.queue().message_json(i))
            .collect();
        for text in &raw {
            let properties = &text[text.find("\"properties\":").unwrap()..];
            let properties = &properties[..properties.find('}').unwrap()];
            for key in ["\"path\":", "\"name\":", "\"url\":"] {
                assert!(
                    properties.matches(key).count() <= 1,
                    "{key} twice in {properties}"
                );
            }
        }
        let m = messages(&t);
        assert_eq!(s(&m[0], &["properties", "name"]), Some("Pricing"));
        assert_eq!(s(&m[0], &["properties", "path"]), Some("/pricing"));
        assert_eq!(s(&m[0], &["properties", "plan"]), Some("pro"));
        assert_eq!(
            s(&m[1], &["properties", "name"]),
            Some("Pricing"),
            "the call's name, as analytics.js sends it"
        );
        assert_eq!(s(&m[1], &["properties", "path"]), Some("/p"));
        assert_eq!(
            s(&m[1], &["properties", "url"]),
            Some("https://shop.test/pricing?x=1")
        );
        assert_eq!(s(&m[2], &["properties", "name"]), None);
        assert_eq!(s(&m[2], &["name"]), None);
    }

    /// `page(category, name, properties)`, as analytics.js reads two leading strings: the category is the message's
    /// top-level `category` and a `category` property (as the name is `name` and a `name` property), also when the
    /// caller's properties hold one, as analytics.js sends it; a `category` property of a page view without one
    /// stays.
    #[test]
    fn a_page_view_in_a_category_names_it_at_the_top_and_in_its_properties() {
        let mut t = tracker(None);
        let docs = || page("https://shop.test/docs/intro", "");
        t.page_view_in(docs(), Some("Docs"), Some("Intro"), Some("{\"v\":2}"), 0);
        t.page_view_in(
            docs(),
            Some("Docs"),
            Some("Intro"),
            Some("{\"category\":\"Own\"}"),
            1,
        );
        t.page_view(docs(), Some("Intro"), None, 2);
        t.page_view(docs(), None, Some("{\"category\":\"Own\",\"v\":3}"), 3);
        let raw: Vec<String> = t
            .queue()
            .items()
            .map(|i| t.queue().message_json(i))
            .collect();
        assert_eq!(raw[1].matches("\"category\":").count(), 2, "{}", raw[1]);
        assert_eq!(raw[1].matches("\"category\":\"Own\"").count(), 0);
        let m = messages(&t);
        assert_eq!(s(&m[0], &["type"]), Some("page"));
        assert_eq!(s(&m[0], &["category"]), Some("Docs"));
        assert_eq!(s(&m[0], &["name"]), Some("Intro"));
        assert_eq!(s(&m[0], &["properties", "category"]), Some("Docs"));
        assert_eq!(s(&m[0], &["properties", "name"]), Some("Intro"));
        assert_eq!(s(&m[0], &["properties", "path"]), Some("/docs/intro"));
        assert_eq!(
            m[0].get("properties").and_then(|p| p.get("v")),
            Some(&Value::Number(2.0))
        );
        assert_eq!(s(&m[1], &["category"]), Some("Docs"));
        assert_eq!(s(&m[1], &["properties", "category"]), Some("Docs"));
        assert_eq!(s(&m[3], &["properties", "category"]), Some("Own"));
        assert_eq!(
            m[3].get("properties").and_then(|p| p.get("v")),
            Some(&Value::Number(3.0))
        );
        assert_eq!(s(&m[2], &["category"]), None);
        assert_eq!(s(&m[2], &["properties", "category"]), None);
        assert_eq!(s(&m[2], &["name"]), Some("Intro"));
    }

    #[test]
    fn page_views_merge_page_and_custom_properties_and_attribute_the_landing() {
        let mut t = tracker(None);
        t.page_view(
            page(
                "https://shop.test/pricing?utm_source=nl&utm_medium=email&utm_campaign=spring",
                "https://mail.example/",
            ),
            Some("Pricing"),
            Some("{\"plan\":\"pro\"}"),
            0,
        );
        let m = &messages(&t)[0];
        assert_eq!(s(m, &["type"]), Some("page"));
        assert_eq!(s(m, &["name"]), Some("Pricing"));
        assert_eq!(s(m, &["properties", "path"]), Some("/pricing"));
        assert_eq!(s(m, &["properties", "plan"]), Some("pro"));
        assert_eq!(s(m, &["context", "campaign", "name"]), Some("spring"));
        assert_eq!(
            s(m, &["context", "attribution", "last", "channel"]),
            Some("email")
        );
    }

    /// A URL, path, query or referrer over 2,048 bytes is cut before an escape (`%C3%A9`, é) that the cut would
    /// split or leave short of its character's bytes: each value sent still decodes, and is the start of the page's.
    #[test]
    fn a_long_url_is_cut_between_escaped_characters() {
        let mut t = tracker(None);
        let e = "%C3%A9".repeat(1_000);
        // The cut at 2,048 bytes falls after the `%` of an escape in the path, between the two escapes of an é
        // in the query, and after the first hex digit of one in the URL and in the referrer.
        let url = format!("https://shop.test/{e}?q=xy{e}");
        let referrer = format!("https://r.test/rrr{e}");
        t.page_view(page(&url, &referrer), None, None, 0);
        let m = &messages(&t)[0];
        let url_sent = crate::core::url::Url::parse(&url);
        for (key, whole) in [
            ("url", url.as_str()),
            ("path", url_sent.path),
            ("search", url_sent.search),
            ("referrer", referrer.as_str()),
        ] {
            for at in [&["properties", key][..], &["context", "page", key]] {
                let v = s(m, at).unwrap_or_default();
                assert!(v.len() > 2_040 && v.len() <= 2_048, "{at:?}: {}", v.len());
                assert!(whole.starts_with(v), "{at:?}");
                let decoded = crate::core::url::decode_or_keep(v);
                assert!(
                    decoded != v && !decoded.contains('%'),
                    "{at:?} ends {}",
                    &v[v.len() - 8..]
                );
            }
        }
    }

    /// Campaign values come from the landing URL, whose length nothing bounds, and the first touch is kept
    /// forever: unbounded, one long link would put every later message of the visitor over the 32 KB a
    /// Segment-compatible endpoint takes per message (Segment refuses the whole batch with a 400).
    #[test]
    fn a_long_campaign_link_leaves_the_visitors_messages_small() {
        use crate::core::message::MAX_CAMPAIGN_TEXT;
        let mut t = tracker(None);
        let long = "x".repeat(40_000);
        let url = [
            "https://shop.test/?utm_source=",
            &long,
            "&utm_medium=email&utm_campaign=",
            &long,
            "&utm_content=",
            &long,
        ]
        .concat();
        t.page_view(page(&url, ""), None, None, 0);
        t.page_view(
            page("https://shop.test/a", "https://shop.test/"),
            None,
            None,
            1,
        );
        t.track("Later", None, 2);
        let m = messages(&t);
        assert_eq!(m.len(), 3);
        for (item, m) in t.queue().items().zip(&m) {
            let len = t.queue().message_json(item).len();
            assert!(len < 12_000, "{len}");
            assert!(s(m, &["context", "attribution", "first", "campaign"])
                .is_some_and(|c| c.starts_with("xxx")));
        }
        assert_eq!(
            s(&m[0], &["context", "campaign", "content"]).map(str::len),
            Some(MAX_CAMPAIGN_TEXT)
        );
    }

    /// Segment's HTTP API takes at most 32 KB per message and answers a batch holding a larger one with 400,
    /// refusing its other events too. Each part of a message is bounded, their sum is not: a page view names the
    /// page twice (context and properties), so 16 KiB of properties on a page whose URL, title and referrer are
    /// long (each within its 2,048 bytes) is over. Such a message is not sent; the others of its batch are.
    #[test]
    fn a_message_over_32_kb_is_dropped_with_a_warning_and_its_batch_is_sent() {
        let mut t = tracker(None);
        let long = "q".repeat(2_100);
        let big = Page {
            url: ["https://shop.test/", &long, "?", &long].concat(),
            title: long.clone(),
            referrer: ["https://ref.example/", &long].concat(),
        };
        let props = ["{\"text\":\"", &"p".repeat(16_000), "\"}"].concat();
        t.track("Before", None, 0);
        assert!(!t.page_view(big, None, Some(&props), 1));
        t.track("After", Some(&props), 2);
        assert!(t
            .take_warnings()
            .iter()
            .any(|w| w.code == "message_too_large"));
        t.queue_mut().request_flush();
        let batch = t.queue_mut().take_due(3, "wk").unwrap();
        let body = json::parse(&batch.body).unwrap();
        let sent = body.get("batch").and_then(Value::as_array).unwrap();
        let events: Vec<_> = sent.iter().map(|m| s(m, &["event"])).collect();
        assert_eq!(events, [Some("Before"), Some("After")]);
        for m in sent {
            assert!(m.to_json().len() <= MAX_MESSAGE_BYTES);
        }
    }

    #[test]
    fn a_new_campaign_starts_a_new_session_and_becomes_the_last_touch() {
        let mut t = tracker(None);
        t.page_view(
            page("https://shop.test/", "https://www.google.com/"),
            None,
            None,
            0,
        );
        t.page_view(
            page("https://shop.test/a", "https://shop.test/"),
            None,
            None,
            MINUTE,
        );
        assert_eq!(t.profile().sessions.count, 1);
        t.page_view(
            page(
                "https://shop.test/?utm_source=fb&utm_medium=social&utm_campaign=x",
                "",
            ),
            None,
            None,
            2 * MINUTE,
        );
        assert_eq!(t.profile().sessions.count, 2);
        let a = &t.profile().attribution;
        assert_eq!(a.first.as_ref().map(|x| x.channel), Some(Channel::Search));
        assert_eq!(a.last.as_ref().map(|x| x.channel), Some(Channel::Social));
        t.track("Later", None, 2 * MINUTE + 31 * MINUTE);
        assert_eq!(t.profile().sessions.count, 3);
        assert_eq!(
            t.profile().attribution.last.as_ref().map(|x| x.channel),
            Some(Channel::Social)
        );
    }

    /// A session is made of calls: interactions on the page (engaged time) do not keep it going.
    #[test]
    fn interactions_alone_do_not_extend_a_session() {
        let mut t = tracker(None);
        t.page_view(page("https://shop.test/", ""), None, None, 0);
        for minute in [10, 20, 29, 40] {
            t.activity(minute * MINUTE);
        }
        t.track("Later", None, 31 * MINUTE);
        assert_eq!(t.profile().sessions.count, 2);
    }

    /// As analytics.js does, any UTM parameter gives the context a `campaign`, a term or a content alone too; but
    /// only a source, medium or campaign name makes a campaign touch (a new session, the last touch's channel):
    /// a search term alone says nothing of where the visit came from.
    #[test]
    fn a_utm_term_or_content_alone_is_the_contexts_campaign_but_no_new_touch() {
        let mut t = tracker(None);
        t.page_view(
            page("https://shop.test/", "https://www.google.com/"),
            None,
            None,
            0,
        );
        t.page_view(
            page("https://shop.test/a?utm_term=shoes", "https://shop.test/"),
            None,
            None,
            MINUTE,
        );
        t.page_view(
            page(
                "https://shop.test/b?utm_content=banner",
                "https://shop.test/a",
            ),
            None,
            None,
            2 * MINUTE,
        );
        let m = messages(&t);
        assert_eq!(s(&m[0], &["context", "campaign", "term"]), None);
        assert_eq!(s(&m[1], &["context", "campaign", "term"]), Some("shoes"));
        assert_eq!(
            m[1].get("context")
                .and_then(|c| c.get("campaign"))
                .and_then(Value::as_object)
                .map(|c| c.len()),
            Some(1)
        );
        assert_eq!(
            s(&m[2], &["context", "campaign", "content"]),
            Some("banner")
        );
        assert_eq!(t.profile().sessions.count, 1);
        let a = &t.profile().attribution;
        assert_eq!(a.last.as_ref().map(|x| x.channel), Some(Channel::Search));
    }

    #[test]
    fn identify_then_reset() {
        let mut t = tracker(None);
        let anon = t.profile().anonymous_id.clone();
        t.identify(Some("user-42"), Some("{\"plan\":\"pro\"}"), 0);
        t.track("After", None, 1);
        let ms = messages(&t);
        assert_eq!(s(&ms[0], &["type"]), Some("identify"));
        assert_eq!(s(&ms[0], &["traits", "plan"]), Some("pro"));
        assert_eq!(s(&ms[1], &["userId"]), Some("user-42"));
        assert_eq!(s(&ms[1], &["anonymousId"]), Some(anon.as_str()));
        t.reset(2);
        t.track("Anonymous again", None, 3);
        let last = messages(&t).pop().unwrap();
        assert_eq!(last.get("userId"), None);
        assert_ne!(s(&last, &["anonymousId"]), Some(anon.as_str()));
        assert!(t.profile().traits.is_empty());
    }

    /// As analytics.js sends it, an `identify` message carries every trait the profile holds after the call (the
    /// user's earlier traits with the new ones over them), not only the call's: a destination reading one
    /// identify sees the whole user. Another user's traits never ride along, and traits too large to keep are
    /// sent as the call gave them.
    #[test]
    fn identify_messages_carry_every_trait_the_profile_holds() {
        let mut t = tracker(None);
        t.identify(Some("u1"), Some(r#"{"email":"a@x.test","plan":"free"}"#), 0);
        t.identify(None, Some(r#"{"plan":"pro"}"#), 1);
        t.identify(Some("u1"), None, 2);
        t.identify(Some("u2"), Some(r#"{"seats":3}"#), 3);
        let big = |key: &str| {
            let members: Vec<String> = (0..9)
                .map(|i| format!(r#""{key}{i}":"{}""#, "n".repeat(1_000)))
                .collect();
            format!("{{{}}}", members.join(","))
        };
        t.identify(None, Some(&big("a")), 4);
        t.identify(None, Some(&big("b")), 5);
        let traits: Vec<String> = messages(&t)
            .iter()
            .map(|m| m.get("traits").map(Value::to_json).unwrap_or_default())
            .collect();
        assert_eq!(traits[0], r#"{"email":"a@x.test","plan":"free"}"#);
        assert_eq!(traits[1], r#"{"email":"a@x.test","plan":"pro"}"#);
        assert_eq!(traits[2], r#"{"email":"a@x.test","plan":"pro"}"#);
        assert_eq!(traits[3], r#"{"seats":3}"#);
        assert!(traits[4].starts_with(r#"{"seats":3,"a0":"#), "kept: merged");
        assert_eq!(traits[5], big("b"), "not kept: sent as given");
    }

    #[test]
    fn identity_survives_a_reload_through_the_stored_profile() {
        let mut t = tracker(None);
        t.identify(Some("u"), Some("{\"a\":1}"), 0);
        let stored = t.take_profile_write().unwrap();
        assert_eq!(
            t.take_profile_write(),
            None,
            "writes are coalesced until the next change"
        );
        let again = tracker(Some(&stored));
        assert_eq!(again.profile(), t.profile());
    }

    /// Two tabs of one site: the identity one gives is kept by the other, whose own writes would otherwise
    /// overwrite it, and a reset in one is another visitor in both.
    #[test]
    fn tabs_open_at_once_share_the_identity_through_their_writes() {
        let mut a = tracker(None);
        let start = a.take_profile_write().unwrap();
        let mut b = tracker(Some(&start));
        b.take_profile_write();
        let anon = a.profile().anonymous_id.clone();
        a.identify(Some("user-42"), Some("{\"plan\":\"pro\"}"), 10);
        b.track("Before", None, 20);
        let written_by_a = a.take_profile_write().unwrap();
        assert!(!b.absorb_stored_profile(&written_by_a, None, 30));
        b.track("After", None, 40);
        let last = messages(&b).pop().unwrap();
        assert_eq!(s(&last, &["userId"]), Some("user-42"));
        assert_eq!(s(&last, &["anonymousId"]), Some(anon.as_str()));
        // B's own write (it has later activity) keeps the identity; A absorbing it changes nothing of it.
        let written_by_b = b.take_profile_write().unwrap();
        let reloaded = tracker(Some(&written_by_b));
        assert_eq!(reloaded.profile().user_id.as_deref(), Some("user-42"));
        assert_eq!(
            reloaded.profile().traits.get("plan"),
            Some(&Value::from("pro"))
        );
        assert!(!a.absorb_stored_profile(&written_by_b, None, 50));
        assert_eq!(a.profile().user_id.as_deref(), Some("user-42"));
        assert_eq!(
            a.take_profile_write(),
            None,
            "nothing A lacked, so no write back"
        );

        // Logout in B: A is another, anonymous visitor too, even with an older write of its own to come.
        a.track("Still A", None, 60);
        b.reset(70);
        let after_reset = b.take_profile_write().unwrap();
        assert!(a.absorb_stored_profile(&after_reset, None, 80));
        a.track("New Visitor", None, 90);
        let last = messages(&a).pop().unwrap();
        assert_eq!(last.get("userId"), None);
        assert_eq!(
            s(&last, &["anonymousId"]),
            Some(b.profile().anonymous_id.as_str())
        );
        assert!(a.profile().traits.is_empty());
        // Bad or foreign values written under the key are ignored.
        assert!(!a.absorb_stored_profile("{garbage", None, 95));
        assert!(!a.absorb_stored_profile("", None, 95));
        assert_eq!(a.profile().anonymous_id, b.profile().anonymous_id);
    }

    /// Traits too large to keep are not newer traits: another tab's later kept ones still win over them.
    #[test]
    fn traits_not_kept_do_not_win_over_another_tabs() {
        let many = |prefix: &str| {
            let keys: Vec<String> = (0..10)
                .map(|i| format!("\"{prefix}{i}\":\"{}\"", "x".repeat(1_000)))
                .collect();
            format!("{{{}}}", keys.join(","))
        };
        let mut a = tracker(None);
        a.identify(None, Some("{\"plan\":\"free\"}"), 1);
        a.identify(None, Some(&many("a")), 2);
        let start = a.take_profile_write().unwrap();
        let mut b = tracker(Some(&start));
        b.identify(None, Some("{\"plan\":\"max\"}"), 8);
        // Kept, they would pass the 16 KiB bound: sent, not kept.
        a.identify(None, Some(&many("b")), 10);
        assert!(a
            .take_warnings()
            .iter()
            .any(|w| w.code == "traits_too_large"));
        b.absorb_stored_profile(&a.take_profile_write().unwrap(), None, 11);
        assert_eq!(b.profile().traits.get("plan"), Some(&Value::from("max")));
    }

    /// What is written with the log rather than a second later: a new visitor, an identify, an event the SDK
    /// made itself; not a plain event.
    #[test]
    fn a_new_visitor_identify_and_sdk_events_are_written_with_the_log() {
        let mut t = tracker(None);
        assert!(t.take_write_soon(), "a new visitor's id");
        assert!(!t.take_write_soon());
        let stored = t.take_profile_write().unwrap();
        let mut t = tracker(Some(&stored));
        assert!(!t.take_write_soon(), "a stored visitor");
        t.track("Plain", None, 1);
        assert!(t.take_write_soon(), "a session started");
        t.track("Plain", None, 1);
        assert!(!t.take_write_soon(), "the same session");
        t.identify(None, Some("{\"a\":1}"), 2);
        assert!(t.take_write_soon());
        t.page_hidden(3);
        t.activity(4);
        t.page_left(10_000);
        assert!(!t.take_write_soon(), "no engagement, no event");
        t.activity(10_001);
        t.activity(12_000);
        t.page_left(13_000);
        assert!(t.take_write_soon(), "the SDK's own Page Engagement event");
    }

    /// Each automatic touchpoint that leaves the device can be switched off: engagement (`Page Engagement`
    /// events), their scroll depth, the session id and the attribution in every message's context.
    #[test]
    fn automatic_touchpoints_switched_off_are_not_sent() {
        let engaged_visit = |sent: Sent| {
            let mut options = TrackerOptions::new("wk");
            options.sent = sent;
            let mut t = Tracker::new(
                options,
                None,
                Environment::default(),
                page("https://shop.test/?utm_source=news&utm_medium=email", ""),
                [3; 32],
            );
            t.page_view(
                page("https://shop.test/?utm_source=news&utm_medium=email", ""),
                None,
                None,
                0,
            );
            t.activity(1_000);
            t.scrolled(60.0, 2_000);
            t.page_left(5_000);
            t.track("Clicked", None, 6_000);
            messages(&t)
        };
        let all = engaged_visit(Sent::default());
        let names: Vec<_> = all.iter().filter_map(|m| s(m, &["event"])).collect();
        assert_eq!(names, ["Page Engagement", "Clicked"]);
        let engagement = &all[1];
        assert!(engagement
            .get("properties")
            .and_then(|p| p.get("scrollDepth"))
            .is_some());
        for m in &all {
            let c = m.get("context").unwrap();
            assert!(c.get("sessionId").is_some() && c.get("attribution").is_some());
        }

        let none = engaged_visit(Sent {
            engagement: false,
            scroll_depth: true,
            session_id: false,
            attribution: false,
        });
        let names: Vec<_> = none.iter().filter_map(|m| s(m, &["event"])).collect();
        assert_eq!(names, ["Clicked"], "no Page Engagement");
        for m in &none {
            let c = m.get("context").unwrap();
            assert!(c.get("sessionId").is_none() && c.get("attribution").is_none());
            assert_eq!(
                s(c, &["campaign", "source"]),
                Some("news"),
                "the page's own UTM stays"
            );
        }

        let no_depth = engaged_visit(Sent {
            scroll_depth: false,
            ..Sent::default()
        });
        let props = no_depth[1].get("properties").unwrap();
        assert!(props.get("engagedMs").is_some() && props.get("scrollDepth").is_none());
    }

    /// With automatic page views off, the app navigates and tracks before (or without) calling `page()`: its
    /// messages name the page the visitor is on, the page left gets its engagement once, and the page view the app
    /// records afterwards ends nothing again.
    #[test]
    fn a_page_set_without_a_page_view_is_carried_by_later_messages() {
        let mut t = tracker(None);
        t.page_view(page("https://shop.test/", ""), None, None, 0);
        t.activity(1_000);
        let mut pricing = page(
            "https://shop.test/pricing?utm_source=ads",
            "https://shop.test/",
        );
        t.set_page(pricing.clone(), 2_000);
        t.track("Plan Picked", None, 3_000);
        pricing.title = "Pricing".into();
        t.set_page(pricing.clone(), 4_000);
        t.track("Plan Compared", None, 5_000);
        t.page_view(pricing, None, None, 6_000);
        let all = messages(&t);
        let names: Vec<_> = all
            .iter()
            .map(|m| s(m, &["event"]).or(s(m, &["type"])).unwrap_or_default())
            .collect();
        assert_eq!(
            names,
            [
                "page",
                "Page Engagement",
                "Plan Picked",
                "Plan Compared",
                "page"
            ]
        );
        assert_eq!(s(&all[1], &["properties", "path"]), Some("/"));
        for (m, title) in all[2..].iter().zip(["T", "Pricing", "Pricing"]) {
            let context_page = |k| s(m, &["context", "page", k]);
            assert_eq!(context_page("path"), Some("/pricing"));
            assert_eq!(context_page("referrer"), Some("https://shop.test/"));
            assert_eq!(context_page("title"), Some(title));
            assert_eq!(s(m, &["context", "campaign", "source"]), Some("ads"));
        }
    }

    /// An in-page anchor is not another page (messages carry the URL without its fragment): a page view or a page
    /// set after the fragment changed does not end the page's engagement.
    #[test]
    fn a_fragment_change_does_not_end_the_pages_engagement() {
        let mut t = tracker(None);
        t.page_view(page("https://shop.test/docs", ""), None, None, 0);
        t.activity(1_000);
        t.set_page(page("https://shop.test/docs#install", ""), 2_000);
        t.page_view(page("https://shop.test/docs#usage", ""), None, None, 3_000);
        t.activity(4_000);
        t.page_view(page("https://shop.test/pricing", ""), None, None, 5_000);
        let names: Vec<_> = messages(&t)
            .iter()
            .map(|m| {
                s(m, &["event"])
                    .or(s(m, &["type"]))
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        assert_eq!(names, ["page", "page", "Page Engagement", "page"]);
    }

    #[test]
    fn a_corrupt_stored_profile_is_replaced_with_a_warning() {
        let mut t = tracker(Some("{garbage"));
        let w = t.take_warnings();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].code, "profile_corrupt");
        assert!(t.track("Still works", None, 0));
    }

    #[test]
    fn bad_input_is_refused_with_warnings_not_errors() {
        let mut t = tracker(None);
        assert!(!t.track("", None, 0));
        assert!(t.track("Array props", Some("[1]"), 0));
        assert!(!t.identify(Some(""), None, 0));
        let codes: Vec<_> = t.take_warnings().iter().map(|w| w.code).collect();
        assert_eq!(
            codes,
            [
                "invalid_event_name",
                "properties_not_object",
                "invalid_user_id"
            ]
        );
        assert_eq!(t.queue().len(), 1);
    }

    /// `track` and `group` send the page's properties as it gave them, `{}` with a warning for any that are not an
    /// object or not JSON (`docs/sdk.md`, "Limits and bad input"): in every build, with or without rules reading
    /// them (without, they are only checked: `sanitize::properties`).
    #[test]
    fn properties_that_are_not_an_object_are_sent_as_an_empty_one_with_a_warning() {
        let cases: &[(Option<&str>, &str, Option<&str>)] = &[
            (
                Some(r#"{"a":[1,{"b":null}],"c":"\u00e9"}"#),
                r#"{"a":[1,{"b":null}],"c":"é"}"#,
                None,
            ),
            (None, "{}", None),
            (Some("null"), "{}", None),
            (Some("[1,2]"), "{}", Some("properties_not_object")),
            (Some(r#""str""#), "{}", Some("properties_not_object")),
            (Some("42"), "{}", Some("properties_not_object")),
            (Some("true"), "{}", Some("properties_not_object")),
            (Some("{'slot':'top'}"), "{}", Some("invalid_properties")),
            (Some(r#"{"a":1} x"#), "{}", Some("invalid_properties")),
            (Some(r#"{"a":01}"#), "{}", Some("invalid_properties")),
        ];
        let deep = format!("{}1{}", "[".repeat(70), "]".repeat(70));
        let deep = format!(r#"{{"a":{deep}}}"#);
        let cases =
            cases
                .iter()
                .copied()
                .chain([(Some(deep.as_str()), "{}", Some("invalid_properties"))]);
        for (given, sent, warning) in cases {
            let mut t = tracker(None);
            assert!(t.track("E", given, 1_000), "{given:?}");
            assert!(t.group("g", given, 2_000), "{given:?}");
            let expected = json::parse(sent).unwrap();
            for (m, key) in messages(&t).iter().zip(["properties", "traits"]) {
                assert_eq!(m.get(key), Some(&expected), "{given:?}");
            }
            let codes: Vec<_> = t.take_warnings().iter().map(|w| w.code).collect();
            let expected: Vec<_> = warning.into_iter().chain(warning).collect();
            assert_eq!(codes, expected, "{given:?}");
        }
    }

    /// `group` and `alias` as Segment's spec shapes them: a group's id and traits; an alias's `previousId`
    /// (the current user id, else the anonymous id, unless given) and the new `userId`, which the visitor's own
    /// identity does not take.
    #[test]
    fn group_and_alias_messages_follow_the_segment_spec() {
        let mut t = tracker(None);
        let anon = t.profile().anonymous_id.clone();
        assert!(t.group(
            "acme",
            Some("{\"plan\":\"enterprise\",\"seats\":40}"),
            1_000
        ));
        assert!(t.alias("user-7", None, 2_000));
        t.identify(Some("user-7"), None, 3_000);
        assert!(t.alias("user-8", Some("legacy-3"), 4_000));
        assert!(t.alias("user-9", None, 5_000));
        assert_eq!(t.profile().user_id.as_deref(), Some("user-7"));
        let m = messages(&t);
        assert_eq!(s(&m[0], &["type"]), Some("group"));
        assert_eq!(s(&m[0], &["groupId"]), Some("acme"));
        assert_eq!(
            m[0].get("traits").map(Value::to_json).as_deref(),
            Some("{\"plan\":\"enterprise\",\"seats\":40}")
        );
        assert_eq!(s(&m[0], &["anonymousId"]), Some(anon.as_str()));
        assert!(m[0].get("context").and_then(|c| c.get("page")).is_some());
        let alias = |m: &Value| {
            (
                s(m, &["type"]).map(str::to_owned),
                s(m, &["previousId"]).map(str::to_owned),
                s(m, &["userId"]).map(str::to_owned),
            )
        };
        let owned = |t: &str, p: &str, u: &str| (Some(t.into()), Some(p.into()), Some(u.into()));
        assert_eq!(alias(&m[1]), owned("alias", &anon, "user-7"));
        assert_eq!(alias(&m[3]), owned("alias", "legacy-3", "user-8"));
        assert_eq!(alias(&m[4]), owned("alias", "user-7", "user-9"));
        let raw = t.queue().message_json(t.queue().items().nth(4).unwrap());
        assert_eq!(raw.matches("\"userId\"").count(), 1, "{raw}");
    }

    /// analytics.js's `options`: they change the one message of the call they come with (its timestamp, ids,
    /// `integrations` and context), not the messages the SDK makes meanwhile, nor later calls, nor what rules see.
    #[test]
    fn call_options_change_only_the_message_of_their_call() {
        let mut t = tracker(None);
        let anon = t.profile().anonymous_id.clone();
        t.page_view(page("https://shop.test/a", ""), None, None, 0);
        t.activity(1_000);
        t.activity(3_000);
        t.set_call_options(Some(
            r#"{"timestamp": "2026-01-02T03:04:05.678Z", "anonymousId": "legacy-anon", "messageId": "view-b",
                "integrations": {"All": false, "Mixpanel": true},
                "context": {"ip": "0.0.0.0", "page": {"path": "/override"}}, "campaign": {"name": "spring"}}"#,
        ));
        assert!(t.page_view(page("https://shop.test/b", ""), None, None, 4_000));
        t.set_call_options(None);
        assert!(t.track("Plain", None, 5_000));
        let m = messages(&t);
        let names: Vec<_> = m
            .iter()
            .map(|m| s(m, &["event"]).or(s(m, &["type"])).unwrap_or_default())
            .collect();
        assert_eq!(names, ["page", "Page Engagement", "page", "Plain"]);
        let (engagement, with_options, plain) = (&m[1], &m[2], &m[3]);
        assert_eq!(
            s(with_options, &["timestamp"]),
            Some("2026-01-02T03:04:05.678Z")
        );
        assert_eq!(s(with_options, &["anonymousId"]), Some("legacy-anon"));
        assert_eq!(s(with_options, &["messageId"]), Some("view-b"));
        assert_ne!(s(plain, &["messageId"]), Some("view-b"));
        assert_eq!(
            with_options
                .get("integrations")
                .map(Value::to_json)
                .as_deref(),
            Some(r#"{"All":false,"Mixpanel":true}"#)
        );
        assert_eq!(s(with_options, &["context", "ip"]), Some("0.0.0.0"));
        assert_eq!(
            with_options
                .get("context")
                .and_then(|c| c.get("page"))
                .map(Value::to_json)
                .as_deref(),
            Some(r#"{"path":"/override"}"#),
            "a shallow merge: the option's page replaces the SDK's"
        );
        assert_eq!(
            s(with_options, &["context", "campaign", "name"]),
            Some("spring")
        );
        assert_eq!(
            s(with_options, &["context", "library", "name"]),
            Some("wayline"),
            "the SDK's other members stay"
        );
        assert_eq!(s(with_options, &["properties", "path"]), Some("/b"));
        for other in [engagement, plain] {
            assert_eq!(s(other, &["anonymousId"]), Some(anon.as_str()));
            assert!(other.get("integrations").is_none());
            assert!(s(other, &["context", "ip"]).is_none());
            assert!(s(other, &["timestamp"]).is_some_and(|t| t.starts_with("1970-")));
        }
        assert_eq!(s(plain, &["context", "page", "path"]), Some("/b"));
        // The message's own context is held beside the shared ones.
        let contexts = |t: &Tracker| {
            let mut seen: Vec<String> = Vec::new();
            for i in t.queue().items() {
                let json = t.queue().message_json(i);
                let context = json::parse(&json)
                    .unwrap()
                    .get("context")
                    .unwrap()
                    .to_json();
                if !seen.contains(&context) {
                    seen.push(context);
                }
            }
            seen.len()
        };
        assert_eq!(contexts(&t), 3, "page a, page b's own, page b");
        assert!(t.take_warnings().is_empty());
    }

    #[test]
    fn call_options_that_cannot_be_used_are_left_out_with_a_warning() {
        let mut t = tracker(None);
        t.set_call_options(Some(
            r#"{"timestamp": "soon", "userId": "", "integrations": 3}"#,
        ));
        assert!(t.track("Kept", None, 7_000));
        let m = &messages(&t)[0];
        assert_eq!(s(m, &["timestamp"]), Some("1970-01-01T00:00:07.000Z"));
        assert!(m.get("userId").is_none() && m.get("integrations").is_none());
        let warnings: Vec<_> = t
            .take_warnings()
            .into_iter()
            .map(|w| (w.code, w.message))
            .collect();
        assert_eq!(
            warnings,
            [(
                "invalid_call_options",
                "options cannot be used, left out: timestamp, userId, integrations".to_string()
            )]
        );
        // Options that are not an object are the same as none.
        t.set_call_options(Some("[1]"));
        assert!(t.track("Plain", None, 8_000));
        assert!(t.take_warnings().is_empty());
        assert_eq!(
            s(&messages(&t)[1], &["anonymousId"]),
            s(m, &["anonymousId"])
        );
    }

    #[test]
    fn group_and_alias_refuse_bad_ids_with_warnings() {
        let mut t = tracker(None);
        let long = "g".repeat(201);
        assert!(!t.group("", None, 0));
        assert!(!t.group(&long, None, 0));
        assert!(!t.alias("", None, 0));
        assert!(!t.alias("u", Some(""), 0));
        assert!(t.group("g", Some("[1]"), 0));
        let codes: Vec<_> = t.take_warnings().iter().map(|w| w.code).collect();
        assert_eq!(
            codes,
            [
                "invalid_group_id",
                "invalid_group_id",
                "invalid_user_id",
                "invalid_user_id",
                "properties_not_object"
            ]
        );
        assert_eq!(t.queue().len(), 1);
    }

    #[test]
    fn denied_consent_forgets_events_and_identity_and_records_nothing() {
        let mut t = tracker(None);
        t.identify(Some("u"), None, 0);
        t.track("Kept In Memory", None, 1);
        t.set_consent(Consent::Pending);
        assert!(t.track("Still Recorded", None, 2));
        assert_eq!(t.queue().len(), 3);
        let anon = t.profile().anonymous_id.clone();
        t.set_consent(Consent::Denied);
        assert!(t.queue().is_empty());
        assert_ne!(t.profile().anonymous_id, anon);
        assert_eq!(t.profile().user_id, None);
        assert!(!t.track("Not Recorded", None, 3));
        assert!(t.queue().is_empty());
        assert_eq!(
            t.take_profile_write(),
            None,
            "nothing to persist after a denial"
        );
        t.set_consent(Consent::Granted);
        assert!(t.track("Recorded Again", None, 4));
        assert!(t.take_profile_write().is_some());
    }

    #[test]
    fn a_new_user_does_not_inherit_the_previous_users_traits() {
        let mut t = tracker(None);
        t.identify(Some("a"), Some("{\"x\":1}"), 0);
        t.identify(None, Some("{\"y\":2}"), 0);
        assert_eq!(t.profile().traits.len(), 2);
        t.identify(Some("b"), Some("{\"z\":3}"), 0);
        assert_eq!(
            t.profile()
                .traits
                .iter()
                .map(|(k, _)| k)
                .collect::<Vec<_>>(),
            ["z"]
        );
    }
}

#[cfg(all(test, feature = "segments"))]
#[path = "tracker_campaign_tests.rs"]
mod campaign_tests;

#[cfg(all(test, feature = "segments"))]
mod audience_tests {
    use super::*;
    use crate::core::audience::Audience;
    use crate::core::json::Value;
    use crate::core::segments::Change;
    use crate::core::time::{DAY, HOUR, MINUTE};

    fn config() -> Value {
        json::parse(
            r#"{"segments": {"pricing-curious": "count(\"Page Viewed\", where: path starts_with \"/pricing\", within: 7d) >= 2",
                              "pro": "traits.plan == \"pro\""},
                "journeys": {"lifecycle": [{"stage": "awareness", "rule": "count(\"Page Viewed\") >= 1"},
                                           {"stage": "purchase", "rule": "count(\"Order Completed\") >= 1"}]}}"#,
        )
        .unwrap()
    }

    pub(super) fn tracker() -> Tracker {
        Tracker::new(
            TrackerOptions::new("wk"),
            None,
            Environment::default(),
            Page::default(),
            [9; 32],
        )
    }

    pub(super) fn page(path: &str) -> Page {
        Page {
            url: format!("https://shop.test{path}"),
            title: String::new(),
            referrer: String::new(),
        }
    }

    pub(super) fn sent(t: &Tracker) -> Vec<(String, Value)> {
        t.queue()
            .items()
            .map(|i| json::parse(&t.queue().message_json(i)).unwrap())
            .filter(|m| m.get("type").and_then(Value::as_str) == Some("track"))
            .map(|m| {
                (
                    m.get("event")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    m.get("properties").cloned().unwrap_or(Value::Null),
                )
            })
            .collect()
    }

    #[test]
    fn segment_and_stage_changes_become_events_and_callbacks() {
        let mut t = tracker();
        t.set_audience(Audience::boxed(&config()).unwrap(), None, 0);
        t.page_view(page("/pricing"), None, None, 1_000);
        t.page_view(page("/pricing/teams"), None, None, 2_000);
        let names: Vec<String> = sent(&t).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["Journey Stage Changed", "Segment Entered"]);
        assert_eq!(t.segments(), ["pricing-curious"]);
        assert_eq!(t.stage("lifecycle"), Some("awareness"));
        let changes = t.take_changes();
        assert_eq!(changes.len(), 2);
        assert!(t.take_changes().is_empty());
        // Nothing new happens until the 7-day window lets the first view go.
        let wake = t.next_wakeup().unwrap();
        assert!(wake > 6 * DAY && wake <= 7 * DAY + 1_000);
        t.advance(wake);
        assert!(matches!(
            &t.take_changes()[..],
            [Change::SegmentExit { .. }]
        ));
        let last = sent(&t).pop().unwrap();
        assert_eq!(last.0, "Segment Exited");
        assert_eq!(
            last.1.get("segment").and_then(Value::as_str),
            Some("pricing-curious")
        );
    }

    /// The page's title read as the timer brings a change is on that change's message; the rules' facts are not
    /// caught up first (the exit is what the timer reports now).
    #[test]
    fn a_change_time_alone_brings_carries_the_title_the_page_has_then() {
        let mut t = tracker();
        t.set_audience(Audience::boxed(&config()).unwrap(), None, 0);
        t.page_view(page("/pricing"), None, None, 1_000);
        t.page_view(page("/pricing/teams"), None, None, 2_000);
        let wake = t.next_wakeup().unwrap();
        t.retitle("Teams plan".into());
        t.retitle("Teams plan".into());
        assert_eq!(sent(&t).len(), 2, "nothing is caught up or recorded");
        t.advance(wake);
        let last = t.queue().items().last().unwrap();
        let message = json::parse(&t.queue().message_json(last)).unwrap();
        assert_eq!(
            message.get("event").and_then(Value::as_str),
            Some("Segment Exited")
        );
        let title = message
            .get("context")
            .and_then(|c| c.get("page"))
            .and_then(|p| p.get("title"))
            .and_then(Value::as_str);
        assert_eq!(title, Some("Teams plan"));
    }

    #[test]
    fn a_new_session_from_a_campaign_link_is_one_change_of_context_and_channel() {
        let mut t = tracker();
        let config = json::parse(
            r#"{"segments": {"odd": "channel.last == \"direct\" && context.campaign.source == \"newsletter\""}}"#,
        )
        .unwrap();
        t.set_audience(Audience::boxed(&config).unwrap(), None, 0);
        t.page_view(page("/"), None, None, 1_000);
        let channels = |t: &Tracker| {
            let a = &t.profile().attribution;
            let name = |touch: &Option<crate::core::attribution::Touch>| {
                touch.as_ref().map(|x| x.channel.as_str().to_string())
            };
            (name(&a.first), name(&a.last))
        };
        let direct = Some("direct".to_string());
        assert_eq!(channels(&t), (direct.clone(), direct.clone()));
        // An hour later, a newsletter link: a new session whose context names the campaign and whose last touch
        // is email. The rule never holds, before or after; it must not be seen to hold in between.
        t.page_view(
            page("/?utm_source=newsletter&utm_medium=email"),
            None,
            None,
            HOUR + 1_000,
        );
        assert_eq!(channels(&t), (direct, Some("email".to_string())));
        assert!(t.take_changes().is_empty());
        assert!(sent(&t)
            .iter()
            .all(|(name, _)| !name.starts_with("Segment")));
    }

    #[test]
    fn a_page_view_is_one_change_of_page_and_counts() {
        let mut t = tracker();
        let config = json::parse(
            r#"{"segments": {"early-pricing": "page.path == \"/pricing\" && count(\"Page Viewed\") < 3"}}"#,
        )
        .unwrap();
        t.set_audience(Audience::boxed(&config).unwrap(), None, 0);
        t.page_view(page("/a"), None, None, 1_000);
        t.page_view(page("/b"), None, None, 2_000);
        // The third view is of /pricing: the rule is false before it and after it, and must not be seen to hold
        // with the new page and the old count in between.
        t.page_view(page("/pricing"), None, None, 3_000);
        assert!(t.take_changes().is_empty());
        assert!(sent(&t)
            .iter()
            .all(|(name, _)| !name.starts_with("Segment")));
        // A second visitor reaches /pricing on the second view: one enter, at that view's time.
        let mut u = tracker();
        u.set_audience(Audience::boxed(&config).unwrap(), None, 0);
        u.page_view(page("/a"), None, None, 1_000);
        u.page_view(page("/pricing"), None, None, 2_000);
        assert_eq!(
            u.take_changes(),
            [Change::SegmentEnter {
                segment: "early-pricing".into(),
                at: 2_000
            }]
        );
    }

    #[test]
    fn a_reload_does_not_leave_and_re_enter_segments_that_read_the_page_or_context() {
        let config = json::parse(
            r#"{"segments": {"pro-on-pricing": "page.path == \"/pricing\" && traits.plan == \"pro\"",
                             "pro-in-french": "context.locale == \"fr\" && traits.plan == \"pro\""}}"#,
        )
        .unwrap();
        let env = Environment {
            locale: "fr".into(),
            ..Environment::default()
        };
        let opened = |profile: Option<&str>, seed| {
            Tracker::new(
                TrackerOptions::new("wk"),
                profile,
                env.clone(),
                page("/pricing"),
                seed,
            )
        };
        let mut t = opened(None, [9; 32]);
        t.set_audience(Audience::boxed(&config).unwrap(), None, 0);
        t.identify(None, Some(r#"{"plan":"pro"}"#), 500);
        t.page_view(page("/pricing"), None, None, 1_000);
        assert_eq!(t.segments(), ["pro-on-pricing", "pro-in-french"]);
        let state = t.take_state_write().unwrap();
        let profile = t.take_profile_write().unwrap();
        // The next page load: the stored answers and the page's facts are the same, so nothing is announced (set
        // one at a time, the traits were seen before the context and both segments were left and re-entered).
        let mut again = opened(Some(&profile), [8; 32]);
        again.set_audience(Audience::boxed(&config).unwrap(), Some(&state), 2_000);
        again.page_view(page("/pricing"), None, None, 3_000);
        assert!(again.take_changes().is_empty());
        assert!(sent(&again)
            .iter()
            .all(|(name, _)| !name.starts_with("Segment")));
        assert_eq!(again.segments(), ["pro-on-pricing", "pro-in-french"]);
    }

    /// A rule on `event.*` reads the event being processed: its segment holds until the next event, and a page
    /// load (which starts with no current event) ends it when the config is installed.
    #[test]
    fn a_segment_on_the_current_event_lasts_until_the_next_event_or_page_load() {
        let config =
            json::parse(r#"{"segments": {"just-ordered": "event.name == \"Order Completed\""}}"#)
                .unwrap();
        let mut t = tracker();
        t.set_audience(Audience::boxed(&config).unwrap(), None, 0);
        t.track("Order Completed", None, 1_000);
        assert_eq!(t.segments(), ["just-ordered"]);
        t.track("Product Viewed", None, 2_000);
        assert!(t.segments().is_empty());
        t.track("Order Completed", None, 3_000);
        let state = t.take_state_write().unwrap();
        assert_eq!(t.segments(), ["just-ordered"]);
        // The next page load: its config is installed before any event, with no current event, so the segment is
        // left then (and the exit is sent), not entered again.
        let mut again = tracker();
        again.set_audience(Audience::boxed(&config).unwrap(), Some(&state), 4_000);
        assert_eq!(
            again.take_changes(),
            [Change::SegmentExit {
                segment: "just-ordered".into(),
                at: 4_000
            }]
        );
        assert!(again.segments().is_empty());
        assert_eq!(
            sent(&again).pop().map(|(name, _)| name).as_deref(),
            Some("Segment Exited")
        );
        // That exit is stored at once, so the load after it has nothing to announce.
        let state = again.take_state_write().expect("the exit is persisted");
        let mut third = tracker();
        third.set_audience(Audience::boxed(&config).unwrap(), Some(&state), 5_000);
        assert!(third.take_changes().is_empty());
        assert!(sent(&third)
            .iter()
            .all(|(name, _)| !name.starts_with("Segment")));
    }

    /// A segment entered when the config is installed (here on traits the stored profile already has) is stored
    /// then, so the next page load does not enter it again.
    #[test]
    fn a_segment_entered_at_install_is_not_entered_again_on_the_next_load() {
        let config = json::parse(r#"{"segments": {"pro": "traits.plan == \"pro\""}}"#).unwrap();
        let mut t = tracker();
        t.identify(None, Some(r#"{"plan":"pro"}"#), 500);
        let profile = t.take_profile_write().unwrap();
        let opened = |profile: &str| {
            Tracker::new(
                TrackerOptions::new("wk"),
                Some(profile),
                Environment::default(),
                page("/"),
                [7; 32],
            )
        };
        let mut first = opened(&profile);
        first.set_audience(Audience::boxed(&config).unwrap(), None, 1_000);
        assert_eq!(
            first.take_changes(),
            [Change::SegmentEnter {
                segment: "pro".into(),
                at: 1_000
            }]
        );
        // The state alone changed, and it is enough to have the web layer schedule a write.
        let _ = first.take_profile_write();
        assert!(first.profile_or_state_dirty());
        let state = first.take_state_write().expect("the enter is persisted");
        assert!(!first.profile_or_state_dirty());
        let mut second = opened(&profile);
        second.set_audience(Audience::boxed(&config).unwrap(), Some(&state), 2_000);
        assert!(second.take_changes().is_empty());
        assert_eq!(second.segments(), ["pro"]);
    }

    #[test]
    fn identify_traits_reach_the_rules() {
        let mut t = tracker();
        t.set_audience(Audience::boxed(&config()).unwrap(), None, 0);
        t.identify(Some("u1"), Some("{\"plan\":\"pro\"}"), 10);
        assert!(t.segments().contains(&"pro"));
        t.reset(20);
        assert!(
            !t.segments().contains(&"pro"),
            "a logout starts a fresh audience"
        );
    }

    /// A logout changes what `segments()` and `stage()` answer: the page's listeners hear each difference (the
    /// former visitor's memberships and stage left, the new visitor's memberships entered), and only the new
    /// visitor's own entries are sent as events.
    #[test]
    fn a_reset_tells_the_page_every_membership_and_stage_it_changed() {
        let config = json::parse(
            r#"{"segments": {"pro": "traits.plan == \"pro\"", "new": "count(\"Order Completed\") == 0"},
                "journeys": {"lifecycle": [{"stage": "buyer", "rule": "count(\"Order Completed\") >= 1"}]}}"#,
        )
        .unwrap();
        let mut t = tracker();
        t.set_audience(Audience::boxed(&config).unwrap(), None, 0);
        t.identify(Some("u1"), Some("{\"plan\":\"pro\"}"), 10);
        t.track("Order Completed", None, 20);
        assert_eq!(t.segments(), ["pro"]);
        t.take_changes();
        let before = sent(&t).len();
        t.reset(30);
        assert_eq!(t.segments(), ["new"]);
        assert_eq!(t.stage("lifecycle"), None);
        assert_eq!(
            t.take_changes(),
            [
                Change::SegmentExit {
                    segment: "pro".into(),
                    at: 30
                },
                Change::SegmentEnter {
                    segment: "new".into(),
                    at: 30
                },
                Change::Stage {
                    journey: "lifecycle".into(),
                    from: Some("buyer".into()),
                    to: None,
                    at: 30
                },
            ]
        );
        let names: Vec<String> = sent(&t)[before..].iter().map(|(n, _)| n.clone()).collect();
        assert_eq!(names, ["Segment Entered"]);
    }

    /// A logout's fresh audience is what is stored next: else the next page load restores the former visitor's
    /// memberships and announces their exits for the new one.
    #[test]
    fn a_reset_stores_the_fresh_audience() {
        let mut t = tracker();
        t.set_audience(Audience::boxed(&config()).unwrap(), None, 0);
        t.identify(Some("u1"), Some("{\"plan\":\"pro\"}"), 10);
        assert!(t.take_state_write().is_some());
        t.reset(20);
        assert!(t.profile_or_state_dirty());
        let state = t.take_state_write().expect("the fresh state is stored");
        let profile = t.take_profile_write().unwrap();
        let mut next = Tracker::new(
            TrackerOptions::new("wk"),
            Some(&profile),
            Environment::default(),
            Page::default(),
            [7; 32],
        );
        next.set_audience(Audience::boxed(&config()).unwrap(), Some(&state), 30);
        assert!(next.take_changes().is_empty());
        assert!(next.segments().is_empty());
    }

    /// A change not yet written when a new config replaces the running one is written still: the state carried
    /// into the new config's audience keeps its mark.
    #[test]
    fn a_change_not_yet_stored_is_stored_after_a_config_replaces_the_running_one() {
        let mut t = tracker();
        t.set_audience(Audience::boxed(&config()).unwrap(), None, 0);
        let _ = t.take_state_write();
        t.identify(None, Some("{\"plan\":\"pro\"}"), 10);
        assert_eq!(t.take_changes().len(), 1);
        let changed = json::parse(r#"{"segments": {"pro": "traits.plan == \"pro\"", "buyer": "count(\"Order Completed\") >= 1"}}"#).unwrap();
        t.replace_audience(Audience::boxed(&changed).unwrap(), 20);
        assert!(t.take_changes().is_empty());
        let state = t
            .take_state_write()
            .expect("the enter is still to be stored");
        let mut next = tracker();
        next.identify(None, Some("{\"plan\":\"pro\"}"), 30);
        next.set_audience(Audience::boxed(&changed).unwrap(), Some(&state), 40);
        assert!(next.take_changes().is_empty());
        assert_eq!(next.segments(), ["pro"]);
    }

    #[test]
    fn events_recorded_while_the_config_loads_count() {
        let mut t = tracker();
        t.expect_config();
        t.page_view(page("/pricing"), None, None, 1_000);
        t.page_view(page("/pricing"), None, None, 2_000);
        assert!(t.segments().is_empty());
        t.set_audience(Audience::boxed(&config()).unwrap(), None, 3_000);
        assert_eq!(t.segments(), ["pricing-curious"]);
    }

    /// Events kept while the config loads (for long, when it could not be fetched) count in the sessions they
    /// were recorded in, as they would have with the config there.
    #[test]
    fn events_kept_for_the_config_count_the_sessions_they_were_in() {
        let config = json::parse(r#"{"segments": {"returning": "session_count() >= 2"}}"#).unwrap();
        let mut t = tracker();
        t.expect_config();
        t.page_view(page("/"), None, None, 1_000);
        t.page_view(page("/a"), None, None, 2 * HOUR);
        t.set_audience(Audience::boxed(&config).unwrap(), None, 2 * HOUR + 1_000);
        assert_eq!(t.profile().sessions.count, 2);
        assert_eq!(t.segments(), ["returning"]);
    }

    /// Rules read the page the messages carry: one set without a page view (automatic page views off) or with a
    /// new title reaches them with the next event, as one change with it. So a rule on the page and on what that
    /// event counts is not entered and left in between (with automatic page views off, the app's `page()` follows
    /// its navigation), nor is one on the title and on a `track` the app makes once its view rendered; a call that
    /// records nothing (refused) leaves the page for the next event.
    #[test]
    fn rules_see_a_page_set_without_a_page_view_with_the_next_event() {
        let config = json::parse(
            r#"{"segments": {"early-pricing": "page.path == \"/pricing\" && count(\"Page Viewed\") < 2",
                             "first-look": "page.title == \"Pricing\" && count(\"Plan Viewed\") < 1",
                             "titled": "page.title == \"Pricing\""}}"#,
        )
        .unwrap();
        let mut t = tracker();
        t.set_audience(Audience::boxed(&config).unwrap(), None, 0);
        t.page_view(page("/"), None, None, 1_000);
        assert!(t.take_changes().is_empty());
        let mut p = page("/pricing");
        t.set_page(p.clone(), 2_000);
        t.page_view(p.clone(), None, None, 2_500);
        p.title = "Pricing".into();
        t.set_page(p.clone(), 3_000);
        assert!(t.segments().is_empty(), "not before an event");
        t.track("Plan Viewed", None, 3_000);
        assert_eq!(
            t.take_changes(),
            [Change::SegmentEnter {
                segment: "titled".into(),
                at: 3_000
            }]
        );
        p.title = "Plans".into();
        t.set_page(p, 4_000);
        assert!(!t.track("", None, 4_000));
        assert_eq!(t.segments(), ["titled"]);
        t.track("Plan Compared", None, 5_000);
        assert!(t.segments().is_empty());
    }

    /// Page-view rules read the same properties the stored page message has (and `wayline replay` reads): the
    /// title and the referrer too, besides the path, search and URL.
    #[test]
    fn page_view_rules_read_the_title_and_the_referrer() {
        let config = json::parse(
            r#"{"segments": {"pricing": "count(\"Page Viewed\", where: title == \"Pricing\") >= 1",
                             "from-search": "count(\"Page Viewed\", where: referrer starts_with \"https://search.test\") >= 1"}}"#,
        )
        .unwrap();
        let mut t = tracker();
        t.set_audience(Audience::boxed(&config).unwrap(), None, 0);
        let mut p = page("/pricing");
        p.title = "Pricing".into();
        p.referrer = "https://search.test/?q=packs".into();
        t.page_view(p, None, None, 1_000);
        assert_eq!(t.segments(), ["pricing", "from-search"]);
    }

    /// Rules read the properties of events tracked with a config in use and of those kept while it loads; a
    /// `group`'s traits too (`RULES_READ_EVENTS`).
    #[test]
    fn rules_read_the_properties_of_events_and_of_those_kept_for_the_config() {
        let config = json::parse(
            r#"{"segments": {"big": "count(\"Order Completed\", where: revenue >= 100) >= 2",
                              "acme": "count(\"Group\", where: plan == \"enterprise\") >= 1"}}"#,
        )
        .unwrap();
        let mut t = tracker();
        t.track("Order Completed", Some(r#"{"revenue":500}"#), 500);
        t.expect_config();
        t.track("Order Completed", Some(r#"{"revenue":150}"#), 1_000);
        t.track("Order Completed", Some(r#"{"revenue":5}"#), 1_500);
        t.set_audience(Audience::boxed(&config).unwrap(), None, 2_000);
        assert!(t.segments().is_empty(), "one order of 100 or more");
        t.track("Order Completed", Some("[1]"), 3_000);
        t.track("Order Completed", Some(r#"{"revenue":20}"#), 3_500);
        assert!(t.segments().is_empty());
        t.track("Order Completed", Some(r#"{"revenue":100}"#), 4_000);
        assert_eq!(t.segments(), ["big"]);
        t.group("g", Some(r#"{"plan":"enterprise"}"#), 5_000);
        assert_eq!(t.segments(), ["big", "acme"]);
    }

    /// `page(name)`: rules filter page views on the name, as on the stored message's `properties.name`.
    #[test]
    fn page_view_rules_read_the_pages_name() {
        let config = json::parse(
            r#"{"segments": {"pricing": "count(\"Page Viewed\", where: name == \"Pricing\") >= 1"}}"#,
        )
        .unwrap();
        let mut t = tracker();
        t.set_audience(Audience::boxed(&config).unwrap(), None, 0);
        t.page_view(page("/plans"), Some("Plans"), None, 1_000);
        assert!(t.segments().is_empty());
        t.page_view(page("/pricing"), Some("Pricing"), None, 2_000);
        assert_eq!(t.segments(), ["pricing"]);
    }

    /// `page(category, name)`: rules filter page views on the category too, as on the stored message's
    /// `properties.category`.
    #[test]
    fn page_view_rules_read_the_pages_category() {
        let config = json::parse(
            r#"{"segments": {"docs": "count(\"Page Viewed\", where: category == \"Docs\" and name == \"Intro\") >= 1"}}"#,
        )
        .unwrap();
        let mut t = tracker();
        t.set_audience(Audience::boxed(&config).unwrap(), None, 0);
        t.page_view(page("/intro"), Some("Intro"), None, 1_000);
        t.page_view_in(
            page("/blog/intro"),
            Some("Blog"),
            Some("Intro"),
            None,
            2_000,
        );
        assert!(t.segments().is_empty());
        t.page_view_in(
            page("/docs/intro"),
            Some("Docs"),
            Some("Intro"),
            None,
            3_000,
        );
        assert_eq!(t.segments(), ["docs"]);
    }

    /// Engagement that is not sent (`trackEngagement: false`) still counts on the device: `engaged_time()` and
    /// the Page Engagement event's scroll depth read as they would if it were sent.
    #[test]
    fn engagement_not_sent_still_reaches_the_rules() {
        let config = json::parse(
            r#"{"segments": {"engaged": "engaged_time() >= 3s",
                              "scrolled": "count(\"Page Engagement\", where: scrollDepth >= 50) >= 1"}}"#,
        )
        .unwrap();
        let mut options = TrackerOptions::new("wk");
        options.sent.engagement = false;
        let mut t = Tracker::new(options, None, Environment::default(), page("/"), [9; 32]);
        t.set_audience(Audience::boxed(&config).unwrap(), None, 0);
        t.page_view(page("/"), None, None, 0);
        t.activity(1_000);
        t.scrolled(70.0, 3_000);
        t.activity(5_000);
        t.page_left(6_000);
        assert_eq!(t.segments(), ["engaged", "scrolled"]);
        assert!(sent(&t).iter().all(|(name, _)| name != PAGE_ENGAGEMENT));
    }

    /// A page's URL is sent without its `#fragment`, as analytics.js sends it (an in-page anchor is not another
    /// page), in the properties and in `context.page`, and rules read it so, as `wayline replay` reads the stored
    /// message. The path and search never held the fragment.
    #[test]
    fn a_page_views_url_is_sent_and_read_without_its_fragment() {
        let config_text = r#"{"segments": {"plain": "count(\"Page Viewed\", where: url == \"https://shop.test/docs?v=2\") >= 1"}}"#;
        let config = json::parse(config_text).unwrap();
        let mut t = tracker();
        t.set_audience(Audience::boxed(&config).unwrap(), None, 0);
        t.page_view(page("/docs?v=2#install"), None, None, 1_000);
        assert_eq!(t.segments(), ["plain"]);
        t.track("Clicked", None, 2_000);
        let stored: Vec<Value> = t
            .queue()
            .items()
            .map(|i| json::parse(&t.queue().message_json(i)).unwrap())
            .collect();
        let view = stored
            .iter()
            .find(|m| m.get("type").and_then(Value::as_str) == Some("page"))
            .unwrap();
        let text = |m: &Value, path: &[&str]| {
            path.iter()
                .try_fold(m, |v, k| v.get(k))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        assert_eq!(
            text(view, &["properties", "url"]).as_deref(),
            Some("https://shop.test/docs?v=2")
        );
        for m in &stored {
            assert_eq!(
                text(m, &["context", "page", "url"]).as_deref(),
                Some("https://shop.test/docs?v=2")
            );
        }
        assert_eq!(
            text(view, &["properties", "search"]).as_deref(),
            Some("?v=2")
        );
    }

    /// A `group` call is a `"Group"` event whose properties are the group's traits, in the SDK's rules as in
    /// `wayline replay` of the stored message.
    #[test]
    fn group_calls_are_group_events_for_rules_as_replay_reads_them() {
        let config_text = r#"{"segments": {"enterprise": "count(\"Group\", where: plan == \"enterprise\") >= 1"}}"#;
        let config = json::parse(config_text).unwrap();
        let mut t = tracker();
        t.set_audience(Audience::boxed(&config).unwrap(), None, 0);
        t.group("acme", Some(r#"{"plan":"starter"}"#), 1_000);
        assert!(t.segments().is_empty());
        t.group("acme", Some(r#"{"plan":"enterprise"}"#), 2_000);
        assert_eq!(t.segments(), ["enterprise"]);
        let stored: Vec<String> = t
            .queue()
            .items()
            .map(|i| t.queue().message_json(i))
            .collect();
        let timeline =
            crate::core::segments::config::replay(config_text, &stored.join("\n"), None, "c")
                .unwrap();
        assert!(
            timeline.contains("segment-enter enterprise\n"),
            "{timeline}"
        );
    }

    /// A page view's values over 2,048 bytes are cut in the stored message (its properties and its top-level
    /// name and category alike), and rules read them cut too: the SDK and `wayline replay`, which reads the stored
    /// message, decide the same.
    #[test]
    fn page_view_rules_read_long_values_cut_as_the_stored_message_has_them() {
        let long = |c: &str| c.repeat(3_000);
        // The path's cut falls inside an escape, which URLs are cut before.
        let path = format!("/{}", long("%C3%A9"));
        let url = format!("https://shop.test{path}?q={}", long("q"));
        let (title, referrer) = (long("é"), format!("https://r.test/{}", long("r")));
        let (name, category) = (long("n"), long("c"));
        let cut = |s: &str| clip(s, MAX_CONTEXT_TEXT).to_owned();
        let cut_url = |s: &str| crate::core::url::clip_url(s, MAX_CONTEXT_TEXT).to_owned();
        let checks = [
            ("url", cut_url(&url)),
            ("path", cut_url(&path)),
            ("search", cut_url(&format!("?q={}", long("q")))),
            ("title", cut(&title)),
            ("referrer", cut_url(&referrer)),
            ("name", cut(&name)),
            ("category", cut(&category)),
        ];
        let segments: Vec<String> = checks
            .iter()
            .map(|(k, v)| {
                format!("\"{k}\": \"count(\\\"Page Viewed\\\", where: {k} == \\\"{v}\\\") >= 1\"")
            })
            .collect();
        let config_text = format!("{{\"segments\": {{{}}}}}", segments.join(","));
        let config = json::parse(&config_text).unwrap();
        let mut t = tracker();
        t.set_audience(Audience::boxed(&config).unwrap(), None, 0);
        t.page_view_in(
            Page {
                url,
                title,
                referrer,
            },
            Some(&category),
            Some(&name),
            None,
            1_000,
        );
        let keys: Vec<&str> = checks.iter().map(|(k, _)| *k).collect();
        assert_eq!(t.segments(), keys, "the rules read the cut values");
        let stored: Vec<String> = t
            .queue()
            .items()
            .map(|i| t.queue().message_json(i))
            .collect();
        let m = stored
            .iter()
            .map(|m| json::parse(m).unwrap())
            .find(|m| m.get("type").and_then(Value::as_str) == Some("page"))
            .unwrap();
        for (k, v) in &checks {
            let p = m.get("properties").and_then(|p| p.get(k));
            assert_eq!(
                p.and_then(Value::as_str),
                Some(v.as_str()),
                "properties.{k}"
            );
        }
        for k in ["name", "category"] {
            assert_eq!(
                m.get(k).and_then(Value::as_str).map(str::len),
                Some(MAX_CONTEXT_TEXT),
                "top-level {k}"
            );
        }
        let timeline =
            crate::core::segments::config::replay(&config_text, &stored.join("\n"), None, "c")
                .unwrap();
        for k in keys {
            assert!(
                timeline.contains(&format!("segment-enter {k}\n")),
                "replay: {k}"
            );
        }
    }

    /// Events kept while the config loads (for long, when it could not be fetched) count at the times they
    /// happened: windows end as they would have, and each change is stamped with its own instant, not the
    /// config's arrival.
    #[test]
    fn events_kept_for_the_config_count_at_the_times_they_happened() {
        let config = json::parse(
            r#"{"segments": {"browsing": "count(\"Product Viewed\", within: 30m) >= 3"}}"#,
        )
        .unwrap();
        let mut t = tracker();
        t.expect_config();
        for at in [1_000, 10 * MINUTE, 20 * MINUTE] {
            t.track("Product Viewed", None, at);
        }
        t.set_audience(Audience::boxed(&config).unwrap(), None, 3 * HOUR);
        assert!(
            t.segments().is_empty(),
            "the views left the window long ago"
        );
        let changes: Vec<(bool, i64)> = t
            .take_changes()
            .iter()
            .map(|c| (matches!(c, Change::SegmentEnter { .. }), c.at()))
            .collect();
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert_eq!(changes[0], (true, 20 * MINUTE));
        assert!(!changes[1].0 && changes[1].1 <= 31 * MINUTE, "{changes:?}");
    }

    /// An identify kept while the config loads brings the traits the profile had then: another user's identify
    /// after it starts from no traits, as it does with the config there, rather than keeping the former user's.
    #[test]
    fn a_new_users_identify_kept_for_the_config_does_not_keep_the_former_users_traits() {
        let mut t = tracker();
        t.expect_config();
        t.identify(Some("u1"), Some(r#"{"plan":"pro"}"#), 1_000);
        t.identify(Some("u2"), None, 2_000);
        t.set_audience(Audience::boxed(&config()).unwrap(), None, 3_000);
        assert!(t.profile().traits.is_empty());
        assert!(t.segments().is_empty());
        // u1 was pro, u2 is not: the segment is entered and left, as the two identify calls had it.
        let changes: Vec<bool> = t
            .take_changes()
            .iter()
            .map(|c| matches!(c, Change::SegmentEnter { .. }))
            .collect();
        assert_eq!(changes, [true, false]);
        t.track("Later", None, 4_000);
        assert!(t.segments().is_empty());
    }

    /// Events kept while the config loads are the visitor's who recorded them: after a logout (or denied
    /// consent) they are not the new visitor's, whose segments start from nothing.
    #[test]
    fn events_kept_for_the_config_before_a_reset_do_not_count_for_the_new_visitor() {
        let mut t = tracker();
        t.expect_config();
        t.track("Order Completed", None, 1_000);
        t.reset(2_000);
        t.set_audience(Audience::boxed(&config()).unwrap(), None, 3_000);
        assert_eq!(t.stage("lifecycle"), None);
        assert!(t.take_changes().is_empty());
        assert!(sent(&t)
            .iter()
            .all(|(name, _)| name != "Journey Stage Changed"));
    }

    #[test]
    fn state_is_persisted_and_restored_without_re_announcing() {
        let mut t = tracker();
        t.set_audience(Audience::boxed(&config()).unwrap(), None, 0);
        t.page_view(page("/pricing"), None, None, 1_000);
        t.page_view(page("/pricing"), None, None, 2_000);
        let state = t.take_state_write().unwrap();
        let mut again = tracker();
        again.set_audience(Audience::boxed(&config()).unwrap(), Some(&state), 3_000);
        assert_eq!(again.segments(), ["pricing-curious"]);
        assert!(again.take_changes().is_empty());
        assert!(sent(&again).is_empty());
    }

    #[test]
    fn a_bad_config_is_reported_and_tracking_goes_on() {
        let mut t = tracker();
        let bad = json::parse(r#"{"segments": {"x": "count(\"A\") >="}}"#).unwrap();
        let errors = Audience::boxed(&bad).err().unwrap();
        assert_eq!(errors.len(), 1);
        t.expect_config();
        t.no_config();
        assert!(t.track("Still Tracked", None, 1));
    }

    #[test]
    fn no_change_events_leave_after_consent_is_denied() {
        let mut t = tracker();
        t.set_audience(Audience::boxed(&config()).unwrap(), None, 0);
        t.set_consent(Consent::Denied);
        assert!(!t.page_view(page("/pricing"), None, None, 1_000));
        assert!(!t.page_view(page("/pricing"), None, None, 2_000));
        assert!(t.queue().is_empty());
        assert_eq!(
            t.segments(),
            ["pricing-curious"],
            "rules keep working on the device"
        );
        assert_eq!(t.take_changes().len(), 2);
    }
}

/// For random visits (pages, campaign links, events, identify, pauses, some long enough to start a new session,
/// reloads) over rules that read the page, the context, the channel, traits, counts, time windows and other
/// segments together: every call changes each segment and the journey's stage at most once, the changes it
/// reports are exactly the difference between the memberships and stages before and after it, and a reload
/// announces nothing. A rule that saw one fact updated before another (a new page before its page view was
/// counted, a new context before its channel, traits before the context after a reload) left and re-entered, or
/// entered and left, within one call. (Rules on `event.*` are left out: they hold for the event being processed,
/// and a reload, which processes none, ends them as the next event would.)
// proptest is a native-only dev-dependency (the crate's tests also build for wasm32).
#[cfg(all(test, feature = "segments", not(target_arch = "wasm32")))]
mod audience_properties {
    use super::audience_tests::page;
    use super::*;
    use crate::core::audience::Audience;
    use crate::core::segments::Change;
    use crate::core::time::{HOUR, MINUTE};
    use proptest::prelude::*;

    const CONFIG: &str = r#"{"segments": {
        "early-pricing": "page.path == \"/pricing\" && count(\"Page Viewed\") < 3",
        "odd-newsletter": "channel.last == \"direct\" && context.campaign.source == \"newsletter\"",
        "pro-in-french": "context.locale == \"fr\" && traits.plan == \"pro\"",
        "pro-on-pricing": "page.path == \"/pricing\" && traits.plan == \"pro\"",
        "email-buyer": "count(\"Order Completed\") >= 1 && channel.last == \"email\"",
        "new-pro": "traits.plan == \"pro\" && count(\"Identify\") < 2",
        "either": "in_segment(\"new-pro\") != in_segment(\"early-pricing\")",
        "busy-hour": "count(\"Page Viewed\", within: 1h) >= 2 && page.path != \"/a\"",
        "recent-pro": "traits.plan == \"pro\" && time_since(last(\"Signed Up\")) < 30m"},
        "journeys": {"path": [
            {"stage": "looking", "rule": "page.path == \"/pricing\" && count(\"Page Viewed\") < 4"},
            {"stage": "keen", "rule": "traits.plan == \"pro\" && context.locale == \"fr\""},
            {"stage": "bought", "rule": "count(\"Order Completed\") >= 1 && channel.last != \"direct\""}]}}"#;

    #[derive(Debug, Clone)]
    enum Op {
        View(&'static str),
        Track(&'static str),
        Identify(&'static str),
        Pause(Millis),
        Reload,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            prop::sample::select(vec![
                "/",
                "/pricing",
                "/a",
                "/?utm_source=newsletter&utm_medium=email"
            ])
            .prop_map(Op::View),
            prop::sample::select(vec!["Order Completed", "Signed Up"]).prop_map(Op::Track),
            prop::sample::select(vec!["pro", "free"]).prop_map(Op::Identify),
            prop::sample::select(vec![MINUTE, 20 * MINUTE, 2 * HOUR]).prop_map(Op::Pause),
            Just(Op::Reload),
        ]
    }

    /// A page load of `path`.
    fn opened(profile: Option<&str>, path: &str) -> Tracker {
        let env = Environment {
            locale: "fr".into(),
            ..Environment::default()
        };
        Tracker::new(TrackerOptions::new("wk"), profile, env, page(path), [7; 32])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn each_call_reports_exactly_the_memberships_it_changed(ops in prop::collection::vec(op(), 1..40)) {
            let config = json::parse(CONFIG).unwrap();
            let mut t = opened(None, "/");
            let mut path = "/";
            t.set_audience(Audience::boxed(&config).unwrap(), None, 0);
            t.take_changes();
            let mut now = 1_000;
            for op in &ops {
                let before: Vec<String> = t.segments().iter().map(|s| s.to_string()).collect();
                let stage_before = t.stage("path").map(str::to_string);
                now += 1_000;
                match op {
                    Op::View(to) => {
                        path = to;
                        t.page_view(page(to), None, None, now);
                    }
                    Op::Track(name) => { t.track(name, None, now); }
                    Op::Identify(plan) => {
                        t.identify(None, Some(&["{\"plan\":\"", plan, "\"}"].concat()), now);
                    }
                    Op::Pause(ms) => { now += ms; t.advance(now); }
                    Op::Reload => {
                        let state = t.seg.audience.as_ref().map(|a| a.state_text()).unwrap_or_default();
                        let profile = t.profile().to_json();
                        // The same page, loaded again.
                        t = opened(Some(&profile), path);
                        t.set_audience(Audience::boxed(&config).unwrap(), Some(&state), now);
                    }
                }
                let after: Vec<String> = t.segments().iter().map(|s| s.to_string()).collect();
                let stage_after = t.stage("path").map(str::to_string);
                let changes = t.take_changes();
                let stages: Vec<_> = changes.iter().filter_map(|c| match c {
                    Change::Stage { from, to, .. } => Some((from.clone(), to.clone())),
                    _ => None,
                }).collect();
                if stage_before == stage_after {
                    prop_assert!(stages.is_empty(), "{op:?} changed the stage and back: {changes:?}");
                } else {
                    prop_assert_eq!(&stages, &vec![(stage_before.clone(), stage_after.clone())], "{:?}: {:?}", op, changes);
                }
                let mut changed: Vec<&str> = Vec::new();
                for c in &changes {
                    let (Change::SegmentEnter { segment, .. } | Change::SegmentExit { segment, .. }) = c else {
                        continue;
                    };
                    prop_assert!(!changed.contains(&segment.as_str()), "{op:?} changed {segment} twice: {changes:?}");
                    changed.push(segment);
                }
                let mut differ: Vec<&str> = before.iter().filter(|s| !after.contains(s))
                    .chain(after.iter().filter(|s| !before.contains(s))).map(String::as_str).collect();
                differ.sort_unstable();
                changed.sort_unstable();
                prop_assert_eq!(&changed, &differ, "{:?}: {:?} -> {:?}, reported {:?}", op, before, after, changes);
                if matches!(op, Op::Reload) {
                    prop_assert!(changes.is_empty(), "a reload announced {changes:?}");
                }
            }
        }
    }
}
