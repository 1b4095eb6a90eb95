//! Lowers a checked syntax tree to a `Program`.
//!
//! The checker has already reported every mistake it can see; lowering only resolves what it validated
//! (function ids, path roots, regexes, version padding, aggregate specifications). If it meets something the
//! checker let through but cannot lower, it reports that too rather than guessing.

use std::rc::Rc;

use super::ast::{Arg, BinOp, Expr, ExprKind};
use super::check::{static_type, Scope};
use super::diagnostic::Diagnostic;
use super::functions::{lookup, Func};
use super::program::{Binary, CmpOp, Deps, Many, Node, NodeKind, Program, Root, Text, Unary};
use super::regex::Regex;
use super::series::Combine;
use super::spec::{AggKind, AggSpec};
use super::types::Ty;
use super::version::padded;

pub fn lower(source: &str, expr: &Expr) -> Result<Program, Vec<Diagnostic>> {
    let mut l = Lowerer {
        src: source,
        aggregates: Vec::new(),
        deps: Deps::default(),
        errors: Vec::new(),
    };
    let root = l.node(expr, Scope::Rule);
    if !l.errors.is_empty() {
        return Err(l.errors);
    }
    let slots = (0..l.aggregates.len()).collect();
    Ok(Program {
        root,
        aggregates: l.aggregates.into_iter().map(Rc::new).collect(),
        slots,
        deps: l.deps,
        source: source.to_string(),
    })
}

struct Lowerer<'s> {
    src: &'s str,
    aggregates: Vec<AggSpec>,
    deps: Deps,
    errors: Vec<Diagnostic>,
}

fn boxed(n: Node) -> Box<Node> {
    Box::new(n)
}

impl Lowerer<'_> {
    fn fail(&mut self, e: &Expr, message: &str) -> Node {
        self.errors.push(Diagnostic::new(
            self.src,
            e.span,
            "internal",
            message.to_string(),
        ));
        Node {
            kind: NodeKind::Null,
            span: e.span,
        }
    }

    fn node(&mut self, e: &Expr, scope: Scope) -> Node {
        let kind = match &e.kind {
            ExprKind::Null | ExprKind::Error => NodeKind::Null,
            ExprKind::Bool(b) => NodeKind::Bool(*b),
            ExprKind::Num(n) => NodeKind::Num(*n),
            ExprKind::Str(s) => NodeKind::Text(Text::Str, s.clone()),
            ExprKind::Duration(ms) => NodeKind::Num(*ms as f64),
            ExprKind::Version(v) => NodeKind::Text(Text::Version, padded(v)),
            ExprKind::List(items) => NodeKind::Many(
                Many::List,
                items.iter().map(|i| self.node(i, scope)).collect(),
            ),
            ExprKind::Name(_) | ExprKind::Member { .. } => return self.path(e, scope),
            ExprKind::Call { func, args } => return self.call(e, &func.text, args, scope),
            ExprKind::Not(inner) => NodeKind::Unary(Unary::Not, boxed(self.node(inner, scope))),
            ExprKind::Logic { op, items } => {
                let items = items.iter().map(|i| self.node(i, scope)).collect();
                if *op == BinOp::And {
                    NodeKind::Many(Many::All, items)
                } else {
                    NodeKind::Many(Many::Any, items)
                }
            }
            ExprKind::Exists(inner) => {
                NodeKind::Unary(Unary::Exists, boxed(self.node(inner, scope)))
            }
            ExprKind::Binary { op, left, right } => {
                if *op == BinOp::Matches {
                    let ExprKind::Str(pattern) = &right.kind else {
                        return self.fail(right, "`matches` needs a quoted regex");
                    };
                    let l = self.node(left, scope);
                    return match Regex::new(pattern) {
                        Ok(re) => Node {
                            kind: NodeKind::Matches(boxed(l), re),
                            span: e.span,
                        },
                        Err(_) => self.fail(right, "invalid regex"),
                    };
                }
                let l = boxed(self.node(left, scope));
                let r = boxed(self.node(right, scope));
                let versioned = static_type(left, scope) == Ty::Version
                    || static_type(right, scope) == Ty::Version;
                let cmp = |op| {
                    if versioned {
                        NodeKind::Binary(Binary::VersionCmp(op), l.clone(), r.clone())
                    } else {
                        NodeKind::Binary(Binary::Cmp(op), l.clone(), r.clone())
                    }
                };
                match op {
                    // The parser builds `Logic` for these; a `Binary` never holds them.
                    BinOp::And => NodeKind::Many(Many::All, vec![*l, *r]),
                    BinOp::Or => NodeKind::Many(Many::Any, vec![*l, *r]),
                    BinOp::Eq => cmp(CmpOp::Eq),
                    BinOp::Ne => cmp(CmpOp::Ne),
                    BinOp::Lt => cmp(CmpOp::Lt),
                    BinOp::Le => cmp(CmpOp::Le),
                    BinOp::Gt => cmp(CmpOp::Gt),
                    BinOp::Ge => cmp(CmpOp::Ge),
                    BinOp::In => NodeKind::Binary(Binary::In, l, r),
                    BinOp::NotIn => NodeKind::Unary(
                        Unary::Not,
                        boxed(Node {
                            kind: NodeKind::Binary(Binary::In, l, r),
                            span: e.span,
                        }),
                    ),
                    BinOp::Contains => NodeKind::Binary(Binary::Contains, l, r),
                    BinOp::StartsWith => NodeKind::Binary(Binary::StartsWith, l, r),
                    BinOp::EndsWith => NodeKind::Binary(Binary::EndsWith, l, r),
                    BinOp::Matches => NodeKind::Null,
                }
            }
        };
        Node { kind, span: e.span }
    }

    /// Resolves a path to its root and field list.
    fn path(&mut self, e: &Expr, scope: Scope) -> Node {
        let mut fields: Vec<String> = Vec::new();
        let mut root = e;
        while let ExprKind::Member { object, field } = &root.kind {
            fields.push(field.text.clone());
            root = object;
        }
        fields.reverse();
        if let ExprKind::Call { func, args } = &root.kind {
            // `last("Event").prop`: the last value of a property.
            if func.text != "last" {
                return self.fail(e, "only `last(...)` has fields");
            }
            let Some((event, filter)) = self.event_and_filter(args) else {
                return self.fail(e, "bad arguments to `last`");
            };
            let slot = self.aggregate(AggKind::LastValue(fields), event, filter, None);
            return Node {
                kind: NodeKind::Agg(slot),
                span: e.span,
            };
        }
        let ExprKind::Name(name) = &root.kind else {
            return self.fail(e, "this has no fields");
        };
        let (root_kind, skip) = match (scope, name.as_str(), fields.first().map(String::as_str)) {
            (_, "event", Some("name")) => (Root::EventName, 1),
            (_, "event", Some("type")) => (Root::EventType, 1),
            (_, "event", Some("properties")) => (Root::Properties, 1),
            (_, "event", Some("context")) => (Root::EventContext, 1),
            (_, "properties", _) => (Root::Properties, 0),
            (Scope::Rule, "traits", _) => (Root::Traits, 0),
            (Scope::Rule, "context", _) => (Root::Context, 0),
            (Scope::Rule, "page", _) => (Root::Page, 0),
            (Scope::Rule, "channel", _) => (Root::Channel, 0),
            (Scope::Filter, "context", _) => (Root::EventContext, 0),
            (Scope::Filter, _, _) => {
                fields.insert(0, name.clone());
                (Root::Properties, 0)
            }
            _ => return self.fail(e, "unknown path root"),
        };
        match root_kind {
            Root::Traits => self.deps.flags |= Deps::TRAITS,
            Root::Context | Root::Page | Root::Channel => self.deps.flags |= Deps::CONTEXT,
            Root::EventName | Root::EventType | Root::Properties | Root::EventContext => {
                if scope == Scope::Rule {
                    self.deps.flags |= Deps::EVENT;
                }
            }
            Root::Attributes => {}
        }
        fields.drain(..skip);
        Node {
            kind: NodeKind::Path(root_kind, fields),
            span: e.span,
        }
    }

    fn event_and_filter<'a>(&mut self, args: &'a [Arg]) -> Option<(String, Option<&'a Expr>)> {
        let event = match args
            .iter()
            .find(|a| a.name.is_none())
            .map(|a| &a.value.kind)
        {
            Some(ExprKind::Str(s)) => s.clone(),
            _ => return None,
        };
        Some((event, named(args, "where")))
    }

    /// Registers an aggregate (or finds the identical one this rule already uses) and returns its local index.
    fn aggregate(
        &mut self,
        kind: AggKind,
        event: String,
        filter: Option<&Expr>,
        window_ms: Option<i64>,
    ) -> usize {
        let mut key = String::new();
        key.push_str(match &kind {
            AggKind::Count => "count",
            AggKind::Number(Combine::Sum, _) => "sum",
            AggKind::Number(Combine::Min, _) => "min",
            AggKind::Number(Combine::Max, _) => "max",
            AggKind::First => "first",
            AggKind::Last => "last",
            AggKind::LastValue(_) => "last_value",
            AggKind::Sequence { .. } => "sequence",
            AggKind::Sessions => "sessions",
            AggKind::Engaged => "engaged",
        });
        key.push('|');
        crate::core::json::write_string(&event, &mut key);
        match &kind {
            AggKind::Number(_, p) | AggKind::LastValue(p) => {
                key.push('|');
                crate::core::json::write_string(&p.join("."), &mut key);
            }
            AggKind::Sequence {
                steps,
                absent_last,
                within_ms,
            } => {
                for s in steps {
                    key.push('|');
                    crate::core::json::write_string(s, &mut key);
                }
                key.push_str(if *absent_last { "|absent|" } else { "|" });
                crate::core::json::write_int(*within_ms, &mut key);
            }
            _ => {}
        }
        if let Some(w) = window_ms {
            key.push_str("|within:");
            crate::core::json::write_int(w, &mut key);
        }
        if let Some(f) = filter {
            key.push_str("|where:");
            f.canonical(&mut key);
        }
        if let Some(i) = self.aggregates.iter().position(|a| a.key == key) {
            return i;
        }
        let filter = filter.map(|f| self.node(f, Scope::Filter));
        self.aggregates.push(AggSpec {
            kind,
            event,
            filter,
            window_ms,
            key,
        });
        self.aggregates.len() - 1
    }

    fn call(&mut self, e: &Expr, name: &str, args: &[Arg], scope: Scope) -> Node {
        let Some(func) = lookup(name) else {
            return self.fail(e, "unknown function");
        };
        let positional: Vec<&Expr> = args
            .iter()
            .filter(|a| a.name.is_none())
            .map(|a| &a.value)
            .collect();
        let str_arg = |i: usize| match positional.get(i).map(|x| &x.kind) {
            Some(ExprKind::Str(s)) => Some(s.clone()),
            _ => None,
        };
        let window = match named(args, "within").map(|w| &w.kind) {
            Some(ExprKind::Duration(ms)) => Some(*ms),
            _ => None,
        };
        let filter = named(args, "where");
        let kind = match func {
            Func::Count | Func::Sum | Func::Min | Func::Max | Func::First | Func::Last => {
                let Some(event) = str_arg(0) else {
                    return self.fail(e, "missing event name");
                };
                let prop =
                    || str_arg(1).map(|p| p.split('.').map(str::to_string).collect::<Vec<_>>());
                let kind = match func {
                    Func::Count => AggKind::Count,
                    Func::Sum => AggKind::Number(Combine::Sum, prop().unwrap_or_default()),
                    Func::Min => AggKind::Number(Combine::Min, prop().unwrap_or_default()),
                    Func::Max => AggKind::Number(Combine::Max, prop().unwrap_or_default()),
                    Func::First => AggKind::First,
                    _ => AggKind::Last,
                };
                let window = if matches!(func, Func::First | Func::Last) {
                    None
                } else {
                    window
                };
                NodeKind::Agg(self.aggregate(kind, event, filter, window))
            }
            Func::Sequence => {
                let mut steps = Vec::new();
                let mut absent_last = false;
                for p in &positional {
                    match &p.kind {
                        ExprKind::Str(s) => steps.push(s.clone()),
                        ExprKind::Not(inner) => {
                            if let ExprKind::Str(s) = &inner.kind {
                                steps.push(s.clone());
                                absent_last = true;
                            }
                        }
                        _ => return self.fail(p, "bad sequence step"),
                    }
                }
                let Some(within_ms) = window else {
                    return self.fail(e, "sequence needs within:");
                };
                let kind = AggKind::Sequence {
                    steps,
                    absent_last,
                    within_ms,
                };
                NodeKind::Agg(self.aggregate(kind, String::new(), None, None))
            }
            Func::SessionCount => {
                NodeKind::Agg(self.aggregate(AggKind::Sessions, String::new(), None, window))
            }
            Func::EngagedTime => {
                NodeKind::Agg(self.aggregate(AggKind::Engaged, String::new(), None, window))
            }
            Func::TimeSince | Func::DaysSince => {
                self.deps.flags |= Deps::CLOCK;
                let Some(arg) = positional.first() else {
                    return self.fail(e, "missing argument");
                };
                NodeKind::Unary(
                    if func == Func::DaysSince {
                        Unary::DaysSince
                    } else {
                        Unary::TimeSince
                    },
                    boxed(self.node(arg, scope)),
                )
            }
            Func::InSegment => {
                let s = str_arg(0).unwrap_or_default();
                if !self.deps.segments.contains(&s) {
                    self.deps.segments.push(s.clone());
                }
                NodeKind::Text(Text::Segment, s)
            }
            Func::Stage => {
                let s = str_arg(0).unwrap_or_default();
                if !self.deps.journeys.contains(&s) {
                    self.deps.journeys.push(s.clone());
                }
                NodeKind::Text(Text::Stage, s)
            }
            Func::Bucket => {
                self.deps.flags |= Deps::IDENTITY;
                NodeKind::Text(Text::Bucket, str_arg(0).unwrap_or_default())
            }
            Func::InRollout => {
                self.deps.flags |= Deps::IDENTITY;
                let pct = match positional.get(1).map(|x| &x.kind) {
                    Some(ExprKind::Num(n)) => *n,
                    _ => 0.0,
                };
                NodeKind::InRollout(str_arg(0).unwrap_or_default(), pct)
            }
            Func::Version => NodeKind::Text(Text::Version, padded(&str_arg(0).unwrap_or_default())),
        };
        Node { kind, span: e.span }
    }
}

fn named<'a>(args: &'a [Arg], name: &str) -> Option<&'a Expr> {
    args.iter()
        .find(|a| a.name.as_ref().is_some_and(|n| n.text == name))
        .map(|a| &a.value)
}
