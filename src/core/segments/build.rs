//! Building an engine from definitions: compile every rule, check the references between segments and
//! journeys, and order them so each comes after what it reads. Every error that can be found is reported at
//! once: a compile error in one rule does not hide an unknown reference in another.

use super::defs::{EngineError, JourneyDef, Rule, SegmentDef};
use crate::core::rules::functions::closest;
use crate::core::rules::limits::MAX_RULES;
use crate::core::rules::program::{Node, NodeKind, Text};
use crate::core::rules::{
    compile, compile_condition, Diagnostic, Program, Span, Store, StoreError,
};

/// A segment, or a whole journey: what is evaluated, and re-evaluated, as one. A segment is a journey of one
/// stage: one shape for both, so the engine has one loop, one lookup and one state entry kind where it had two.
#[derive(Debug, Clone)]
pub struct Unit {
    pub name: String,
    /// A journey (one rule per stage) rather than a segment (one rule).
    pub journey: bool,
    /// Its rules: `Rules::rules[first..end]` (a segment's one rule is named as the segment).
    pub(super) first: usize,
    pub(super) end: usize,
    /// What its rules read besides segments and journeys (those are in `reads`): the programs' `Deps::flags`
    /// combined.
    pub(super) flags: u8,
    /// The units it reads (all earlier in the order), which dirty it when they change.
    pub(super) reads: Vec<usize>,
    pub(super) wake: Option<i64>,
    pub(super) dirty: bool,
    /// 1 + the index of the furthest stage that holds, 0 when none does.
    pub(super) held: usize,
}

/// Compiled rules, unit by unit in config order (segments, then journeys): what a compiled config carries (see
/// `compiled.rs`). Built with [`Rules::unit`] and [`Rules::rule`].
#[derive(Debug, Clone, Default)]
pub struct Rules {
    pub units: Vec<Unit>,
    /// Every rule, unit by unit: (the stage's name, or the segment's; the program).
    pub rules: Vec<(String, Program)>,
}

impl Rules {
    /// Starts a segment (`journey` false; its one rule follows) or a journey (its stages follow, in order).
    pub fn unit(&mut self, name: String, journey: bool) {
        let at = self.rules.len();
        self.units.push(Unit {
            name,
            journey,
            first: at,
            end: at,
            flags: 0,
            reads: Vec::new(),
            wake: None,
            dirty: true,
            held: 0,
        });
    }

    /// Adds a rule to the unit last started (a journey's stage; a segment's rule, named as the segment).
    pub fn rule(&mut self, name: String, program: Program) {
        self.rules.push((name, program));
        let end = self.rules.len();
        if let Some(u) = self.units.last_mut() {
            u.end = end;
        }
    }

    /// The rules of a unit.
    pub fn of(&self, u: &Unit) -> &[(String, Program)] {
        self.rules.get(u.first..u.end).unwrap_or_default()
    }

    /// The first segment (`journey` false) or journey named `name`.
    pub fn named(&self, journey: bool, name: &str) -> Option<usize> {
        for (i, u) in self.units.iter().enumerate() {
            if u.journey == journey && u.name == name {
                return Some(i);
            }
        }
        None
    }
}

pub(super) struct Built {
    pub store: Store,
    /// The rules as given, bound to `store`, with each unit's dependencies worked out.
    pub rules: Rules,
    /// Unit indices in dependency order: a unit comes after every segment or journey it reads.
    pub order: Vec<usize>,
    /// Aggregate slot → the units whose rules read it.
    pub slot_units: Vec<Vec<usize>>,
}

/// One rule of the config, compiled (or not).
struct Compiled {
    origin: String,
    source: String,
    program: Option<Program>,
}

fn error(
    origin: &str,
    source: &str,
    span: Span,
    code: &'static str,
    message: String,
) -> EngineError {
    EngineError {
        origin: origin.to_string(),
        source: source.to_string(),
        diagnostics: vec![Diagnostic::new(source, span, code, message)],
    }
}

fn find_span(n: &Node, pred: &dyn Fn(&NodeKind) -> bool) -> Option<Span> {
    if pred(&n.kind) {
        return Some(n.span);
    }
    let kids: Vec<&Node> = match &n.kind {
        NodeKind::Unary(_, a) | NodeKind::Matches(a, _) => vec![a],
        NodeKind::Binary(_, a, b) => vec![a, b],
        NodeKind::Many(_, items) => items.iter().collect(),
        _ => vec![],
    };
    kids.into_iter().find_map(|k| find_span(k, pred))
}

pub(super) fn build(
    segments: &[SegmentDef],
    journeys: &[JourneyDef],
) -> Result<Built, Vec<EngineError>> {
    let total: usize = segments.len() + journeys.iter().map(|j| j.stages.len()).sum::<usize>();
    if total > MAX_RULES {
        let message = format!("the config has {total} rules; at most {MAX_RULES} are allowed");
        return Err(vec![error(
            "segments",
            "",
            Span::default(),
            "too-many-rules",
            message,
        )]);
    }
    let mut errors = Vec::new();
    let mut compiled: Vec<Compiled> = Vec::with_capacity(total);
    let defs = segments
        .iter()
        .map(|s| (format!("segments.{}", s.name), s))
        .chain(journeys.iter().flat_map(|jd| {
            jd.stages
                .iter()
                .map(move |st| (format!("journeys.{}.{}", jd.name, st.name), st))
        }));
    for (origin, def) in defs {
        let source = def.rule.source();
        let result = match &def.rule {
            Rule::Text(text) => compile(text),
            Rule::Condition(c) => compile_condition(c),
        };
        let program = match result {
            Ok(p) => Some(p),
            Err(diagnostics) => {
                errors.push(EngineError {
                    origin: origin.clone(),
                    source: source.clone(),
                    diagnostics,
                });
                None
            }
        };
        compiled.push(Compiled {
            origin,
            source,
            program,
        });
    }
    // Unknown references are errors: a typo in a segment name would otherwise be silently false.
    let seg_index = |name: &str| segments.iter().position(|s| s.name == name);
    let jour_index = |name: &str| journeys.iter().position(|j| j.name == name);
    for c in &compiled {
        let Some(p) = &c.program else { continue };
        for name in &p.deps().segments {
            if seg_index(name).is_none() {
                if let Some(span) = find_span(
                    &p.root,
                    &|k| matches!(k, NodeKind::Text(Text::Segment, n) if n == name),
                ) {
                    let meant = closest(name, segments.iter().map(|s| s.name.as_str()));
                    let message = match meant {
                        Some(meant) => {
                            format!("no segment is named `{name}`; did you mean `{meant}`?")
                        }
                        None => format!("no segment is named `{name}`"),
                    };
                    errors.push(error(
                        &c.origin,
                        &c.source,
                        span,
                        "unknown-segment",
                        message,
                    ));
                }
            }
        }
        for name in &p.deps().journeys {
            if jour_index(name).is_none() {
                if let Some(span) = find_span(
                    &p.root,
                    &|k| matches!(k, NodeKind::Text(Text::Stage, n) if n == name),
                ) {
                    let meant = closest(name, journeys.iter().map(|j| j.name.as_str()));
                    let message = match meant {
                        Some(meant) => {
                            format!("no journey is named `{name}`; did you mean `{meant}`?")
                        }
                        None => format!("no journey is named `{name}`"),
                    };
                    errors.push(error(
                        &c.origin,
                        &c.source,
                        span,
                        "unknown-journey",
                        message,
                    ));
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Every rule compiled (there were no errors), in the order of the definitions.
    let mut programs = compiled.into_iter().filter_map(|c| c.program);
    let mut rules = Rules::default();
    for s in segments {
        rules.unit(s.name.clone(), false);
        if let Some(p) = programs.next() {
            rules.rule(s.name.clone(), p);
        }
    }
    for j in journeys {
        rules.unit(j.name.clone(), true);
        for st in &j.stages {
            if let Some(p) = programs.next() {
                rules.rule(st.name.clone(), p);
            }
        }
    }
    let mut errors = Vec::new();
    match assemble(rules, &mut |problem| errors.push(problem.render())) {
        Some(built) => Ok(built),
        None => Err(errors),
    }
}

/// Why compiled rules cannot make an engine. Rendered into an [`EngineError`] (source line, caret, message) only
/// for a config as written: a compiled config with a problem is simply refused, so the browser build that reads
/// compiled configs links none of the message code.
///
/// The origin (`segments.x`, `journeys.j.stage`) comes in parts, joined only when rendered.
pub(super) enum Problem<'a> {
    TooManyAggregates {
        origin: [&'a str; 4],
        source: &'a str,
    },
    Cycle {
        origin: [&'a str; 4],
        source: &'a str,
    },
}

impl Problem<'_> {
    fn render(&self) -> EngineError {
        match *self {
            Problem::TooManyAggregates { origin, source } => error(
                &origin.concat(),
                source,
                Span::new(0, source.len()),
                "too-many-aggregates",
                StoreError::TooManyAggregates.to_string(),
            ),
            Problem::Cycle { origin, source } => error(
                &origin.concat(),
                source,
                Span::new(0, source.len()),
                "cycle",
                "this rule depends on itself through in_segment/stage references".to_string(),
            ),
        }
    }
}

/// Binds compiled rules to one aggregate store and orders them so each comes after what it reads. A reference
/// to a segment or journey that does not exist reads as false (the compiler reports it; a compiled config has
/// none). Errors: too many aggregates, or a cycle.
///
/// Generic over `problem`: a build that reads compiled configs only passes one that ignores them, and its copy then
/// carries no code for reporting them.
pub(super) fn assemble(mut rules: Rules, problem: &mut impl FnMut(Problem<'_>)) -> Option<Built> {
    let mut failed = false;
    let mut store = Store::new();
    for u in &rules.units {
        let prefix = if u.journey { "journeys." } else { "segments." };
        for (stage, p) in rules.rules.get_mut(u.first..u.end).unwrap_or_default() {
            if store.bind(p).is_err() {
                failed = true;
                let (dot, stage) = if u.journey { (".", &**stage) } else { ("", "") };
                problem(Problem::TooManyAggregates {
                    origin: [prefix, &u.name, dot, stage],
                    source: p.source(),
                });
            }
        }
    }
    if failed {
        return None;
    }
    // Each unit's combined dependency flags, the units it reads, and the units each aggregate slot concerns (a
    // unit listed twice for a slot is only marked dirty twice). Plain loops throughout: iterator chains cost wasm
    // bytes per closure.
    let n = rules.units.len();
    // Pushed one by one: `vec![Vec::new(); n]` links the standard library's clone-filling for this alone.
    let mut slot_units = Vec::with_capacity(store.specs().len());
    for _ in store.specs() {
        slot_units.push(Vec::new());
    }
    for i in 0..n {
        let mut flags = 0;
        let mut reads = Vec::new();
        for (_, p) in rules.of(&rules.units[i]) {
            for &slot in &p.slots {
                if let Some(units) = slot_units.get_mut(slot) {
                    units.push(i);
                }
            }
            let pd = p.deps();
            flags |= pd.flags;
            for s in &pd.segments {
                if let Some(k) = rules.named(false, s) {
                    reads.push(k);
                }
            }
            for j in &pd.journeys {
                if let Some(k) = rules.named(true, j) {
                    reads.push(k);
                }
            }
        }
        let u = &mut rules.units[i];
        u.flags = flags;
        u.reads = reads;
    }
    let mut placed = vec![false; n];
    let mut order = Vec::with_capacity(n);
    while order.len() < n {
        let before = order.len();
        'unit: for i in 0..n {
            if placed[i] {
                continue;
            }
            for &r in &rules.units[i].reads {
                if !placed[r] {
                    continue 'unit;
                }
            }
            placed[i] = true;
            order.push(i);
        }
        if order.len() == before {
            for (i, &done) in placed.iter().enumerate() {
                if done {
                    continue;
                }
                let u = &rules.units[i];
                let (prefix, source) = match rules.of(u).first() {
                    Some((_, p)) if !u.journey => ("segments.", p.source()),
                    _ => ("journeys.", ""),
                };
                problem(Problem::Cycle {
                    origin: [prefix, &u.name, "", ""],
                    source,
                });
            }
            return None;
        }
    }
    Some(Built {
        store,
        rules,
        order,
        slot_units,
    })
}
