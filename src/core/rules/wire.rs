//! Compiled rules as data: a [`Program`] written as compact JSON and read back without the compiler.
//!
//! The collector (and `wayline compile`) compile a config once; the browser reads the result, so the lexer,
//! parser, checker and GrowthBook compiler — and their error messages — stay out of the shipped SDK. Reading is
//! strict and bounded: a value that is not exactly what [`program_to_value`] writes (a wrong tag, an aggregate
//! index out of range, a tree deeper than [`MAX_WIRE_DEPTH`]) gives `None`, never a panic or a program that could
//! misbehave.
//!
//! Everything is positional and tagged with numbers (a `match` on a number is a jump table in the browser's
//! wasm; on a string it is a chain of comparisons). A node is an array `[tag, start, end, payload?,
//! ...children]` (start and end are its span in the rule's source, for `explain`); see `node_to_value`.

use std::rc::Rc;

use super::diagnostic::Span;
use super::growthbook::{Cond, Nested, Op, Test, ValueOp};
use super::limits::MAX_WINDOW_MS;
use super::program::{Binary, CmpOp, Deps, Many, Node, NodeKind, Program, Root, Text, Unary};
use super::regex::Regex;
use super::series::Combine;
use super::spec::{AggKind, AggSpec};
use crate::core::json::Value;

/// Nesting a compiled config may have (rules are at most 32 levels deep; a node tree adds a few per level).
pub const MAX_WIRE_DEPTH: usize = 200;

fn num(x: f64) -> Value {
    Value::Number(x)
}

fn text(s: &str) -> Value {
    Value::String(s.to_string())
}

fn strings(v: &[String]) -> Value {
    Value::Array(v.iter().map(|s| text(s)).collect())
}

/// A JSON array of strings. A plain loop: the iterator-adapter form (or a generic reader taking a closure) is
/// instantiated anew for every element type and closure, which costs wasm bytes in the browser build.
pub(crate) fn read_strings(v: &Value) -> Option<Vec<String>> {
    let items = v.as_array()?;
    let mut out = Vec::with_capacity(items.len());
    for s in items {
        out.push(s.as_str()?.to_string());
    }
    Some(out)
}

/// A whole number from 0 to 10⁹: an index, a span's end, a tag.
pub fn index(v: &Value) -> Option<usize> {
    v.as_f64()
        .filter(|x| *x >= 0.0 && *x <= 1e9 && x.fract() == 0.0)
        .map(|x| x as usize)
}

/// [`index`], or `usize::MAX` for anything else: out of every range a reader accepts, so one range check refuses
/// both (a refusal per `?` is its own copy of the clean-up code).
fn whole(v: &Value) -> usize {
    index(v).unwrap_or(usize::MAX)
}

/// `[src, root, aggs, flags, segments, journeys]`: `flags` holds the dependencies on traits (1), context (2),
/// the event (4), the clock (8) and the visitor's identity (16).
pub fn program_to_value(p: &Program) -> Value {
    let d = &p.deps;
    Value::Array(vec![
        text(&p.source),
        node_to_value(&p.root),
        Value::Array(p.aggregates.iter().map(|a| agg_to_value(a)).collect()),
        num(f64::from(d.flags)),
        strings(&d.segments),
        strings(&d.journeys),
    ])
}

pub fn program_from_value(v: &Value) -> Option<Program> {
    let [source, root, aggs, flags, segments, journeys] = v.as_array()? else {
        return None;
    };
    // What needs no allocation is checked first; the rest is filled in place, so that a refusal anywhere drops
    // the one program rather than whichever parts were read (a clean-up path per `?`).
    let source = source.as_str()?;
    let flags = whole(flags);
    if flags >= 32 {
        return None;
    }
    let mut p = Program {
        root: Node {
            kind: NodeKind::Null,
            span: Span::default(),
        },
        aggregates: Vec::new(),
        slots: Vec::new(),
        deps: Deps {
            flags: flags as u8,
            segments: Vec::new(),
            journeys: Vec::new(),
        },
        source: source.to_string(),
    };
    for a in aggs.as_array()? {
        p.aggregates.push(Rc::new(agg_from_value(a, source.len())?));
        p.slots.push(p.slots.len());
    }
    p.root = Reader {
        aggregates: p.slots.len(),
        source_len: source.len(),
    }
    .node(root, 0)?;
    p.deps.segments = read_strings(segments)?;
    p.deps.journeys = read_strings(journeys)?;
    Some(p)
}

/// `[event, filter, window, key, kind, ...kind's arguments]`. Kinds: 0 count, 1 first, 2 last, 3 sessions,
/// 4 engaged, 5 sum, 6 min, 7 max, 8 last value (each of these four with a path), 9 sequence (steps,
/// absent last, within ms).
fn agg_to_value(a: &AggSpec) -> Value {
    let mut out = vec![
        text(&a.event),
        a.filter.as_ref().map_or(Value::Null, node_to_value),
        a.window_ms.map_or(Value::Null, |w| num(w as f64)),
        text(&a.key),
    ];
    let (tag, args) = match &a.kind {
        AggKind::Count => (0, vec![]),
        AggKind::First => (1, vec![]),
        AggKind::Last => (2, vec![]),
        AggKind::Sessions => (3, vec![]),
        AggKind::Engaged => (4, vec![]),
        AggKind::Number(op, p) => (5 + offset(&COMBINE, op), vec![strings(p)]),
        AggKind::LastValue(p) => (8, vec![strings(p)]),
        AggKind::Sequence {
            steps,
            absent_last,
            within_ms,
        } => (
            9,
            vec![
                strings(steps),
                Value::Bool(*absent_last),
                num(*within_ms as f64),
            ],
        ),
    };
    out.push(num(tag as f64));
    out.extend(args);
    Value::Array(out)
}

/// Sum, min and max, by their kind's offset from 5.
const COMBINE: [Combine; 3] = [Combine::Sum, Combine::Min, Combine::Max];

/// A `within:` window as the checker allows one (1 s to [`MAX_WINDOW_MS`]): any other is a damaged config, whose
/// bucket and wake-up arithmetic would not stay in range.
fn window_of(v: &Value) -> Option<i64> {
    let ms = v.as_f64()?;
    (1_000.0..=MAX_WINDOW_MS as f64)
        .contains(&ms)
        .then_some(ms as i64)
}

fn agg_from_value(v: &Value, source_len: usize) -> Option<AggSpec> {
    let [event, filter, window, key, kind, args @ ..] = v.as_array()? else {
        return None;
    };
    // What needs no allocation is checked first: a refusal after an allocation costs its clean-up code.
    let (event, key) = (event.as_str()?, key.as_str()?);
    let window_ms = match window {
        Value::Null => None,
        w => Some(window_of(w)?),
    };
    // A filter reads only the event: it has no aggregates of its own. (Read before the kind: a refusal of the kind
    // then drops a node, whose clean-up the reader has anyway, rather than the kind's lists.)
    let filter = match filter {
        Value::Null => None,
        f => Some(
            Reader {
                aggregates: 0,
                source_len,
            }
            .node(f, 0)?,
        ),
    };
    let kind = match (whole(kind), args) {
        (0, []) => AggKind::Count,
        (1, []) => AggKind::First,
        (2, []) => AggKind::Last,
        (3, []) => AggKind::Sessions,
        (4, []) => AggKind::Engaged,
        (k @ 5..=7, [p]) => AggKind::Number(*COMBINE.get(k - 5)?, read_strings(p)?),
        (8, [p]) => AggKind::LastValue(read_strings(p)?),
        // The flag and the window are checked before the steps are copied.
        (9, [p, absent, within]) => {
            let (absent_last, within_ms) = (absent.as_bool()?, window_of(within)?);
            AggKind::Sequence {
                steps: read_strings(p)?,
                absent_last,
                within_ms,
            }
        }
        _ => return None,
    };
    Some(AggSpec {
        kind,
        event: event.to_string(),
        filter,
        window_ms,
        key: key.to_string(),
    })
}

/// Path roots, by their offset from [`PATH`].
const ROOTS: [Root; 9] = [
    Root::Traits,
    Root::Context,
    Root::Page,
    Root::Channel,
    Root::EventName,
    Root::EventType,
    Root::Properties,
    Root::EventContext,
    Root::Attributes,
];

/// Comparison operators, by their offset from [`CMP`], [`VCMP`] and the GrowthBook operators that take one.
pub(crate) const OPS: [CmpOp; 6] = [
    CmpOp::Eq,
    CmpOp::Ne,
    CmpOp::Lt,
    CmpOp::Le,
    CmpOp::Gt,
    CmpOp::Ge,
];

fn op_code(op: CmpOp) -> usize {
    OPS.iter().position(|o| *o == op).unwrap_or(0)
}

// Node tags. Below `PAYLOAD` a node is `[tag, start, end, ...children]`; from `PAYLOAD` on it is
// `[tag, start, end, payload, ...children]` (only a regex match has a child as well as its payload).
const NULL: usize = 0;
/// Tags 1 to 3: a list, `&&`, `||` (see [`MANY`]).
const LIST: usize = 1;
/// Tags 4 to 7: `!`, `exists`, time since in milliseconds, in days (see [`UNARY`]).
const NOT: usize = 4;
/// Tags 8 to 23: `in`, `contains`, `starts_with`, `ends_with`, then the comparisons (12 to 17) and the version
/// comparisons (18 to 23), each in the order of [`OPS`] (see [`BINARY`]).
const IN: usize = 8;
const PAYLOAD: usize = 24;
const BOOL: usize = 24;
const NUM: usize = 25;
const STR: usize = 26;
const VERSION: usize = 27;
/// The payload is the aggregate's index.
const AGG: usize = 28;
const SEGMENT: usize = 29;
const STAGE: usize = 30;
const BUCKET: usize = 31;
/// The payload is `[seed, percentage]`.
const ROLLOUT: usize = 32;
/// The payload is a GrowthBook condition (see [`cond_to_value`]).
const CONDITION: usize = 33;
/// The payload is the regex (`Regex::to_value`), the one child what it tests.
const MATCH: usize = 34;
/// A path: `PATH + ` its root's index in [`ROOTS`]; the payload is its segments.
const PATH: usize = 35;

/// Nodes with children only, by their offset from [`LIST`].
const MANY: [Many; 3] = [Many::List, Many::All, Many::Any];

/// One-child operations, by their offset from [`NOT`].
const UNARY: [Unary; 4] = [
    Unary::Not,
    Unary::Exists,
    Unary::TimeSince,
    Unary::DaysSince,
];

/// Two-child operations, by their offset from [`IN`].
const BINARY: [Binary; 16] = [
    Binary::In,
    Binary::Contains,
    Binary::StartsWith,
    Binary::EndsWith,
    Binary::Cmp(CmpOp::Eq),
    Binary::Cmp(CmpOp::Ne),
    Binary::Cmp(CmpOp::Lt),
    Binary::Cmp(CmpOp::Le),
    Binary::Cmp(CmpOp::Gt),
    Binary::Cmp(CmpOp::Ge),
    Binary::VersionCmp(CmpOp::Eq),
    Binary::VersionCmp(CmpOp::Ne),
    Binary::VersionCmp(CmpOp::Lt),
    Binary::VersionCmp(CmpOp::Le),
    Binary::VersionCmp(CmpOp::Gt),
    Binary::VersionCmp(CmpOp::Ge),
];

/// Where `x` is in `table` (every value written has its place).
fn offset<T: PartialEq>(table: &[T], x: &T) -> usize {
    table.iter().position(|t| t == x).unwrap_or(0)
}

/// `[tag, start, end, payload?, ...children]`, with `start` and `end` the node's span in the source; see the
/// tag constants above. Children follow as items of the node itself (not in an array of their own): one JSON
/// level per tree level keeps a 32-deep rule well inside the JSON parser's nesting limit.
pub fn node_to_value(n: &Node) -> Value {
    let mut kids: Vec<&Node> = Vec::new();
    let mut payload = None;
    let tag = match &n.kind {
        NodeKind::Null => NULL,
        NodeKind::Many(m, xs) => {
            kids.extend(xs);
            LIST + offset(&MANY, m)
        }
        NodeKind::Unary(u, x) => {
            kids.push(x);
            NOT + offset(&UNARY, u)
        }
        NodeKind::Binary(b, x, y) => {
            kids.push(x);
            kids.push(y);
            IN + offset(&BINARY, b)
        }
        NodeKind::Bool(b) => {
            payload = Some(Value::Bool(*b));
            BOOL
        }
        NodeKind::Num(x) => {
            payload = Some(num(*x));
            NUM
        }
        NodeKind::Text(t, s) => {
            payload = Some(text(s));
            match t {
                Text::Str => STR,
                Text::Version => VERSION,
                Text::Segment => SEGMENT,
                Text::Stage => STAGE,
                Text::Bucket => BUCKET,
            }
        }
        NodeKind::Agg(i) => {
            payload = Some(num(*i as f64));
            AGG
        }
        NodeKind::InRollout(s, pct) => {
            payload = Some(Value::Array(vec![text(s), num(*pct)]));
            ROLLOUT
        }
        NodeKind::Condition(c) => {
            payload = Some((**c).clone());
            CONDITION
        }
        NodeKind::Matches(a, re) => {
            kids.push(a);
            payload = Some(re.to_value());
            MATCH
        }
        NodeKind::Path(root, segs) => {
            payload = Some(strings(segs));
            PATH + offset(&ROOTS, root)
        }
    };
    let mut out = vec![
        num(tag as f64),
        num(n.span.start as f64),
        num(n.span.end as f64),
    ];
    out.extend(payload);
    out.extend(kids.into_iter().map(node_to_value));
    Value::Array(out)
}

struct Reader {
    /// The program's aggregate count: `a` nodes must index below it.
    aggregates: usize,
    /// Spans must lie inside the source.
    source_len: usize,
}

pub(crate) fn string(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

impl Reader {
    fn node(&self, v: &Value, depth: usize) -> Option<Node> {
        if depth > MAX_WIRE_DEPTH {
            return None;
        }
        let [tag, start, end, rest @ ..] = v.as_array()? else {
            return None;
        };
        // An unreadable start or end is `usize::MAX`, beyond the source; an unreadable tag matches no arm.
        let (tag, start, end) = (whole(tag), whole(start), whole(end));
        if start > end || end > self.source_len {
            return None;
        }
        let (payload, rest) = if tag >= PAYLOAD {
            rest.split_first()?
        } else {
            (&Value::Null, rest)
        };
        // Children are counted before any is read, and only a list builds a vector of them.
        let child = |x: &Value| Some(Box::new(self.node(x, depth + 1)?));
        let kind = match (tag, rest) {
            (NULL, []) => NodeKind::Null,
            (LIST..NOT, _) => {
                let mut kids = Vec::with_capacity(rest.len());
                for x in rest {
                    kids.push(self.node(x, depth + 1)?);
                }
                NodeKind::Many(*MANY.get(tag - LIST)?, kids)
            }
            (NOT..IN, [x]) => NodeKind::Unary(*UNARY.get(tag - NOT)?, child(x)?),
            (IN..PAYLOAD, [a, b]) => NodeKind::Binary(*BINARY.get(tag - IN)?, child(a)?, child(b)?),
            (MATCH, [x]) => NodeKind::Matches(child(x)?, Regex::from_value(payload)?),
            // Leaves have no children.
            (_, [_, ..]) | (NULL..PAYLOAD | MATCH, _) => return None,
            (BOOL, _) => NodeKind::Bool(payload.as_bool()?),
            (NUM, _) => NodeKind::Num(payload.as_f64()?),
            (AGG, _) => NodeKind::Agg(Some(whole(payload)).filter(|&i| i < self.aggregates)?),
            (STR | VERSION | SEGMENT | STAGE | BUCKET, _) => NodeKind::Text(
                match tag {
                    STR => Text::Str,
                    VERSION => Text::Version,
                    SEGMENT => Text::Segment,
                    STAGE => Text::Stage,
                    _ => Text::Bucket,
                },
                string(payload)?,
            ),
            (ROLLOUT, _) => {
                let [seed, pct] = payload.as_array()? else {
                    return None;
                };
                NodeKind::InRollout(string(seed)?, pct.as_f64()?)
            }
            (CONDITION, _) if valid_cond(payload, depth + 1) => {
                NodeKind::Condition(Box::new(payload.clone()))
            }
            (CONDITION, _) => return None,
            _ => NodeKind::Path(*ROOTS.get(tag - PATH)?, read_strings(payload)?),
        };
        Some(Node {
            kind,
            span: Span::new(start, end),
        })
    }
}

// GrowthBook condition tags: `[ALL|ANY|NOR, cond...]`, `[NOT, cond]`, `[FIELD, path, test]`, `[FALSE]`.
pub(crate) const C_ALL: usize = 0;
pub(crate) const C_ANY: usize = 1;
pub(crate) const C_NOR: usize = 2;
pub(crate) const C_NOT: usize = 3;
pub(crate) const C_FIELD: usize = 4;
pub(crate) const C_FALSE: usize = 5;

pub(crate) fn cond_to_value(c: &Cond) -> Value {
    let many = |tag: usize, cs: &[Cond]| {
        let mut v = vec![num(tag as f64)];
        v.extend(cs.iter().map(cond_to_value));
        v
    };
    Value::Array(match c {
        Cond::All(cs) => many(C_ALL, cs),
        Cond::Any(cs) => many(C_ANY, cs),
        Cond::Nor(cs) => many(C_NOR, cs),
        Cond::Not(c) => many(C_NOT, std::slice::from_ref(c)),
        Cond::Field { path, test } => vec![num(C_FIELD as f64), strings(path), test_to_value(test)],
        Cond::False => vec![num(C_FALSE as f64)],
    })
}

/// `[tag, arguments...]` within the nesting bound: the tag and the arguments.
pub(crate) fn tagged(v: &Value, depth: usize) -> Option<(usize, &[Value])> {
    if depth > MAX_WIRE_DEPTH {
        return None;
    }
    let (tag, args) = v.as_array()?.split_first()?;
    Some((index(tag)?, args))
}

fn all_strings(v: &Value) -> bool {
    let Some(items) = v.as_array() else {
        return false;
    };
    for s in items {
        if s.as_str().is_none() {
            return false;
        }
    }
    true
}

/// Whether `v` is a GrowthBook condition exactly as [`cond_to_value`] writes it. A program keeps the condition
/// in this form and `growthbook::CondEval` evaluates it as it is: checking it once costs the browser build less
/// than building (and dropping) a tree of its own.
pub(crate) fn valid_cond(v: &Value, depth: usize) -> bool {
    let Some((tag, args)) = tagged(v, depth) else {
        return false;
    };
    if tag == C_FIELD {
        return matches!(args, [path, test] if all_strings(path) && valid_test(test, depth + 1));
    }
    for c in args {
        if !valid_cond(c, depth + 1) {
            return false;
        }
    }
    match tag {
        C_ALL | C_ANY | C_NOR => true,
        C_NOT => args.len() == 1,
        C_FALSE => args.is_empty(),
        _ => false,
    }
}

/// Tests: a string, number, boolean or `null` is itself; JSON text (arrays and objects compared as text) is
/// `[text]`; an operator object is the array of its operators (each an array, see [`op_to_value`]).
fn test_to_value(t: &Test) -> Value {
    match t {
        Test::Str(s) => text(s),
        Test::Num(x) => num(*x),
        Test::Bool(b) => Value::Bool(*b),
        Test::Null => Value::Null,
        Test::Json(s) => Value::Array(vec![text(s)]),
        Test::Ops(ops) => Value::Array(ops.iter().map(op_to_value).collect()),
    }
}

fn valid_test(v: &Value, depth: usize) -> bool {
    if depth > MAX_WIRE_DEPTH {
        return false;
    }
    match v {
        Value::Object(_) => false,
        Value::Array(items) => {
            if let [Value::String(_)] = items.as_slice() {
                return true;
            }
            valid_tests(items, depth, valid_op)
        }
        _ => true,
    }
}

/// Whether every item passes `valid` one level down.
fn valid_tests(items: &[Value], depth: usize, valid: fn(&Value, usize) -> bool) -> bool {
    for x in items {
        if !valid(x, depth + 1) {
            return false;
        }
    }
    true
}

// GrowthBook operator tags: `[tag]` or `[tag, argument]`.
/// Tags 0 to 7: `$eq`, `$ne`, then the relational comparisons (2 to 7) in the order of [`OPS`] (see
/// [`VALUE_OPS`]); the argument is the operand.
pub(crate) const O_VALUE: usize = 0;
/// Version comparisons: `O_VER + ` the operator's index in [`OPS`]; the argument is the padded version.
pub(crate) const O_VER: usize = 8;
pub(crate) const O_EXISTS: usize = 14;
/// `$in` and relatives: `O_IN + ` 1 when negated `+ ` 2 when case is folded; the argument is the list.
pub(crate) const O_IN: usize = 15;
pub(crate) const O_IN_FOLD_NEGATED: usize = 18;
pub(crate) const O_IN_NOT_ARRAY: usize = 19;
/// `O_GROUP + ` 1 when negated; the argument is the group's id.
pub(crate) const O_GROUP: usize = 20;
pub(crate) const O_GROUP_NEGATED: usize = 21;
/// Tags 22 to 24: `$not`, `$size`, `$elemMatch` with an operator object (see [`NESTED`]); the argument is the
/// test.
pub(crate) const O_NESTED: usize = 22;
/// `$elemMatch` with a condition; the argument is the condition.
pub(crate) const O_ELEM_COND: usize = 25;
/// `$all`: `O_ALL + ` 1 when case is folded; the argument is the array of tests.
pub(crate) const O_ALL: usize = 26;
pub(crate) const O_ALL_FOLD: usize = 27;
pub(crate) const O_ALL_NOT_ARRAY: usize = 28;
pub(crate) const O_REGEX: usize = 29;
pub(crate) const O_TYPE: usize = 30;
pub(crate) const O_FALSE: usize = 31;

/// Comparisons with an operand, by their offset from [`O_VALUE`].
const VALUE_OPS: [ValueOp; 8] = [
    ValueOp::Eq,
    ValueOp::Ne,
    ValueOp::Rel(CmpOp::Eq),
    ValueOp::Rel(CmpOp::Ne),
    ValueOp::Rel(CmpOp::Lt),
    ValueOp::Rel(CmpOp::Le),
    ValueOp::Rel(CmpOp::Gt),
    ValueOp::Rel(CmpOp::Ge),
];

/// Operators with a nested test, by their offset from [`O_NESTED`].
const NESTED: [Nested; 3] = [Nested::Not, Nested::Size, Nested::Elem];

fn op_to_value(o: &Op) -> Value {
    let tests = |ts: &[Test]| Value::Array(ts.iter().map(test_to_value).collect());
    let (tag, arg) = match o {
        Op::Value(op, v) => (O_VALUE + offset(&VALUE_OPS, op), Some(v.clone())),
        Op::Version(op, s) => (O_VER + op_code(*op), Some(text(s))),
        Op::Exists(b) => (O_EXISTS, Some(Value::Bool(*b))),
        Op::In { list, negate, fold } => (
            O_IN + usize::from(*negate) + 2 * usize::from(*fold),
            Some(Value::Array(list.clone())),
        ),
        Op::InNotArray => (O_IN_NOT_ARRAY, None),
        Op::Group { id, negate } => (O_GROUP + usize::from(*negate), Some(text(id))),
        Op::Nested(kind, t) => (O_NESTED + offset(&NESTED, kind), Some(test_to_value(t))),
        Op::ElemCond(c) => (O_ELEM_COND, Some(cond_to_value(c))),
        Op::All { parts, fold } => (O_ALL + usize::from(*fold), Some(tests(parts))),
        Op::AllNotArray => (O_ALL_NOT_ARRAY, None),
        Op::Regex(re) => (O_REGEX, Some(re.to_value())),
        Op::Type(s) => (O_TYPE, Some(text(s))),
        Op::False => (O_FALSE, None),
    };
    let mut out = vec![num(tag as f64)];
    out.extend(arg);
    Value::Array(out)
}

fn valid_op(v: &Value, depth: usize) -> bool {
    let Some((tag, args)) = tagged(v, depth) else {
        return false;
    };
    let a = match args {
        [] => return matches!(tag, O_IN_NOT_ARRAY | O_ALL_NOT_ARRAY | O_FALSE),
        [a] => a,
        _ => return false,
    };
    match tag {
        O_VALUE..O_VER => true,
        O_VER..O_EXISTS | O_GROUP | O_GROUP_NEGATED | O_TYPE => a.as_str().is_some(),
        O_EXISTS => a.as_bool().is_some(),
        O_IN..=O_IN_FOLD_NEGATED => a.as_array().is_some(),
        O_NESTED..O_ELEM_COND => valid_test(a, depth + 1),
        O_ELEM_COND => valid_cond(a, depth + 1),
        O_ALL | O_ALL_FOLD => a
            .as_array()
            .is_some_and(|parts| valid_tests(parts, depth, valid_test)),
        O_REGEX => Regex::from_value(a).is_some(),
        _ => false,
    }
}

#[cfg(test)]
#[path = "wire/tests.rs"]
pub(crate) mod tests;
