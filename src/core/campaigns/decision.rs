//! What the engine decides, one entry per campaign concerned. The SDK shows `Show`, sends an event for
//! `HeldOut`, and logs the rest in debug mode.

use super::reason::{fill, Reason};
use crate::core::json::{Map, Value};
use crate::core::time::write_iso8601;

#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Show the campaign's action now.
    Show { campaign: String },
    /// The visitor is in the holdout: record a held-out event, show nothing.
    HeldOut { campaign: String },
    /// Triggered; eligibility is checked again at `due`.
    Delayed { campaign: String, due: i64 },
    /// A pending delay was cancelled by this event (or by a new session: `by` is `session`).
    Cancelled { campaign: String, by: String },
    /// Triggered (or its delay ended) but it cannot show, for these reasons.
    Skipped {
        campaign: String,
        reasons: Vec<Reason>,
    },
    /// The prompt on screen closes, with no outcome: the page moved to a URL the campaign does not target.
    Closed { campaign: String },
}

impl Decision {
    pub fn campaign(&self) -> &str {
        match self {
            Decision::Show { campaign }
            | Decision::HeldOut { campaign }
            | Decision::Delayed { campaign, .. }
            | Decision::Cancelled { campaign, .. }
            | Decision::Skipped { campaign, .. }
            | Decision::Closed { campaign } => campaign,
        }
    }

    pub fn kind(&self) -> &'static str {
        crate::core::url::nth_field(
            "show|heldOut|delayed|cancelled|skipped|closed",
            b'|',
            self.index(),
        )
    }

    /// The variant's place in the order of the declaration.
    fn index(&self) -> usize {
        match self {
            Decision::Show { .. } => 0,
            Decision::HeldOut { .. } => 1,
            Decision::Delayed { .. } => 2,
            Decision::Cancelled { .. } => 3,
            Decision::Skipped { .. } => 4,
            Decision::Closed { .. } => 5,
        }
    }

    /// One line for debug mode and the CLI: `show nps`, `delayed cart until 2026-...`, `skipped promo: cooling
    /// down after a dismissal, until ...`. The variant's template, filled as [`Reason::message`]'s are.
    pub fn render(&self) -> String {
        const RENDERED: &str =
            "show #|held out # (holdout: no prompt)|delayed # until #|cancelled # by #|skipped #: #|closed # (the page is outside its audience)";
        let mut own = String::new();
        let mut by = "";
        match self {
            Decision::Delayed { due, .. } => write_iso8601(*due, &mut own),
            Decision::Cancelled { by: b, .. } => by = b,
            Decision::Skipped { reasons, .. } => {
                for (k, r) in reasons.iter().enumerate() {
                    if k > 0 {
                        own.push_str("; ");
                    }
                    own.push_str(&r.message());
                }
            }
            _ => {}
        }
        fill(
            crate::core::url::nth_field(RENDERED, b'|', self.index()),
            self.campaign(),
            if by.is_empty() { &own } else { by },
        )
    }

    /// `{"decision": kind, "campaign": id, "due"?: ms, "by"?: event, "reasons"?: [codes]}`.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("decision", Value::String(self.kind().into()));
        m.insert("campaign", Value::String(self.campaign().into()));
        match self {
            Decision::Delayed { due, .. } => m.insert("due", Value::Number(*due as f64)),
            Decision::Cancelled { by, .. } => m.insert("by", Value::String(by.clone())),
            Decision::Skipped { reasons, .. } => {
                let mut codes = Vec::with_capacity(reasons.len());
                for r in reasons {
                    codes.push(Value::String(r.code().into()));
                }
                m.insert("reasons", Value::Array(codes))
            }
            _ => {}
        }
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::{Decision, Reason};
    use crate::core::time::iso8601;

    /// Each decision renders as it did when each was written by a concatenation of its own.
    #[test]
    fn render_agrees_with_its_first_form() {
        fn then(d: &Decision) -> String {
            match d {
                Decision::Show { campaign } => ["show ", campaign].concat(),
                Decision::HeldOut { campaign } => {
                    ["held out ", campaign, " (holdout: no prompt)"].concat()
                }
                Decision::Delayed { campaign, due } => {
                    ["delayed ", campaign, " until ", &iso8601(*due)].concat()
                }
                Decision::Cancelled { campaign, by } => {
                    ["cancelled ", campaign, " by ", by].concat()
                }
                Decision::Skipped { campaign, reasons } => {
                    let mut out = ["skipped ", campaign, ": "].concat();
                    for (k, r) in reasons.iter().enumerate() {
                        if k > 0 {
                            out.push_str("; ");
                        }
                        out.push_str(&r.message());
                    }
                    out
                }
                Decision::Closed { campaign } => {
                    ["closed ", campaign, " (the page is outside its audience)"].concat()
                }
            }
        }
        for id in ["", "nps", "a#b", "#", "x | y"] {
            let c = || id.to_string();
            let all = [
                Decision::Show { campaign: c() },
                Decision::HeldOut { campaign: c() },
                Decision::Delayed {
                    campaign: c(),
                    due: 1_767_225_600_000,
                },
                Decision::Cancelled {
                    campaign: c(),
                    by: "session".into(),
                },
                Decision::Cancelled {
                    campaign: c(),
                    by: String::new(),
                },
                Decision::Cancelled {
                    campaign: c(),
                    by: "#".into(),
                },
                Decision::Skipped {
                    campaign: c(),
                    reasons: vec![],
                },
                Decision::Closed { campaign: c() },
                Decision::Skipped {
                    campaign: c(),
                    reasons: vec![
                        Reason::Cooldown { until: 5 },
                        Reason::OutrankedBy { campaign: c() },
                    ],
                },
            ];
            for d in &all {
                assert_eq!(d.render(), then(d));
            }
        }
    }
}
