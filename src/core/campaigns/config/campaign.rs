//! A campaign object and `campaignLimits`.

use super::Reader;
use super::CAMPAIGN_KEYS;
use crate::core::campaigns::limits::*;
use crate::core::campaigns::model::*;
use crate::core::json::Value;

impl Reader<'_> {
    pub(super) fn limits(&mut self, v: &Value) -> GlobalLimits {
        let mut out = GlobalLimits::default();
        let Some(m) = self.object("campaignLimits", v, "\"campaignLimits\"") else {
            return out;
        };
        self.unknown_keys("campaignLimits", m, &["perSession", "minGap"]);
        if let Some(n) = m.get("perSession") {
            match n.as_f64() {
                Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= 1000.0 => {
                    out.per_session = Some(n as u32)
                }
                _ => self.err("campaignLimits.perSession", "a whole number from 0 to 1000"),
            }
        }
        if let Some(g) = m.get("minGap") {
            out.min_gap_ms = self.duration("campaignLimits.minGap", g, MAX_DURATION_MS);
        }
        out
    }

    pub(super) fn campaign(&mut self, path: &str, v: &Value) -> Option<Campaign> {
        let m = self.object(path, v, "a campaign")?;
        let before = self.errors.len();
        self.unknown_keys(path, m, CAMPAIGN_KEYS);
        let id = match m.get("id").and_then(Value::as_str) {
            Some(id) if !id.is_empty() && id.len() <= MAX_ID_BYTES => id.to_string(),
            _ => {
                self.err(
                    format!("{path}.id"),
                    format!("a campaign needs an \"id\": a non-empty string of at most {MAX_ID_BYTES} bytes"),
                );
                String::new()
            }
        };
        let trigger = match m.get("trigger") {
            Some(t) => self.trigger(&format!("{path}.trigger"), t),
            None => {
                self.err(format!("{path}.trigger"), "a campaign needs a \"trigger\"");
                None
            }
        };
        let audience = match m.get("audience") {
            Some(a) => self.audience(&format!("{path}.audience"), a),
            None => Audience::default(),
        };
        let action = match m.get("action") {
            Some(a) => self.action(&format!("{path}.action"), a),
            None => {
                self.err(format!("{path}.action"), "a campaign needs an \"action\"");
                None
            }
        };
        let timing = match m.get("timing") {
            Some(t) => self.timing(&format!("{path}.timing"), t),
            None => Timing::default(),
        };
        let priority = match m.get("priority") {
            None => 0,
            Some(p) => match p.as_f64() {
                Some(p) if p.fract() == 0.0 && p.abs() <= MAX_PRIORITY as f64 => p as i64,
                _ => {
                    self.err(
                        format!("{path}.priority"),
                        format!("a whole number from -{MAX_PRIORITY} to {MAX_PRIORITY}"),
                    );
                    0
                }
            },
        };
        let holdout = match m.get("holdout") {
            None => 0.0,
            Some(h) => self.percent(&format!("{path}.holdout"), h).unwrap_or(0.0),
        };
        if self.errors.len() != before {
            return None;
        }
        Some(Campaign {
            id,
            trigger: trigger?,
            audience,
            action: action?,
            timing,
            priority,
            holdout,
        })
    }
}
