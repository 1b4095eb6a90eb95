//! An in-process collector on a temporary database, and helpers to talk to it.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::{json, Value};
use tempfile::TempDir;
use tower::ServiceExt;
use wayline_collector::config::Sources;
use wayline_collector::store::{self, Writer};
use wayline_collector::{router, AppState};

pub struct Harness {
    pub app: Router,
    pub dir: TempDir,
    pub db: PathBuf,
    _writer: Writer,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|err| {
            panic!(
                "body is not JSON ({err}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    pub fn error_code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap().to_owned()
    }
}

impl Harness {
    pub fn new() -> Self {
        Self::with_sources(Sources::demo().unwrap())
    }

    pub fn with_sources(sources: Sources) -> Self {
        Self::with_database(sources, None)
    }

    /// The collector on a given database (`--db`: a file or a `postgres://` URL); `None` is a fresh SQLite file.
    pub fn with_database(sources: Sources, database: Option<PathBuf>) -> Self {
        Self::build(sources, |dir| {
            database.unwrap_or_else(|| dir.join("events.db"))
        })
    }

    /// The collector with its SQLite file inside the directory it serves at `/`, as
    /// `wayline serve --www .` has it.
    pub fn with_database_in_www() -> Self {
        Self::build(Sources::demo().unwrap(), |dir| {
            dir.join("www/wayline-events")
        })
    }

    /// `database` picks the `--db` given the temporary directory.
    fn build(sources: Sources, database: impl FnOnce(&Path) -> PathBuf) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = database(dir.path());
        let www = dir.path().join("www");
        let sdk = dir.path().join("sdk");
        std::fs::create_dir_all(www.join("shop")).unwrap();
        std::fs::create_dir_all(&sdk).unwrap();
        std::fs::write(www.join("index.html"), "<!doctype html><title>home</title>").unwrap();
        std::fs::write(
            www.join("pricing.html"),
            "<!doctype html><title>pricing</title>",
        )
        .unwrap();
        std::fs::write(
            www.join("shop/index.html"),
            "<!doctype html><title>shop</title>",
        )
        .unwrap();
        std::fs::write(sdk.join("wayline_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
        std::fs::write(sdk.join("wayline.js"), "export {};\n").unwrap();
        std::fs::write(dir.path().join("secret.txt"), "secret").unwrap();

        let (store, writer) = store::open(&db).unwrap();
        let app = router(AppState {
            sources: Arc::new(sources),
            store,
            www_dir: Arc::new(www),
            sdk_dir: Arc::new(sdk),
            last_good: Arc::default(),
        });
        Self {
            app,
            dir,
            db,
            _writer: writer,
        }
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// POSTs a body as the browser SDK does: `text/plain`, no preflight.
    pub async fn post(&self, path: &str, body: impl Into<Body>) -> Reply {
        self.send(
            Request::post(path)
                .header("content-type", "text/plain;charset=UTF-8")
                .body(body.into())
                .unwrap(),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    /// A browser's CORS preflight from `origin` for a `method` request to `path`, asking for `headers` if any.
    pub async fn preflight(
        &self,
        path: &str,
        origin: &str,
        method: &str,
        headers: Option<&str>,
    ) -> Reply {
        let mut request = Request::options(path)
            .header("origin", origin)
            .header("access-control-request-method", method);
        if let Some(headers) = headers {
            request = request.header("access-control-request-headers", headers);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    /// Every stored event, in receive order.
    pub fn events(&self) -> Vec<Value> {
        store::read_events(&self.db)
            .unwrap()
            .iter()
            .map(|body| serde_json::from_str(body).unwrap())
            .collect()
    }

    pub fn rejected(&self, source: &str, code: &str) -> i64 {
        store::rejected_counts(&self.db)
            .unwrap()
            .get(&(source.to_owned(), code.to_owned()))
            .copied()
            .unwrap_or(0)
    }
    /// The `client_drops` rows as (source, reason, count), sorted.
    pub fn drops(&self) -> Vec<(String, String, i64)> {
        store::client_drops(&self.db)
            .unwrap()
            .into_iter()
            .map(|row| (row.source, row.reason, row.count))
            .collect()
    }
}

pub fn track(message_id: &str) -> Value {
    json!({
        "type": "track",
        "event": "Product Viewed",
        "messageId": message_id,
        "anonymousId": "anon-1",
        "timestamp": "2026-11-25T15:52:00.000Z",
        "properties": {"sku": "W-1", "price": 19.5},
        "context": {"library": {"name": "wayline", "version": "0.1.0"}},
    })
}

pub fn batch(messages: Vec<Value>) -> String {
    json!({"batch": messages, "sentAt": "2026-11-25T15:52:03.000Z", "writeKey": "wk_demo"})
        .to_string()
}

/// A batch carrying a drop report in its batch-level context.
pub fn batch_reporting(messages: Vec<Value>, dropped: Value) -> String {
    json!({"batch": messages, "context": {"wayline": {"dropped": dropped}},
        "sentAt": "2026-11-25T15:52:03.000Z", "writeKey": "wk_demo"})
    .to_string()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// Runs `wayline serve`, then `count`, `events` and `drops`, on `db` (a SQLite path or a PostgreSQL URL) whose
/// schema a newer collector wrote (version 99): serve refuses it, and each command refuses it as serve does (exit
/// 1, serve's message on stderr, nothing on stdout).
pub fn assert_every_command_refuses_a_newer_schema(db: &std::ffi::OsStr) {
    let wayline = env!("CARGO_BIN_EXE_wayline");
    let serve = std::process::Command::new(wayline)
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(db)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let serve_stderr = String::from_utf8(serve.stderr).unwrap();
    assert_eq!(serve.status.code(), Some(1), "{serve_stderr}");
    assert!(
        serve_stderr.contains("database schema version 99 is newer than this collector supports"),
        "{serve_stderr}"
    );
    for command in ["count", "events", "drops"] {
        let output = std::process::Command::new(wayline)
            .args([command, "--db"])
            .arg(db)
            .output()
            .unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(1), "{command}: {stderr}");
        assert!(output.stdout.is_empty(), "{command}");
        assert_eq!(stderr, serve_stderr, "{command}");
    }
}
