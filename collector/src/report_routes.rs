//! `GET /v1/reports` (the report as JSON) and `GET /dashboard` (the same report drawn as a page), for a source
//! named by its read key: the HTTP Basic user name (a browser asks for it on the dashboard) or a Bearer token.
//! The range and goal come from the query (`from`, `to`, `goal`, `window`; see [`ReportQuery`]).

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::path::Path;

use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::config::Source;
use crate::dashboard;
use crate::error::ApiError;
use crate::http::{basic_auth_user, json_response, AppState};
use crate::remote_config;
use crate::reports::{self, ConfigOutline, ReportQuery};

pub async fn json(state: State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    match report(&state, &headers, &uri).await {
        Ok(report) => json_response(StatusCode::OK, &report),
        Err(err) => refused(err),
    }
}

/// A report that could not be answered. Its reader's failures (the database missing, unreadable or corrupt) are the
/// operator's to see, as ingest's are: the client's `500` alone left them in no log.
fn refused(err: ApiError) -> Response {
    if err.status().is_server_error() {
        eprintln!("wayline: {err}");
    }
    err.into_response()
}

pub async fn page(state: State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    match report(&state, &headers, &uri).await {
        Ok(report) => (
            StatusCode::OK,
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                // The page runs no script and loads nothing but itself: an injection escaping missed could not
                // run, and no other site may frame a page behind the read key.
                (
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(
                        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; \
                         frame-ancestors 'none'; base-uri 'none'",
                    ),
                ),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
                (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
            ],
            dashboard::render(&report),
        )
            .into_response(),
        Err(err) => refused(err),
    }
}

fn read_source<'a>(state: &'a AppState, headers: &HeaderMap) -> Result<&'a Source, ApiError> {
    let key = basic_auth_user(headers)
        .or_else(|| bearer(headers))
        .ok_or(ApiError::MissingReadKey)?;
    state
        .sources
        .by_read_key(&key)
        .ok_or(ApiError::UnknownReadKey)
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

async fn report(state: &AppState, headers: &HeaderMap, uri: &Uri) -> Result<Value, ApiError> {
    let source = read_source(state, headers)?;
    let today = OffsetDateTime::now_utc().date();
    let query = ReportQuery::parse(uri.query().unwrap_or_default(), today)
        .map_err(ApiError::InvalidQuery)?;
    let config = config_status(state, source).await;
    let store = state.store.clone();
    let name = source.name.clone();
    let config_path = source.config.as_ref().map(|file| file.path.clone());
    let mut report = tokio::task::spawn_blocking(move || {
        // The config names segments, stage order and question kinds; a missing or unreadable one only makes the
        // report plainer. (Read here, off the request threads, as the database is.)
        let outline = config_path
            .map(|path| outline_of(&path))
            .unwrap_or_default();
        let mut conn = store
            .reader()
            .map_err(|err| ApiError::ReportFailed(err.to_string()))?;
        reports::build(&mut conn, &name, &query, &outline)
            .map_err(|err| ApiError::ReportFailed(err.to_string()))
    })
    .await
    .map_err(|err| ApiError::ReportFailed(err.to_string()))??;
    report["config"] = config;
    Ok(report)
}

/// The outline of the config file at `path`: of the text last checked good (the file as it is when it is good, else
/// the version served in its place, see [`remote_config::last_good_outline`]), else of its text as it is (a file
/// that never passed the check while this collector ran).
fn outline_of(path: &Path) -> ConfigOutline {
    remote_config::last_good_outline(path).unwrap_or_else(|| {
        std::fs::read_to_string(path)
            .map(|text| ConfigOutline::from_text(&text))
            .unwrap_or_default()
    })
}

/// Whether the source's config file is served, for the operator (who otherwise hears of a broken file only on the
/// collector's standard error): `null` without a config file; else the file's name and `ok`, with the tag served,
/// or the fault (`code`, `message`, `diagnostics`) and `servedInstead`, the tag of the last good config SDKs are
/// served in its place (`null`: none, they get a 503).
async fn config_status(state: &AppState, source: &Source) -> Value {
    let Some(file) = source.config.clone() else {
        return Value::Null;
    };
    let name = file.name.clone();
    let (loaded, fresh) = remote_config::load_off_runtime(file).await;
    match loaded {
        Ok(served) => json!({"file": name, "ok": true, "etag": served.etag}),
        Err(fault) => {
            let instead = state.last_good.find(&state.store, &source.name).await;
            // The request that meets a broken version first tells the operator's log, as `GET /v1/config` would
            // have: a report read before any SDK asked (a dashboard open, a monitor) must not keep it from the log.
            if fresh {
                remote_config::log_fault(&fault, instead.as_ref());
            }
            json!({
                "file": name,
                "ok": false,
                "code": fault.code(),
                "message": fault.to_string(),
                "diagnostics": fault.diagnostics(),
                "servedInstead": instead.map(|served| served.etag),
            })
        }
    }
}
