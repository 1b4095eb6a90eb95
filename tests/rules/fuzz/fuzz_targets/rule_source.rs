//! Any bytes as a rule: compiling must never panic, and a compiled rule must evaluate (against a snapshot and
//! through an engine with aggregates) without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wayline::core::json::parse;
use wayline::core::rules::{compile, evaluate, OwnedEvent, Snapshot, Store, WithAggregates};

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    match compile(src) {
        Ok(mut program) => {
            let input = parse(
                r#"{"traits":{"plan":"pro","n":3,"tags":["a","b"],"at":"2026-01-01T00:00:00Z"},
                    "page":{"path":"/pricing","search":"?utm_source=x"},"anonymousId":"a1",
                    "event":{"type":"track","event":"E","properties":{"x":2}}}"#,
            )
            .unwrap_or(wayline::core::json::Value::Null);
            let snapshot = Snapshot::from_value(&input);
            let _ = evaluate(&program, &snapshot, 1_700_000_000_000);
            let mut store = Store::new();
            if store.bind(&mut program).is_ok() {
                for (i, name) in ["E", "A", "Page Viewed", "E"].iter().enumerate() {
                    let json =
                        format!(r#"{{"event":"{name}","properties":{{"x":{i},"path":"/p"}}}}"#);
                    if let Some(e) = parse(&json).ok().as_ref().and_then(OwnedEvent::from_value) {
                        store.ingest(&e.as_event(), i as i64 * 3_600_000);
                    }
                }
                let full = WithAggregates {
                    input: &snapshot,
                    store: &store,
                };
                let _ = evaluate(&program, &full, 10 * 3_600_000);
                let _ = wayline::core::rules::wakeup::next_wakeup(
                    &program,
                    &full,
                    &store,
                    10 * 3_600_000,
                );
            }
        }
        Err(errors) => {
            for d in errors {
                let _ = d.render(src, "fuzz");
            }
        }
    }
});
