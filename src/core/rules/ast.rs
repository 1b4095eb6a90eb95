//! The syntax tree. Every node carries the byte span of the source it came from, so checks and run-time
//! diagnostics can point at it.

use super::diagnostic::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

/// A name as written, with its span (a function name, a field, a named argument).
#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

/// A call argument: positional (`"Page Viewed"`) or named (`within: 7d`).
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    pub name: Option<Name>,
    pub value: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    /// Milliseconds.
    Duration(i64),
    /// The text of a `v"..."` literal, not yet validated.
    Version(String),
    List(Vec<Expr>),
    /// A bare name: a path root (`traits`) or, inside `where:`, a property of the counted event.
    Name(String),
    /// `object.field` or `object["field"]`.
    Member {
        object: Box<Expr>,
        field: Name,
    },
    Call {
        func: Name,
        args: Vec<Arg>,
    },
    Not(Box<Expr>),
    /// `a && b && c` or `a || b || c`, flattened: a long chain is a list, not a deep tree, so nothing that
    /// walks the tree recurses once per clause.
    Logic {
        op: BinOp,
        items: Vec<Expr>,
    },
    /// Comparisons and the other binary operators (never `&&`/`||`).
    Binary {
        op: BinOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `value exists`.
    Exists(Box<Expr>),
    /// Stands in for a piece that failed to parse (already reported), so checking can go on around it.
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    And,
    Or,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Contains,
    StartsWith,
    EndsWith,
    Matches,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::And => "&&",
            BinOp::Or => "||",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
            BinOp::NotIn => "not in",
            BinOp::Contains => "contains",
            BinOp::StartsWith => "starts_with",
            BinOp::EndsWith => "ends_with",
            BinOp::Matches => "matches",
        }
    }
}

impl Expr {
    /// Writes the expression in a canonical form without spans or redundant spacing. Two rules that ask the
    /// same thing in different layouts print the same, which is how aggregates are shared and keyed in the
    /// persisted state.
    pub fn canonical(&self, out: &mut String) {
        match &self.kind {
            ExprKind::Null => out.push_str("null"),
            ExprKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            ExprKind::Num(n) => crate::core::json::write_number(*n, out),
            ExprKind::Str(s) => crate::core::json::write_string(s, out),
            ExprKind::Duration(ms) => {
                crate::core::json::write_int(*ms, out);
                out.push_str("ms");
            }
            ExprKind::Version(v) => {
                out.push('v');
                crate::core::json::write_string(v, out);
            }
            ExprKind::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.canonical(out);
                }
                out.push(']');
            }
            ExprKind::Name(n) => out.push_str(n),
            ExprKind::Member { object, field } => {
                object.canonical(out);
                out.push('[');
                crate::core::json::write_string(&field.text, out);
                out.push(']');
            }
            ExprKind::Call { func, args } => {
                out.push_str(&func.text);
                out.push('(');
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if let Some(n) = &a.name {
                        out.push_str(&n.text);
                        out.push(':');
                    }
                    a.value.canonical(out);
                }
                out.push(')');
            }
            ExprKind::Not(e) => {
                out.push_str("!(");
                e.canonical(out);
                out.push(')');
            }
            ExprKind::Logic { op, items } => {
                out.push('(');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                        out.push_str(op.symbol());
                        out.push(' ');
                    }
                    item.canonical(out);
                }
                out.push(')');
            }
            ExprKind::Binary { op, left, right } => {
                out.push('(');
                left.canonical(out);
                out.push(' ');
                out.push_str(op.symbol());
                out.push(' ');
                right.canonical(out);
                out.push(')');
            }
            ExprKind::Exists(e) => {
                out.push('(');
                e.canonical(out);
                out.push_str(" exists)");
            }
            ExprKind::Error => out.push('?'),
        }
    }
}
