//! The compiled form of a rule: a tree of resolved operations, ready to evaluate without further lookups.
//! Regexes are compiled, function names resolved, paths split, versions pre-padded, and the behavioural facts
//! the rule needs are listed as aggregate specifications.

use super::diagnostic::Span;
use super::regex::Regex;
use std::rc::Rc;

use super::spec::AggSpec;

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
}

/// Where a path starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Root {
    Traits,
    Context,
    Page,
    Channel,
    /// The current event's name (`event.name`).
    EventName,
    /// The current event's type: track, page, identify (`event.type`).
    EventType,
    /// The current event's properties (`properties.x`, `event.properties.x`, or a bare name in `where:`).
    Properties,
    /// The current event's context (`event.context.x`, or `context.x` in `where:`).
    EventContext,
    /// GrowthBook attributes (conditions written as JSON).
    Attributes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// The operations on one child. Grouped under one variant, so that reading, visiting and dropping a tree have one
/// case for all of them (each case costs wasm in the browser build).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unary {
    Not,
    Exists,
    /// Time since an occurrence (or an epoch-milliseconds number), in milliseconds.
    TimeSince,
    /// The same, in days.
    DaysSince,
}

/// The operations on two children.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binary {
    In,
    Contains,
    StartsWith,
    EndsWith,
    Cmp(CmpOp),
    /// A comparison where one side is a version: both sides are compared in padded form.
    VersionCmp(CmpOp),
}

/// Nodes with any number of children.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Many {
    List,
    /// Every item holds (`&&`, short-circuit, in order).
    All,
    /// Some item holds (`||`, short-circuit, in order).
    Any,
}

/// Nodes whose payload is one string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    Str,
    /// A version literal, already in its comparable (padded) form.
    Version,
    /// `in_segment(name)`.
    Segment,
    /// `stage(journey)`.
    Stage,
    /// GrowthBook hash v2 of the visitor's id with this seed, as a number in [0, 100).
    Bucket,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Null,
    Bool(bool),
    Num(f64),
    Text(Text, String),
    Many(Many, Vec<Node>),
    Path(Root, Vec<String>),
    /// The value of aggregate `n` (a count, a sum, a time, a sequence's truth).
    Agg(usize),
    Unary(Unary, Box<Node>),
    Binary(Binary, Box<Node>, Box<Node>),
    Matches(Box<Node>, Regex),
    /// Whether the visitor's bucket for this seed falls under the percentage.
    InRollout(String, f64),
    /// A GrowthBook-style condition over the attributes, with GrowthBook's semantics, in its compiled-config form
    /// (`wire::cond_to_value`), which is what it is evaluated from.
    Condition(Box<crate::core::json::Value>),
}

/// What a rule reads, so the incremental engine knows when it must be re-evaluated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Deps {
    /// What else it reads, as bits ([`Deps::TRAITS`] and the others): the compiled config's `flags` as they are.
    pub flags: u8,
    pub segments: Vec<String>,
    pub journeys: Vec<String>,
}

impl Deps {
    pub const TRAITS: u8 = 1;
    pub const CONTEXT: u8 = 2;
    pub const EVENT: u8 = 4;
    /// Uses `time_since`/`days_since`: its truth can change with time alone.
    pub const CLOCK: u8 = 8;
    /// Uses `bucket`/`in_rollout`: reads the visitor's id.
    pub const IDENTITY: u8 = 16;
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Program {
    pub(crate) root: Node,
    /// The behavioural facts this rule reads, by local index (`NodeKind::Agg(i)`).
    /// Shared with the store a program is bound to: a filter is a whole rule tree, and copying it would cost
    /// time and, in the browser, the wasm of a deep clone.
    pub(crate) aggregates: Vec<Rc<AggSpec>>,
    /// Local aggregate index → slot in a shared store. The identity until the program is bound to a store.
    pub(crate) slots: Vec<usize>,
    pub(crate) deps: Deps,
    pub(crate) source: String,
}

impl Program {
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The behavioural facts this rule needs kept.
    pub fn aggregates(&self) -> &[Rc<AggSpec>] {
        &self.aggregates
    }

    pub fn deps(&self) -> &Deps {
        &self.deps
    }

    /// The compiled tree (for tools that explain a rule).
    pub fn root(&self) -> &Node {
        &self.root
    }

    /// The store slot that local aggregate `local` is bound to.
    pub fn slot(&self, local: usize) -> Option<usize> {
        self.slots.get(local).copied()
    }
}
