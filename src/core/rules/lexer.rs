//! Turns rule source into tokens, collecting every lexical error instead of stopping at the first.

use super::diagnostic::{Diagnostic, Span};
use super::token::{Token, TokenKind};

const MS_PER: [(&str, f64); 6] = [
    ("ms", 1.0),
    ("s", 1_000.0),
    ("m", 60_000.0),
    ("h", 3_600_000.0),
    ("d", 86_400_000.0),
    ("w", 604_800_000.0),
];

/// Units as people write them out, and the letter the rule language writes them with: named in the error that
/// `7 days` or `30minutes` gets.
const UNIT_WORDS: [(&str, &str); 19] = [
    ("milliseconds", "ms"),
    ("millisecond", "ms"),
    ("msec", "ms"),
    ("seconds", "s"),
    ("second", "s"),
    ("secs", "s"),
    ("sec", "s"),
    ("minutes", "m"),
    ("minute", "m"),
    ("mins", "m"),
    ("min", "m"),
    ("hours", "h"),
    ("hour", "h"),
    ("hrs", "h"),
    ("hr", "h"),
    ("days", "d"),
    ("day", "d"),
    ("weeks", "w"),
    ("week", "w"),
];

/// The unit letter of a unit written as a letter or a word (`d`, `days`), in any case.
fn unit_letter(word: &str) -> Option<&'static str> {
    let word = word.to_ascii_lowercase();
    MS_PER
        .iter()
        .map(|&(unit, _)| (unit, unit))
        .chain(UNIT_WORDS)
        .find(|(w, _)| *w == word)
        .map(|(_, unit)| unit)
}

/// Lexes `source`. Malformed pieces are reported and skipped, so the parser still sees the rest.
pub fn lex(source: &str) -> (Vec<Token>, Vec<Diagnostic>) {
    let mut lx = Lexer {
        src: source,
        bytes: source.as_bytes(),
        pos: 0,
        tokens: Vec::new(),
        errors: Vec::new(),
    };
    lx.run();
    (lx.tokens, lx.errors)
}

struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    tokens: Vec<Token>,
    errors: Vec<Diagnostic>,
}

impl Lexer<'_> {
    fn error(&mut self, start: usize, end: usize, code: &'static str, message: impl Into<String>) {
        self.errors.push(Diagnostic::new(
            self.src,
            Span::new(start, end),
            code,
            message,
        ));
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        self.tokens.push(Token {
            kind,
            span: Span::new(start, self.pos),
        });
    }

    fn peek_at(&self, i: usize) -> u8 {
        self.bytes.get(i).copied().unwrap_or(0)
    }

    fn run(&mut self) {
        while self.pos < self.bytes.len() {
            let start = self.pos;
            let b = self.bytes[self.pos];
            let next = self.peek_at(self.pos + 1);
            match b {
                b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                b'/' if next == b'/' => {
                    while self.pos < self.bytes.len() && self.bytes[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                b'"' | b'\'' => {
                    let s = self.string();
                    self.push(TokenKind::Str(s), start);
                }
                b'0'..=b'9' => self.number(false),
                b'-' if next.is_ascii_digit() => self.number(true),
                b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                    while matches!(self.peek_at(self.pos), b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_')
                    {
                        self.pos += 1;
                    }
                    // `v"1.2.3"` is a version literal: the `v` must touch the quote.
                    if self.src.get(start..self.pos) == Some("v")
                        && matches!(self.peek_at(self.pos), b'"' | b'\'')
                    {
                        let s = self.string();
                        self.push(TokenKind::Version(s), start);
                    } else {
                        self.push(TokenKind::Ident, start);
                    }
                }
                _ => {
                    let two = [b, next];
                    let (kind, len) = match &two {
                        b"==" => (Some(TokenKind::EqEq), 2),
                        b"!=" => (Some(TokenKind::NotEq), 2),
                        b"<=" => (Some(TokenKind::Le), 2),
                        b">=" => (Some(TokenKind::Ge), 2),
                        b"&&" => (Some(TokenKind::AndAnd), 2),
                        b"||" => (Some(TokenKind::OrOr), 2),
                        _ => (
                            match b {
                                b'(' => Some(TokenKind::LParen),
                                b')' => Some(TokenKind::RParen),
                                b'[' => Some(TokenKind::LBracket),
                                b']' => Some(TokenKind::RBracket),
                                b',' => Some(TokenKind::Comma),
                                b'.' => Some(TokenKind::Dot),
                                b':' => Some(TokenKind::Colon),
                                b'<' => Some(TokenKind::Lt),
                                b'>' => Some(TokenKind::Gt),
                                b'!' => Some(TokenKind::Bang),
                                _ => None,
                            },
                            1,
                        ),
                    };
                    match kind {
                        Some(kind) => {
                            self.pos += len;
                            self.push(kind, start);
                        }
                        None => {
                            let c = self
                                .src
                                .get(start..)
                                .unwrap_or_default()
                                .chars()
                                .next()
                                .unwrap_or('?');
                            self.pos += c.len_utf8();
                            // A lone `=`, `&` or `|` is almost surely the doubled operator: report it and
                            // read it as that, so the rest of the rule parses without cascading errors.
                            let (message, stand_in) = match c {
                                '=' => (
                                    "unexpected `=`; compare with `==`".to_string(),
                                    Some(TokenKind::EqEq),
                                ),
                                '&' => (
                                    "unexpected `&`; write `&&` for \"and\"".to_string(),
                                    Some(TokenKind::AndAnd),
                                ),
                                '|' => (
                                    "unexpected `|`; write `||` for \"or\"".to_string(),
                                    Some(TokenKind::OrOr),
                                ),
                                _ => (format!("unexpected character `{c}`"), None),
                            };
                            self.error(start, self.pos, "bad-character", message);
                            if let Some(kind) = stand_in {
                                self.push(kind, start);
                            }
                        }
                    }
                }
            }
        }
        self.push(TokenKind::Eof, self.pos);
    }

    /// A quoted string starting at `self.pos`. A bad escape or a missing closing quote is reported, and the
    /// string still stands, so the parser does not cascade into more errors.
    fn string(&mut self) -> String {
        let start = self.pos;
        let quote = self.bytes[self.pos];
        self.pos += 1;
        let mut out = String::new();
        loop {
            let run = self.pos;
            while self.pos < self.bytes.len()
                && !matches!(self.bytes[self.pos], b'\\' | b'\n')
                && self.bytes[self.pos] != quote
            {
                self.pos += 1;
            }
            out.push_str(self.src.get(run..self.pos).unwrap_or_default());
            match self.bytes.get(self.pos) {
                Some(b) if *b == quote => {
                    self.pos += 1;
                    return out;
                }
                Some(b'\\') => {
                    let esc_start = self.pos;
                    self.pos += 1;
                    let c = self.src.get(self.pos..).unwrap_or_default().chars().next();
                    match c {
                        Some('n') => out.push('\n'),
                        Some('t') => out.push('\t'),
                        Some('r') => out.push('\r'),
                        Some(c @ ('\\' | '"' | '\'' | '/')) => out.push(c),
                        _ => {
                            let end = self.pos + c.map_or(0, char::len_utf8);
                            self.error(
                                esc_start,
                                end,
                                "bad-escape",
                                "unknown escape; use \\\\, \\\", \\', \\/, \\n, \\t or \\r",
                            );
                        }
                    }
                    self.pos += c.map_or(0, char::len_utf8);
                }
                _ => {
                    self.error(
                        start,
                        self.pos,
                        "unterminated-string",
                        "this string has no closing quote",
                    );
                    return out;
                }
            }
        }
    }

    /// A number, or a duration when unit letters follow the digits directly (`7d`, `1h30m`, `500ms`). A
    /// malformed one is reported and stands as a zero duration, so the parser carries on quietly.
    fn number(&mut self, negative: bool) {
        let start = self.pos;
        if !self.number_inner(negative) {
            self.push(TokenKind::Duration(0), start);
        }
    }

    fn number_inner(&mut self, negative: bool) -> bool {
        let start = self.pos;
        if negative {
            self.pos += 1;
        }
        let mut total_ms = 0.0;
        let mut is_duration = false;
        loop {
            let num_start = self.pos;
            while self.peek_at(self.pos).is_ascii_digit() {
                self.pos += 1;
            }
            if self.peek_at(self.pos) == b'.' && self.peek_at(self.pos + 1).is_ascii_digit() {
                self.pos += 1;
                while self.peek_at(self.pos).is_ascii_digit() {
                    self.pos += 1;
                }
            }
            if !is_duration && matches!(self.peek_at(self.pos), b'e' | b'E') {
                let mut p = self.pos + 1;
                if matches!(self.peek_at(p), b'+' | b'-') {
                    p += 1;
                }
                if self.peek_at(p).is_ascii_digit() {
                    self.pos = p;
                    while self.peek_at(self.pos).is_ascii_digit() {
                        self.pos += 1;
                    }
                }
            }
            // The scan above only accepts decimal syntax, so the text converts without `str::parse` (whose
            // correctly rounded parser carries a 10 KB table into the wasm).
            let value = decimal(self.src.get(num_start..self.pos).unwrap_or_default());
            let unit_start = self.pos;
            while self.peek_at(self.pos).is_ascii_alphabetic() || self.peek_at(self.pos) == b'_' {
                self.pos += 1;
            }
            let unit = self.src.get(unit_start..self.pos).unwrap_or_default();
            if unit.is_empty() {
                if is_duration {
                    self.error(
                        start,
                        self.pos,
                        "bad-duration",
                        "a duration part is missing its unit (ms, s, m, h, d or w)",
                    );
                    return false;
                }
                let text = self.src.get(start..self.pos).unwrap_or_default();
                // `7 days`: a duration written with a space (and perhaps the unit's word). One error that shows
                // how to write it, and the words are taken as its unit, so the parser does not trip on them.
                let mut word_start = self.pos;
                while self.peek_at(word_start) == b' ' {
                    word_start += 1;
                }
                let mut word_end = word_start;
                while self.peek_at(word_end).is_ascii_alphabetic() {
                    word_end += 1;
                }
                let word = self.src.get(word_start..word_end).unwrap_or_default();
                if let Some(letter) = unit_letter(word).filter(|_| word_start > self.pos) {
                    self.error(
                        start,
                        word_end,
                        "bad-duration",
                        format!("a duration is written `{text}{letter}`: the number, then its unit letter (ms, s, m, h, d or w) with no space"),
                    );
                    self.pos = word_end;
                    return false;
                }
                match decimal(text) {
                    n if n.is_finite() => self.push(TokenKind::Num(n), start),
                    _ => {
                        self.error(start, self.pos, "bad-number", "this number cannot be read");
                        return false;
                    }
                }
                return true;
            }
            let Some(&(_, factor)) = MS_PER.iter().find(|(u, _)| *u == unit) else {
                let message = match unit_letter(unit) {
                    Some(letter) => format!(
                        "a duration's unit is a letter: write `{}{letter}` (ms, s, m, h, d or w)",
                        self.src.get(num_start..unit_start).unwrap_or_default()
                    ),
                    None => format!("unknown duration unit `{unit}`; use ms, s, m, h, d or w"),
                };
                self.error(start, self.pos, "bad-duration", message);
                return false;
            };
            if negative {
                self.error(
                    start,
                    self.pos,
                    "bad-duration",
                    "a duration cannot be negative",
                );
                return false;
            }
            is_duration = true;
            total_ms += value * factor;
            if !self.peek_at(self.pos).is_ascii_digit() {
                break;
            }
        }
        if !total_ms.is_finite() || total_ms > 1e15 {
            self.error(start, self.pos, "bad-duration", "this duration is too long");
            return false;
        }
        self.push(TokenKind::Duration(total_ms.round() as i64), start);
        true
    }
}

/// A scanned decimal number's value (`.5` reads as `0.5`); NaN when there is no digit.
fn decimal(text: &str) -> f64 {
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return f64::NAN;
    }
    crate::core::json::decimal_to_f64(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<TokenKind> {
        let (t, e) = lex(src);
        assert!(e.is_empty(), "{e:?}");
        t.into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn lexes_operators_literals_and_durations() {
        use TokenKind::*;
        assert_eq!(
            kinds(r#"a.b >= -1.5 && x != 'y' || !z [1h30m, 500ms, 7d] v"1.2.3""#),
            vec![
                Ident,
                Dot,
                Ident,
                Ge,
                Num(-1.5),
                AndAnd,
                Ident,
                NotEq,
                Str("y".into()),
                OrOr,
                Bang,
                Ident,
                LBracket,
                Duration(5_400_000),
                Comma,
                Duration(500),
                Comma,
                Duration(604_800_000),
                RBracket,
                Version("1.2.3".into()),
                Eof
            ]
        );
    }

    #[test]
    fn reports_every_lexical_error() {
        let (_, e) = lex("a = 1 && 7x == 'open");
        let codes: Vec<_> = e.iter().map(|d| (d.code, d.column)).collect();
        assert_eq!(
            codes,
            vec![
                ("bad-character", 3),
                ("bad-duration", 10),
                ("unterminated-string", 16)
            ]
        );
    }

    #[test]
    fn skips_comments_and_unescapes() {
        assert_eq!(
            kinds("// note\n\"a\\\"b\\n\""),
            vec![TokenKind::Str("a\"b\n".into()), TokenKind::Eof]
        );
    }
}
