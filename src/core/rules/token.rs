//! The tokens of the rule language.

use super::diagnostic::Span;

#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    /// A name: a path root, a property, a function or a keyword (`true`, `in`, `contains`, ...). The text is the
    /// token's span in the source.
    Ident,
    /// A string literal, unescaped.
    Str(String),
    Num(f64),
    /// A duration literal (`30m`, `7d`, `1h30m`), in milliseconds.
    Duration(i64),
    /// A version literal `v"1.2.3"`; the text between the quotes, validated by the checker.
    Version(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Colon,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    AndAnd,
    OrOr,
    Bang,
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

impl TokenKind {
    /// How the token is named in "expected ..., found ..." messages.
    pub fn describe(&self) -> &'static str {
        match self {
            TokenKind::Ident => "a name",
            TokenKind::Str(_) => "a string",
            TokenKind::Num(_) => "a number",
            TokenKind::Duration(_) => "a duration",
            TokenKind::Version(_) => "a version",
            TokenKind::LParen => "`(`",
            TokenKind::RParen => "`)`",
            TokenKind::LBracket => "`[`",
            TokenKind::RBracket => "`]`",
            TokenKind::Comma => "`,`",
            TokenKind::Dot => "`.`",
            TokenKind::Colon => "`:`",
            TokenKind::EqEq => "`==`",
            TokenKind::NotEq => "`!=`",
            TokenKind::Lt => "`<`",
            TokenKind::Le => "`<=`",
            TokenKind::Gt => "`>`",
            TokenKind::Ge => "`>=`",
            TokenKind::AndAnd => "`&&`",
            TokenKind::OrOr => "`||`",
            TokenKind::Bang => "`!`",
            TokenKind::Eof => "the end of the rule",
        }
    }
}
