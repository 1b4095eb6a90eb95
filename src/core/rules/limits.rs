//! Every bound the rule engine enforces, in one place so that `docs/rules.md` and the tests can name them.
//!
//! Rules come from a config file that a site owner edits and the SDK downloads: a mistake (or a hostile config)
//! must produce an error, never a hang, a stack overflow or an unbounded profile.

/// Longest rule source, in bytes. Longer sources are rejected before lexing.
pub const MAX_SOURCE_BYTES: usize = 4096;

/// Deepest expression nesting (parentheses, operators, calls, lists). Bounds the parser's and the evaluator's
/// recursion, so a deeply nested rule is an error rather than a stack overflow.
pub const MAX_DEPTH: usize = 32;

/// Most items in one list literal.
pub const MAX_LIST_ITEMS: usize = 256;

/// Steps one evaluation may take (one per node visited, plus one per character a regex or string test reads).
/// Past it the rule evaluates to false with a `step-budget` diagnostic.
pub const MAX_STEPS: u32 = 100_000;

/// Longest regex pattern, in bytes.
pub const MAX_REGEX_BYTES: usize = 512;

/// Most instructions a compiled regex may hold (after `{m,n}` expansion). The matcher runs in
/// O(text length × instructions), so this bounds its cost per character.
pub const MAX_REGEX_INSTS: usize = 2048;

/// Largest repetition count in a regex `{m,n}`.
pub const MAX_REGEX_REPEAT: u32 = 256;

/// Most steps in a `sequence(...)`.
pub const MAX_SEQUENCE_STEPS: usize = 8;

/// Longest `within:` window (400 days).
pub const MAX_WINDOW_MS: i64 = 400 * 86_400_000;

/// Most rules (segments plus journey stages) one engine holds.
pub const MAX_RULES: usize = 512;

/// Most distinct aggregates (behavioural facts) one engine keeps state for.
pub const MAX_AGGREGATES: usize = 512;

/// Most bytes of persisted aggregate state, as measured by its JSON form. Past it the oldest buckets are
/// dropped first (see `docs/rules.md`).
pub const MAX_STATE_BYTES: usize = 48 * 1024;

/// Longest string value an aggregate stores (a `last(...).prop` value, a session id); longer ones are cut.
pub const MAX_STORED_STRING_BYTES: usize = 256;

/// Times are clamped to ±2^53 ms (±285,000 years) before any arithmetic, so a hostile timestamp cannot overflow
/// bucket or window computations.
pub const MAX_TIME_MS: i64 = 1 << 53;

/// Clamps a time into the supported range.
pub fn clamp_time(t: i64) -> i64 {
    t.clamp(-MAX_TIME_MS, MAX_TIME_MS)
}
