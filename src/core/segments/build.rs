//! Building an engine from definitions: compile every rule, check the references between segments and
//! journeys, and order them so each comes after what it reads. Every error that can be found is reported at
//! once: a compile error in one rule does not hide an unknown reference in another.

use super::defs::{EngineError, JourneyDef, Rule, SegmentDef};
use crate::core::rules::limits::MAX_RULES;
use crate::core::rules::program::{Node, NodeKind, Text};
use crate::core::rules::{
    compile, compile_condition, Diagnostic, Program, Span, Store, StoreError,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum UnitRef {
    Segment(usize),
    Journey(usize),
}

/// A segment, or a whole journey: what is evaluated, and re-evaluated, as one. Units are numbered as
/// [`rules_of`] numbers them: segments first, then journeys.
#[derive(Debug, Clone)]
pub(super) struct Unit {
    /// What its rules read besides segments and journeys (those are in `reads`): the programs' `Deps::flags`
    /// combined.
    pub flags: u8,
    /// The units it reads (all earlier in the order), which dirty it when they change.
    pub reads: Vec<usize>,
    pub wake: Option<i64>,
    pub dirty: bool,
}

pub(super) struct Built {
    pub store: Store,
    /// The rules as given, bound to `store`.
    pub rules: Rules,
    /// One per segment, then one per journey.
    pub units: Vec<Unit>,
    /// Unit indices in dependency order: a unit comes after every segment or journey it reads.
    pub order: Vec<usize>,
}

/// The rules of unit `i`, counting segments first, then journeys: a segment's one rule, or a journey's stages.
pub(super) fn rules_of(rules: &Rules, i: usize) -> &[(String, Program)] {
    match rules.segments.get(i..=i) {
        Some(one) => one,
        None => rules
            .journeys
            .get(i - rules.segments.len())
            .map_or(&[], |(_, stages)| stages.as_slice()),
    }
}

/// One rule of the config, compiled (or not).
struct Compiled {
    unit: UnitRef,
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

/// Compiled rules by name, in config order: what a compiled config carries (see `rules/wire.rs`).
#[derive(Debug, Clone, Default)]
pub struct Rules {
    pub segments: Vec<(String, Program)>,
    /// Journeys, each with its stages in order.
    pub journeys: Vec<(String, Vec<(String, Program)>)>,
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
        .enumerate()
        .map(|(i, s)| (UnitRef::Segment(i), format!("segments.{}", s.name), s))
        .chain(journeys.iter().enumerate().flat_map(|(j, jd)| {
            jd.stages.iter().map(move |st| {
                (
                    UnitRef::Journey(j),
                    format!("journeys.{}.{}", jd.name, st.name),
                    st,
                )
            })
        }));
    for (unit, origin, def) in defs {
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
            unit,
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
                    let message = format!("no segment is named `{name}`");
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
                    let message = format!("no journey is named `{name}`");
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
    let mut rules = Rules {
        segments: Vec::with_capacity(segments.len()),
        journeys: journeys
            .iter()
            .map(|j| (j.name.clone(), Vec::new()))
            .collect(),
    };
    let mut stage_names = journeys
        .iter()
        .flat_map(|j| j.stages.iter().map(|s| s.name.clone()));
    for c in compiled {
        let Some(p) = c.program else { continue };
        match c.unit {
            UnitRef::Segment(i) => {
                let name = segments.get(i).map(|s| s.name.clone()).unwrap_or_default();
                rules.segments.push((name, p));
            }
            UnitRef::Journey(j) => {
                let name = stage_names.next().unwrap_or_default();
                if let Some((_, stages)) = rules.journeys.get_mut(j) {
                    stages.push((name, p));
                }
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
    for (name, p) in &mut rules.segments {
        if store.bind(p).is_err() {
            failed = true;
            problem(Problem::TooManyAggregates {
                origin: ["segments.", name, "", ""],
                source: p.source(),
            });
        }
    }
    for (name, stages) in &mut rules.journeys {
        for (stage, p) in stages {
            if store.bind(p).is_err() {
                failed = true;
                problem(Problem::TooManyAggregates {
                    origin: ["journeys.", name, ".", stage],
                    source: p.source(),
                });
            }
        }
    }
    if failed {
        return None;
    }
    // Each unit's combined dependency flags, and the units it reads (by index: segments, then journeys). Plain
    // loops throughout: iterator chains cost wasm bytes per closure.
    let n_segments = rules.segments.len();
    let n = n_segments + rules.journeys.len();
    let mut units: Vec<Unit> = Vec::with_capacity(n);
    for i in 0..n {
        let mut flags = 0;
        let mut reads = Vec::new();
        for (_, p) in rules_of(&rules, i) {
            let pd = p.deps();
            flags |= pd.flags;
            for s in &pd.segments {
                if let Some(k) = unit_named(&rules, 0..n_segments, s) {
                    reads.push(k);
                }
            }
            for j in &pd.journeys {
                if let Some(k) = unit_named(&rules, n_segments..n, j) {
                    reads.push(k);
                }
            }
        }
        units.push(Unit {
            flags,
            reads,
            wake: None,
            dirty: true,
        });
    }
    let mut placed = vec![false; n];
    let mut order = Vec::with_capacity(n);
    while order.len() < n {
        let before = order.len();
        'unit: for i in 0..n {
            if placed[i] {
                continue;
            }
            for &r in &units[i].reads {
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
                let (origin, source) = match rules.segments.get(i) {
                    Some((name, p)) => (["segments.", name, "", ""], p.source()),
                    None => (["journeys.", &rules.journeys[i - n_segments].0, "", ""], ""),
                };
                problem(Problem::Cycle { origin, source });
            }
            return None;
        }
    }
    Some(Built {
        store,
        rules,
        units,
        order,
    })
}

/// The first unit in `units` (numbered as [`rules_of`] numbers them) named `name`. One function for segments and
/// journeys rather than a generic one per list.
fn unit_named(rules: &Rules, units: std::ops::Range<usize>, name: &str) -> Option<usize> {
    let n_segments = rules.segments.len();
    for i in units {
        let unit = match rules.segments.get(i) {
            Some((s, _)) => s,
            None => &rules.journeys[i - n_segments].0,
        };
        if unit == name {
            return Some(i);
        }
    }
    None
}
