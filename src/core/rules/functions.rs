//! The built-in functions: their names, what they take and what they return. The checker validates calls
//! against this table; the compiler lowers them by `Func`.

use super::types::Ty;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Count,
    Sum,
    Min,
    Max,
    First,
    Last,
    TimeSince,
    DaysSince,
    Sequence,
    SessionCount,
    EngagedTime,
    InSegment,
    Stage,
    Bucket,
    InRollout,
    Version,
}

/// Every function, by name. Kept in one list so "unknown function" can suggest the nearest one.
pub const FUNCTIONS: [(&str, Func); 16] = [
    ("count", Func::Count),
    ("sum", Func::Sum),
    ("min", Func::Min),
    ("max", Func::Max),
    ("first", Func::First),
    ("last", Func::Last),
    ("time_since", Func::TimeSince),
    ("days_since", Func::DaysSince),
    ("sequence", Func::Sequence),
    ("session_count", Func::SessionCount),
    ("engaged_time", Func::EngagedTime),
    ("in_segment", Func::InSegment),
    ("stage", Func::Stage),
    ("bucket", Func::Bucket),
    ("in_rollout", Func::InRollout),
    ("version", Func::Version),
];

pub fn lookup(name: &str) -> Option<Func> {
    FUNCTIONS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// The closest known function name, for "did you mean" hints (edit distance at most 2).
pub fn suggest(name: &str) -> Option<&'static str> {
    closest(name, FUNCTIONS.iter().map(|(n, _)| *n))
}

/// The candidate a name was probably meant to be, for "did you mean" hints: the nearest within two edits, and
/// nearer than the name is long (so a short name does not read as any other short one).
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|&(d, _)| d <= 2 && d < name.chars().count())
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A positional parameter: its name (for messages), its type, and whether it must be a literal.
pub type Param = (&'static str, Ty, bool);

/// The shape of a call: positional parameters, optional named ones, and the result type.
pub struct Signature {
    /// Positional parameters: (name, type, must be a literal).
    pub positional: &'static [Param],
    /// `sequence` takes 2 to 8 steps instead of a fixed list.
    pub variadic: bool,
    pub named: &'static [&'static str],
    pub result: Ty,
}

pub fn signature(f: Func) -> Signature {
    const EVENT: Param = ("event name", Ty::Str, true);
    const PROP: Param = ("property name", Ty::Str, true);
    type Shape = (&'static [Param], bool, &'static [&'static str], Ty);
    let (positional, variadic, named, result): Shape = match f {
        Func::Count => (&[EVENT], false, &["where", "within"], Ty::Num),
        Func::Sum | Func::Min | Func::Max => (&[EVENT, PROP], false, &["where", "within"], Ty::Num),
        Func::First | Func::Last => (&[EVENT], false, &["where"], Ty::Occurrence),
        Func::TimeSince => (&[("time", Ty::Occurrence, false)], false, &[], Ty::Duration),
        Func::DaysSince => (&[("time", Ty::Occurrence, false)], false, &[], Ty::Num),
        Func::Sequence => (&[], true, &["within"], Ty::Bool),
        Func::SessionCount => (&[], false, &["within"], Ty::Num),
        Func::EngagedTime => (&[], false, &["within"], Ty::Duration),
        Func::InSegment => (&[("segment name", Ty::Str, true)], false, &[], Ty::Bool),
        Func::Stage => (&[("journey name", Ty::Str, true)], false, &[], Ty::Str),
        Func::Bucket => (&[("seed", Ty::Str, true)], false, &[], Ty::Num),
        Func::InRollout => (
            &[("seed", Ty::Str, true), ("percent", Ty::Num, true)],
            false,
            &[],
            Ty::Bool,
        ),
        Func::Version => (&[("version", Ty::Str, true)], false, &[], Ty::Version),
    };
    Signature {
        positional,
        variadic,
        named,
        result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_names() {
        assert_eq!(suggest("cout"), Some("count"));
        assert_eq!(suggest("days_snce"), Some("days_since"));
        assert_eq!(suggest("frobnicate"), None);
    }
}
