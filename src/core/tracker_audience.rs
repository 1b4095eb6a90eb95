//! The tracker's side of segments and journeys: feeding the engine, keeping events while a config loads, and
//! sending an event for every membership or stage change.
//!
//! Compiled with the `segments` feature only. Without it the same methods exist and do nothing, so the shipped
//! SDK carries none of this, nor the rule engine behind it, until the engine fits the size budget.

use super::*;
#[cfg(feature = "segments")]
use crate::core::url::clip_url;

#[cfg(feature = "segments")]
use crate::core::audience::{
    change_event, device_of, earliest, Audience, EarlyEvent, MAX_EARLY_EVENTS,
};
#[cfg(feature = "segments")]
use crate::core::campaigns::{events as outcome_events, Decision, Outcome, Signal};
#[cfg(feature = "segments")]
use crate::core::json::Value;
#[cfg(feature = "segments")]
use crate::core::segments::Change;

/// What the tracker keeps for segments and journeys.
#[cfg(feature = "segments")]
#[derive(Default)]
pub struct Slot {
    /// Segments and journeys, once a config is loaded.
    pub audience: Option<Box<Audience>>,
    /// Events recorded while a config is loading, fed to the audience once it is built.
    pub early: Option<Vec<EarlyEvent>>,
    /// Membership and stage changes since the last [`Tracker::take_changes`].
    pub changes: Vec<Change>,
    /// How many of `changes` were already sent as events.
    pub reported: usize,
    /// Campaign decisions for the page (show a prompt, log in debug mode) since the last
    /// [`Tracker::take_decisions`].
    pub decisions: Vec<Decision>,
    /// The idle time last reported to the campaigns (0: active).
    pub idle_reported: Millis,
    /// Set while `track`, `page` or `identify` runs: traits or a context that change before their event are held
    /// for the event rather than shown to the rules alone (see [`Tracker::hold_context`]).
    pub hold: bool,
    /// The context and channel held for the coming event.
    pub held: Option<(Value, Value)>,
    /// The messages' context changed without an event: the rules see it with the next one.
    pub context_later: bool,
    /// The traits held for the coming event (an identify's).
    pub held_traits: Option<Map>,
    /// Changes are not reported and decisions not acted on (see [`Tracker::adopt_fresh_audience`]).
    pub quiet: bool,
    /// How long after the instant a rule changes with time alone this tab re-checks it (see
    /// [`Tracker::set_time_change_delay`]).
    pub time_change_delay: Millis,
    /// The page is hidden: campaigns ready meanwhile wait until it is visible.
    pub hidden: bool,
}

/// Outcome and held-out events re-enter the engine (rules may count them); decisions they cause are handled in at
/// most this many rounds, so a config whose campaigns trigger each other cannot loop.
#[cfg(feature = "segments")]
const MAX_DECISION_ROUNDS: usize = 4;

#[cfg(feature = "segments")]
impl Tracker {
    pub(super) fn audience_wants_context(&self) -> bool {
        self.seg.audience.is_some()
    }

    /// The context changed (page, session, attribution): rules that read it are re-checked.
    pub(super) fn audience_context(&mut self, context_json: &str, now: Millis) {
        self.seg.context_later = false;
        let Ok(v) = json::parse(context_json) else {
            return;
        };
        if self.seg.hold {
            self.seg.held = Some((v, channel_value(&self.profile)));
            return;
        }
        if let Some(a) = &mut self.seg.audience {
            let mut changes = a.set_context_and_channel(v, channel_value(&self.profile), now);
            self.seg.changes.append(&mut changes);
            self.report_changes(now);
        }
    }

    /// From here until the event is fed, a change of context (a new page, a new session) waits for the event, so
    /// that the rules see the two as one change. Every caller ends with [`Tracker::release_context`]. A context
    /// left for the next event ([`Tracker::set_page`]) is the first such change.
    pub(super) fn hold_context(&mut self) {
        self.seg.hold = true;
        if self.seg.context_later {
            let text = self.queue.context().to_owned();
            self.audience_context(&text, self.clock);
        }
    }

    /// The messages' context changed without an event (see [`Tracker::set_page`]): the rules see it with the next
    /// one.
    pub(super) fn context_for_next_event(&mut self) {
        self.seg.context_later = self.seg.audience.is_some();
    }

    /// Ends [`Tracker::hold_context`]: traits or a context still held (no event was fed after all) reach the
    /// rules now, together.
    pub(super) fn release_context(&mut self, now: Millis) {
        self.seg.hold = false;
        let (traits, context) = (self.seg.held_traits.take(), self.seg.held.take());
        if traits.is_none() && context.is_none() {
            return;
        }
        if let Some(a) = &mut self.seg.audience {
            let traits = traits.unwrap_or_else(|| self.profile.traits.clone());
            let mut changes = a.set_facts(traits, &self.profile.anonymous_id, context, now);
            self.seg.changes.append(&mut changes);
            self.report_changes(now);
        }
    }

    /// Ends [`Tracker::hold_context`] with the state another tab stored: the traits or context held reach the
    /// rules together with it ([`Audience::absorb_stored`]), which announces only what neither tab announced.
    /// Without a state, as [`Tracker::release_context`].
    pub(super) fn release_context_with(&mut self, state: Option<&str>, now: Millis) {
        let Some(state) = state else {
            return self.release_context(now);
        };
        self.seg.hold = false;
        let (traits, context) = (self.seg.held_traits.take(), self.seg.held.take());
        let facts = (traits, context, Some(self.profile.anonymous_id.as_str()));
        let Some((changes, heard)) = self
            .seg
            .audience
            .as_mut()
            .map(|a| a.absorb_stored(state, facts, now))
        else {
            return;
        };
        self.report_absorbed(changes, heard, now);
    }

    /// Reports what taking in another tab's state changed; what that tab reported already (`heard`) is given to
    /// this page's listeners only, as no event and to no campaign.
    fn report_absorbed(&mut self, mut changes: Vec<Change>, mut heard: Vec<Change>, now: Millis) {
        self.seg.changes.append(&mut changes);
        self.report_changes(now);
        self.seg.changes.append(&mut heard);
        self.seg.reported = self.seg.changes.len();
    }

    /// A page view, with the page's path, search, URL, title, referrer, category and name for rules that filter on
    /// them.
    pub(super) fn audience_page(
        &mut self,
        mut page_props: Map,
        category: Option<&str>,
        name: Option<&str>,
        now: Millis,
    ) {
        if self.seg.audience.is_none() && self.seg.early.is_none() {
            return;
        }
        // The properties the stored page message has (`wayline replay` reads those), cut as it cuts them, the
        // caller's first.
        let url = self.page.parsed_url();
        for &(k, v) in &[
            ("path", Some(clip_url(url.path, MAX_CONTEXT_TEXT))),
            ("search", Some(clip_url(url.search, MAX_CONTEXT_TEXT))),
            (
                "url",
                Some(clip_url(self.page.sent_url(), MAX_CONTEXT_TEXT)),
            ),
            ("title", Some(self.page.title.as_str())),
            (
                "referrer",
                Some(clip_url(&self.page.referrer, MAX_CONTEXT_TEXT)),
            ),
            ("category", category),
            ("name", name),
        ] {
            if let Some(v) = v {
                if page_props.get(k).is_none() {
                    page_props.insert(k, clip(v, MAX_CONTEXT_TEXT).into());
                }
            }
        }
        self.feed(Kind::Page, PAGE_VIEWED, &page_props, now);
    }

    /// The traits changed (identify).
    pub(super) fn audience_traits(&mut self, now: Millis) {
        if self.seg.hold {
            self.seg.held_traits = Some(self.profile.traits.clone());
            return;
        }
        if let Some(a) = &mut self.seg.audience {
            let mut changes = a.set_traits(self.profile.traits.clone(), now);
            self.seg.changes.append(&mut changes);
            self.report_changes(now);
        }
    }

    /// Installs segments and journeys (built from a config by [`crate::core::audience::Audience::boxed`]),
    /// restoring the state an earlier page stored when readable (a prompt open when that page was left is not on
    /// screen any more) and feeding the events recorded while the config was loading.
    pub fn set_audience(
        &mut self,
        audience: Box<Audience>,
        stored_state: Option<&str>,
        now: Millis,
    ) {
        self.install_with_state(audience, stored_state, false, now);
    }

    /// [`Tracker::set_audience`]; `in_page`: the state is the replaced audience's, in this page.
    fn install_with_state(
        &mut self,
        mut audience: Box<Audience>,
        stored_state: Option<&str>,
        in_page: bool,
        now: Millis,
    ) {
        self.clock = now;
        let early = self.seg.early.take().unwrap_or_default();
        if let Some(state) = stored_state {
            if !audience.restore_state(state, in_page) {
                self.warn(
                    "segment_state_discarded",
                    "stored segment state was unreadable; segments start afresh".into(),
                );
            }
        }
        // The events kept meanwhile count at the times they happened, each in the session it was recorded in
        // (the config may come long after them, when it could not be fetched at first): the audience starts at
        // the first of them, and time then passes to now, ending the windows they left.
        let start = early.first().map_or(now, |e| e.at.min(now));
        self.install_audience(audience, start);
        for e in &early {
            self.seg.held_traits = e.traits.clone();
            self.feed_quiet(e.kind, &e.name, &e.properties, e.session_id, e.at);
            self.act_on_decisions(e.at);
        }
        if start < now {
            self.advance(now);
        }
    }

    /// A changed config replaces the running one: memberships, stages, caps and delays carry over (as they
    /// would across a reload), so nothing is re-announced that did not change, and so does the open prompt,
    /// which is still on the page (unlike across a reload). The state carried is written again: it may hold a
    /// change not written yet.
    pub fn replace_audience(&mut self, mut audience: Box<Audience>, now: Millis) {
        let old = self.seg.audience.take();
        let state = old.as_ref().map(|a| a.state_text());
        if let Some(old) = &old {
            audience.continue_from(old);
        }
        self.install_with_state(audience, state.as_deref(), true, now);
        if let Some(a) = &mut self.seg.audience {
            a.mark_state_dirty();
            // What the old audience added since the state was last stored is not written yet: the next merge with
            // another tab's state still adds it.
            if let Some(old) = &old {
                a.keep_base(old);
            }
        }
    }

    /// Whether segments and journeys are live (a config is loaded).
    pub fn has_audience(&self) -> bool {
        self.seg.audience.is_some()
    }

    /// Stops segments, journeys and campaigns (consent withdrawn where they need it: `personalizeWithoutConsent:
    /// false`) and returns a fresh audience of the same config, to install once consent is given again. Nothing is
    /// announced. With `keep_events`, events are kept for it (bounded), as while a config loads.
    pub fn suspend_audience(&mut self, keep_events: bool) -> Option<Box<Audience>> {
        let old = self.seg.audience.take()?;
        self.seg.changes.clear();
        self.seg.reported = 0;
        self.seg.decisions.clear();
        self.seg.early = keep_events.then(Vec::new);
        old.fresh()
    }

    /// The config could not be used: stop keeping events for it.
    pub fn no_config(&mut self) {
        self.seg.early = None;
    }

    /// A config will be loaded: keep the events until then.
    pub fn expect_config(&mut self) {
        if self.seg.audience.is_none() && self.seg.early.is_none() {
            self.seg.early = Some(Vec::new());
        }
    }

    fn install_audience(&mut self, mut audience: Box<Audience>, now: Millis) {
        audience.set_device(Some(device_of(&self.env)));
        if self.seg.hidden {
            audience.set_hidden(true, now);
        }
        self.seg.audience = Some(audience);
        // Traits, identity, context and channel reach the rules in one step (see `Engine::set_facts`): the
        // context is held as for an event, and released with the traits.
        self.hold_context();
        self.rebuild_context();
        self.seg.held_traits = Some(self.profile.traits.clone());
        self.release_context(now);
    }

    /// A new visitor on this device (logout, consent denied): segments and journeys start from nothing. The
    /// new visitor's memberships are sent as theirs; the page hears what changed in its view (the former
    /// visitor's memberships and stages left, the new visitor's entered).
    pub(super) fn fresh_audience(&mut self, now: Millis) {
        self.seg.changes.clear();
        self.seg.reported = 0;
        self.seg.decisions.clear();
        // Events kept for a config still loading are the former visitor's.
        if let Some(early) = &mut self.seg.early {
            early.clear();
        }
        let Some(old) = self.seg.audience.take() else {
            return;
        };
        if let Some(a) = old.fresh() {
            self.install_audience(a, now);
            if let Some(a) = &self.seg.audience {
                self.seg.changes = a.changes_from(&old, now);
            }
            self.seg.reported = self.seg.changes.len();
        }
    }

    /// Feeds an event to the audience, or keeps it while a config is loading.
    pub(super) fn feed(&mut self, kind: Kind, name: &str, properties: &Map, now: Millis) {
        let session = self.profile.sessions.id();
        if self.seg.audience.is_some() {
            self.feed_quiet(kind, name, properties, session, now);
            self.act_on_decisions(now);
        } else if let Some(early) = &mut self.seg.early {
            if early.len() < MAX_EARLY_EVENTS {
                early.push(EarlyEvent {
                    kind,
                    name: name.to_string(),
                    properties: properties.clone(),
                    session_id: session,
                    at: now,
                    traits: (kind == Kind::Identify).then(|| self.profile.traits.clone()),
                });
            }
        }
    }

    /// Another tab's new visitor (it reset, or identified someone else, after this tab did): segments and
    /// journeys start from nothing, quietly (the other tab announced what a visitor with nothing counted yet
    /// enters, on the same facts, and its campaigns decided on it), then take in the state it stored (`state`).
    pub(super) fn adopt_fresh_audience(&mut self, state: Option<&str>, now: Millis) {
        self.seg.quiet = true;
        self.fresh_audience(now);
        self.seg.quiet = false;
        if let Some(state) = state {
            self.adopt_stored_state(state, now);
        }
    }

    /// Sends an event for each new membership or stage change (not fed back to the engine), then acts on the
    /// campaigns' decisions.
    fn report_changes(&mut self, now: Millis) {
        if self.seg.quiet {
            if let Some(a) = &mut self.seg.audience {
                a.take_decisions();
            }
            self.seg.reported = self.seg.changes.len();
            return;
        }
        self.report_membership(now);
        self.act_on_decisions(now);
    }

    /// A shown campaign is recorded as `Campaign Shown`, a held-out one as `Campaign Held Out`; every decision
    /// is kept for the page (to render the prompt, or log it in debug mode). The show of a prompt the page renders
    /// (a survey or a reward) is recorded once the page has built it ([`Tracker::prompt_built`]): `Campaign Shown`
    /// means the visitor saw it. A custom action is shown when the host is handed it, with the decision.
    fn act_on_decisions(&mut self, now: Millis) {
        for _ in 0..MAX_DECISION_ROUNDS {
            let mut decisions = match &mut self.seg.audience {
                Some(a) => a.take_decisions(),
                None => return,
            };
            if decisions.is_empty() {
                return;
            }
            for d in &decisions {
                let name = match d {
                    Decision::Show { campaign } if !self.is_custom(campaign) => continue,
                    Decision::Show { .. } => outcome_events::SHOWN,
                    Decision::HeldOut { .. } => outcome_events::HELD_OUT,
                    _ => continue,
                };
                let mut props = Map::new();
                props.insert(outcome_events::CAMPAIGN, d.campaign().into());
                self.record(name, props, now);
            }
            self.seg.decisions.append(&mut decisions);
        }
    }

    /// Queues an SDK-made event and feeds it to the engine like a tracked one.
    fn record(&mut self, name: &str, props: Map, now: Millis) {
        let props = Value::Object(props);
        self.enqueue_track(name, &props, now);
        if let Value::Object(props) = &props {
            let session = self.profile.sessions.id();
            self.feed_quiet(Kind::Track, name, props, session, now);
        }
    }

    /// Feeds an event of `session` without acting on decisions (the caller's loop does).
    fn feed_quiet(
        &mut self,
        kind: Kind,
        name: &str,
        properties: &Map,
        session: Option<Millis>,
        now: Millis,
    ) {
        self.seg.hold = false;
        let held = (self.seg.held_traits.take(), self.seg.held.take());
        if let Some(a) = &mut self.seg.audience {
            let mut changes = a.ingest_in_context(kind, name, properties, session, held, now);
            self.seg.changes.append(&mut changes);
            self.report_membership(now);
        }
    }

    /// A page signal for the campaigns: exit intent, scroll depth, idle time, engaged time.
    pub fn campaign_signal(&mut self, signal: &Signal<'_>, now: Millis) {
        self.clock = now;
        self.catch_up(now);
        if let Some(a) = &mut self.seg.audience {
            a.signal(signal, now);
            self.act_on_decisions(now);
        }
    }

    /// `outcome()` from a host that renders a campaign itself: as [`Tracker::campaign_outcome`], but an outcome
    /// other than `shown` counts only for the prompt open in this page (shown here and not closed since: by a
    /// closing outcome, the page left, a new session, 30 minutes open), so an
    /// outcome for a campaign never shown, or a repeat after its prompt closed, is not recorded twice. False when
    /// it was ignored for that reason (a campaign not in the config has its warning).
    pub fn host_outcome(
        &mut self,
        campaign: &str,
        outcome: Outcome,
        props: Map,
        now: Millis,
    ) -> bool {
        let open = self
            .seg
            .audience
            .as_ref()
            .is_some_and(|a| a.is_open(campaign));
        if outcome != Outcome::Shown && !open && self.campaign_action(campaign).is_some() {
            return false;
        }
        self.campaign_outcome(campaign, outcome, props, now);
        true
    }

    /// What the visitor (or, headless, the host's own UI) did with a campaign's prompt: the engine is told, and
    /// the outcome event is recorded with `campaign` and the given properties (`question` and `answer` for an
    /// answer). A claimed reward is what its prompt was for: it completes it too (which closes it, so it no longer
    /// blocks other prompts, even if the visitor keeps it on screen to read the code). False, with a warning, for
    /// a campaign not in the config.
    pub fn campaign_outcome(
        &mut self,
        campaign: &str,
        outcome: Outcome,
        mut props: Map,
        now: Millis,
    ) -> bool {
        self.clock = now;
        let known = self
            .seg
            .audience
            .as_ref()
            .is_some_and(|a| a.campaign_action(campaign).is_some());
        if !known {
            self.warn(
                "unknown_campaign",
                [
                    "no campaign \"",
                    campaign,
                    "\" in the config; the outcome was ignored",
                ]
                .concat(),
            );
            return false;
        }
        if let Some(a) = &mut self.seg.audience {
            // `shown` for the prompt on screen changes nothing: its show was recorded when it was chosen.
            if outcome == Outcome::Shown && a.is_open(campaign) {
                return true;
            }
            a.signal(&Signal::Outcome { campaign, outcome }, now);
        }
        props.insert(outcome_events::CAMPAIGN, campaign.into());
        self.record(outcome_events::event_name(outcome), props, now);
        self.act_on_decisions(now);
        if outcome == Outcome::RewardClaimed {
            self.campaign_outcome(campaign, Outcome::Completed, Map::new(), now);
        }
        true
    }

    /// Whether the campaign's action is `custom`: the host renders it.
    pub fn is_custom(&self, campaign: &str) -> bool {
        self.campaign_action(campaign)
            .and_then(|a| a.get("type"))
            .and_then(Value::as_str)
            == Some("custom")
    }

    /// The page built the prompt of a `show` decision (`built`): its show is recorded (`Campaign Shown`, fed to
    /// the rules like any outcome). Or it never reached the screen (the page could not build it, or a later change
    /// replaced it first: a `reset`, a change of consent): its show is taken back
    /// ([`crate::core::campaigns::Engine::unshow`]), and nothing is recorded.
    pub fn prompt_built(&mut self, campaign: &str, built: bool, now: Millis) {
        self.clock = now;
        if built {
            let mut props = Map::new();
            props.insert(outcome_events::CAMPAIGN, campaign.into());
            self.record(outcome_events::SHOWN, props, now);
            self.act_on_decisions(now);
        } else if let Some(a) = &mut self.seg.audience {
            a.unshow(campaign);
        }
    }

    /// The page removed the prompt of `campaign` from the document (it replaced its `body`, say): it is closed, as
    /// a prompt left with its page is (see [`crate::core::campaigns::Engine::close`]), so it blocks no other prompt.
    pub fn prompt_removed(&mut self, campaign: &str) {
        if let Some(a) = &mut self.seg.audience {
            a.close(campaign);
        }
    }

    /// The campaign whose prompt is open (see [`Audience::open_campaign`]): the one a `reset` or a change of
    /// consent closes.
    pub fn open_campaign(&self) -> Option<String> {
        Some(self.seg.audience.as_ref()?.open_campaign()?.to_string())
    }

    /// Campaign decisions since the last call, for the page.
    pub fn take_decisions(&mut self) -> Vec<Decision> {
        std::mem::take(&mut self.seg.decisions)
    }

    /// `explain(id)` for the page: `None` for an unknown campaign or without a config. As of `now`, changing
    /// nothing (see [`crate::core::campaigns::Engine::explain`]).
    pub fn explain(&mut self, campaign: &str, now: Millis) -> Option<Value> {
        self.seg.audience.as_mut()?.explain(campaign, now)
    }

    pub fn campaign_action(&self, campaign: &str) -> Option<&Value> {
        self.seg.audience.as_ref()?.campaign_action(campaign)
    }

    /// The loaded config (prompts read their theme and strings from it).
    pub fn config(&self) -> Option<&Value> {
        self.seg.audience.as_ref().map(|a| a.config())
    }

    fn report_membership(&mut self, now: Millis) {
        let from = self.seg.reported;
        let end = self.seg.changes.len();
        self.seg.reported = end;
        if !self.consent.may_record() {
            return;
        }
        // By index, not a copy of the new changes: enqueueing does not touch them.
        for i in from..end {
            let Some(change) = self.seg.changes.get(i) else {
                break;
            };
            let (name, props) = change_event(change);
            let at = change.at().min(now);
            self.enqueue_track(name, &Value::Object(props), at);
        }
    }

    /// Lets time pass for rules that change with time alone (the web layer calls this at [`Tracker::next_wakeup`]).
    pub fn advance(&mut self, now: Millis) {
        self.clock = now;
        self.engagement.clock_set_back(now);
        self.pass_time(now);
        if self.idle_wakeup().is_some_and(|at| at <= now) {
            if let Some(idle) = self.engagement.idle_ms(now) {
                self.seg.idle_reported = idle;
                self.campaign_signal(&Signal::Idle { ms: idle }, now);
            }
        }
    }

    /// Brings rules and campaign delays due by `now` up to date before the page's next input is decided on: the
    /// timer that does this ([`Tracker::advance`]) may fire late (a throttled background tab, a busy page), and a
    /// segment window that ended before an event must be out of the facts its campaigns are checked against, its
    /// exit reported before the event. (Idleness is not caught up: an input ends it, so an idle campaign does not
    /// show as the visitor comes back.)
    pub(super) fn catch_up(&mut self, now: Millis) {
        let due = self
            .seg
            .audience
            .as_ref()
            .and_then(|a| a.next_wakeup(self.seg.time_change_delay));
        if due.is_some_and(|at| at <= now) {
            self.pass_time(now);
        }
    }

    /// What time passing to `now` does, for the timer ([`Tracker::advance`]) and before an input
    /// ([`Tracker::catch_up`]): a session that timed out meanwhile ends first, with the delays it started; then rules
    /// and campaign delays due by then, their changes reported.
    fn pass_time(&mut self, now: Millis) {
        self.end_idle_session(now);
        if let Some(a) = &mut self.seg.audience {
            let mut changes = a.advance(now, self.seg.time_change_delay);
            self.seg.changes.append(&mut changes);
            self.report_changes(now);
        }
    }

    /// When a rule could next change with time alone, or the visitor becomes idle long enough for a campaign.
    pub fn next_wakeup(&self) -> Option<Millis> {
        let rules = self
            .seg
            .audience
            .as_ref()
            .and_then(|a| a.next_wakeup(self.seg.time_change_delay));
        earliest(rules, self.idle_wakeup())
    }

    /// Re-checks rules that change with time alone `delay` ms after the instant they change, rather than at it
    /// (an event still re-checks them at once). Every open tab of the visitor reaches that instant together: a
    /// tab in the background waits, so that the change reaches it in the state the visible tab (or the sending
    /// tab) stores when it reports it, and it is reported once.
    pub fn set_time_change_delay(&mut self, delay: Millis) {
        self.seg.time_change_delay = delay;
    }

    /// The instant the visitor's idleness crosses the next idle threshold of a campaign.
    fn idle_wakeup(&self) -> Option<Millis> {
        let since = self.engagement.last_active()?;
        let t = self
            .seg
            .audience
            .as_ref()?
            .next_idle_threshold(self.seg.idle_reported)?;
        Some(since.saturating_add(t))
    }

    /// Whether the page is hidden ([`Tracker::page_hidden`] since the last [`Tracker::page_shown`]).
    pub fn page_is_hidden(&self) -> bool {
        self.seg.hidden
    }

    /// The page is being left (`pagehide`), or is back from the back/forward cache: the campaign delays waiting
    /// are handed on to the next page of the tab, or taken up again (see
    /// [`crate::core::campaigns::Engine::set_leaving`]). Handed on only where they are stored.
    pub fn page_leaving(&mut self, leaving: bool) {
        let stored = self.consent.may_persist();
        if let Some(a) = &mut self.seg.audience {
            a.set_leaving(leaving && stored);
        }
    }

    /// The page was hidden, or is visible again: a campaign ready while it is hidden shows when it is visible
    /// (see [`crate::core::campaigns::Engine::set_hidden`]).
    pub(super) fn audience_visibility(&mut self, hidden: bool, now: Millis) {
        self.seg.hidden = hidden;
        self.end_idle_session(now);
        if let Some(a) = &mut self.seg.audience {
            a.set_hidden(hidden, now);
            self.act_on_decisions(now);
        }
    }

    /// Time alone ends a session (no event for the session timeout; the next event starts another): the
    /// campaign delays started before it and still waiting end with it (see [`Audience::session_ended`]).
    fn end_idle_session(&mut self, now: Millis) {
        if let (Some(a), Some(s)) = (&mut self.seg.audience, &self.profile.sessions.current) {
            let end = s.last_activity.saturating_add(self.options.idle_timeout);
            if end <= now {
                a.session_ended(end);
            }
        }
    }

    /// An interaction ends idleness.
    pub(super) fn audience_activity(&mut self, now: Millis) {
        if self.seg.idle_reported > 0 {
            self.seg.idle_reported = 0;
            self.campaign_signal(&Signal::Idle { ms: 0 }, now);
        }
    }

    pub(super) fn audience_scrolled(&mut self, percent: f64, now: Millis) {
        self.campaign_signal(&Signal::Scroll { percent }, now);
    }

    pub(super) fn audience_engaged(&mut self, total_ms: Millis, now: Millis) {
        self.campaign_signal(&Signal::Engaged { total_ms }, now);
    }

    /// Membership and stage changes since the last call, for the page's callbacks.
    pub fn take_changes(&mut self) -> Vec<Change> {
        self.seg.reported = 0;
        std::mem::take(&mut self.seg.changes)
    }

    pub fn segments(&self) -> Vec<&str> {
        match &self.seg.audience {
            Some(a) => a.segments(),
            None => Vec::new(),
        }
    }

    pub fn stage(&self, journey: &str) -> Option<&str> {
        self.seg.audience.as_ref().and_then(|a| a.stage(journey))
    }

    /// Whether the audience's persisted state changed since it was last taken.
    pub(super) fn audience_state_dirty(&self) -> bool {
        self.seg.audience.as_ref().is_some_and(|a| a.state_dirty())
    }

    /// The audience's persisted state if it changed since the last call.
    pub fn take_state_write(&mut self) -> Option<String> {
        if !self.consent.may_persist() {
            return None;
        }
        self.seg
            .audience
            .as_mut()
            .and_then(|a| a.take_state_write())
    }

    /// Another tab stored its segment and campaign state: its counts, campaign caps and histories are merged
    /// with this tab's ([`Audience::absorb_stored`]), else this tab's next write would drop them; a membership or
    /// stage change that neither tab reported is reported here.
    pub fn adopt_stored_state(&mut self, text: &str, now: Millis) {
        // Not under denied consent, whose visitor is not the stored one (as for the profile).
        if !self.consent().may_record() {
            return;
        }
        self.clock = now;
        if let Some((changes, heard)) = self
            .seg
            .audience
            .as_mut()
            .map(|a| a.absorb_stored(text, (None, None, None), now))
        {
            self.report_absorbed(changes, heard, now);
        }
    }

    /// Run-time rule problems, for debug mode.
    pub fn take_rule_diagnostics(&mut self) -> Vec<String> {
        match &mut self.seg.audience {
            Some(a) => a.take_diagnostics(),
            None => Vec::new(),
        }
    }
}

/// What `channel.first` / `channel.last` read in rules.
#[cfg(feature = "segments")]
fn channel_value(profile: &Profile) -> Value {
    let mut m = Map::new();
    let name = |t: &Option<Touch>| {
        t.as_ref()
            .map_or(Value::Null, |t| Value::from(t.channel.as_str()))
    };
    m.insert("first", name(&profile.attribution.first));
    m.insert("last", name(&profile.attribution.last));
    Value::Object(m)
}

/// Without the engine: every hook is a no-op, and nothing is ever a member of anything.
#[cfg(not(feature = "segments"))]
impl Tracker {
    pub(super) fn audience_wants_context(&self) -> bool {
        false
    }
    pub(super) fn audience_state_dirty(&self) -> bool {
        false
    }
    pub(super) fn audience_context(&mut self, _context_json: &str, _now: Millis) {}
    pub(super) fn hold_context(&mut self) {}
    pub(super) fn context_for_next_event(&mut self) {}
    pub(super) fn catch_up(&mut self, _now: Millis) {}
    pub(super) fn release_context(&mut self, _now: Millis) {}
    pub(super) fn release_context_with(&mut self, _state: Option<&str>, _now: Millis) {}
    pub(super) fn audience_page(
        &mut self,
        _page_props: Map,
        _category: Option<&str>,
        _name: Option<&str>,
        _now: Millis,
    ) {
    }
    pub(super) fn audience_traits(&mut self, _now: Millis) {}
    pub(super) fn fresh_audience(&mut self, _now: Millis) {}
    pub(super) fn adopt_fresh_audience(&mut self, _state: Option<&str>, _now: Millis) {}
    pub(super) fn audience_activity(&mut self, _now: Millis) {}
    pub(super) fn audience_visibility(&mut self, _hidden: bool, _now: Millis) {}
    pub fn page_leaving(&mut self, _leaving: bool) {}
    pub(super) fn audience_scrolled(&mut self, _percent: f64, _now: Millis) {}
    pub(super) fn audience_engaged(&mut self, _total_ms: Millis, _now: Millis) {}
    pub(super) fn feed(&mut self, _kind: Kind, _name: &str, _properties: &Map, _now: Millis) {}
    pub fn set_audience(
        &mut self,
        _audience: Box<crate::core::audience::Audience>,
        _stored_state: Option<&str>,
        _now: Millis,
    ) {
    }
    pub fn expect_config(&mut self) {}
    pub fn no_config(&mut self) {}
    pub fn advance(&mut self, _now: Millis) {}
    pub fn set_time_change_delay(&mut self, _delay: Millis) {}
    pub fn next_wakeup(&self) -> Option<Millis> {
        None
    }
    pub fn take_changes(&mut self) -> Vec<crate::core::segments::Change> {
        Vec::new()
    }
    pub fn segments(&self) -> Vec<&str> {
        Vec::new()
    }
    pub fn stage(&self, _journey: &str) -> Option<&str> {
        None
    }
    pub fn take_state_write(&mut self) -> Option<String> {
        None
    }
    pub fn adopt_stored_state(&mut self, _text: &str, _now: Millis) {}
    pub fn take_rule_diagnostics(&mut self) -> Vec<String> {
        Vec::new()
    }
    pub fn campaign_signal(&mut self, _signal: &crate::core::campaigns::Signal<'_>, _now: Millis) {}
    pub fn campaign_outcome(
        &mut self,
        _campaign: &str,
        _outcome: crate::core::campaigns::Outcome,
        _props: Map,
        _now: Millis,
    ) -> bool {
        false
    }
    pub fn take_decisions(&mut self) -> Vec<crate::core::campaigns::Decision> {
        Vec::new()
    }
    pub fn explain(&mut self, _campaign: &str, _now: Millis) -> Option<crate::core::json::Value> {
        None
    }
    pub fn campaign_action(&self, _campaign: &str) -> Option<&crate::core::json::Value> {
        None
    }
    pub fn config(&self) -> Option<&crate::core::json::Value> {
        None
    }
}
