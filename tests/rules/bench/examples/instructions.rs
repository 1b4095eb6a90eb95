//! Runs one rule-engine operation `N` times after its setup, for `bench/instructions.sh`, which runs this under
//! callgrind with `N` and with 0 and divides the difference: instructions per operation, a figure that does not
//! move when other work loads the machine (criterion's timings do, by tens of percent).
//!   instructions <rule|growthbook|ingest-demo|ingest-100|compile-demo> <N>

use std::hint::black_box;
use wayline::core::json::{parse, Value};
use wayline::core::rules::{compile, compile_condition, evaluate, OwnedEvent, Snapshot};
use wayline::core::segments::config::engine_from_config;

const DEMO_CONFIG: &str = include_str!("../demo-config.json");

/// The same event stream as the criterion benchmark: page views and shop events, five minutes apart.
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
                format!(
                    r#"{{"type":"page","properties":{{"path":"/pricing/{}"}},"context":{{"sessionId":{}}}}}"#,
                    i % 3,
                    i / 40
                )
            } else {
                format!(
                    r#"{{"event":"{name}","properties":{{"revenue":{}}},"context":{{"sessionId":{}}}}}"#,
                    i % 90,
                    i / 40
                )
            };
            (OwnedEvent::from_value(&parse(&json).unwrap()).unwrap(), i as i64 * 5 * 60_000)
        })
        .collect()
}

/// The criterion benchmark's hundred rules.
fn hundred_rules() -> Value {
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
    parse(&format!("{{\"segments\": {{{}}}}}", segs.join(","))).unwrap()
}

fn ingest(config: &Value, n: usize) {
    let history = 10_000;
    let evs = events(history + n.max(1));
    let mut engine = engine_from_config(config).unwrap();
    engine.advance(0);
    for (e, t) in &evs[..history] {
        engine.ingest(&e.as_event(), *t);
    }
    for (e, t) in &evs[history..history + n] {
        black_box(engine.ingest(&e.as_event(), *t));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(op), Some(n)) = (
        args.get(1),
        args.get(2).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: instructions <rule|growthbook|ingest-demo|ingest-100|compile-demo> <N>");
        std::process::exit(2);
    };
    let snap = Snapshot::from_value(
        &parse(r#"{"traits": {"country": "CA", "plan": "pro", "seats": 12, "email": "a@acme.io", "app": "2.3.0"}}"#)
            .unwrap(),
    );
    match op.as_str() {
        "rule" => {
            let rule = compile(
                r#"traits.country in ["US", "CA"] && traits.plan == "pro" && traits.seats >= 10 && traits.email ends_with "@acme.io" && traits.app >= v"2.1.0""#,
            )
            .unwrap();
            for _ in 0..n {
                black_box(evaluate(black_box(&rule), &snap, 0).value);
            }
        }
        "growthbook" => {
            let cond = compile_condition(
                &parse(r#"{"country": {"$in": ["US", "CA"]}, "plan": "pro", "seats": {"$gte": 10}, "email": {"$regex": "@acme\\.io$"}, "app": {"$vgte": "2.1.0"}}"#)
                    .unwrap(),
            )
            .unwrap();
            for _ in 0..n {
                black_box(evaluate(black_box(&cond), &snap, 0).value);
            }
        }
        "ingest-demo" => ingest(&parse(DEMO_CONFIG).unwrap(), n),
        "ingest-100" => ingest(&hundred_rules(), n),
        "compile-demo" => {
            let demo = parse(DEMO_CONFIG).unwrap();
            for _ in 0..n {
                black_box(engine_from_config(black_box(&demo)).unwrap());
            }
        }
        _ => {
            eprintln!("unknown operation {op}");
            std::process::exit(2);
        }
    }
}
