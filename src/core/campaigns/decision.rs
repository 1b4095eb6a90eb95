//! What the engine decides, one entry per campaign concerned. The SDK shows `Show`, sends an event for
//! `HeldOut`, and logs the rest in debug mode.

use super::reason::Reason;
use crate::core::json::{Map, Value};

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
}

impl Decision {
    pub fn campaign(&self) -> &str {
        match self {
            Decision::Show { campaign }
            | Decision::HeldOut { campaign }
            | Decision::Delayed { campaign, .. }
            | Decision::Cancelled { campaign, .. }
            | Decision::Skipped { campaign, .. } => campaign,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Decision::Show { .. } => "show",
            Decision::HeldOut { .. } => "heldOut",
            Decision::Delayed { .. } => "delayed",
            Decision::Cancelled { .. } => "cancelled",
            Decision::Skipped { .. } => "skipped",
        }
    }

    /// One line for debug mode and the CLI: `show nps`, `delayed cart until 2026-...`, `skipped promo: cooling
    /// down after a dismissal, until ...`.
    pub fn render(&self) -> String {
        match self {
            Decision::Show { campaign } => ["show ", campaign].concat(),
            Decision::HeldOut { campaign } => {
                ["held out ", campaign, " (holdout: no prompt)"].concat()
            }
            Decision::Delayed { campaign, due } => [
                "delayed ",
                campaign,
                " until ",
                &crate::core::time::iso8601(*due),
            ]
            .concat(),
            Decision::Cancelled { campaign, by } => ["cancelled ", campaign, " by ", by].concat(),
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
        }
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
