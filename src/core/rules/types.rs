//! Static types. Paths into traits, context and events are `Any`: their type is only known at run time.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Bool,
    Num,
    Str,
    /// Milliseconds; kept apart from numbers so `time_since(x) > 30` (30 what?) is caught.
    Duration,
    Version,
    Null,
    List,
    /// The result of `first(...)`/`last(...)`: a time, and for `last` the event's property values.
    Occurrence,
    Any,
}

impl Ty {
    pub fn name(self) -> &'static str {
        match self {
            Ty::Bool => "a boolean",
            Ty::Num => "a number",
            Ty::Str => "a string",
            Ty::Duration => "a duration",
            Ty::Version => "a version",
            Ty::Null => "null",
            Ty::List => "a list",
            Ty::Occurrence => "an occurrence",
            Ty::Any => "a value",
        }
    }

    /// Whether a value of this type may be used where `want` is expected.
    pub fn fits(self, want: Ty) -> bool {
        self == want || self == Ty::Any || want == Ty::Any
    }
}
