//! The incremental engine: segments and journeys over one shared aggregate store.

use super::change::Change;
use super::facts::{Facts, View};
use crate::core::json::{Map, Value};
use crate::core::rules::limits::{clamp_time, MAX_RULES};
use crate::core::rules::program::{Deps, Node, NodeKind};
use crate::core::rules::wakeup::next_wakeup;
use crate::core::rules::RunDiagnostic;
use crate::core::rules::{
    compile, compile_condition, evaluate, Diagnostic, Event, OwnedEvent, Program, Span, StateError,
    Store,
};

/// A rule as written in the config: an expression, or a GrowthBook-style JSON condition over the traits.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    Text(String),
    Condition(Value),
}

impl Rule {
    /// The text diagnostics point into.
    pub fn source(&self) -> String {
        match self {
            Rule::Text(s) => s.clone(),
            Rule::Condition(v) => v.to_json(),
        }
    }
}

impl From<&str> for Rule {
    fn from(s: &str) -> Rule {
        Rule::Text(s.to_string())
    }
}

/// A named rule: a segment, or a journey stage.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentDef {
    pub name: String,
    pub rule: Rule,
}

/// A journey: stages in order, the furthest that holds is the visitor's stage.
#[derive(Debug, Clone, PartialEq)]
pub struct JourneyDef {
    pub name: String,
    pub stages: Vec<SegmentDef>,
}

/// A rule that did not build, with where it lives in the config (`segments.pro`, `journeys.lifecycle.trial`).
#[derive(Debug, Clone, PartialEq)]
pub struct EngineError {
    pub origin: String,
    pub source: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl EngineError {
    /// Every diagnostic, rendered with `file:origin` as its origin.
    pub fn render(&self, file: &str) -> String {
        let origin = format!("{file}:{}", self.origin);
        self.diagnostics
            .iter()
            .map(|d| d.render(&self.source, &origin))
            .collect()
    }
}

/// Re-checks in one `advance` call beyond which the engine stops and catches up at `now` instead. Bounds the
/// work after a long sleep (each re-check moves a rule's wake-up strictly later).
const MAX_CATCH_UP: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UnitRef {
    Segment(usize),
    Journey(usize),
}

#[derive(Debug, Clone)]
struct Unit {
    what: UnitRef,
    deps: Deps,
    /// Units (by index, all later in the order) that read this one.
    dependents: Vec<usize>,
    wake: Option<i64>,
    dirty: bool,
}

#[derive(Debug, Clone)]
pub struct Engine {
    store: Store,
    facts: Facts,
    segment_rules: Vec<Program>,
    /// (segment name, member) in definition order.
    members: Vec<(String, bool)>,
    journey_rules: Vec<Vec<(String, Program)>>,
    /// (journey name, current stage).
    stages: Vec<(String, Option<String>)>,
    /// Units in dependency order: a unit comes after every segment or journey it reads.
    units: Vec<Unit>,
    /// Aggregate slot → units reading it.
    slot_units: Vec<Vec<usize>>,
    any_event_rule: bool,
    clock: i64,
    diagnostics: Vec<RuleDiagnostic>,
}

/// Run-time diagnostics kept between two `take_diagnostics` calls; older ones are dropped first.
const MAX_KEPT_DIAGNOSTICS: usize = 32;

/// A run-time diagnostic of one rule, with what is needed to show it.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleDiagnostic {
    pub origin: String,
    pub source: String,
    pub diagnostic: RunDiagnostic,
}

impl RuleDiagnostic {
    /// `origin:line:col: message [code]`, the source line and a caret line.
    pub fn render(&self) -> String {
        let d = Diagnostic::new(
            &self.source,
            self.diagnostic.span,
            self.diagnostic.code,
            self.diagnostic.message,
        );
        d.render(&self.source, &self.origin)
    }
}

fn find_span(n: &Node, pred: &dyn Fn(&NodeKind) -> bool) -> Option<Span> {
    if pred(&n.kind) {
        return Some(n.span);
    }
    let kids: Vec<&Node> = match &n.kind {
        NodeKind::Not(a)
        | NodeKind::Exists(a)
        | NodeKind::Matches(a, _)
        | NodeKind::TimeSince(a, _) => vec![a],
        NodeKind::And(a, b)
        | NodeKind::Or(a, b)
        | NodeKind::Cmp(_, a, b)
        | NodeKind::VersionCmp(_, a, b)
        | NodeKind::In(a, b)
        | NodeKind::Contains(a, b)
        | NodeKind::StartsWith(a, b)
        | NodeKind::EndsWith(a, b) => vec![a, b],
        NodeKind::List(items) => items.iter().collect(),
        _ => vec![],
    };
    kids.into_iter().find_map(|k| find_span(k, pred))
}

impl Engine {
    /// Compiles every rule, reporting all errors (each rule's, unknown segment or journey references, cycles,
    /// and limits) at once.
    pub fn new(
        segments: &[SegmentDef],
        journeys: &[JourneyDef],
    ) -> Result<Engine, Vec<EngineError>> {
        let mut errors = Vec::new();
        let mut store = Store::new();
        let total: usize = segments.len() + journeys.iter().map(|j| j.stages.len()).sum::<usize>();
        if total > MAX_RULES {
            errors.push(EngineError {
                origin: "segments".into(),
                source: String::new(),
                diagnostics: vec![Diagnostic::new(
                    "",
                    Span::default(),
                    "too-many-rules",
                    format!("the config has {total} rules; at most {MAX_RULES} are allowed"),
                )],
            });
            return Err(errors);
        }
        let mut build =
            |origin: String, def: &SegmentDef, errors: &mut Vec<EngineError>| -> Option<Program> {
                let source = def.rule.source();
                let fail = |diagnostics| EngineError {
                    origin: origin.clone(),
                    source: source.clone(),
                    diagnostics,
                };
                let compiled = match &def.rule {
                    Rule::Text(text) => compile(text),
                    Rule::Condition(c) => compile_condition(c),
                };
                match compiled {
                    Ok(mut p) => match store.bind(&mut p) {
                        Ok(()) => Some(p),
                        Err(e) => {
                            errors.push(fail(vec![Diagnostic::new(
                                &source,
                                Span::new(0, source.len()),
                                "too-many-aggregates",
                                e.to_string(),
                            )]));
                            None
                        }
                    },
                    Err(d) => {
                        errors.push(fail(d));
                        None
                    }
                }
            };
        let mut segment_rules = Vec::new();
        for s in segments {
            if let Some(p) = build(format!("segments.{}", s.name), s, &mut errors) {
                segment_rules.push(p);
            }
        }
        let mut journey_rules = Vec::new();
        for j in journeys {
            let mut stages = Vec::new();
            for st in &j.stages {
                if let Some(p) = build(format!("journeys.{}.{}", j.name, st.name), st, &mut errors)
                {
                    stages.push((st.name.clone(), p));
                }
            }
            journey_rules.push(stages);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        // Units and their references.
        let seg_index = |name: &str| segments.iter().position(|s| s.name == name);
        let jour_index = |name: &str| journeys.iter().position(|j| j.name == name);
        let mut raw: Vec<(UnitRef, Deps, String, String)> = Vec::new(); // (unit, deps, origin, source)
        for (i, p) in segment_rules.iter().enumerate() {
            raw.push((
                UnitRef::Segment(i),
                p.deps().clone(),
                format!("segments.{}", segments[i].name),
                segments[i].rule.source(),
            ));
        }
        for (j, stages) in journey_rules.iter().enumerate() {
            let mut deps = Deps::default();
            for (_, p) in stages {
                let d = p.deps();
                deps.traits |= d.traits;
                deps.context |= d.context;
                deps.event |= d.event;
                deps.clock |= d.clock;
                deps.identity |= d.identity;
                deps.segments.extend(d.segments.iter().cloned());
                deps.journeys.extend(d.journeys.iter().cloned());
            }
            raw.push((
                UnitRef::Journey(j),
                deps,
                format!("journeys.{}", journeys[j].name),
                String::new(),
            ));
        }
        // Unknown references are errors: a typo in a segment name would otherwise be silently false.
        let programs_of = |u: UnitRef| -> Vec<(&Program, String, String)> {
            match u {
                UnitRef::Segment(i) => vec![(
                    &segment_rules[i],
                    format!("segments.{}", segments[i].name),
                    segments[i].rule.source(),
                )],
                UnitRef::Journey(j) => journey_rules[j]
                    .iter()
                    .zip(&journeys[j].stages)
                    .map(|((_, p), def)| {
                        (
                            p,
                            format!("journeys.{}.{}", journeys[j].name, def.name),
                            def.rule.source(),
                        )
                    })
                    .collect(),
            }
        };
        for (u, deps, _, _) in &raw {
            for name in &deps.segments {
                if seg_index(name).is_none() {
                    for (p, origin, src) in programs_of(*u) {
                        if let Some(span) = find_span(
                            &p.root,
                            &|k| matches!(k, NodeKind::InSegment(n) if n == name),
                        ) {
                            errors.push(EngineError {
                                origin,
                                diagnostics: vec![Diagnostic::new(
                                    &src,
                                    span,
                                    "unknown-segment",
                                    format!("no segment is named `{name}`"),
                                )],
                                source: src,
                            });
                        }
                    }
                }
            }
            for name in &deps.journeys {
                if jour_index(name).is_none() {
                    for (p, origin, src) in programs_of(*u) {
                        if let Some(span) =
                            find_span(&p.root, &|k| matches!(k, NodeKind::Stage(n) if n == name))
                        {
                            errors.push(EngineError {
                                origin,
                                diagnostics: vec![Diagnostic::new(
                                    &src,
                                    span,
                                    "unknown-journey",
                                    format!("no journey is named `{name}`"),
                                )],
                                source: src,
                            });
                        }
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        // Dependency order (Kahn); what is left over is a cycle.
        let index_of = |u: UnitRef| match u {
            UnitRef::Segment(i) => i,
            UnitRef::Journey(j) => segment_rules.len() + j,
        };
        let n = raw.len();
        let mut reads: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (u, deps, _, _) in &raw {
            let me = index_of(*u);
            for s in &deps.segments {
                if let Some(i) = seg_index(s) {
                    reads[me].push(i);
                }
            }
            for j in &deps.journeys {
                if let Some(j) = jour_index(j) {
                    reads[me].push(segment_rules.len() + j);
                }
            }
        }
        let mut placed = vec![false; n];
        let mut order = Vec::with_capacity(n);
        while order.len() < n {
            let before = order.len();
            for i in 0..n {
                if !placed[i] && reads[i].iter().all(|&r| placed[r]) {
                    placed[i] = true;
                    order.push(i);
                }
            }
            if order.len() == before {
                for i in (0..n).filter(|&i| !placed[i]) {
                    errors.push(EngineError {
                        origin: raw[i].2.clone(),
                        source: raw[i].3.clone(),
                        diagnostics: vec![Diagnostic::new(
                            &raw[i].3,
                            Span::new(0, raw[i].3.len()),
                            "cycle",
                            "this rule depends on itself through in_segment/stage references",
                        )],
                    });
                }
                return Err(errors);
            }
        }
        let position: Vec<usize> = {
            let mut pos = vec![0; n];
            for (at, &i) in order.iter().enumerate() {
                pos[i] = at;
            }
            pos
        };
        let mut units: Vec<Unit> = order
            .iter()
            .map(|&i| Unit {
                what: raw[i].0,
                deps: raw[i].1.clone(),
                dependents: Vec::new(),
                wake: None,
                dirty: true,
            })
            .collect();
        for (i, r) in reads.iter().enumerate() {
            for &dep in r {
                let (from, to) = (position[dep], position[i]);
                if !units[from].dependents.contains(&to) {
                    units[from].dependents.push(to);
                }
            }
        }
        let mut slot_units = vec![Vec::new(); store.specs().len()];
        for (ui, u) in units.iter().enumerate() {
            let programs: Vec<&Program> = match u.what {
                UnitRef::Segment(i) => vec![&segment_rules[i]],
                UnitRef::Journey(j) => journey_rules[j].iter().map(|(_, p)| p).collect(),
            };
            for p in programs {
                for local in 0..p.aggregates().len() {
                    if let Some(slot) = p.slot(local) {
                        if !slot_units[slot].contains(&ui) {
                            slot_units[slot].push(ui);
                        }
                    }
                }
            }
        }
        let any_event_rule = units.iter().any(|u| u.deps.event);
        Ok(Engine {
            store,
            facts: Facts::default(),
            members: segments.iter().map(|s| (s.name.clone(), false)).collect(),
            segment_rules,
            stages: journeys.iter().map(|j| (j.name.clone(), None)).collect(),
            journey_rules,
            units,
            slot_units,
            any_event_rule,
            clock: i64::MIN,
            diagnostics: Vec::new(),
        })
    }

    /// Current segment memberships, in definition order.
    pub fn segments(&self) -> Vec<&str> {
        self.members
            .iter()
            .filter(|(_, m)| *m)
            .map(|(n, _)| n.as_str())
            .collect()
    }

    pub fn in_segment(&self, name: &str) -> bool {
        self.members.iter().any(|(n, m)| *m && n == name)
    }

    /// The visitor's current stage in `journey`.
    pub fn stage(&self, journey: &str) -> Option<&str> {
        self.stages
            .iter()
            .find(|(j, _)| j == journey)
            .and_then(|(_, s)| s.as_deref())
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The next instant at which any rule could change with no new event; `None` when none can.
    pub fn next_wakeup(&self) -> Option<i64> {
        self.units.iter().filter_map(|u| u.wake).min()
    }

    /// Processes an event at `now_ms`: first catches up with time, then updates facts and aggregates and
    /// re-evaluates only the rules that read what changed.
    pub fn ingest(&mut self, event: &Event<'_>, now_ms: i64) -> Vec<Change> {
        let now = clamp_time(now_ms).max(self.clock);
        let mut changes = self.advance(now);
        if event.kind == "identify" && !event.properties.is_empty() {
            self.facts.traits.merge(event.properties);
            self.mark(|d| d.traits);
        }
        if let Some(ctx) = event.context {
            if *ctx != self.facts.context {
                self.facts.context = ctx.clone();
                self.mark(|d| d.context);
            }
        }
        if self.any_event_rule {
            self.facts.last_event = Some(OwnedEvent::from_event(event));
            self.mark(|d| d.event);
        }
        for slot in self.store.ingest(event, now) {
            for &u in &self.slot_units[slot] {
                self.units[u].dirty = true;
            }
        }
        changes.extend(self.run_dirty(now));
        changes
    }

    /// Catches up with time: re-checks, in time order, every rule due to change by `now_ms`, reporting each
    /// change at the instant it happened. The first call evaluates every rule.
    pub fn advance(&mut self, now_ms: i64) -> Vec<Change> {
        let now = clamp_time(now_ms).max(self.clock);
        let mut changes = Vec::new();
        // Rules marked by a setter, a restore or construction are brought up to date first.
        if self.units.iter().any(|u| u.dirty) {
            changes.extend(self.run_dirty(now));
        }
        for _ in 0..MAX_CATCH_UP {
            let Some(next) = self.next_wakeup() else {
                break;
            };
            if next > now {
                break;
            }
            for u in &mut self.units {
                if u.wake.is_some_and(|w| w <= next) {
                    u.dirty = true;
                }
            }
            changes.extend(self.run_dirty(next));
        }
        // Past the catch-up bound, settle everything still due at `now`.
        if self.next_wakeup().is_some_and(|w| w <= now) {
            for u in &mut self.units {
                if u.wake.is_some_and(|w| w <= now) {
                    u.dirty = true;
                }
            }
            changes.extend(self.run_dirty(now));
        }
        self.clock = now;
        changes
    }

    /// Replaces the traits (e.g. restored from the profile) and re-evaluates the rules that read them.
    pub fn set_traits(&mut self, traits: Map, now_ms: i64) -> Vec<Change> {
        self.facts.traits = traits;
        self.mark(|d| d.traits);
        self.settle(now_ms)
    }

    pub fn set_context(&mut self, context: Value, now_ms: i64) -> Vec<Change> {
        self.facts.context = context;
        self.mark(|d| d.context);
        self.settle(now_ms)
    }

    pub fn set_channel(&mut self, channel: Value, now_ms: i64) -> Vec<Change> {
        self.facts.channel = channel;
        self.mark(|d| d.context);
        self.settle(now_ms)
    }

    pub fn set_anonymous_id(&mut self, id: &str, now_ms: i64) -> Vec<Change> {
        self.facts.anonymous_id = id.to_string();
        self.mark(|d| d.identity);
        self.settle(now_ms)
    }

    fn settle(&mut self, now_ms: i64) -> Vec<Change> {
        self.advance(now_ms)
    }

    fn mark(&mut self, pred: impl Fn(&Deps) -> bool) {
        for u in &mut self.units {
            if pred(&u.deps) {
                u.dirty = true;
            }
        }
    }

    /// Evaluates every dirty unit in dependency order at `now`; a unit whose output changes dirties its
    /// dependents (which come later).
    fn run_dirty(&mut self, now: i64) -> Vec<Change> {
        let mut changes = Vec::new();
        for ui in 0..self.units.len() {
            if !self.units[ui].dirty {
                continue;
            }
            self.units[ui].dirty = false;
            let changed = match self.units[ui].what {
                UnitRef::Segment(i) => {
                    let result = {
                        let view = self.view();
                        evaluate(&self.segment_rules[i], &view, now)
                    };
                    let value = result.value;
                    if !result.diagnostics.is_empty() {
                        let origin = format!("segments.{}", self.members[i].0);
                        let source = String::from(self.segment_rules[i].source());
                        self.note(origin, &source, result.diagnostics);
                    }
                    let (name, member) = &mut self.members[i];
                    if value != *member {
                        *member = value;
                        let segment = name.clone();
                        changes.push(if value {
                            Change::SegmentEnter { segment, at: now }
                        } else {
                            Change::SegmentExit { segment, at: now }
                        });
                        true
                    } else {
                        false
                    }
                }
                UnitRef::Journey(j) => {
                    let mut found = None;
                    let mut notes = Vec::new();
                    {
                        let view = self.view();
                        for (k, (stage, p)) in self.journey_rules[j].iter().enumerate().rev() {
                            let result = evaluate(p, &view, now);
                            if !result.diagnostics.is_empty() {
                                notes.push((
                                    format!("journeys.{}.{stage}", self.stages[j].0),
                                    p.source().to_string(),
                                    result.diagnostics,
                                ));
                            }
                            if result.value {
                                found = Some(k);
                                break;
                            }
                        }
                    }
                    for (origin, source, d) in notes {
                        self.note(origin, &source, d);
                    }
                    let stage = found.map(|k| self.journey_rules[j][k].0.clone());
                    let (name, current) = &mut self.stages[j];
                    if stage != *current {
                        changes.push(Change::Stage {
                            journey: name.clone(),
                            from: current.clone(),
                            to: stage.clone(),
                            at: now,
                        });
                        *current = stage;
                        true
                    } else {
                        false
                    }
                }
            };
            if changed {
                for k in self.units[ui].dependents.clone() {
                    self.units[k].dirty = true;
                }
            }
            let wake = {
                let view = self.view();
                let programs: Vec<&Program> = match self.units[ui].what {
                    UnitRef::Segment(i) => vec![&self.segment_rules[i]],
                    UnitRef::Journey(j) => self.journey_rules[j].iter().map(|(_, p)| p).collect(),
                };
                programs
                    .iter()
                    .filter_map(|p| next_wakeup(p, &view, &self.store, now))
                    .min()
            };
            self.units[ui].wake = wake;
        }
        changes
    }

    /// Keeps run-time diagnostics (bounded) for the SDK's debug mode.
    fn note(&mut self, origin: String, source: &str, diagnostics: Vec<RunDiagnostic>) {
        for diagnostic in diagnostics {
            if self.diagnostics.len() >= MAX_KEPT_DIAGNOSTICS {
                self.diagnostics.remove(0);
            }
            self.diagnostics.push(RuleDiagnostic {
                origin: origin.clone(),
                source: source.to_string(),
                diagnostic,
            });
        }
    }

    /// Run-time diagnostics since the last call (a type mismatch in data, a step budget exceeded): the rule
    /// was false; in debug mode the SDK logs these.
    pub fn take_diagnostics(&mut self) -> Vec<RuleDiagnostic> {
        std::mem::take(&mut self.diagnostics)
    }

    fn view(&self) -> View<'_> {
        View {
            facts: &self.facts,
            store: &self.store,
            members: &self.members,
            stages: &self.stages,
        }
    }

    /// The persisted form: aggregates, memberships, stages and the clock, versioned.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("v", Value::Number(1.0));
        m.insert("store", self.store.to_value());
        m.insert(
            "segments",
            Value::Array(self.segments().into_iter().map(Value::from).collect()),
        );
        let mut stages = Map::new();
        for (j, s) in &self.stages {
            if let Some(s) = s {
                stages.insert(j.clone(), Value::from(s.as_str()));
            }
        }
        m.insert("stages", Value::Object(stages));
        if self.clock != i64::MIN {
            m.insert("clock", Value::Number(self.clock as f64));
        }
        Value::Object(m)
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
        let members: Vec<&str> = v
            .get("segments")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (name, m) in &mut self.members {
            *m = members.contains(&name.as_str());
        }
        for (j, (name, current)) in self.stages.iter_mut().enumerate() {
            *current = v
                .get("stages")
                .and_then(|s| s.get(name))
                .and_then(Value::as_str)
                .filter(|s| self.journey_rules[j].iter().any(|(n, _)| n == s))
                .map(str::to_string);
        }
        if let Some(c) = v.get("clock").and_then(Value::as_f64) {
            self.clock = clamp_time(c as i64);
        }
        for u in &mut self.units {
            u.dirty = true;
        }
        Ok(())
    }
}
