//! Source positions and compile errors that point at them.

use crate::core::json::int_text;

/// A byte range `[start, end)` in a rule's source. Every AST node carries one, so an error can point at the
/// exact text that caused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// One compile error. `line` and `column` are 1-based; the column counts characters, not bytes, so it matches
/// what an editor shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub line: usize,
    pub column: usize,
    pub span: Span,
    /// A stable, kebab-case name for the kind of error (`unknown-function`, `type-mismatch`, ...): tests and
    /// tools match on it, people read `message`.
    pub code: &'static str,
    pub message: String,
}

impl Diagnostic {
    /// Builds a diagnostic, computing line and column from the span's start in `source`.
    pub fn new(
        source: &str,
        span: Span,
        code: &'static str,
        message: impl Into<String>,
    ) -> Diagnostic {
        let (line, column) = line_col(source, span.start);
        Diagnostic {
            line,
            column,
            span,
            code,
            message: message.into(),
        }
    }

    /// `origin:line:col: message`, then the source line and a caret line under the span.
    pub fn render(&self, source: &str, origin: &str) -> String {
        // Built without `write!`: run-time diagnostics are rendered in the browser, where `core::fmt` costs wasm.
        let mut out = [
            origin,
            ":",
            &int_text(self.line as i64),
            ":",
            &int_text(self.column as i64),
            ": ",
            &self.message,
            "\n",
        ]
        .concat();
        let start = self.span.start.min(source.len());
        let line_start = after_last_newline(slice(source, 0, floor_char(source, start)));
        let line_end = crate::core::url::find_byte(slice(source, line_start, source.len()), b'\n')
            .map_or(source.len(), |i| line_start + i);
        let line = slice(source, line_start, line_end);
        out.push_str(line);
        out.push('\n');
        // Keep tabs in the padding so the caret lines up under tab-indented source.
        for c in slice(source, line_start, floor_char(source, start)).chars() {
            out.push(if c == '\t' { '\t' } else { ' ' });
        }
        let end = floor_char(source, self.span.end.clamp(start, line_end));
        let width = char_count(slice(source, floor_char(source, start), end)).max(1);
        for _ in 0..width {
            out.push('^');
        }
        out.push('\n');
        out
    }
}

/// `&s[from..to]` without a panic path (an index panic brings a 3 KB message formatter into the wasm).
fn slice(s: &str, from: usize, to: usize) -> &str {
    s.get(from..to).unwrap_or_default()
}

/// 1-based line and character column of byte `offset`.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char(source, offset.min(source.len()));
    let before = slice(source, 0, offset);
    let mut line = 1;
    for &b in before.as_bytes() {
        line += usize::from(b == b'\n');
    }
    let line_start = after_last_newline(before);
    (
        line,
        char_count(slice(before, line_start, before.len())) + 1,
    )
}

/// The byte just after the last line break in `s` (0 when there is none), found among the bytes as the URL code
/// finds a host after its `@`.
fn after_last_newline(s: &str) -> usize {
    crate::core::url::after_last_byte(s, b'\n')
}

/// The number of characters in `s`: its bytes that start one (any but a UTF-8 continuation byte, `10xxxxxx`). A
/// plain loop: `chars().count()` is std's word-at-a-time counter, about 550 bytes of wasm used only here.
fn char_count(s: &str) -> usize {
    let mut n = 0;
    for &b in s.as_bytes() {
        n += usize::from(b & 0xC0 != 0x80);
    }
    n
}

/// The largest char boundary at or before `i` (spans always fall on boundaries; this keeps slicing total anyway).
fn floor_char(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every string of up to three characters from a set with one- to four-byte characters and line breaks.
    #[test]
    fn counts_and_line_starts_agree_with_std() {
        let chars = ['a', '\n', 'é', '€', '😀'];
        let mut texts = vec![String::new()];
        for _ in 0..3 {
            let longer: Vec<String> = texts
                .iter()
                .flat_map(|t| chars.iter().map(move |c| format!("{t}{c}")))
                .collect();
            texts.extend(longer);
        }
        for t in &texts {
            assert_eq!(char_count(t), t.chars().count(), "{t:?}");
            assert_eq!(
                after_last_newline(t),
                t.bytes().rposition(|b| b == b'\n').map_or(0, |i| i + 1),
                "{t:?}"
            );
        }
    }

    #[test]
    fn columns_count_characters() {
        let src = "a == 1\n\"é\" == x";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 7), (2, 1));
        // 'x' is at byte 15: the "é" takes two bytes but one column.
        assert_eq!(line_col(src, 15), (2, 8));
    }

    #[test]
    fn renders_caret_under_span() {
        let src = "traits.plan == 1 &&\n  cout(\"x\") > 2";
        let d = Diagnostic::new(
            src,
            Span::new(22, 26),
            "unknown-function",
            "unknown function `cout`",
        );
        assert_eq!(
            d.render(src, "config.json:segments.pro"),
            "config.json:segments.pro:2:3: unknown function `cout`\n  cout(\"x\") > 2\n  ^^^^\n"
        );
    }

    #[test]
    fn renders_at_end_of_input() {
        let src = "a ==";
        let d = Diagnostic::new(src, Span::new(4, 4), "unexpected-end", "expected a value");
        assert_eq!(d.render(src, "r"), "r:1:5: expected a value\na ==\n    ^\n");
    }
}
