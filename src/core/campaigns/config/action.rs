//! A campaign's `action`: survey questions and their branches, reward details, texts and the theme, validated;
//! the object itself is kept as written for the prompt UI (`docs/prompts.md`). The top-level `theme` and `strings`
//! are checked here too, and the prompt UI shares the small CSS and branch-key checks below.

use super::Reader;
use crate::core::campaigns::colour::is_colour;
use crate::core::campaigns::limits::{MAX_CHOICES, MAX_QUESTIONS};
use crate::core::campaigns::model::{Action, ActionKind};
use crate::core::json::{Map, Value};

impl Reader<'_> {
    pub(super) fn action(&mut self, path: &str, v: &Value) -> Option<Action> {
        let m = self.object(path, v, "an action")?;
        let before = self.errors.len();
        let kind = match m.get("type").and_then(Value::as_str) {
            Some("survey") => ActionKind::Survey,
            Some("reward") => ActionKind::Reward,
            Some("custom") => ActionKind::Custom,
            other => {
                let hint =
                    super::did_you_mean(other.unwrap_or_default(), ["survey", "reward", "custom"]);
                self.err(
                    format!("{path}.type"),
                    format!("an action's \"type\" is survey, reward or custom{hint}"),
                );
                return None;
            }
        };
        match kind {
            ActionKind::Survey => self.survey(path, m),
            ActionKind::Reward => self.reward(path, m),
            ActionKind::Custom => {}
        }
        for key in ["title", "thanks", "text"] {
            self.text(path, m, key);
        }
        if let Some(t) = m.get("theme") {
            self.theme(&format!("{path}.theme"), t);
        }
        (self.errors.len() == before).then(|| Action {
            kind,
            spec: v.clone(),
        })
    }

    pub(super) fn survey(&mut self, path: &str, m: &Map) {
        let qp = format!("{path}.questions");
        let Some(questions) = m.get("questions").and_then(Value::as_array) else {
            self.err(
                qp,
                "a survey needs \"questions\": a list of at least one question",
            );
            return;
        };
        if questions.is_empty() || questions.len() > MAX_QUESTIONS {
            self.err(
                qp,
                format!("a survey has from 1 to {MAX_QUESTIONS} questions"),
            );
            return;
        }
        let mut ids: Vec<&str> = Vec::new();
        for (i, q) in questions.iter().enumerate() {
            let p = format!("{qp}[{i}]");
            let Some(qm) = self.object(&p, q, "a question") else {
                continue;
            };
            match qm.get("id").and_then(Value::as_str) {
                Some(id) if !id.is_empty() => {
                    if ids.contains(&id) {
                        self.err(
                            format!("{p}.id"),
                            format!("question id {id:?} is used twice"),
                        );
                    }
                    ids.push(id);
                }
                _ => self.err(format!("{p}.id"), "a question needs an \"id\""),
            }
            if !matches!(qm.get("text"), Some(Value::String(s)) if !s.is_empty()) {
                self.err(format!("{p}.text"), "a question needs its \"text\"");
            }
            let kind = qm.get("type").and_then(Value::as_str).unwrap_or("");
            match kind {
                "nps" | "csat" | "rating" | "text" => {}
                "single" | "multiple" => {
                    let ok = matches!(qm.get("choices").and_then(Value::as_array),
                        Some(c) if !c.is_empty() && c.len() <= MAX_CHOICES && c.iter().all(|x| x.as_str().is_some_and(|s| !s.is_empty())));
                    if !ok {
                        self.err(
                            format!("{p}.choices"),
                            format!("a {kind} choice question needs 1 to {MAX_CHOICES} non-empty \"choices\""),
                        );
                    }
                }
                _ => self.err(
                    format!("{p}.type"),
                    "a question's \"type\" is nps, csat, rating, single, multiple or text",
                ),
            }
            self.text(&p, qm, "placeholder");
        }
        let all: Vec<Option<&str>> = questions
            .iter()
            .map(|q| q.get("id").and_then(Value::as_str))
            .collect();
        for (i, q) in questions.iter().enumerate() {
            if let Some(next) = q.get("next") {
                self.next(&format!("{qp}[{i}].next"), q, next, i, &all);
            }
        }
    }

    /// A question's branches: `{"<answer>": "<later question id>" | "end", "*": ...}`.
    fn next(&mut self, p: &str, q: &Value, next: &Value, at: usize, ids: &[Option<&str>]) {
        let Some(m) = self.object(p, next, "\"next\"") else {
            return;
        };
        let kind = q.get("type").and_then(Value::as_str).unwrap_or("");
        let choices = q
            .get("choices")
            .and_then(Value::as_array)
            .unwrap_or_default();
        for (key, target) in m.iter() {
            let kp = format!("{p}.{key}");
            let key_ok = key == "*"
                || match kind {
                    "nps" => scale_range(key).is_some_and(|(a, b)| b <= 10 && a <= b),
                    "csat" | "rating" => {
                        scale_range(key).is_some_and(|(a, b)| a >= 1 && b <= 5 && a <= b)
                    }
                    "single" | "multiple" => choices.iter().any(|c| c.as_str() == Some(key)),
                    _ => false,
                };
            if !key_ok {
                self.err(
                    kp.clone(),
                    match kind {
                        "nps" => "an nps branch is an answer from 0 to 10, a range like \"0-6\", or \"*\"",
                        "csat" | "rating" => "a branch is an answer from 1 to 5, a range like \"1-2\", or \"*\"",
                        "single" | "multiple" => "a branch is one of the question's choices, or \"*\"",
                        _ => "a text question branches only on \"*\"",
                    },
                );
            }
            match target.as_str() {
                Some("end") => {}
                Some(t) => match ids.iter().position(|id| *id == Some(t)) {
                    Some(j) if j > at => {}
                    Some(_) => self.err(
                        kp,
                        format!("branches go forward: {t:?} is not after this question"),
                    ),
                    None => self.err(kp, format!("unknown question {t:?}")),
                },
                None => self.err(kp, "a branch goes to a question id or \"end\""),
            }
        }
    }

    /// An optional text member must be a string.
    fn text(&mut self, path: &str, m: &Map, key: &str) {
        if m.get(key).is_some_and(|v| v.as_str().is_none()) {
            self.err(format!("{path}.{key}"), "a string");
        }
    }

    pub(super) fn reward(&mut self, path: &str, m: &Map) {
        let need = |r: &mut Self, key: &str, what: &str| {
            if !matches!(m.get(key), Some(Value::String(s)) if !s.is_empty()) {
                r.err(
                    format!("{path}.{key}"),
                    format!("a {what} reward needs \"{key}\""),
                );
            }
        };
        match m.get("reward").and_then(Value::as_str) {
            Some("coupon") => need(self, "code", "coupon"),
            Some("points") => {
                if !m
                    .get("points")
                    .and_then(Value::as_f64)
                    .is_some_and(|p| p > 0.0)
                {
                    self.err(
                        format!("{path}.points"),
                        "a points reward needs a positive \"points\"",
                    );
                }
            }
            Some("badge") => need(self, "badge", "badge"),
            Some("referral") => {
                need(self, "url", "referral");
                if let Some(u) = m.get("url").and_then(Value::as_str) {
                    if !(u.starts_with("https://") || u.starts_with("http://")) {
                        self.err(
                            format!("{path}.url"),
                            format!("{u:?} is not an http(s) URL"),
                        );
                    }
                }
            }
            _ => self.err(
                format!("{path}.reward"),
                "a reward's \"reward\" is coupon, points, badge or referral",
            ),
        }
    }

    /// Theme keys (`THEME_KEYS`): colours (also under `dark`, which holds only colours), `font`/`fontFamily`,
    /// `radius` and `position`.
    pub(super) fn theme(&mut self, path: &str, v: &Value) {
        let Some(m) = self.object(path, v, "a theme") else {
            return;
        };
        let dark = path.ends_with(".dark");
        for (k, val) in m.iter() {
            let p = format!("{path}.{k}");
            if !THEME_KEYS.contains(&k) || (dark && !k.ends_with("Color")) {
                let keys: &[&str] = if dark { &THEME_KEYS[..5] } else { THEME_KEYS };
                self.err(
                    p,
                    format!("unknown key (expected one of: {})", keys.join(", ")),
                );
            } else if k == "dark" {
                self.theme(&p, val);
            } else if k.ends_with("Color") {
                if !val.as_str().is_some_and(is_colour) {
                    self.err(
                        p,
                        format!(
                            "{} is not a colour (#rgb, #rrggbb, rgb(...), hsl(...))",
                            val.to_json()
                        ),
                    );
                }
            } else if k == "position" {
                if !val.as_str().is_some_and(|s| POSITIONS.contains(&s)) {
                    self.err(
                        p,
                        "a position is bottom-right, bottom-left, bottom or center",
                    );
                }
            } else if k == "radius" {
                let ok = match val {
                    Value::Number(n) => (0.0..=64.0).contains(n),
                    Value::String(s) => is_css_length(s),
                    _ => false,
                };
                if !ok {
                    self.err(p, "a radius is a number of px from 0 to 64 or a length like \"12px\", \"1em\", \"50%\"");
                }
            } else if !val.as_str().is_some_and(is_css_value) {
                self.err(
                    p,
                    "a font is a CSS font-family list of at most 200 bytes, without ; { } \\, comments or an unclosed bracket",
                );
            }
        }
    }

    /// The top-level `strings`: `{"fr": {"submit": "Envoyer", ...}, "fr-CA": {...}}`.
    pub(super) fn strings(&mut self, v: &Value) {
        let Some(m) = self.object("strings", v, "\"strings\"") else {
            return;
        };
        for (locale, table) in m.iter() {
            let p = format!("strings.{locale}");
            if locale.is_empty()
                || locale.len() > 35
                || !locale
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            {
                self.err(
                    p.clone(),
                    "a locale is a language tag like \"fr\" or \"fr-CA\"",
                );
            }
            let Some(t) = self.object(&p, table, "a locale's strings") else {
                continue;
            };
            self.unknown_keys(&p, t, STRING_KEYS);
            for (k, s) in t.iter() {
                if s.as_str().is_none() {
                    self.err(format!("{p}.{k}"), "a string");
                }
            }
        }
    }
}

/// The keys of `theme` (the first five are the colours, the only keys of `theme.dark`).
pub const THEME_KEYS: &[&str] = &[
    "accentColor",
    "accentTextColor",
    "backgroundColor",
    "textColor",
    "borderColor",
    "font",
    "fontFamily",
    "radius",
    "position",
    "dark",
];

/// Where the prompt sits: `theme.position`.
pub const POSITIONS: &[&str] = &["bottom-right", "bottom-left", "bottom", "center"];

/// The prompt UI's strings that `strings.<locale>` may override (`docs/prompts.md`).
pub const STRING_KEYS: &[&str] = &[
    "submit",
    "next",
    "close",
    "copy",
    "copied",
    "share",
    "claim",
    "thanks",
    "notLikely",
    "veryLikely",
    "unsatisfied",
    "satisfied",
    "progress",
    "points",
    "point",
];

/// Text that can stand as a CSS declaration's value without ending it: at most 200 bytes, no `;`, braces,
/// backslash, angle brackets, line breaks or comment marks, closed quotes, and `(` and `[` outside quotes each
/// closed in turn (an unclosed one takes in the rest of the stylesheet, up to its end: the declarations and rules
/// that follow, such as the dark palette).
pub fn is_css_value(s: &str) -> bool {
    // One pass over the bytes: every character that matters here is ASCII.
    let mut quote = 0u8;
    let mut prev = 0u8;
    // The brackets open, innermost last.
    let mut open = Vec::new();
    for &c in s.as_bytes() {
        if quote != 0 {
            if c == quote {
                quote = 0;
            }
        } else if c == b'"' || c == b'\'' {
            quote = c;
        } else if c == b'(' || c == b'[' {
            // The closer it needs: `(` + 1 is `)`, `[` + 2 is `]`.
            open.push(c + 1 + u8::from(c == b'['));
        } else if (c == b')' || c == b']') && open.pop() != Some(c) {
            return false;
        }
        // `/*` or `*/`: the only two pairs of these bytes whose XOR is that of `/` and `*`.
        let comment = (c == b'*' || c == b'/') && prev ^ c == b'/' ^ b'*';
        if comment || b";{}\\<>\n\r".contains(&c) {
            return false;
        }
        prev = c;
    }
    quote == 0 && open.is_empty() && !s.trim().is_empty() && s.len() <= 200
}

/// A short CSS length: digits, an optional fraction, and `px`, `em`, `rem` or `%` (`12px`, `0.5em`).
pub fn is_css_length(s: &str) -> bool {
    let b = s.as_bytes();
    // The number is the leading run of digits and dots: the units have neither.
    let mut end = 0;
    let mut dots = 0;
    while end < b.len() && (b[end].is_ascii_digit() || b[end] == b'.') {
        dots += usize::from(b[end] == b'.');
        end += 1;
    }
    let (num, unit) = b.split_at(end);
    // At most one dot, neither first nor last.
    b.len() <= 12
        && matches!(unit, b"px" | b"em" | b"rem" | b"%")
        && dots <= 1
        && num.first().is_some_and(u8::is_ascii_digit)
        && num.last().is_some_and(u8::is_ascii_digit)
}

/// A branch key on a scale answer: `"7"` is (7, 7), `"0-6"` is (0, 6); anything else is None.
pub fn scale_range(key: &str) -> Option<(i64, i64)> {
    // One pass: the ends are one to three digits each, split by the first `-`.
    let mut ends = [0i64; 2];
    let mut k = 0;
    let mut digits = 0;
    for &b in key.as_bytes() {
        if b == b'-' && k == 0 && digits > 0 {
            k = 1;
            digits = 0;
        } else if b.is_ascii_digit() && digits < 3 {
            ends[k] = ends[k] * 10 + i64::from(b - b'0');
            digits += 1;
        } else {
            return None;
        }
    }
    (digits > 0).then_some((ends[0], ends[k]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::json::parse;

    fn errors(text: &str) -> Vec<String> {
        match super::super::read(&parse(text).unwrap_or(Value::Null)) {
            Ok(_) => Vec::new(),
            Err(e) => e.iter().map(|e| e.render()).collect(),
        }
    }

    fn survey(questions: &str, extra: &str) -> Vec<String> {
        errors(&format!(
            r#"{{"campaigns": [{{"id": "c", "trigger": {{"exitIntent": true}}, "action": {{"type": "survey", "questions": [{questions}]{extra}}}}}]}}"#
        ))
    }

    fn action(body: &str) -> Vec<String> {
        errors(&format!(
            r#"{{"campaigns": [{{"id": "c", "trigger": {{"exitIntent": true}}, "action": {body}}}]}}"#
        ))
    }

    fn has(errs: &[String], line: &str) -> bool {
        errs.iter().any(|e| e.starts_with(line))
    }

    const NPS: &str = r#"{"id": "score", "type": "nps", "text": "?", "next": {"0-6": "why", "9-10": "end", "*": "more"}}"#;
    const WHY: &str = r#"{"id": "why", "type": "text", "text": "Why?", "placeholder": "Tell us", "next": {"*": "end"}}"#;
    const MORE: &str = r#"{"id": "more", "type": "single", "text": "?", "choices": ["a", "b"], "next": {"a": "end"}}"#;

    #[test]
    fn branches_texts_and_a_theme_read() {
        let errs = survey(
            &[NPS, WHY, MORE].join(","),
            r##", "title": "Quick question", "thanks": "Merci", "theme": {"position": "center", "radius": 8, "font": "\"Inter\", sans-serif", "dark": {"textColor": "#eee"}}"##,
        );
        assert!(errs.is_empty(), "{errs:?}");
        assert!(action(r#"{"type": "reward", "reward": "points", "points": 5, "title": "Yay", "text": "For you", "theme": {"radius": "1.5em"}}"#).is_empty());
        assert!(errors(r##"{"theme": {"accentColor": "#123456", "position": "bottom"}, "strings": {"fr": {"submit": "Envoyer"}, "fr-CA": {}}}"##).is_empty());
    }

    #[test]
    fn branch_targets_must_be_later_questions_or_end() {
        let q =
            |next: &str| format!(r#"{{"id": "a", "type": "nps", "text": "?", "next": {next}}}"#);
        let b = r#"{"id": "b", "type": "csat", "text": "?", "next": {"*": "a"}}"#;
        let errs = survey(&[q(r#"{"*": "nowhere"}"#).as_str(), b].join(","), "");
        assert!(
            has(
                &errs,
                "campaigns[0].action.questions[0].next.*: unknown question \"nowhere\""
            ),
            "{errs:?}"
        );
        assert!(
            has(
                &errs,
                "campaigns[0].action.questions[1].next.*: branches go forward: \"a\" is not after"
            ),
            "{errs:?}"
        );
        let errs = survey(&q(r#"{"*": 3}"#), "");
        assert!(has(&errs, "campaigns[0].action.questions[0].next.*: a branch goes to a question id or \"end\""), "{errs:?}");
        let errs = survey(&q(r#"["end"]"#), "");
        assert!(
            has(
                &errs,
                "campaigns[0].action.questions[0].next: \"next\" is an object"
            ),
            "{errs:?}"
        );
    }

    #[test]
    fn branch_keys_fit_the_question_type() {
        let q = |kind: &str, key: &str| {
            format!(
                r#"{{"id": "a", "type": "{kind}", "text": "?", "choices": ["x", "y"], "next": {{"{key}": "end"}}}}"#
            )
        };
        for (kind, key, ok) in [
            ("nps", "0-6", true),
            ("nps", "10", true),
            ("nps", "11", false),
            ("nps", "7-3", false),
            ("nps", "high", false),
            ("csat", "1-2", true),
            ("csat", "0", false),
            ("rating", "5", true),
            ("rating", "4-6", false),
            ("single", "x", true),
            ("single", "z", false),
            ("multiple", "y", true),
            ("text", "*", true),
            ("text", "yes", false),
        ] {
            let errs = survey(&q(kind, key), "");
            let line = format!("campaigns[0].action.questions[0].next.{key}: ");
            assert_eq!(has(&errs, &line), !ok, "{kind} {key}: {errs:?}");
        }
    }

    #[test]
    fn texts_are_strings() {
        let errs = survey(
            r#"{"id": "a", "type": "text", "text": "?", "placeholder": 1}"#,
            r#", "title": ["x"], "thanks": false"#,
        );
        for p in ["questions[0].placeholder", "title", "thanks"] {
            assert!(
                has(&errs, &format!("campaigns[0].action.{p}: a string")),
                "{p}: {errs:?}"
            );
        }
        let errs = action(r#"{"type": "reward", "reward": "badge", "badge": "Gold", "text": 3}"#);
        assert!(has(&errs, "campaigns[0].action.text: a string"), "{errs:?}");
    }

    #[test]
    fn theme_keys_are_checked() {
        let errs = action(
            r#"{"type": "custom", "theme": {"position": "top", "radius": 100, "font": "x; color: red", "fontFamily": "a/*", "postion": "center", "dark": {"radius": 2}}}"#,
        );
        for (p, m) in [
            ("position", "a position is"),
            ("radius", "a radius is"),
            ("font", "a font is"),
            ("fontFamily", "a font is"),
            ("postion", "unknown key"),
            ("dark.radius", "unknown key (expected one of: accentColor"),
        ] {
            assert!(
                has(&errs, &format!("campaigns[0].action.theme.{p}: {m}")),
                "{p}: {errs:?}"
            );
        }
        for radius in [
            r#""12""#,
            r#""1e3px""#,
            r#""12px;""#,
            r#""0.px""#,
            "-1",
            "true",
        ] {
            let errs = action(&format!(
                r#"{{"type": "custom", "theme": {{"radius": {radius}}}}}"#
            ));
            assert!(
                has(&errs, "campaigns[0].action.theme.radius: "),
                "{radius}: {errs:?}"
            );
        }
        let errs = errors(r#"{"theme": {"position": "left", "textColor": "red"}}"#);
        assert!(has(&errs, "theme.position: a position is"), "{errs:?}");
        assert!(
            has(&errs, "theme.textColor: \"red\" is not a colour"),
            "{errs:?}"
        );
    }

    /// A name one or two letters off a known one is named with it: the typo is the likely mistake.
    #[test]
    fn near_misses_name_what_was_meant() {
        let errs = errors(
            r#"{"segments": {"buyers": "count(\"Order Completed\") >= 1"},
                "journeys": {"lifecycle": [{"stage": "aware", "rule": "count(\"A\") >= 1"}]},
                "campaigns": [
                  {"id": "a", "trigger": {"segmentEnter": "buyer"}, "action": {"type": "surveys"}},
                  {"id": "b", "trigger": {"evnt": "X"}, "action": {"type": "custom"}, "priorty": 2},
                  {"id": "c", "trigger": {"stage": "awre", "journey": "lifecycl"}, "action": {"type": "custom"}}]}"#,
        );
        for (p, m) in [
            (
                "campaigns[0].trigger.segmentEnter",
                "did you mean \"buyers\"?",
            ),
            ("campaigns[0].action.type", "did you mean \"survey\"?"),
            ("campaigns[1].trigger", "did you mean \"event\"?"),
            ("campaigns[1].priorty", "did you mean \"priority\"?"),
            ("campaigns[2].trigger.stage", "did you mean \"lifecycle\"?"),
        ] {
            assert!(
                errs.iter()
                    .any(|e| e.starts_with(&format!("{p}: ")) && e.contains(m)),
                "{p}: {m}: {errs:?}"
            );
        }
        // Nothing close: no guess.
        let errs = errors(
            r#"{"campaigns": [{"id": "a", "trigger": {"event": "X"}, "action": {"type": "popup"}}]}"#,
        );
        assert!(errs.iter().all(|e| !e.contains("did you mean")), "{errs:?}");
    }

    #[test]
    fn strings_per_locale_are_checked() {
        let errs = errors(
            r#"{"strings": {"fr": {"sumbit": "Envoyer", "next": 2}, "en US": {}, "de": "x"}}"#,
        );
        for (p, m) in [
            ("strings.fr.sumbit", "unknown key (expected one of: submit"),
            ("strings.fr.next", "a string"),
            ("strings.en US", "a locale is a language tag"),
            ("strings.de", "a locale's strings is an object"),
        ] {
            assert!(has(&errs, &format!("{p}: {m}")), "{p}: {errs:?}");
        }
        assert!(has(
            &errors(r#"{"strings": []}"#),
            "strings: \"strings\" is an object"
        ));
    }

    #[test]
    fn css_lengths_are_short_numbers_with_a_unit() {
        for ok in ["12px", "0.5em", "1.5rem", "50%", "0px", "123456789px"] {
            assert!(is_css_length(ok), "{ok}");
        }
        for bad in [
            "",
            "px",
            ".5em",
            "5.em",
            "1.2.3px",
            "12pt",
            "12",
            "1e3px",
            "-1px",
            "1 px",
            "12pxx",
            "12345678901px",
            "12PX",
        ] {
            assert!(!is_css_length(bad), "{bad:?}");
        }
    }

    #[test]
    fn css_values_cannot_end_a_declaration() {
        for ok in [
            "system-ui, sans-serif",
            "\"Foo's Font\", serif",
            "'A', \"B\"",
            "var(--x, (a)), [b]",
            "\"a(\", ')'",
        ] {
            assert!(is_css_value(ok), "{ok}");
        }
        // An unclosed `(` or `[` would take in what follows it in the stylesheet (the other custom properties, the
        // dark palette) up to the end, and an unmatched closer drops the declaration.
        for bad in [
            "a;b", "a{", "}", "a\\3b", "\"open", "a /* x", "x */", "<b>", "a\nb", " ", "", "a(",
            "x, url(", "a[", "a)", "a]", "a(]", ")a(",
        ] {
            assert!(!is_css_value(bad), "{bad:?}");
        }
        assert!(!is_css_value(&"a".repeat(201)));
        assert!(!is_css_value("\u{3000}\u{3000}"), "blank in any script");
        assert!(is_css_value("\"Noto Sans JP\", ヒラギノ角ゴ"));
        assert_eq!(scale_range("0-6"), Some((0, 6)));
        assert_eq!(scale_range("7"), Some((7, 7)));
        assert_eq!(scale_range("-1"), None);
        assert_eq!(scale_range("1-"), None);
    }

    /// Every string of up to six bytes from an alphabet: what the checks were first written as must agree with
    /// them (they were rewritten for size).
    fn strings_over(alphabet: &[u8], max: usize, mut each: impl FnMut(&str)) {
        let mut word: Vec<u8> = Vec::new();
        loop {
            each(std::str::from_utf8(&word).unwrap_or_default());
            // The next word, as an odometer over the alphabet.
            let mut i = word.len();
            loop {
                if i == 0 {
                    if word.len() == max {
                        return;
                    }
                    word.insert(0, alphabet[0]);
                    word.iter_mut().for_each(|b| *b = alphabet[0]);
                    break;
                }
                i -= 1;
                let at = alphabet.iter().position(|&a| a == word[i]).unwrap_or(0);
                if at + 1 < alphabet.len() {
                    word[i] = alphabet[at + 1];
                    break;
                }
                word[i] = alphabet[0];
            }
        }
    }

    #[test]
    fn css_checks_agree_with_their_first_form() {
        fn length_then(s: &str) -> bool {
            let b = s.as_bytes();
            let mut end = b.len();
            while end > 0 && (b[end - 1].is_ascii_alphabetic() || b[end - 1] == b'%') {
                end -= 1;
            }
            let (num, unit) = b.split_at(end);
            if b.len() > 12 || !matches!(unit, b"px" | b"em" | b"rem" | b"%") {
                return false;
            }
            let mut dot = None;
            for (i, &c) in num.iter().enumerate() {
                if c == b'.' && dot.is_none() {
                    dot = Some(i);
                } else if !c.is_ascii_digit() {
                    return false;
                }
            }
            match dot {
                None => !num.is_empty(),
                Some(i) => i > 0 && i + 1 < num.len(),
            }
        }
        fn value_then(s: &str) -> bool {
            let mut quote = 0u8;
            let mut prev = 0u8;
            let mut open: Vec<u8> = Vec::new();
            for &c in s.as_bytes() {
                if quote != 0 {
                    if c == quote {
                        quote = 0;
                    }
                } else if c == b'"' || c == b'\'' {
                    quote = c;
                } else if c == b'(' || c == b'[' {
                    open.push(c);
                } else if (c == b')' && open.pop() != Some(b'('))
                    || (c == b']' && open.pop() != Some(b'['))
                {
                    return false;
                }
                let comment = (prev == b'/' && c == b'*') || (prev == b'*' && c == b'/');
                if comment || matches!(c, b';' | b'{' | b'}' | b'\\' | b'<' | b'>' | b'\n' | b'\r')
                {
                    return false;
                }
                prev = c;
            }
            quote == 0 && open.is_empty() && !s.trim().is_empty() && s.len() <= 200
        }
        strings_over(b"01.pxemr%aZ", 6, |s| {
            assert_eq!(is_css_length(s), length_then(s), "{s:?}")
        });
        strings_over(b"a /*;'\"{}\\<>\n\r+\t", 5, |s| {
            assert_eq!(is_css_value(s), value_then(s), "{s:?}")
        });
        strings_over(b"a'\"()[]", 6, |s| {
            assert_eq!(is_css_value(s), value_then(s), "{s:?}")
        });
    }

    #[test]
    fn scale_range_agrees_with_its_first_form() {
        fn then(key: &str) -> Option<(i64, i64)> {
            let int = |t: &str| {
                (!t.is_empty() && t.len() <= 3 && t.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| t.bytes().fold(0i64, |n, b| n * 10 + i64::from(b - b'0')))
            };
            match key.split_once('-') {
                Some((a, b)) => Some((int(a)?, int(b)?)),
                None => int(key).map(|n| (n, n)),
            }
        }
        strings_over(b"09-a", 9, |s| assert_eq!(scale_range(s), then(s), "{s:?}"));
    }
}
