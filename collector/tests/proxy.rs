//! `wayline proxy` in front of a real collector: each fault plan checked with plain HTTP
//! requests against what the collector actually stored.

mod common;
mod tooling;

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tooling::{batch, exchange, post_batch, start_proxy, Stack};

const ORIGIN: &str = "http://127.0.0.1:5555";

fn outcomes(log: &[Value]) -> Vec<&str> {
    log.iter()
        .map(|entry| entry["outcome"].as_str().unwrap())
        .collect()
}

fn assert_reset(result: std::io::Result<tooling::Reply>) {
    match result {
        Err(err) => assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}"),
        Ok(reply) => panic!("expected a reset, got {} {}", reply.status, reply.body),
    }
}

#[test]
fn forwards_everything_and_closes_each_connection() {
    let stack = Stack::start();
    let reply = post_batch(&stack.proxy, &batch("f", 3), Some(ORIGIN)).unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["accepted"], 3);
    assert_eq!(reply.header("connection"), Some("close"));
    // The collector's own CORS headers come through unchanged.
    assert_eq!(reply.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(stack.stored(), 3);

    let log = stack.log();
    assert_eq!(log.len(), 1);
    let entry = &log[0];
    assert_eq!(entry["path"], "/v1/batch");
    assert_eq!(entry["method"], "POST");
    assert_eq!(entry["outcome"], "forwarded");
    assert_eq!(entry["upstream_status"], 200);
    assert_eq!(entry["bytes"], batch("f", 3).len());
    assert!(entry["at_ms"].as_u64().unwrap() > 1_700_000_000_000);
}

#[test]
fn pages_sdk_health_and_preflights_are_never_faulted() {
    let stack = Stack::start();
    stack.plan(json!({"mode": "status", "status": 500}));

    let page = exchange(&stack.proxy, "GET", "/pricing", &[], b"").unwrap();
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<title>pricing</title>"));
    assert!(page
        .header("content-security-policy")
        .unwrap()
        .contains("connect-src 'self'"));
    let sdk = exchange(&stack.proxy, "GET", "/sdk/wayline.js", &[], b"").unwrap();
    assert_eq!(sdk.status, 200);
    assert_eq!(sdk.body, "export {};\n");
    let health = exchange(&stack.proxy, "GET", "/health", &[], b"").unwrap();
    assert_eq!(
        (health.status, health.body.as_str()),
        (200, r#"{"ok":true}"#)
    );

    let preflight = exchange(
        &stack.proxy,
        "OPTIONS",
        "/v1/batch",
        &[
            ("Origin", ORIGIN),
            ("Access-Control-Request-Method", "POST"),
        ],
        b"",
    )
    .unwrap();
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some(ORIGIN)
    );

    // Only the preflight is in the log (it is an ingest path), forwarded; the plan has not
    // counted it.
    assert_eq!(outcomes(&stack.log()), ["forwarded"]);
    let faults = exchange(&stack.proxy, "GET", "/__faults", &[], b"").unwrap();
    assert_eq!(faults.json()["seen"], 0);
}

#[test]
fn status_plan_answers_every_nth_request_without_storing_it() {
    let stack = Stack::start();
    let plan = stack.plan(json!({"mode": "status", "status": 500, "every": 2, "retryAfter": 2}));
    assert_eq!(
        plan["plan"],
        json!({"mode": "status", "status": 500, "every": 2, "retryAfter": 2, "count": null})
    );

    let mut statuses = Vec::new();
    for i in 0..4 {
        let reply = post_batch(&stack.proxy, &batch(&format!("s{i}"), 2), Some(ORIGIN)).unwrap();
        if reply.status == 500 {
            assert_eq!(reply.header("retry-after"), Some("2"));
            assert_eq!(reply.header("access-control-allow-origin"), Some(ORIGIN));
            assert_eq!(
                reply.header("access-control-expose-headers"),
                Some("Retry-After")
            );
            assert_eq!(reply.header("content-type"), Some("application/json"));
            assert_eq!(reply.json()["error"]["code"], "injected_fault");
        }
        statuses.push(reply.status);
    }
    assert_eq!(statuses, [200, 500, 200, 500]);

    // Only the forwarded requests (s0, s2) were stored.
    let ids: Vec<String> = stack
        .harness
        .events()
        .iter()
        .map(|event| event["messageId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["s0-0", "s0-1", "s2-0", "s2-1"]);

    let log = stack.log();
    assert_eq!(
        outcomes(&log),
        ["forwarded", "status:500", "forwarded", "status:500"]
    );
    assert_eq!(log[1]["upstream_status"], Value::Null);
    assert_eq!(log[2]["upstream_status"], 200);
}

#[test]
fn count_limits_the_faults_then_everything_is_forwarded() {
    let stack = Stack::start();
    stack.plan(json!({"mode": "status", "status": 429, "every": 1, "count": 2}));
    let statuses: Vec<u16> = (0..4)
        .map(|i| {
            post_batch(&stack.proxy, &batch(&format!("c{i}"), 1), None)
                .unwrap()
                .status
        })
        .collect();
    assert_eq!(statuses, [429, 429, 200, 200]);
    assert_eq!(stack.stored(), 2);
    let faults = exchange(&stack.proxy, "GET", "/__faults", &[], b"").unwrap();
    assert_eq!(faults.json()["seen"], 4);
    assert_eq!(faults.json()["faulted"], 2);

    // Without an Origin, a fault carries no CORS grant and no Retry-After unless asked.
    stack.plan(json!({"mode": "status", "status": 503}));
    let reply = post_batch(&stack.proxy, &batch("c9", 1), None).unwrap();
    assert_eq!(reply.status, 503);
    assert_eq!(reply.header("access-control-allow-origin"), None);
    assert_eq!(reply.header("retry-after"), None);
}

#[test]
fn reset_before_stores_nothing_and_the_client_sees_a_reset() {
    let stack = Stack::start();
    stack.plan(json!({"mode": "reset", "when": "before"}));
    let body = batch("rb", 5);
    assert_reset(post_batch(&stack.proxy, &body, Some(ORIGIN)));
    assert_eq!(stack.stored(), 0);

    let log = stack.log();
    assert_eq!(outcomes(&log), ["reset-before"]);
    assert_eq!(log[0]["upstream_status"], Value::Null);
    assert_eq!(log[0]["bytes"], body.len());

    // The client's retry goes through once the fault is lifted.
    stack.plan(json!({"mode": "none"}));
    let reply = post_batch(&stack.proxy, &body, Some(ORIGIN)).unwrap();
    assert_eq!(reply.json()["accepted"], 5);
    assert_eq!(stack.stored(), 5);
}

#[test]
fn reset_after_stores_the_events_but_the_client_never_hears_it() {
    let stack = Stack::start();
    stack.plan(json!({"mode": "reset", "when": "after", "every": 1, "count": 1}));
    let body = batch("ra", 4);
    assert_reset(post_batch(&stack.proxy, &body, Some(ORIGIN)));
    // Stored before the reset: the proxy waited for the collector's committed answer.
    assert_eq!(stack.stored(), 4);
    let log = stack.log();
    assert_eq!(outcomes(&log), ["reset-after"]);
    assert_eq!(log[0]["upstream_status"], 200);

    // The client retries the same batch: dedupe keeps one copy of each event.
    let reply = post_batch(&stack.proxy, &body, Some(ORIGIN)).unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["duplicates"], 4);
    assert_eq!(stack.stored(), 4);
}

#[test]
fn delay_holds_the_request_then_forwards_it() {
    let stack = Stack::start();
    stack.plan(json!({"mode": "delay", "ms": 400, "every": 2}));
    let started = Instant::now();
    let first = post_batch(&stack.proxy, &batch("d0", 1), None).unwrap();
    let fast = started.elapsed();
    let second = post_batch(&stack.proxy, &batch("d1", 1), None).unwrap();
    let slow = started.elapsed() - fast;
    assert_eq!((first.status, second.status), (200, 200));
    assert!(slow >= Duration::from_millis(400), "{slow:?}");
    assert_eq!(stack.stored(), 2);
    let log = stack.log();
    assert_eq!(outcomes(&log), ["forwarded", "delayed"]);
    assert_eq!(log[1]["upstream_status"], 200);
}

#[test]
fn the_log_can_be_cleared_and_bad_plans_are_refused() {
    let stack = Stack::start();
    post_batch(&stack.proxy, &batch("l", 1), None).unwrap();
    assert_eq!(stack.log().len(), 1);
    let cleared = exchange(&stack.proxy, "DELETE", "/__faults/log", &[], b"").unwrap();
    assert_eq!(cleared.status, 200);
    assert!(stack.log().is_empty());

    for bad in [
        r#"{"mode":"status","every":0}"#,
        r#"{"mode":"reset"}"#,
        r#"{"mode":"explode"}"#,
        r#"{"mode":"delay","ms":10,"typo":true}"#,
        "not json",
    ] {
        let reply = exchange(&stack.proxy, "POST", "/__faults", &[], bad.as_bytes()).unwrap();
        assert_eq!(reply.status, 400, "{bad}");
        assert_eq!(reply.json()["error"]["code"], "invalid_plan");
    }
    // A refused plan leaves the previous one in force.
    let faults = exchange(&stack.proxy, "GET", "/__faults", &[], b"").unwrap();
    assert_eq!(faults.json()["plan"], json!({"mode": "none"}));

    let wrong = exchange(&stack.proxy, "PUT", "/__faults", &[], b"{}").unwrap();
    assert_eq!(wrong.status, 405);
    let missing = exchange(&stack.proxy, "GET", "/__faults/nope", &[], b"").unwrap();
    assert_eq!(missing.status, 404);
    // Control requests are not ingest requests.
    assert!(stack.log().is_empty());
}

#[test]
fn chunked_bodies_are_refused_and_expect_continue_is_honoured() {
    let stack = Stack::start();
    let chunked = exchange(
        &stack.proxy,
        "POST",
        "/v1/batch",
        &[("Transfer-Encoding", "chunked")],
        b"2\r\n{}\r\n0\r\n\r\n",
    )
    .unwrap();
    assert_eq!(chunked.status, 411);
    assert_eq!(chunked.json()["error"]["code"], "length_required");

    let body = batch("e", 2);
    let reply = exchange(
        &stack.proxy,
        "POST",
        "/v1/batch",
        &[("Expect", "100-continue")],
        body.as_bytes(),
    )
    .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(stack.stored(), 2);

    // The collector's own refusals come through as they are.
    let refused = exchange(
        &stack.proxy,
        "POST",
        "/v1/batch",
        &[("Content-Type", "application/xml")],
        b"<batch/>",
    )
    .unwrap();
    assert_eq!(refused.status, 415);
    assert_eq!(refused.json()["error"]["code"], "unsupported_media_type");
}

#[test]
fn an_unreachable_upstream_is_a_502() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // A port that was free a moment ago: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let proxy = start_proxy(&runtime, closed);
    let reply = post_batch(&proxy, &batch("u", 1), Some(ORIGIN)).unwrap();
    assert_eq!(reply.status, 502);
    assert_eq!(reply.json()["error"]["code"], "bad_gateway");
    assert_eq!(reply.header("access-control-allow-origin"), Some(ORIGIN));
    let log = exchange(&proxy, "GET", "/__faults/log", &[], b"").unwrap();
    assert_eq!(log.json()[0]["outcome"], "upstream-error");
}
