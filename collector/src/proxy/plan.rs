//! Fault plans: what the proxy does to ingest requests, set as JSON through `POST /__faults`,
//! and the counting that decides which requests a plan hits.

use std::fmt;

use serde_json::{json, Map, Value};

/// The longest delay a plan may ask for; longer would only look like a hung test.
const MAX_DELAY_MS: u64 = 600_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Everything is forwarded.
    None,
    /// Answer with this status without forwarding.
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    /// Reset the client connection before forwarding (nothing stored) or after the upstream
    /// answered (stored, but the client never hears it).
    Reset { after: bool },
    /// Hold the request this long, then forward it.
    Delay { ms: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub mode: Mode,
    /// Every `every`-th ingest request since the plan was set is hit (1: all of them).
    pub every: u64,
    /// At most this many requests are hit; then everything is forwarded.
    pub count: Option<u64>,
}

impl Default for Plan {
    fn default() -> Self {
        Self {
            mode: Mode::None,
            every: 1,
            count: None,
        }
    }
}

/// What to do with one ingest request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Forward,
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    ResetBefore,
    ResetAfter,
    Delay {
        ms: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError(pub String);

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PlanError {}

fn invalid(message: impl Into<String>) -> PlanError {
    PlanError(message.into())
}

impl Plan {
    /// Reads a plan, refusing unknown fields so that a typo in a test fails loudly instead
    /// of silently injecting nothing.
    pub fn from_json(body: &[u8]) -> Result<Self, PlanError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|err| invalid(format!("the plan is not JSON: {err}")))?;
        let Value::Object(fields) = value else {
            return Err(invalid("the plan must be a JSON object"));
        };
        let mode = fields
            .get("mode")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("`mode` must be one of none, status, reset, delay"))?;
        let (allowed, mode): (&[&str], Mode) = match mode {
            "none" => (&[], Mode::None),
            "status" => (
                &["status", "retryAfter"],
                Mode::Status {
                    status: match optional_integer(&fields, "status")? {
                        None => 500,
                        Some(status @ 200..=599) => status as u16,
                        Some(_) => return Err(invalid("`status` must be 200–599")),
                    },
                    retry_after: optional_integer(&fields, "retryAfter")?,
                },
            ),
            "reset" => (
                &["when"],
                Mode::Reset {
                    after: match fields.get("when").and_then(Value::as_str) {
                        Some("before") => false,
                        Some("after") => true,
                        _ => return Err(invalid("`when` must be \"before\" or \"after\"")),
                    },
                },
            ),
            "delay" => (
                &["ms"],
                Mode::Delay {
                    ms: optional_integer(&fields, "ms")?
                        .filter(|ms| *ms <= MAX_DELAY_MS)
                        .ok_or_else(|| {
                            invalid(format!("`ms` must be an integer 0–{MAX_DELAY_MS}"))
                        })?,
                },
            ),
            other => {
                return Err(invalid(format!(
                    "unknown mode {other:?}: use none, status, reset or delay"
                )))
            }
        };
        for name in fields.keys() {
            let common = ["mode", "every", "count"].contains(&name.as_str());
            if !common && !allowed.contains(&name.as_str()) {
                return Err(invalid(format!("unknown field `{name}` for this mode")));
            }
        }
        let every = match optional_integer(&fields, "every")? {
            None => 1,
            Some(0) => return Err(invalid("`every` must be at least 1")),
            Some(every) => every,
        };
        Ok(Self {
            mode,
            every,
            count: optional_integer(&fields, "count")?,
        })
    }

    /// The plan as JSON, in the shape [`Plan::from_json`] reads, defaults filled in.
    pub fn to_json(&self) -> Value {
        let mut value = match &self.mode {
            Mode::None => json!({"mode": "none"}),
            Mode::Status {
                status,
                retry_after,
            } => json!({"mode": "status", "status": status, "retryAfter": retry_after}),
            Mode::Reset { after } => {
                json!({"mode": "reset", "when": if *after { "after" } else { "before" }})
            }
            Mode::Delay { ms } => json!({"mode": "delay", "ms": ms}),
        };
        if self.mode != Mode::None {
            value["every"] = json!(self.every);
            value["count"] = json!(self.count);
        }
        value
    }
}

fn optional_integer(fields: &Map<String, Value>, name: &str) -> Result<Option<u64>, PlanError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .map(Some)
            .ok_or_else(|| invalid(format!("`{name}` must be a non-negative integer"))),
    }
}

/// The current plan with its counters, which restart whenever a plan is set so that
/// "every 2nd" means every 2nd request from the moment the test asked for it.
#[derive(Debug, Default)]
pub struct Faults {
    plan: Plan,
    seen: u64,
    hit: u64,
}

impl Faults {
    pub fn set(&mut self, plan: Plan) {
        *self = Self {
            plan,
            ..Self::default()
        };
    }

    /// Decides the fate of the next ingest request.
    pub fn decide(&mut self) -> Action {
        if self.plan.mode == Mode::None {
            return Action::Forward;
        }
        self.seen += 1;
        let due = self.seen % self.plan.every == 0;
        let left = self.plan.count.is_none_or(|count| self.hit < count);
        if !(due && left) {
            return Action::Forward;
        }
        self.hit += 1;
        match self.plan.mode {
            Mode::None => Action::Forward,
            Mode::Status {
                status,
                retry_after,
            } => Action::Status {
                status,
                retry_after,
            },
            Mode::Reset { after: false } => Action::ResetBefore,
            Mode::Reset { after: true } => Action::ResetAfter,
            Mode::Delay { ms } => Action::Delay { ms },
        }
    }

    /// The plan and how far it has got, for `GET /__faults`.
    pub fn to_json(&self) -> Value {
        json!({"plan": self.plan.to_json(), "seen": self.seen, "faulted": self.hit})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(text: &str) -> Result<Plan, PlanError> {
        Plan::from_json(text.as_bytes())
    }

    #[test]
    fn reads_every_mode_with_defaults() {
        assert_eq!(plan(r#"{"mode":"none"}"#).unwrap(), Plan::default());
        assert_eq!(
            plan(r#"{"mode":"status","status":429,"every":2,"retryAfter":2,"count":3}"#).unwrap(),
            Plan {
                mode: Mode::Status {
                    status: 429,
                    retry_after: Some(2)
                },
                every: 2,
                count: Some(3),
            }
        );
        assert_eq!(
            plan(r#"{"mode":"status"}"#).unwrap().mode,
            Mode::Status {
                status: 500,
                retry_after: None
            }
        );
        assert_eq!(
            plan(r#"{"mode":"reset","when":"after"}"#).unwrap().mode,
            Mode::Reset { after: true }
        );
        assert_eq!(
            plan(r#"{"mode":"delay","ms":3000,"every":3}"#).unwrap(),
            Plan {
                mode: Mode::Delay { ms: 3000 },
                every: 3,
                count: None
            }
        );
    }

    #[test]
    fn refuses_bad_plans() {
        for bad in [
            "",
            "[]",
            "{}",
            r#"{"mode":"chaos"}"#,
            r#"{"mode":"status","status":99}"#,
            r#"{"mode":"status","status":"500"}"#,
            r#"{"mode":"status","every":0}"#,
            r#"{"mode":"status","count":-1}"#,
            r#"{"mode":"status","when":"before"}"#,
            r#"{"mode":"reset"}"#,
            r#"{"mode":"reset","when":"during"}"#,
            r#"{"mode":"delay"}"#,
            r#"{"mode":"delay","ms":600001}"#,
            r#"{"mode":"none","every":2,"typo":1}"#,
        ] {
            assert!(plan(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn round_trips_through_json() {
        for text in [
            r#"{"mode":"status","status":503,"every":2,"retryAfter":1,"count":4}"#,
            r#"{"mode":"reset","when":"before","every":3}"#,
            r#"{"mode":"delay","ms":10}"#,
            r#"{"mode":"none"}"#,
        ] {
            let parsed = plan(text).unwrap();
            let again = Plan::from_json(parsed.to_json().to_string().as_bytes()).unwrap();
            assert_eq!(parsed, again);
        }
    }

    #[test]
    fn every_and_count_select_requests_from_the_plans_start() {
        let mut faults = Faults::default();
        assert_eq!(faults.decide(), Action::Forward);
        faults.set(plan(r#"{"mode":"reset","when":"before","every":2,"count":2}"#).unwrap());
        let actions: Vec<Action> = (0..7).map(|_| faults.decide()).collect();
        use Action::{Forward as F, ResetBefore as R};
        assert_eq!(actions, [F, R, F, R, F, F, F]);
        assert_eq!(faults.to_json()["seen"], 7);
        assert_eq!(faults.to_json()["faulted"], 2);

        faults.set(plan(r#"{"mode":"status","status":500,"every":1}"#).unwrap());
        assert!((0..5).all(|_| matches!(faults.decide(), Action::Status { status: 500, .. })));
    }
}
