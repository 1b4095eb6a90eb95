//! `GET /v1/reports` and `GET /dashboard`, driven in-process: events go in through `POST /v1/batch` as the SDK
//! sends them, and come out as a report for the source's read key.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use common::{batch, Harness, Reply};
use serde_json::{json, Value};

fn event(id: &str, visitor: &str, name: &str, properties: Value) -> Value {
    json!({
        "type": "track", "event": name, "messageId": id, "anonymousId": visitor,
        "timestamp": "2026-11-20T10:00:00.000Z", "properties": properties,
    })
}

async fn report(h: &Harness, query: &str, authorization: Option<&str>) -> Reply {
    let mut request = Request::get(format!("/v1/reports{query}"));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    h.send(request.body(Body::empty()).unwrap()).await
}

fn basic(key: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{key}:"));
    format!("Basic {encoded}")
}

#[tokio::test]
async fn reports_need_the_read_key_never_the_write_key() {
    let h = Harness::new();
    let missing = report(&h, "", None).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.error_code(), "missing_read_key");
    assert!(missing
        .header("www-authenticate")
        .unwrap()
        .starts_with("Basic "));
    let write_key = report(&h, "", Some(&basic("wk_demo"))).await;
    assert_eq!(write_key.status, StatusCode::UNAUTHORIZED);
    assert_eq!(write_key.error_code(), "invalid_read_key");
    let bearer_write_key = report(&h, "", Some("Bearer wk_demo")).await;
    assert_eq!(bearer_write_key.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        report(&h, "", Some(&basic("rk_demo"))).await.status,
        StatusCode::OK
    );
    assert_eq!(
        report(&h, "", Some("Bearer rk_demo")).await.status,
        StatusCode::OK
    );
    let page = h
        .send(Request::get("/dashboard").body(Body::empty()).unwrap())
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.header("www-authenticate").is_some());
}

#[tokio::test]
async fn a_bad_range_is_a_400_with_the_reason() {
    let h = Harness::new();
    let reply = report(&h, "?from=2026-11-30&to=2026-11-01", Some("Bearer rk_demo")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_code(), "invalid_query");
    assert!(reply.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("after"));
}

#[tokio::test]
async fn fields_cleared_on_the_dashboard_form_take_their_defaults() {
    let h = Harness::new();
    // What the form sends after From, To, Goal and Within are cleared and Show is pressed.
    let cleared = "?from=&to=&goal=&window=";
    let page = h
        .send(
            Request::get(format!("/dashboard{cleared}"))
                .header("authorization", basic("rk_demo"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let cleared = report(&h, cleared, Some("Bearer rk_demo")).await;
    assert_eq!(cleared.status, StatusCode::OK);
    let default = report(&h, "", Some("Bearer rk_demo")).await.json();
    let cleared = cleared.json();
    for member in ["from", "to", "goal", "windowDays"] {
        assert_eq!(cleared[member], default[member], "{member}");
    }
}

/// The dashboard runs no script and loads nothing: its policy says so, so an injection that escaping missed could
/// not run, and no other site may frame it (it is behind the read key's Basic auth).
#[tokio::test]
async fn the_dashboard_is_served_with_a_policy_that_allows_no_script_and_no_framing() {
    let h = Harness::new();
    let page = h
        .send(
            Request::get("/dashboard")
                .header("authorization", basic("rk_demo"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("script-src"), "{csp}");
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
}

#[tokio::test]
async fn ranges_at_the_ends_of_the_calendar() {
    let h = Harness::new();
    // The day after 9999-12-31 cannot be written as a stored timestamp: a bad query, not a crash.
    for query in [
        "?to=9999-12-31",
        "?from=9999-12-31&to=9999-12-31",
        "?from=9999-12-01&to=9999-12-31",
    ] {
        let reply = report(&h, query, Some("Bearer rk_demo")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(reply.error_code(), "invalid_query", "{query}");
    }
    let reply = report(&h, "?from=9999-12-01&to=9999-12-30", Some("Bearer rk_demo")).await;
    assert_eq!(reply.status, StatusCode::OK);
    // The default `from` before year 0000 starts at 0000-01-01, so every day reads YYYY-MM-DD.
    let reply = report(&h, "?to=0000-01-05", Some("Bearer rk_demo")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(body["from"], "0000-01-01", "{body}");
    assert_eq!(body["to"], "0000-01-05");
}

#[tokio::test]
async fn ingested_events_come_back_as_a_report_and_a_dashboard() {
    let h = Harness::new();
    let messages = vec![
        event(
            "m1",
            "a",
            "Campaign Shown",
            json!({"campaign": "nps-second-order"}),
        ),
        event(
            "m2",
            "a",
            "Survey Answered",
            json!({"campaign": "nps-second-order", "question": "score", "answer": 10}),
        ),
        event(
            "m3",
            "b",
            "Campaign Held Out",
            json!({"campaign": "nps-second-order"}),
        ),
        event(
            "m4",
            "a",
            "Segment Entered",
            json!({"segment": "repeat-buyer"}),
        ),
        event(
            "m5",
            "a",
            "Reward Claimed",
            json!({"campaign": "newsletter-reward", "how": "ok"}),
        ),
        event("m6", "a", "Order Completed", json!({"revenue": 10})),
    ];
    let stored = h.post("/v1/batch", batch(messages)).await;
    assert_eq!(stored.status, StatusCode::OK);
    let reply = report(&h, "?from=2026-11-01&to=2026-11-30", Some("Bearer rk_demo")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let r = reply.json();
    assert_eq!(r["source"], "demo");
    assert_eq!(r["events"]["total"], 6);
    let segment = r["segments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["segment"] == "repeat-buyer")
        .unwrap()
        .clone();
    assert_eq!(segment["members"], 1);
    let campaign = r["campaigns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["campaign"] == "nps-second-order")
        .unwrap()
        .clone();
    assert_eq!(campaign["outcomes"]["shown"], 1);
    assert_eq!(campaign["outcomes"]["heldOut"], 1);
    assert_eq!(campaign["conversion"]["shown"]["visitors"], 1);
    assert_eq!(r["rewards"][0]["claims"], 1);
    assert_eq!(r["surveys"][0]["responses"], 1);

    let page = h
        .send(
            Request::get("/dashboard?from=2026-11-01&to=2026-11-30")
                .header("authorization", basic("rk_demo"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    let html = String::from_utf8(page.body).unwrap();
    assert!(html.contains("<svg"));
    assert!(html.contains("nps-second-order"));
    assert!(html.contains("repeat-buyer"));
}
