//! Routes and the ingest handler (the config endpoint is [`remote_config`]).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Router};
use base64::Engine;
use serde_json::{json, Value};

use crate::config::{Source, Sources};
use crate::error::ApiError;
use crate::ingest::{self, Endpoint, Envelope, MessageType};
use crate::store::{InsertOutcome, Store, Writes};
use crate::{body, clock, cors, remote_config, report_routes, static_files};

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub sources: Arc<Sources>,
    pub store: Store,
    pub www_dir: Arc<PathBuf>,
    pub sdk_dir: Arc<PathBuf>,
    /// The config last served for each source, served while its file is broken.
    pub last_good: Arc<remote_config::LastGood>,
}

/// The routes. Each names `OPTIONS` among its methods, answered by [`cors::layer`] before routing (a preflight, on
/// every path), so that a 405's `Allow` lists every method the route answers: `POST, OPTIONS` on the ingest routes,
/// `GET, HEAD, OPTIONS` on the others (as on the static files).
pub fn router(state: AppState) -> Router {
    let batch = post(|s: State<AppState>, h: HeaderMap, b: Body| ingest(s, h, b, Endpoint::Batch))
        .options(cors::preflight);
    let mut router = Router::new()
        .route("/v1/batch", batch.clone())
        // Segment's endpoint for batches of historical messages, where older server libraries post.
        .route("/v1/import", batch)
        .route(
            "/v1/config",
            get(remote_config::serve).options(cors::preflight),
        )
        .route(
            "/v1/reports",
            get(report_routes::json).options(cors::preflight),
        )
        .route(
            "/dashboard",
            get(report_routes::page).options(cors::preflight),
        )
        .route("/health", get(health).options(cors::preflight));
    for kind in MessageType::ALL {
        router = router.route(
            &format!("/v1/{}", kind.as_str()),
            post(move |s: State<AppState>, h: HeaderMap, b: Body| {
                ingest(s, h, b, Endpoint::Single(kind))
            })
            .options(cors::preflight),
        );
    }
    router
        .fallback(static_files::serve)
        .layer(middleware::from_fn_with_state(state.clone(), cors::layer))
        .with_state(state)
}

async fn health() -> Response {
    json_response(StatusCode::OK, &json!({"ok": true}))
}

async fn ingest(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
    endpoint: Endpoint,
) -> Response {
    match handle(&state, &headers, body, endpoint).await {
        Ok(response) => response,
        Err(err) => {
            // Client errors are the client's to see; server-side failures need an operator.
            if err.status().is_server_error() {
                eprintln!("wayline: {err}");
            }
            err.into_response()
        }
    }
}

async fn handle(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    endpoint: Endpoint,
) -> Result<Response, ApiError> {
    // Taken before the body is read so that slow uploads do not shift event times.
    let received_at = clock::now();
    let bytes: Bytes = body::read(headers, body).await?;
    let (value, unreadable) = match serde_json::from_slice(&bytes) {
        Ok(value) => (value, Vec::new()),
        Err(err) => {
            // Only a body that fails is repaired: an unpaired surrogate escape, or bytes that are
            // not UTF-8, cost the one character, and a number beyond a double's range its message,
            // not the request's events.
            let repaired = body::repaired(&bytes);
            let text = repaired.as_deref().unwrap_or(&bytes);
            match serde_json::from_slice(text) {
                Ok(value) => (value, Vec::new()),
                Err(again) => match endpoint {
                    Endpoint::Batch => ingest::read_batch_leniently(text),
                    Endpoint::Single(_) => None,
                }
                .ok_or_else(|| {
                    ApiError::MalformedJson(
                        if repaired.is_some() { again } else { err }.to_string(),
                    )
                })?,
            }
        }
    };
    let mut envelope =
        Envelope::from_body(value, endpoint).map_err(|err| ApiError::InvalidBody(err.0))?;
    envelope.unreadable = unreadable;

    let source = authenticate(state, headers, envelope.write_key.as_deref())?;
    check_origin(source, headers)?;

    // Only past authentication: a refused request records nothing, drop report included.
    let drops = std::mem::take(&mut envelope.drops);
    let results = ingest::normalise_all(envelope, received_at)
        .map_err(|ingest::MergedTooLarge| ApiError::MergedBatchTooLarge)?;
    let mut events = Vec::with_capacity(results.len());
    let mut errors = Vec::new();
    let mut rejected_count = 0usize;
    let mut rejected: BTreeMap<&'static str, i64> = BTreeMap::new();
    for (index, result) in results.into_iter().enumerate() {
        match result {
            Ok(event) => events.push(event),
            Err(rejection) => {
                *rejected.entry(rejection.code()).or_default() += 1;
                rejected_count += 1;
                // Listing every one would answer a small body of bad messages with megabytes.
                if errors.len() < ingest::MAX_LISTED_ERRORS {
                    errors.push(json!({
                        "index": index,
                        "code": rejection.code(),
                        "message": rejection.message(),
                    }));
                }
            }
        }
    }
    let writes = Writes {
        events,
        rejected: rejected.into_iter().collect(),
        drops,
        ..Writes::default()
    };
    let outcome = if writes.is_empty() {
        InsertOutcome::default()
    } else {
        state
            .store
            .insert(&source.name, writes)
            .await
            .map_err(|err| ApiError::Storage(err.to_string()))?
    };

    Ok(json_response(
        StatusCode::OK,
        &json!({
            "ok": true,
            "accepted": outcome.accepted,
            "duplicates": outcome.duplicates,
            "rejected": rejected_count,
            "errors": errors,
        }),
    ))
}

/// The write key comes from the body (`writeKey`, as the browser SDK sends it, since
/// `sendBeacon` cannot set headers; for `GET /v1/config`, the query) or from HTTP Basic auth
/// with the key as user name (as Segment's server libraries send it).
pub(crate) fn authenticate<'a>(
    state: &'a AppState,
    headers: &HeaderMap,
    body_key: Option<&str>,
) -> Result<&'a Source, ApiError> {
    let header_key = basic_auth_user(headers);
    let key = body_key
        .filter(|key| !key.is_empty())
        .or(header_key.as_deref())
        .ok_or(ApiError::MissingWriteKey)?;
    state
        .sources
        .by_write_key(key)
        .ok_or(ApiError::UnknownWriteKey)
}

pub(crate) fn basic_auth_user(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let user = decoded
        .split_once(':')
        .map_or(decoded.as_str(), |(user, _)| user);
    (!user.is_empty()).then(|| user.to_owned())
}

/// A browser always sends `Origin` on a cross-origin POST; a page on another site must not
/// be able to write into this source. Requests without `Origin` (servers, same-origin
/// navigations) carry no such claim and are not checked.
pub(crate) fn check_origin(source: &Source, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or("");
    if source.allows_origin(origin) {
        Ok(())
    } else {
        Err(ApiError::OriginNotAllowed(origin.to_owned()))
    }
}

/// Whether a request's `If-None-Match` matches `etag`: `*`, or a list of tags in one or more
/// fields, compared weakly (RFC 9110 §13.1.2), so `W/"…"` matches too.
pub(crate) fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|list| list.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

pub fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_lists_star_and_weak_tags() {
        let tag = "\"abc\"";
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static(value));
            if_none_match(&headers, tag)
        };
        assert!(!if_none_match(&HeaderMap::new(), tag));
        assert!(with("\"abc\""));
        assert!(with("\"x\", \"abc\""));
        assert!(with("W/\"abc\""));
        assert!(with("*"));
        assert!(!with("\"abcd\""));
        assert!(!with("abc"));
    }

    #[test]
    fn basic_auth_user_is_the_write_key() {
        let mut headers = HeaderMap::new();
        assert_eq!(basic_auth_user(&headers), None);
        // base64("wk_demo:")
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic d2tfZGVtbzo="),
        );
        assert_eq!(basic_auth_user(&headers).as_deref(), Some("wk_demo"));
        // base64("wk_demo") without the colon, as some clients send it.
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("basic d2tfZGVtbw=="),
        );
        assert_eq!(basic_auth_user(&headers).as_deref(), Some("wk_demo"));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer d2tfZGVtbzo="),
        );
        assert_eq!(basic_auth_user(&headers), None);
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert_eq!(basic_auth_user(&headers), None);
    }
}
