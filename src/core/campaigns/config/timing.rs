//! A campaign's `timing`: delay, cancel events, frequency, cooldown.

use super::Reader;
use crate::core::campaigns::limits::*;
use crate::core::campaigns::model::{Frequency, Timing};
use crate::core::json::Value;

impl Reader<'_> {
    pub(super) fn timing(&mut self, path: &str, v: &Value) -> Timing {
        let mut t = Timing::default();
        let Some(m) = self.object(path, v, "\"timing\"") else {
            return t;
        };
        self.unknown_keys(path, m, &["delay", "cancelOn", "frequency", "cooldown"]);
        if let Some(d) = m.get("delay") {
            t.delay_ms = self
                .duration(&format!("{path}.delay"), d, MAX_DELAY_MS)
                .unwrap_or(0);
        }
        if let Some(c) = m.get("cancelOn") {
            let cp = format!("{path}.cancelOn");
            match c.as_array() {
                Some(items) if items.len() <= MAX_CANCEL_EVENTS => {
                    for (i, item) in items.iter().enumerate() {
                        match item.as_str() {
                            Some(s) if !s.is_empty() => t.cancel_on.push(s.to_string()),
                            _ => self.err(format!("{cp}[{i}]"), "an event name"),
                        }
                    }
                }
                _ => self.err(
                    cp,
                    format!("a list of at most {MAX_CANCEL_EVENTS} event names"),
                ),
            }
        }
        if let Some(f) = m.get("frequency") {
            if let Some(f) = self.frequency(&format!("{path}.frequency"), f) {
                t.frequency = f;
            }
        }
        if let Some(c) = m.get("cooldown") {
            t.cooldown_ms = self.duration(&format!("{path}.cooldown"), c, MAX_DURATION_MS);
        }
        t
    }

    pub(super) fn frequency(&mut self, path: &str, v: &Value) -> Option<Frequency> {
        match v {
            Value::String(s) => match s.as_str() {
                "once" => Some(Frequency::Once),
                "untilAnswered" => Some(Frequency::UntilAnswered),
                "always" => Some(Frequency::Always),
                _ => {
                    self.err(
                        path,
                        format!("{s:?} is not a frequency: \"once\", \"untilAnswered\", \"always\" or {{\"max\": N, \"per\": \"30d\"}}"),
                    );
                    None
                }
            },
            Value::Object(m) => {
                self.unknown_keys(path, m, &["max", "per"]);
                let max = match m.get("max").and_then(Value::as_f64) {
                    Some(n) if n >= 1.0 && n.fract() == 0.0 && n <= MAX_SHOWS_KEPT as f64 => {
                        n as u32
                    }
                    _ => {
                        self.err(
                            format!("{path}.max"),
                            format!("a whole number from 1 to {MAX_SHOWS_KEPT}"),
                        );
                        return None;
                    }
                };
                let per_ms = match m.get("per") {
                    None => None,
                    Some(p) => Some(self.duration(&format!("{path}.per"), p, MAX_DURATION_MS)?),
                };
                Some(Frequency::Max { max, per_ms })
            }
            _ => {
                self.err(
                    path,
                    "a frequency is a string or {\"max\": N, \"per\": \"30d\"}",
                );
                None
            }
        }
    }
}
