//! Rule engine costs: compile time of a demo-sized config, ingest cost per event at several history lengths
//! (it should not grow with history), and the cost of one 5-clause condition in both forms.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;
use wayline::core::json::{parse, Value};
use wayline::core::rules::{compile, compile_condition, evaluate, OwnedEvent, Snapshot};
use wayline::core::segments::config::engine_from_config;
use wayline::core::segments::Engine;

const DEMO_CONFIG: &str = include_str!("../demo-config.json");

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

fn compile_bench(c: &mut Criterion) {
    let demo = parse(DEMO_CONFIG).unwrap();
    c.bench_function("compile demo config", |b| {
        b.iter(|| engine_from_config(black_box(&demo)).unwrap())
    });
}

fn ingest_bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("ingest per event");
    for (label, config) in [
        ("demo config", parse(DEMO_CONFIG).unwrap()),
        ("100 rules", hundred_rules()),
    ] {
        for history in [1_000usize, 10_000, 100_000] {
            let evs = events(history + 5_000);
            let mut engine: Engine = engine_from_config(&config).unwrap();
            engine.advance(0);
            for (e, t) in &evs[..history] {
                engine.ingest(&e.as_event(), *t);
            }
            if label == "demo config" && history == 10_000 {
                eprintln!(
                    "persisted engine state after 10,000 events: {} bytes",
                    engine.to_value().to_json().len()
                );
            }
            let tail = &evs[history..];
            let mut i = 0;
            group.bench_with_input(BenchmarkId::new(label, history), &history, |b, _| {
                b.iter(|| {
                    // Time keeps moving forward: each event lands five minutes after the previous one.
                    let (e, t) = &tail[i % tail.len()];
                    let at = *t + (i / tail.len()) as i64 * tail.len() as i64 * 5 * 60_000;
                    i += 1;
                    black_box(engine.ingest(&e.as_event(), at))
                })
            });
        }
    }
    group.finish();
}

fn evaluate_bench(c: &mut Criterion) {
    let rule = compile(
        r#"traits.country in ["US", "CA"] && traits.plan == "pro" && traits.seats >= 10 && traits.email ends_with "@acme.io" && traits.app >= v"2.1.0""#,
    )
    .unwrap();
    let cond = compile_condition(
        &parse(r#"{"country": {"$in": ["US", "CA"]}, "plan": "pro", "seats": {"$gte": 10}, "email": {"$regex": "@acme\\.io$"}, "app": {"$vgte": "2.1.0"}}"#)
            .unwrap(),
    )
    .unwrap();
    let snap = Snapshot::from_value(
        &parse(r#"{"traits": {"country": "CA", "plan": "pro", "seats": 12, "email": "a@acme.io", "app": "2.3.0"}}"#)
            .unwrap(),
    );
    let mut group = c.benchmark_group("evaluate a 5-clause condition");
    group.bench_function("rule language", |b| {
        b.iter(|| evaluate(black_box(&rule), &snap, 0).value)
    });
    group.bench_function("GrowthBook JSON", |b| {
        b.iter(|| evaluate(black_box(&cond), &snap, 0).value)
    });
    group.finish();
}

criterion_group!(benches, compile_bench, ingest_bench, evaluate_bench);
criterion_main!(benches);
