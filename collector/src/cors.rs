//! CORS for every response: preflights are answered here, and an origin that some source
//! allows gets `Access-Control-Allow-Origin` echoed back. Whether that origin may use a
//! particular write key is decided by the ingest handler (403), because a preflight carries
//! no body and so no key.
//!
//! Some answers are readable by every origin ([`AnyOrigin`]): the SDK's files under `/sdk/`,
//! which are public (a site loads them from the collector before any source lists it, as from a
//! CDN); the 403 that refuses an origin, so that the SDK on a page its source does not list reads
//! the refusal and says so, rather than seeing a network error and retrying it for as long as the
//! page stays open; and the preflight of the SDK's own endpoints ([`sdk_endpoint`]), which carries
//! no data and grants nothing but the request itself, so that a preflighted request of the SDK's
//! (its config revalidated with `If-None-Match`) reaches the handler that refuses it readably.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::http::AppState;

const ALLOW_METHODS: &str = "POST, GET, OPTIONS";
/// `If-None-Match`: the SDK revalidates its cached config (`GET /v1/config`) with the ETag
/// it stored.
const ALLOW_HEADERS: &str = "Content-Type, Authorization, Content-Encoding, If-None-Match";
/// Lets the SDK read `Retry-After` on 503 and honour it, and the config's `ETag` to
/// revalidate it later.
const EXPOSE_HEADERS: &str = "Retry-After, ETag";
/// How long a browser may cache a preflight answer, in seconds.
const MAX_AGE: &str = "86400";

/// A response extension: the answer may be read by a page on any origin (see the module's docs).
#[derive(Clone, Copy, Debug)]
pub struct AnyOrigin;

pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let allowed_origin = origin.clone().filter(|origin| {
        origin
            .to_str()
            .is_ok_and(|origin| state.sources.any_allows_origin(origin))
    });

    let mut response = if request.method() == Method::OPTIONS {
        let mut response = preflight().await;
        if sdk_endpoint(request.uri().path()) {
            response.extensions_mut().insert(AnyOrigin);
        }
        response
    } else {
        next.run(request).await
    };

    let readable_origin = if response.extensions().get::<AnyOrigin>().is_some() {
        origin
    } else {
        allowed_origin
    };
    let headers = response.headers_mut();
    // Responses differ by Origin, so shared caches must key on it.
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = readable_origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
    }
    response
}

/// The endpoints a page's SDK calls: the ingest routes and `/v1/config` (not `/v1/reports`, the
/// dashboard or `/health`, which no page of a site needs to call).
fn sdk_endpoint(path: &str) -> bool {
    path.strip_prefix("/v1/")
        .is_some_and(|rest| !rest.is_empty() && rest != "reports")
}

/// On other paths, a disallowed origin gets the same 204 without `Access-Control-Allow-Origin`, which the
/// browser treats as a refusal.
///
/// Also the `OPTIONS` handler of every route (see `http::router`), so that a 405's `Allow` names it: the layer
/// answers first, on every path, so that handler is only what the route declares.
pub(crate) async fn preflight() -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            (header::ACCESS_CONTROL_ALLOW_METHODS, ALLOW_METHODS),
            (header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS),
            (header::ACCESS_CONTROL_MAX_AGE, MAX_AGE),
            (header::ALLOW, ALLOW_METHODS),
        ],
    )
        .into_response()
}
