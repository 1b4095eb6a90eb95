//! Static checks: names resolve, calls match their signatures, and operands have types that can ever compare.
//!
//! Paths into data are `Any` and pass; only what is known at compile time (literals, function results) can be
//! wrong here. Unknown event names and property paths are not errors: they are simply absent at run time.

use super::ast::{Arg, BinOp, Expr, ExprKind};
use super::diagnostic::{Diagnostic, Span};
use super::functions::{lookup, signature, suggest, Func};
use super::limits::{MAX_SEQUENCE_STEPS, MAX_WINDOW_MS};
use super::types::Ty;
use super::version::is_valid_version;

/// Where an expression is evaluated: the rule itself, or a `where:` filter over one candidate event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Rule,
    Filter,
}

/// Path roots a rule may start with.
pub const ROOTS: [&str; 6] = [
    "traits",
    "context",
    "page",
    "event",
    "properties",
    "channel",
];

/// Checks a whole rule; it must be a condition.
pub fn check(source: &str, expr: &Expr) -> Vec<Diagnostic> {
    let mut c = Checker {
        src: source,
        errors: Vec::new(),
    };
    let ty = c.ty(expr, Scope::Rule);
    if !ty.fits(Ty::Bool) {
        c.error(
            expr.span,
            "not-a-condition",
            format!(
                "a rule must be true or false, but this is {}; compare it with something",
                ty.name()
            ),
        );
    }
    c.errors
}

/// The static type of an expression, without reporting anything (the compiler uses it to pick version
/// comparison).
pub fn static_type(expr: &Expr, scope: Scope) -> Ty {
    let mut c = Checker {
        src: "",
        errors: Vec::new(),
    };
    c.ty(expr, scope)
}

struct Checker<'s> {
    src: &'s str,
    errors: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn error(&mut self, span: Span, code: &'static str, message: impl Into<String>) {
        self.errors
            .push(Diagnostic::new(self.src, span, code, message));
    }

    fn ty(&mut self, e: &Expr, scope: Scope) -> Ty {
        match &e.kind {
            ExprKind::Null => Ty::Null,
            ExprKind::Bool(_) => Ty::Bool,
            ExprKind::Num(_) => Ty::Num,
            ExprKind::Str(_) => Ty::Str,
            ExprKind::Duration(_) => Ty::Duration,
            ExprKind::Version(v) => {
                if !is_valid_version(v) {
                    self.error(
                        e.span,
                        "bad-version",
                        format!(
                            "`{v}` is not a version; write it like v\"1.2.3\" or v\"2.0.0-beta.1\""
                        ),
                    );
                }
                Ty::Version
            }
            ExprKind::List(items) => {
                for item in items {
                    self.ty(item, scope);
                }
                Ty::List
            }
            ExprKind::Error => Ty::Any,
            ExprKind::Name(_) | ExprKind::Member { .. } => self.path(e, scope),
            ExprKind::Call { func, args } => self.call(e, &func.text, func.span, args, scope),
            ExprKind::Not(inner) => {
                let t = self.ty(inner, scope);
                self.want_bool(inner.span, t, "`!`");
                Ty::Bool
            }
            ExprKind::Exists(inner) => {
                self.ty(inner, scope);
                Ty::Bool
            }
            ExprKind::Logic { op, items } => {
                for item in items {
                    let t = self.ty(item, scope);
                    self.want_bool(item.span, t, op.symbol());
                }
                Ty::Bool
            }
            ExprKind::Binary { op, left, right } => self.binary(e.span, *op, left, right, scope),
        }
    }

    fn want_bool(&mut self, span: Span, t: Ty, what: &str) {
        if !t.fits(Ty::Bool) {
            self.error(
                span,
                "type-mismatch",
                format!("{what} needs true or false, but this is {}", t.name()),
            );
        }
    }

    /// Validates a path's root. In a filter, a bare name is a property of the candidate event.
    fn path(&mut self, e: &Expr, scope: Scope) -> Ty {
        // Find the root of the chain.
        let mut root = e;
        let mut first_field = None;
        while let ExprKind::Member { object, field } = &root.kind {
            first_field = Some(field);
            root = object;
        }
        match &root.kind {
            ExprKind::Name(name) => {
                let known = match scope {
                    Scope::Rule => ROOTS.contains(&name.as_str()),
                    Scope::Filter => true,
                };
                if !known {
                    // A word alone is as often a value that lost its quotes (`traits.plan == pro`).
                    let text = match first_field {
                        None => format!("text is written in quotes (\"{name}\"), and "),
                        Some(_) => String::new(),
                    };
                    self.error(
                        root.span,
                        "unknown-name",
                        format!(
                            "unknown name `{name}`; {text}a path starts with traits, context, page, event, properties or channel (e.g. traits.{name})"
                        ),
                    );
                }
                // In a filter every other bare name (`path`, even `page`) is a property of the event.
                if name == "event" && (scope == Scope::Rule || first_field.is_some()) {
                    match first_field {
                        Some(f) if matches!(f.text.as_str(), "name" | "type" | "properties" | "context") => {}
                        Some(f) => self.error(
                            f.span,
                            "unknown-name",
                            format!("`event.{}` is not a field of an event; use event.name, event.type, event.properties.x or event.context.x", f.text),
                        ),
                        None => self.error(
                            root.span,
                            "unknown-name",
                            "`event` alone is not a value; use event.name, event.type, event.properties.x or event.context.x",
                        ),
                    }
                }
                Ty::Any
            }
            ExprKind::Call { func, .. } => {
                let t = self.ty(root, scope);
                if func.text == "last" && t == Ty::Occurrence {
                    Ty::Any
                } else {
                    self.error(
                        e.span,
                        "bad-member",
                        format!("only `last(...)` has fields (the last event's properties); `{}(...)` has none", func.text),
                    );
                    Ty::Any
                }
            }
            _ => {
                let t = self.ty(root, scope);
                self.error(e.span, "bad-member", format!("{} has no fields", t.name()));
                Ty::Any
            }
        }
    }

    fn binary(&mut self, span: Span, op: BinOp, left: &Expr, right: &Expr, scope: Scope) -> Ty {
        let lt = self.ty(left, scope);
        if op == BinOp::Matches {
            match &right.kind {
                ExprKind::Str(pattern) => {
                    if let Err(e) = super::regex::Regex::new(pattern) {
                        let at = Span::new(right.span.start, right.span.end);
                        self.error(at, "bad-regex", format!("invalid regex: {e}"));
                    }
                }
                _ => {
                    self.ty(right, scope);
                    self.error(
                        right.span,
                        "bad-regex",
                        "`matches` takes a quoted regex, e.g. path matches \"^/blog/\"",
                    );
                }
            }
            self.operand(left.span, lt, &[Ty::Str], "matches");
            return Ty::Bool;
        }
        let rt = self.ty(right, scope);
        match op {
            BinOp::And | BinOp::Or => {
                self.want_bool(left.span, lt, op.symbol());
                self.want_bool(right.span, rt, op.symbol());
            }
            BinOp::Eq | BinOp::Ne => {
                if !comparable_eq(lt, rt) {
                    self.mismatch(span, op, lt, rt);
                }
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                for (t, s) in [(lt, left.span), (rt, right.span)] {
                    if matches!(t, Ty::Bool | Ty::Null | Ty::List | Ty::Occurrence) {
                        let hint = if t == Ty::Occurrence {
                            "; use time_since(...) or days_since(...)"
                        } else {
                            ""
                        };
                        self.error(
                            s,
                            "type-mismatch",
                            format!("`{}` cannot order {}{hint}", op.symbol(), t.name()),
                        );
                        return Ty::Bool;
                    }
                }
                if !comparable_eq(lt, rt) {
                    self.mismatch(span, op, lt, rt);
                }
            }
            BinOp::In | BinOp::NotIn => {
                if !matches!(rt, Ty::List | Ty::Any) {
                    let hint = if rt == Ty::Str {
                        "; to find text in a string use `contains`"
                    } else {
                        ""
                    };
                    self.error(
                        right.span,
                        "type-mismatch",
                        format!(
                            "`{}` needs a list on its right, but this is {}{hint}",
                            op.symbol(),
                            rt.name()
                        ),
                    );
                }
            }
            BinOp::Contains => {
                if !matches!(lt, Ty::List | Ty::Str | Ty::Any) {
                    self.error(
                        left.span,
                        "type-mismatch",
                        format!(
                            "`contains` needs a list or a string on its left, but this is {}",
                            lt.name()
                        ),
                    );
                } else if lt == Ty::Str && !rt.fits(Ty::Str) {
                    self.error(
                        right.span,
                        "type-mismatch",
                        format!(
                            "a string can only contain a string, but this is {}",
                            rt.name()
                        ),
                    );
                }
            }
            BinOp::StartsWith | BinOp::EndsWith => {
                self.operand(left.span, lt, &[Ty::Str], op.symbol());
                self.operand(right.span, rt, &[Ty::Str], op.symbol());
            }
            BinOp::Matches => {}
        }
        Ty::Bool
    }

    fn operand(&mut self, span: Span, t: Ty, allowed: &[Ty], op: &str) {
        if t != Ty::Any && !allowed.contains(&t) {
            self.error(
                span,
                "type-mismatch",
                format!("`{op}` works on strings, but this is {}", t.name()),
            );
        }
    }

    fn mismatch(&mut self, span: Span, op: BinOp, lt: Ty, rt: Ty) {
        let hint = match (lt, rt) {
            (Ty::Duration, Ty::Num) | (Ty::Num, Ty::Duration) => {
                "; write the number with a unit, e.g. 30m or 7d"
            }
            (Ty::Version, Ty::Num) | (Ty::Num, Ty::Version) => "; write the version as v\"1.2.3\"",
            _ => "",
        };
        self.error(
            span,
            "type-mismatch",
            format!(
                "`{}` compares {} with {}, which can never match{hint}",
                op.symbol(),
                lt.name(),
                rt.name()
            ),
        );
    }

    fn call(&mut self, e: &Expr, name: &str, name_span: Span, args: &[Arg], scope: Scope) -> Ty {
        let Some(func) = lookup(name) else {
            let hint = suggest(name)
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            self.error(
                name_span,
                "unknown-function",
                format!("unknown function `{name}`{hint}"),
            );
            for a in args {
                self.ty(&a.value, scope);
            }
            return Ty::Any;
        };
        let sig = signature(func);
        if scope == Scope::Filter && func != Func::Version {
            self.error(
                name_span,
                "filter-scope",
                format!("`{name}(...)` cannot be used inside `where:`, which tests one event's own fields"),
            );
            return sig.result;
        }
        let positional: Vec<&Arg> = args.iter().filter(|a| a.name.is_none()).collect();
        // Named arguments: known names, once each, after the positional ones.
        let mut seen: Vec<&str> = Vec::new();
        let mut named_started = false;
        for a in args {
            match &a.name {
                Some(n) => {
                    named_started = true;
                    if !sig.named.contains(&n.text.as_str()) {
                        let takes = if sig.named.is_empty() {
                            "no named arguments".to_string()
                        } else {
                            format!(
                                "only {}",
                                sig.named
                                    .iter()
                                    .map(|s| format!("`{s}:`"))
                                    .collect::<Vec<_>>()
                                    .join(" and ")
                            )
                        };
                        self.error(
                            n.span,
                            "bad-argument",
                            format!("`{name}` takes {takes}, not `{}:`", n.text),
                        );
                    } else if seen.contains(&n.text.as_str()) {
                        self.error(
                            n.span,
                            "bad-argument",
                            format!("`{}:` is given twice", n.text),
                        );
                    }
                    seen.push(&n.text);
                    match n.text.as_str() {
                        "where" => {
                            let t = self.ty(&a.value, Scope::Filter);
                            self.want_bool(a.value.span, t, "`where:`");
                        }
                        "within" => self.window(&a.value),
                        _ => {
                            self.ty(&a.value, scope);
                        }
                    }
                }
                None if named_started => {
                    self.error(
                        a.value.span,
                        "bad-argument",
                        "positional arguments go before named ones",
                    );
                }
                None => {}
            }
        }
        if sig.variadic {
            self.sequence(e, &positional, seen.contains(&"within"));
            return sig.result;
        }
        if positional.len() != sig.positional.len() {
            let want = sig.positional.len();
            let names: Vec<&str> = sig.positional.iter().map(|p| p.0).collect();
            let list = if names.is_empty() {
                String::new()
            } else {
                format!(" ({})", names.join(", "))
            };
            self.error(
                e.span,
                "arity",
                format!(
                    "`{name}` takes {want} argument{}{list}, but {} {} given",
                    if want == 1 { "" } else { "s" },
                    positional.len(),
                    if positional.len() == 1 { "was" } else { "were" }
                ),
            );
        }
        for (a, (pname, pty, literal)) in positional.iter().zip(sig.positional) {
            if *literal && !is_literal(&a.value) {
                // A bare word is the literal without its quotes: say so, rather than also calling it an unknown
                // name. Anything else is checked for errors of its own.
                let quoted = match &a.value.kind {
                    ExprKind::Name(word) if matches!(pty, Ty::Str) => {
                        format!(", in quotes: \"{word}\"")
                    }
                    _ => {
                        self.ty(&a.value, scope);
                        String::new()
                    }
                };
                self.error(
                    a.value.span,
                    "bad-argument",
                    format!("the {pname} of `{name}` must be written out as a literal{quoted}"),
                );
                continue;
            }
            let t = self.ty(&a.value, scope);
            let ok = match func {
                Func::TimeSince | Func::DaysSince => {
                    matches!(t, Ty::Occurrence | Ty::Num | Ty::Any)
                }
                _ => t.fits(*pty),
            };
            if !ok {
                self.error(
                    a.value.span,
                    "type-mismatch",
                    format!(
                        "the {pname} of `{name}` must be {}, but this is {}",
                        pty.name(),
                        t.name()
                    ),
                );
                continue;
            }
            match (func, &a.value.kind) {
                (Func::Version, ExprKind::Str(v)) if !is_valid_version(v) => {
                    self.error(
                        a.value.span,
                        "bad-version",
                        format!(
                            "`{v}` is not a version; write it like \"1.2.3\" or \"2.0.0-beta.1\""
                        ),
                    );
                }
                (Func::InRollout, ExprKind::Num(p)) if !(0.0..=100.0).contains(p) => {
                    self.error(
                        a.value.span,
                        "bad-argument",
                        "a rollout percentage is between 0 and 100",
                    );
                }
                (Func::Sum | Func::Min | Func::Max, ExprKind::Str(p))
                    if p.is_empty() || p.split('.').any(str::is_empty) =>
                {
                    self.error(
                        a.value.span,
                        "bad-argument",
                        "a property name is a dotted path like \"revenue\" or \"cart.total\"",
                    );
                }
                _ => {}
            }
        }
        sig.result
    }

    fn window(&mut self, value: &Expr) {
        match value.kind {
            ExprKind::Duration(ms) if (1_000..=MAX_WINDOW_MS).contains(&ms) => {}
            ExprKind::Duration(_) => self.error(
                value.span,
                "bad-duration",
                "a `within:` window is between 1s and 400d",
            ),
            _ => {
                let t = self.ty(value, Scope::Rule);
                self.error(
                    value.span,
                    "bad-argument",
                    format!(
                        "`within:` takes a duration such as 30m or 7d, but this is {}",
                        t.name()
                    ),
                );
            }
        }
    }

    fn sequence(&mut self, e: &Expr, steps: &[&Arg], has_within: bool) {
        if steps.len() < 2 || steps.len() > MAX_SEQUENCE_STEPS {
            self.error(
                e.span,
                "arity",
                format!("`sequence` takes 2 to {MAX_SEQUENCE_STEPS} event names"),
            );
        }
        for (i, a) in steps.iter().enumerate() {
            match &a.value.kind {
                ExprKind::Str(_) => {}
                ExprKind::Not(inner) if matches!(inner.kind, ExprKind::Str(_)) => {
                    if i != 1 || steps.len() != 2 {
                        self.error(a.value.span, "bad-argument", "`not` is only allowed as the second of two steps: sequence(\"A\", not \"B\", within: 30m)");
                    }
                }
                _ => self.error(a.value.span, "bad-argument", "a sequence step is an event name in quotes (or `not \"Name\"` as the second step)"),
            }
        }
        if !has_within {
            self.error(
                e.span,
                "bad-argument",
                "`sequence` needs a window, e.g. within: 1h",
            );
        }
    }
}

fn is_literal(e: &Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::Str(_) | ExprKind::Num(_) | ExprKind::Error
    )
}

/// Whether values of these static types can ever be equal.
fn comparable_eq(a: Ty, b: Ty) -> bool {
    if a == Ty::Any || b == Ty::Any || a == b || a == Ty::Null || b == Ty::Null {
        return true;
    }
    // A string is read as a version when compared with one.
    matches!((a, b), (Ty::Str, Ty::Version) | (Ty::Version, Ty::Str))
}
