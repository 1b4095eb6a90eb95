//! `wayline loadgen` against a real collector on a socket: its numbers add up to what was
//! stored, also when a fault-injecting proxy sits in between.

mod common;
mod tooling;

use std::collections::HashSet;

use common::Harness;
use serde_json::json;
use tooling::{serve_collector, start_proxy};
use wayline_collector::count;
use wayline_collector::loadgen::{self, LoadgenOptions};

fn options(address: &str, events: usize, batch: usize, concurrency: usize) -> LoadgenOptions {
    LoadgenOptions {
        events,
        batch,
        concurrency,
        ..LoadgenOptions::new(format!("http://{address}"))
    }
}

#[test]
fn every_event_sent_is_stored_exactly_once() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let harness = Harness::new();
    let collector = serve_collector(&runtime, &harness);

    let report = runtime
        .block_on(loadgen::run(options(&collector, 2_000, 50, 4)))
        .unwrap();
    let tally = &report.tally;
    assert_eq!(tally.events_sent, 2_000);
    assert_eq!(tally.requests, 40);
    assert_eq!(tally.latencies_us.len(), 40);
    assert_eq!((tally.non_2xx, tally.failed), (0, 0));
    assert_eq!(
        (tally.accepted, tally.duplicates, tally.rejected),
        (2_000, 0, 0)
    );
    assert!(report.lossless(), "{report}");
    assert!(report.events_per_second() > 0.0);
    assert!(report.latency_ms(50.0) <= report.latency_ms(99.0));
    assert!(report.latency_ms(99.0) <= report.latency_ms(100.0));

    assert_eq!(count::stored_events(&harness.db).unwrap(), 2_000);
    let events = harness.events();
    let ids: HashSet<&str> = events
        .iter()
        .map(|event| event["messageId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2_000);
    let sample = &events[0];
    assert_eq!(sample["type"], "track");
    assert!(sample["context"]["userAgent"].is_string());

    // A second run uses fresh message ids: nothing is a duplicate of the first run.
    let again = runtime
        .block_on(loadgen::run(options(&collector, 101, 50, 2)))
        .unwrap();
    assert_eq!(again.tally.requests, 3);
    assert_eq!(again.tally.accepted, 101);
    assert_eq!(count::stored_events(&harness.db).unwrap(), 2_101);
}

#[test]
fn through_a_faulting_proxy_the_figures_show_the_loss() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let harness = Harness::new();
    let collector = serve_collector(&runtime, &harness);
    let proxy = start_proxy(&runtime, collector);
    let plan = tooling::exchange(
        &proxy,
        "POST",
        "/__faults",
        &[],
        json!({"mode": "status", "status": 500, "every": 2})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(plan.status, 200);

    // One connection: the proxy closes after each answer and the client reconnects.
    let report = runtime
        .block_on(loadgen::run(options(&proxy, 200, 10, 1)))
        .unwrap();
    let tally = &report.tally;
    assert_eq!(tally.requests, 20);
    assert_eq!(tally.non_2xx, 10);
    assert_eq!(tally.failed, 0);
    assert_eq!(tally.accepted, 100);
    assert!(!report.lossless());
    assert_eq!(count::stored_events(&harness.db).unwrap(), 100);
}

#[test]
fn a_collector_that_is_not_up_fails_the_run_before_it_starts() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let result = runtime.block_on(loadgen::run(options(&closed, 10, 5, 1)));
    assert!(matches!(result, Err(loadgen::LoadgenError::Connect { .. })));
}
