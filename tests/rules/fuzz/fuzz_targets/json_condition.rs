//! Any bytes as a GrowthBook-style condition (when they parse as JSON): strict and lenient compilation and
//! evaluation must never panic. The same document also serves as the attributes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wayline::core::json::{parse, Map, Value};
use wayline::core::rules::{compile_condition, compile_condition_lenient, evaluate, Snapshot};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(cond) = parse(text) else { return };
    let _ = compile_condition(&cond);
    let program = compile_condition_lenient(&cond);
    let mut groups = Map::new();
    groups.insert(
        "g",
        Value::Array(vec![Value::from("a"), Value::Number(1.0)]),
    );
    for attrs in [
        cond.clone(),
        parse(r#"{"a":1,"b":"x","c":[1,"a",null],"d":{"e":true}}"#).unwrap_or(Value::Null),
    ] {
        let snapshot = Snapshot {
            attributes: Some(attrs.as_object().cloned().unwrap_or_default()),
            saved_groups: groups.clone(),
            ..Snapshot::default()
        };
        let _ = evaluate(&program, &snapshot, 0);
    }
});
