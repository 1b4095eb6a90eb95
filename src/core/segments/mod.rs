//! Segments and journeys, kept current incrementally.
//!
//! A segment is a named rule; a journey is an ordered list of stages, each a rule, and a visitor's stage is
//! the furthest one whose rule holds. The [`Engine`] owns the aggregate store for all of them and answers in
//! real time: an event re-evaluates only the rules it can affect, and rules that change with time alone are
//! re-checked exactly when they can change ([`Engine::next_wakeup`]), so the SDK needs one timer, not a poll.

mod build;
mod change;
pub mod config;
mod defs;
mod engine;
mod facts;

pub use build::Rules;
pub use change::Change;
pub use defs::{EngineError, JourneyDef, Rule, RuleDiagnostic, SegmentDef};
pub use engine::{Engine, NewFacts};

#[cfg(test)]
mod tests;
