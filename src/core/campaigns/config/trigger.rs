//! A campaign's `trigger`: exactly one kind, with what it names checked against the config.

use super::Reader;
use crate::core::campaigns::limits::MAX_DURATION_MS;
use crate::core::campaigns::model::Trigger;
use crate::core::json::Value;

impl Reader<'_> {
    pub(super) fn trigger(&mut self, path: &str, v: &Value) -> Option<Trigger> {
        let m = self.object(path, v, "a trigger")?;
        let kinds = [
            "event",
            "segmentEnter",
            "segmentExit",
            "stage",
            "page",
            "exitIntent",
            "idle",
            "scroll",
            "engagedTime",
            "sessionStart",
        ];
        let present: Vec<&str> = kinds
            .iter()
            .copied()
            .filter(|k| m.get(k).is_some())
            .collect();
        let kind = match present.as_slice() {
            [k] => *k,
            _ => {
                // With none, a key near a kind is likely it, misspelt.
                let hint = match present.as_slice() {
                    [] => m
                        .iter()
                        .map(|(k, _)| super::did_you_mean(k, kinds.iter().copied()))
                        .find(|hint| !hint.is_empty())
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                self.err(
                    path,
                    format!("a trigger has exactly one of: {}{hint}", kinds.join(", ")),
                );
                return None;
            }
        };
        let mut allowed = vec![kind];
        match kind {
            "event" => allowed.push("where"),
            "stage" => allowed.push("journey"),
            _ => {}
        }
        self.unknown_keys(path, m, &allowed);
        let val = m.get(kind)?;
        let sub = format!("{path}.{kind}");
        let text = |r: &mut Self| -> Option<String> {
            match val.as_str() {
                Some(s) if !s.is_empty() => Some(s.to_string()),
                _ => {
                    r.err(&sub, "a non-empty string");
                    None
                }
            }
        };
        let flag = |r: &mut Self| -> bool {
            let ok = val.as_bool() == Some(true);
            if !ok {
                r.err(&sub, "write `true`");
            }
            ok
        };
        Some(match kind {
            "event" => {
                let name = text(self)?;
                let filter = match m.get("where") {
                    None => None,
                    Some(w) => Some(self.rule(&format!("{path}.where"), w, false)?),
                };
                Trigger::Event { name, filter }
            }
            "segmentEnter" | "segmentExit" => {
                let name = text(self)?;
                self.segment_ref(&sub, &name);
                if kind == "segmentEnter" {
                    Trigger::SegmentEnter(name)
                } else {
                    Trigger::SegmentExit(name)
                }
            }
            "stage" => {
                let stage = text(self)?;
                let Some(journey) = m.get("journey").and_then(Value::as_str) else {
                    self.err(
                        format!("{path}.journey"),
                        "a stage trigger names its \"journey\"",
                    );
                    return None;
                };
                self.stage_ref(&sub, journey, Some(&stage));
                Trigger::Stage {
                    journey: journey.to_string(),
                    stage,
                }
            }
            "page" => Trigger::Page(self.pattern(&sub, val)?),
            "exitIntent" => flag(self).then_some(Trigger::ExitIntent)?,
            "sessionStart" => flag(self).then_some(Trigger::SessionStart)?,
            "idle" => {
                let ms = self.duration(&sub, val, MAX_DURATION_MS)?;
                Trigger::Idle(self.above_zero(&sub, val, ms, "idleness", "duration")?)
            }
            "engagedTime" => {
                let ms = self.duration(&sub, val, MAX_DURATION_MS)?;
                Trigger::EngagedTime(self.above_zero(&sub, val, ms, "engaged time", "duration")?)
            }
            "scroll" => {
                let percent = self.percent(&sub, val)?;
                Trigger::Scroll(self.above_zero(
                    &sub,
                    val,
                    percent,
                    "the scroll depth",
                    "percentage",
                )?)
            }
            _ => return None,
        })
    }

    /// A threshold `t` (read from `v`), refused when it is 0: the measure starts there and a trigger fires when it
    /// crosses its threshold, so it would never fire.
    fn above_zero<T: Default + PartialEq>(
        &mut self,
        path: &str,
        v: &Value,
        t: T,
        measure: &str,
        kind: &str,
    ) -> Option<T> {
        if t == T::default() {
            self.err(
                path,
                format!(
                    "{} never triggers: {measure} starts there; use a {kind} above 0",
                    v.to_json()
                ),
            );
            return None;
        }
        Some(t)
    }
}
