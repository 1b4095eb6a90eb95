//! Rule engine costs: compile time of a demo-sized config, ingest cost per event at several history lengths
//! (it should not grow with history), and the cost of one 5-clause condition in both forms.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;
use wayline::core::json::parse;
use wayline::core::rules::{compile, compile_condition, evaluate};
use wayline::core::segments::config::engine_from_config;
use wayline::core::segments::Engine;

#[path = "../workload.rs"]
mod workload;
use workload::{events, hundred_rules, visitor, DEMO_CONFIG, FIVE_CLAUSES, FIVE_CLAUSES_JSON};

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
    let rule = compile(FIVE_CLAUSES).unwrap();
    let cond = compile_condition(&parse(FIVE_CLAUSES_JSON).unwrap()).unwrap();
    let snap = visitor();
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
