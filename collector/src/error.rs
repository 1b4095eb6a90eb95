//! Request-level failures and how they look on the wire: a status code and
//! `{"error":{"code":"…","message":"…"}}`. A request that fails this way stores nothing.

use std::fmt;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::body::{BODY_READ_TIMEOUT, MAX_REQUEST_BYTES};
use crate::http::json_response;
use crate::ingest::MAX_MERGED_BATCH_BYTES;

#[derive(Debug)]
pub enum ApiError {
    /// The wire body, or the body after gzip decompression, is over the limit.
    PayloadTooLarge {
        decompressed: bool,
    },
    /// The batch's messages with the batch-level `context` and `integrations` merged into each
    /// are over [`MAX_MERGED_BATCH_BYTES`] in all.
    MergedBatchTooLarge,
    MalformedJson(String),
    InvalidBody(String),
    InvalidGzip(String),
    UnsupportedEncoding(String),
    UnsupportedMediaType(String),
    /// The body could not be read (the client went away mid-request).
    BodyRead(String),
    /// The body did not arrive in full within [`BODY_READ_TIMEOUT`].
    BodyTimeout,
    MissingWriteKey,
    UnknownWriteKey,
    OriginNotAllowed(String),
    /// Reports need the source's read key (HTTP Basic user name or Bearer token).
    MissingReadKey,
    UnknownReadKey,
    /// A report's query parameters are out of range or malformed.
    InvalidQuery(String),
    /// The database could not be read for a report.
    ReportFailed(String),
    /// `GET /v1/config` asked for a compiled format (the SDK's) other than the one this collector serves.
    UnsupportedConfigFormat(String),
    /// The database could not take the write; the client should retry later.
    Storage(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::PayloadTooLarge { .. } | Self::MergedBatchTooLarge => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Self::MalformedJson(_)
            | Self::InvalidBody(_)
            | Self::InvalidGzip(_)
            | Self::BodyRead(_)
            | Self::InvalidQuery(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedEncoding(_) | Self::UnsupportedMediaType(_) => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            Self::MissingWriteKey
            | Self::UnknownWriteKey
            | Self::MissingReadKey
            | Self::UnknownReadKey => StatusCode::UNAUTHORIZED,
            Self::OriginNotAllowed(_) => StatusCode::FORBIDDEN,
            Self::UnsupportedConfigFormat(_) => StatusCode::NOT_ACCEPTABLE,
            Self::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::ReportFailed(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::PayloadTooLarge { .. } | Self::MergedBatchTooLarge => "payload_too_large",
            Self::MalformedJson(_) => "malformed_json",
            Self::InvalidBody(_) => "invalid_body",
            Self::InvalidGzip(_) => "invalid_gzip",
            Self::UnsupportedEncoding(_) => "unsupported_encoding",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::BodyRead(_) => "body_read_failed",
            Self::BodyTimeout => "body_timeout",
            Self::MissingWriteKey => "missing_write_key",
            Self::UnknownWriteKey => "invalid_write_key",
            Self::OriginNotAllowed(_) => "origin_not_allowed",
            Self::MissingReadKey => "missing_read_key",
            Self::UnknownReadKey => "invalid_read_key",
            Self::InvalidQuery(_) => "invalid_query",
            Self::ReportFailed(_) => "report_failed",
            Self::Storage(_) => "storage_unavailable",
            Self::UnsupportedConfigFormat(_) => "unsupported_config_format",
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PayloadTooLarge { decompressed: false } => {
                write!(f, "the request body exceeds {MAX_REQUEST_BYTES} bytes")
            }
            Self::PayloadTooLarge { decompressed: true } => write!(
                f,
                "the decompressed request body exceeds {MAX_REQUEST_BYTES} bytes"
            ),
            Self::MergedBatchTooLarge => write!(
                f,
                "the batch's messages with its `context` and `integrations` merged into each exceed {MAX_MERGED_BATCH_BYTES} bytes"
            ),
            Self::MalformedJson(err) => write!(f, "the body is not valid JSON: {err}"),
            Self::InvalidBody(err) => f.write_str(err),
            Self::InvalidGzip(err) => write!(f, "the gzip body cannot be decompressed: {err}"),
            Self::UnsupportedEncoding(encoding) => write!(
                f,
                "Content-Encoding {encoding:?} is not supported; send gzip or no encoding"
            ),
            Self::UnsupportedMediaType(kind) => write!(
                f,
                "Content-Type {kind:?} is not supported; send text/plain or application/json"
            ),
            Self::BodyRead(err) => write!(f, "the body could not be read: {err}"),
            Self::BodyTimeout => write!(
                f,
                "the body did not arrive within {} seconds",
                BODY_READ_TIMEOUT.as_secs()
            ),
            Self::MissingWriteKey => f.write_str(
                "no write key: send `writeKey` in the body (the query for GET /v1/config) or HTTP Basic auth with the key as user name",
            ),
            Self::UnknownWriteKey => f.write_str("the write key is not known to this collector"),
            Self::OriginNotAllowed(origin) => {
                write!(f, "origin {origin:?} may not send events with this write key")
            }
            Self::MissingReadKey => f.write_str(
                "no read key: send the source's `readKey` as the HTTP Basic user name or as a Bearer token",
            ),
            Self::UnknownReadKey => f.write_str("the read key is not known to this collector"),
            Self::InvalidQuery(message) => f.write_str(message),
            Self::ReportFailed(err) => write!(f, "the report could not be read: {err}"),
            Self::Storage(err) => write!(f, "events could not be stored, retry later: {err}"),
            Self::UnsupportedConfigFormat(asked) => write!(
                f,
                "the SDK reads compiled configs of format {asked:?}; this collector serves format {}: load the SDK of the collector's release (from its /sdk/)",
                wayline::core::compiled::VERSION
            ),
        }
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code(), "message": self.to_string()}});
        let mut response = json_response(self.status(), &body);
        match self {
            Self::Storage(_) => {
                // The SDK honours Retry-After; a short pause lets a busy or recovering disk catch up.
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            // The page the origin belongs to may read why it was refused (see `cors`).
            Self::OriginNotAllowed(_) => {
                response.extensions_mut().insert(crate::cors::AnyOrigin);
            }
            // A browser opening the dashboard asks for the key.
            Self::MissingReadKey | Self::UnknownReadKey => {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"Wayline reports\", charset=\"UTF-8\""),
                );
            }
            _ => {}
        }
        response
    }
}
