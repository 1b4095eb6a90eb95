//! A campaign's `action`: survey questions, reward details and theme colours, validated; the object itself
//! is kept as written for the prompt UI.

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
            _ => {
                self.err(
                    format!("{path}.type"),
                    "an action's \"type\" is survey, reward or custom",
                );
                return None;
            }
        };
        match kind {
            ActionKind::Survey => self.survey(path, m),
            ActionKind::Reward => self.reward(path, m),
            ActionKind::Custom => {}
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

    /// Colour keys (any key ending in `color`/`Color`, and the same under `dark`) must be colours.
    pub(super) fn theme(&mut self, path: &str, v: &Value) {
        let Some(m) = self.object(path, v, "a theme") else {
            return;
        };
        for (k, val) in m.iter() {
            let p = format!("{path}.{k}");
            if k == "dark" {
                self.theme(&p, val);
            } else if (k.ends_with("color") || k.ends_with("Color"))
                && !val.as_str().is_some_and(is_colour)
            {
                self.err(
                    p,
                    format!(
                        "{} is not a colour (#rgb, #rrggbb, rgb(...), hsl(...))",
                        val.to_json()
                    ),
                );
            }
        }
    }
}
