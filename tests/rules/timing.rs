//! Cost figures (ignored by default; they print, they do not assert much):
//! `cargo test -p wayline --test rules timing -- --ignored --nocapture`.
//! Run on an unoptimised test build they overstate the shipped cost; compare them with each other.

use std::time::Instant;
use wayline::core::json::{parse, Value};
use wayline::core::rules::{compile, compile_condition, evaluate, OwnedEvent, Snapshot};
use wayline::core::segments::config::engine_from_config;

/// A demo-sized config: the kind of segments and journey a storefront would define.
pub const DEMO_CONFIG: &str = include_str!("bench/demo-config.json");

fn events(n: usize) -> Vec<(OwnedEvent, i64)> {
    let names = [
        "Page Viewed",
        "Product Viewed",
        "Added to Cart",
        "Checkout Started",
        "Order Completed",
    ];
    (0..n)
        .map(|i| {
            let name = names[i % 7 % names.len()];
            let json = if name == "Page Viewed" {
                format!(r#"{{"type":"page","properties":{{"path":"/pricing/{}"}},"context":{{"sessionId":{}}}}}"#, i % 3, i / 40)
            } else {
                format!(r#"{{"event":"{name}","properties":{{"revenue":{}}},"context":{{"sessionId":{}}}}}"#, i % 90, i / 40)
            };
            (OwnedEvent::from_value(&parse(&json).unwrap()).unwrap(), i as i64 * 5 * 60_000)
        })
        .collect()
}

fn hundred_rules() -> String {
    let mut segs = Vec::new();
    for i in 0..100 {
        let rule = match i % 5 {
            0 => format!(
                r#"count("Page Viewed", within: {}d) >= {}"#,
                1 + i % 30,
                1 + i % 4
            ),
            1 => format!(
                r#"sum("Order Completed", "revenue", within: {}d) > {}"#,
                1 + i % 60,
                i
            ),
            2 => format!(r#"days_since(last("E{}")) > {}"#, i % 10, i % 30),
            3 => format!(r#"sequence("Product Viewed", "E{}", within: 1h)"#, i % 10),
            _ => format!(
                r#"count("E{}", where: revenue > {}) > 0 && traits.plan == "pro""#,
                i % 10,
                i
            ),
        };
        segs.push(format!("\"s{i}\": {}", Value::String(rule).to_json()));
    }
    format!("{{\"segments\": {{{}}}}}", segs.join(","))
}

#[test]
#[ignore]
fn timing() {
    let demo = parse(DEMO_CONFIG).unwrap();
    let t = Instant::now();
    let reps = 200;
    for _ in 0..reps {
        engine_from_config(&demo).unwrap();
    }
    println!(
        "compile demo config ({} rules): {:.1} µs",
        13,
        t.elapsed().as_secs_f64() * 1e6 / reps as f64
    );

    for (label, config) in [
        ("demo config", demo.clone()),
        ("100 rules", parse(&hundred_rules()).unwrap()),
    ] {
        for history in [1_000usize, 10_000, 100_000] {
            let mut engine = engine_from_config(&config).unwrap();
            let evs = events(history + 2_000);
            engine.advance(0);
            for (e, t) in &evs[..history] {
                engine.ingest(&e.as_event(), *t);
            }
            let t = Instant::now();
            for (e, at) in &evs[history..] {
                engine.ingest(&e.as_event(), *at);
            }
            let per = t.elapsed().as_secs_f64() * 1e6 / 2_000.0;
            println!("ingest, {label}, after {history:>6} events: {per:.2} µs/event");
            if label == "demo config" && history == 10_000 {
                println!(
                    "persisted engine state after 10,000 events: {} bytes",
                    engine.to_value().to_json().len()
                );
            }
        }
    }

    let rule = compile(r#"traits.country in ["US", "CA"] && traits.plan == "pro" && traits.seats >= 10 && traits.email ends_with "@acme.io" && traits.app >= v"2.1.0""#).unwrap();
    let cond = compile_condition(
        &parse(r#"{"country": {"$in": ["US", "CA"]}, "plan": "pro", "seats": {"$gte": 10}, "email": {"$regex": "@acme\\.io$"}, "app": {"$vgte": "2.1.0"}}"#).unwrap(),
    )
    .unwrap();
    let snap = Snapshot::from_value(
        &parse(r#"{"traits": {"country": "CA", "plan": "pro", "seats": 12, "email": "a@acme.io", "app": "2.3.0"}}"#).unwrap(),
    );
    for (label, p) in [("rule language", &rule), ("GrowthBook JSON", &cond)] {
        assert!(evaluate(p, &snap, 0).value);
        let n = 100_000;
        let t = Instant::now();
        for _ in 0..n {
            std::hint::black_box(evaluate(p, &snap, 0));
        }
        println!(
            "evaluate a 5-clause condition ({label}): {:.0} ns",
            t.elapsed().as_secs_f64() * 1e9 / n as f64
        );
    }
}
