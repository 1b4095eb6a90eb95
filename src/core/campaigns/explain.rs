//! `explain(id)`: whether a campaign would show if it triggered now, and every reason it would not.

use super::reason::Reason;
use crate::core::json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub campaign: String,
    /// Nothing blocks it and the visitor is not held out: if it triggered now it would show; with a delay, the
    /// delay would start (the moment's rules are checked when it ends), as would the wait for a hidden page.
    pub eligible: bool,
    /// Whether this visitor is in the campaign's holdout.
    pub held_out: bool,
    /// Every blocking reason, then the holdout, then for information the campaign it would lose to when its delay
    /// ends, or else the one it last lost to, if any.
    pub reasons: Vec<Reason>,
    /// When a delay is waiting: when it ends, or, while the page is hidden, when it may end (it waits for the page
    /// too, so this time may be past).
    pub pending_until: Option<i64>,
    /// The page is hidden: a campaign ready to show, or whose delay ends, waits until it is visible again.
    pub page_hidden: bool,
}

impl Explanation {
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("campaign", Value::String(self.campaign.clone()));
        m.insert("eligible", Value::Bool(self.eligible));
        m.insert("heldOut", Value::Bool(self.held_out));
        if let Some(p) = self.pending_until {
            m.insert("pendingUntil", Value::Number(p as f64));
        }
        if self.page_hidden {
            m.insert("pageHidden", Value::Bool(true));
        }
        let mut reasons = Vec::with_capacity(self.reasons.len());
        for r in &self.reasons {
            reasons.push(r.to_value());
        }
        m.insert("reasons", Value::Array(reasons));
        Value::Object(m)
    }

    /// `nps: not eligible` and one indented line per reason.
    pub fn render(&self) -> String {
        let mut out = format!(
            "{}: {}",
            self.campaign,
            if self.eligible {
                "eligible"
            } else {
                "not eligible"
            }
        );
        for r in &self.reasons {
            out.push_str("\n  - ");
            out.push_str(&r.message());
        }
        out
    }
}
