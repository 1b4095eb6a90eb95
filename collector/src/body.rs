//! Reading a request body: size limits, content type and gzip.

use std::io::Read;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap};
use flate2::read::GzDecoder;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::error::ApiError;

/// Largest request body, in bytes, both as sent and after decompression (Segment's limit).
pub const MAX_REQUEST_BYTES: usize = 500 * 1024;

/// Reads, checks and decompresses a request body, returning the JSON text's bytes.
pub async fn read(headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    check_content_type(headers)?;
    let gzip = is_gzip(headers)?;

    // A declared length over the limit is refused before reading anything.
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_REQUEST_BYTES as u64) {
        return Err(ApiError::PayloadTooLarge {
            decompressed: false,
        });
    }
    // Chunked bodies declare nothing, so the limit is also enforced while reading.
    let wire = match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) if err.is::<LengthLimitError>() => {
            return Err(ApiError::PayloadTooLarge {
                decompressed: false,
            })
        }
        Err(err) => return Err(ApiError::BodyRead(err.to_string())),
    };
    if gzip {
        gunzip(&wire).map(Bytes::from)
    } else {
        Ok(wire)
    }
}

/// Decompresses at most [`MAX_REQUEST_BYTES`] + 1 bytes, so that a small "gzip bomb" that
/// inflates to gigabytes costs no more memory than an honest request.
pub fn gunzip(wire: &[u8]) -> Result<Vec<u8>, ApiError> {
    let mut inflated = Vec::with_capacity(wire.len().saturating_mul(4).min(MAX_REQUEST_BYTES + 1));
    GzDecoder::new(wire)
        .take(MAX_REQUEST_BYTES as u64 + 1)
        .read_to_end(&mut inflated)
        .map_err(|err| ApiError::InvalidGzip(err.to_string()))?;
    if inflated.len() > MAX_REQUEST_BYTES {
        return Err(ApiError::PayloadTooLarge { decompressed: true });
    }
    Ok(inflated)
}

/// `text/plain` is what the browser SDK sends (a CORS "simple" request needs no preflight);
/// `application/json` is what server-side senders use. A missing type is tolerated for
/// hand-written clients; anything else (a form post, say) is refused.
fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let text = value.to_str().unwrap_or("");
    let essence = text
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "text/plain" | "application/json" => Ok(()),
        _ => Err(ApiError::UnsupportedMediaType(text.to_owned())),
    }
}

fn is_gzip(headers: &HeaderMap) -> Result<bool, ApiError> {
    let mut gzip = false;
    for value in headers.get_all(header::CONTENT_ENCODING) {
        let text = value.to_str().unwrap_or("?");
        for coding in text.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            match coding.to_ascii_lowercase().as_str() {
                "identity" => {}
                "gzip" | "x-gzip" if !gzip => gzip = true,
                _ => return Err(ApiError::UnsupportedEncoding(text.to_owned())),
            }
        }
    }
    Ok(gzip)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn gunzip_round_trips_and_stops_bombs() {
        assert_eq!(gunzip(&gzip(b"{\"a\":1}")).unwrap(), b"{\"a\":1}");
        let bomb = gzip(&vec![b' '; 10 * MAX_REQUEST_BYTES]);
        assert!(bomb.len() < MAX_REQUEST_BYTES / 10);
        assert!(matches!(
            gunzip(&bomb),
            Err(ApiError::PayloadTooLarge { decompressed: true })
        ));
        assert!(matches!(gunzip(b"not gzip"), Err(ApiError::InvalidGzip(_))));
    }

    #[test]
    fn content_types_and_encodings() {
        let mut headers = HeaderMap::new();
        assert!(check_content_type(&headers).is_ok());
        for ok in [
            "text/plain;charset=UTF-8",
            "application/json",
            "Application/JSON; charset=utf-8",
        ] {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ok));
            assert!(check_content_type(&headers).is_ok(), "{ok}");
        }
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        assert!(check_content_type(&headers).is_err());

        let mut headers = HeaderMap::new();
        assert!(!is_gzip(&headers).unwrap());
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("GZIP"));
        assert!(is_gzip(&headers).unwrap());
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
        assert!(is_gzip(&headers).is_err());
        headers.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static("gzip, gzip"),
        );
        assert!(is_gzip(&headers).is_err());
    }
}
