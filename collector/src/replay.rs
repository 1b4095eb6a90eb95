//! `wayline replay CONFIG EVENTS.jsonl [--until TIME] [--visitor ID]`: the timeline of segment entries and exits,
//! journey stage changes and campaign decisions that a visitor with these events would have had.
//!
//! The timeline is the engine's own ([`wayline::core::segments::config::replay`]): the same rules, compiled
//! and run by the same code as in the browser, with time taken from the events' timestamps. The config is
//! checked first exactly as `wayline check` checks it, so a config error reads the same in both commands,
//! and an error the replay then meets can only be in the events file.

use std::fmt;
use std::path::{Path, PathBuf};

use wayline::core::segments::config;

use crate::check::{check_file_text, read_config, read_text, CheckReport, ReadError};

#[derive(Debug)]
pub enum ReplayError {
    /// The config or the events file could not be read.
    Read(ReadError),
    /// The config has errors, all of them in the report.
    Config(CheckReport),
    /// An events line is not a JSON object with a usable `timestamp`; the message names the line.
    Events { path: PathBuf, message: String },
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read(err) => err.fmt(f),
            // The report ends with its own newline; the caller prints it as it is.
            Self::Config(report) => write!(f, "{}", report.to_string().trim_end()),
            Self::Events { path, message } => write!(f, "{}: {message}", path.display()),
        }
    }
}

impl std::error::Error for ReplayError {}

impl From<ReadError> for ReplayError {
    fn from(err: ReadError) -> Self {
        Self::Read(err)
    }
}

/// Replays the events file through the config; `until_ms` lets time run on after the last event, and `visitor`
/// keeps only one visitor's events (see [`one_visitor`]). Returns the timeline, one change per line (empty when
/// nothing changed).
pub fn replay_files(
    config_path: &Path,
    events_path: &Path,
    until_ms: Option<i64>,
    visitor: Option<&str>,
) -> Result<String, ReplayError> {
    let config = read_config(config_path)?;
    let file = config_path.display().to_string();
    let report = check_file_text(&config, &file);
    let config_text = config.text;
    if !report.is_ok() {
        return Err(ReplayError::Config(report));
    }
    let events = read_text(events_path)?;
    let events_error = |message: String| ReplayError::Events {
        path: events_path.to_owned(),
        message: message.trim_end().to_owned(),
    };
    let events = match visitor {
        Some(id) => one_visitor(&events, id)
            .ok_or_else(|| events_error(format!("no event has anonymousId or userId {id:?}")))?,
        None => events,
    };
    let changes = config::replay(&config_text, &events, until_ms, &file).map_err(events_error)?;
    let has_campaigns = wayline::core::json::parse(&config_text)
        .ok()
        .is_some_and(|c| c.get("campaigns").is_some());
    if !has_campaigns {
        return Ok(changes);
    }
    let decisions = wayline::core::campaigns::replay(&config_text, &events, until_ms, &file)
        .map_err(events_error)?;
    Ok(merge_by_time(&changes, &decisions))
}

/// One visitor's lines of a file of many visitors' events (what `wayline events` prints): those whose
/// `anonymousId` or `userId` is `id`, so a visitor who signed in part-way is followed across both. The other lines
/// become blank (skipped by the replay), so an error still names the line number of the file; a line that is not
/// JSON is kept for the replay to report. `None` when no line is the visitor's.
pub fn one_visitor(events: &str, id: &str) -> Option<String> {
    let mut out = String::with_capacity(events.len());
    let mut found = false;
    for line in events.lines() {
        let keep = match serde_json::from_str::<serde_json::Value>(line) {
            Ok(event) => {
                let is = |key: &str| event.get(key).and_then(serde_json::Value::as_str) == Some(id);
                let mine = is("anonymousId") || is("userId");
                found |= mine;
                mine
            }
            Err(_) => !line.trim().is_empty(),
        };
        if keep {
            out.push_str(line);
        }
        out.push('\n');
    }
    found.then_some(out)
}

/// Interleaves two timelines whose lines start with ISO-8601 UTC times (which sort as text); at the same instant
/// segment and stage changes come before the campaign decisions they cause.
fn merge_by_time(changes: &str, decisions: &str) -> String {
    let mut a = changes.lines().peekable();
    let mut b = decisions.lines().peekable();
    let mut out = String::with_capacity(changes.len() + decisions.len());
    loop {
        let take_a = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => time_of(x) <= time_of(y),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let line = if take_a { a.next() } else { b.next() };
        if let Some(line) = line {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn time_of(line: &str) -> &str {
    line.split(' ').next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_visitor_keeps_their_lines_by_either_id_and_the_line_numbers() {
        let events = concat!(
            r#"{"anonymousId":"a","event":"x"}"#,
            "\n",
            r#"{"anonymousId":"b","event":"y"}"#,
            "\n",
            "\n",
            r#"{"anonymousId":"c","userId":"a","event":"z"}"#,
            "\n",
            "not json\n",
        );
        assert_eq!(
            one_visitor(events, "a").unwrap(),
            concat!(
                r#"{"anonymousId":"a","event":"x"}"#,
                "\n\n\n",
                r#"{"anonymousId":"c","userId":"a","event":"z"}"#,
                "\n",
                "not json\n",
            )
        );
        assert_eq!(one_visitor(events, "b").unwrap().lines().count(), 5);
        assert_eq!(one_visitor(events, "nobody"), None);
    }

    #[test]
    fn timelines_merge_by_time_changes_first() {
        let changes =
            "2026-01-01T00:00:00.000Z segment-enter a\n2026-01-02T00:00:00.000Z segment-exit a\n";
        let decisions =
            "2026-01-01T00:00:00.000Z show nps\n2026-01-01T12:00:00.000Z skipped nps: capped\n";
        assert_eq!(
            merge_by_time(changes, decisions),
            "2026-01-01T00:00:00.000Z segment-enter a\n2026-01-01T00:00:00.000Z show nps\n\
             2026-01-01T12:00:00.000Z skipped nps: capped\n2026-01-02T00:00:00.000Z segment-exit a\n"
        );
    }

    #[test]
    fn config_errors_come_before_reading_events() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("c.json");
        std::fs::write(&config, r#"{"segments": {"a": "cout(\"A\") > 1"}}"#).unwrap();
        let err = replay_files(&config, &dir.path().join("missing.jsonl"), None, None).unwrap_err();
        assert!(
            matches!(err, ReplayError::Config(ref r) if r.errors == 1),
            "{err}"
        );
    }

    #[test]
    fn events_errors_name_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("c.json");
        let events = dir.path().join("e.jsonl");
        std::fs::write(&config, r#"{"segments": {"a": "count(\"A\") >= 1"}}"#).unwrap();
        std::fs::write(
            &events,
            "{\"event\": \"A\", \"timestamp\": \"2026-01-01T00:00:00Z\"}\n{\"event\": \"A\"}\n",
        )
        .unwrap();
        let err = replay_files(&config, &events, None, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}: events line 2: no timestamp", events.display())
        );
    }
}
