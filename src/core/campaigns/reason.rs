//! Why a campaign cannot show now: each reason names the rule that blocks it and, where one exists, until when.

use crate::core::json::{write_number, Map, Value};
use crate::core::time::write_iso8601;

/// The messages, one per variant in the order of the declaration, then those of `UrlNotIncluded`, `Device` and
/// `Capped` without a value; each `#` is replaced by a value, in order.
const MESSAGES: &str = "audience rule is false: #|URL # matches no include pattern|URL # is excluded by #|\
                        device # is not targeted|starts at #|ended at #|visitor is outside the #% sample|\
                        already shown (frequency: once)|already answered (frequency: untilAnswered)|\
                        frequency cap reached, until #|cooling down after a dismissal, until #|\
                        # prompt(s) already shown this session|too soon after the last prompt, until #|\
                        prompt # is on screen|too many delayed prompts waiting|outranked by #|\
                        visitor is in the #% holdout|\
                        no page URL known yet, and the audience includes only some URLs|\
                        device not known, and the audience targets only some devices|frequency cap reached";

/// `template` with its first `#` replaced by `a` and its second by `b` (the text put in is not searched again).
pub(super) fn fill(template: &str, a: &str, b: &str) -> String {
    let mut rest = template;
    let mut out = String::new();
    let mut next = a;
    while let Some((head, tail)) = crate::core::url::split_once_byte(rest, b'#') {
        out.push_str(head);
        out.push_str(next);
        next = b;
        rest = tail;
    }
    out.push_str(rest);
    out
}

#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// The audience rule is false; these are its top-level clauses that are false, as written.
    Rule {
        failing: Vec<String>,
    },
    /// No include pattern matches the current URL (or no URL is known yet).
    UrlNotIncluded {
        url: Option<String>,
    },
    UrlExcluded {
        url: String,
        pattern: String,
    },
    /// The device is not one of the campaign's (or is not known).
    Device {
        device: Option<&'static str>,
    },
    BeforeStart {
        start: i64,
    },
    Ended {
        end: i64,
    },
    /// The visitor falls outside the sampling percentage.
    NotSampled {
        percent: f64,
    },
    /// Shown once already (`once`), or held out once.
    ShownOnce,
    /// `untilAnswered`: the visitor already answered (or was held out).
    Answered,
    /// `max N per period` reached; eligible again at `until` (`None`: never, for a cap without a period).
    Capped {
        until: Option<i64>,
    },
    Cooldown {
        until: i64,
    },
    SessionLimit {
        limit: u32,
    },
    MinGap {
        until: i64,
    },
    /// Another prompt is on screen.
    PromptOpen {
        campaign: String,
    },
    /// Too many delays are already waiting.
    TooManyPending,
    /// Another eligible campaign with a higher priority (or earlier in the config) won.
    OutrankedBy {
        campaign: String,
    },
    /// In the holdout: gets a held-out decision instead of the prompt.
    HeldOut {
        percent: f64,
    },
}

impl Reason {
    /// A stable kebab-case name, for tools and tests.
    pub fn code(&self) -> &'static str {
        // The names in one `|`-separated string, in the order of the variants: a `match` returning each name
        // compiles to tables of pointers and lengths, which compress poorly.
        const CODES: &str = "audience-rule|url-not-included|url-excluded|device|before-start|ended|not-sampled|\
                             shown-once|answered|capped|cooldown|session-limit|min-gap|prompt-open|too-many-pending|\
                             outranked|held-out";
        crate::core::url::nth_field(CODES, b'|', self.index())
    }

    /// The variant's place in the order of the declaration.
    fn index(&self) -> usize {
        match self {
            Reason::Rule { .. } => 0,
            Reason::UrlNotIncluded { .. } => 1,
            Reason::UrlExcluded { .. } => 2,
            Reason::Device { .. } => 3,
            Reason::BeforeStart { .. } => 4,
            Reason::Ended { .. } => 5,
            Reason::NotSampled { .. } => 6,
            Reason::ShownOnce => 7,
            Reason::Answered => 8,
            Reason::Capped { .. } => 9,
            Reason::Cooldown { .. } => 10,
            Reason::SessionLimit { .. } => 11,
            Reason::MinGap { .. } => 12,
            Reason::PromptOpen { .. } => 13,
            Reason::TooManyPending => 14,
            Reason::OutrankedBy { .. } => 15,
            Reason::HeldOut { .. } => 16,
        }
    }

    /// One line for people (debug console, CLI): the variant's template in [`MESSAGES`] with its values in
    /// place of the `#`s. Built by concatenation: `format!` would bring float and `Debug` formatting into the
    /// browser build; and one template string per variant, filled by one loop, is less code than a concatenation
    /// per variant.
    pub fn message(&self) -> String {
        let mut i = self.index();
        // The value that is written out (a time, a number, the clauses), else the text values as they are.
        let mut own = String::new();
        let (mut a, mut b) = ("", "");
        match self {
            Reason::Rule { failing } => {
                for (k, clause) in failing.iter().enumerate() {
                    if k > 0 {
                        own.push_str(" && ");
                    }
                    own.push_str(clause);
                }
            }
            Reason::UrlNotIncluded { url: Some(u) } => a = u,
            Reason::UrlExcluded { url, pattern } => (a, b) = (url, pattern),
            Reason::Device { device: Some(d) } => a = d,
            Reason::PromptOpen { campaign } | Reason::OutrankedBy { campaign } => a = campaign,
            Reason::BeforeStart { start: t }
            | Reason::Ended { end: t }
            | Reason::Capped { until: Some(t) }
            | Reason::Cooldown { until: t }
            | Reason::MinGap { until: t } => write_iso8601(*t, &mut own),
            Reason::NotSampled { percent: n } | Reason::HeldOut { percent: n } => {
                write_number(*n, &mut own)
            }
            Reason::SessionLimit { limit } => write_number(f64::from(*limit), &mut own),
            Reason::UrlNotIncluded { url: None } => i = 17,
            Reason::Device { device: None } => i = 18,
            Reason::Capped { until: None } => i = 19,
            _ => {}
        }
        fill(
            crate::core::url::nth_field(MESSAGES, b'|', i),
            if a.is_empty() { &own } else { a },
            b,
        )
    }

    /// `{"code": ..., "message": ..., "until"?: epoch ms, "campaign"?: id, "clauses"?: [...]}`.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("code", Value::String(self.code().into()));
        m.insert("message", Value::String(self.message()));
        match self {
            Reason::Rule { failing } => {
                let mut clauses = Vec::with_capacity(failing.len());
                for c in failing {
                    clauses.push(Value::String(c.clone()));
                }
                m.insert("clauses", Value::Array(clauses))
            }
            Reason::Capped { until: Some(t) }
            | Reason::Cooldown { until: t }
            | Reason::MinGap { until: t } => m.insert("until", Value::Number(*t as f64)),
            Reason::OutrankedBy { campaign } | Reason::PromptOpen { campaign } => {
                m.insert("campaign", Value::String(campaign.clone()))
            }
            _ => {}
        }
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::Reason;

    #[test]
    fn every_reason_has_its_code() {
        let s = String::new;
        let all = [
            (Reason::Rule { failing: vec![] }, "audience-rule"),
            (Reason::UrlNotIncluded { url: None }, "url-not-included"),
            (
                Reason::UrlExcluded {
                    url: s(),
                    pattern: s(),
                },
                "url-excluded",
            ),
            (Reason::Device { device: None }, "device"),
            (Reason::BeforeStart { start: 0 }, "before-start"),
            (Reason::Ended { end: 0 }, "ended"),
            (Reason::NotSampled { percent: 0.0 }, "not-sampled"),
            (Reason::ShownOnce, "shown-once"),
            (Reason::Answered, "answered"),
            (Reason::Capped { until: None }, "capped"),
            (Reason::Cooldown { until: 0 }, "cooldown"),
            (Reason::SessionLimit { limit: 0 }, "session-limit"),
            (Reason::MinGap { until: 0 }, "min-gap"),
            (Reason::PromptOpen { campaign: s() }, "prompt-open"),
            (Reason::TooManyPending, "too-many-pending"),
            (Reason::OutrankedBy { campaign: s() }, "outranked"),
            (Reason::HeldOut { percent: 0.0 }, "held-out"),
        ];
        for (r, code) in all {
            assert_eq!(r.code(), code);
        }
    }

    #[test]
    fn every_reason_has_its_message() {
        let s = |t: &str| String::from(t);
        let t = 1_767_225_600_000; // 2026-01-01T00:00:00.000Z
        let all = [
            (
                Reason::Rule {
                    failing: vec![s("a == 1"), s("b")],
                },
                "audience rule is false: a == 1 && b",
            ),
            (Reason::Rule { failing: vec![] }, "audience rule is false: "),
            (
                Reason::UrlNotIncluded { url: Some(s("/x")) },
                "URL /x matches no include pattern",
            ),
            (
                Reason::UrlExcluded {
                    url: s("/a#b"),
                    pattern: s("#"),
                },
                "URL /a#b is excluded by #",
            ),
            (
                Reason::UrlExcluded {
                    url: s(""),
                    pattern: s("/"),
                },
                "URL  is excluded by /",
            ),
            (
                Reason::UrlNotIncluded { url: None },
                "no page URL known yet, and the audience includes only some URLs",
            ),
            (
                Reason::UrlExcluded {
                    url: s("/x"),
                    pattern: s("/x*"),
                },
                "URL /x is excluded by /x*",
            ),
            (
                Reason::Device {
                    device: Some("mobile"),
                },
                "device mobile is not targeted",
            ),
            (
                Reason::Device { device: None },
                "device not known, and the audience targets only some devices",
            ),
            (
                Reason::BeforeStart { start: t },
                "starts at 2026-01-01T00:00:00.000Z",
            ),
            (
                Reason::Ended { end: t },
                "ended at 2026-01-01T00:00:00.000Z",
            ),
            (
                Reason::NotSampled { percent: 12.5 },
                "visitor is outside the 12.5% sample",
            ),
            (Reason::ShownOnce, "already shown (frequency: once)"),
            (
                Reason::Answered,
                "already answered (frequency: untilAnswered)",
            ),
            (
                Reason::Capped { until: Some(t) },
                "frequency cap reached, until 2026-01-01T00:00:00.000Z",
            ),
            (Reason::Capped { until: None }, "frequency cap reached"),
            (
                Reason::Cooldown { until: t },
                "cooling down after a dismissal, until 2026-01-01T00:00:00.000Z",
            ),
            (
                Reason::SessionLimit { limit: 3 },
                "3 prompt(s) already shown this session",
            ),
            (
                Reason::MinGap { until: t },
                "too soon after the last prompt, until 2026-01-01T00:00:00.000Z",
            ),
            (
                Reason::PromptOpen { campaign: s("c1") },
                "prompt c1 is on screen",
            ),
            (Reason::TooManyPending, "too many delayed prompts waiting"),
            (Reason::OutrankedBy { campaign: s("c2") }, "outranked by c2"),
            (
                Reason::HeldOut { percent: 10.0 },
                "visitor is in the 10% holdout",
            ),
        ];
        for (r, message) in all {
            assert_eq!(r.message(), message);
        }
    }
}
