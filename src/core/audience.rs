//! Segments and journeys on the device: the tracker's events feed the rule engine, and the engine's changes
//! become messages for the collector and notices for the page.
//!
//! The engine keeps only the aggregates the configured rules need; this module owns it, its persisted state, and
//! the translation between the SDK's events and the engine's.

use super::campaigns::{self, Decision, Device, Signal};
use super::compiled;
use super::json::{self, Map, Value};
use super::message::Environment;
use super::rules::eval::has_substring;
use super::rules::Event;
use super::segments::{Change, Engine, NewFacts};
use super::time::Millis;

/// Names of the events the SDK sends when a membership or a stage changes.
pub const SEGMENT_ENTERED: &str = "Segment Entered";
pub const SEGMENT_EXITED: &str = "Segment Exited";
pub const STAGE_CHANGED: &str = "Journey Stage Changed";

/// Events tracked while the config is still loading are kept (up to this many) and fed to the engine once it is
/// built, so that behaviour before the config arrived counts.
pub const MAX_EARLY_EVENTS: usize = 1_000;

/// Segments, journeys and campaigns for one visitor: the rule engine's facts feed the campaigns' audiences, its
/// changes are the campaigns' segment and stage triggers.
pub struct Audience {
    engine: Engine,
    campaigns: campaigns::Engine,
    config: Value,
    /// How this audience was built ([`Audience::from_config`] or [`Audience::from_compiled`]), to build a fresh
    /// one: a function pointer, so a build that only reads compiled configs links no compiler.
    rebuild: fn(&Value) -> Result<Audience, Vec<String>>,
    state_dirty: bool,
    /// The session the campaigns were last told about.
    session: Option<Millis>,
    /// Until the first event tells the campaigns the session and the page, the changes that wait for it (those
    /// the facts installed with the config make): told before then, a delay they start would belong to no
    /// session, or to the one the event ends, and be cancelled, and a prompt would count for that session.
    unsent: Option<Vec<Change>>,
    decisions: Vec<Decision>,
}

/// The kind of SDK call an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Track,
    Page,
    Identify,
    Group,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Track => "track",
            Kind::Page => "page",
            Kind::Identify => "identify",
            Kind::Group => "group",
        }
    }
}

/// An event waiting for the config.
#[derive(Debug, Clone)]
pub struct EarlyEvent {
    pub kind: Kind,
    pub name: String,
    pub properties: Map,
    pub session_id: Option<Millis>,
    pub at: Millis,
    /// For an identify, the profile's traits after it (another user's start from none).
    pub traits: Option<Map>,
}

impl Audience {
    /// Builds the engine from a config's `segments` and `journeys`; on failure, every error rendered with its
    /// location (`config:segments.name:line:col`, source line and caret).
    pub fn from_config(config: &Value) -> Result<Audience, Vec<String>> {
        let (engine, campaigns) = compiled::build_source(config)?;
        Ok(Audience::new(
            engine,
            campaigns::Engine::new(campaigns),
            config,
            Audience::from_config,
        ))
    }

    /// Builds the engines from a compiled config (`compiled.rs`) without the compiler.
    pub fn from_compiled(config: &Value) -> Result<Audience, Vec<String>> {
        if let Some(defs) = compiled::read(config) {
            if let Some(engine) = Engine::from_rules(defs.rules) {
                let campaigns = campaigns::Engine::new(defs.campaigns);
                return Ok(Audience::new(
                    engine,
                    campaigns,
                    config,
                    Audience::from_compiled,
                ));
            }
        }
        Err(vec![
            "config: the compiled config is damaged or of another version".to_string(),
        ])
    }

    /// The audience for a compiled config, boxed for the tracker.
    pub fn boxed_compiled(config: &Value) -> Result<Box<Audience>, Vec<String>> {
        Audience::from_compiled(config).map(Box::new)
    }

    fn new(
        engine: Engine,
        campaigns: campaigns::Engine,
        config: &Value,
        rebuild: fn(&Value) -> Result<Audience, Vec<String>>,
    ) -> Audience {
        Audience {
            engine,
            campaigns,
            config: config.clone(),
            rebuild,
            state_dirty: false,
            session: None,
            unsent: Some(Vec::new()),
            decisions: Vec::new(),
        }
    }

    /// Tells the campaigns one signal, with the segments engine's facts as their audience input.
    fn tell(&mut self, signal: &Signal<'_>, now: Millis) {
        let facts = self.engine.input();
        self.campaigns
            .handle_into(signal, &facts, now, &mut self.decisions);
    }

    /// Segment and stage changes are campaign triggers too.
    fn tell_changes(&mut self, changes: &[Change], now: Millis) {
        // A change of membership or stage is state to persist, whatever made it (an event, time, or new facts
        // such as a config installed at page load): else the next page load would restore the older answers and
        // announce the same change again.
        self.state_dirty |= !changes.is_empty();
        if let Some(unsent) = &mut self.unsent {
            unsent.extend_from_slice(changes);
            return;
        }
        for c in changes {
            self.tell(&Signal::from(c), now);
        }
    }

    /// The audience for a config, boxed for the tracker.
    pub fn boxed(config: &Value) -> Result<Box<Audience>, Vec<String>> {
        Audience::from_config(config).map(Box::new)
    }
}

impl Audience {
    /// `{"segments": ..., "campaigns": ...}` as persisted, with the campaigns' state already written.
    fn state_with(&self, campaigns: &str) -> String {
        let mut out = String::from("{\"segments\":");
        self.engine.write_state(&mut out);
        out.push_str(",\"campaigns\":");
        out.push_str(campaigns);
        out.push('}');
        out
    }
}

/// What the tracker asks of segments, journeys and campaigns. The tracker holds the concrete type (no trait
/// object), so only the methods it calls are linked; it holds one only with the `segments` feature, so the rule
/// engine is linked into a build only where the web layer constructs an [`Audience`].
impl Audience {
    /// `{"segments": ..., "campaigns": ...}` as an earlier page stored it (a bare segments state, before
    /// campaigns, is read too): the prompt open when that page was left left with it
    /// ([`campaigns::Engine::restore`]).
    pub fn restore(&mut self, text: &str) -> bool {
        self.restore_state(text, false)
    }

    /// [`Audience::restore`], or, `in_page`, the state of the audience this one replaces in the same page, whose
    /// open prompt is still on screen ([`campaigns::Engine::restore_state`]).
    pub fn restore_state(&mut self, text: &str, in_page: bool) -> bool {
        let Ok(v) = json::parse(text) else {
            return false;
        };
        let Some(segments) = v.get("segments") else {
            return self.engine.restore(&v).is_ok();
        };
        let campaigns_ok = v
            .get("campaigns")
            .is_none_or(|c| self.campaigns.restore_state(c, in_page).is_ok());
        self.engine.restore(segments).is_ok() && campaigns_ok
    }

    /// Another tab stored its `{"segments": ..., "campaigns": ...}`: both parts are merged into this audience's,
    /// so what happened there holds here and survives this tab's next write. The campaigns' caps, answers and
    /// dismissals ([`campaigns::Engine::absorb`]); the segments' counts and other aggregates, and the memberships
    /// and stages they make ([`Engine::absorb`]). Returns the changes of membership or stage that neither tab
    /// reported (told to the campaigns as any change is); the state is to be written back only when this tab's
    /// holds something the stored one lacks.
    /// Returns the changes to report, and those the other tab reported (see [`Engine::take_heard`]), which the
    /// campaigns are not told of.
    pub fn absorb_stored(
        &mut self,
        text: &str,
        facts: NewFacts,
        now: Millis,
    ) -> (Vec<Change>, Vec<Change>) {
        // An unreadable state is merged as none: the facts are still checked.
        let v = json::parse(text).unwrap_or(Value::Null);
        if let Some(c) = v.get("campaigns") {
            self.campaigns.absorb(c, &mut self.decisions);
        }
        let none = Value::Null;
        let segments = v.get("segments").unwrap_or(&none);
        let (changes, beyond) = self.engine.absorb(segments, facts, now);
        self.state_dirty |= beyond;
        self.tell_changes(&changes, now);
        (changes, self.engine.take_heard())
    }

    /// Keeps the merge base of the audience this one replaces in the same page (see [`Engine::keep_base`]).
    pub fn keep_base(&mut self, old: &Audience) {
        self.engine.keep_base(&old.engine);
    }

    /// Whether [`Audience::take_state_write`] has a state to give.
    pub fn state_dirty(&self) -> bool {
        self.state_dirty || self.campaigns.state_dirty()
    }

    /// The persisted state if it changed since the last call.
    pub fn take_state_write(&mut self) -> Option<String> {
        let campaigns = self.campaigns.take_state_write();
        if !(self.state_dirty || campaigns.is_some()) {
            return None;
        }
        self.state_dirty = false;
        let campaigns = campaigns.unwrap_or_else(|| self.campaigns.state_json());
        // Written where other tabs read it: what they write next is merged over this.
        self.engine.mark_written();
        Some(self.state_with(&campaigns))
    }

    /// The state as persisted, now (to carry it into a new config's audience).
    pub fn state_text(&self) -> String {
        self.state_with(&self.campaigns.state_json())
    }

    pub fn segments(&self) -> Vec<&str> {
        self.engine.segments()
    }

    pub fn stage(&self, journey: &str) -> Option<&str> {
        self.engine.stage(journey)
    }

    /// When time alone could next change something: a rule (`rules_delay` ms late, see [`Audience::advance`]), or
    /// a campaign delay ending.
    pub fn next_wakeup(&self, rules_delay: Millis) -> Option<Millis> {
        let rules = self
            .engine
            .next_wakeup()
            .map(|w| w.saturating_add(rules_delay));
        earliest(rules, self.campaigns.next_wakeup())
    }

    pub fn ingest(
        &mut self,
        kind: Kind,
        name: &str,
        properties: &Map,
        session_id: Option<Millis>,
        now: Millis,
    ) -> Vec<Change> {
        self.ingest_in_context(kind, name, properties, session_id, (None, None), now)
    }

    /// [`Audience::ingest`] with the new traits and the new context and channel the event comes with: see
    /// [`crate::core::segments::Engine::ingest_in_context`].
    pub fn ingest_in_context(
        &mut self,
        kind: Kind,
        name: &str,
        properties: &Map,
        session_id: Option<Millis>,
        (traits, context_and_channel): (Option<Map>, Option<(Value, Value)>),
        now: Millis,
    ) -> Vec<Change> {
        let engaged_ms = if name == crate::core::tracker::PAGE_ENGAGEMENT {
            properties
                .get("engagedMs")
                .and_then(Value::as_f64)
                .unwrap_or(0.0)
        } else {
            0.0
        };
        let event = Event {
            kind: kind.as_str(),
            name,
            properties,
            context: None,
            session_id,
            engaged_ms,
        };
        self.state_dirty = true;
        // The order `wayline replay` plays: session, page, the segments' changes, then the event itself. The
        // session and the page are told with the event's traits and context (not yet its counts), so a page
        // trigger's audience reads that page.
        let new_session = session_id.filter(|&id| self.session != Some(id));
        let url = properties
            .get("url")
            .and_then(Value::as_str)
            .filter(|_| kind == Kind::Page);
        let (mut traits, mut context_and_channel) = (traits, context_and_channel);
        self.engine
            .swap_facts(&mut traits, &mut context_and_channel);
        if let Some(id) = new_session {
            self.session = Some(id);
            self.tell(&Signal::SessionStart { id }, now);
        }
        if let Some(url) = url {
            self.tell(&Signal::Page { url }, now);
        }
        self.engine
            .swap_facts(&mut traits, &mut context_and_channel);
        if let Some(unsent) = self.unsent.take() {
            self.tell_changes(&unsent, now);
        }
        let changes = self
            .engine
            .ingest_in_context(&event, traits, context_and_channel, now);
        self.tell_changes(&changes, now);
        self.tell(&Signal::Event { name, properties }, now);
        changes
    }

    /// The page was hidden, or is visible again: see [`crate::core::campaigns::Engine::set_hidden`].
    pub fn set_hidden(&mut self, hidden: bool, now: Millis) {
        let facts = self.engine.input();
        self.campaigns
            .set_hidden(hidden, &facts, now, &mut self.decisions);
    }

    /// The page is being left, or is back: see [`crate::core::campaigns::Engine::set_leaving`].
    pub fn set_leaving(&mut self, leaving: bool) {
        self.campaigns.set_leaving(leaving);
    }

    /// The session ended at `end`: see [`crate::core::campaigns::Engine::end_session`].
    pub fn session_ended(&mut self, end: Millis) {
        self.campaigns.end_session(end, &mut self.decisions);
    }

    /// Lets time pass: rules that change with time alone are re-checked as of `rules_delay` ms ago (see
    /// [`crate::core::tracker::Tracker::set_time_change_delay`]), and due campaign delays end.
    pub fn advance(&mut self, now: Millis, rules_delay: Millis) -> Vec<Change> {
        let changes = self.engine.advance(now.saturating_sub(rules_delay));
        self.tell_changes(&changes, now);
        let facts = self.engine.input();
        self.campaigns
            .advance_into(&facts, now, &mut self.decisions);
        changes
    }

    /// The context and the channel, set together: see [`crate::core::segments::Engine::set_context_and_channel`].
    pub fn set_context_and_channel(
        &mut self,
        context: Value,
        channel: Value,
        now: Millis,
    ) -> Vec<Change> {
        let changes = self.engine.set_context_and_channel(context, channel, now);
        self.tell_changes(&changes, now);
        changes
    }

    pub fn set_traits(&mut self, traits: Map, now: Millis) -> Vec<Change> {
        let changes = self.engine.set_traits(traits, now);
        self.tell_changes(&changes, now);
        changes
    }

    /// See [`crate::core::segments::Engine::set_facts`].
    pub fn set_facts(
        &mut self,
        traits: Map,
        anonymous_id: &str,
        context_and_channel: Option<(Value, Value)>,
        now: Millis,
    ) -> Vec<Change> {
        let changes = self
            .engine
            .set_facts(traits, anonymous_id, context_and_channel, now);
        self.tell_changes(&changes, now);
        changes
    }

    /// A page signal (exit intent, scroll, idle, engaged time) or a prompt's outcome, for the campaigns.
    pub fn signal(&mut self, signal: &Signal<'_>, now: Millis) {
        self.tell(signal, now);
    }

    /// Campaign decisions since the last call (from events, changes, signals and the passage of time).
    pub fn take_decisions(&mut self) -> Vec<Decision> {
        std::mem::take(&mut self.decisions)
    }

    /// `explain(id)`: `Explanation::to_value()`, or None for an unknown campaign. Mutable only for the work due by
    /// `now`, which [`campaigns::Engine::explain`] does and undoes: asking changes nothing.
    pub fn explain(&mut self, id: &str, now: Millis) -> Option<Value> {
        let facts = self.engine.input();
        let e = self.campaigns.explain(id, &facts, now)?;
        Some(e.to_value())
    }

    /// A campaign's action object as written in the config.
    pub fn campaign_action(&self, id: &str) -> Option<&Value> {
        Some(&self.campaigns.campaign(id)?.action.spec)
    }

    /// See [`campaigns::Engine::close`].
    pub fn close(&mut self, id: &str) {
        self.campaigns.close(id);
    }

    /// See [`campaigns::Engine::unshow`].
    pub fn unshow(&mut self, id: &str) {
        self.campaigns.unshow(id);
    }

    /// Whether campaign `id` is the prompt on screen (shown and not yet closed).
    pub fn is_open(&self, id: &str) -> bool {
        self.open_campaign() == Some(id)
    }

    /// The campaign whose prompt is on screen (shown and not yet closed), if any.
    pub fn open_campaign(&self) -> Option<&str> {
        let (i, _) = self.campaigns.state().open?;
        Some(&self.campaigns.campaigns().get(i)?.id)
    }

    /// The whole config (for the prompts' theme and strings).
    pub fn config(&self) -> &Value {
        &self.config
    }

    pub fn set_device(&mut self, device: Option<Device>) {
        self.campaigns.set_device(device);
    }

    /// The shortest idle time (ms) above `after` that triggers a campaign: the SDK wakes up when the visitor
    /// crosses it. A scan of the campaigns (at most 64) rather than a kept list: less code.
    pub fn next_idle_threshold(&self, after: Millis) -> Option<Millis> {
        let mut next = None;
        for c in self.campaigns.campaigns() {
            if let campaigns::Trigger::Idle(t) = c.trigger {
                if t > after && next.is_none_or(|n| t < n) {
                    next = Some(t);
                }
            }
        }
        next
    }

    /// Run-time rule problems (type mismatches in data), for debug mode.
    pub fn take_diagnostics(&mut self) -> Vec<String> {
        let mut rendered = Vec::new();
        for d in &self.engine.take_diagnostics() {
            rendered.push(d.render());
        }
        rendered
    }

    /// The same definitions with no history: for a new visitor on this device. Its state is to be written, over
    /// the former visitor's (which the next page load would otherwise restore, and announce their exits).
    pub fn fresh(&self) -> Option<Box<Audience>> {
        match (self.rebuild)(&self.config) {
            Ok(mut a) => {
                a.mark_state_dirty();
                Some(Box::new(a))
            }
            Err(_) => None,
        }
    }

    /// What changed from `old`'s memberships and stages to this audience's (see [`Engine::changes_from`]).
    pub fn changes_from(&self, old: &Audience, now: Millis) -> Vec<Change> {
        self.engine.changes_from(&old.engine, now)
    }

    /// Takes over from the audience of the config this one replaces: when that one's campaigns had been told the
    /// session, this one's changes need not wait for the next event; its last show can still be taken back
    /// ([`campaigns::Engine::continue_from`]).
    pub fn continue_from(&mut self, old: &Audience) {
        self.campaigns.continue_from(&old.campaigns);
        if old.unsent.is_none() {
            self.unsent = None;
        }
    }

    /// Has [`Audience::take_state_write`] give the state even if nothing changed since it was last taken.
    pub fn mark_state_dirty(&mut self) {
        self.state_dirty = true;
    }
}

/// The earlier of two times, either of which may be missing.
pub fn earliest(a: Option<Millis>, b: Option<Millis>) -> Option<Millis> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The device class campaigns target, from the user agent: tablets first (iPads, Android without "Mobile"),
/// then phones, else desktop. An iPad's Safari asks for desktop pages with a Mac's user agent: a "Mac" with a touch
/// screen is an iPad (Macs have none).
pub fn device_of(env: &Environment) -> Device {
    let has = |s: &str| has_substring(&env.user_agent, s);
    if has("iPad")
        || has("Tablet")
        || (has("Android") && !has("Mobile"))
        || (has("Macintosh") && env.touch_points > 1)
    {
        Device::Tablet
    } else if has("Mobi") || has("iPhone") || has("Android") {
        Device::Mobile
    } else {
        Device::Desktop
    }
}

/// The message a change is reported with: (event name, properties).
pub fn change_event(change: &Change) -> (&'static str, Map) {
    let mut props = Map::new();
    match change {
        Change::SegmentEnter { segment, .. } => {
            props.insert("segment", segment.as_str().into());
            (SEGMENT_ENTERED, props)
        }
        Change::SegmentExit { segment, .. } => {
            props.insert("segment", segment.as_str().into());
            (SEGMENT_EXITED, props)
        }
        Change::Stage {
            journey, from, to, ..
        } => {
            props.insert("journey", journey.as_str().into());
            let opt = |s: &Option<String>| s.as_deref().map_or(Value::Null, Value::from);
            props.insert("from", opt(from));
            props.insert("to", opt(to));
            (STAGE_CHANGED, props)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::time::DAY;

    fn config() -> Value {
        json::parse(
            r#"{
              "segments": {"pricing-curious": "count(\"Page Viewed\", where: path starts_with \"/pricing\", within: 7d) >= 2"},
              "journeys": {"lifecycle": [
                 {"stage": "awareness", "rule": "count(\"Page Viewed\") >= 1"},
                 {"stage": "purchase", "rule": "count(\"Order Completed\") >= 1"}
              ]}
            }"#,
        )
        .unwrap()
    }

    fn page(path: &str) -> Map {
        let mut m = Map::new();
        m.insert("path", path.into());
        m
    }

    #[test]
    fn enters_and_leaves_a_segment_as_events_and_time_pass() {
        let mut a = Audience::from_config(&config()).unwrap();
        let c = a.ingest(Kind::Page, "Page Viewed", &page("/pricing"), Some(1), 0);
        assert!(matches!(&c[..], [Change::Stage { to: Some(s), .. }] if s == "awareness"));
        let c = a.ingest(
            Kind::Page,
            "Page Viewed",
            &page("/pricing/team"),
            Some(1),
            1_000,
        );
        assert!(
            matches!(&c[..], [Change::SegmentEnter { segment, .. }] if segment == "pricing-curious")
        );
        assert_eq!(a.segments(), ["pricing-curious"]);
        let wake = a.next_wakeup(0).unwrap();
        assert!(wake <= 7 * DAY + 1_000 && wake > 6 * DAY);
        let c = a.advance(wake, 0);
        assert!(matches!(&c[..], [Change::SegmentExit { .. }]));
        let (name, props) = change_event(&c[0]);
        assert_eq!(name, SEGMENT_EXITED);
        assert_eq!(
            props.get("segment").and_then(Value::as_str),
            Some("pricing-curious")
        );
    }

    #[test]
    fn state_survives_a_reload_without_re_announcing() {
        let mut a = Audience::from_config(&config()).unwrap();
        a.ingest(Kind::Page, "Page Viewed", &page("/pricing"), Some(1), 0);
        a.ingest(Kind::Page, "Page Viewed", &page("/pricing"), Some(1), 10);
        let state = a.take_state_write().unwrap();
        assert_eq!(a.take_state_write(), None);
        let mut b = Audience::from_config(&config()).unwrap();
        assert!(b.restore(&state));
        assert_eq!(b.segments(), ["pricing-curious"]);
        assert_eq!(b.stage("lifecycle"), Some("awareness"));
        let c = b.ingest(Kind::Track, "Order Completed", &Map::new(), Some(1), 20);
        let (name, props) = change_event(&c[0]);
        assert_eq!(name, STAGE_CHANGED);
        assert_eq!(props.get("from").and_then(Value::as_str), Some("awareness"));
        assert_eq!(props.get("to").and_then(Value::as_str), Some("purchase"));
        assert!(!b.restore("{garbage"));
    }

    #[test]
    fn shape_errors_do_not_hide_compile_errors_and_a_config_must_be_an_object() {
        let mixed = json::parse(r#"{"segments": {"buyer": 42, "x": "cout(\"A\") > 1"}}"#).unwrap();
        let errors = Audience::from_config(&mixed).err().unwrap();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("segments.buyer")));
        assert!(errors
            .iter()
            .any(|e| e.contains("segments.x") && e.contains("cout")));
        for not_object in ["[]", "\"x\"", "3"] {
            assert!(
                Audience::from_config(&json::parse(not_object).unwrap()).is_err(),
                "{not_object}"
            );
        }
    }

    #[test]
    fn the_engine_hands_its_facts_to_other_rules() {
        use crate::core::rules::{compile, evaluate, Input};
        let mut a = Audience::from_config(&config()).unwrap();
        a.ingest(Kind::Page, "Page Viewed", &page("/pricing"), Some(1), 0);
        a.ingest(Kind::Page, "Page Viewed", &page("/pricing"), Some(1), 10);
        let mut traits = Map::new();
        traits.insert("plan", "pro".into());
        a.set_traits(traits, 20);
        let input = a.engine.input();
        assert!(input.in_segment("pricing-curious"));
        assert_eq!(input.stage("lifecycle"), Some("awareness"));
        let rule = compile("in_segment(\"pricing-curious\") && traits.plan == \"pro\"").unwrap();
        assert!(evaluate(&rule, &input, 30).value);
    }

    #[test]
    fn a_compiled_config_decides_like_the_config_it_came_from() {
        let demo = json::parse(include_str!("../../www/demo-config.json")).unwrap();
        let compiled = json::parse(&compiled::compile(&demo).unwrap().to_json()).unwrap();
        let mut a = Audience::from_config(&demo).unwrap();
        let mut b = Audience::from_compiled(&compiled).unwrap();
        let mut added = Map::new();
        added.insert("sku", "pack".into());
        let steps: [(Kind, &str, Map); 5] = [
            (Kind::Page, "Page Viewed", page("/")),
            (Kind::Page, "Page Viewed", page("/pricing")),
            (Kind::Page, "Page Viewed", page("/product")),
            (Kind::Track, "Product Added", added),
            (Kind::Track, "Checkout Started", Map::new()),
        ];
        for (i, (kind, name, props)) in steps.iter().enumerate() {
            let at = i as i64 * 1_000;
            assert_eq!(
                a.ingest(*kind, name, props, Some(1), at),
                b.ingest(*kind, name, props, Some(1), at)
            );
            assert_eq!(a.take_decisions(), b.take_decisions());
        }
        assert_eq!(a.segments(), b.segments());
        assert_eq!(a.next_wakeup(0), b.next_wakeup(0));
        let wake = a.next_wakeup(0).unwrap();
        assert_eq!(a.advance(wake, 0), b.advance(wake, 0));
        assert_eq!(a.take_decisions(), b.take_decisions());
        assert_eq!(a.stage("lifecycle"), b.stage("lifecycle"));
        assert_eq!(a.explain("cart-exit", wake), b.explain("cart-exit", wake));
        assert!(b.fresh().is_some());
        assert_eq!(b.config().get("theme"), demo.get("theme"));
        assert!(
            Audience::from_compiled(&demo).is_err(),
            "a config as written is not compiled"
        );
    }

    #[test]
    fn the_demo_config_compiles() {
        let demo = json::parse(include_str!("../../www/demo-config.json")).unwrap();
        if let Err(errors) = Audience::from_config(&demo) {
            panic!("{}", errors.concat());
        }
    }

    #[test]
    fn a_bad_config_reports_every_error_with_its_location() {
        let bad =
            json::parse(r#"{"segments": {"a": "count(\"x\") >= ", "b": "traits.plan == 3 &&"}}"#)
                .unwrap();
        let errors = Audience::from_config(&bad).err().unwrap();
        assert_eq!(errors.len(), 2);
        assert!(
            errors.iter().all(|e| e.starts_with("config:")),
            "{errors:?}"
        );
        assert!(errors.iter().all(|e| e.contains('^')), "{errors:?}");
    }
}

#[cfg(test)]
mod campaign_facts_tests {
    use super::*;

    /// A page trigger's audience rule reads the page the trigger is for, as `wayline replay` plays it (the
    /// event's context first, then the session and page signals): not the page before it, whose context the
    /// engine held until the page view was counted.
    #[test]
    fn a_page_trigger_reads_the_new_page_in_its_audience_rule() {
        let config = json::parse(
            r#"{"campaigns": [
                 {"id": "ads", "trigger": {"page": "/pricing*"},
                  "audience": {"rule": "page.query.utm_source == \"ads\" && traits.plan == \"pro\""},
                  "action": {"type": "custom", "payload": {}}}]}"#,
        )
        .unwrap();
        let mut a = Audience::from_config(&config).unwrap();
        let mut props = Map::new();
        props.insert("url", "https://a.example/pricing?utm_source=ads".into());
        let context =
            json::parse(r#"{"page": {"path": "/pricing", "query": {"utm_source": "ads"}}}"#)
                .unwrap();
        let mut traits = Map::new();
        traits.insert("plan", "pro".into());
        a.ingest_in_context(
            Kind::Page,
            "Page Viewed",
            &props,
            Some(1),
            (Some(traits), Some((context, Value::Null))),
            1_000,
        );
        assert_eq!(
            a.take_decisions(),
            [Decision::Show {
                campaign: "ads".into()
            }]
        );
    }
}
