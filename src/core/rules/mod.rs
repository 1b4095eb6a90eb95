//! The rule language: segment, journey and audience rules, compiled once and evaluated on the device.
//!
//! Pipeline: [`lexer`] → [`parser`] (a syntax tree with a span on every node, [`ast`]) → [`check`] (names,
//! signatures, static types) → [`compile`] (a [`Program`]: resolved functions, compiled regexes, and the list
//! of behavioural aggregates the rule needs). The language is documented in `docs/rules.md`.

pub mod aggregate;
pub mod ast;
pub mod case;
pub mod check;
pub mod compile;
pub mod diagnostic;
pub mod eval;
pub mod functions;
pub mod growthbook;
pub mod hash;
pub mod input;
pub mod lexer;
pub mod limits;
pub mod parser;
pub mod program;
pub mod regex;
pub mod series;
pub mod spec;
pub mod store;
pub mod token;
pub mod types;
pub mod version;
pub mod wakeup;
pub mod wire;

pub use diagnostic::{line_col, Diagnostic, Span};
pub use eval::{evaluate, explain, Clause, Evaluation, RunDiagnostic};
pub use growthbook::{compile_condition, compile_condition_lenient};
pub use input::{Event, Fact, Input, OwnedEvent, Snapshot};
pub use program::Program;
pub use store::{Restored, StateError, Store, StoreError, WithAggregates};

/// Compiles one rule, reporting every error found (lexical, syntactic and static), in source order.
pub fn compile(source: &str) -> Result<Program, Vec<Diagnostic>> {
    if source.len() > limits::MAX_SOURCE_BYTES {
        return Err(vec![Diagnostic::new(
            source,
            Span::new(limits::MAX_SOURCE_BYTES, source.len()),
            "too-long",
            format!(
                "a rule is at most {} bytes; this one has {}",
                limits::MAX_SOURCE_BYTES,
                source.len()
            ),
        )]);
    }
    let (tokens, mut errors) = lexer::lex(source);
    let lexed = errors.len();
    let (ast, parse_errors) = parser::parse(source, &tokens);
    errors.extend(parse_errors);
    if errors.is_empty() {
        errors = check::check(source, &ast);
    } else {
        // Still run the checker on what parsed: an unknown function or a literal type clash next to a syntax
        // error is worth reporting. A complaint whose span encloses a syntax error, or ends where one is, is
        // usually its echo (`1 < x < 5` parses as `1 < (x < 5)`; in `count("A" >= 1` the missing `)` leaves
        // `"A" >= 1` as the event name), so those are left out.
        // Only a parser's error can end a complaint as its echo: a stray character the lexer skipped right after a
        // word (`traits.plan == pro@`) leaves that word's own error standing.
        let syntax: Vec<(usize, bool)> = errors
            .iter()
            .enumerate()
            .map(|(i, d)| (d.span.start, i >= lexed))
            .collect();
        errors.extend(check::check(source, &ast).into_iter().filter(|d| {
            d.code != "not-a-condition"
                && !syntax.iter().any(|&(at, parsed)| {
                    d.span.start <= at && (at < d.span.end || (parsed && at == d.span.end))
                })
        }));
    }
    if !errors.is_empty() {
        errors.sort_by_key(|d| d.span.start);
        errors.dedup_by(|a, b| a.span.start == b.span.start && a.code == b.code);
        return Err(errors);
    }
    compile::lower(source, &ast)
}

#[cfg(test)]
mod tests;
