//! What a config defines (segments, journeys, their rules) and what goes wrong with it.

use crate::core::json::Value;
use crate::core::rules::{Diagnostic, RunDiagnostic};

/// A rule as written in the config: an expression, or a GrowthBook-style JSON condition over the traits.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    Text(String),
    Condition(Value),
}

impl Rule {
    /// The text diagnostics point into.
    pub fn source(&self) -> String {
        match self {
            Rule::Text(s) => s.clone(),
            Rule::Condition(v) => v.to_json(),
        }
    }
}

impl From<&str> for Rule {
    fn from(s: &str) -> Rule {
        Rule::Text(s.to_string())
    }
}

/// A named rule: a segment, or a journey stage.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentDef {
    pub name: String,
    pub rule: Rule,
}

/// A journey: stages in order, the furthest that holds is the visitor's stage.
#[derive(Debug, Clone, PartialEq)]
pub struct JourneyDef {
    pub name: String,
    pub stages: Vec<SegmentDef>,
}

/// A rule that did not build, with where it lives in the config (`segments.pro`, `journeys.lifecycle.trial`).
#[derive(Debug, Clone, PartialEq)]
pub struct EngineError {
    pub origin: String,
    pub source: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl EngineError {
    /// Every diagnostic, rendered with `file:origin` as its origin.
    pub fn render(&self, file: &str) -> String {
        let origin = format!("{file}:{}", self.origin);
        self.diagnostics
            .iter()
            .map(|d| d.render(&self.source, &origin))
            .collect()
    }
}

/// A run-time diagnostic of one rule, with what is needed to show it.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleDiagnostic {
    pub origin: String,
    pub source: String,
    pub diagnostic: RunDiagnostic,
}

impl RuleDiagnostic {
    /// `origin:line:col: message [code]`, the source line and a caret line.
    pub fn render(&self) -> String {
        let d = Diagnostic::new(
            &self.source,
            self.diagnostic.span,
            self.diagnostic.code,
            self.diagnostic.message,
        );
        d.render(&self.source, &self.origin)
    }
}
