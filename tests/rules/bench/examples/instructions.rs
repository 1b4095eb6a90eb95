//! Runs one rule-engine operation `N` times after its setup, for `bench/instructions.sh`, which runs this under
//! callgrind with `N` and with 0 and divides the difference: instructions per operation, a figure that does not
//! move when other work loads the machine (criterion's timings do, by tens of percent).
//!   instructions <rule|growthbook|ingest-demo|ingest-100|audience-demo|absorb-demo|queue-contexts|queue-bound|track-demo|track-plain|compile-demo> <N>

use std::hint::black_box;
use wayline::core::audience::{Audience, Kind};
use wayline::core::json::{parse, Value};
use wayline::core::rules::{compile, compile_condition, evaluate};
use wayline::core::segments::config::engine_from_config;

#[path = "../workload.rs"]
mod workload;
use workload::{
    events, hundred_rules, visitor, DEMO_CONFIG, DEMO_STORE_CONFIG, FIVE_CLAUSES, FIVE_CLAUSES_JSON,
};

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

/// The same events through the SDK's whole audience: segments, journeys and the demo store's campaigns (triggers,
/// caps, holdouts and their decisions), as the tracker feeds it.
fn ingest_audience(config: &Value, n: usize) {
    let history = 10_000;
    let evs = events(history + n.max(1));
    let mut audience = Audience::from_config(config).unwrap();
    let feed = |audience: &mut Audience, (e, t): &(wayline::core::rules::OwnedEvent, i64)| {
        let kind = if e.kind == "page" {
            Kind::Page
        } else {
            Kind::Track
        };
        black_box(audience.advance(*t, 0));
        black_box(audience.ingest(kind, &e.name, &e.properties, e.session_id, *t));
        black_box(audience.take_decisions());
    };
    for e in &evs[..history] {
        feed(&mut audience, e);
    }
    for e in &evs[history..history + n] {
        feed(&mut audience, e);
    }
}

/// Another tab's stored state taken in (`Audience::absorb_stored`): two tabs with the demo store's config have
/// each fed half of 10,000 events (alternately); the first one's written state, its JSON text as the storage event
/// gives it, is merged into the second's, which re-checks every rule. The cost a tab pays per write of another.
fn absorb_audience(config: &Value, n: usize) {
    let evs = events(10_000);
    let mut tabs = [
        Audience::from_config(config).unwrap(),
        Audience::from_config(config).unwrap(),
    ];
    for (i, (e, t)) in evs.iter().enumerate() {
        let kind = if e.kind == "page" {
            Kind::Page
        } else {
            Kind::Track
        };
        let tab = &mut tabs[i % 2];
        tab.advance(*t, 0);
        tab.ingest(kind, &e.name, &e.properties, e.session_id, *t);
        tab.take_decisions();
    }
    let end = evs.last().map_or(0, |(_, t)| *t);
    let [a, mut b] = tabs;
    let mut a = a;
    let written = a.take_state_write().unwrap();
    for _ in 0..n {
        black_box(b.absorb_stored(black_box(&written), (None, None, None), end));
    }
}

/// A message with a context of its own (analytics.js's `context` option on every call) pushed to a queue at its
/// bound of 10,000 such messages (offline: each push drops the oldest), then the stored log's changed parts written,
/// as the SDK's coalesced write does. Its cost should not grow with the number of contexts held.
fn queue_own_contexts(n: usize) {
    use wayline::core::queue::{Queue, QueueConfig};
    let message = |i: usize| {
        let head = format!(
            "{{\"type\":\"track\",\"event\":\"Viewed\",\"messageId\":\"m{i:08}\",\"properties\":{{}},\"context\":"
        );
        let context = format!(
            "{{\"ip\":\"10.0.{}.{}\",\"page\":{{\"path\":\"/p/{i}\"}}}}",
            i / 256 % 256,
            i % 256
        );
        (head, context)
    };
    let mut queue = Queue::new(QueueConfig::default());
    queue.set_paused(true);
    let held = QueueConfig::default().max_events;
    for i in 0..held {
        let (head, context) = message(i);
        queue.push_with_context(head, &context, i as i64);
    }
    while queue.next_dirty_part().is_some() {}
    for i in held..held + n {
        let (head, context) = message(i);
        queue.push_with_context(head, &context, i as i64);
        while let Some(part) = queue.next_dirty_part() {
            black_box(part);
        }
    }
}

/// An event pushed to a queue at its bound of 10,000 events, offline as `bench/track.mjs --offline` is: each push
/// drops the oldest one. Only the queue's part of `track` (the message is built before; the stored log is written
/// later, in a timer task). Run for at least 10,000 pushes, so that the clearing out of the dropped events' slots,
/// once they are a quarter of them, is counted in its share.
fn queue_bound(n: usize) {
    use wayline::core::queue::{Queue, QueueConfig};
    let head = |i: usize| {
        format!(
            "{{\"type\":\"track\",\"event\":\"Viewed\",\"messageId\":\"m{i:08}\",\"properties\":{{\"revenue\":42}},\"context\":"
        )
    };
    let mut queue = Queue::new(QueueConfig::default());
    queue.set_paused(true);
    queue.set_context(r#"{"page":{"path":"/"},"userAgent":"bench"}"#.into());
    let held = QueueConfig::default().max_events;
    for i in 0..held {
        queue.push(head(i), i as i64);
    }
    for i in held..held + n {
        queue.push(black_box(head(i)), i as i64);
    }
    black_box(queue.len());
}

/// `track` through the whole tracker with the demo store's config and 10,000 events of history, as
/// `bench/track.mjs --segments` calls it in the browser (its properties, a page view every tenth call of the
/// history, batches taken and accepted as they fall due): the core's part of a call's cost, without the browser.
/// Built without the `segments` feature (`track-plain`), it is the plain build's tracker, which has no rule engine
/// (the config is not installed): `bench/track.mjs` without `--segments`.
fn track_demo(n: usize) {
    use wayline::core::audience::Audience;
    use wayline::core::message::{Environment, Page};
    use wayline::core::queue::SendOutcome;
    use wayline::core::tracker::{Tracker, TrackerOptions};
    let props =
        r#"{"revenue":42,"currency":"EUR","items":[{"sku":"ridge-30","qty":1}],"coupon":null}"#;
    let page = Page {
        url: "https://shop.test/".into(),
        title: "Shop".into(),
        referrer: String::new(),
    };
    let mut t = Tracker::new(
        TrackerOptions::new("wk"),
        None,
        Environment::default(),
        page.clone(),
        [9; 32],
    );
    if cfg!(feature = "segments") {
        t.set_audience(
            Audience::boxed(&parse(DEMO_STORE_CONFIG).unwrap()).unwrap(),
            None,
            0,
        );
    }
    let mut now = 1_700_000_000_000;
    let mut call = |t: &mut Tracker, i: usize, name: &str| {
        now += 50;
        if name.is_empty() {
            t.set_page(page.clone(), now);
        } else {
            black_box(t.track(name, Some(props), now));
        }
        black_box(t.take_decisions());
        black_box(t.take_warnings());
        if let Some(batch) = t.take_due_batch(now) {
            black_box(batch);
            t.queue_mut().ack_in_flight(SendOutcome::Accepted, now, 0.5);
        }
        let _ = i;
    };
    for i in 0..10_000 {
        let name = if i % 10 == 0 {
            ""
        } else if i % 3 == 0 {
            "Order Completed"
        } else {
            "Product Added"
        };
        call(&mut t, i, name);
    }
    for i in 0..n {
        call(&mut t, i, "Benchmark Event");
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(op), Some(n)) = (
        args.get(1),
        args.get(2).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!(
            "usage: instructions <rule|growthbook|ingest-demo|ingest-100|audience-demo|absorb-demo|queue-contexts|queue-bound|track-demo|track-plain|compile-demo> <N>"
        );
        std::process::exit(2);
    };
    let snap = visitor();
    match op.as_str() {
        "rule" => {
            let rule = compile(FIVE_CLAUSES).unwrap();
            for _ in 0..n {
                black_box(evaluate(black_box(&rule), &snap, 0).value);
            }
        }
        "growthbook" => {
            let cond = compile_condition(&parse(FIVE_CLAUSES_JSON).unwrap()).unwrap();
            for _ in 0..n {
                black_box(evaluate(black_box(&cond), &snap, 0).value);
            }
        }
        "ingest-demo" => ingest(&parse(DEMO_CONFIG).unwrap(), n),
        "ingest-100" => ingest(&hundred_rules(), n),
        "audience-demo" => ingest_audience(&parse(DEMO_STORE_CONFIG).unwrap(), n),
        "absorb-demo" => absorb_audience(&parse(DEMO_STORE_CONFIG).unwrap(), n),
        "queue-contexts" => queue_own_contexts(n),
        "queue-bound" => queue_bound(n),
        "track-demo" | "track-plain" => {
            // Each case in the build it describes (bench/instructions.sh builds both).
            if cfg!(feature = "segments") != (op == "track-demo") {
                eprintln!(
                    "{op} needs the example built {} the segments feature",
                    if op == "track-demo" {
                        "with"
                    } else {
                        "without"
                    }
                );
                std::process::exit(2);
            }
            track_demo(n)
        }
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
