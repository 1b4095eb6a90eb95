//! Why a campaign cannot show now: each reason names the rule that blocks it and, where one exists, until when.

use crate::core::json::{Map, Value};
use crate::core::time::iso8601;

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
        let i = match self {
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
        };
        crate::core::url::nth_field(CODES, b'|', i)
    }

    /// One line for people (debug console, CLI). Built by concatenation: `format!` would bring float and
    /// `Debug` formatting into the browser build.
    pub fn message(&self) -> String {
        let num = |n: f64| Value::Number(n).to_json();
        match self {
            Reason::Rule { failing } => {
                let mut out = String::from("audience rule is false: ");
                for (k, clause) in failing.iter().enumerate() {
                    if k > 0 {
                        out.push_str(" && ");
                    }
                    out.push_str(clause);
                }
                out
            }
            Reason::UrlNotIncluded { url } => match url {
                Some(u) => ["URL ", u, " matches no include pattern"].concat(),
                None => "no page URL known yet, and the audience includes only some URLs".into(),
            },
            Reason::UrlExcluded { url, pattern } => {
                ["URL ", url, " is excluded by ", pattern].concat()
            }
            Reason::Device { device } => match device {
                Some(d) => ["device ", d, " is not targeted"].concat(),
                None => "device not known, and the audience targets only some devices".into(),
            },
            Reason::BeforeStart { start } => ["starts at ", &iso8601(*start)].concat(),
            Reason::Ended { end } => ["ended at ", &iso8601(*end)].concat(),
            Reason::NotSampled { percent } => {
                ["visitor is outside the ", &num(*percent), "% sample"].concat()
            }
            Reason::ShownOnce => "already shown (frequency: once)".into(),
            Reason::Answered => "already answered (frequency: untilAnswered)".into(),
            Reason::Capped { until } => match until {
                Some(t) => ["frequency cap reached, until ", &iso8601(*t)].concat(),
                None => "frequency cap reached".into(),
            },
            Reason::Cooldown { until } => {
                ["cooling down after a dismissal, until ", &iso8601(*until)].concat()
            }
            Reason::SessionLimit { limit } => [
                &num(f64::from(*limit)),
                " prompt(s) already shown this session",
            ]
            .concat(),
            Reason::MinGap { until } => {
                ["too soon after the last prompt, until ", &iso8601(*until)].concat()
            }
            Reason::PromptOpen { campaign } => ["prompt ", campaign, " is on screen"].concat(),
            Reason::TooManyPending => "too many delayed prompts waiting".into(),
            Reason::OutrankedBy { campaign } => ["outranked by ", campaign].concat(),
            Reason::HeldOut { percent } => {
                ["visitor is in the ", &num(*percent), "% holdout"].concat()
            }
        }
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
