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

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    /// A version literal, already in its comparable (padded) form.
    Version(String),
    List(Vec<Node>),
    Path(Root, Vec<String>),
    /// The value of aggregate `n` (a count, a sum, a time, a sequence's truth).
    Agg(usize),
    Not(Box<Node>),
    /// Every item holds (`&&`, short-circuit, in order).
    All(Vec<Node>),
    /// Some item holds (`||`, short-circuit, in order).
    Any(Vec<Node>),
    Cmp(CmpOp, Box<Node>, Box<Node>),
    /// A comparison where one side is a version: both sides are compared in padded form.
    VersionCmp(CmpOp, Box<Node>, Box<Node>),
    In(Box<Node>, Box<Node>),
    Contains(Box<Node>, Box<Node>),
    StartsWith(Box<Node>, Box<Node>),
    EndsWith(Box<Node>, Box<Node>),
    Matches(Box<Node>, Regex),
    Exists(Box<Node>),
    /// Time since an occurrence (or an epoch-milliseconds number), in milliseconds or (when `true`) days.
    TimeSince(Box<Node>, bool),
    InSegment(String),
    Stage(String),
    /// GrowthBook hash v2 of the visitor's id with this seed, as a number in [0, 100).
    Bucket(String),
    /// Whether the visitor's bucket for this seed falls under the percentage.
    InRollout(String, f64),
    /// A GrowthBook-style condition over the attributes, with GrowthBook's semantics.
    Condition(Box<super::growthbook::Cond>),
}

/// What a rule reads, so the incremental engine knows when it must be re-evaluated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Deps {
    pub traits: bool,
    pub context: bool,
    pub event: bool,
    /// Uses `time_since`/`days_since`: its truth can change with time alone.
    pub clock: bool,
    /// Uses `bucket`/`in_rollout`: reads the visitor's id.
    pub identity: bool,
    pub segments: Vec<String>,
    pub journeys: Vec<String>,
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
