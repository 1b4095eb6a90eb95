//! The ingest API, driven in-process against a temporary database.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{batch, batch_reporting, gzip, track, Harness, Reply};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use wayline_collector::config::Sources;

fn instant(value: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(value.as_str().unwrap(), &Rfc3339).unwrap()
}

#[tokio::test]
async fn good_batch_is_stored_with_skew_corrected_timestamp() {
    let h = Harness::new();
    let page = json!({
        "type": "page", "name": "Pricing", "messageId": "m-page", "userId": "user-42",
        "timestamp": "2026-11-25T15:51:58.250Z", "properties": {"path": "/pricing"},
    });
    let reply = h.post("/v1/batch", batch(vec![track("m-1"), page])).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({"ok": true, "accepted": 2, "duplicates": 0, "rejected": 0, "errors": []})
    );
    assert_eq!(reply.header("content-type"), Some("application/json"));

    let events = h.events();
    assert_eq!(events.len(), 2);
    let stored = &events[0];
    assert_eq!(stored["messageId"], "m-1");
    assert_eq!(stored["type"], "track");
    assert_eq!(stored["event"], "Product Viewed");
    assert_eq!(stored["properties"], json!({"sku": "W-1", "price": 19.5}));
    assert_eq!(stored["originalTimestamp"], "2026-11-25T15:52:00.000Z");
    assert_eq!(stored["sentAt"], "2026-11-25T15:52:03.000Z");
    assert!(stored.get("writeKey").is_none());

    // timestamp = receivedAt − (sentAt − originalTimestamp): 3 s before receipt for the
    // track, 4.75 s for the page.
    let received = instant(&stored["receivedAt"]);
    assert_eq!(
        received - instant(&stored["timestamp"]),
        time::Duration::seconds(3)
    );
    assert_eq!(
        instant(&events[1]["receivedAt"]) - instant(&events[1]["timestamp"]),
        time::Duration::milliseconds(4750)
    );
    let now = OffsetDateTime::now_utc();
    assert!((now - received).abs() < time::Duration::minutes(5));
    let text = stored["timestamp"].as_str().unwrap();
    assert_eq!(text.len(), "2026-11-25T15:42:01.123Z".len());
    assert!(text.ends_with('Z'));
}

#[tokio::test]
async fn duplicates_are_ignored_by_message_id() {
    let h = Harness::new();
    let first = h
        .post(
            "/v1/batch",
            batch(vec![track("m-1"), track("m-2"), track("m-1")]),
        )
        .await;
    assert_eq!(first.json()["accepted"], 2);
    assert_eq!(first.json()["duplicates"], 1);

    // A retry of a batch that was stored but whose response was lost.
    let retry = h
        .post("/v1/batch", batch(vec![track("m-2"), track("m-3")]))
        .await;
    assert_eq!(retry.status, StatusCode::OK);
    assert_eq!(retry.json()["accepted"], 1);
    assert_eq!(retry.json()["duplicates"], 1);

    let ids: Vec<Value> = h.events().iter().map(|e| e["messageId"].clone()).collect();
    assert_eq!(ids, [json!("m-1"), json!("m-2"), json!("m-3")]);
}

#[tokio::test]
async fn mixed_batch_stores_the_good_and_counts_the_bad() {
    let h = Harness::new();
    let mut bad_id = track("x");
    bad_id["messageId"] = json!(7);
    let mut too_big = track("m-big");
    too_big["properties"]["blob"] = json!("x".repeat(33 * 1024));
    let mut bad_time = track("m-time");
    bad_time["timestamp"] = json!("last tuesday");
    let reply = h
        .post(
            "/v1/batch",
            batch(vec![
                track("m-1"),
                bad_id,
                track("m-2"),
                json!("nope"),
                too_big,
                bad_time,
            ]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(body["accepted"], 2);
    assert_eq!(body["rejected"], 4);
    let codes: Vec<(u64, String)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert!(!e["message"].as_str().unwrap().is_empty());
            (
                e["index"].as_u64().unwrap(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            (1, "invalid_message_id".to_owned()),
            (3, "invalid_event".to_owned()),
            (4, "event_too_large".to_owned()),
            (5, "invalid_timestamp".to_owned()),
        ]
    );
    assert_eq!(h.events().len(), 2);
    assert_eq!(h.rejected("demo", "invalid_message_id"), 1);
    assert_eq!(h.rejected("demo", "event_too_large"), 1);

    h.post("/v1/batch", batch(vec![json!(1)])).await;
    assert_eq!(h.rejected("demo", "invalid_event"), 2);
}

#[tokio::test]
async fn malformed_json_and_wrong_shapes_are_400() {
    let h = Harness::new();
    for (body, code) in [
        ("{\"batch\": [", "malformed_json"),
        ("", "malformed_json"),
        ("[1,2]", "invalid_body"),
        ("{\"batch\": {}, \"writeKey\": \"wk_demo\"}", "invalid_body"),
        ("{\"writeKey\": \"wk_demo\"}", "invalid_body"),
    ] {
        let reply = h.post("/v1/batch", body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.error_code(), code, "{body}");
        assert!(reply.json()["error"]["message"].as_str().unwrap().len() > 5);
    }
    assert!(h.events().is_empty());
}

#[tokio::test]
async fn unknown_or_missing_write_key_is_401() {
    let h = Harness::new();
    let body = json!({"batch": [track("m-1")], "writeKey": "wk_nope"}).to_string();
    let reply = h.post("/v1/batch", body).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.error_code(), "invalid_write_key");

    let reply = h
        .post("/v1/batch", json!({"batch": [track("m-1")]}).to_string())
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.error_code(), "missing_write_key");
    assert!(h.events().is_empty());
}

#[tokio::test]
async fn write_key_as_basic_auth() {
    let h = Harness::new();
    let reply = h
        .send(
            Request::post("/v1/batch")
                .header("content-type", "application/json")
                // base64("wk_demo:")
                .header("authorization", "Basic d2tfZGVtbzo=")
                .body(Body::from(json!({"batch": [track("m-1")]}).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(h.events().len(), 1);
}

/// Segment's HTTP API also takes batches of historical messages at `/v1/import` (older server libraries post
/// there): the same body, the same handling as `/v1/batch`.
#[tokio::test]
async fn import_is_batch() {
    let h = Harness::new();
    let reply = h
        .send(
            Request::post("/v1/import")
                .header("content-type", "application/json")
                .header("authorization", "Basic d2tfZGVtbzo=")
                .body(Body::from(
                    json!({"batch": [track("m-1"), track("m-2")]}).to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(h.events().len(), 2);
}

#[tokio::test]
async fn oversized_body_is_413() {
    let h = Harness::new();
    let mut big = track("m-1");
    big["properties"]["blob"] = json!("x".repeat(600 * 1024));
    let body = batch(vec![big]);

    // Declared length.
    let reply = h
        .send(
            Request::post("/v1/batch")
                .header("content-type", "text/plain")
                .header("content-length", body.len())
                .body(Body::from(body.clone()))
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.error_code(), "payload_too_large");

    // No declared length: the limit holds while reading.
    let reply = h.post("/v1/batch", body).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(h.events().is_empty());
}

#[tokio::test]
async fn gzip_bomb_is_413() {
    let h = Harness::new();
    // ~10 MB of JSON whitespace compresses to a few KB.
    let mut json = b"{\"batch\":[],\"writeKey\":\"wk_demo\"".to_vec();
    json.extend(vec![b' '; 10 * 1024 * 1024]);
    json.push(b'}');
    let bomb = gzip(&json);
    assert!(bomb.len() < 100 * 1024);
    let reply = h
        .send(
            Request::post("/v1/batch")
                .header("content-type", "text/plain")
                .header("content-encoding", "gzip")
                .body(Body::from(bomb))
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(reply.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("decompressed"));
}

#[tokio::test]
async fn gzip_body_is_accepted() {
    let h = Harness::new();
    let reply = h
        .send(
            Request::post("/v1/batch")
                .header("content-type", "application/json")
                .header("content-encoding", "gzip")
                .body(Body::from(gzip(batch(vec![track("m-1")]).as_bytes())))
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["accepted"], 1);

    let reply = h
        .send(
            Request::post("/v1/batch")
                .header("content-encoding", "gzip")
                .body(Body::from("not gzip at all"))
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_code(), "invalid_gzip");
    assert_eq!(h.events().len(), 1);
}

#[tokio::test]
async fn multi_member_gzip_body_is_read_whole() {
    let h = Harness::new();
    let json = batch(vec![track("m-1"), track("m-2")]);
    let (head, tail) = json.as_bytes().split_at(json.len() / 2);
    let mut body = gzip(head);
    body.extend(gzip(tail));
    let reply = h
        .send(
            Request::post("/v1/batch")
                .header("content-type", "text/plain")
                .header("content-encoding", "gzip")
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["accepted"], 2);
    assert_eq!(h.events().len(), 2);
}

#[tokio::test]
async fn text_plain_and_json_bodies_are_accepted_others_are_415() {
    let h = Harness::new();
    for (i, content_type) in ["text/plain;charset=UTF-8", "application/json"]
        .iter()
        .enumerate()
    {
        let reply = h
            .send(
                Request::post("/v1/batch")
                    .header("content-type", *content_type)
                    .body(Body::from(batch(vec![track(&format!("m-{i}"))])))
                    .unwrap(),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{content_type}");
    }
    let reply = h
        .send(
            Request::post("/v1/batch")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(batch(vec![track("m-9")])))
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(h.events().len(), 2);
}

#[tokio::test]
async fn cors_preflight_and_simple_requests() {
    let h = Harness::new();
    let reply = h
        .preflight(
            "/v1/batch",
            "http://localhost:5173",
            "POST",
            Some("content-type, content-encoding"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    assert_eq!(
        reply.header("access-control-allow-methods"),
        Some("POST, GET, OPTIONS")
    );
    assert_eq!(
        reply.header("access-control-allow-headers"),
        Some("Content-Type, Authorization, Content-Encoding, If-None-Match")
    );
    assert_eq!(reply.header("vary"), Some("Origin"));

    let reply = h
        .preflight("/v1/batch", "https://evil.example", "POST", None)
        .await;
    // The preflight of an SDK endpoint grants any origin the request, which is refused (readably) on its own.
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://evil.example")
    );
    let reply = h
        .preflight("/dashboard", "https://evil.example", "GET", None)
        .await;
    assert_eq!(reply.header("access-control-allow-origin"), None);

    let reply = h
        .send(
            Request::post("/v1/batch")
                .header("origin", "http://127.0.0.1:8080")
                .header("content-type", "text/plain")
                .body(Body::from(batch(vec![track("m-1")])))
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("http://127.0.0.1:8080")
    );
    assert_eq!(reply.header("vary"), Some("Origin"));
}

#[tokio::test]
async fn disallowed_origin_is_403() {
    let h = Harness::new();
    let reply = h
        .send(
            Request::post("/v1/batch")
                .header("origin", "https://evil.example")
                .header("content-type", "text/plain")
                .body(Body::from(batch(vec![track("m-1")])))
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.error_code(), "origin_not_allowed");
    // The page may read the refusal (so the SDK reports it rather than retrying a network error); nothing else
    // the collector answers that origin is readable.
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://evil.example")
    );
    assert!(h.events().is_empty());
    let reply = h
        .send(
            Request::get("/health")
                .header("origin", "https://evil.example")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(reply.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn origins_and_dedupe_are_per_source() {
    let sources = Sources::from_json(
        r#"{"sources":[
            {"name":"shop","writeKey":"wk_shop","origins":["https://shop.example"]},
            {"name":"blog","writeKey":"wk_blog","origins":["https://blog.example"]}
        ]}"#,
    )
    .unwrap();
    let h = Harness::with_sources(sources);
    let send = |key: &str, origin: &str| {
        Request::post("/v1/batch")
            .header("origin", origin)
            .header("content-type", "text/plain")
            .body(Body::from(
                json!({"batch": [track("m-1")], "writeKey": key}).to_string(),
            ))
            .unwrap()
    };
    assert_eq!(
        h.send(send("wk_shop", "https://shop.example")).await.status,
        StatusCode::OK
    );
    // The shop's origin is known (so CORS lets the page read the error), but not for the blog's key.
    let reply = h.send(send("wk_blog", "https://shop.example")).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://shop.example")
    );
    // The same messageId under another source is a different event.
    let reply = h.send(send("wk_blog", "https://blog.example")).await;
    assert_eq!(reply.json()["accepted"], 1);
    assert_eq!(h.events().len(), 2);
    // The demo key is not configured here.
    assert_eq!(
        h.send(send("wk_demo", "https://shop.example")).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn single_track_call() {
    let h = Harness::new();
    let mut message = track("m-single");
    message["type"] = json!("page");
    message["writeKey"] = json!("wk_demo");
    message["sentAt"] = json!("2026-11-25T15:52:01.000Z");
    let reply = h.post("/v1/track", message.to_string()).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["accepted"], 1);
    let events = h.events();
    assert_eq!(events[0]["type"], "track");
    assert_eq!(events[0]["sentAt"], "2026-11-25T15:52:01.000Z");
    assert!(events[0].get("writeKey").is_none());
    assert_eq!(
        instant(&events[0]["receivedAt"]) - instant(&events[0]["timestamp"]),
        time::Duration::seconds(1)
    );

    let identify = json!({"messageId": "m-id", "userId": "user-42", "writeKey": "wk_demo",
        "timestamp": "2026-11-25T15:52:00Z", "traits": {"plan": "pro"}});
    let reply = h.post("/v1/identify", identify.to_string()).await;
    assert_eq!(reply.json()["accepted"], 1);
    let page = json!({"messageId": "m-pg", "anonymousId": "a", "writeKey": "wk_demo",
        "timestamp": "2026-11-25T15:52:00Z"});
    assert_eq!(
        h.post("/v1/page", page.to_string()).await.json()["accepted"],
        1
    );
    let types: Vec<Value> = h.events().iter().map(|e| e["type"].clone()).collect();
    assert_eq!(types, [json!("track"), json!("identify"), json!("page")]);

    // A single call with a bad message answers 200 with the rejection, like a batch of one.
    let reply = h
        .post("/v1/track", json!({"writeKey": "wk_demo"}).to_string())
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["rejected"], 1);
}

#[tokio::test]
async fn health() {
    let h = Harness::new();
    let reply = h.get("/health").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!({"ok": true}));
}

/// A 405's `Allow` lists every method the route answers: the ingest routes answer `OPTIONS` (a CORS preflight) as
/// well as `POST`, and the read routes `OPTIONS` as well as `GET` and `HEAD`.
#[tokio::test]
async fn wrong_method_on_ingest_route_is_refused() {
    let h = Harness::new();
    let methods = |reply: &Reply| -> Vec<String> {
        let allow = reply
            .header("allow")
            .expect("a 405 names the methods allowed");
        allow.split(',').map(|m| m.trim().to_owned()).collect()
    };
    for path in [
        "/v1/batch",
        "/v1/import",
        "/v1/track",
        "/v1/page",
        "/v1/identify",
    ] {
        for method in [Method::GET, Method::PUT, Method::DELETE, Method::HEAD] {
            let reply = h
                .send(
                    Request::builder()
                        .method(method.clone())
                        .uri(path)
                        .body(Body::empty())
                        .unwrap(),
                )
                .await;
            assert_eq!(
                reply.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            assert_eq!(methods(&reply), ["POST", "OPTIONS"], "{method} {path}");
        }
        // Every method it names is answered.
        let preflight = h
            .send(Request::options(path).body(Body::empty()).unwrap())
            .await;
        assert_eq!(preflight.status, StatusCode::NO_CONTENT, "{path}");
    }
    for path in ["/v1/config", "/v1/reports", "/dashboard", "/health"] {
        let reply = h.post(path, "").await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{path}");
        assert_eq!(methods(&reply), ["GET", "HEAD", "OPTIONS"], "{path}");
    }
}

fn drop_rows(rows: &[(&str, &str, i64)]) -> Vec<(String, String, i64)> {
    rows.iter()
        .map(|&(source, reason, count)| (source.to_owned(), reason.to_owned(), count))
        .collect()
}

#[tokio::test]
async fn drop_reports_are_stored_and_summed_per_source_and_reason() {
    let h = Harness::new();
    let reply = h
        .post(
            "/v1/batch",
            batch_reporting(
                vec![track("m-1")],
                json!({"overflow": 2, "expired": 0, "rejected": 5, "corrupt": 1}),
            ),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    // The report changes nothing in the answer.
    assert_eq!(
        reply.json(),
        json!({"ok": true, "accepted": 1, "duplicates": 0, "rejected": 0, "errors": []})
    );
    assert_eq!(
        h.drops(),
        drop_rows(&[
            ("demo", "corrupt", 1),
            ("demo", "overflow", 2),
            ("demo", "rejected", 5)
        ])
    );

    // A second batch adds to the counts; an unknown reason is skipped, not an error.
    let reply = h
        .post(
            "/v1/batch",
            batch_reporting(
                vec![track("m-2"), json!({"type": "purchase"})],
                json!({"overflow": 3, "expired": 4, "rejected": 0, "corrupt": 0,
                    "evicted": 9}),
            ),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["accepted"], 1);
    assert_eq!(reply.json()["rejected"], 1);
    assert_eq!(
        h.drops(),
        drop_rows(&[
            ("demo", "corrupt", 1),
            ("demo", "expired", 4),
            ("demo", "overflow", 5),
            ("demo", "rejected", 5)
        ])
    );
    assert_eq!(h.events().len(), 2);
    assert_eq!(h.rejected("demo", "invalid_type"), 1);
    // The batch-level context is not copied into the stored events.
    assert!(h.events()[0]["context"].get("wayline").is_none());

    // A single call's own context is part of its event, not a report.
    let mut single = track("m-3");
    single["writeKey"] = json!("wk_demo");
    single["context"]["wayline"] = json!({"dropped": {"overflow": 100}});
    let reply = h.post("/v1/track", single.to_string()).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["accepted"], 1);
    assert_eq!(h.drops()[2], ("demo".into(), "overflow".into(), 5));
}

#[tokio::test]
async fn a_malformed_drop_report_is_ignored_and_the_batch_accepted() {
    let h = Harness::new();
    for (n, dropped) in [
        json!({"overflow": -1}),
        json!({"overflow": 2, "expired": 1.5}),
        json!({"overflow": 2, "rejected": "5"}),
        json!({"overflow": 2, "corrupt": 1_000_000_001_u64}),
        json!({"overflow": 2, "corrupt": 1e30}),
        json!([2, 0, 5, 1]),
        json!("overflow"),
        json!(null),
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("m-{n}");
        let reply = h
            .post(
                "/v1/batch",
                batch_reporting(vec![track(&id)], dropped.clone()),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{dropped}");
        assert_eq!(reply.json()["accepted"], 1, "{dropped}");
    }
    // `context` and `wayline` of the wrong shape are no report either.
    for (id, context) in [("c-1", json!("wayline")), ("c-2", json!({"wayline": 7}))] {
        let body = json!({"batch": [track(id)], "context": context, "writeKey": "wk_demo"});
        let reply = h.post("/v1/batch", body.to_string()).await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    assert_eq!(h.events().len(), 10);
    assert_eq!(h.drops(), drop_rows(&[]));
}

#[tokio::test]
async fn a_refused_batch_records_no_drops() {
    let h = Harness::new();
    let report = json!({"overflow": 2, "expired": 0, "rejected": 5, "corrupt": 1});

    // 401: unknown and missing write key.
    let body = json!({"batch": [track("m-1")], "context": {"wayline": {"dropped": report}},
        "writeKey": "wk_nope"});
    let reply = h.post("/v1/batch", body.to_string()).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let body = json!({"batch": [track("m-1")], "context": {"wayline": {"dropped": report}}});
    let reply = h.post("/v1/batch", body.to_string()).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);

    // 400: `batch` of the wrong shape.
    let body = json!({"batch": {}, "context": {"wayline": {"dropped": report}},
        "writeKey": "wk_demo"});
    let reply = h.post("/v1/batch", body.to_string()).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);

    // 403: a page on a disallowed origin.
    let reply = h
        .send(
            Request::post("/v1/batch")
                .header("origin", "https://evil.example")
                .header("content-type", "text/plain")
                .body(Body::from(batch_reporting(
                    vec![track("m-1")],
                    report.clone(),
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);

    // 413: over the size limit.
    let mut big = track("m-1");
    big["properties"]["blob"] = json!("x".repeat(600 * 1024));
    let reply = h
        .post("/v1/batch", batch_reporting(vec![big], report.clone()))
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);

    assert!(h.events().is_empty());
    assert_eq!(h.drops(), drop_rows(&[]));

    // The same report on an accepted batch is recorded.
    let reply = h
        .post("/v1/batch", batch_reporting(vec![track("m-1")], report))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        h.drops(),
        drop_rows(&[
            ("demo", "corrupt", 1),
            ("demo", "overflow", 2),
            ("demo", "rejected", 5)
        ])
    );
}

#[tokio::test]
async fn an_unpaired_surrogate_escape_does_not_cost_the_batch() {
    // `JSON.stringify` writes a string cut in the middle of an emoji ("\u{1F600}".slice(0, 1))
    // as the escape `\ud83d`, which no UTF-8 text can hold; Segment's JavaScript libraries
    // send such bodies as they are.
    let h = Harness::new();
    let body = batch(vec![track("m-1"), track("m-2"), track("m-3")])
        .replacen("\"sku\":\"W-1\"", "\"sku\":\"W-\\ud83d\"", 1)
        .replacen("\"sku\":\"W-1\"", "\"sku\":\"\\udE00\\ud83d\\ude00\"", 1)
        .replacen("\"sku\":\"W-1\"", "\"sku\":\"\\\\ud83d \\ud83d\\\\\"", 1);
    let reply = h.post("/v1/batch", body).await;
    let skus = accepted_skus(&h, &reply, 3);
    assert_eq!(
        skus,
        [
            json!("W-\u{FFFD}"),
            json!("\u{FFFD}\u{1F600}"),
            json!("\\ud83d \u{FFFD}\\"),
        ]
    );
}

/// The `sku` property of every stored event, once the reply said all `count` were accepted.
fn accepted_skus(h: &Harness, reply: &Reply, count: u64) -> Vec<Value> {
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.json()["accepted"], count);
    h.events()
        .iter()
        .map(|e| e["properties"]["sku"].clone())
        .collect()
}

#[tokio::test]
async fn bytes_that_are_not_utf8_do_not_cost_the_batch() {
    // A server-side sender that writes one string in Latin-1 (`é` as the byte E9), or a lone
    // surrogate encoded as UTF-8 bytes would encode a character (ED A0 BD, what Java's modified
    // UTF-8 or Python's `surrogatepass` write), or that starts its body with a byte-order mark.
    let h = Harness::new();
    let body = batch(vec![track("m-1"), track("m-2"), track("m-3")])
        .replacen("\"sku\":\"W-1\"", "\"sku\":\"caf\u{1}\"", 1)
        .replacen("\"sku\":\"W-1\"", "\"sku\":\"x\u{2}y\"", 1);
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(body.into_bytes());
    let at = |bytes: &[u8], b: u8| bytes.iter().position(|&x| x == b).unwrap();
    let latin1 = at(&bytes, 1);
    bytes[latin1] = 0xE9;
    let surrogate = at(&bytes, 2);
    bytes.splice(surrogate..=surrogate, [0xED, 0xA0, 0xBD]);
    let reply = h.post("/v1/batch", bytes).await;
    let skus = accepted_skus(&h, &reply, 3);
    // Each byte that starts no character is one U+FFFD, as a browser's `TextDecoder` reads it.
    assert_eq!(
        skus,
        [
            json!("caf\u{FFFD}"),
            json!("x\u{FFFD}\u{FFFD}\u{FFFD}y"),
            json!("W-1"),
        ]
    );
    // Text that is no JSON, in whatever encoding, is still refused.
    let reply = h.post("/v1/batch", b"{\"batch\":[\xE9".to_vec()).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

/// A number beyond what a double holds (`1e400`) in one message's properties costs that message,
/// rejected as `number_out_of_range`, not the batch; with a repaired string in another message too.
/// Such a number outside `batch`, or in a single call, still refuses the request.
#[tokio::test]
async fn a_number_out_of_range_costs_its_message_not_the_batch() {
    let h = Harness::new();
    let with = |id: &str, key: &str, marker: &str| {
        let mut message = track(id);
        message["properties"][key] = json!(marker);
        message
    };
    let messages = vec![
        with("m-1", "price", "HUGE"),
        with("m-2", "sku", "SURROGATE"),
        with("m-3", "price", "TINY"),
        track("m-4"),
    ];
    let body = batch(messages)
        .replacen("\"HUGE\"", "1e400", 1)
        .replacen("\"SURROGATE\"", "\"W-\\ud83d\"", 1)
        .replacen("\"TINY\"", "[-1.5e309]", 1);
    let reply = h.post("/v1/batch", body).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let answer = reply.json();
    assert_eq!(answer["accepted"], 2);
    assert_eq!(answer["rejected"], 2);
    let codes: Vec<(u64, &str)> = answer["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["index"].as_u64().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        codes,
        [(0, "number_out_of_range"), (2, "number_out_of_range")]
    );
    let events = h.events();
    let ids: Vec<&Value> = events.iter().map(|e| &e["messageId"]).collect();
    assert_eq!(ids, [&json!("m-2"), &json!("m-4")]);
    assert_eq!(events[0]["properties"]["sku"], "W-\u{FFFD}");
    assert_eq!(h.rejected("demo", "number_out_of_range"), 2);

    for body in [
        batch(vec![track("m-5")]).replacen("\"batch\":", "\"context\":{\"n\":1e400},\"batch\":", 1),
        batch(vec![track("m-6")]).replacen("\"price\":19.5", "\"price\":1e400,", 1),
    ] {
        let reply = h.post("/v1/batch", body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.error_code(), "malformed_json");
    }
    let single = json!({"messageId": "m-7", "userId": "u", "event": "E", "writeKey": "wk_demo",
        "properties": {"n": 1}})
    .to_string()
    .replacen("\"n\":1", "\"n\":1e400", 1);
    let reply = h.post("/v1/track", single).await;
    assert_eq!(reply.error_code(), "malformed_json");
    assert_eq!(h.events().len(), 2);
}

/// Without `sentAt` nothing corrects a client's clock: a `timestamp` more than an hour after the
/// request arrived (no event happens after it is received) is stored as `receivedAt`, the client's
/// kept in `originalTimestamp`; one within the hour is kept, as is any past one.
#[tokio::test]
async fn a_far_future_timestamp_without_sent_at_is_stored_as_received() {
    let h = Harness::new();
    let soon =
        wayline_collector::clock::format(OffsetDateTime::now_utc() + time::Duration::minutes(30));
    let at = |id: &str, time: &str| {
        let mut message = track(id);
        message["timestamp"] = json!(time);
        message
    };
    let body = json!({"writeKey": "wk_demo", "batch": [
        at("m-far", "2099-01-01T00:00:00Z"),
        at("m-soon", &soon),
        at("m-past", "2026-11-25T15:52:00.000Z"),
    ]});
    let reply = h.post("/v1/batch", body.to_string()).await;
    assert_eq!(reply.json()["accepted"], 3);
    let single = json!({"messageId": "m-single", "userId": "u", "event": "E", "writeKey": "wk_demo",
        "timestamp": "2027-11-25T15:52:00+01:00"});
    let reply = h.post("/v1/track", single.to_string()).await;
    assert_eq!(reply.json()["accepted"], 1);

    let events = h.events();
    let stored: Vec<(&Value, &Value)> = events
        .iter()
        .map(|e| (&e["messageId"], &e["originalTimestamp"]))
        .collect();
    assert_eq!(
        stored,
        [
            (&json!("m-far"), &json!("2099-01-01T00:00:00.000Z")),
            (&json!("m-soon"), &events[1]["timestamp"]),
            (&json!("m-past"), &json!("2026-11-25T15:52:00.000Z")),
            (&json!("m-single"), &json!("2027-11-25T14:52:00.000Z")),
        ]
    );
    for event in [&events[0], &events[3]] {
        assert_eq!(event["timestamp"], event["receivedAt"], "{event}");
        assert!(event.get("sentAt").is_none());
    }
    assert!(instant(&events[1]["timestamp"]) > instant(&events[1]["receivedAt"]));
    assert_eq!(events[2]["timestamp"], "2026-11-25T15:52:00.000Z");
}

/// Segment's Tracking API fills in a missing `timestamp` with the time it received the call,
/// so a hand-written call following its docs leaves it out.
#[tokio::test]
async fn a_message_without_timestamp_is_timed_when_received() {
    let h = Harness::new();
    let call = json!({"messageId": "m-now", "userId": "019mr8mf4r", "event": "Item Purchased",
        "properties": {"revenue": 14.99}, "context": {"ip": "24.5.68.47"}, "writeKey": "wk_demo"});
    let reply = h.post("/v1/track", call.to_string()).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({"ok": true, "accepted": 1, "duplicates": 0, "rejected": 0, "errors": []})
    );

    let mut absent = track("m-absent");
    absent.as_object_mut().unwrap().remove("timestamp");
    let mut null = track("m-null");
    null["timestamp"] = Value::Null;
    let reply = h.post("/v1/batch", batch(vec![absent, null])).await;
    assert_eq!(reply.json()["accepted"], 2);

    let events = h.events();
    assert_eq!(events.len(), 3);
    for event in &events {
        assert_eq!(event["timestamp"], event["receivedAt"], "{event}");
        // No client time was given, so there is none to keep.
        assert!(event.get("originalTimestamp").is_none(), "{event}");
    }
    assert!(events[0].get("sentAt").is_none());
    assert_eq!(events[1]["sentAt"], "2026-11-25T15:52:03.000Z");
    assert_eq!(events[0]["event"], "Item Purchased");
}

/// A time late on 9999-12-31 with a negative offset is valid ISO 8601 but falls in the year 10000 in UTC: it used
/// to panic the handler (an empty reply, or with the release build's `panic = "abort"` the whole collector), so
/// one request could stop the collector and a batch holding such an event was retried forever.
#[tokio::test]
async fn a_time_past_year_9999_in_utc_is_refused_not_a_crash() {
    let h = Harness::new();
    let mut late = track("m-late");
    late["timestamp"] = json!("9999-12-31T23:59:59-23:59");
    let reply = h.post("/v1/batch", batch(vec![track("m-1"), late])).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["accepted"], 1);
    assert_eq!(reply.json()["errors"][0]["index"], 1);
    assert_eq!(reply.json()["errors"][0]["code"], "invalid_timestamp");

    // As `sentAt`, it is ignored like any invalid time: the event keeps its own timestamp.
    let body = json!({"batch": [track("m-2")], "sentAt": "9999-12-31T23:30:00-01:00",
        "writeKey": "wk_demo"});
    let reply = h.post("/v1/batch", body.to_string()).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["accepted"], 1);
    let events = h.events();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["timestamp"], "2026-11-25T15:52:00.000Z");
    assert!(events[1].get("sentAt").is_none());
}

/// A database file deleted while the collector runs (by hand, or a cleanup job) took every later event with it:
/// SQLite wrote on into the unlinked file and each request was answered 200. The writer opens the path again.
#[tokio::test]
async fn events_sent_after_the_database_file_is_deleted_are_stored_in_a_new_one() {
    let h = Harness::new();
    let reply = h.post("/v1/batch", batch(vec![track("m-1")])).await;
    assert_eq!(reply.json()["accepted"], 1);
    for suffix in ["", "-wal", "-shm"] {
        let mut name = h.db.clone().into_os_string();
        name.push(suffix);
        let _ = std::fs::remove_file(name);
    }
    let reply = h
        .post("/v1/batch", batch(vec![track("m-2"), track("m-3")]))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["accepted"], 2);
    let ids: Vec<Value> = h.events().iter().map(|e| e["messageId"].clone()).collect();
    assert_eq!(ids, [json!("m-2"), json!("m-3")]);

    // Renamed away, as a rotation would: the old file keeps what it had, the path gets a new database.
    let archive = h.dir.path().join("archive.db");
    std::fs::rename(&h.db, &archive).unwrap();
    let reply = h.post("/v1/batch", batch(vec![track("m-4")])).await;
    assert_eq!(reply.json()["accepted"], 1);
    let ids: Vec<Value> = h.events().iter().map(|e| e["messageId"].clone()).collect();
    assert_eq!(ids, [json!("m-4")]);
    let archived: Vec<Value> = wayline_collector::store::read_events(&archive)
        .unwrap()
        .iter()
        .map(|body| serde_json::from_str::<Value>(body).unwrap()["messageId"].clone())
        .collect();
    assert_eq!(archived, [json!("m-2"), json!("m-3")]);
}

/// Segment's Tracking API adds a `messageId` to a message that has none; the call below is
/// the one its HTTP API docs show for write-key authentication.
#[tokio::test]
async fn a_message_without_message_id_is_given_one_and_stored_once_per_request() {
    let h = Harness::new();
    let call = json!({"event": "happy-path", "email": "test@example.org", "userId": "123",
        "writeKey": "wk_demo"})
    .to_string();
    for _ in 0..2 {
        let reply = h.post("/v1/track", call.clone()).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(
            reply.json(),
            json!({"ok": true, "accepted": 1, "duplicates": 0, "rejected": 0, "errors": []})
        );
    }
    let mut null = track("x");
    null["messageId"] = Value::Null;
    let reply = h.post("/v1/batch", batch(vec![null])).await;
    assert_eq!(reply.json()["accepted"], 1);

    // A generated id cannot be recognised on a retry, so each request's copy is stored.
    let events = h.events();
    assert_eq!(events.len(), 3);
    let ids: Vec<&str> = events
        .iter()
        .map(|event| event["messageId"].as_str().unwrap())
        .collect();
    for id in &ids {
        assert!(!id.is_empty() && id.chars().count() <= 100, "{id}");
    }
    assert!(
        ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2],
        "{ids:?}"
    );
    assert_eq!(events[0]["email"], "test@example.org");
}

/// Segment's HTTP API merges a batch-level `context` and `integrations` into each message of
/// the batch; where both set a value, the message's own is kept.
#[tokio::test]
async fn batch_context_and_integrations_are_merged_into_each_message() {
    let h = Harness::new();
    let mut own = track("m-own");
    own["context"] = json!({"ip": "5.6.7.8", "device": {"id": "d-1", "type": "tablet"},
        "library": {"name": "analytics-java", "version": "3.5.4"}});
    own["integrations"] = json!({"Mixpanel": false});
    let mut bare = track("m-bare");
    bare.as_object_mut().unwrap().remove("context");
    let body = json!({
        "batch": [bare, own, 3],
        "context": {"ip": "1.2.3.4", "device": {"type": "phone", "name": "Apple iPhone 6"},
            "wayline": {"dropped": {"overflow": 2}}},
        "integrations": {"All": false, "Mixpanel": true},
        "sentAt": "2026-11-25T15:52:03.000Z", "writeKey": "wk_demo",
    });
    let reply = h.post("/v1/batch", body.to_string()).await;
    assert_eq!(reply.json()["accepted"], 2);
    assert_eq!(reply.json()["rejected"], 1);

    let events = h.events();
    // The drop report is the collector's to count, not part of any event.
    assert_eq!(
        events[0]["context"],
        json!({"ip": "1.2.3.4", "device": {"type": "phone", "name": "Apple iPhone 6"}})
    );
    assert_eq!(
        events[0]["integrations"],
        json!({"All": false, "Mixpanel": true})
    );
    assert_eq!(
        events[1]["context"],
        json!({"ip": "5.6.7.8", "device": {"id": "d-1", "type": "tablet", "name": "Apple iPhone 6"},
            "library": {"name": "analytics-java", "version": "3.5.4"}})
    );
    assert_eq!(
        events[1]["integrations"],
        json!({"All": false, "Mixpanel": false})
    );
    assert_eq!(h.drops(), drop_rows(&[("demo", "overflow", 2)]));
}

/// Segment's libraries accept numeric ids (its Node library turns them into their JSON text),
/// and server code often holds a database's integer ids.
#[tokio::test]
async fn numeric_ids_are_stored_as_strings() {
    let h = Harness::new();
    let call = json!({"messageId": "m-num", "userId": 42, "traits": {"plan": "pro"},
        "timestamp": "2026-11-25T15:52:00Z", "writeKey": "wk_demo"});
    let reply = h.post("/v1/identify", call.to_string()).await;
    assert_eq!(
        reply.json(),
        json!({"ok": true, "accepted": 1, "duplicates": 0, "rejected": 0, "errors": []})
    );
    let mut anonymous = track("m-anon");
    anonymous["anonymousId"] = json!(9_007_199_254_740_993_u64);
    let reply = h.post("/v1/batch", batch(vec![anonymous])).await;
    assert_eq!(reply.json()["accepted"], 1);

    let events = h.events();
    assert_eq!(events[0]["userId"], "42");
    assert_eq!(events[1]["anonymousId"], "9007199254740993");
}

/// A batch-level `context` is copied into every message, so a small body could name a large
/// context and many messages: a 31 KB body (a few KB in gzip) would store 83 events of 25 KB
/// each, and hold every copy in memory at once. Past [`MAX_MERGED_BATCH_BYTES`] in all, the request is
/// refused whole, before the copies are made; without a known write key nothing is copied.
#[tokio::test]
async fn a_batch_context_copied_into_many_messages_is_capped() {
    use wayline_collector::ingest::MAX_MERGED_BATCH_BYTES;
    let h = Harness::new();
    let shared: serde_json::Map<String, Value> = (0..1_200)
        .map(|i| (format!("k{i:05}"), json!("0123456789")))
        .collect();
    let shared = Value::Object(shared);
    let shared_len = shared.to_string().len();
    assert!(shared_len < 32 * 1024);
    let count = MAX_MERGED_BATCH_BYTES / shared_len + 2;
    let messages: Vec<Value> = (0..count)
        .map(|i| json!({"type": "track", "event": "e", "anonymousId": "a", "messageId": format!("m-{i}")}))
        .collect();
    let body = json!({"batch": messages, "context": shared, "writeKey": "wk_demo",
        "sentAt": "2026-11-25T15:52:03.000Z"})
    .to_string();
    assert!(body.len() < 512_000);

    let reply = h.post("/v1/batch", body.clone()).await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.error_code(), "payload_too_large");
    assert!(h.events().is_empty());

    // One message fewer than the cap allows is stored whole.
    let fits = MAX_MERGED_BATCH_BYTES / (shared_len + 200);
    let messages: Vec<Value> = (0..fits)
        .map(|i| json!({"type": "track", "event": "e", "anonymousId": "a", "messageId": format!("f-{i}")}))
        .collect();
    let body = json!({"batch": messages, "context": shared, "writeKey": "wk_demo"}).to_string();
    let reply = h.post("/v1/batch", body).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["accepted"], fits);
}

/// Each rejected message used to be listed in the answer: a 559-byte gzip body of 250,000
/// `0`s was answered with 21 MB of JSON (and took the collector to 455 MB building it). The
/// answer lists the first [`MAX_LISTED_ERRORS`]; `rejected` and the counters count them all.
#[tokio::test]
async fn the_errors_listed_are_capped_and_rejected_counts_them_all() {
    use wayline_collector::ingest::MAX_LISTED_ERRORS;
    let h = Harness::new();
    let count = MAX_LISTED_ERRORS * 10;
    let mut messages = vec![json!(0); count];
    messages.push(track("m-good"));
    let reply = h.post("/v1/batch", batch(messages)).await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(body["accepted"], 1);
    assert_eq!(body["rejected"], count);
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), MAX_LISTED_ERRORS);
    assert_eq!(errors[0]["index"], 0);
    assert_eq!(
        errors[MAX_LISTED_ERRORS - 1]["index"],
        MAX_LISTED_ERRORS - 1
    );
    assert!(reply.body.len() < 20_000, "{} bytes", reply.body.len());
    assert_eq!(h.rejected("demo", "invalid_event"), count as i64);
}

/// A body that stops arriving part-way is given up on after [`BODY_READ_TIMEOUT`] with a 408
/// (which the SDK retries), instead of holding the request, its buffer and its connection open
/// for as long as the client likes.
#[tokio::test(start_paused = true)]
async fn a_body_that_stops_arriving_is_given_up_on() {
    use std::convert::Infallible;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use wayline_collector::body::BODY_READ_TIMEOUT;

    /// One chunk, then nothing, ever.
    struct Stalled(bool);
    impl axum::body::HttpBody for Stalled {
        type Data = axum::body::Bytes;
        type Error = Infallible;
        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Infallible>>> {
            if std::mem::replace(&mut self.0, true) {
                Poll::Pending
            } else {
                Poll::Ready(Some(Ok(http_body::Frame::data("{\"batch\":[".into()))))
            }
        }
    }

    let h = Harness::new();
    let request = Request::post("/v1/batch")
        .header("content-type", "text/plain")
        .body(Body::new(Stalled(false)))
        .unwrap();
    let started = tokio::time::Instant::now();
    let reply = tokio::time::timeout(BODY_READ_TIMEOUT * 10, h.send(request))
        .await
        .expect("the request is still waiting for its body");
    assert_eq!(reply.status, StatusCode::REQUEST_TIMEOUT);
    assert_eq!(reply.error_code(), "body_timeout");
    assert!(started.elapsed() >= BODY_READ_TIMEOUT);
}

/// A message's `type` is matched ignoring ASCII case (`"Track"`, `"PAGE"`), as a hand-written
/// sender may spell it, and stored in its canonical lower case, in the body and in the `type`
/// column that reports group by. Other spellings are still `invalid_type`.
#[tokio::test]
async fn message_types_differing_only_in_case_are_stored_lower_case() {
    let h = Harness::new();
    let mut messages = Vec::new();
    for (i, kind) in ["Track", "TRACK", "PAGE", "iDentify", "Screen"]
        .into_iter()
        .enumerate()
    {
        let mut message = track(&format!("m-{i}"));
        message["type"] = json!(kind);
        messages.push(message);
    }
    for bad in ["Tracks", " track", "TRAC\u{212A}", "tr\u{430}ck"] {
        let mut message = track("m-bad");
        message["type"] = json!(bad);
        messages.push(message);
    }
    let reply = h.post("/v1/batch", batch(messages)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["accepted"], 5);
    assert_eq!(reply.json()["rejected"], 4);
    assert_eq!(h.rejected("demo", "invalid_type"), 4);

    let stored: Vec<Value> = h.events().iter().map(|e| e["type"].clone()).collect();
    assert_eq!(stored, ["track", "track", "page", "identify", "screen"]);
    let connection = rusqlite::Connection::open(&h.db).unwrap();
    let mut query = connection
        .prepare("SELECT type FROM events ORDER BY id")
        .unwrap();
    let columns: Vec<String> = query
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(columns, ["track", "track", "page", "identify", "screen"]);
}
