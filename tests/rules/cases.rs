//! One data-driven case: compile the rule, then check the errors or the value.

use wayline::core::json::{Map, Value};
use wayline::core::rules::wire::{program_from_value, program_to_value};
use wayline::core::rules::{
    compile, compile_condition, compile_condition_lenient, evaluate, OwnedEvent, Program, Snapshot,
    Store, WithAggregates,
};

/// Every case runs on the program as the browser gets it from a compiled config: written to the wire format and
/// read back. The expected values were written for the compiler's own output, so a case passes only if the
/// round trip changes nothing that matters.
fn through_the_wire(p: Program) -> Result<Program, String> {
    let written = program_to_value(&p);
    let read = program_from_value(&written).ok_or("the compiled program does not read back")?;
    if program_to_value(&read) != written {
        return Err("the compiled program reads back differently".into());
    }
    Ok(read)
}

pub fn run(case: &Value) -> Result<(), String> {
    if let Some(condition) = case.get("condition") {
        return run_condition(case, condition);
    }
    let rule = case
        .get("rule")
        .and_then(Value::as_str)
        .ok_or("no `rule`")?;
    let compiled = compile(rule);
    if let Some(expected) = case.get("errors").and_then(Value::as_array) {
        let got = match &compiled {
            Ok(_) => Vec::new(),
            Err(errors) => errors
                .iter()
                .map(|d| (d.code.to_string(), d.line, d.column))
                .collect(),
        };
        let want: Vec<(String, usize, usize)> = expected
            .iter()
            .map(|e| {
                (
                    e.get("code")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    e.get("line").and_then(Value::as_f64).unwrap_or(1.0) as usize,
                    e.get("column").and_then(Value::as_f64).unwrap_or(0.0) as usize,
                )
            })
            .collect();
        if got != want {
            let rendered = match &compiled {
                Err(errors) => errors
                    .iter()
                    .map(|d| d.render(rule, "rule"))
                    .collect::<String>(),
                Ok(_) => format!("{rule} compiles"),
            };
            // A pattern JavaScript refuses (`javascript`: its SyntaxError's message) must be refused here too.
            let why = case
                .get("javascript")
                .and_then(Value::as_str)
                .map(|m| format!("\nJavaScript refuses it: {m}"))
                .unwrap_or_default();
            return Err(format!(
                "errors: want {want:?}, got {got:?}\n{rendered}{why}"
            ));
        }
        // A pattern JavaScript accepts may be refused only for a feature docs/rules.md lists as unsupported: the
        // case names the features it uses (`unsupported`), and the refusal must name one of them.
        if let (Some(features), Err(errors)) =
            (case.get("unsupported").and_then(Value::as_array), &compiled)
        {
            let features: Vec<&str> = features.iter().filter_map(Value::as_str).collect();
            for d in errors {
                if !d.message.contains("not supported")
                    || !features.iter().any(|f| d.message.contains(f))
                {
                    return Err(format!(
                        "JavaScript accepts the pattern; it may be refused for {features:?} only, not with {:?}",
                        d.message
                    ));
                }
            }
        }
        // An expected error may also name words its message must hold (`says`).
        if let Err(errors) = &compiled {
            for (e, d) in expected.iter().zip(errors) {
                if let Some(says) = e.get("says").and_then(Value::as_str) {
                    if !d.message.contains(says) {
                        return Err(format!("error {:?} does not say {says:?}", d.message));
                    }
                }
            }
        }
        return Ok(());
    }
    let mut program = through_the_wire(compiled.map_err(|e| {
        let rendered: String = e.iter().map(|d| d.render(rule, "rule")).collect();
        format!("does not compile:\n{rendered}")
    })?)?;
    let input = case.get("input").cloned().unwrap_or(Value::Null);
    let snapshot = Snapshot::from_value(&input);
    // Replay `events` (each at its numeric `timestamp`) into an aggregate store bound to the rule.
    let mut store = Store::new();
    store.bind(&mut program).map_err(|e| e.to_string())?;
    for e in case.get("events").and_then(Value::as_array).unwrap_or(&[]) {
        let event = OwnedEvent::from_value(e).ok_or("an event is not an object")?;
        let at = event
            .timestamp_ms
            .ok_or("an event has no numeric timestamp")?;
        store.ingest(&event.as_event(), at);
    }
    let full = WithAggregates {
        input: &snapshot,
        store: &store,
    };
    // `expect` at `now`, and/or `checks`: [{now, expect}] to see the value change as time passes.
    let mut checks: Vec<(i64, bool)> = Vec::new();
    if let Some(expect) = case.get("expect") {
        let now = case.get("now").and_then(Value::as_f64).unwrap_or(0.0) as i64;
        checks.push((now, expect.as_bool().ok_or("`expect` is not a boolean")?));
    }
    for c in case.get("checks").and_then(Value::as_array).unwrap_or(&[]) {
        let now = c
            .get("now")
            .and_then(Value::as_f64)
            .ok_or("a check has no `now`")? as i64;
        checks.push((
            now,
            c.get("expect")
                .and_then(Value::as_bool)
                .ok_or("a check has no `expect`")?,
        ));
    }
    let mut last_diags = Vec::new();
    for (now, want) in checks {
        let result = evaluate(&program, &full, now);
        if result.value != want {
            return Err(format!(
                "at {now}: expected {want}, got {} ({:?})",
                result.value, result.diagnostics
            ));
        }
        last_diags = result.diagnostics;
    }
    let want_diags: Vec<&str> = case
        .get("diagnostics")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let got_diags: Vec<&str> = last_diags.iter().map(|d| d.code).collect();
    if want_diags != got_diags {
        return Err(format!(
            "diagnostics: want {want_diags:?}, got {got_diags:?}"
        ));
    }
    Ok(())
}

/// A GrowthBook-style condition: `{condition, attributes, savedGroups?, expect}` evaluated as GrowthBook does,
/// or `{condition, errors: [code, ...]}` for what a config may not contain.
fn run_condition(case: &Value, condition: &Value) -> Result<(), String> {
    if let Some(codes) = case.get("errors").and_then(Value::as_array) {
        let want: Vec<&str> = codes.iter().filter_map(Value::as_str).collect();
        let got: Vec<&str> = match compile_condition(condition) {
            Ok(_) => Vec::new(),
            Err(e) => e.iter().map(|d| d.code).collect(),
        };
        return if want == got {
            Ok(())
        } else {
            Err(format!("errors: want {want:?}, got {got:?}"))
        };
    }
    let program = through_the_wire(compile_condition_lenient(condition))?;
    let snapshot = Snapshot {
        attributes: Some(
            case.get("attributes")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
        ),
        saved_groups: case
            .get("savedGroups")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_else(Map::new),
        ..Snapshot::default()
    };
    let want = case
        .get("expect")
        .and_then(Value::as_bool)
        .ok_or("no boolean `expect`")?;
    let got = evaluate(&program, &snapshot, 0).value;
    if got != want {
        return Err(format!("expected {want}, got {got}"));
    }
    Ok(())
}
