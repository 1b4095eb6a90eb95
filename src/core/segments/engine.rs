//! The incremental engine: segments and journeys over one shared aggregate store.

use super::build::{assemble, build, Built, Rules, Unit};
use super::change::Change;
use super::defs::{EngineError, JourneyDef, RuleDiagnostic, SegmentDef};
use super::facts::{Facts, View};
use crate::core::json::{write_map, write_number, write_string, Map, Value};
use crate::core::rules::limits::clamp_time;
use crate::core::rules::program::Deps;
use crate::core::rules::wakeup::next_wakeup;
use crate::core::rules::{
    evaluate, explain, Clause, Event, OwnedEvent, Program, RunDiagnostic, StateError, Store,
};

/// Re-checks in one `advance` call beyond which the engine stops and catches up at `now` instead. Bounds the
/// work after a long sleep (each re-check moves a rule's wake-up strictly later).
const MAX_CATCH_UP: usize = 10_000;

/// A page's context and the channel it came through, as the rules read them.
pub type Context = Option<(Value, Value)>;
/// New traits, context and anonymous id for the rules, each absent when unchanged.
pub type NewFacts<'a> = (Option<Map>, Context, Option<&'a str>);

#[derive(Debug, Clone)]
pub struct Engine {
    store: Store,
    facts: Facts,
    /// The segments and journeys, unit by unit in definition order (bound to `store`), with what each holds.
    rules: Rules,
    /// Unit indices in dependency order: a unit comes after every segment or journey it reads.
    order: Vec<usize>,
    /// Aggregate slot → the units whose rules read it: an event's cost is in the rules it touches, not in all.
    slot_units: Vec<Vec<usize>>,
    any_event_rule: bool,
    clock: i64,
    diagnostics: Vec<RuleDiagnostic>,
    /// Changes the last [`Engine::absorb`] made that the other tab already reported (see [`Engine::take_heard`]).
    heard: Vec<Change>,
}

/// Run-time diagnostics kept between two `take_diagnostics` calls; older ones are dropped first.
const MAX_KEPT_DIAGNOSTICS: usize = 32;

impl Engine {
    /// Compiles every rule, reporting all errors (each rule's, unknown segment or journey references, cycles,
    /// and limits) at once.
    pub fn new(
        segments: &[SegmentDef],
        journeys: &[JourneyDef],
    ) -> Result<Engine, Vec<EngineError>> {
        build(segments, journeys).map(Engine::from_built)
    }

    /// An engine from rules compiled ahead of time (a compiled config): no compiler involved.
    /// The engine for compiled rules; None if they cannot make one (too many aggregates, a cycle), which a
    /// config compiled by `wayline compile` never has. The reasons are not kept: see `build::Problem`.
    pub fn from_rules(rules: Rules) -> Option<Engine> {
        assemble(rules, &mut |_| {}).map(Engine::from_built)
    }

    fn from_built(built: Built) -> Engine {
        let rules = built.rules;
        let any_event_rule = rules.units.iter().any(|u| u.flags & Deps::EVENT != 0);
        Engine {
            store: built.store,
            facts: Facts::default(),
            rules,
            order: built.order,
            slot_units: built.slot_units,
            any_event_rule,
            clock: i64::MIN,
            diagnostics: Vec::new(),
            heard: Vec::new(),
        }
    }

    /// The rules by name, in config order (what a compiled config carries).
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Current segment memberships, in definition order.
    pub fn segments(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for u in &self.rules.units {
            if !u.journey && u.held != 0 {
                out.push(u.name.as_str());
            }
        }
        out
    }

    pub fn in_segment(&self, name: &str) -> bool {
        super::facts::in_segment(&self.rules, name)
    }

    /// The visitor's current stage in `journey`.
    pub fn stage(&self, journey: &str) -> Option<&str> {
        super::facts::stage(&self.rules, journey)
    }

    /// The changes from `old`'s memberships and stages to this engine's, at `now`: `old` has the same definitions
    /// (the audience a logout replaces with a fresh one).
    pub fn changes_from(&self, old: &Engine, now: i64) -> Vec<Change> {
        let mut changes = Vec::new();
        for (u, o) in self.rules.units.iter().zip(&old.rules.units) {
            push_some(
                &mut changes,
                change_of(u, self.rules.of(u), o.held, u.held, now),
            );
        }
        changes
    }

    /// Each top-level clause of a segment's rule and whether it holds now (for `explain`); `None` for an
    /// unknown segment. Clause spans index `source`.
    pub fn explain_segment(&self, name: &str, now_ms: i64) -> Option<(String, Vec<Clause>)> {
        let u = &self.rules.units[self.rules.named(false, name)?];
        let (_, program) = self.rules.of(u).first()?;
        let view = self.view();
        Some((
            program.source().to_string(),
            explain(program, &view, clamp_time(now_ms)),
        ))
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The next instant at which any rule could change with no new event; `None` when none can.
    pub fn next_wakeup(&self) -> Option<i64> {
        let mut next = None;
        for u in &self.rules.units {
            next = earliest(next, u.wake);
        }
        next
    }

    /// Processes an event at `now_ms`: first catches up with time, then updates facts and aggregates and
    /// re-evaluates only the rules that read what changed.
    pub fn ingest(&mut self, event: &Event<'_>, now_ms: i64) -> Vec<Change> {
        self.ingest_in_context(event, None, None, now_ms)
    }

    /// Exchanges the traits, and the context and channel, given with those the rules read, without re-checking
    /// any rule: done twice, before and after the campaigns are told of the session and the page an event starts,
    /// they read that event's traits and context (as `wayline replay` plays it) before it is counted.
    pub fn swap_facts(
        &mut self,
        traits: &mut Option<Map>,
        context_and_channel: &mut Option<(Value, Value)>,
    ) {
        if let Some(traits) = traits {
            std::mem::swap(&mut self.facts.traits, traits);
        }
        if let Some((context, channel)) = context_and_channel {
            std::mem::swap(&mut self.facts.context, context);
            std::mem::swap(&mut self.facts.channel, channel);
        }
    }

    /// [`Engine::ingest`] of an event that comes with new traits (an identify) or a new context and channel (a
    /// page view, the first event of a session): time passes first with the old ones, then the rules see the new
    /// facts and the event together. Set before the event, a rule reading both the page and a count of page views
    /// (`page.path == "/pricing" && count("Page Viewed") < 3`) saw the new page with the old count for a moment,
    /// and entered and left on the third view; so did `traits.plan == "pro" && count("Identify") < 2` on the
    /// second identify.
    pub fn ingest_in_context(
        &mut self,
        event: &Event<'_>,
        traits: Option<Map>,
        context_and_channel: Option<(Value, Value)>,
        now_ms: i64,
    ) -> Vec<Change> {
        let now = self.time(now_ms);
        let mut changes = self.advance(now);
        self.take_facts(traits, context_and_channel);
        if event.kind == "identify" && !event.properties.is_empty() {
            self.facts.traits.merge(event.properties);
            self.mark(Deps::TRAITS);
        }
        if let Some(ctx) = event.context {
            if *ctx != self.facts.context {
                self.facts.context = ctx.clone();
                self.mark(Deps::CONTEXT);
            }
        }
        if self.any_event_rule {
            self.facts.last_event = Some(OwnedEvent::from_event(event));
            self.mark(Deps::EVENT);
        }
        // Lists are walked by reference here and below: one consumed by value links `vec::IntoIter`'s drop (and its
        // panic guard) for its element type.
        for &slot in &self.store.ingest(event, now) {
            if let Some(units) = self.slot_units.get(slot) {
                for &u in units {
                    self.rules.units[u].dirty = true;
                }
            }
        }
        self.run_dirty(now, &mut changes);
        changes
    }

    /// Catches up with time: re-checks, in time order, every rule due to change by `now_ms`, reporting each
    /// change at the instant it happened. The first call evaluates every rule.
    pub fn advance(&mut self, now_ms: i64) -> Vec<Change> {
        let now = self.time(now_ms);
        let mut changes = Vec::new();
        // Rules marked by a setter, a restore or construction are brought up to date first.
        if self.rules.units.iter().any(|u| u.dirty) {
            self.run_dirty(now, &mut changes);
        }
        for _ in 0..MAX_CATCH_UP {
            let Some(next) = self.next_wakeup() else {
                break;
            };
            if next > now {
                break;
            }
            self.mark_due(next);
            self.run_dirty(next, &mut changes);
        }
        // Past the catch-up bound, settle everything still due at `now`.
        if self.next_wakeup().is_some_and(|w| w <= now) {
            self.mark_due(now);
            self.run_dirty(now, &mut changes);
        }
        self.clock = now;
        changes
    }

    /// Replaces the traits (e.g. restored from the profile) and re-evaluates the rules that read them.
    pub fn set_traits(&mut self, traits: Map, now_ms: i64) -> Vec<Change> {
        self.facts.traits = traits;
        self.mark(Deps::TRAITS);
        self.settle(now_ms)
    }

    /// Sets what GrowthBook-style conditions read (by default, the traits) and re-evaluates them.
    pub fn set_attributes(&mut self, attributes: Option<Map>, now_ms: i64) -> Vec<Change> {
        self.facts.attributes = attributes;
        self.mark(Deps::TRAITS);
        self.settle(now_ms)
    }

    pub fn set_context(&mut self, context: Value, now_ms: i64) -> Vec<Change> {
        self.facts.context = context;
        self.mark(Deps::CONTEXT);
        self.settle(now_ms)
    }

    pub fn set_channel(&mut self, channel: Value, now_ms: i64) -> Vec<Change> {
        self.facts.channel = channel;
        self.mark(Deps::CONTEXT);
        self.settle(now_ms)
    }

    /// Both at once, as a new session changes them together: the rules see the new context with the new channel
    /// only, never the new context with the old channel (a rule reading both could otherwise enter and leave in
    /// between, sending an enter and an exit that nothing happened to cause).
    pub fn set_context_and_channel(
        &mut self,
        context: Value,
        channel: Value,
        now_ms: i64,
    ) -> Vec<Change> {
        self.take_facts(None, Some((context, channel)));
        self.settle(now_ms)
    }

    /// Everything the rules read about the visitor at once, as when a config is installed (on every page load,
    /// over the state stored by the last one): traits, anonymous id and, if given, context and channel. Set one
    /// at a time, a rule reading two of them was evaluated with a mix of the stored answers and the new facts, and
    /// left and re-entered its segment on every page load.
    pub fn set_facts(
        &mut self,
        traits: Map,
        anonymous_id: &str,
        context_and_channel: Option<(Value, Value)>,
        now_ms: i64,
    ) -> Vec<Change> {
        self.facts.anonymous_id = anonymous_id.to_string();
        self.mark(Deps::IDENTITY);
        self.take_facts(Some(traits), context_and_channel);
        self.settle(now_ms)
    }

    /// Takes the traits and the context and channel given, marking the rules that read them; evaluates nothing.
    fn take_facts(&mut self, traits: Option<Map>, context_and_channel: Context) {
        if let Some(traits) = traits {
            self.facts.traits = traits;
            self.mark(Deps::TRAITS);
        }
        if let Some((context, channel)) = context_and_channel {
            self.facts.context = context;
            self.facts.channel = channel;
            self.mark(Deps::CONTEXT);
        }
    }

    pub fn set_anonymous_id(&mut self, id: &str, now_ms: i64) -> Vec<Change> {
        self.facts.anonymous_id = id.to_string();
        self.mark(Deps::IDENTITY);
        self.settle(now_ms)
    }

    fn settle(&mut self, now_ms: i64) -> Vec<Change> {
        self.advance(now_ms)
    }

    /// Marks dirty every unit due to wake by `t`.
    fn mark_due(&mut self, t: i64) {
        for u in &mut self.rules.units {
            if u.wake.is_some_and(|w| w <= t) {
                u.dirty = true;
            }
        }
    }

    /// Marks dirty every unit that reads what `bit` (a `Deps` flag) stands for.
    fn mark(&mut self, bit: u8) {
        for u in &mut self.rules.units {
            if u.flags & bit != 0 {
                u.dirty = true;
            }
        }
    }

    /// Evaluates every dirty unit in dependency order at `now`; a unit whose output changes dirties its
    /// dependents (which come later).
    fn run_dirty(&mut self, now: i64, changes: &mut Vec<Change>) {
        for at in 0..self.order.len() {
            let ui = self.order[at];
            let Some(u) = self.rules.units.get(ui) else {
                continue;
            };
            if !u.dirty {
                continue;
            }
            let (prefix, dot, journey) = if u.journey {
                ("journeys.", ".", true)
            } else {
                ("segments.", "", false)
            };
            let view = View {
                facts: &self.facts,
                store: &self.store,
                rules: &self.rules,
            };
            let stages = self.rules.rules.get(u.first..u.end).unwrap_or_default();
            let mut found = 0;
            for k in (0..stages.len()).rev() {
                let (name, p) = &stages[k];
                if check(
                    &mut self.diagnostics,
                    &view,
                    p,
                    now,
                    [prefix, &u.name, dot, if journey { name } else { "" }],
                ) {
                    found = k + 1;
                    break;
                }
            }
            // The same stage is the same name: the common case costs no call.
            let change = if u.held == found {
                None
            } else {
                change_of(u, stages, u.held, found, now)
            };
            let changed = change.is_some();
            if let Some(c) = change {
                changes.push(c);
            }
            if let Some(u) = self.rules.units.get_mut(ui) {
                u.dirty = false;
                u.held = found;
            }
            // Units that read this one come later in the order: they are evaluated in this same pass.
            if changed {
                for u in &mut self.rules.units {
                    // A loop rather than `contains`, whose unrolled search is linked for this alone.
                    for &r in &u.reads {
                        if r == ui {
                            u.dirty = true;
                        }
                    }
                }
            }
            let view = self.view();
            let mut wake = None;
            for (_, p) in stages {
                wake = earliest(wake, next_wakeup(p, &view, &self.store, now));
            }
            if let Some(u) = self.rules.units.get_mut(ui) {
                u.wake = wake;
            }
        }
    }

    /// Run-time diagnostics since the last call (a type mismatch in data, a step budget exceeded): the rule
    /// was false; in debug mode the SDK logs these.
    pub fn take_diagnostics(&mut self) -> Vec<RuleDiagnostic> {
        std::mem::take(&mut self.diagnostics)
    }

    /// What the rules see now (traits, context, channel, memberships, stages, the anonymous id, the aggregates):
    /// for evaluating other rules against the same visitor, such as campaign audiences.
    pub fn input(&self) -> impl crate::core::rules::Input + '_ {
        self.view()
    }

    fn view(&self) -> View<'_> {
        View {
            facts: &self.facts,
            store: &self.store,
            rules: &self.rules,
        }
    }

    /// `now_ms` as the rules take it. A time before the last one seen means the clock was set back (or had run
    /// ahead and was set right): the jump counts as no time passed, and every time the aggregates hold moves back
    /// by it, so windows, `time_since` and sequences run on from the new reading rather than wait for the clock
    /// to catch up (a year, for a clock that was a year ahead). See `docs/rules.md`, "When the clock jumps".
    fn time(&mut self, now_ms: i64) -> i64 {
        let now = clamp_time(now_ms);
        if now < self.clock {
            self.store.shift_back(self.clock - now);
            self.clock = now;
            // Their wake-ups move with them.
            for u in &mut self.rules.units {
                u.dirty = true;
            }
        }
        now
    }

    /// The persisted form: aggregates, memberships, stages and the clock, versioned.
    pub fn to_value(&self) -> Value {
        let mut text = String::new();
        self.write_state(&mut text);
        crate::core::json::parse(&text).unwrap_or(Value::Null)
    }

    /// Appends the persisted form ([`Engine::to_value`]) as JSON text: `{"v": 1, "store": ..., "segments":
    /// [member, ...], "stages": {journey: stage, ...}, "clock": ms}` (no clock before the first evaluation).
    pub fn write_state(&self, out: &mut String) {
        out.push_str("{\"v\":1,\"store\":");
        self.store.write_state(out);
        out.push_str(",\"segments\":[");
        for (i, n) in self.segments().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(n, out);
        }
        out.push_str("],\"stages\":");
        // A map, as a journey's name could repeat in a compiled config: the last stage is the one kept.
        let mut stages = Map::new();
        for u in &self.rules.units {
            if let (true, Some((s, _))) = (u.journey, self.rules.of(u).get(u.held.wrapping_sub(1)))
            {
                stages.insert(u.name.as_str(), Value::from(s.as_str()));
            }
        }
        write_map(&stages, out);
        if self.clock != i64::MIN {
            out.push_str(",\"clock\":");
            write_number(self.clock as f64, out);
        }
        out.push('}');
    }

    /// Restores persisted state. Memberships and stages are taken as they were, so a reload does not
    /// re-announce them; every rule is re-checked on the next `advance` or `ingest`. Unknown segments, stages
    /// and aggregates (the config changed) are ignored.
    pub fn restore(&mut self, v: &Value) -> Result<(), StateError> {
        if v.get("v").and_then(Value::as_f64) != Some(1.0) {
            return Err(if v.as_object().is_some() {
                StateError::Version
            } else {
                StateError::Foreign
            });
        }
        self.store
            .restore(v.get("store").ok_or(StateError::Foreign)?)?;
        let rules = &self.rules.rules;
        for u in &mut self.rules.units {
            u.dirty = true;
            u.held = stored_held(u, rules.get(u.first..u.end).unwrap_or_default(), v);
        }
        if let Some(c) = v.get("clock").and_then(Value::as_f64) {
            self.clock = clamp_time(c as i64);
        }
        Ok(())
    }

    /// The changes in this tab's memberships and stages that [`Engine::absorb`] found the other tab had already
    /// reported: for this page's listeners, not to be reported again.
    pub fn take_heard(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.heard)
    }

    /// The state was written where other tabs read it: it is the base of the next [`Engine::absorb`].
    pub fn mark_written(&mut self) {
        self.store.mark_written();
    }

    /// Keeps the merge base of `old`, the engine this one replaces in the same page (see [`Store::keep_base`]).
    pub fn keep_base(&mut self, old: &Engine) {
        self.store.keep_base(&old.store);
    }

    /// Another tab stored its state `v` (as [`Engine::write_state`] writes it): its aggregates are merged with
    /// this tab's ([`Store::absorb`]), and every rule is re-checked on the merged ones at `now_ms`. A membership or
    /// stage that changes is reported only if neither tab reported it: if it differs from this tab's before the
    /// merge and from the one `v` stores (which the other tab reported, or held); the others are kept for
    /// [`Engine::take_heard`]. Time passes first, as for an event. Returns the changes, and whether this tab's
    /// aggregates hold something `v`'s lack, so that it writes its state back (a reported change is written back
    /// too, as any change is); a state of another version, or unreadable, changes nothing but the time.
    pub fn absorb(&mut self, v: &Value, facts: NewFacts, now_ms: i64) -> (Vec<Change>, bool) {
        let now = self.time(now_ms);
        let mut changes = self.advance(now);
        // Traits or a context the other tab's profile brought with this state: re-checked together with it below,
        // so a change that tab announced on them is not announced here again.
        self.take_facts(facts.0, facts.1);
        if let Some(id) = facts.2 {
            self.facts.anonymous_id = id.to_string();
            self.mark(Deps::IDENTITY);
        }
        let mut merged = None;
        if v.get("v").and_then(Value::as_f64) == Some(1.0) {
            // Written on a clock ahead of this reading: the other tab wrote before the clock was set back (and has
            // not seen the jump yet). Its times move back by as much, as they would have had that tab seen it
            // (`time`), and as they do when a page restores such a state.
            let behind = v
                .get("clock")
                .and_then(Value::as_f64)
                .map_or(0, |c| clamp_time(c as i64).saturating_sub(now));
            merged = v.get("store").map(|s| self.store.absorb(s, behind, now));
        }
        let Some(Ok(beyond)) = merged else {
            changes.append(&mut self.advance(now));
            return (changes, false);
        };
        let mut before = Vec::with_capacity(self.rules.units.len());
        for u in &mut self.rules.units {
            before.push(u.held);
            u.dirty = true;
        }
        // Every change this makes is compared below with both tabs' answers instead.
        self.run_dirty(now, &mut Vec::new());
        for (i, u) in self.rules.units.iter().enumerate() {
            let stages = self.rules.of(u);
            let change = change_of(u, stages, before[i], u.held, now);
            if change_of(u, stages, stored_held(u, stages, v), u.held, now).is_some() {
                push_some(&mut changes, change);
                continue;
            }
            // The other tab holds this answer: it reported what led there, time's changes included (two tabs
            // reach the instant a window ends together, and the first to write reports it). This tab's page
            // still hears of what changed in its view.
            let mut k = 0;
            while k < changes.len() {
                if changes[k].unit() == (u.journey, u.name.as_str()) {
                    self.heard.push(changes.remove(k));
                } else {
                    k += 1;
                }
            }
            push_some(&mut self.heard, change);
        }
        (changes, beyond)
    }
}

/// Pushes a change if there is one (smaller in wasm than `extend` with an `Option`, a loop of its own).
fn push_some(out: &mut Vec<Change>, change: Option<Change>) {
    if let Some(c) = change {
        out.push(c);
    }
}

/// The change from stage `before` to stage `found` of unit `u` (1 + an index into `stages`, its rules; 0 for none),
/// if there is one.
fn change_of(
    u: &Unit,
    stages: &[(String, Program)],
    before: usize,
    found: usize,
    now: i64,
) -> Option<Change> {
    // Compared by name: stages of one journey could share a name in a compiled config. Borrowed: this runs for
    // every dirty unit, and a change is rare.
    let name = |k: usize| stages.get(k.wrapping_sub(1)).map(|(n, _)| n.as_str());
    if name(before) == name(found) {
        return None;
    }
    let unit = u.name.clone();
    Some(if u.journey {
        Change::Stage {
            journey: unit,
            from: name(before).map(str::to_string),
            to: name(found).map(str::to_string),
            at: now,
        }
    } else if found != 0 {
        Change::SegmentEnter {
            segment: unit,
            at: now,
        }
    } else {
        Change::SegmentExit {
            segment: unit,
            at: now,
        }
    })
}

/// What unit `u` holds in persisted engine state `v` (as [`Engine::held`] holds it): the stage stored for a
/// journey, membership for a segment.
fn stored_held(u: &Unit, stages: &[(String, Program)], v: &Value) -> usize {
    if u.journey {
        let saved = v
            .get("stages")
            .and_then(|s| s.get(&u.name))
            .and_then(Value::as_str);
        stages
            .iter()
            .position(|(n, _)| Some(n.as_str()) == saved)
            .map_or(0, |k| k + 1)
    } else {
        let members = v.get("segments").and_then(Value::as_array).unwrap_or(&[]);
        usize::from(members.iter().any(|x| x.as_str() == Some(u.name.as_str())))
    }
}

/// The earlier of two optional instants.
fn earliest(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Evaluates one rule, keeping its run-time diagnostics under `origin` (in parts, joined only when there are
/// some). One copy for segments and journey stages alike.
fn check(
    kept: &mut Vec<RuleDiagnostic>,
    view: &View<'_>,
    program: &Program,
    now: i64,
    origin: [&str; 4],
) -> bool {
    let result = evaluate(program, view, now);
    if !result.diagnostics.is_empty() {
        note(kept, origin.concat(), program.source(), result.diagnostics);
    }
    result.value
}

/// Keeps run-time diagnostics (bounded) for the SDK's debug mode.
fn note(
    kept: &mut Vec<RuleDiagnostic>,
    origin: String,
    source: &str,
    diagnostics: Vec<RunDiagnostic>,
) {
    for &diagnostic in &diagnostics {
        if kept.len() >= MAX_KEPT_DIAGNOSTICS {
            // The oldest leaves (`Vec::remove` would be linked for this alone).
            *kept = kept.split_off(1);
        }
        kept.push(RuleDiagnostic {
            origin: origin.clone(),
            source: source.to_string(),
            diagnostic,
        });
    }
}
