//! `wayline condition CONDITION ATTRIBUTES [SAVED_GROUPS]`: evaluates one GrowthBook-style JSON condition
//! against attributes, as the engine does in the browser, and prints `true` or `false`.
//!
//! The answer is the engine's own ([`wayline::core::segments::config::condition`]), with GrowthBook's run-time
//! semantics: an unknown operator or an unusable regex never matches, a `$or` of anything but a list always
//! holds. So that a typo does not pass for a plain answer, those parts are also reported as warnings that say
//! what the part does (from the strict compiler, which is what a config load uses).

use std::fmt;
use std::path::PathBuf;

use wayline::core::json::{self, Value};
use wayline::core::rules::compile_condition;
use wayline::core::segments::config;

use crate::check::{json_kind, read_text, ReadError};

/// One of the three arguments, as given: JSON text, or `@path` to read it from a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Argument {
    Condition,
    Attributes,
    SavedGroups,
}

impl Argument {
    fn name(self) -> &'static str {
        match self {
            Self::Condition => "condition",
            Self::Attributes => "attributes",
            Self::SavedGroups => "saved groups",
        }
    }
}

#[derive(Debug)]
pub enum ConditionError {
    /// An `@file` argument could not be read.
    Read(ReadError),
    /// An argument is not valid JSON, or not a JSON object.
    Malformed { argument: Argument, message: String },
}

impl ConditionError {
    /// 1 for a file that could not be read, 2 for a malformed argument.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Read(_) => 1,
            Self::Malformed { .. } => 2,
        }
    }
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read(err) => err.fmt(f),
            Self::Malformed { argument, message } => write!(f, "{}: {message}", argument.name()),
        }
    }
}

impl std::error::Error for ConditionError {}

/// The answer, and what in the condition was ignored on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub value: bool,
    /// Parts of the condition GrowthBook reads in its own way (unknown operators, bad regexes, `$in` or `$or`
    /// without a list, …), as `$.path: message`, the message saying what the part does.
    pub warnings: Vec<String>,
}

/// Evaluates the condition. Each argument is JSON text, or `@path` for a file holding it.
pub fn evaluate(
    condition: &str,
    attributes: &str,
    saved_groups: Option<&str>,
) -> Result<Verdict, ConditionError> {
    let (condition, parsed) = argument(condition, Argument::Condition)?;
    let (attributes, _) = argument(attributes, Argument::Attributes)?;
    let saved_groups = saved_groups
        .map(|text| argument(text, Argument::SavedGroups).map(|(text, _)| text))
        .transpose()?;
    let warnings = compile_condition(&parsed)
        .err()
        .unwrap_or_default()
        .into_iter()
        .map(|d| d.message)
        .collect();
    let value =
        config::condition(&condition, &attributes, saved_groups.as_deref()).map_err(|message| {
            ConditionError::Malformed {
                argument: Argument::Condition,
                message,
            }
        })?;
    Ok(Verdict { value, warnings })
}

/// The argument's JSON text (read from the file if it is `@path`) and its value, checked to be one JSON
/// object.
fn argument(given: &str, which: Argument) -> Result<(String, Value), ConditionError> {
    let text = match given.strip_prefix('@') {
        Some(path) => read_text(&PathBuf::from(path)).map_err(ConditionError::Read)?,
        None => given.to_owned(),
    };
    let malformed = |message: String| ConditionError::Malformed {
        argument: which,
        message,
    };
    match json::parse(&text) {
        Err(err) => Err(malformed(format!("not valid JSON: {err}"))),
        Ok(value @ Value::Object(_)) => Ok((text, value)),
        Ok(other) => Err(malformed(format!(
            "must be a JSON object, not {}",
            json_kind(&other)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn true_false_and_warnings() {
        let v = evaluate(
            r#"{"country": {"$in": ["US", "CA"]}}"#,
            r#"{"country": "CA"}"#,
            None,
        )
        .unwrap();
        assert_eq!(
            v,
            Verdict {
                value: true,
                warnings: vec![]
            }
        );
        let v = evaluate(
            r#"{"country": {"$inn": ["US"]}}"#,
            r#"{"country": "US"}"#,
            None,
        )
        .unwrap();
        assert!(!v.value);
        assert_eq!(v.warnings.len(), 1);
        assert!(
            v.warnings[0].starts_with("$.country.$inn: unknown operator"),
            "{v:?}"
        );
    }

    #[test]
    fn saved_groups() {
        let cond = r#"{"id": {"$inGroup": "beta"}}"#;
        let groups = r#"{"beta": ["u1", "u2"]}"#;
        assert!(
            evaluate(cond, r#"{"id": "u2"}"#, Some(groups))
                .unwrap()
                .value
        );
        assert!(
            !evaluate(cond, r#"{"id": "u3"}"#, Some(groups))
                .unwrap()
                .value
        );
    }

    #[test]
    fn malformed_arguments_say_which() {
        let err = evaluate("{", "{}", None).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string().starts_with("condition: not valid JSON"),
            "{err}"
        );
        let err = evaluate("{}", "[1]", None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "attributes: must be a JSON object, not an array"
        );
        let err = evaluate("{}", "{}", Some("\"x\"")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "saved groups: must be a JSON object, not a string"
        );
        let err = evaluate("@/nonexistent/wayline-cond.json", "{}", None).unwrap_err();
        assert_eq!(err.exit_code(), 1);
    }
}
