//! Segments and journeys as the config file writes them, and the three things the `wayline` CLI does with
//! rules: check a config, replay events through it, and evaluate one GrowthBook-style condition.
//!
//! ```json
//! {
//!   "segments": {
//!     "pricing-interest": "count(\"Page Viewed\", where: path starts_with \"/pricing\", within: 7d) >= 3",
//!     "north-america": {"condition": {"country": {"$in": ["US", "CA"]}}}
//!   },
//!   "journeys": {
//!     "lifecycle": [
//!       {"stage": "awareness", "rule": "count(\"Page Viewed\") >= 1"},
//!       {"stage": "purchase", "rule": "count(\"Order Completed\") >= 1"}
//!     ]
//!   }
//! }
//! ```

use super::change::Change;
use super::defs::{EngineError, JourneyDef, Rule, SegmentDef};
use super::engine::Engine;
use crate::core::json::{parse, Value};
use crate::core::rules::{
    compile_condition_lenient, evaluate, Diagnostic, OwnedEvent, Snapshot, Span,
};

fn shape_error(origin: String, message: &str) -> EngineError {
    EngineError {
        origin,
        source: String::new(),
        diagnostics: vec![Diagnostic::new(
            "",
            Span::default(),
            "bad-config",
            message.to_string(),
        )],
    }
}

fn rule_of(v: &Value, origin: &str, errors: &mut Vec<EngineError>) -> Option<Rule> {
    match v {
        Value::String(s) => Some(Rule::Text(s.clone())),
        Value::Object(m) => match (m.get("rule"), m.get("condition")) {
            (Some(Value::String(s)), None) => Some(Rule::Text(s.clone())),
            (None, Some(c)) => Some(Rule::Condition(c.clone())),
            _ => {
                errors.push(shape_error(
                    origin.to_string(),
                    "give either \"rule\" (an expression) or \"condition\" (GrowthBook JSON)",
                ));
                None
            }
        },
        _ => {
            errors.push(shape_error(
                origin.to_string(),
                "a rule is a string, or an object with \"rule\" or \"condition\"",
            ));
            None
        }
    }
}

/// The definitions of a config that are well formed, and a shape error for each one that is not.
type Read = (Vec<SegmentDef>, Vec<JourneyDef>, Vec<EngineError>);

/// Reads the `segments` and `journeys` members of a config (both optional), reporting every shape error.
pub fn definitions(config: &Value) -> Result<(Vec<SegmentDef>, Vec<JourneyDef>), Vec<EngineError>> {
    let (segments, journeys, errors) = read_definitions(config);
    if errors.is_empty() {
        Ok((segments, journeys))
    } else {
        Err(errors)
    }
}

/// Like [`definitions`], but keeps the well-formed definitions next to the shape errors, so that their compile
/// errors can be reported in the same pass.
fn read_definitions(config: &Value) -> Read {
    let mut errors = Vec::new();
    if config.as_object().is_none() {
        errors.push(shape_error(
            String::new(),
            "a config is an object with \"segments\" and \"journeys\"",
        ));
        return (Vec::new(), Vec::new(), errors);
    }
    let mut segments = Vec::new();
    match config.get("segments") {
        None => {}
        Some(Value::Object(m)) => {
            for (name, v) in m.iter() {
                if let Some(rule) = rule_of(v, &format!("segments.{name}"), &mut errors) {
                    segments.push(SegmentDef {
                        name: name.to_string(),
                        rule,
                    });
                }
            }
        }
        Some(_) => errors.push(shape_error(
            "segments".into(),
            "\"segments\" is an object of name: rule",
        )),
    }
    let mut journeys = Vec::new();
    match config.get("journeys") {
        None => {}
        Some(Value::Object(m)) => {
            for (name, v) in m.iter() {
                let Some(stages) = v.as_array() else {
                    errors.push(shape_error(
                        format!("journeys.{name}"),
                        "a journey is a list of {\"stage\", \"rule\"} in order",
                    ));
                    continue;
                };
                let mut defs = Vec::new();
                for (i, st) in stages.iter().enumerate() {
                    let Some(stage) = st.get("stage").and_then(Value::as_str) else {
                        errors.push(shape_error(
                            format!("journeys.{name}[{i}]"),
                            "a stage needs a \"stage\" name",
                        ));
                        continue;
                    };
                    if let Some(rule) =
                        rule_of(st, &format!("journeys.{name}.{stage}"), &mut errors)
                    {
                        defs.push(SegmentDef {
                            name: stage.to_string(),
                            rule,
                        });
                    }
                }
                journeys.push(JourneyDef {
                    name: name.to_string(),
                    stages: defs,
                });
            }
        }
        Some(_) => errors.push(shape_error(
            "journeys".into(),
            "\"journeys\" is an object of name: [stages]",
        )),
    }
    (segments, journeys, errors)
}

/// Builds an engine from a config's `segments` and `journeys`; on failure, every shape and compile error.
pub fn engine_from_config(config: &Value) -> Result<Engine, Vec<EngineError>> {
    let (segments, journeys, mut errors) = read_definitions(config);
    match Engine::new(&segments, &journeys) {
        Ok(engine) if errors.is_empty() => Ok(engine),
        Ok(_) => Err(errors),
        Err(mut more) => {
            errors.append(&mut more);
            Err(errors)
        }
    }
}

/// `wayline check`: every error in the config's rules, rendered with `file:origin:line:col`, or `Ok` with the
/// number of rules checked.
pub fn check_config(config_text: &str, file: &str) -> Result<usize, String> {
    let config = parse(config_text).map_err(|e| format!("{file}: not valid JSON: {e}\n"))?;
    let (segments, journeys, _) = read_definitions(&config);
    let count = segments.len() + journeys.iter().map(|j| j.stages.len()).sum::<usize>();
    engine_from_config(&config).map_err(|e| render_all(&e, file))?;
    Ok(count)
}

fn render_all(errors: &[EngineError], file: &str) -> String {
    errors
        .iter()
        .map(|e| {
            if e.source.is_empty() {
                e.diagnostics
                    .iter()
                    .map(|d| format!("{file}:{}: {}\n", e.origin, d.message))
                    .collect()
            } else {
                e.render(file)
            }
        })
        .collect()
}

/// `wayline replay`: feeds events (one JSON message per line, each with a `timestamp`, epoch ms or ISO-8601)
/// through the config's segments and journeys, time advancing as the events say, then on to `until_ms` if
/// given. Returns the timeline, one change per line:
/// `2026-01-08T00:00:00.000Z segment-exit pricing-interest` or
/// `... stage lifecycle awareness -> consideration` (`-` for no stage).
pub fn replay(
    config_text: &str,
    events_jsonl: &str,
    until_ms: Option<i64>,
    file: &str,
) -> Result<String, String> {
    let config = parse(config_text).map_err(|e| format!("{file}: not valid JSON: {e}\n"))?;
    let mut engine = engine_from_config(&config).map_err(|e| render_all(&e, file))?;
    let mut out = String::new();
    let mut started = false;
    let mut now = i64::MIN;
    for (i, line) in events_jsonl.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v = parse(line).map_err(|e| format!("events line {}: not valid JSON: {e}\n", i + 1))?;
        let event = OwnedEvent::from_value(&v)
            .ok_or_else(|| format!("events line {}: not an object\n", i + 1))?;
        let at = event
            .timestamp_ms
            .ok_or_else(|| format!("events line {}: no timestamp\n", i + 1))?;
        if !started {
            started = true;
            write_changes(&engine.advance(at), &mut out);
        }
        now = now.max(at);
        write_changes(&engine.ingest(&event.as_event(), now), &mut out);
    }
    if let Some(until) = until_ms {
        write_changes(&engine.advance(until), &mut out);
    }
    Ok(out)
}

fn write_changes(changes: &[Change], out: &mut String) {
    for c in changes {
        crate::core::time::write_iso8601(c.at(), out);
        match c {
            Change::SegmentEnter { segment, .. } => {
                out.push_str(" segment-enter ");
                out.push_str(segment);
            }
            Change::SegmentExit { segment, .. } => {
                out.push_str(" segment-exit ");
                out.push_str(segment);
            }
            Change::Stage {
                journey, from, to, ..
            } => {
                out.push_str(" stage ");
                out.push_str(journey);
                out.push(' ');
                out.push_str(from.as_deref().unwrap_or("-"));
                out.push_str(" -> ");
                out.push_str(to.as_deref().unwrap_or("-"));
            }
        }
        out.push('\n');
    }
}

/// `wayline condition`: evaluates one GrowthBook-style condition against attributes (and saved groups), as
/// GrowthBook would.
pub fn condition(
    condition_json: &str,
    attributes_json: &str,
    saved_groups_json: Option<&str>,
) -> Result<bool, String> {
    let cond = parse(condition_json).map_err(|e| format!("condition: not valid JSON: {e}"))?;
    let attrs = parse(attributes_json).map_err(|e| format!("attributes: not valid JSON: {e}"))?;
    let groups = match saved_groups_json {
        Some(g) => parse(g).map_err(|e| format!("saved groups: not valid JSON: {e}"))?,
        None => Value::Null,
    };
    let program = compile_condition_lenient(&cond);
    let snapshot = Snapshot {
        attributes: Some(attrs.as_object().cloned().unwrap_or_default()),
        saved_groups: groups.as_object().cloned().unwrap_or_default(),
        ..Snapshot::default()
    };
    Ok(evaluate(&program, &snapshot, 0).value)
}

#[cfg(test)]
mod tests {
    /// A page's name and category are read where the stored message has them: in `properties` (as the SDK
    /// writes them) or only at the top level (as Segment's server libraries, and earlier SDKs, send them).
    #[test]
    fn replay_reads_a_pages_name_and_category_at_the_top_level_too() {
        let config = r#"{"segments": {"docs": "count(\"Page Viewed\", where: category == \"Docs\" && name == \"Intro\") >= 1"}}"#;
        for event in [
            r#"{"type": "page", "name": "Intro", "category": "Docs", "properties": {"path": "/d"}, "timestamp": "2026-11-25T10:00:00Z"}"#,
            r#"{"type": "page", "name": "Other", "category": "X", "properties": {"name": "Intro", "category": "Docs"}, "timestamp": "2026-11-25T10:00:00Z"}"#,
        ] {
            let timeline = super::replay(config, event, None, "config.json").unwrap();
            assert!(timeline.contains("docs"), "{event}: {timeline:?}");
        }
        let timeline = super::replay(
            config,
            r#"{"type": "page", "name": "Other", "timestamp": "2026-11-25T10:00:00Z"}"#,
            None,
            "config.json",
        )
        .unwrap();
        assert_eq!(timeline, "");
    }

    /// An unpaired surrogate escape in a rule's string (`"\ud800"`, which `JSON.parse` keeps) reads as U+FFFD, as
    /// one in the page's tracked text does (the SDK sends what `JSON.stringify` writes): so a rule written with
    /// the same half matches an event that has it, and not one with another half, which is U+FFFD too.
    #[test]
    fn an_unpaired_surrogate_in_a_rule_reads_as_in_tracked_text() {
        let config = r#"{"segments": {"half": "count(\"Cut\", where: properties.label == \"a\ud83d\") >= 1"}}"#;
        for (label, enters) in [
            (r"a\ud83d", true),
            (r"a\ude00", true),
            (r"a\ud83d\ude00", false),
        ] {
            let event = format!(
                r#"{{"type": "track", "event": "Cut", "properties": {{"label": "{label}"}}, "timestamp": "2026-11-25T10:00:00Z"}}"#
            );
            let timeline = super::replay(config, &event, None, "config.json").unwrap();
            assert_eq!(timeline.contains("half"), enters, "{label}: {timeline:?}");
        }
    }
}
