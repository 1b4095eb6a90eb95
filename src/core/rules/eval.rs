//! Evaluates a compiled rule against an [`Input`] at a given time.
//!
//! Evaluation never fails: a run-time type mismatch (a trait that should be a number holds a string) makes
//! that comparison false and records a diagnostic; running past [`MAX_STEPS`] makes the whole rule false.
//! Absent data is normal and silent: every comparison with it is false, except `== null`.

use super::diagnostic::Span;
use super::growthbook::{holds, CondEval, Obj};
use super::hash::gb_hash_v2;
use super::input::{Event, Fact, Input};
use super::limits::MAX_STEPS;
use super::program::{Binary, CmpOp, Many, Node, NodeKind, Program, Root, Text, Unary};
use super::version::{padded, padded_number};
use crate::core::json::{Map, Value};
use crate::core::url::Url;

/// Something that went wrong while evaluating, pointing into the rule's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunDiagnostic {
    pub span: Span,
    /// `type-mismatch` or `step-budget`.
    pub code: &'static str,
    pub message: &'static str,
}

/// The outcome of one evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub value: bool,
    pub diagnostics: Vec<RunDiagnostic>,
}

/// Diagnostics kept per evaluation; the first few say enough.
const MAX_DIAGNOSTICS: usize = 8;

/// Evaluates `program` against `input` at `now_ms` (epoch milliseconds).
pub fn evaluate(program: &Program, input: &dyn Input, now_ms: i64) -> Evaluation {
    evaluate_with_event(program, input, None, now_ms)
}

/// [`evaluate`], with `event` (when given) as the event the rule reads instead of the input's own: a campaign's
/// event trigger filters the event that fired it against the visitor's facts. A field of the evaluator rather
/// than an [`Input`] wrapping another: a wrapper forwards every method, each a function of its own in wasm.
pub fn evaluate_with_event(
    program: &Program,
    input: &dyn Input,
    event: Option<&Event<'_>>,
    now_ms: i64,
) -> Evaluation {
    let mut ev = Evaluator::new(program, input, now_ms);
    ev.event = event;
    let value = ev.cond(&program.root);
    ev.finish(value, program.root.span)
}

/// Evaluates a `where:` filter against one event (the filter reads only that event).
pub fn matches_event(
    filter: &Node,
    program_slots: &[usize],
    event: Event<'_>,
    budget: &mut u32,
) -> bool {
    /// Nothing but the event, which is the evaluator's own.
    struct Nothing;
    impl Input for Nothing {}
    let mut ev = Evaluator {
        input: &Nothing,
        event: Some(&event),
        slots: program_slots,
        now: 0,
        steps: MAX_STEPS.saturating_sub(*budget),
        diagnostics: Vec::new(),
        out_of_steps: false,
    };
    let v = ev.cond(filter);
    *budget = MAX_STEPS.saturating_sub(ev.steps);
    v && !ev.out_of_steps
}

/// A value during evaluation, borrowing from the program and the input where it can.
#[derive(Debug, Clone)]
enum V<'a> {
    Absent,
    Null,
    Bool(bool),
    Num(f64),
    Str(&'a str),
    Owned(String),
    /// An array or an object from the input.
    Json(&'a Value),
    List(Vec<V<'a>>),
    Time(i64),
}

impl<'a> V<'a> {
    fn from_json(v: &'a Value) -> V<'a> {
        match v {
            Value::Null => V::Null,
            Value::Bool(b) => V::Bool(*b),
            Value::Number(n) => V::Num(*n),
            Value::String(s) => V::Str(s),
            Value::Array(_) | Value::Object(_) => V::Json(v),
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            V::Str(s) => Some(s),
            V::Owned(s) => Some(s),
            _ => None,
        }
    }

    fn is_missing(&self) -> bool {
        matches!(self, V::Absent | V::Null)
    }

    /// The elements, when this is a list or an array: borrowed, not copied (a deep copy of a list costs wasm
    /// bytes and time).
    fn elements(&self) -> Option<Elems<'_, 'a>> {
        match self {
            V::List(items) => Some(Elems::List(items)),
            V::Json(Value::Array(items)) => Some(Elems::Json(items)),
            _ => None,
        }
    }
}

/// The elements of a list or an array, borrowed.
#[derive(Clone, Copy)]
enum Elems<'s, 'a> {
    List(&'s [V<'a>]),
    Json(&'a [Value]),
}

impl Elems<'_, '_> {
    fn len(self) -> usize {
        match self {
            Elems::List(xs) => xs.len(),
            Elems::Json(xs) => xs.len(),
        }
    }

    /// Whether element `i` exists and equals `x`.
    fn equal_at(self, i: usize, x: &V<'_>) -> bool {
        match self {
            Elems::List(xs) => xs.get(i).is_some_and(|e| equal(e, x)),
            Elems::Json(xs) => xs.get(i).is_some_and(|e| equal(&V::from_json(e), x)),
        }
    }

    /// Whether some element equals `x` (`equal` is symmetric: which side is the element does not matter).
    fn has(self, x: &V<'_>) -> bool {
        for i in 0..self.len() {
            if self.equal_at(i, x) {
                return true;
            }
        }
        false
    }

    /// Whether some element is one of `list`'s.
    fn meets(self, list: Elems<'_, '_>) -> bool {
        for i in 0..self.len() {
            let hit = match self {
                Elems::List(xs) => list.has(&xs[i]),
                Elems::Json(xs) => list.has(&V::from_json(&xs[i])),
            };
            if hit {
                return true;
            }
        }
        false
    }
}

/// Whether two objects hold the same keys with equal values, in whatever order (`Map` keeps insertion order, and
/// `{"a": 1, "b": 2}` is the same object as `{"b": 2, "a": 1}`). Keys are unique, so equal sizes and every entry
/// of `x` found in `y` suffice.
fn same_entries(x: &Map, y: &Map) -> bool {
    x.len() == y.len()
        && x.iter().all(|(k, v)| {
            y.get(k)
                .is_some_and(|w| equal(&V::from_json(v), &V::from_json(w)))
        })
}

fn equal(a: &V<'_>, b: &V<'_>) -> bool {
    match (a, b) {
        (x, y) if x.is_missing() && y.is_missing() => true,
        (V::Num(x), V::Num(y)) => x == y,
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Time(x), V::Time(y)) => x == y,
        (V::Json(Value::Object(x)), V::Json(Value::Object(y))) => same_entries(x, y),
        _ => {
            if let (Some(x), Some(y)) = (a.as_str(), b.as_str()) {
                return x == y;
            }
            match (a.elements(), b.elements()) {
                (Some(x), Some(y)) => {
                    if x.len() != y.len() {
                        return false;
                    }
                    for i in 0..x.len() {
                        let hit = match x {
                            Elems::List(xs) => y.equal_at(i, &xs[i]),
                            Elems::Json(xs) => y.equal_at(i, &V::from_json(&xs[i])),
                        };
                        if !hit {
                            return false;
                        }
                    }
                    true
                }
                _ => false,
            }
        }
    }
}

struct Evaluator<'a> {
    input: &'a dyn Input,
    /// The event rules read, when not the input's (see [`evaluate_with_event`]).
    event: Option<&'a Event<'a>>,
    slots: &'a [usize],
    now: i64,
    steps: u32,
    diagnostics: Vec<RunDiagnostic>,
    out_of_steps: bool,
}

impl<'a> Evaluator<'a> {
    fn new(program: &'a Program, input: &'a dyn Input, now_ms: i64) -> Self {
        Evaluator {
            input,
            event: None,
            slots: &program.slots,
            now: now_ms,
            steps: 0,
            diagnostics: Vec::new(),
            out_of_steps: false,
        }
    }

    fn finish(mut self, value: bool, span: Span) -> Evaluation {
        if self.out_of_steps {
            self.diagnostics.push(RunDiagnostic {
                span,
                code: "step-budget",
                message: "the rule ran past its evaluation step budget and counts as false",
            });
            return Evaluation {
                value: false,
                diagnostics: self.diagnostics,
            };
        }
        Evaluation {
            value,
            diagnostics: self.diagnostics,
        }
    }

    fn mismatch(&mut self, span: Span, message: &'static str) {
        if self.diagnostics.len() < MAX_DIAGNOSTICS {
            self.diagnostics.push(RunDiagnostic {
                span,
                code: "type-mismatch",
                message,
            });
        }
    }

    fn tick(&mut self, cost: u32) -> bool {
        self.steps = self.steps.saturating_add(cost);
        if self.steps > MAX_STEPS {
            self.out_of_steps = true;
        }
        !self.out_of_steps
    }

    /// Evaluates a node as a condition.
    fn cond(&mut self, n: &'a Node) -> bool {
        if !self.tick(1) {
            return false;
        }
        match &n.kind {
            NodeKind::Unary(Unary::Not, inner) => !self.cond(inner),
            NodeKind::Many(Many::All, items) => items.iter().all(|i| self.cond(i)),
            NodeKind::Many(Many::Any, items) => items.iter().any(|i| self.cond(i)),
            NodeKind::Binary(op, l, r) => self.binary(*op, l, r, n.span),
            NodeKind::Matches(l, re) => {
                let a = self.value(l);
                let Some(text) = a.as_str() else {
                    if !a.is_missing() {
                        self.mismatch(n.span, "`matches` needs a string");
                    }
                    return false;
                };
                let mut budget = MAX_STEPS.saturating_sub(self.steps);
                let result = re.is_match(text, &mut budget);
                self.steps = MAX_STEPS.saturating_sub(budget);
                match result {
                    Ok(m) => m,
                    Err(_) => {
                        self.out_of_steps = true;
                        false
                    }
                }
            }
            NodeKind::Unary(Unary::Exists, inner) => !self.value(inner).is_missing(),
            NodeKind::Text(Text::Segment, name) => self.input.in_segment(name),
            NodeKind::Condition(c) => {
                let mut ce = CondEval {
                    input: self.input,
                    budget: MAX_STEPS.saturating_sub(self.steps),
                };
                // No attributes read like an empty object: every path is `null`.
                let attrs = match self.input.attributes() {
                    Some(m) => Obj::Map(m),
                    None => Obj::Value(&Value::Null),
                };
                let v = ce.cond(c, attrs);
                self.steps = MAX_STEPS.saturating_sub(ce.budget);
                if ce.budget == 0 {
                    self.out_of_steps = true;
                }
                v
            }
            NodeKind::InRollout(seed, pct) => self.bucket(seed).is_some_and(|b| b < *pct),
            _ => match self.value(n) {
                V::Bool(b) => b,
                V::Absent | V::Null => false,
                _ => {
                    self.mismatch(n.span, "a condition needs true or false");
                    false
                }
            },
        }
    }

    fn value(&mut self, n: &'a Node) -> V<'a> {
        if !self.tick(1) {
            return V::Absent;
        }
        match &n.kind {
            NodeKind::Null => V::Null,
            NodeKind::Bool(b) => V::Bool(*b),
            NodeKind::Num(x) => V::Num(*x),
            NodeKind::Text(Text::Str | Text::Version, s) => V::Str(s),
            NodeKind::Many(Many::List, items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.value(i));
                }
                V::List(out)
            }
            NodeKind::Path(root, fields) => self.path(*root, fields),
            NodeKind::Agg(local) => {
                let Some(&slot) = self.slots.get(*local) else {
                    return V::Absent;
                };
                match self.input.aggregate(slot, self.now) {
                    Fact::Absent => V::Absent,
                    Fact::Num(x) => V::Num(x),
                    Fact::Time(t) => V::Time(t),
                    Fact::Bool(b) => V::Bool(b),
                    Fact::Value(v) => V::from_json(v),
                }
            }
            NodeKind::Unary(since @ (Unary::TimeSince | Unary::DaysSince), arg) => {
                let t = match self.value(arg) {
                    V::Time(t) => t as f64,
                    V::Num(t) => t,
                    // An ISO-8601 trait (`"2026-01-31T12:00:00Z"`) is a time too.
                    V::Str(s) => match crate::core::time::parse_iso8601(s) {
                        Some(t) => t as f64,
                        None => {
                            self.mismatch(n.span, "time_since/days_since needs an occurrence, epoch milliseconds or an ISO-8601 time");
                            return V::Absent;
                        }
                    },
                    V::Absent | V::Null => return V::Absent,
                    _ => {
                        self.mismatch(n.span, "time_since/days_since needs an occurrence or a time in epoch milliseconds");
                        return V::Absent;
                    }
                };
                let ms = self.now as f64 - t;
                V::Num(if *since == Unary::DaysSince {
                    ms / 86_400_000.0
                } else {
                    ms
                })
            }
            NodeKind::Text(Text::Stage, journey) => match self.input.stage(journey) {
                Some(s) => V::Str(s),
                None => V::Absent,
            },
            NodeKind::Text(Text::Bucket, seed) => self.bucket(seed).map_or(V::Absent, V::Num),
            _ => V::Bool(self.cond(n)),
        }
    }

    /// The visitor's bucket (0 to 100) for `seed`, as GrowthBook computes it; none without an anonymous id. One
    /// function for `bucket(seed)` and `in_rollout(seed, pct)`.
    fn bucket(&self, seed: &str) -> Option<f64> {
        let id = self.input.anonymous_id();
        if id.is_empty() {
            return None;
        }
        Some(gb_hash_v2(seed, id) * 100.0)
    }

    fn path(&mut self, root: Root, fields: &'a [String]) -> V<'a> {
        let input = self.input;
        match root {
            Root::Traits => walk_map(input.traits(), fields),
            Root::Attributes => walk_map(input.attributes(), fields),
            Root::Context => walk(input.context(), fields),
            Root::Channel => walk(input.channel(), fields),
            Root::Page => {
                let page = input.page();
                // `page.query.x` reads the query string when the page carries no parsed `query` object.
                if fields.len() == 2
                    && fields[0] == "query"
                    && page.and_then(|p| p.get("query")).is_none()
                {
                    // The `search` the page carries, else its URL's (empty when it has none).
                    let field = |k: &str| page.and_then(|p| p.get(k)).and_then(Value::as_str);
                    let url = match field("search") {
                        Some(search) => Url {
                            search,
                            ..Url::default()
                        },
                        None => Url::parse(field("url").unwrap_or("")),
                    };
                    return url.query_param(&fields[1]).map_or(V::Absent, V::Owned);
                }
                walk(page, fields)
            }
            // The event's parts: one lookup of the event for the four.
            _ => {
                let Some(e) = self.event.copied().or_else(|| input.event()) else {
                    return V::Absent;
                };
                match root {
                    Root::EventName => V::Str(e.name),
                    Root::EventType => V::Str(e.kind),
                    Root::Properties => walk_map(Some(e.properties), fields),
                    _ => walk(e.context, fields),
                }
            }
        }
    }

    fn binary(&mut self, op: Binary, l: &'a Node, r: &'a Node, span: Span) -> bool {
        match (op, &r.kind) {
            (Binary::VersionCmp(op), _) => return self.version_compare(op, l, r, span),
            // A list written in the rule is walked in place: no list value is built.
            (Binary::In, NodeKind::Many(Many::List, items)) => return self.member_of(l, items),
            _ => {}
        }
        // Both sides are evaluated (left first) in one place for every other operation: each evaluation and
        // each drop of a value costs wasm where it is written.
        let (a, b) = (self.value(l), self.value(r));
        self.on_values(op, &a, &b, span)
    }

    fn on_values(&mut self, op: Binary, a: &V<'_>, b: &V<'_>, span: Span) -> bool {
        match op {
            Binary::Cmp(op) => self.compare(op, a, b, span),
            Binary::In => self.member(a, b, span),
            Binary::Contains => self.contains(a, b, span),
            Binary::StartsWith | Binary::EndsWith => match (a.as_str(), b.as_str()) {
                (Some(x), Some(y)) => {
                    self.tick((y.len() / 16) as u32);
                    if op == Binary::StartsWith {
                        x.starts_with(y)
                    } else {
                        x.ends_with(y)
                    }
                }
                _ if a.is_missing() || b.is_missing() => false,
                _ => {
                    self.mismatch(span, "starts_with/ends_with needs two strings");
                    false
                }
            },
            // Handled by `binary`.
            Binary::VersionCmp(_) => false,
        }
    }

    fn compare(&mut self, op: CmpOp, a: &V<'_>, b: &V<'_>, span: Span) -> bool {
        match op {
            CmpOp::Eq => return equal(a, b),
            CmpOp::Ne => return !equal(a, b),
            _ => {}
        }
        let ord = match (a, b) {
            (V::Num(x), V::Num(y)) => x.partial_cmp(y),
            (V::Time(x), V::Time(y)) => Some(x.cmp(y)),
            _ if a.is_missing() || b.is_missing() => return false,
            _ => match (a.as_str(), b.as_str()) {
                (Some(x), Some(y)) => Some(x.cmp(y)),
                _ => {
                    self.mismatch(
                        span,
                        "these values cannot be ordered (a number against a string?)",
                    );
                    return false;
                }
            },
        };
        ord.is_some_and(|o| holds(op, o))
    }

    fn version_compare(&mut self, op: CmpOp, l: &'a Node, r: &'a Node, span: Span) -> bool {
        let side = |n: &'a Node, me: &mut Self| -> Option<String> {
            if let NodeKind::Text(Text::Version, p) = &n.kind {
                return Some(p.clone());
            }
            let v = me.value(n);
            if let Some(s) = v.as_str() {
                return Some(padded(s));
            }
            match v {
                V::Num(x) => Some(padded_number(x)),
                V::Absent | V::Null => None,
                _ => {
                    me.mismatch(span, "a version comparison needs a version string");
                    None
                }
            }
        };
        let (Some(a), Some(b)) = (side(l, self), side(r, self)) else {
            return false;
        };
        holds(op, a.cmp(&b))
    }

    /// `x in [...]` with the list written in the rule: its items are evaluated one by one, until one matches.
    fn member_of(&mut self, l: &'a Node, items: &'a [Node]) -> bool {
        let a = self.value(l);
        if a.is_missing() {
            return false;
        }
        for item in items {
            let x = self.value(item);
            let hit = match a.elements() {
                Some(elems) => {
                    // Each item is compared with every element of `a`.
                    if !self.tick(u32::try_from(elems.len()).unwrap_or(u32::MAX)) {
                        return false;
                    }
                    elems.has(&x)
                }
                None => equal(&a, &x),
            };
            if hit {
                return true;
            }
        }
        false
    }

    /// `x in list`: with an array on the left, whether any of its elements is in the list.
    fn member(&mut self, a: &V<'_>, b: &V<'_>, span: Span) -> bool {
        let Some(list) = b.elements() else {
            if !b.is_missing() {
                self.mismatch(span, "`in` needs a list on its right");
            }
            return false;
        };
        if a.is_missing() {
            return false;
        }
        // Every element of an array `a` meets every item: the cost is their product, checked before the work.
        let width = a.elements().map_or(1, Elems::len);
        if !self.tick(u32::try_from(list.len().saturating_mul(width)).unwrap_or(u32::MAX)) {
            return false;
        }
        match a.elements() {
            Some(items) => items.meets(list),
            None => list.has(a),
        }
    }

    fn contains(&mut self, a: &V<'_>, b: &V<'_>, span: Span) -> bool {
        if let Some(items) = a.elements() {
            self.tick(items.len() as u32);
            return items.has(b);
        }
        match (a.as_str(), b.as_str()) {
            (Some(x), Some(y)) => {
                self.tick((x.len() / 16) as u32);
                has_substring(x, y)
            }
            _ if a.is_missing() || b.is_missing() => false,
            _ => {
                self.mismatch(
                    span,
                    "`contains` needs a string or a list on its left and a string on its right",
                );
                false
            }
        }
    }
}

/// Whether `needle` occurs in `hay`. Knuth–Morris–Pratt over the bytes: linear in both lengths whatever the text,
/// as evaluation must stay bounded (a plain scan is quadratic on `"aaa…a"` against `"aa…ab"`: with strings of
/// 1,024 characters, millions of comparisons for one call), and much smaller in wasm than `str::contains`, whose
/// two-way searcher is about 1 KB. UTF-8 is self-synchronising, so matching a whole string's bytes matches its
/// characters.
pub(crate) fn has_substring(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return true;
    }
    // fail[i]: the length of the longest proper prefix of n[..=i] that is also its suffix.
    let mut fail = vec![0usize; n.len()];
    let mut k = 0;
    for i in 1..n.len() {
        while k > 0 && n[i] != n[k] {
            k = fail[k - 1];
        }
        if n[i] == n[k] {
            k += 1;
        }
        fail[i] = k;
    }
    // k < n.len() throughout: reaching it returns.
    let mut k = 0;
    for &c in h {
        while k > 0 && c != n[k] {
            k = fail[k - 1];
        }
        if c == n[k] {
            k += 1;
            if k == n.len() {
                return true;
            }
        }
    }
    false
}

fn walk<'a>(mut v: Option<&'a Value>, fields: &[String]) -> V<'a> {
    for f in fields {
        v = v.and_then(|x| x.get(f));
    }
    v.map_or(V::Absent, V::from_json)
}

fn walk_map<'a>(m: Option<&'a Map>, fields: &[String]) -> V<'a> {
    let Some(m) = m else {
        return V::Absent;
    };
    match fields.split_first() {
        None => V::Absent,
        Some((first, rest)) => walk(m.get(first), rest),
    }
}

/// Evaluates one node of `program` to a number, for the wake-up planner (`None` when it is not a number).
pub(crate) fn number_of(
    program: &Program,
    node: &Node,
    input: &dyn Input,
    now_ms: i64,
) -> Option<f64> {
    let mut ev = Evaluator::new(program, input, now_ms);
    match ev.value(node) {
        V::Num(x) => Some(x),
        V::Time(t) => Some(t as f64),
        V::Str(s) => crate::core::time::parse_iso8601(s).map(|t| t as f64),
        _ => None,
    }
}

/// One top-level clause of a rule and whether it holds: what `explain` in the SDK shows for "which part of the
/// audience rule is false".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub span: Span,
    pub value: bool,
}

/// Splits the rule at its top-level `&&` and evaluates each clause on its own (a rule without `&&` is one
/// clause). The source text of a clause is `&program.source()[span.start..span.end]`.
pub fn explain(program: &Program, input: &dyn Input, now_ms: i64) -> Vec<Clause> {
    fn split<'n>(n: &'n Node, out: &mut Vec<&'n Node>) {
        match &n.kind {
            NodeKind::Many(Many::All, items) => {
                for i in items {
                    split(i, out);
                }
            }
            _ => out.push(n),
        }
    }
    let mut clauses = Vec::new();
    split(&program.root, &mut clauses);
    let mut out = Vec::with_capacity(clauses.len());
    for &n in &clauses {
        let mut ev = Evaluator::new(program, input, now_ms);
        let value = ev.cond(n) && !ev.out_of_steps;
        out.push(Clause {
            span: n.span,
            value,
        });
    }
    out
}

/// The source text of each top-level clause of the rule that is false now, in order: [`explain`]'s false
/// clauses as written, found in one walk, without a list of every clause first (the campaigns' audience check,
/// in the browser, where `explain` itself is not linked).
pub fn false_clauses(program: &Program, input: &dyn Input, now_ms: i64) -> Vec<String> {
    fn walk(program: &Program, n: &Node, input: &dyn Input, now_ms: i64, out: &mut Vec<String>) {
        if let NodeKind::Many(Many::All, items) = &n.kind {
            for i in items {
                walk(program, i, input, now_ms, out);
            }
            return;
        }
        let mut ev = Evaluator::new(program, input, now_ms);
        if !ev.cond(n) || ev.out_of_steps {
            let text = program.source().get(n.span.start..n.span.end);
            out.push(text.unwrap_or_default().to_string());
        }
    }
    let mut out = Vec::new();
    walk(program, &program.root, input, now_ms, &mut out);
    out
}

#[cfg(test)]
mod element_tests {
    use super::{equal, Elems, V};
    use crate::core::json::{parse, Value};

    /// Element access as it was first written: a callback per element, through `dyn FnMut`.
    fn at_before(e: Elems<'_, '_>, i: usize, f: &mut dyn FnMut(&V<'_>) -> bool) -> bool {
        match e {
            Elems::List(xs) => xs.get(i).is_some_and(f),
            Elems::Json(xs) => xs.get(i).is_some_and(|x| f(&V::from_json(x))),
        }
    }

    fn any_before(e: Elems<'_, '_>, f: &mut dyn FnMut(&V<'_>) -> bool) -> bool {
        (0..e.len()).any(|i| at_before(e, i, f))
    }

    fn equal_before(a: &V<'_>, b: &V<'_>) -> bool {
        match (a, b) {
            (x, y) if x.is_missing() && y.is_missing() => true,
            (V::Num(x), V::Num(y)) => x == y,
            (V::Bool(x), V::Bool(y)) => x == y,
            (V::Time(x), V::Time(y)) => x == y,
            (V::Json(Value::Object(x)), V::Json(Value::Object(y))) => super::same_entries(x, y),
            _ => {
                if let (Some(x), Some(y)) = (a.as_str(), b.as_str()) {
                    return x == y;
                }
                match (a.elements(), b.elements()) {
                    (Some(x), Some(y)) => {
                        x.len() == y.len()
                            && (0..x.len()).all(|i| {
                                at_before(x, i, &mut |p| {
                                    at_before(y, i, &mut |q| equal_before(p, q))
                                })
                            })
                    }
                    _ => false,
                }
            }
        }
    }

    /// `equal`, `has` (membership) and `meets` (intersection) agree with the callback forms on every pair of a set
    /// of values covering each kind, lists and arrays nested and not.
    #[test]
    fn element_tests_agree_with_their_first_form() {
        let json: Vec<Value> = [
            "[]",
            "[1]",
            "[1, \"a\"]",
            "[\"a\"]",
            "[[1]]",
            "[null]",
            "{}",
            "{\"k\": 1}",
        ]
        .iter()
        .map(|t| parse(t).unwrap())
        .collect();
        let mut values = vec![
            V::Absent,
            V::Null,
            V::Bool(true),
            V::Num(1.0),
            V::Num(f64::NAN),
            V::Str("a"),
            V::Owned("a".into()),
            V::Time(1),
            V::List(vec![]),
            V::List(vec![V::Num(1.0)]),
            V::List(vec![V::Num(1.0), V::Str("a")]),
            V::List(vec![V::Owned("a".into())]),
            V::List(vec![V::List(vec![V::Num(1.0)])]),
            V::List(vec![V::Null, V::Absent]),
        ];
        values.extend(json.iter().map(V::Json));
        for a in &values {
            for b in &values {
                let want = equal_before(a, b);
                assert_eq!(equal(a, b), want, "{a:?} == {b:?}");
                assert_eq!(equal(b, a), want, "{b:?} == {a:?}");
                if let Some(list) = b.elements() {
                    let has = any_before(list, &mut |x| equal_before(a, x));
                    assert_eq!(list.has(a), has, "{a:?} in {b:?}");
                    if let Some(items) = a.elements() {
                        let meets = any_before(items, &mut |i| {
                            any_before(list, &mut |x| equal_before(i, x))
                        });
                        assert_eq!(items.meets(list), meets, "{a:?} meets {b:?}");
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::has_substring;
    use crate::core::json::{parse, Value};
    use crate::core::rules::{compile, evaluate, Snapshot};

    /// `page.query.x` without a parsed `query` object: what the evaluator read before it used `Url::parse` and
    /// `Url::query_param` (the query of the page's `search`, else of its `url` before any `#`).
    fn query_as_before(page: Option<&Value>, name: &str) -> Option<String> {
        use crate::core::url::{decode, query_pairs};
        let search = page
            .and_then(|p| p.get("search").and_then(Value::as_str))
            .or_else(|| {
                page.and_then(|p| p.get("url").and_then(Value::as_str))
                    .and_then(|u| u.split('#').next())
                    .and_then(|u| u.find('?').and_then(|i| u.get(i..)))
            })?;
        query_pairs(search)
            .find(|(k, _)| decode(k) == name)
            .map(|(_, v)| decode(v))
    }

    #[test]
    fn page_query_reads_as_before() {
        let searches = [
            None,
            Some("1"),
            Some(r#""""#),
            Some(r#""?a=1&b""#),
            Some(r#""a=%41""#),
        ];
        let urls = [
            None,
            Some("2"),
            Some(r#""https://x.test/p?a=2&a=3#b=4""#),
            Some(r#""https://x.test/p#?a=5""#),
            Some(r#""/p??a=6&b=7""#),
            Some(r#""https://x.test/?%61=8""#),
            Some(r#""https://x.test/p""#),
        ];
        for search in searches {
            for url in urls {
                let mut fields = Vec::new();
                if let Some(s) = search {
                    fields.push(format!(r#""search": {s}"#));
                }
                if let Some(u) = url {
                    fields.push(format!(r#""url": {u}"#));
                }
                let page = format!("{{{}}}", fields.join(","));
                let snap = Snapshot::from_value(
                    &parse(&format!(r#"{{"context": {{"page": {page}}}}}"#)).unwrap(),
                );
                let page = parse(&page).unwrap();
                for name in ["a", "b", "c"] {
                    let want = query_as_before(Some(&page), name);
                    for (rule, holds) in [
                        (format!("page.query.{name} exists"), want.is_some()),
                        (
                            format!(
                                "page.query.{name} == {}",
                                Value::from(want.as_deref().unwrap_or("-")).to_json()
                            ),
                            want.is_some(),
                        ),
                    ] {
                        let p = compile(&rule).unwrap();
                        assert_eq!(evaluate(&p, &snap, 0).value, holds, "{rule} on {page:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn substrings_are_found_as_str_contains_finds_them() {
        let texts = [
            "",
            "a",
            "abc",
            "aaab",
            "héllo wörld",
            "日本語のテキスト",
            "abcabd",
        ];
        let needles = [
            "",
            "a",
            "b",
            "c",
            "ab",
            "abd",
            "aab",
            "llo",
            "ö",
            "wörld",
            "本語",
            "キスト",
            "x",
            "abcabdz",
        ];
        for t in texts {
            for n in needles {
                assert_eq!(has_substring(t, n), t.contains(n), "{t:?} {n:?}");
            }
        }
    }
}

// proptest is a native-only dev-dependency (the crate's tests also build for wasm32).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod substring_properties {
    use super::has_substring;
    use proptest::prelude::*;

    proptest! {
        /// Small alphabets make partial matches and fallbacks common, which is where a search goes wrong.
        #[test]
        fn agrees_with_str_contains(hay in "[abé]{0,40}", needle in "[abé]{0,6}") {
            prop_assert_eq!(has_substring(&hay, &needle), hay.contains(needle.as_str()));
        }
    }
}
