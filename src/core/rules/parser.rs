//! A Pratt parser from tokens to the syntax tree.
//!
//! Precedence, loosest first: `||` (`or`), `&&` (`and`), `!` (`not`), comparisons (`== != < <= > >= in not in
//! contains starts_with ends_with matches`, postfix `exists`; not chainable), then member access and calls.
//! `!` binds looser than comparisons, as `not` does in Python: `!plan == "pro"` means `!(plan == "pro")`.
//!
//! Chains of `&&` (or of `||`) become one flat list node, so a rule with many clauses is wide, not deep. The
//! parser recovers at `&&`, `||`, `,` and closing brackets, so one rule with several mistakes reports each.

use super::ast::{Arg, BinOp, Expr, ExprKind, Name};
use super::diagnostic::{Diagnostic, Span};
use super::limits::{MAX_DEPTH, MAX_LIST_ITEMS};
use super::token::{Token, TokenKind};

const BP_OR: u8 = 1;
const BP_AND: u8 = 2;
const BP_NOT: u8 = 3;
const BP_CMP: u8 = 4;

pub fn parse(source: &str, tokens: &[Token]) -> (Expr, Vec<Diagnostic>) {
    let mut p = Parser {
        src: source,
        tokens,
        pos: 0,
        errors: Vec::new(),
        last_error_at: usize::MAX,
        too_deep: false,
    };
    let mut expr = p.expr(0, 0);
    // Anything left over is a mistake; report it, then keep parsing after the next `&&`/`||` for more errors.
    while !p.at(&TokenKind::Eof) && !p.too_deep {
        let t = p.peek().clone();
        let hint = match operator_meant(source, &t) {
            Some(op) => format!("did you mean `{op}`?"),
            None => "did you miss `&&` or `||`?".into(),
        };
        p.error(
            t.span,
            "unexpected-token",
            format!("unexpected {} here; {hint}", describe(source, &t)),
        );
        while !matches!(
            p.peek().kind,
            TokenKind::Eof | TokenKind::AndAnd | TokenKind::OrOr
        ) {
            p.pos += 1;
        }
        if !p.at(&TokenKind::Eof) {
            p.pos += 1;
            let _ = p.expr(0, 0);
        }
        expr = Expr {
            kind: ExprKind::Error,
            span: expr.span,
        };
    }
    (expr, p.errors)
}

/// The operators written as words, which cannot stand where a value is expected (`not` can: it negates one).
const WORD_OPERATORS: [&str; 8] = [
    "in",
    "contains",
    "starts_with",
    "ends_with",
    "matches",
    "exists",
    "and",
    "or",
];

/// The operator a word was probably meant to be, written as another language writes it (`startsWith`, `AND`,
/// `includes`), for a hint.
fn operator_meant(src: &str, t: &Token) -> Option<&'static str> {
    if t.kind != TokenKind::Ident {
        return None;
    }
    let word = src.get(t.span.start..t.span.end).unwrap_or_default();
    // ASCII case only: the operators are ASCII, and Unicode case tables would ship with the compiler.
    let squashed: String = word
        .chars()
        .filter(|&c| c != '_')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if squashed == "includes" || squashed == "has" {
        return Some("contains");
    }
    WORD_OPERATORS
        .into_iter()
        .chain(["not"])
        .find(|op| *op != word && op.chars().filter(|&c| c != '_').eq(squashed.chars()))
}

/// What a token is called in a message: a word as written, then the operator it was probably meant to be, if any.
fn found(src: &str, t: &Token) -> String {
    match operator_meant(src, t) {
        Some(op) => format!("{}; did you mean `{op}`?", describe(src, t)),
        None => describe(src, t),
    }
}

fn describe(src: &str, t: &Token) -> String {
    match t.kind {
        TokenKind::Ident => format!(
            "`{}`",
            src.get(t.span.start..t.span.end).unwrap_or_default()
        ),
        _ => t.kind.describe().to_string(),
    }
}

struct Parser<'a> {
    src: &'a str,
    tokens: &'a [Token],
    pos: usize,
    errors: Vec<Diagnostic>,
    last_error_at: usize,
    too_deep: bool,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn peek2(&self) -> &Token {
        &self.tokens[(self.pos + 1).min(self.tokens.len() - 1)]
    }

    fn at(&self, kind: &TokenKind) -> bool {
        &self.peek().kind == kind
    }

    fn text(&self, t: &Token) -> &str {
        self.src.get(t.span.start..t.span.end).unwrap_or_default()
    }

    fn at_word(&self, word: &str) -> bool {
        let t = self.peek();
        t.kind == TokenKind::Ident && self.text(t) == word
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if t.kind != TokenKind::Eof {
            self.pos += 1;
        }
        t
    }

    /// Reports an error unless one was already reported at the same place (one mistake, one message).
    fn error(&mut self, span: Span, code: &'static str, message: impl Into<String>) {
        // After "too deep" the parser skips to the end; what it trips over on the way out is noise.
        if self.last_error_at == span.start || self.too_deep {
            return;
        }
        self.last_error_at = span.start;
        self.errors
            .push(Diagnostic::new(self.src, span, code, message));
    }

    fn error_node(span: Span) -> Expr {
        Expr {
            kind: ExprKind::Error,
            span,
        }
    }

    fn expect(&mut self, kind: TokenKind, what: &str) -> bool {
        if self.at(&kind) {
            self.pos += 1;
            true
        } else {
            let t = self.peek().clone();
            let found = found(self.src, &t);
            self.error(
                t.span,
                "unexpected-token",
                format!("expected {what}, found {found}"),
            );
            false
        }
    }

    /// The binary operator at the cursor, its binding power and how many tokens it spans.
    fn binary_op(&self) -> Option<(BinOp, u8, usize)> {
        let t = self.peek();
        Some(match &t.kind {
            TokenKind::OrOr => (BinOp::Or, BP_OR, 1),
            TokenKind::AndAnd => (BinOp::And, BP_AND, 1),
            TokenKind::EqEq => (BinOp::Eq, BP_CMP, 1),
            TokenKind::NotEq => (BinOp::Ne, BP_CMP, 1),
            TokenKind::Lt => (BinOp::Lt, BP_CMP, 1),
            TokenKind::Le => (BinOp::Le, BP_CMP, 1),
            TokenKind::Gt => (BinOp::Gt, BP_CMP, 1),
            TokenKind::Ge => (BinOp::Ge, BP_CMP, 1),
            TokenKind::Ident => match self.text(t) {
                "or" => (BinOp::Or, BP_OR, 1),
                "and" => (BinOp::And, BP_AND, 1),
                "in" => (BinOp::In, BP_CMP, 1),
                "contains" => (BinOp::Contains, BP_CMP, 1),
                "starts_with" => (BinOp::StartsWith, BP_CMP, 1),
                "ends_with" => (BinOp::EndsWith, BP_CMP, 1),
                "matches" => (BinOp::Matches, BP_CMP, 1),
                "not"
                    if self.peek2().kind == TokenKind::Ident && self.text(self.peek2()) == "in" =>
                {
                    (BinOp::NotIn, BP_CMP, 2)
                }
                _ => return None,
            },
            _ => return None,
        })
    }

    fn enter(&mut self, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            if !self.too_deep {
                let span = self.peek().span;
                self.error(
                    span,
                    "too-deep",
                    format!("the rule nests deeper than {MAX_DEPTH} levels"),
                );
                self.too_deep = true;
            }
            // Skip everything: the rest of a too-deep rule cannot be trusted to parse sensibly.
            self.pos = self.tokens.len() - 1;
            return false;
        }
        true
    }

    fn expr(&mut self, min_bp: u8, depth: usize) -> Expr {
        if !self.enter(depth) {
            return Self::error_node(self.peek().span);
        }
        let mut left = if self.at(&TokenKind::Bang) || self.at_word("not") {
            let op = self.bump();
            let operand = self.expr(BP_NOT, depth + 1);
            Expr {
                span: op.span.to(operand.span),
                kind: ExprKind::Not(Box::new(operand)),
            }
        } else {
            self.postfix(depth)
        };
        let mut compared = false;
        loop {
            if self.too_deep {
                return left;
            }
            if self.at_word("exists") {
                if BP_CMP < min_bp {
                    break;
                }
                let t = self.bump();
                if compared {
                    self.error(
                        t.span,
                        "chained-comparison",
                        "`exists` cannot follow a comparison; use parentheses",
                    );
                }
                compared = true;
                left = Expr {
                    span: left.span.to(t.span),
                    kind: ExprKind::Exists(Box::new(left)),
                };
                continue;
            }
            let Some((op, bp, len)) = self.binary_op() else {
                break;
            };
            if bp < min_bp {
                break;
            }
            let op_span = self.peek().span;
            if bp == BP_CMP {
                if min_bp == BP_CMP || compared {
                    self.error(
                        op_span,
                        "chained-comparison",
                        "comparisons cannot be chained; join them with `&&`",
                    );
                }
                compared = true;
            }
            self.pos += len;
            let right = self.expr(if bp == BP_CMP { BP_CMP } else { bp + 1 }, depth + 1);
            let span = left.span.to(right.span);
            left = match (op, left) {
                (
                    BinOp::And | BinOp::Or,
                    Expr {
                        kind:
                            ExprKind::Logic {
                                op: same,
                                mut items,
                            },
                        ..
                    },
                ) if same == op => {
                    items.push(right);
                    Expr {
                        span,
                        kind: ExprKind::Logic { op, items },
                    }
                }
                (BinOp::And | BinOp::Or, left) => Expr {
                    span,
                    kind: ExprKind::Logic {
                        op,
                        items: vec![left, right],
                    },
                },
                (_, left) => Expr {
                    span,
                    kind: ExprKind::Binary {
                        op,
                        left: Box::new(left),
                        right: Box::new(right),
                    },
                },
            };
        }
        left
    }

    /// A primary followed by `.field`, `["field"]` accessors.
    fn postfix(&mut self, depth: usize) -> Expr {
        let mut e = self.primary(depth);
        // A member chain is a left-deep tree: bound its length like nesting.
        let mut fields = 0usize;
        loop {
            if matches!(self.peek().kind, TokenKind::Dot | TokenKind::LBracket) {
                fields += 1;
                if !self.enter(depth + fields) {
                    return Self::error_node(e.span);
                }
            }
            match self.peek().kind {
                TokenKind::Dot => {
                    self.pos += 1;
                    let t = self.peek().clone();
                    if t.kind != TokenKind::Ident {
                        let found = describe(self.src, &t);
                        self.error(
                            t.span,
                            "unexpected-token",
                            format!("expected a field name after `.`, found {found}"),
                        );
                        return Self::error_node(e.span.to(t.span));
                    }
                    self.pos += 1;
                    let field = Name {
                        text: self.text(&t).to_string(),
                        span: t.span,
                    };
                    e = Expr {
                        span: e.span.to(t.span),
                        kind: ExprKind::Member {
                            object: Box::new(e),
                            field,
                        },
                    };
                }
                TokenKind::LBracket => {
                    let open = self.bump();
                    let t = self.bump();
                    let TokenKind::Str(key) = t.kind else {
                        let found = describe(self.src, &t);
                        self.error(
                            t.span,
                            "unexpected-token",
                            format!("expected a quoted field name in `[...]`, found {found}"),
                        );
                        return Self::error_node(e.span.to(t.span));
                    };
                    let close = self.peek().span;
                    if !self.expect(TokenKind::RBracket, "`]`") {
                        return Self::error_node(e.span.to(open.span));
                    }
                    e = Expr {
                        span: e.span.to(close),
                        kind: ExprKind::Member {
                            object: Box::new(e),
                            field: Name {
                                text: key,
                                span: t.span,
                            },
                        },
                    };
                }
                _ => return e,
            }
        }
    }

    fn primary(&mut self, depth: usize) -> Expr {
        if !self.enter(depth) {
            return Self::error_node(self.peek().span);
        }
        let t = self.peek().clone();
        let kind = match &t.kind {
            TokenKind::Num(n) => ExprKind::Num(*n),
            TokenKind::Str(s) => ExprKind::Str(s.clone()),
            TokenKind::Duration(ms) => ExprKind::Duration(*ms),
            TokenKind::Version(v) => ExprKind::Version(v.clone()),
            TokenKind::LParen => {
                self.pos += 1;
                let inner = self.expr(0, depth + 1);
                let close = self.peek().span;
                if self.expect(TokenKind::RParen, "`)`") {
                    return Expr {
                        span: t.span.to(close),
                        kind: inner.kind,
                    };
                }
                return Self::error_node(t.span.to(inner.span));
            }
            TokenKind::LBracket => return self.list(depth),
            TokenKind::Ident => {
                let text = self.text(&t).to_string();
                match text.as_str() {
                    "true" => ExprKind::Bool(true),
                    "false" => ExprKind::Bool(false),
                    "null" => ExprKind::Null,
                    _ if self.peek2().kind == TokenKind::LParen => return self.call(depth),
                    word if WORD_OPERATORS.contains(&word) => {
                        self.error(
                            t.span,
                            "unexpected-token",
                            format!("expected a value before `{text}`"),
                        );
                        return Self::error_node(t.span);
                    }
                    _ => ExprKind::Name(text),
                }
            }
            _ => {
                let found = describe(self.src, &t);
                self.error(
                    t.span,
                    "unexpected-token",
                    format!("expected a value, found {found}"),
                );
                // Stay on closing and joining tokens so the caller can resynchronise on them.
                if !matches!(
                    t.kind,
                    TokenKind::Eof
                        | TokenKind::RParen
                        | TokenKind::RBracket
                        | TokenKind::Comma
                        | TokenKind::AndAnd
                        | TokenKind::OrOr
                ) {
                    self.pos += 1;
                }
                return Self::error_node(t.span);
            }
        };
        self.pos += 1;
        Expr { kind, span: t.span }
    }

    fn list(&mut self, depth: usize) -> Expr {
        let open = self.bump();
        let mut items = Vec::new();
        while !self.at(&TokenKind::RBracket) && !self.at(&TokenKind::Eof) && !self.too_deep {
            let item = self.expr(0, depth + 1);
            if items.len() == MAX_LIST_ITEMS {
                self.error(
                    item.span,
                    "too-long",
                    format!("a list holds at most {MAX_LIST_ITEMS} items"),
                );
            }
            items.push(item);
            if !self.at(&TokenKind::RBracket) && !self.expect(TokenKind::Comma, "`,` or `]`") {
                self.skip_to_close(TokenKind::RBracket);
                break;
            }
        }
        let close = self.peek().span;
        self.expect(TokenKind::RBracket, "`]`");
        Expr {
            span: open.span.to(close),
            kind: ExprKind::List(items),
        }
    }

    fn call(&mut self, depth: usize) -> Expr {
        let name_tok = self.bump();
        let func = Name {
            text: self.text(&name_tok).to_string(),
            span: name_tok.span,
        };
        self.bump(); // `(`
        let mut args = Vec::new();
        while !self.at(&TokenKind::RParen) && !self.at(&TokenKind::Eof) && !self.too_deep {
            let name =
                if self.peek().kind == TokenKind::Ident && self.peek2().kind == TokenKind::Colon {
                    let t = self.bump();
                    self.bump();
                    Some(Name {
                        text: self.text(&t).to_string(),
                        span: t.span,
                    })
                } else {
                    None
                };
            let value = self.expr(0, depth + 1);
            args.push(Arg { name, value });
            if !self.at(&TokenKind::RParen) && !self.expect(TokenKind::Comma, "`,` or `)`") {
                self.skip_to_close(TokenKind::RParen);
                break;
            }
        }
        let close = self.peek().span;
        self.expect(TokenKind::RParen, "`)`");
        Expr {
            span: name_tok.span.to(close),
            kind: ExprKind::Call { func, args },
        }
    }

    /// Skips to the matching closing token (not past the end), so an error inside brackets stays inside.
    fn skip_to_close(&mut self, close: TokenKind) {
        let mut level = 0usize;
        loop {
            let k = &self.peek().kind;
            if *k == TokenKind::Eof {
                return;
            }
            if *k == close && level == 0 {
                return;
            }
            match k {
                TokenKind::LParen | TokenKind::LBracket => level += 1,
                TokenKind::RParen | TokenKind::RBracket => level = level.saturating_sub(1),
                _ => {}
            }
            self.pos += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::lexer::lex;
    use super::*;

    fn canon(src: &str) -> String {
        let (t, e) = lex(src);
        assert!(e.is_empty());
        let (ast, e) = parse(src, &t);
        assert!(e.is_empty(), "{e:?}");
        let mut s = String::new();
        ast.canonical(&mut s);
        s
    }

    #[test]
    fn precedence() {
        assert_eq!(canon("a || b && c"), "(a || (b && c))");
        assert_eq!(canon("!a == 1 && b"), "(!((a == 1)) && b)");
        assert_eq!(canon("not a.b exists"), "!((a[\"b\"] exists))");
        assert_eq!(canon("x not in [1, 2]"), "(x not in [1,2])");
        assert_eq!(
            canon("count(\"A\", where: path starts_with \"/p\", within: 7d) >= 3"),
            "(count(\"A\",where:(path starts_with \"/p\"),within:604800000ms) >= 3)"
        );
        assert_eq!(canon("last(\"S\").score"), "last(\"S\")[\"score\"]");
        assert_eq!(canon("(a)"), "a");
    }

    #[test]
    fn spans_cover_source() {
        let src = "traits.plan == \"pro\"";
        let (t, _) = lex(src);
        let (ast, _) = parse(src, &t);
        assert_eq!(ast.span, Span::new(0, src.len()));
        let ExprKind::Binary { left, .. } = &ast.kind else {
            panic!()
        };
        assert_eq!(left.span, Span::new(0, 11));
    }

    #[test]
    fn reports_several_errors() {
        let src = "a == && b ==  || c in [1 2]";
        let (t, _) = lex(src);
        let (_, e) = parse(src, &t);
        let cols: Vec<_> = e.iter().map(|d| d.column).collect();
        assert_eq!(cols, vec![6, 15, 26], "{e:?}");
    }

    #[test]
    fn rejects_chained_comparisons_and_deep_nesting() {
        let (t, _) = lex("a < b < c");
        let (_, e) = parse("a < b < c", &t);
        assert_eq!(e[0].code, "chained-comparison");
        let deep = "(".repeat(100) + "a" + &")".repeat(100);
        let (t, _) = lex(&deep);
        let (_, e) = parse(&deep, &t);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].code, "too-deep");
    }
}
