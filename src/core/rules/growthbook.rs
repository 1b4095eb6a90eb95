//! GrowthBook-style JSON conditions (`{"country": {"$in": ["US", "CA"]}, "$or": [...]}`), compiled to a
//! [`Program`] and evaluated by the same `evaluate` as written rules, so teams can bring their targeting over
//! unchanged.
//!
//! Semantics follow GrowthBook's `evalCondition`, JavaScript coercions included, because "the same condition
//! gives the same answer" is the point:
//! - a missing attribute reads as `null`;
//! - a bare string compares `String(value)`, a bare number `value * 1`, a bare boolean `!!value` (with `null`
//!   never matching), `null` only `null`; arrays and plain objects compare by their JSON text;
//! - `$eq`/`$ne` are strict (`===`); `$lt $lte $gt $gte` use JavaScript's relational comparison: two strings
//!   compare by UTF-16 code units, anything else as numbers (`null` is 0, `"8"` is 8, a non-number is NaN
//!   and every comparison with it is false);
//! - `$in`/`$nin` with an array attribute test for an intersection; `$ini $nini $alli $regexi` ignore case;
//! - `$regex` tests `String(value)`; an invalid pattern never matches;
//! - an unknown operator never matches.
//!
//! [`compile_condition`] is strict for configs (an unknown operator or a bad regex is an error);
//! [`compile_condition_lenient`] behaves exactly as GrowthBook does at run time (they are false).

use std::cmp::Ordering;

use super::case;
use super::diagnostic::{Diagnostic, Span};
use super::limits::MAX_DEPTH;
use super::program::{CmpOp, Deps, Node, NodeKind, Program};
use super::regex::Regex;
use super::version::{padded, padded_number};
use super::wire::{
    cond_to_value, C_ALL, C_ANY, C_FIELD, C_NOR, C_NOT, OPS, O_ALL, O_ALL_FOLD, O_ELEM_COND,
    O_EXISTS, O_GROUP, O_GROUP_NEGATED, O_IN, O_IN_FOLD_NEGATED, O_NESTED, O_REGEX, O_TYPE, O_VER,
};
use crate::core::json::{Map, Value};

/// A compiled condition object: every entry must hold.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    All(Vec<Cond>),
    /// `$or`: an empty list holds.
    Any(Vec<Cond>),
    Nor(Vec<Cond>),
    Not(Box<Cond>),
    Field {
        path: Vec<String>,
        test: Test,
    },
    False,
}

/// A test on one value.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    /// Arrays and plain objects: JSON text equality.
    Json(String),
    /// An operator object: every operator must hold.
    Ops(Vec<Op>),
}

/// How an operator compares the value with its operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueOp {
    /// `$eq`: strict (`===`).
    Eq,
    /// `$ne`: strict (`!==`).
    Ne,
    /// `$lt $lte $gt $gte`: JavaScript's relational comparison.
    Rel(CmpOp),
}

/// Operators whose operand is a test on something derived from the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nested {
    /// `$not`: the test on the value itself, negated.
    Not,
    /// `$size`: the test on an array's length.
    Size,
    /// `$elemMatch` with an operator object: the test on some truthy element.
    Elem,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Value(ValueOp, Value),
    Version(CmpOp, String),
    Exists(bool),
    In {
        list: Vec<Value>,
        negate: bool,
        fold: bool,
    },
    /// `$in`/`$nin` with a non-array: GrowthBook answers false for both.
    InNotArray,
    Group {
        id: String,
        negate: bool,
    },
    Nested(Nested, Box<Test>),
    /// `$elemMatch` with a condition: some truthy element satisfies it.
    ElemCond(Box<Cond>),
    All {
        parts: Vec<Test>,
        fold: bool,
    },
    /// `$all` with a non-array operand.
    AllNotArray,
    Regex(Regex),
    Type(String),
    /// An unknown operator or an invalid regex (lenient mode).
    False,
}

/// Compiles a condition for a config: unknown operators and invalid regexes are errors, reported with the
/// JSON path where they occur.
pub fn compile_condition(condition: &Value) -> Result<Program, Vec<Diagnostic>> {
    let mut c = Compiler {
        strict: true,
        errors: Vec::new(),
        too_deep: false,
    };
    let cond = c.cond(condition, "$", 0);
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    Ok(program(cond, condition))
}

/// Compiles a condition exactly as GrowthBook evaluates it: what it cannot understand never matches.
pub fn compile_condition_lenient(condition: &Value) -> Program {
    let mut c = Compiler {
        strict: false,
        errors: Vec::new(),
        too_deep: false,
    };
    let cond = c.cond(condition, "$", 0);
    program(if c.too_deep { Cond::False } else { cond }, condition)
}

fn program(cond: Cond, source: &Value) -> Program {
    let json = source.to_json();
    Program {
        root: Node {
            kind: NodeKind::Condition(Box::new(cond_to_value(&cond))),
            span: Span::new(0, json.len()),
        },
        aggregates: Vec::new(),
        slots: Vec::new(),
        deps: Deps {
            flags: Deps::TRAITS,
            ..Deps::default()
        },
        source: json,
    }
}

fn is_operator_object(m: &Map) -> bool {
    !m.is_empty() && m.iter().all(|(k, _)| k.starts_with('$'))
}

struct Compiler {
    strict: bool,
    errors: Vec<Diagnostic>,
    /// Set when the condition nests past [`MAX_DEPTH`]: the whole condition is then false, since a cut-off
    /// piece under a `$not` would otherwise flip the answer.
    too_deep: bool,
}

impl Compiler {
    fn error(&mut self, at: &str, code: &'static str, message: String) {
        if self.strict {
            self.errors.push(Diagnostic {
                line: 1,
                column: 1,
                span: Span::default(),
                code,
                message: format!("{at}: {message}"),
            });
        }
    }

    fn deep(&mut self, at: &str, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            if self.too_deep {
                return true;
            }
            self.too_deep = true;
            self.error(
                at,
                "too-deep",
                format!("the condition nests deeper than {MAX_DEPTH} levels; the whole condition never holds"),
            );
            return true;
        }
        false
    }

    fn cond(&mut self, v: &Value, at: &str, depth: usize) -> Cond {
        if self.deep(at, depth) {
            return Cond::False;
        }
        let Some(m) = v.as_object() else {
            // GrowthBook iterates `Object.entries`: a number, boolean or null has none, so it holds.
            let (message, cond) = match v {
                Value::Null | Value::Bool(_) | Value::Number(_) => (
                    "a condition is an object; a number, boolean or null counts as an empty one, so it always holds",
                    Cond::All(Vec::new()),
                ),
                _ => (
                    "a condition is an object; anything else never holds",
                    Cond::False,
                ),
            };
            self.error(at, "bad-condition", message.into());
            return cond;
        };
        let mut all = Vec::new();
        for (k, v) in m.iter() {
            let here = format!("{at}.{k}");
            all.push(match k {
                "$or" | "$nor" | "$and" => {
                    let list: Vec<Cond> = match v.as_array() {
                        Some(items) => items
                            .iter()
                            .enumerate()
                            .map(|(i, c)| self.cond(c, &format!("{here}[{i}]"), depth + 1))
                            .collect(),
                        None => {
                            // The effect of an empty list (see `holds`).
                            let effect = if k == "$nor" { "never" } else { "always" };
                            self.error(
                                &here,
                                "bad-condition",
                                format!(
                                    "`{k}` takes a list of conditions; anything else counts as an empty list, \
                                     so it {effect} holds"
                                ),
                            );
                            // GrowthBook loops over `.length` of what it got: nothing, as for an empty list.
                            Vec::new()
                        }
                    };
                    match k {
                        "$or" => Cond::Any(list),
                        "$nor" => Cond::Nor(list),
                        _ => Cond::All(list),
                    }
                }
                "$not" => Cond::Not(Box::new(self.cond(v, &here, depth + 1))),
                _ => Cond::Field {
                    path: k.split('.').map(str::to_string).collect(),
                    test: self.test(v, &here, depth + 1),
                },
            });
        }
        Cond::All(all)
    }

    fn test(&mut self, v: &Value, at: &str, depth: usize) -> Test {
        if self.deep(at, depth) {
            return Test::Ops(vec![Op::False]);
        }
        match v {
            Value::String(s) => Test::Str(s.clone()),
            Value::Number(n) => Test::Num(*n),
            Value::Bool(b) => Test::Bool(*b),
            Value::Null => Test::Null,
            Value::Object(m) if is_operator_object(m) => Test::Ops(
                m.iter()
                    .map(|(op, arg)| self.op(op, arg, &format!("{at}.{op}"), depth + 1))
                    .collect(),
            ),
            _ => Test::Json(v.to_json()),
        }
    }

    fn regex(&mut self, arg: &Value, fold: bool, at: &str) -> Op {
        let Some(p) = arg.as_str() else {
            self.error(
                at,
                "bad-regex",
                "a regex is a string; anything else never matches".into(),
            );
            return Op::False;
        };
        match Regex::with_flags(p, fold) {
            Ok(re) => Op::Regex(re),
            Err(e) => {
                self.error(
                    at,
                    "bad-regex",
                    format!("invalid regex: {e}; it never matches"),
                );
                Op::False
            }
        }
    }

    fn op(&mut self, op: &str, arg: &Value, at: &str, depth: usize) -> Op {
        let version = |cmp: CmpOp| Op::Version(cmp, js_version(arg));
        match op {
            "$eq" => Op::Value(ValueOp::Eq, arg.clone()),
            "$ne" => Op::Value(ValueOp::Ne, arg.clone()),
            "$lt" => Op::Value(ValueOp::Rel(CmpOp::Lt), arg.clone()),
            "$lte" => Op::Value(ValueOp::Rel(CmpOp::Le), arg.clone()),
            "$gt" => Op::Value(ValueOp::Rel(CmpOp::Gt), arg.clone()),
            "$gte" => Op::Value(ValueOp::Rel(CmpOp::Ge), arg.clone()),
            "$veq" => version(CmpOp::Eq),
            "$vne" => version(CmpOp::Ne),
            "$vlt" => version(CmpOp::Lt),
            "$vlte" => version(CmpOp::Le),
            "$vgt" => version(CmpOp::Gt),
            "$vgte" => version(CmpOp::Ge),
            "$exists" => Op::Exists(js_truthy(arg)),
            "$in" | "$nin" | "$ini" | "$nini" => match arg.as_array() {
                Some(list) => Op::In {
                    list: list.to_vec(),
                    negate: op.starts_with("$n"),
                    fold: op.ends_with('i'),
                },
                None => {
                    self.error(
                        at,
                        "bad-condition",
                        format!("`{op}` takes a list; anything else never matches"),
                    );
                    Op::InNotArray
                }
            },
            "$inGroup" | "$notInGroup" => Op::Group {
                id: js_string(arg),
                negate: op == "$notInGroup",
            },
            "$not" => Op::Nested(Nested::Not, Box::new(self.test(arg, at, depth + 1))),
            "$size" => Op::Nested(Nested::Size, Box::new(self.test(arg, at, depth + 1))),
            "$elemMatch" => match arg.as_object() {
                Some(m) if is_operator_object(m) => {
                    Op::Nested(Nested::Elem, Box::new(self.test(arg, at, depth + 1)))
                }
                _ => Op::ElemCond(Box::new(self.cond(arg, at, depth + 1))),
            },
            "$all" | "$alli" => match arg.as_array() {
                Some(parts) => Op::All {
                    parts: parts.iter().map(|p| self.test(p, at, depth + 1)).collect(),
                    fold: op == "$alli",
                },
                None => {
                    self.error(
                        at,
                        "bad-condition",
                        "`$all` takes a list; anything else never matches".into(),
                    );
                    Op::AllNotArray
                }
            },
            "$regex" => self.regex(arg, false, at),
            "$regexi" => self.regex(arg, true, at),
            "$type" => Op::Type(js_string(arg)),
            _ => {
                self.error(
                    at,
                    "unknown-operator",
                    format!("unknown operator `{op}`, which never matches"),
                );
                Op::False
            }
        }
    }
}

/// Evaluation of a compiled condition. `budget` counts down one per test; at zero everything is false.
pub(crate) struct CondEval<'a> {
    /// Where saved groups (`$inGroup`) are read.
    pub input: &'a dyn super::input::Input,
    pub budget: u32,
}

/// What paths are read from: the attributes at the top, an array element inside `$elemMatch`.
#[derive(Clone, Copy)]
pub(crate) enum Obj<'a> {
    Map(&'a Map),
    Value(&'a Value),
}

static NULL: Value = Value::Null;

impl<'a> CondEval<'a> {
    fn tick(&mut self) -> bool {
        if self.budget == 0 {
            return false;
        }
        self.budget -= 1;
        true
    }

    /// Evaluates a condition in its compiled-config form (`wire::cond_to_value`; `wire::valid_cond` has checked
    /// its shape, so whatever is read here is there).
    pub fn cond(&mut self, c: &Value, obj: Obj<'_>) -> bool {
        if !self.tick() {
            return false;
        }
        let (tag, args) = tagged(c);
        if tag == C_FIELD {
            let [path, test] = args else {
                return false;
            };
            let v = get_path(obj, path.as_array().unwrap_or(&[]));
            return self.test(test, v);
        }
        // `$and` stops at the first false; `$or`, `$nor` and `$not` at the first true.
        let stop = tag != C_ALL;
        let mut hit = false;
        for c in args {
            if self.cond(c, obj) == stop {
                hit = true;
                break;
            }
        }
        match tag {
            C_ALL => !hit,
            // GrowthBook's `$or` of an empty list holds, so `$nor` of one does not.
            C_ANY => args.is_empty() || hit,
            C_NOR => !args.is_empty() && !hit,
            C_NOT => !hit,
            _ => false,
        }
    }

    /// A test (`wire::test_to_value`): a literal, `[json text]`, or the list of operators that must all hold.
    fn test(&mut self, t: &Value, v: &Value) -> bool {
        if !self.tick() {
            return false;
        }
        match t {
            // A fast path for the common case of a string attribute: no copy of it.
            Value::String(s) => match v {
                Value::String(x) => x == s,
                _ => js_string(v) == *s,
            },
            Value::Number(n) => js_number(v) == *n,
            Value::Bool(b) => !v.is_null_value() && js_truthy(v) == *b,
            Value::Null => matches!(v, Value::Null),
            Value::Array(ops) => match ops.as_slice() {
                [Value::String(text)] => v.to_json() == *text,
                _ => ops.iter().all(|op| self.op(op, v)),
            },
            Value::Object(_) => false,
        }
    }

    /// An operator (`wire::op_to_value`): `[tag]` or `[tag, argument]`.
    fn op(&mut self, op: &Value, v: &Value) -> bool {
        let (tag, args) = tagged(op);
        let a = args.first().unwrap_or(&NULL);
        let cmp = |at: usize| OPS.get(tag.wrapping_sub(at)).copied().unwrap_or(CmpOp::Eq);
        match tag {
            // `$eq`, `$ne`, then the relational comparisons in the order of `OPS`.
            0 => strict_eq(v, a),
            1 => !strict_eq(v, a),
            2..O_VER => js_relational(v, a).is_some_and(|o| holds(cmp(2), o)),
            O_VER..O_EXISTS => holds(
                cmp(O_VER),
                js_version(v).as_str().cmp(a.as_str().unwrap_or("")),
            ),
            O_EXISTS => v.is_null_value() != (a.as_bool() == Some(true)),
            O_IN..=O_IN_FOLD_NEGATED => {
                let list = a.as_array().unwrap_or(&[]);
                is_in(v, list, (tag - O_IN) & 2 != 0) != ((tag - O_IN) & 1 != 0)
            }
            O_GROUP | O_GROUP_NEGATED => {
                let members = self
                    .input
                    .saved_group(a.as_str().unwrap_or(""))
                    .unwrap_or(&[]);
                is_in(v, members, false) != (tag != O_GROUP)
            }
            // `$not`, `$size`, `$elemMatch` with an operator object, then with a condition.
            O_NESTED => !self.test(a, v),
            _ if tag > O_NESTED && tag <= O_ELEM_COND => {
                let Value::Array(items) = v else {
                    return false;
                };
                if tag == O_NESTED + 1 {
                    return self.test(a, &Value::Number(items.len() as f64));
                }
                items.iter().any(|item| {
                    js_truthy(item)
                        && if tag == O_ELEM_COND {
                            self.cond(a, Obj::Value(item))
                        } else {
                            self.test(a, item)
                        }
                })
            }
            O_ALL | O_ALL_FOLD => match (v, a) {
                (Value::Array(items), Value::Array(parts)) => parts.iter().all(|p| {
                    items.iter().any(|item| match (tag == O_ALL_FOLD, p) {
                        (true, Value::String(s)) => {
                            case::lower_str(&js_string(item)) == case::lower_str(s)
                        }
                        _ => self.test(p, item),
                    })
                }),
                _ => false,
            },
            // Read from its compiled form where it is used: conditions are re-evaluated only when the
            // attributes change, and a compiled copy kept beside the condition would cost its own code.
            O_REGEX => {
                let Some(re) = Regex::from_value(a) else {
                    return false;
                };
                let owned;
                let text = match v {
                    Value::String(s) => s.as_str(),
                    _ => {
                        owned = js_string(v);
                        owned.as_str()
                    }
                };
                let mut budget = self.budget;
                let r = re.is_match(text, &mut budget);
                // A regex that runs out of steps ends the whole evaluation, as a written rule's `matches` does:
                // false with a `step-budget` diagnostic, not a false that a `$not` around it turns true.
                self.budget = if r.is_ok() { budget } else { 0 };
                r.unwrap_or(false)
            }
            O_TYPE => a.as_str() == Some(js_type(v)),
            // `$in` or `$all` with a non-array, an unknown operator, an invalid regex.
            _ => false,
        }
    }
}

/// A condition's or an operator's tag and arguments (the reader's own function: one copy of it).
fn tagged(v: &Value) -> (usize, &[Value]) {
    super::wire::tagged(v, 0).unwrap_or((usize::MAX, &[]))
}

trait NullCheck {
    fn is_null_value(&self) -> bool;
}

impl NullCheck for Value {
    fn is_null_value(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// GrowthBook's `getPath`: dotted segments through objects (and array indices); anything else is `null`.
pub(crate) fn get_path<'a>(obj: Obj<'a>, path: &[Value]) -> &'a Value {
    let Some((first, rest)) = path.split_first() else {
        return &NULL;
    };
    let mut cur = match obj {
        Obj::Map(m) => m.get(key(first)),
        Obj::Value(v) => step(v, key(first)),
    };
    for p in rest {
        cur = cur.and_then(|v| step(v, key(p)));
    }
    cur.unwrap_or(&NULL)
}

fn key(p: &Value) -> &str {
    p.as_str().unwrap_or("")
}

fn step<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Object(m) => m.get(key),
        Value::Array(items) => items.get(array_index(key)?),
        _ => None,
    }
}

/// `key` as an array index, read as `str::parse::<usize>` reads it (an optional `+`, then decimal digits, within
/// range), without the generic parser.
fn array_index(key: &str) -> Option<usize> {
    let digits = key.strip_prefix("+").unwrap_or(key);
    if digits.is_empty() {
        return None;
    }
    let mut n: usize = 0;
    for &b in digits.as_bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(usize::from(b - b'0'))?;
    }
    Some(n)
}

/// Whether an ordering satisfies a comparison (the rule evaluator's too).
pub(crate) fn holds(op: CmpOp, o: Ordering) -> bool {
    // For each operator (in declaration order), the orderings it accepts as bits: less 1, equal 2, greater 4.
    // A table lookup rather than a `match` of comparisons.
    const ACCEPTS: [u8; 6] = [0b010, 0b101, 0b001, 0b011, 0b100, 0b110];
    ACCEPTS[op as usize] >> (o as i8 + 1) & 1 != 0
}

/// JavaScript `String(v)`.
pub fn js_string(v: &Value) -> String {
    match v {
        // `null`, `true`, `false` and numbers read as their JSON text.
        Value::Null | Value::Bool(_) | Value::Number(_) => v.to_json(),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            // Written in place: `join` would bring its own generic copy into the wasm.
            let mut out = String::new();
            for (k, i) in items.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                if !matches!(i, Value::Null) {
                    out.push_str(&js_string(i));
                }
            }
            out
        }
        Value::Object(_) => "[object Object]".into(),
    }
}

/// JavaScript `Number(v)` (`v * 1`).
pub fn js_number(v: &Value) -> f64 {
    match v {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => *n,
        Value::String(s) => text_number(s),
        // An array's primitive value is its text (no string value is built for it).
        Value::Array(_) => text_number(&js_string(v)),
        Value::Object(_) => f64::NAN,
    }
}

/// JavaScript `Number(text)`.
fn text_number(s: &str) -> f64 {
    let t = js_trim(s);
    if t.is_empty() {
        0.0
    } else if let Some(n) = radix_integer(t) {
        n
    } else if is_decimal(t) {
        // Not `str::parse`: core's float parser brings a 10 KB table into the wasm.
        crate::core::json::decimal_to_f64(t.strip_prefix("+").unwrap_or(t))
    } else if t == "Infinity" || t == "+Infinity" {
        f64::INFINITY
    } else if t == "-Infinity" {
        f64::NEG_INFINITY
    } else {
        f64::NAN
    }
}

pub fn js_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => *n != 0.0 && !n.is_nan(),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

fn js_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `===`: primitives by type and value; arrays and objects are never strictly equal to a literal.
fn strict_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        _ => false,
    }
}

/// JavaScript's `<` family: strings by UTF-16 code units, everything else as numbers. Arrays and objects are
/// strings here (their primitive value), so two of them, or one and a string, compare as text.
fn js_relational(a: &Value, b: &Value) -> Option<Ordering> {
    let text = |v: &Value| matches!(v, Value::String(_) | Value::Array(_) | Value::Object(_));
    if text(a) && text(b) {
        return Some(utf16_cmp(&js_string(a), &js_string(b)));
    }
    js_number(a).partial_cmp(&js_number(b))
}

/// Orders two strings by their UTF-16 code units, as JavaScript does, character by character: two characters
/// compare by their first code units (a character above U+FFFF starts with a surrogate, 0xD800 to 0xDBFF, so it
/// sorts before U+E000 to U+FFFF), then, sharing that unit, by code point. Smaller in wasm than comparing two
/// `encode_utf16` iterators.
fn utf16_cmp(a: &str, b: &str) -> Ordering {
    let unit = |c: char| match c as u32 {
        c @ 0x10000.. => 0xD800 + ((c - 0x10000) >> 10),
        c => c,
    };
    let (mut x, mut y) = (a.chars(), b.chars());
    loop {
        match (x.next(), y.next()) {
            (Some(p), Some(q)) if p == q => {}
            (Some(p), Some(q)) => return unit(p).cmp(&unit(q)).then(p.cmp(&q)),
            (p, q) => return p.is_some().cmp(&q.is_some()),
        }
    }
}

/// GrowthBook's `paddedVersionString` of any value (numbers are stringified, other non-strings are "0").
fn js_version(v: &Value) -> String {
    match v {
        Value::String(s) => padded(s),
        Value::Number(n) => padded_number(*n),
        // `padded("0")`.
        _ => "    0".to_string(),
    }
}

/// `s` without JavaScript's white space and line terminators at either end: Unicode's, less U+0085, plus U+FEFF.
fn js_trim(s: &str) -> &str {
    crate::core::sanitize::trim_where(s, |c| {
        (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}'
    })
}

/// `0x1A`, `0o17`, `0b101` (either case, no sign, at least one digit): `Number()` reads them as integers.
fn radix_integer(t: &str) -> Option<f64> {
    let (radix, digits) = match t.as_bytes() {
        [b'0', x, digits @ ..] if !digits.is_empty() => match x | 0x20 {
            b'x' => (16, digits),
            b'o' => (8, digits),
            b'b' => (2, digits),
            _ => return None,
        },
        _ => return None,
    };
    let mut n = 0.0;
    for &c in digits {
        // A digit's value, or a letter's (its lower case's distance from `a`, plus 10); anything else is too large.
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'z' | b'A'..=b'Z' => (c | 0x20) - b'a' + 10,
            _ => return None,
        };
        if d >= radix {
            return None;
        }
        n = n * f64::from(radix) + f64::from(d);
    }
    Some(n)
}

/// Whether `t` is a decimal number as JavaScript's `Number()` reads one: an optional sign, digits with at most
/// one point (at least one digit in all), and an optional exponent.
fn is_decimal(t: &str) -> bool {
    let b = t.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let mut digits = 0;
    let mut point = false;
    while let Some(&c) = b.get(i) {
        match c {
            b'0'..=b'9' => digits += 1,
            b'.' if !point => point = true,
            _ => break,
        }
        i += 1;
    }
    if digits == 0 {
        return false;
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

/// `expected.includes(actual)`, or an intersection when the attribute is an array.
fn is_in(actual: &Value, list: &[Value], case_insensitive: bool) -> bool {
    let eq = |a: &Value, b: &Value| match (a, b) {
        // Folding case changes only strings; anything else compares as it is.
        (Value::String(x), Value::String(y)) if case_insensitive => {
            case::lower_str(x) == case::lower_str(y)
        }
        _ => strict_eq(a, b),
    };
    match actual {
        Value::Array(items) => items.iter().any(|i| list.iter().any(|x| eq(i, x))),
        _ => list.iter().any(|x| eq(actual, x)),
    }
}

#[cfg(test)]
mod tests {
    use super::{
        array_index, holds, js_number, js_string, js_version, padded, utf16_cmp, CmpOp, Ordering,
        Value,
    };

    /// `Number(text)` as V8 answers it.
    #[test]
    fn strings_read_as_javascript_numbers() {
        for (text, want) in [
            ("12", 12.0),
            (" \t\n12\r ", 12.0),
            ("\u{feff}12", 12.0),
            ("\u{a0}\u{2028}12\u{3000}", 12.0),
            ("0x1A", 26.0),
            ("0X1a", 26.0),
            ("0o17", 15.0),
            ("0b101", 5.0),
            (" 0x10 ", 16.0),
            ("", 0.0),
            ("  ", 0.0),
            ("-Infinity", f64::NEG_INFINITY),
            ("1e3", 1000.0),
            (".5", 0.5),
            ("5.", 5.0),
        ] {
            assert_eq!(js_number(&Value::String(text.into())), want, "{text:?}");
        }
        for text in [
            "\u{85}12", "-0x10", "+0x10", "0x", "0xg", "0b2", "0o8", "1_000", "12px", "0x1.8",
        ] {
            assert!(js_number(&Value::String(text.into())).is_nan(), "{text:?}");
        }
    }

    /// `null`, booleans and numbers read as their JSON text, which is what `String()` gives for them.
    #[test]
    fn scalars_read_as_javascript_strings() {
        for (v, want) in [
            (Value::Null, "null"),
            (Value::Bool(true), "true"),
            (Value::Bool(false), "false"),
            (Value::Number(0.0), "0"),
            (Value::Number(-1.5), "-1.5"),
        ] {
            assert_eq!(js_string(&v), want, "{v:?}");
        }
    }

    #[test]
    fn a_value_that_is_not_a_version_reads_as_zero() {
        for v in [Value::Null, Value::Bool(true), Value::Array(Vec::new())] {
            assert_eq!(js_version(&v), padded("0"));
        }
    }

    #[test]
    fn holds_agrees_with_the_comparison_it_names() {
        for o in [Ordering::Less, Ordering::Equal, Ordering::Greater] {
            for (op, want) in [
                (CmpOp::Eq, o == Ordering::Equal),
                (CmpOp::Ne, o != Ordering::Equal),
                (CmpOp::Lt, o == Ordering::Less),
                (CmpOp::Le, o != Ordering::Greater),
                (CmpOp::Gt, o == Ordering::Greater),
                (CmpOp::Ge, o != Ordering::Less),
            ] {
                assert_eq!(holds(op, o), want, "{op:?} {o:?}");
            }
        }
    }

    #[test]
    fn strings_order_by_utf16_code_units() {
        let texts = [
            "",
            "a",
            "ab",
            "b",
            "é",
            "\u{FFFF}",
            "\u{E000}",
            "\u{10000}",
            "\u{1F600}",
            "\u{1F601}",
            "a\u{1F600}",
            "a\u{FFFD}",
            "\u{10400}",
            "\u{103FF}",
            "z\u{10000}z",
            "z\u{10000}",
        ];
        for a in texts {
            for b in texts {
                assert_eq!(
                    utf16_cmp(a, b),
                    a.encode_utf16().cmp(b.encode_utf16()),
                    "{a:?} {b:?}"
                );
            }
        }
    }

    #[test]
    fn array_indices_read_as_usize_parses() {
        let big = format!("{}0", usize::MAX);
        for key in [
            "0", "7", "+3", "007", "", "+", "-0", "-1", "1.0", " 1", "1 ", "x", "١", &big,
        ] {
            assert_eq!(array_index(key), key.parse::<usize>().ok(), "{key:?}");
        }
    }
}

// proptest is a native-only dev-dependency (the crate's tests also build for wasm32).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod utf16_properties {
    use super::utf16_cmp;
    use proptest::prelude::*;

    proptest! {
        /// Characters from each side of the surrogate range, and pairs sharing a high surrogate.
        #[test]
        fn agrees_with_comparing_code_units(a in "[a\u{E000}\u{FFFF}\u{10000}\u{10001}\u{1F600}\u{10400}é]{0,6}",
                                            b in "[a\u{E000}\u{FFFF}\u{10000}\u{10001}\u{1F600}\u{10400}é]{0,6}") {
            prop_assert_eq!(utf16_cmp(&a, &b), a.encode_utf16().cmp(b.encode_utf16()));
        }
    }
}
