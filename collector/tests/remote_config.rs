//! `GET /v1/config`, driven in-process: a sources file in a temporary directory names each
//! source's config file, relative to itself.

mod common;

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{Harness, Reply};
use serde_json::{json, Value};
use tempfile::TempDir;
use wayline_collector::config::Sources;
use wayline_collector::remote_config::compile_text;

/// What the SDK is served for a config file: its compiled form.
fn compiled(text: &str) -> String {
    compile_text(text).unwrap()
}

const SHOP_ORIGIN: &str = "https://shop.example";
const BLOG_ORIGIN: &str = "https://blog.example";

const GOOD: &str = r#"{"segments": {"buyer": "count(\"Order Completed\") >= 1"}}"#;
const ALSO_GOOD: &str = r#"{"segments": {"buyer": "count(\"Order Completed\") >= 2"}}"#;

/// A collector whose sources file (in `dir`) has:
/// - `shop` (`wk_shop`, shop origin) with `configs/shop.json`,
/// - `blog` (`wk_blog`, blog origin) with no config,
/// - `lost` (`wk_lost`) naming a config file that does not exist.
struct Setup {
    h: Harness,
    dir: TempDir,
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("configs")).unwrap();
        let sources = json!({"sources": [
            {"name": "shop", "writeKey": "wk_shop", "readKey": "rk_shop", "origins": [SHOP_ORIGIN], "config": "configs/shop.json"},
            {"name": "blog", "writeKey": "wk_blog", "origins": [BLOG_ORIGIN]},
            {"name": "lost", "writeKey": "wk_lost", "config": "configs/missing.json"},
        ]});
        let sources_file = dir.path().join("sources.json");
        std::fs::write(&sources_file, sources.to_string()).unwrap();
        let setup = Self {
            h: Harness::with_sources(Sources::load(&sources_file).unwrap()),
            dir,
        };
        setup.write_config(GOOD);
        setup
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("configs/shop.json")
    }

    fn write_config(&self, text: &str) {
        write(&self.config_path(), text);
    }

    async fn get(&self, uri: &str) -> Reply {
        self.h.get(uri).await
    }

    async fn get_with(&self, uri: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = Request::get(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.h.send(request.body(Body::empty()).unwrap()).await
    }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

fn body_text(reply: &Reply) -> &str {
    std::str::from_utf8(&reply.body).unwrap()
}

#[tokio::test]
async fn serves_the_config_with_a_strong_etag() {
    let s = Setup::new();
    let reply = s.get("/v1/config?writeKey=wk_shop").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", body_text(&reply));
    assert_eq!(body_text(&reply), compiled(GOOD), "the file, compiled");
    assert!(compiled(GOOD).starts_with(r#"{"wayline":"compiled""#));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.header("cache-control"), Some("no-cache"));
    let etag = reply.header("etag").unwrap();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() > 2,
        "{etag}"
    );
    assert!(!etag.starts_with("W/"), "strong: {etag}");

    // The same bytes give the same tag.
    let again = s.get("/v1/config?writeKey=wk_shop").await;
    assert_eq!(again.header("etag"), Some(etag));
}

/// The SDK asks for the compiled format it reads (`format=3`): served when it is this collector's, refused with a
/// 406 saying why when it is another release's; a client that does not ask is served as before.
#[tokio::test]
async fn the_format_the_client_reads_is_checked() {
    let s = Setup::new();
    let served = s.get("/v1/config?writeKey=wk_shop&format=3").await;
    assert_eq!(served.status, StatusCode::OK, "{}", body_text(&served));
    assert_eq!(body_text(&served), compiled(GOOD));
    let plain = s.get("/v1/config?writeKey=wk_shop").await;
    assert_eq!(plain.status, StatusCode::OK);
    assert_eq!(plain.header("etag"), served.header("etag"));
    for other in ["2", "4", "x"] {
        let reply = s
            .get(&format!("/v1/config?format={other}&writeKey=wk_shop"))
            .await;
        assert_eq!(reply.status, StatusCode::NOT_ACCEPTABLE, "{other}");
        let body = reply.json();
        assert_eq!(body["error"]["code"], "unsupported_config_format");
        assert_eq!(
            body["error"]["message"],
            format!("the SDK reads compiled configs of format \"{other}\"; this collector serves format 3: load the SDK of the collector's release (from its /sdk/)")
        );
        assert_eq!(reply.header("cache-control"), Some("no-store"));
    }
    // An unknown key is still told first.
    let reply = s.get("/v1/config?writeKey=wk_nope&format=4").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn if_none_match_answers_304_without_a_body() {
    let s = Setup::new();
    let first = s.get("/v1/config?writeKey=wk_shop").await;
    let etag = first.header("etag").unwrap().to_owned();

    let reply = s
        .get_with(
            "/v1/config?writeKey=wk_shop",
            &[("if-none-match", etag.as_str())],
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_MODIFIED);
    assert!(reply.body.is_empty());
    assert_eq!(reply.header("etag"), Some(etag.as_str()));
    assert_eq!(reply.header("cache-control"), Some("no-cache"));

    // In a list, and weak comparison as RFC 9110 asks for If-None-Match.
    let list = format!("\"other\", {etag}");
    let weak = format!("W/{etag}");
    for value in [list.as_str(), weak.as_str(), "*"] {
        let reply = s
            .get_with("/v1/config?writeKey=wk_shop", &[("if-none-match", value)])
            .await;
        assert_eq!(reply.status, StatusCode::NOT_MODIFIED, "{value}");
    }

    // A tag that does not match gets the whole config.
    let reply = s
        .get_with(
            "/v1/config?writeKey=wk_shop",
            &[("if-none-match", "\"stale\"")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(body_text(&reply), compiled(GOOD));
}

#[tokio::test]
async fn an_edited_file_is_served_at_once_with_a_new_etag() {
    let s = Setup::new();
    let first = s.get("/v1/config?writeKey=wk_shop").await;
    let old = first.header("etag").unwrap().to_owned();

    s.write_config(ALSO_GOOD);
    let reply = s
        .get_with(
            "/v1/config?writeKey=wk_shop",
            &[("if-none-match", old.as_str())],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(body_text(&reply), compiled(ALSO_GOOD));
    let new = reply.header("etag").unwrap().to_owned();
    assert_ne!(new, old);

    // Back to the first bytes: back to the first tag.
    s.write_config(GOOD);
    let reply = s.get("/v1/config?writeKey=wk_shop").await;
    assert_eq!(reply.header("etag"), Some(old.as_str()));
}

#[tokio::test]
async fn the_write_key_may_come_as_basic_auth() {
    let s = Setup::new();
    // base64("wk_shop:")
    let reply = s
        .get_with("/v1/config", &[("authorization", "Basic d2tfc2hvcDo=")])
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(body_text(&reply), compiled(GOOD));
}

#[tokio::test]
async fn unknown_or_missing_write_key_is_401() {
    let s = Setup::new();
    let reply = s.get("/v1/config?writeKey=wk_nope").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.error_code(), "invalid_write_key");
    assert!(reply.header("etag").is_none());

    let reply = s.get("/v1/config").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.error_code(), "missing_write_key");

    let reply = s.get("/v1/config?writeKey=").await;
    assert_eq!(reply.error_code(), "missing_write_key");
}

#[tokio::test]
async fn a_source_without_config_is_404_with_a_json_error() {
    let s = Setup::new();
    let reply = s.get("/v1/config?writeKey=wk_blog").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.error_code(), "no_config");
    assert_eq!(
        reply.json()["error"]["message"],
        "source \"blog\" has no config"
    );
}

#[tokio::test]
async fn an_invalid_config_is_503_naming_the_rule() {
    let s = Setup::new();
    s.write_config(
        r#"{"segments": {"buyer": "count(\"Order Completed\") >= 1", "typo": "cout(\"A\") > 1"}}"#,
    );
    let reply = s.get("/v1/config?writeKey=wk_shop").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert!(reply.header("etag").is_none());
    let error = &reply.json()["error"];
    assert_eq!(error["code"], "invalid_config");
    assert_eq!(
        error["message"],
        "config configs/shop.json: 1 error; it is not served"
    );
    let diagnostics = error["diagnostics"].as_str().unwrap();
    // Reported under the name in the sources file, at the rule: `segments.typo`.
    assert!(
        diagnostics.starts_with("configs/shop.json:segments.typo:"),
        "{diagnostics}"
    );
    assert!(diagnostics.contains("cout"), "{diagnostics}");
    assert!(
        !diagnostics.contains(s.dir.path().to_str().unwrap()),
        "no server paths: {diagnostics}"
    );

    // Fixed in place: served again without a restart.
    s.write_config(GOOD);
    let reply = s.get("/v1/config?writeKey=wk_shop").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.header("wayline-config-fault").is_none());
}

#[tokio::test]
async fn a_file_broken_after_it_was_served_falls_back_to_the_config_last_served() {
    let s = Setup::new();
    let good = s.get("/v1/config?writeKey=wk_shop").await;
    assert_eq!(good.status, StatusCode::OK);
    let etag = good.header("etag").unwrap().to_owned();

    // A typo: a new visitor still gets the last good config, marked as such.
    s.write_config(r#"{"segments": {"typo": "cout(\"A\") > 1"}}"#);
    let reply = s.get("/v1/config?writeKey=wk_shop").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(body_text(&reply), compiled(GOOD));
    assert_eq!(reply.header("etag"), Some(etag.as_str()));
    assert_eq!(reply.header("wayline-config-fault"), Some("invalid_config"));
    // A returning visitor revalidates the copy it holds.
    let reply = s
        .get_with(
            "/v1/config?writeKey=wk_shop",
            &[("if-none-match", etag.as_str())],
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_MODIFIED);
    assert_eq!(reply.header("wayline-config-fault"), Some("invalid_config"));

    // Mid-deploy, the file is gone or half written.
    std::fs::remove_file(s.config_path()).unwrap();
    let reply = s.get("/v1/config?writeKey=wk_shop").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(body_text(&reply), compiled(GOOD));
    assert_eq!(
        reply.header("wayline-config-fault"),
        Some("config_unreadable")
    );

    // The next good file replaces it, and is what a later break falls back to.
    s.write_config(ALSO_GOOD);
    let reply = s.get("/v1/config?writeKey=wk_shop").await;
    assert_eq!(body_text(&reply), compiled(ALSO_GOOD));
    assert!(reply.header("wayline-config-fault").is_none());
    s.write_config("{\"segments\": {");
    let reply = s.get("/v1/config?writeKey=wk_shop").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(body_text(&reply), compiled(ALSO_GOOD));

    // Only the source's own config: a source never served stays a 503.
    let reply = s.get("/v1/config?writeKey=wk_lost").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn a_config_that_is_not_json_or_not_an_object_is_503() {
    let s = Setup::new();
    for (text, expected) in [
        ("{\"segments\": {", "not valid JSON"),
        ("[1, 2]", "not an array"),
        ("", "not valid JSON"),
    ] {
        s.write_config(text);
        let reply = s.get("/v1/config?writeKey=wk_shop").await;
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{text}");
        let error = &reply.json()["error"];
        assert_eq!(error["code"], "invalid_config", "{text}");
        let diagnostics = error["diagnostics"].as_str().unwrap();
        assert!(diagnostics.contains(expected), "{text}: {diagnostics}");
    }
}

#[tokio::test]
async fn a_missing_or_unreadable_config_is_503() {
    let s = Setup::new();
    let reply = s.get("/v1/config?writeKey=wk_lost").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.error_code(), "config_unreadable");
    let message = reply.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.starts_with("config configs/missing.json cannot be read: "),
        "{message}"
    );

    // Deleted while running, then put back.
    std::fs::remove_file(s.config_path()).unwrap();
    let reply = s.get("/v1/config?writeKey=wk_shop").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.error_code(), "config_unreadable");
    s.write_config(GOOD);
    assert_eq!(
        s.get("/v1/config?writeKey=wk_shop").await.status,
        StatusCode::OK
    );
}

/// Bytes that are not UTF-8 (a file saved as Latin-1) are read as U+FFFD, as a browser's `response.text()` reads
/// them, and the config is served so read (with a warning on stderr, as `wayline check` gives it), where the file
/// was refused as unreadable.
#[tokio::test]
async fn a_config_with_bytes_that_are_not_utf8_is_served_with_u_fffd_in_their_place() {
    let s = Setup::new();
    std::fs::write(
        s.config_path(),
        b"{\"segments\": {\"a\": \"traits.shop == \\\"Caf\xe9\\\"\"}}",
    )
    .unwrap();
    let reply = s.get("/v1/config?writeKey=wk_shop").await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = String::from_utf8(reply.body.clone()).unwrap();
    assert!(body.contains("Caf\u{FFFD}"), "{body}");
}

#[tokio::test]
async fn cors_preflight_and_headers() {
    let s = Setup::new();
    // The SDK revalidates with the tag it stored, which a browser preflights.
    let reply =
        s.h.preflight(
            "/v1/config?writeKey=wk_shop",
            SHOP_ORIGIN,
            "GET",
            Some("if-none-match"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some(SHOP_ORIGIN)
    );
    assert_eq!(
        reply.header("access-control-allow-methods"),
        Some("POST, GET, OPTIONS")
    );
    let allowed = reply.header("access-control-allow-headers").unwrap();
    assert!(allowed.contains("If-None-Match"), "{allowed}");
    assert!(allowed.contains("Authorization"), "{allowed}");
    assert_eq!(reply.header("vary"), Some("Origin"));

    // A page on an origin no source lists passes the preflight (which grants nothing), so that its revalidation
    // reaches the handler and reads the 403 that refuses it, rather than failing as a network error.
    let reply =
        s.h.preflight(
            "/v1/config?writeKey=wk_shop",
            "https://evil.example",
            "GET",
            Some("if-none-match"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://evil.example")
    );
    let reply = s
        .get_with(
            "/v1/config?writeKey=wk_shop",
            &[
                ("origin", "https://evil.example"),
                ("if-none-match", "\"x\""),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://evil.example")
    );
    // The reports are for no page: their preflight grants an unlisted origin nothing.
    let reply =
        s.h.preflight(
            "/v1/reports?readKey=rk",
            "https://evil.example",
            "GET",
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(reply.header("access-control-allow-origin"), None);

    // The config itself: the origin echoed and the ETag readable by the page.
    let reply = s
        .get_with("/v1/config?writeKey=wk_shop", &[("origin", SHOP_ORIGIN)])
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some(SHOP_ORIGIN)
    );
    let exposed = reply.header("access-control-expose-headers").unwrap();
    assert!(exposed.split(',').any(|h| h.trim() == "ETag"), "{exposed}");
    assert_eq!(reply.header("vary"), Some("Origin"));
    let etag = reply.header("etag").unwrap().to_owned();
    let reply = s
        .get_with(
            "/v1/config?writeKey=wk_shop",
            &[("origin", SHOP_ORIGIN), ("if-none-match", etag.as_str())],
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_MODIFIED);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some(SHOP_ORIGIN)
    );

    // Another source's origin is known (so the page can read the refusal) but may not use
    // this key, as on the ingest API.
    let reply = s
        .get_with("/v1/config?writeKey=wk_shop", &[("origin", BLOG_ORIGIN)])
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.error_code(), "origin_not_allowed");
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some(BLOG_ORIGIN)
    );
    assert!(reply.header("etag").is_none());

    // An origin no source allows: refused, and the page may read the refusal (its SDK reports it), nothing more.
    let reply = s
        .get_with(
            "/v1/config?writeKey=wk_shop",
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.error_code(), "origin_not_allowed");
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://evil.example")
    );
    assert!(reply.header("etag").is_none());
}

#[tokio::test]
async fn only_get_and_head() {
    let s = Setup::new();
    let reply =
        s.h.send(
            Request::post("/v1/config?writeKey=wk_shop")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    let reply =
        s.h.send(
            Request::head("/v1/config?writeKey=wk_shop")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.is_empty());
    assert!(reply.header("etag").is_some());
}

#[tokio::test]
async fn the_report_and_the_dashboard_say_when_the_file_is_not_served_and_what_is_instead() {
    let s = Setup::new();
    let auth = [("authorization", "Bearer rk_shop")];
    let config = |reply: &Reply| reply.json()["config"].clone();

    // Before any config was served, a broken file leaves visitors with none.
    s.write_config(r#"{"segments": {"typo": "cout(\"<A>\") > 1"}}"#);
    let status = config(&s.get_with("/v1/reports", &auth).await);
    assert_eq!(status["ok"], false);
    assert_eq!(status["code"], "invalid_config");
    assert_eq!(status["file"], "configs/shop.json");
    assert!(status["diagnostics"].as_str().unwrap().contains("cout"));
    assert_eq!(status["servedInstead"], Value::Null);
    let page = s.get_with("/dashboard", &auth).await;
    let html = body_text(&page);
    assert!(html.contains("The config file is not served"), "{html}");
    assert!(html.contains("Visitors get no config"), "{html}");
    assert!(
        html.contains("cout(&quot;&lt;A&gt;&quot;)"),
        "escaped: {html}"
    );

    // Good: served, and said so.
    s.write_config(GOOD);
    let etag = s
        .get("/v1/config?writeKey=wk_shop")
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    let status = config(&s.get_with("/v1/reports", &auth).await);
    assert_eq!(status["ok"], true);
    assert_eq!(status["etag"], etag.as_str());
    assert!(!body_text(&s.get_with("/dashboard", &auth).await).contains("not served"));

    // Broken after that: the last good one is served instead.
    s.write_config("{");
    let status = config(&s.get_with("/v1/reports", &auth).await);
    assert_eq!(status["ok"], false);
    assert_eq!(status["servedInstead"], etag.as_str());
    let html = body_text(&s.get_with("/dashboard", &auth).await).to_owned();
    assert!(
        html.contains("served the config last served instead"),
        "{html}"
    );
}

/// A config with one survey campaign, `nps`, asking one question, `score`, of this kind.
fn survey_config(kind: &str) -> String {
    format!(
        r#"{{"campaigns": [{{"id": "nps", "trigger": {{"event": "Checkout"}},
            "action": {{"type": "survey", "questions": [{{"id": "score", "type": "{kind}", "text": "Recommend us?"}}]}}}}]}}"#
    )
}

impl Setup {
    /// Serves [`survey_config`] of this kind (an SDK fetched it) and stores an answer to it.
    async fn serve_survey_with_an_answer(&self, kind: &str) {
        self.write_config(&survey_config(kind));
        let fetched = self.get("/v1/config?writeKey=wk_shop").await;
        assert_eq!(fetched.status, StatusCode::OK);
        self.store_answer_of_10().await;
    }

    /// The report on November 2026.
    async fn november_report(&self) -> Reply {
        let auth = [("authorization", "Bearer rk_shop")];
        self.get_with("/v1/reports?from=2026-11-01&to=2026-11-30", &auth)
            .await
    }

    /// Stores a visitor's answer 10 to the `nps` campaign's `score` question (November 2026).
    async fn store_answer_of_10(&self) {
        let answer = json!({"type": "track", "event": "Survey Answered", "messageId": "m-1", "anonymousId": "a-1",
            "timestamp": "2026-11-25T10:00:00Z", "properties": {"campaign": "nps", "question": "score", "answer": 10}});
        let batch = json!({"batch": [answer], "writeKey": "wk_shop"}).to_string();
        let request = Request::post("/v1/batch")
            .header("content-type", "application/json")
            .body(Body::from(batch))
            .unwrap();
        assert_eq!(self.h.send(request).await.status, StatusCode::OK);
    }
}

/// The report reads question kinds and stage order from the config: while the file is broken, from the config
/// last checked good (the one served in its place), so an NPS score does not vanish with a typo.
#[tokio::test]
async fn while_the_file_is_broken_the_report_reads_the_config_last_checked_good() {
    let s = Setup::new();
    s.serve_survey_with_an_answer("nps").await;
    let score = |reply: &Reply| reply.json()["surveys"][0].clone();
    let good = score(&s.november_report().await);
    assert_eq!(good["kind"], "nps");
    assert_eq!(good["nps"]["score"], 100);

    s.write_config("{");
    let reply = s.november_report().await;
    assert_eq!(reply.json()["config"]["ok"], false);
    assert_eq!(score(&reply), good);
}

/// A config edited to another good version that SDKs fetched while no report was read, then broken: the report
/// reads the version served in its place (the last one checked good), not the one a report last read.
#[tokio::test]
async fn while_the_file_is_broken_the_report_reads_the_version_served_in_its_place() {
    let s = Setup::new();
    s.serve_survey_with_an_answer("rating").await;
    let kind = |reply: &Reply| reply.json()["surveys"][0]["kind"].clone();
    assert_eq!(kind(&s.november_report().await), "rating");

    // The question becomes an NPS one; SDKs fetch it, no report is read meanwhile.
    s.write_config(&survey_config("nps"));
    let fetched = s.get("/v1/config?writeKey=wk_shop").await;
    assert_eq!(fetched.status, StatusCode::OK);
    s.write_config("{");
    let reply = s.november_report().await;
    assert_eq!(reply.json()["config"]["ok"], false);
    assert_eq!(
        reply.json()["config"]["servedInstead"],
        fetched.header("etag").unwrap()
    );
    assert_eq!(kind(&reply), "nps");
}

/// Review: a config whose write to `served_configs` failed is never written again (the in-memory copy was updated
/// before the write), so the database keeps no (or an older) last good config.
#[tokio::test]
async fn a_failed_write_of_the_last_good_config_is_retried() {
    let s = Setup::new();
    let db = s.h.db.clone();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("DROP TABLE served_configs").unwrap();
    // Served, but the write fails (reported on stderr).
    assert_eq!(
        s.get("/v1/config?writeKey=wk_shop").await.status,
        StatusCode::OK
    );
    conn.execute_batch(
        "CREATE TABLE served_configs (source TEXT PRIMARY KEY, etag TEXT NOT NULL, body TEXT NOT NULL) WITHOUT ROWID",
    )
    .unwrap();
    // The database is back: requests for the same good file.
    for _ in 0..3 {
        assert_eq!(
            s.get("/v1/config?writeKey=wk_shop").await.status,
            StatusCode::OK
        );
    }
    let rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM served_configs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        rows, 1,
        "the last good config was never kept in the database"
    );
}
