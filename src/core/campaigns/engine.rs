//! The decision engine: signals and the clock in, decisions out.
//!
//! Pure: no timers, storage or DOM. The SDK calls [`Engine::handle`] for every signal, [`Engine::advance`] when
//! [`Engine::next_wakeup`] comes, persists [`Engine::to_value`] and restores it on the next load.

use super::check::{campaign_blockers, held_out, moment_blockers, push_moment_blockers, Context};
use super::config::{self, Campaigns, ConfigError};
use super::decision::Decision;
use super::explain::Explanation;
use super::limits::{clamp_time, MAX_OPEN_MS, MAX_PENDING};
use super::model::{Campaign, Device, GlobalLimits, Trigger};
use super::reason::Reason;
use super::signal::{Outcome, Signal};
use super::state::{position, Pending, State, StateError};
use super::trigger::{fires, same_trigger, Meters};
use crate::core::json::{self, Map, Value};
use crate::core::order;
use crate::core::rules::Input;

#[derive(Debug, Clone)]
pub struct Engine {
    campaigns: Vec<Campaign>,
    limits: GlobalLimits,
    state: State,
    ctx: Context,
    meters: Meters,
    /// By campaign position: the position of the campaign it last lost to, or [`NONE`] (since it last showed,
    /// or in this session). For `explain`; not persisted.
    outranked: Vec<usize>,
    /// The persisted state changed since the last [`Engine::take_state_write`].
    dirty: bool,
    /// The page is hidden: see [`Engine::set_hidden`].
    hidden: bool,
    /// The page is being left: see [`Engine::set_leaving`].
    leaving: bool,
    /// The last show while the page may still take it back ([`Engine::unshow`]): its campaign, its time and the
    /// last prompt's time before it. Until an outcome for it, the page's removal of it or a page load. Not persisted.
    last_show: Option<(usize, i64, Option<i64>)>,
}

impl Engine {
    // Pushed one by one: `vec![NONE; n]` links the standard library's element-cloning fill for this alone.
    #[allow(clippy::same_item_push)]
    pub fn new(campaigns: Campaigns) -> Engine {
        let mut outranked = Vec::new();
        for _ in 0..campaigns.campaigns.len() {
            outranked.push(NONE);
        }
        Engine {
            outranked,
            campaigns: campaigns.campaigns,
            limits: campaigns.limits,
            state: State::default(),
            ctx: Context::default(),
            meters: Meters::default(),
            dirty: false,
            hidden: false,
            leaving: false,
            last_show: None,
        }
    }

    /// Reads `campaigns` and `campaignLimits` from a config; every error with its location.
    pub fn from_config(config: &Value) -> Result<Engine, Vec<ConfigError>> {
        config::read(config).map(Engine::new)
    }

    pub fn campaigns(&self) -> &[Campaign] {
        &self.campaigns
    }

    pub fn campaign(&self, id: &str) -> Option<&Campaign> {
        self.campaigns.get(self.index(id)?)
    }

    pub fn set_device(&mut self, device: Option<Device>) {
        self.ctx.device = device;
    }

    /// Sets the current URL without it counting as a page signal (e.g. on restore).
    pub fn set_url(&mut self, url: Option<String>) {
        self.ctx.url = url;
    }

    /// The page was hidden, or is visible again. While it is hidden, a campaign ready to show waits as a delay
    /// does (until the page is visible; a cancel event or a new session cancels it), and delays that end wait
    /// too: a prompt shows where the visitor can see it, and `Campaign Shown` means it was seen. When the page is
    /// visible again, those that waited are checked again in full, as a delay's end is.
    pub fn set_hidden(
        &mut self,
        hidden: bool,
        facts: &dyn Input,
        now: i64,
        out: &mut Vec<Decision>,
    ) {
        self.hidden = hidden;
        self.advance_into(facts, now, out);
    }

    /// The page is being left (`true`: its `pagehide`), or is back (`false`: restored from the back/forward
    /// cache). A waiting delay is this page's until then: the state it writes holds none, so a page opened in
    /// another tab meanwhile starts none of them (it would show the prompt a second time). As the page is left
    /// its delays are handed on: the state it writes then holds them, for the next page of the tab to take up
    /// ([`Engine::restore`]; that page's next write takes them out again). A page that comes back has handed them
    /// on: it takes up those the stored state holds then ([`Engine::absorb`]), or with none taken in, has none.
    pub fn set_leaving(&mut self, leaving: bool) {
        if !leaving && self.leaving {
            self.state.pending.clear();
        }
        self.dirty |= leaving && !self.state.pending.is_empty();
        self.leaving = leaving;
    }

    /// Whether the state changed since [`Engine::take_state_write`] last gave it.
    pub fn state_dirty(&self) -> bool {
        self.dirty
    }

    /// When [`Engine::advance`] must next be called: the earliest pending delay, or an open prompt's expiry.
    pub fn next_wakeup(&self) -> Option<i64> {
        let mut next = self.state.open.as_ref().map(|(_, at)| at + MAX_OPEN_MS);
        // While the page is hidden, delays wait for it to be visible, not for a time.
        if !self.hidden {
            for p in &self.state.pending {
                next = Some(next.map_or(p.due, |n| n.min(p.due)));
            }
        }
        next
    }

    /// Ends the delays that are due (re-checking eligibility) and expires a prompt left open too long.
    pub fn advance(&mut self, facts: &dyn Input, now: i64) -> Vec<Decision> {
        let mut out = Vec::new();
        self.advance_into(facts, now, &mut out);
        out
    }

    /// [`Engine::advance`], adding its decisions to `out`.
    pub fn advance_into(&mut self, facts: &dyn Input, now: i64, out: &mut Vec<Decision>) {
        let now = clamp_time(now);
        self.clock_set_back(now);
        if let Some((_, at)) = &self.state.open {
            if now >= at + MAX_OPEN_MS {
                self.state.open = None;
                self.dirty = true;
            }
        }
        // In place rather than through vec::IntoIter (an instantiation per element type in wasm).
        let mut due = Vec::new();
        let mut k = 0;
        while k < self.state.pending.len() {
            if self.state.pending[k].due <= now && !self.hidden {
                due.push(self.state.take_pending(k));
                self.dirty = true;
            } else {
                k += 1;
            }
        }
        let mut candidates = Vec::new();
        for &i in &due {
            if self.eligible(i, facts, now, out) {
                candidates.push(i);
            }
        }
        self.select(candidates, facts, now, out);
    }

    /// Moves every remembered time after `now` back to `now`: the clock was set back since (or was ahead when it
    /// was recorded), and the time between counts as none. So a cooldown, a cap's period, the minimum gap and a
    /// waiting delay last at most their own length from here, never as long as the jump (which could be a year),
    /// and a capped campaign stays capped. See `docs/campaigns.md`, "When the clock jumps".
    fn clock_set_back(&mut self, now: i64) {
        let mut down = |t: &mut i64| {
            if *t > now {
                *t = now;
                self.dirty = true;
            }
        };
        for (_, h) in &mut self.state.history {
            for t in &mut h.shows {
                down(t);
            }
            if let Some(t) = &mut h.dismissed_at {
                down(t);
            }
        }
        if let Some(t) = &mut self.state.last_prompt_at {
            down(t);
        }
        if let Some((_, t)) = &mut self.state.open {
            down(t);
        }
        for p in &mut self.state.pending {
            if p.triggered_at > now {
                p.due = p.due - p.triggered_at + now;
            }
            down(&mut p.triggered_at);
        }
    }

    /// Handles one signal at `now`: due delays first, then the signal's own effects and the triggers it fires.
    pub fn handle(&mut self, signal: &Signal<'_>, facts: &dyn Input, now: i64) -> Vec<Decision> {
        let mut out = Vec::new();
        self.handle_into(signal, facts, now, &mut out);
        out
    }

    /// [`Engine::handle`], adding its decisions to `out`.
    pub fn handle_into(
        &mut self,
        signal: &Signal<'_>,
        facts: &dyn Input,
        now: i64,
        out: &mut Vec<Decision>,
    ) {
        let now = clamp_time(now);
        let before = out.len();
        self.handle_signal(signal, facts, now, out);
        if out.len() > before {
            self.dirty = true;
        }
    }

    /// The persisted state, when it changed since the last call: the SDK writes it then (coalesced), and
    /// never on a `track` that changed nothing. Waiting delays only as the page is left ([`Engine::set_leaving`]).
    pub fn take_state_write(&mut self) -> Option<String> {
        if !self.dirty {
            return None;
        }
        self.dirty = false;
        let mut out = String::new();
        self.state.write(&self.campaigns, self.leaving, &mut out);
        Some(out)
    }

    fn handle_signal(
        &mut self,
        signal: &Signal<'_>,
        facts: &dyn Input,
        now: i64,
        out: &mut Vec<Decision>,
    ) {
        // A new session first ends the old one's delays, so none of them shows in the new session.
        if let Signal::SessionStart { id } = *signal {
            if self.state.session == Some(id) {
                self.advance_into(facts, now, out);
                return;
            }
            self.new_session(id, out);
        }
        // The new page first: a delay due by now is checked against it (it shows where the visitor is), and the
        // open prompt closes if its campaign does not target it.
        if let Signal::Page { url } = *signal {
            self.page(url, out);
        }
        self.advance_into(facts, now, out);
        let before = Meters {
            engaged_ms: self.state.engaged_ms,
            ..self.meters
        };
        // The signal's own decisions start here (after those of the delays that were due).
        let start = out.len();
        match *signal {
            Signal::Outcome { campaign, outcome } => {
                self.outcome(campaign, outcome, now);
                return;
            }
            Signal::Page { .. } => {
                self.meters.scroll = 0.0;
                self.meters.idle_ms = 0;
            }
            Signal::Event { name, .. } => {
                let mut k = 0;
                while k < self.state.pending.len() {
                    let cancel = self.campaigns[self.state.pending[k].campaign]
                        .timing
                        .cancel_on
                        .iter()
                        .any(|e| e == name);
                    if cancel {
                        let i = self.state.take_pending(k);
                        out.push(Decision::Cancelled {
                            campaign: self.id(i),
                            by: name.to_string(),
                        });
                    } else {
                        k += 1;
                    }
                }
            }
            Signal::Idle { ms } => self.meters.idle_ms = ms,
            Signal::Scroll { percent } => self.meters.scroll = self.meters.scroll.max(percent),
            // Kept in the persisted state, so a reload does not cross a threshold a second time; written only
            // when a threshold is crossed (that is when it matters: below, where a trigger fires).
            Signal::Engaged { total_ms } => self.state.engaged_ms = total_ms,
            _ => {}
        }
        let mut candidates = Vec::new();
        for i in 0..self.campaigns.len() {
            let c = &self.campaigns[i];
            if !fires(&c.trigger, signal, &before, facts, now) {
                continue;
            }
            if let Signal::Engaged { .. } = signal {
                self.dirty = true;
            }
            // A trigger while the campaign's delay waits does not start another, even when its event cancelled
            // that delay just now.
            let cancelled = out[start..]
                .iter()
                .any(|d| matches!(d, Decision::Cancelled { campaign, .. } if *campaign == c.id));
            if self.state.pending(i).is_some() || cancelled || !self.eligible(i, facts, now, out) {
                continue;
            }
            let id = c.id.clone();
            let delay = c.timing.delay_ms;
            if delay == 0 && !self.hidden {
                candidates.push(i);
            } else if self.state.pending.len() >= MAX_PENDING {
                out.push(Decision::Skipped {
                    campaign: id,
                    reasons: vec![Reason::TooManyPending],
                });
            } else {
                self.state.pending.push(Pending {
                    campaign: i,
                    due: now + delay,
                    triggered_at: now,
                    session: self.state.session,
                });
                out.push(Decision::Delayed {
                    campaign: id,
                    due: now + delay,
                });
            }
        }
        self.select(candidates, facts, now, out);
    }

    /// The page's URL is `url`. When the visitor moved (an in-app navigation) to a page the open prompt's
    /// campaign does not target, the prompt closes, as it would with the page left: no outcome, no cooldown, its
    /// show still counts. (The same URL again closes nothing: the prompt was open on it already.)
    fn page(&mut self, url: &str, out: &mut Vec<Decision>) {
        let moved = self.ctx.url.as_deref() != Some(url);
        self.ctx.url = Some(url.to_string());
        if let Some((i, _)) = self.state.open.filter(|_| moved) {
            let a = &self.campaigns[i].audience;
            if a.url_excluded_by(url).is_some() || !a.includes_url(url) {
                self.state.open = None;
                self.dirty = true;
                out.push(Decision::Closed {
                    campaign: self.id(i),
                });
            }
        }
    }

    /// Why a campaign would or would not show if it triggered now.
    ///
    /// With a delay, triggering now would only start the delay: the reasons are what would stop it from
    /// starting (the campaign's own rules, the bound on waiting delays). The moment's rules (a prompt on screen,
    /// the minimum gap, a higher-ranked campaign ready at the same time) are checked when the delay ends, against
    /// that moment, so they are no reason now; a rival whose delay would end with this one's is told after them,
    /// for information. While the page is hidden, a campaign without a delay would wait for the page as a delay
    /// does, and is explained as one. A session-start campaign is explained as the new session would see it.
    ///
    /// As of `now`: the delays due by then end first (and a prompt open too long closes), as they would before a
    /// trigger, even if the timer has not fired yet. That work is undone before returning (the state it changes is
    /// put back as it was, so the engine is left as it was found): asking changes nothing, and the decisions of
    /// that work are left to [`Engine::advance`]. (In place rather than on a copy of the engine, whose code would
    /// cost the browser build more.)
    pub fn explain(&mut self, id: &str, facts: &dyn Input, now: i64) -> Option<Explanation> {
        let now = clamp_time(now);
        self.clock_set_back(now);
        if self.next_wakeup().is_none_or(|w| w > now) {
            return self.explain_as_is(id, facts, now);
        }
        let kept = (self.state.clone(), self.outranked.clone(), self.dirty);
        self.advance_into(facts, now, &mut Vec::new());
        let e = self.explain_as_is(id, facts, now);
        (self.state, self.outranked, self.dirty) = kept;
        e
    }

    /// [`Engine::explain`] with nothing due by `now`.
    fn explain_as_is(&self, id: &str, facts: &dyn Input, now: i64) -> Option<Explanation> {
        let i = self.index(id)?;
        let c = &self.campaigns[i];
        let delayed = c.timing.delay_ms > 0 || self.hidden;
        // A session-start campaign triggers with a new session, which closes the old one's prompt, cancels its
        // delays and resets its count before the campaign is checked.
        let fresh = matches!(c.trigger, Trigger::SessionStart);
        let mut reasons = self.blockers(i, facts, now, fresh);
        if !delayed {
            push_moment_blockers(
                &self.campaigns,
                if fresh { None } else { self.state.open },
                &self.state,
                &self.limits,
                now,
                &mut reasons,
            );
        } else if !fresh && self.state.pending(i).is_none() {
            // A delay already waiting is not started again. Another would be one too many if the trigger left
            // `MAX_PENDING` waiting before starting it: those waiting now but for those its event cancels, and
            // those of the campaigns before this one on the same trigger (an event trigger's filter aside).
            let url = self.ctx.url.as_deref();
            let mut waiting = 0;
            for p in &self.state.pending {
                let cancel_on = &self.campaigns[p.campaign].timing.cancel_on;
                let cancelled = match &c.trigger {
                    Trigger::Event { name, .. } => cancel_on.iter().any(|e| e == name),
                    _ => false,
                };
                waiting += usize::from(!cancelled);
            }
            for (j, o) in self.campaigns[..i].iter().enumerate() {
                let starts = (o.timing.delay_ms > 0 || self.hidden)
                    && same_trigger(&o.trigger, &c.trigger, url)
                    && self.state.pending(j).is_none()
                    && self.blockers(j, facts, now, false).is_empty();
                waiting += usize::from(starts);
            }
            if waiting >= MAX_PENDING {
                reasons.push(Reason::TooManyPending);
            }
        }
        let rival = self.rival(i, facts, now, fresh);
        if rival != NONE && !delayed {
            reasons.push(Reason::OutrankedBy {
                campaign: self.id(rival),
            });
        }
        let eligible = reasons.is_empty();
        let held = held_out(c, facts);
        if held {
            reasons.push(Reason::HeldOut { percent: c.holdout });
        }
        // For information: the rival whose delay would end with this one's, else the campaign that won the last
        // time this one was ready (in this session).
        let winner = if rival == NONE {
            self.outranked[i]
        } else if delayed {
            rival
        } else {
            NONE
        };
        if winner != NONE {
            reasons.push(Reason::OutrankedBy {
                campaign: self.id(winner),
            });
        }
        Some(Explanation {
            campaign: id.to_string(),
            eligible: eligible && !held,
            held_out: held,
            reasons,
            pending_until: self.state.pending(i).map(|p| p.due),
            page_hidden: self.hidden,
        })
    }

    /// The campaign that would win over the one at `i` if both triggered now: on the same trigger and delay (so
    /// ready at the same moment; for page triggers, both matching the current page), ranking higher, eligible now
    /// (in a new session, `fresh`, for session-start triggers), not already waiting (a waiting delay is not
    /// started again: it ends at another moment) and not one the visitor is held out of (that takes no slot).
    /// [`NONE`] when there is none.
    fn rival(&self, i: usize, facts: &dyn Input, now: i64, fresh: bool) -> usize {
        let c = &self.campaigns[i];
        for (j, o) in self.campaigns.iter().enumerate() {
            if j != i
                && (o.priority > c.priority || (o.priority == c.priority && j < i))
                && o.timing.delay_ms == c.timing.delay_ms
                && same_trigger(&o.trigger, &c.trigger, self.ctx.url.as_deref())
                && self.state.pending(j).is_none()
                && !held_out(o, facts)
                && self.blockers(j, facts, now, fresh).is_empty()
            {
                return j;
            }
        }
        NONE
    }

    /// The persisted state: caps, cooldowns, the session's count, pending delays.
    pub fn to_value(&self) -> Value {
        json::parse(&self.state_json()).unwrap_or(Value::Null)
    }

    /// The persisted state as JSON text (what the SDK stores; [`Engine::to_value`] is the same, parsed).
    pub fn state_json(&self) -> String {
        let mut out = String::new();
        self.state.write(&self.campaigns, true, &mut out);
        out
    }

    /// Restores the state an earlier page stored: a page load. On an error the engine keeps a fresh state.
    ///
    /// A prompt open when that page was left counts as closed, with no outcome (so no cooldown): prompts are
    /// rendered in the page, which the load removed, so it is not on screen and must not block the others until
    /// [`MAX_OPEN_MS`] has passed. Its show still counts (caps, the session's count, the minimum gap).
    pub fn restore(&mut self, v: &Value) -> Result<(), StateError> {
        self.restore_state(v, false)
    }

    /// [`Engine::restore`], or, `in_page`, the state of the engine this one replaces in the same page (a changed
    /// config): its open prompt is still on screen and stays open.
    pub fn restore_state(&mut self, v: &Value, in_page: bool) -> Result<(), StateError> {
        self.state = State::from_value(v, &self.campaigns)?;
        if !in_page {
            self.state.open = None;
            self.last_show = None;
        }
        // Delays handed on by the page left are this page's now: the next write takes them out of storage.
        self.dirty = !self.state.pending.is_empty();
        Ok(())
    }

    /// Takes over from the engine of the config this one replaces in the same page ([`Engine::restore_state`]
    /// carries its state): the last show can still be taken back, its prompt perhaps not built yet. Unless its
    /// campaign is not in this config (its history was not carried either).
    pub fn continue_from(&mut self, old: &Engine) {
        self.last_show = old
            .last_show
            .and_then(|(i, at, before)| Some((self.index(&old.campaigns.get(i)?.id)?, at, before)));
    }

    /// Takes in the campaign state another tab stored (read against this engine's campaigns, as
    /// [`Engine::restore`] reads it; an unreadable one is ignored): see [`State::absorb`]. The state is to be
    /// written only when it holds something the other tab's lacks, so the other tab learns it and the two stop
    /// there. Decisions already pending are not re-checked against caps taken in.
    ///
    /// A later session taken in ends this tab's, as a session started here does: its delays are cancelled
    /// (decisions added to `out`), its prompt count is the other tab's.
    pub fn absorb(&mut self, v: &Value, out: &mut Vec<Decision>) {
        if let Ok(theirs) = State::from_value(v, &self.campaigns) {
            let (ours, mut dirty) = (self.state.session, self.dirty);
            let beyond = self.state.absorb(&theirs);
            // Back after being left: the delays are those the later page handed back (see `set_leaving`), and
            // the next write takes them out of storage.
            if self.leaving {
                self.leaving = false;
                dirty |= !theirs.pending.is_empty();
                self.state.pending = theirs.pending;
            }
            if let (Some(_), Some(id)) = (ours, self.state.session.filter(|&s| Some(s) != ours)) {
                let prompts = self.state.session_prompts;
                self.new_session(id, out);
                self.state.session_prompts = prompts;
            }
            self.dirty = dirty | beyond;
            let mut foreign = Map::new();
            if let Some(c) = v.get("c").and_then(Value::as_object) {
                for (id, h) in c.iter() {
                    if position(&self.campaigns, id).is_none() {
                        foreign.insert(id, h.clone());
                    }
                }
            }
            self.state.foreign = foreign;
        }
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    fn index(&self, id: &str) -> Option<usize> {
        position(&self.campaigns, id)
    }

    /// The id of the campaign at position `i`, for a decision or a reason.
    fn id(&self, i: usize) -> String {
        self.campaigns[i].id.clone()
    }

    /// What stops the campaign at `i` now; with `fresh`, as a new session would see it: no prompt in it yet, so of
    /// the limit per session only a limit of 0 binds.
    fn blockers(&self, i: usize, facts: &dyn Input, now: i64, fresh: bool) -> Vec<Reason> {
        let mut limits = self.limits;
        if fresh {
            limits.per_session = limits.per_session.filter(|&l| l == 0);
        }
        campaign_blockers(
            &self.campaigns,
            i,
            &self.state,
            &limits,
            &self.ctx,
            facts,
            now,
        )
    }

    /// Whether nothing tied to the campaign at `i` blocks it now; if something does, a decision says what.
    fn eligible(&self, i: usize, facts: &dyn Input, now: i64, out: &mut Vec<Decision>) -> bool {
        let reasons = self.blockers(i, facts, now, false);
        let eligible = reasons.is_empty();
        if !eligible {
            out.push(Decision::Skipped {
                campaign: self.id(i),
                reasons,
            });
        }
        eligible
    }

    /// The session has ended at `end` (no event for the session timeout): the delays started before then and still
    /// waiting are cancelled (`session`), as the next session would cancel them, so none shows to a visitor who has
    /// gone. (A delay that ended in time showed then; one still here ends later, or waited for a hidden page.) One
    /// the visitor's activity started since (a scroll, an exit intent) is not the ended session's and waits on.
    pub fn end_session(&mut self, end: i64, out: &mut Vec<Decision>) {
        self.cancel_session_delays(&|p| p.triggered_at < end, out);
    }

    fn new_session(&mut self, id: i64, out: &mut Vec<Decision>) {
        self.state.session = Some(id);
        self.state.session_prompts = 0;
        self.state.open = None;
        self.state.engaged_ms = 0;
        self.meters = Meters::default();
        for w in &mut self.outranked {
            *w = NONE;
        }
        self.dirty = true;
        self.cancel_session_delays(&|p| p.session != Some(id), out);
    }

    /// Cancels the waiting delays `ended` says belong to a session that is over (`cancelled` by `session`).
    /// (Through `&dyn`: one copy for both callers.)
    fn cancel_session_delays(&mut self, ended: &dyn Fn(&Pending) -> bool, out: &mut Vec<Decision>) {
        let mut k = 0;
        while k < self.state.pending.len() {
            if ended(&self.state.pending[k]) {
                let i = self.state.take_pending(k);
                self.dirty = true;
                out.push(Decision::Cancelled {
                    campaign: self.id(i),
                    by: "session".into(),
                });
            } else {
                k += 1;
            }
        }
    }

    /// Among campaigns ready to show at one moment, the highest priority (then the earliest in the config)
    /// shows, unless a prompt is open or the minimum gap has not passed; the others are outranked.
    fn select(
        &mut self,
        mut candidates: Vec<usize>,
        facts: &dyn Input,
        now: i64,
        out: &mut Vec<Decision>,
    ) {
        if candidates.is_empty() {
            return;
        }
        // Highest priority first; among equals, config order.
        order::sort_by_key(&mut candidates, |&i| (-self.campaigns[i].priority, i));
        let moment = |e: &Engine| moment_blockers(&e.campaigns, &e.state, &e.limits, now);
        if !moment(self).is_empty() {
            // Computed afresh for each (the same reasons): cheaper in wasm than a deep clone of them.
            for &i in &candidates {
                out.push(Decision::Skipped {
                    campaign: self.id(i),
                    reasons: moment(self),
                });
            }
            return;
        }
        // A campaign the visitor is held out of gives its held-out decision and takes no slot: the next in rank
        // is chosen, as if it were not there (what its holdout is compared with).
        let mut k = 0;
        while k < candidates.len() && held_out(&self.campaigns[candidates[k]], facts) {
            let i = candidates[k];
            self.outranked[i] = NONE;
            let h = self.state.history_mut(i);
            h.record_show(now);
            h.held_out = true;
            out.push(Decision::HeldOut {
                campaign: self.id(i),
            });
            k += 1;
        }
        let Some(&winner) = candidates.get(k) else {
            return;
        };
        self.outranked[winner] = NONE;
        self.record_show(winner, now);
        out.push(Decision::Show {
            campaign: self.id(winner),
        });
        for &i in &candidates[k + 1..] {
            self.outranked[i] = winner;
            out.push(Decision::Skipped {
                campaign: self.id(i),
                reasons: vec![Reason::OutrankedBy {
                    campaign: self.id(winner),
                }],
            });
        }
    }

    fn record_show(&mut self, i: usize, now: i64) {
        self.last_show = Some((i, now, self.state.last_prompt_at));
        self.state.history_mut(i).record_show(now);
        self.state.open = Some((i, now));
        self.state.session_prompts = self.state.session_prompts.saturating_add(1);
        self.state.last_prompt_at = Some(now);
    }

    /// The prompt of the last show, `id`'s, never reached the screen (the page could not build it, or it was
    /// replaced or closed, by an in-app navigation, before it could be): its show is taken back, as if it had not
    /// been decided. It is no longer open, and no longer counts for the campaign's frequency, the session's limit
    /// or the minimum gap. Nothing for another campaign, nor once an outcome was reported for it (the visitor saw
    /// it) or the page removed it.
    pub fn unshow(&mut self, id: &str) {
        let Some((i, at, before)) = self.last_show else {
            return;
        };
        if self.index(id) != Some(i) {
            return;
        }
        self.last_show = None;
        if self.state.open.is_some_and(|(o, _)| o == i) {
            self.state.open = None;
        }
        let h = self.state.history_mut(i);
        if h.shows.last() == Some(&at) {
            h.shows.pop();
        }
        self.state.session_prompts = self.state.session_prompts.saturating_sub(1);
        self.state.last_prompt_at = before;
        self.dirty = true;
    }

    /// The open prompt, `id`'s, left the screen without an outcome (the page removed it): it is closed, as with
    /// the page left (no cooldown; its show still counts, and is no longer taken back). Nothing for another
    /// campaign.
    pub fn close(&mut self, id: &str) {
        if self
            .state
            .open
            .is_some_and(|(i, _)| self.index(id) == Some(i))
        {
            self.state.open = None;
            self.last_show = None;
            self.dirty = true;
        }
    }

    fn outcome(&mut self, id: &str, outcome: Outcome, now: i64) {
        let Some(i) = self.index(id) else {
            return;
        };
        self.dirty = true;
        let is_open = self.state.open.is_some_and(|(o, _)| o == i);
        if outcome == Outcome::Shown {
            if !is_open {
                self.record_show(i, now);
            }
            return;
        }
        // The visitor saw it: its show stands.
        if self.last_show.is_some_and(|(l, ..)| l == i) {
            self.last_show = None;
        }
        let h = self.state.history_mut(i);
        if outcome == Outcome::Dismissed {
            h.dismissed_at = Some(now);
        } else {
            // Answered, completed or claimed.
            h.answered = true;
        }
        // Dismissing or completing closes the prompt; an answer or a claim leaves it on screen.
        if is_open && matches!(outcome, Outcome::Dismissed | Outcome::Completed) {
            self.state.open = None;
        }
    }
}

/// No campaign (in `Engine::outranked`).
const NONE: usize = usize::MAX;

#[cfg(test)]
mod tests {
    use super::NONE;

    /// The last loss of each campaign, kept by position, agrees with the list of (loser, winner) pairs it was
    /// first kept in: for every sequence of selections (a winner and its losers, from four campaigns) and new
    /// sessions, each campaign's last winner is the same.
    #[test]
    fn outranked_by_position_agrees_with_its_first_form() {
        fn forget(pairs: &mut Vec<(usize, usize)>, loser: usize) {
            if let Some(k) = pairs.iter().position(|p| p.0 == loser) {
                pairs.swap_remove(k);
            }
        }
        const N: usize = 4;
        // A step: 0 is a new session; otherwise a winner (step % N) and the losers (the bits of step / N).
        let steps: Vec<usize> = (0..N * (1 << N)).collect();
        let mut seed = 7u64;
        for _ in 0..2000 {
            let mut pairs: Vec<(usize, usize)> = Vec::new();
            let mut by_position = [NONE; N];
            for _ in 0..12 {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let step = steps[(seed >> 33) as usize % steps.len()];
                if step == 0 {
                    pairs.clear();
                    by_position.iter_mut().for_each(|w| *w = NONE);
                    continue;
                }
                let winner = step % N;
                forget(&mut pairs, winner);
                by_position[winner] = NONE;
                for loser in (0..N).filter(|&l| l != winner && (step / N) & (1 << l) != 0) {
                    forget(&mut pairs, loser);
                    pairs.push((loser, winner));
                    by_position[loser] = winner;
                }
                for (i, &w) in by_position.iter().enumerate() {
                    let then = pairs.iter().find(|p| p.0 == i).map(|p| p.1);
                    let now = Some(w).filter(|&w| w != NONE);
                    assert_eq!(now, then);
                }
            }
        }
    }
}
