//! `wayline check CONFIG`: every error in a config's segments and journeys, each with its location, then a
//! summary line.
//!
//! The verdict and the rendering of rule errors are the engine's own
//! ([`wayline::core::segments::config::check_config`]), so the CLI, the SDK and the collector agree on what a
//! valid config is. This module adds what only a command line needs: reading the file, placing a JSON syntax
//! error at its line and column with a caret, refusing a document that is not an object, and the summary.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use wayline::core::campaigns::check_config as check_campaigns;
use wayline::core::campaigns::contrast;
use wayline::core::json::{self, Value};
use wayline::core::rules::{line_col, Diagnostic, Span};
use wayline::core::segments::config::check_config;

/// A file the command was given could not be read.
#[derive(Debug)]
pub struct ReadError {
    pub path: PathBuf,
    pub source: io::Error,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot read {}: {}", self.path.display(), self.source)
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Reads a whole file as UTF-8 text, without a leading byte-order mark (which some editors write and JSON
/// does not allow).
pub fn read_text(path: &Path) -> Result<String, ReadError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReadError {
        path: path.to_owned(),
        source,
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    })
}

/// A config file's text, read as a browser reads the config it fetches (`response.text()`): without a leading
/// byte-order mark, and with each maximal sequence of bytes that are not UTF-8 (a Latin-1 `é`, a file cut in the
/// middle of a character) read as one U+FFFD, rather than the file refused as unreadable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigText {
    pub text: String,
    /// The first sequence of bytes that are not UTF-8: where its U+FFFD is in `text` (a byte offset) and the bytes
    /// it stands for; with how many such sequences there are in all.
    pub invalid_utf8: Option<(usize, Vec<u8>, usize)>,
}

impl ConfigText {
    /// Decodes a file's bytes (see [`ConfigText`]).
    pub fn decode(bytes: &[u8]) -> ConfigText {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let (mut text, mut invalid_utf8) = (String::with_capacity(bytes.len()), None);
        // The chunks `String::from_utf8_lossy` replaces: the WHATWG decoder's (a browser's) too.
        for chunk in bytes.utf8_chunks() {
            text.push_str(chunk.valid());
            if !chunk.invalid().is_empty() {
                match &mut invalid_utf8 {
                    None => invalid_utf8 = Some((text.len(), chunk.invalid().to_vec(), 1)),
                    Some((_, _, count)) => *count += 1,
                }
                text.push(char::REPLACEMENT_CHARACTER);
            }
        }
        ConfigText { text, invalid_utf8 }
    }

    /// The warning about bytes that are not UTF-8, if any, at the line and column of the first sequence
    /// (`file:3:12: warning: byte e9 is not UTF-8; it is read as U+FFFD (�), as a browser reads it`).
    fn warning(&self, file: &str) -> Option<String> {
        let (at, bytes, count) = self.invalid_utf8.as_ref()?;
        let (line, col) = line_col(&self.text, *at);
        let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let (what, it) = match bytes.len() {
            1 => (
                format!("byte {} is", hex[0]),
                "it is read as U+FFFD (\u{FFFD}), as a browser reads it",
            ),
            _ => (
                format!("bytes {} are", hex.join(" ")),
                "they are read as one U+FFFD (\u{FFFD}), as a browser reads them",
            ),
        };
        let more = match count - 1 {
            0 => String::new(),
            n => format!(" ({} further on)", plural(n, "more such sequence")),
        };
        Some(format!(
            "{file}:{line}:{col}: warning: {what} not UTF-8; {it}{more}"
        ))
    }
}

/// Reads a config file (see [`ConfigText`]).
pub fn read_config(path: &Path) -> Result<ConfigText, ReadError> {
    std::fs::read(path)
        .map(|bytes| ConfigText::decode(&bytes))
        .map_err(|source| ReadError {
            path: path.to_owned(),
            source,
        })
}

/// What `check` found in one config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// The name errors are reported under: the path as given on the command line.
    pub file: String,
    /// Every error, rendered (`file:origin:line:col: message`, the rule's source line and a caret line; or
    /// `file:origin: message` for a rule of the wrong shape). Empty when the config is valid.
    pub diagnostics: String,
    /// How many errors `diagnostics` holds.
    pub errors: usize,
    /// Segments plus journey stages plus campaigns, when the config is valid.
    pub rules: usize,
    /// What is valid but probably not meant, one line each (`file:location: warning: message`): prompt colours
    /// that contrast too little ([`wayline::core::campaigns::contrast`]). Warnings do not fail the check.
    pub warnings: Vec<String>,
}

impl CheckReport {
    pub fn is_ok(&self) -> bool {
        self.errors == 0
    }

    /// `config.json: 13 rules ok`, or `config.json: 3 errors`, with `, 1 warning` when there are any.
    pub fn summary(&self) -> String {
        let verdict = if self.is_ok() {
            plural(self.rules, "rule") + " ok"
        } else {
            plural(self.errors, "error")
        };
        match self.warnings.len() {
            0 => format!("{}: {verdict}", self.file),
            n => format!("{}: {verdict}, {}", self.file, plural(n, "warning")),
        }
    }
}

/// The diagnostics, the warnings, then the summary line.
impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostics)?;
        for warning in &self.warnings {
            writeln!(f, "{warning}")?;
        }
        writeln!(f, "{}", self.summary())
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// Checks the config file at `path`, reported under the path as written.
pub fn check_file(path: &Path) -> Result<CheckReport, ReadError> {
    Ok(check_file_text(
        &read_config(path)?,
        &path.display().to_string(),
    ))
}

/// Checks a config file's text as [`check_text`] does, warning first about bytes that were not UTF-8.
pub fn check_file_text(config: &ConfigText, file: &str) -> CheckReport {
    let mut report = check_text(&config.text, file);
    if let Some(warning) = config.warning(file) {
        report.warnings.insert(0, warning);
    }
    report
}

/// Checks config text, reporting errors under the name `file`.
pub fn check_text(text: &str, file: &str) -> CheckReport {
    let report = |diagnostics: String, errors: usize, rules: usize| CheckReport {
        file: file.to_owned(),
        diagnostics,
        errors,
        rules,
        warnings: Vec::new(),
    };
    let config = match json::parse(text) {
        Err(err) => {
            // The engine's message only gives a byte offset; show the line, column and a caret instead.
            let at = Span::new(err.offset, err.offset.saturating_add(1));
            let message = err.to_string();
            // The position is in the location now; keep only what went wrong.
            let what = message
                .rsplit_once(" at byte ")
                .map_or(message.as_str(), |(what, _)| what);
            let diagnostic =
                Diagnostic::new(text, at, "bad-json", format!("not valid JSON: {what}"));
            return report(diagnostic.render(text, file), 1, 0);
        }
        Ok(config @ Value::Object(_)) => config,
        Ok(other) => {
            let message = format!(
                "{file}: a config is a JSON object ({{\"segments\": …, \"journeys\": …}}), not {}\n",
                json_kind(&other)
            );
            return report(message, 1, 0);
        }
    };
    // Segments and journeys, then campaigns: every error of both, in one report.
    let (mut diagnostics, mut rules) = (String::new(), 0);
    match check_config(text, file) {
        Ok(n) => rules += n,
        Err(d) => diagnostics.push_str(&d),
    }
    match check_campaigns(text, file) {
        Ok(n) => rules += n,
        Err(d) => diagnostics.push_str(&d),
    }
    let mut checked = if diagnostics.is_empty() {
        report(diagnostics, 0, rules)
    } else {
        let errors = count_errors(&diagnostics, file);
        report(diagnostics, errors, 0)
    };
    checked.warnings = contrast::warnings(&config)
        .into_iter()
        .map(|w| format!("{file}:{}: warning: {}", w.location, w.message))
        .collect();
    for (at, escape) in lone_surrogates(text) {
        let (line, col) = line_col(text, at);
        checked.warnings.push(format!(
            "{file}:{line}:{col}: warning: {escape} is half of a UTF-16 surrogate pair, without its other half; \
             it is read as U+FFFD (\u{FFFD}), as in what the SDK tracks"
        ));
    }
    checked
}

/// The `\uD800`–`\uDFFF` escapes in JSON text that are not a high and a low half together: each with the byte
/// offset of its backslash. JavaScript's `JSON.parse` keeps such a half in its string; a Rust string cannot hold
/// it, and the JSON reader the SDK and the collector share reads it as U+FFFD (`wayline::core::json`). Text that
/// parsed as JSON has a backslash only inside a string, where it starts an escape.
fn lone_surrogates(text: &str) -> Vec<(usize, &str)> {
    let bytes = text.as_bytes();
    let unit = |at: usize| {
        text.get(at..at + 2)
            .filter(|&e| e == "\\u")
            .and_then(|_| text.get(at + 2..at + 6))
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
    };
    let (mut lone, mut at) = (Vec::new(), 0);
    while at < bytes.len() {
        if bytes[at] != b'\\' {
            at += 1;
            continue;
        }
        match unit(at) {
            Some(0xD800..=0xDBFF)
                if unit(at + 6).is_some_and(|lo| (0xDC00..0xE000).contains(&lo)) =>
            {
                at += 12
            }
            Some(0xD800..=0xDFFF) => {
                lone.extend(text.get(at..at + 6).map(|escape| (at, escape)));
                at += 6;
            }
            // Another escape (`\\` too): the character after the backslash is not the start of one.
            _ => at += 2,
        }
    }
    lone
}

/// The number of errors in `check_config`'s rendering: each starts a line with `file:` (a rule's source
/// line or caret line does not, unless the rule's text itself starts with the file name). At least one,
/// since `check_config` only fails with an error to show.
fn count_errors(rendered: &str, file: &str) -> usize {
    let prefix = format!("{file}:");
    rendered
        .lines()
        .filter(|line| line.starts_with(&prefix))
        .count()
        .max(1)
}

/// "an array", "a string", … for messages about a JSON value of the wrong kind.
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_config_counts_segments_and_stages() {
        let text = r#"{"segments": {"a": "traits.plan == \"pro\""},
            "journeys": {"j": [{"stage": "s1", "rule": "count(\"A\") >= 1"},
                               {"stage": "s2", "rule": "count(\"B\") >= 1"}]}}"#;
        let report = check_text(text, "c.json");
        assert!(report.is_ok(), "{report}");
        assert_eq!(report.to_string(), "c.json: 3 rules ok\n");
        assert_eq!(
            check_text(r#"{"segments": {"a": "true"}}"#, "c.json").summary(),
            "c.json: 1 rule ok"
        );
    }

    #[test]
    fn low_contrast_prompt_colours_are_warnings_that_do_not_fail_the_check() {
        let text = r##"{"theme": {"textColor": "#aaa"},
            "campaigns": [{"id": "c", "trigger": {"exitIntent": true},
                           "action": {"type": "reward", "reward": "coupon", "code": "X"}}]}"##;
        let report = check_text(text, "c.json");
        assert!(report.is_ok(), "{report}");
        assert_eq!(
            report.to_string(),
            "c.json:theme: warning: in light mode, textColor #aaa on the default backgroundColor #fff contrasts 2.32:1, \
             under the 4.5:1 WCAG AA asks of text\nc.json: 1 rule ok, 1 warning\n"
        );
        // With errors too: both counted.
        let broken = text.replace("\"exitIntent\": true", "\"exitIntnet\": true");
        let report = check_text(&broken, "c.json");
        assert!(!report.is_ok());
        assert!(report.summary().ends_with("1 error, 1 warning"), "{report}");
    }

    /// An unpaired surrogate escape (`"\ud83d"`: an emoji cut in half) in campaign text, an id or a rule's string
    /// is read as U+FFFD by the SDK and by the collector alike, as in what the SDK tracks; `wayline check` says
    /// where each one is, since it is hardly meant, and the config stays valid. A pair, or an escaped backslash
    /// before `u`, is no such half.
    #[test]
    fn unpaired_surrogate_escapes_are_warnings_and_read_as_the_replacement_character() {
        let text = r#"{"segments": {"named": "traits.name == \"a\ud800\""},
  "campaigns": [{"id": "c\udfff", "trigger": {"event": "Show"},
    "action": {"type": "survey", "title": "Hi \ud83d\ude00 \\ud800 \ud83d\ud83d",
               "questions": [{"id": "q", "type": "text", "text": "Why\ude00?"}]}}]}"#;
        let report = check_text(text, "c.json");
        assert!(report.is_ok(), "{report}");
        let half = "is half of a UTF-16 surrogate pair, without its other half; it is read as U+FFFD (\u{FFFD}), \
                    as in what the SDK tracks";
        assert_eq!(
            report.to_string(),
            format!(
                "c.json:1:43: warning: \\ud800 {half}\n\
                 c.json:2:26: warning: \\udfff {half}\n\
                 c.json:3:68: warning: \\ud83d {half}\n\
                 c.json:3:74: warning: \\ud83d {half}\n\
                 c.json:4:70: warning: \\ude00 {half}\n\
                 c.json: 2 rules ok, 5 warnings\n"
            )
        );
        let compiled = crate::remote_config::compile_text(text).unwrap();
        for read in [
            "\"a\u{FFFD}\"",
            "\"c\u{FFFD}\"",
            "Hi 😀 \\\\ud800 \u{FFFD}\u{FFFD}",
            "Why\u{FFFD}?",
        ] {
            assert!(compiled.contains(read), "{read}: {compiled}");
        }
    }

    /// Each maximal sequence of bytes that are not UTF-8 is one U+FFFD, as the browser's decoder reads it (an emoji
    /// cut short is one; a surrogate encoded as UTF-8 is three), and the warning names the first sequence's bytes;
    /// it comes first among the warnings.
    #[test]
    fn bytes_that_are_not_utf8_are_one_replacement_character_per_sequence() {
        let read = ConfigText::decode(b"{\"note\": \"\xF0\x9F\x98 \xED\xA0\xBD\"}");
        assert_eq!(
            read.text,
            "{\"note\": \"\u{FFFD} \u{FFFD}\u{FFFD}\u{FFFD}\"}"
        );
        assert_eq!(
            check_file_text(&read, "c.json").to_string(),
            "c.json:1:11: warning: bytes f0 9f 98 are not UTF-8; they are read as one U+FFFD (\u{FFFD}), as a \
             browser reads them (3 more such sequences further on)\nc.json: 0 rules ok, 1 warning\n"
        );
        // Outside a string, the U+FFFD is a JSON syntax error, at the place the warning names.
        let read = ConfigText::decode(b"\xEF\xBB\xBF{\xE9}");
        assert_eq!(read.text, "{\u{FFFD}}");
        let report = check_file_text(&read, "c.json");
        assert_eq!(report.errors, 1);
        assert!(
            report.diagnostics.starts_with("c.json:1:2: not valid JSON"),
            "{report}"
        );
        assert_eq!(
            report.warnings,
            ["c.json:1:2: warning: byte e9 is not UTF-8; it is read as U+FFFD (\u{FFFD}), as a browser reads it"]
        );
        assert_eq!(ConfigText::decode(b"{}").invalid_utf8, None);
    }

    #[test]
    fn json_syntax_error_has_line_column_and_caret() {
        let text = "{\n  \"segments\": {\n    \"a\": \"true\",\n  }\n}\n";
        let report = check_text(text, "c.json");
        assert_eq!(report.errors, 1);
        assert_eq!(
            report.to_string(),
            "c.json:4:3: not valid JSON: unexpected character\n  }\n  ^\nc.json: 1 error\n"
        );
        let report = check_text("{\"segments\": {", "c.json");
        assert!(report
            .diagnostics
            .starts_with("c.json:1:15: not valid JSON: unexpected end"));
    }

    #[test]
    fn a_document_that_is_not_an_object_is_an_error() {
        let report = check_text("[1, 2]", "c.json");
        assert!(!report.is_ok());
        assert!(report.diagnostics.contains("not an array"), "{report}");
    }

    #[test]
    fn every_rule_error_is_counted() {
        let text = r#"{"segments": {"a": "cout(\"A\") > 1", "b": "traits.x ==", "c": "true"}}"#;
        let report = check_text(text, "c.json");
        assert_eq!(report.errors, 2, "{report}");
        assert!(report.summary().ends_with("c.json: 2 errors"));
    }
}
