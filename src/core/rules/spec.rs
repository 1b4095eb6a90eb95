//! Aggregate specifications: the behavioural facts that rules need kept, derived from the compiled rules.
//!
//! Two rules that ask the same thing (same function, event, filter and window) get specifications with the
//! same `key`, so the engine keeps one state for both, and the key names that state in the persisted profile.

use super::program::Node;
use super::series::Combine;

#[derive(Debug, Clone, PartialEq)]
pub enum AggKind {
    Count,
    /// The sum (`Combine::Sum`), minimum or maximum of the number at this property path. One variant for the
    /// three: they differ only in how values combine.
    Number(Combine, Vec<String>),
    /// Time of the first matching event.
    First,
    /// Time of the last matching event.
    Last,
    /// The value at this property path in the last matching event.
    LastValue(Vec<String>),
    /// Events in order, each within `within_ms` of the first. With `absent_last`, the second step must *not*
    /// follow the first within the window (abandonment).
    Sequence {
        steps: Vec<String>,
        absent_last: bool,
        within_ms: i64,
    },
    /// Number of distinct sessions seen.
    Sessions,
    /// Total engaged time reported by events, in milliseconds.
    Engaged,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AggSpec {
    pub kind: AggKind,
    /// The event name it watches (empty for sequences, sessions and engaged time, which watch several or all).
    pub event: String,
    /// Only events for which this holds are counted (evaluated on the event itself).
    pub filter: Option<Node>,
    /// The sliding window, or `None` for "ever".
    pub window_ms: Option<i64>,
    /// Canonical text identifying what is kept; equal keys share one state.
    pub key: String,
}

impl AggSpec {
    /// Whether an event with this name can change this aggregate (before its filter is applied).
    pub fn watches(&self, name: &str) -> bool {
        match &self.kind {
            AggKind::Sequence { steps, .. } => steps.iter().any(|s| s == name),
            AggKind::Sessions | AggKind::Engaged => true,
            _ => self.event == name,
        }
    }

    /// Whether this aggregate's value can change with time alone (a sliding window or an abandonment).
    pub fn time_dependent(&self) -> bool {
        self.window_ms.is_some()
            || matches!(
                self.kind,
                AggKind::Sequence {
                    absent_last: true,
                    ..
                }
            )
    }
}
