//! Responses the proxy writes itself: control answers, its own errors and injected faults.
//! All of them close the connection, like every proxied response.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::wire::Head;

/// A JSON response with `Connection: close`, as bytes ready to write.
pub fn json(status: u16, body: &Value, extra: &[(&str, String)]) -> Vec<u8> {
    let body = body.to_string();
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|code| code.canonical_reason())
        .unwrap_or("");
    let mut headers: Vec<(String, String)> = vec![
        ("Content-Type".into(), "application/json".into()),
        ("Cache-Control".into(), "no-store".into()),
        ("Content-Length".into(), body.len().to_string()),
        ("Connection".into(), "close".into()),
    ];
    headers.extend(
        extra
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone())),
    );
    let head = Head {
        start: format!("HTTP/1.1 {status} {reason}"),
        headers,
    };
    let mut out = Vec::with_capacity(256 + body.len());
    head.write_to(&mut out);
    out.extend_from_slice(body.as_bytes());
    out
}

/// `{"error":{"code":…,"message":…}}`, the collector's error shape, so that the SDK reads
/// the proxy's answers exactly as it reads the collector's.
pub fn error(status: u16, code: &str, message: &str, extra: &[(&str, String)]) -> Vec<u8> {
    json(
        status,
        &json!({"error": {"code": code, "message": message}}),
        extra,
    )
}

/// An injected failure. It carries the CORS headers the collector would have sent, echoing
/// the request's `Origin`, so that a cross-origin page can read the status and
/// `Retry-After` instead of seeing an opaque network error.
pub fn fault(status: u16, retry_after: Option<u64>, origin: Option<&str>) -> Vec<u8> {
    let mut extra = cors(origin);
    if let Some(seconds) = retry_after {
        extra.push(("Retry-After", seconds.to_string()));
    }
    error(
        status,
        "injected_fault",
        "this answer was injected by wayline proxy; the request was not forwarded",
        &extra,
    )
}

/// The upstream could not be reached or answered garbage. Readable cross-origin, like a
/// fault, so that a test sees a 502 rather than a mysterious network error.
pub fn bad_gateway(message: &str, origin: Option<&str>) -> Vec<u8> {
    error(502, "bad_gateway", message, &cors(origin))
}

fn cors(origin: Option<&str>) -> Vec<(&'static str, String)> {
    let mut extra = vec![("Vary", "Origin".to_owned())];
    if let Some(origin) = origin {
        extra.push(("Access-Control-Allow-Origin", origin.to_owned()));
        extra.push(("Access-Control-Expose-Headers", "Retry-After".to_owned()));
    }
    extra
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_answers_carry_cors_and_retry_after() {
        let bytes = fault(429, Some(2), Some("http://127.0.0.1:9"));
        let text = String::from_utf8(bytes).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let head = Head::parse(head.as_bytes()).unwrap();
        assert_eq!(head.start, "HTTP/1.1 429 Too Many Requests");
        assert_eq!(head.get("retry-after"), Some("2"));
        assert_eq!(
            head.get("access-control-allow-origin"),
            Some("http://127.0.0.1:9")
        );
        assert_eq!(
            head.get("access-control-expose-headers"),
            Some("Retry-After")
        );
        assert_eq!(head.get("connection"), Some("close"));
        assert_eq!(head.content_length().unwrap(), Some(body.len()));
        let body: Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["error"]["code"], "injected_fault");

        let plain = String::from_utf8(fault(500, None, None)).unwrap();
        assert!(!plain.contains("Access-Control-Allow-Origin"));
        assert!(!plain.contains("Retry-After:"));
    }
}
