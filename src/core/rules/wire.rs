//! Compiled rules as data: a [`Program`] written as compact JSON and read back without the compiler.
//!
//! The collector (and `wayline compile`) compile a config once; the browser reads the result, so the lexer,
//! parser, checker and GrowthBook compiler — and their error messages — stay out of the shipped SDK. Reading is
//! strict and bounded: a value that is not exactly what [`program_to_value`] writes (a wrong tag, an aggregate
//! index out of range, a tree deeper than [`MAX_WIRE_DEPTH`]) gives `None`, never a panic or a program that could
//! misbehave.
//!
//! A node is an array `[tag, start, end, ...arguments]` (start and end are its span in the rule's source, for
//! `explain`); see `node_to_value` for the tags.

use std::rc::Rc;

use super::diagnostic::Span;
use super::growthbook::{Cond, ElemTest, Op, Test};
use super::program::{CmpOp, Deps, Node, NodeKind, Program, Root};
use super::regex::Regex;
use super::spec::{AggKind, AggSpec};
use crate::core::json::{Map, Value};

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

/// Reads every item of a JSON array with `read`; `None` unless `v` is an array and every item reads. A plain
/// loop over a `dyn` reader: the iterator-adapter form is instantiated anew for every closure, which costs wasm
/// bytes in the browser build.
pub fn list<T>(v: &Value, read: &dyn Fn(&Value) -> Option<T>) -> Option<Vec<T>> {
    let items = v.as_array()?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        out.push(read(item)?);
    }
    Some(out)
}

fn read_strings(v: &Value) -> Option<Vec<String>> {
    list(v, &|s| s.as_str().map(str::to_string))
}

fn index(v: &Value) -> Option<usize> {
    v.as_f64()
        .filter(|x| *x >= 0.0 && *x <= 1e9 && x.fract() == 0.0)
        .map(|x| x as usize)
}

/// `{"src", "root", "aggs", "deps"}`.
pub fn program_to_value(p: &Program) -> Value {
    let mut m = Map::new();
    m.insert("src", text(&p.source));
    m.insert("root", node_to_value(&p.root));
    m.insert(
        "aggs",
        Value::Array(p.aggregates.iter().map(|a| agg_to_value(a)).collect()),
    );
    let d = &p.deps;
    m.insert(
        "deps",
        Value::Array(vec![
            Value::Bool(d.traits),
            Value::Bool(d.context),
            Value::Bool(d.event),
            Value::Bool(d.clock),
            Value::Bool(d.identity),
            strings(&d.segments),
            strings(&d.journeys),
        ]),
    );
    Value::Object(m)
}

pub fn program_from_value(v: &Value) -> Option<Program> {
    let source = v.get("src")?.as_str()?;
    let aggregates = list(v.get("aggs")?, &|a| {
        agg_from_value(a, source.len()).map(Rc::new)
    })?;
    let reader = Reader {
        aggregates: aggregates.len(),
        source_len: source.len(),
    };
    let root = reader.node(v.get("root")?, 0)?;
    let [traits, context, event, clock, identity, segments, journeys] =
        v.get("deps")?.as_array()?
    else {
        return None;
    };
    let deps = Deps {
        traits: traits.as_bool()?,
        context: context.as_bool()?,
        event: event.as_bool()?,
        clock: clock.as_bool()?,
        identity: identity.as_bool()?,
        segments: read_strings(segments)?,
        journeys: read_strings(journeys)?,
    };
    Some(Program {
        slots: (0..aggregates.len()).collect(),
        root,
        aggregates,
        deps,
        source: source.to_string(),
    })
}

fn agg_to_value(a: &AggSpec) -> Value {
    let kind = match &a.kind {
        AggKind::Count => vec![text("count")],
        AggKind::Sum(p) => vec![text("sum"), strings(p)],
        AggKind::Min(p) => vec![text("min"), strings(p)],
        AggKind::Max(p) => vec![text("max"), strings(p)],
        AggKind::First => vec![text("first")],
        AggKind::Last => vec![text("last")],
        AggKind::LastValue(p) => vec![text("lastv"), strings(p)],
        AggKind::Sequence {
            steps,
            absent_last,
            within_ms,
        } => vec![
            text("seq"),
            strings(steps),
            Value::Bool(*absent_last),
            num(*within_ms as f64),
        ],
        AggKind::Sessions => vec![text("sessions")],
        AggKind::Engaged => vec![text("engaged")],
    };
    Value::Array(vec![
        Value::Array(kind),
        text(&a.event),
        a.filter.as_ref().map_or(Value::Null, node_to_value),
        a.window_ms.map_or(Value::Null, |w| num(w as f64)),
        text(&a.key),
    ])
}

fn agg_from_value(v: &Value, source_len: usize) -> Option<AggSpec> {
    let [kind, event, filter, window, key] = v.as_array()? else {
        return None;
    };
    let k = kind.as_array()?;
    let path = || read_strings(k.get(1)?);
    let kind = match k.first()?.as_str()? {
        "count" => AggKind::Count,
        "sum" => AggKind::Sum(path()?),
        "min" => AggKind::Min(path()?),
        "max" => AggKind::Max(path()?),
        "first" => AggKind::First,
        "last" => AggKind::Last,
        "lastv" => AggKind::LastValue(path()?),
        "seq" => AggKind::Sequence {
            steps: path()?,
            absent_last: k.get(2)?.as_bool()?,
            within_ms: k.get(3)?.as_f64()? as i64,
        },
        "sessions" => AggKind::Sessions,
        "engaged" => AggKind::Engaged,
        _ => return None,
    };
    // A filter reads only the event: it has no aggregates of its own.
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
    Some(AggSpec {
        kind,
        event: event.as_str()?.to_string(),
        filter,
        window_ms: match window {
            Value::Null => None,
            w => Some(w.as_f64()? as i64),
        },
        key: key.as_str()?.to_string(),
    })
}

const ROOTS: [(Root, &str); 9] = [
    (Root::Traits, "traits"),
    (Root::Context, "context"),
    (Root::Page, "page"),
    (Root::Channel, "channel"),
    (Root::EventName, "event.name"),
    (Root::EventType, "event.type"),
    (Root::Properties, "properties"),
    (Root::EventContext, "event.context"),
    (Root::Attributes, "attributes"),
];

const OPS: [(CmpOp, &str); 6] = [
    (CmpOp::Eq, "=="),
    (CmpOp::Ne, "!="),
    (CmpOp::Lt, "<"),
    (CmpOp::Le, "<="),
    (CmpOp::Gt, ">"),
    (CmpOp::Ge, ">="),
];

fn op_name(op: CmpOp) -> &'static str {
    OPS.iter().find(|(o, _)| *o == op).map_or("==", |(_, n)| n)
}

fn op_of(v: &Value) -> Option<CmpOp> {
    let s = v.as_str()?;
    OPS.iter().find(|(_, n)| *n == s).map(|(o, _)| *o)
}

/// `[tag, start, end, ...]`. Tags: `null`, `b` bool, `n` number, `s` string, `v` version, `l` list, `p` path
/// (root, segments), `a` aggregate, `!`, `&`, `|`, `c` comparison, `vc` version comparison, `in`, `has`, `sw`,
/// `ew`, `m` regex match, `ex` exists, `ts` time since (days?), `seg`, `stg`, `bk` bucket, `ro` rollout, `gb`
/// GrowthBook condition.
pub fn node_to_value(n: &Node) -> Value {
    let one = |x: &Node| node_to_value(x);
    // Children of a list, `&` or `|` follow as arguments (not in an array of their own): one JSON level per
    // tree level keeps a 32-deep rule well inside the JSON parser's nesting limit.
    let many = |xs: &[Node]| xs.iter().map(node_to_value).collect::<Vec<_>>();
    let (tag, args): (&str, Vec<Value>) = match &n.kind {
        NodeKind::Null => ("null", vec![]),
        NodeKind::Bool(b) => ("b", vec![Value::Bool(*b)]),
        NodeKind::Num(x) => ("n", vec![num(*x)]),
        NodeKind::Str(s) => ("s", vec![text(s)]),
        NodeKind::Version(s) => ("v", vec![text(s)]),
        NodeKind::List(xs) => ("l", many(xs)),
        NodeKind::Path(root, segs) => {
            let r = ROOTS
                .iter()
                .find(|(x, _)| x == root)
                .map_or("traits", |(_, n)| n);
            ("p", vec![text(r), strings(segs)])
        }
        NodeKind::Agg(i) => ("a", vec![num(*i as f64)]),
        NodeKind::Not(x) => ("!", vec![one(x)]),
        NodeKind::All(xs) => ("&", many(xs)),
        NodeKind::Any(xs) => ("|", many(xs)),
        NodeKind::Cmp(op, a, b) => ("c", vec![text(op_name(*op)), one(a), one(b)]),
        NodeKind::VersionCmp(op, a, b) => ("vc", vec![text(op_name(*op)), one(a), one(b)]),
        NodeKind::In(a, b) => ("in", vec![one(a), one(b)]),
        NodeKind::Contains(a, b) => ("has", vec![one(a), one(b)]),
        NodeKind::StartsWith(a, b) => ("sw", vec![one(a), one(b)]),
        NodeKind::EndsWith(a, b) => ("ew", vec![one(a), one(b)]),
        NodeKind::Matches(a, re) => ("m", vec![one(a), re.to_value()]),
        NodeKind::Exists(a) => ("ex", vec![one(a)]),
        NodeKind::TimeSince(a, days) => ("ts", vec![one(a), Value::Bool(*days)]),
        NodeKind::InSegment(s) => ("seg", vec![text(s)]),
        NodeKind::Stage(s) => ("stg", vec![text(s)]),
        NodeKind::Bucket(s) => ("bk", vec![text(s)]),
        NodeKind::InRollout(s, pct) => ("ro", vec![text(s), num(*pct)]),
        NodeKind::Condition(c) => ("gb", vec![cond_to_value(c)]),
    };
    let mut out = vec![text(tag), num(n.span.start as f64), num(n.span.end as f64)];
    out.extend(args);
    Value::Array(out)
}

struct Reader {
    /// The program's aggregate count: `a` nodes must index below it.
    aggregates: usize,
    /// Spans must lie inside the source.
    source_len: usize,
}

impl Reader {
    fn node(&self, v: &Value, depth: usize) -> Option<Node> {
        if depth > MAX_WIRE_DEPTH {
            return None;
        }
        let items = v.as_array()?;
        let (tag, start, end) = (items.first()?.as_str()?, items.get(1)?, items.get(2)?);
        let (start, end) = (index(start)?, index(end)?);
        if start > end || end > self.source_len {
            return None;
        }
        let span = Span::new(start, end);
        let arg = |i: usize| items.get(3 + i);
        let sub =
            |i: usize| -> Option<Box<Node>> { Some(Box::new(self.node(arg(i)?, depth + 1)?)) };
        let rest = || -> Option<Vec<Node>> {
            let mut out = Vec::new();
            for x in items.get(3..)? {
                out.push(self.node(x, depth + 1)?);
            }
            Some(out)
        };
        let string = |i: usize| arg(i)?.as_str().map(str::to_string);
        let kind = match tag {
            "null" => NodeKind::Null,
            "b" => NodeKind::Bool(arg(0)?.as_bool()?),
            "n" => NodeKind::Num(arg(0)?.as_f64()?),
            "s" => NodeKind::Str(string(0)?),
            "v" => NodeKind::Version(string(0)?),
            "l" => NodeKind::List(rest()?),
            "p" => {
                let r = arg(0)?.as_str()?;
                let root = ROOTS.iter().find(|(_, n)| *n == r)?.0;
                NodeKind::Path(root, read_strings(arg(1)?)?)
            }
            "a" => NodeKind::Agg(index(arg(0)?).filter(|&i| i < self.aggregates)?),
            "!" => NodeKind::Not(sub(0)?),
            "&" => NodeKind::All(rest()?),
            "|" => NodeKind::Any(rest()?),
            "c" => NodeKind::Cmp(op_of(arg(0)?)?, sub(1)?, sub(2)?),
            "vc" => NodeKind::VersionCmp(op_of(arg(0)?)?, sub(1)?, sub(2)?),
            "in" => NodeKind::In(sub(0)?, sub(1)?),
            "has" => NodeKind::Contains(sub(0)?, sub(1)?),
            "sw" => NodeKind::StartsWith(sub(0)?, sub(1)?),
            "ew" => NodeKind::EndsWith(sub(0)?, sub(1)?),
            "m" => NodeKind::Matches(sub(0)?, Regex::from_value(arg(1)?)?),
            "ex" => NodeKind::Exists(sub(0)?),
            "ts" => NodeKind::TimeSince(sub(0)?, arg(1)?.as_bool()?),
            "seg" => NodeKind::InSegment(string(0)?),
            "stg" => NodeKind::Stage(string(0)?),
            "bk" => NodeKind::Bucket(string(0)?),
            "ro" => NodeKind::InRollout(string(0)?, arg(1)?.as_f64()?),
            "gb" => NodeKind::Condition(Box::new(cond_from_value(arg(0)?, depth + 1)?)),
            _ => return None,
        };
        Some(Node { kind, span })
    }
}

/// GrowthBook conditions: `["all"|"any"|"nor", cond...]`, `["not", cond]`, `["field", path, test]`,
/// `["false"]`.
fn cond_to_value(c: &Cond) -> Value {
    let many = |tag: &str, cs: &[Cond]| {
        let mut v = vec![text(tag)];
        v.extend(cs.iter().map(cond_to_value));
        v
    };
    Value::Array(match c {
        Cond::All(cs) => many("all", cs),
        Cond::Any(cs) => many("any", cs),
        Cond::Nor(cs) => many("nor", cs),
        Cond::Not(c) => vec![text("not"), cond_to_value(c)],
        Cond::Field { path, test } => vec![text("field"), strings(path), test_to_value(test)],
        Cond::False => vec![text("false")],
    })
}

fn cond_from_value(v: &Value, depth: usize) -> Option<Cond> {
    if depth > MAX_WIRE_DEPTH {
        return None;
    }
    let items = v.as_array()?;
    let arg = |i: usize| items.get(1 + i);
    let many = || -> Option<Vec<Cond>> {
        let mut out = Vec::new();
        for c in items.get(1..)? {
            out.push(cond_from_value(c, depth + 1)?);
        }
        Some(out)
    };
    Some(match items.first()?.as_str()? {
        "all" => Cond::All(many()?),
        "any" => Cond::Any(many()?),
        "nor" => Cond::Nor(many()?),
        "not" => Cond::Not(Box::new(cond_from_value(arg(0)?, depth + 1)?)),
        "field" => Cond::Field {
            path: read_strings(arg(0)?)?,
            test: test_from_value(arg(1)?, depth + 1)?,
        },
        "false" => Cond::False,
        _ => return None,
    })
}

/// Tests: `["str", s]`, `["num", x]`, `["bool", b]`, `["null"]`, `["json", text]`, `["ops", [ops]]`.
fn test_to_value(t: &Test) -> Value {
    Value::Array(match t {
        Test::Str(s) => vec![text("str"), text(s)],
        Test::Num(x) => vec![text("num"), num(*x)],
        Test::Bool(b) => vec![text("bool"), Value::Bool(*b)],
        Test::Null => vec![text("null")],
        Test::Json(s) => vec![text("json"), text(s)],
        Test::Ops(ops) => vec![
            text("ops"),
            Value::Array(ops.iter().map(op_to_value).collect()),
        ],
    })
}

fn test_from_value(v: &Value, depth: usize) -> Option<Test> {
    if depth > MAX_WIRE_DEPTH {
        return None;
    }
    let items = v.as_array()?;
    let arg = |i: usize| items.get(1 + i);
    Some(match items.first()?.as_str()? {
        "str" => Test::Str(arg(0)?.as_str()?.to_string()),
        "num" => Test::Num(arg(0)?.as_f64()?),
        "bool" => Test::Bool(arg(0)?.as_bool()?),
        "null" => Test::Null,
        "json" => Test::Json(arg(0)?.as_str()?.to_string()),
        "ops" => Test::Ops(list(arg(0)?, &|o| op_from_value(o, depth + 1))?),
        _ => return None,
    })
}

fn op_to_value(o: &Op) -> Value {
    let tests = |ts: &[Test]| Value::Array(ts.iter().map(test_to_value).collect());
    Value::Array(match o {
        Op::Eq(v) => vec![text("eq"), v.clone()],
        Op::Ne(v) => vec![text("ne"), v.clone()],
        Op::Rel(op, v) => vec![text("rel"), text(op_name(*op)), v.clone()],
        Op::Version(op, s) => vec![text("ver"), text(op_name(*op)), text(s)],
        Op::Exists(b) => vec![text("exists"), Value::Bool(*b)],
        Op::In { list, negate, fold } => vec![
            text("in"),
            Value::Array(list.clone()),
            Value::Bool(*negate),
            Value::Bool(*fold),
        ],
        Op::InNotArray => vec![text("in!")],
        Op::Group { id, negate } => vec![text("group"), text(id), Value::Bool(*negate)],
        Op::Not(t) => vec![text("not"), test_to_value(t)],
        Op::Size(t) => vec![text("size"), test_to_value(t)],
        Op::ElemMatch(e) => match e.as_ref() {
            ElemTest::Value(t) => vec![text("elem"), test_to_value(t)],
            ElemTest::Cond(c) => vec![text("elemc"), cond_to_value(c)],
        },
        Op::All { parts, fold } => vec![text("allof"), tests(parts), Value::Bool(*fold)],
        Op::AllNotArray => vec![text("all!")],
        Op::Regex(re) => vec![text("re"), re.to_value()],
        Op::Type(s) => vec![text("type"), text(s)],
        Op::False => vec![text("false")],
    })
}

fn op_from_value(v: &Value, depth: usize) -> Option<Op> {
    if depth > MAX_WIRE_DEPTH {
        return None;
    }
    let items = v.as_array()?;
    let arg = |i: usize| items.get(1 + i);
    let test = |i: usize| Some(Box::new(test_from_value(arg(i)?, depth + 1)?));
    Some(match items.first()?.as_str()? {
        "eq" => Op::Eq(arg(0)?.clone()),
        "ne" => Op::Ne(arg(0)?.clone()),
        "rel" => Op::Rel(op_of(arg(0)?)?, arg(1)?.clone()),
        "ver" => Op::Version(op_of(arg(0)?)?, arg(1)?.as_str()?.to_string()),
        "exists" => Op::Exists(arg(0)?.as_bool()?),
        "in" => Op::In {
            list: arg(0)?.as_array()?.to_vec(),
            negate: arg(1)?.as_bool()?,
            fold: arg(2)?.as_bool()?,
        },
        "in!" => Op::InNotArray,
        "group" => Op::Group {
            id: arg(0)?.as_str()?.to_string(),
            negate: arg(1)?.as_bool()?,
        },
        "not" => Op::Not(test(0)?),
        "size" => Op::Size(test(0)?),
        "elem" => Op::ElemMatch(Box::new(ElemTest::Value(test_from_value(
            arg(0)?,
            depth + 1,
        )?))),
        "elemc" => Op::ElemMatch(Box::new(ElemTest::Cond(cond_from_value(
            arg(0)?,
            depth + 1,
        )?))),
        "allof" => Op::All {
            parts: list(arg(0)?, &|t| test_from_value(t, depth + 1))?,
            fold: arg(1)?.as_bool()?,
        },
        "all!" => Op::AllNotArray,
        "re" => Op::Regex(Regex::from_value(arg(0)?)?),
        "type" => Op::Type(arg(0)?.as_str()?.to_string()),
        "false" => Op::False,
        _ => return None,
    })
}

#[cfg(test)]
#[path = "wire/tests.rs"]
mod tests;
