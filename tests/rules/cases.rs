//! One data-driven case: compile the rule, then check the errors or the value.

use wayline::core::json::Value;
use wayline::core::rules::{compile, evaluate, Snapshot};

pub fn run(case: &Value) -> Result<(), String> {
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
                Ok(_) => "compiled".into(),
            };
            return Err(format!("errors: want {want:?}, got {got:?}\n{rendered}"));
        }
        return Ok(());
    }
    let program = compiled.map_err(|e| {
        let rendered: String = e.iter().map(|d| d.render(rule, "rule")).collect();
        format!("does not compile:\n{rendered}")
    })?;
    let Some(expect) = case.get("expect") else {
        return Ok(());
    };
    let input = case.get("input").cloned().unwrap_or(Value::Null);
    let now = case.get("now").and_then(Value::as_f64).unwrap_or(0.0) as i64;
    let snapshot = Snapshot::from_value(&input);
    let result = evaluate(&program, &snapshot, now);
    if Some(result.value) != expect.as_bool() {
        return Err(format!(
            "expected {}, got {} ({:?})",
            expect.to_json(),
            result.value,
            result.diagnostics
        ));
    }
    let want_diags: Vec<&str> = case
        .get("diagnostics")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let got_diags: Vec<&str> = result.diagnostics.iter().map(|d| d.code).collect();
    if want_diags != got_diags {
        return Err(format!(
            "diagnostics: want {want_diags:?}, got {got_diags:?}"
        ));
    }
    Ok(())
}
