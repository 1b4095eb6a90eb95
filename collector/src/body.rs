//! Reading a request body: size limits, content type and gzip.

use std::io::Read;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap};
use flate2::bufread::GzDecoder;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::error::ApiError;

/// Largest request body, in bytes, both as sent and after decompression (Segment's limit).
pub const MAX_REQUEST_BYTES: usize = 500 * 1024;

/// How long a request body may take to arrive in full, from when its headers were read: at the
/// size limit, a rate of about 8.5 KB/s.
pub const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

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
    // A client that stops sending part-way would otherwise hold the request, its buffer and its
    // connection for as long as it likes.
    let collected = tokio::time::timeout(
        BODY_READ_TIMEOUT,
        Limited::new(body, MAX_REQUEST_BYTES).collect(),
    )
    .await
    .map_err(|_| ApiError::BodyTimeout)?;
    let wire = match collected {
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
///
/// A gzip body is a series of members (RFC 1952; `cat a.gz b.gz`, or a compressor that
/// flushes each chunk as a member): all of them are read, and the limit applies to their sum.
/// Bytes after the last member that do not start another one are ignored, as `gzip -d` does.
pub fn gunzip(wire: &[u8]) -> Result<Vec<u8>, ApiError> {
    const MAGIC: [u8; 2] = [0x1f, 0x8b];
    let budget = MAX_REQUEST_BYTES as u64 + 1;
    let mut inflated = Vec::with_capacity(wire.len().saturating_mul(4).min(MAX_REQUEST_BYTES + 1));
    let mut rest = wire;
    loop {
        let mut member = GzDecoder::new(rest);
        (&mut member)
            .take(budget - inflated.len() as u64)
            .read_to_end(&mut inflated)
            .map_err(|err| ApiError::InvalidGzip(err.to_string()))?;
        if inflated.len() > MAX_REQUEST_BYTES {
            return Err(ApiError::PayloadTooLarge { decompressed: true });
        }
        rest = member.into_inner();
        if !rest.starts_with(&MAGIC) {
            return Ok(inflated);
        }
    }
}

/// A body that failed to parse, made readable where only its text's encoding was wrong: a
/// leading UTF-8 byte-order mark dropped (RFC 8259 lets a parser ignore it), bytes that are not
/// UTF-8 read as U+FFFD as a browser's `TextDecoder` reads them (one for each maximal invalid
/// sequence: a Latin-1 `é`, a surrogate encoded as if it were a character), and escapes of
/// unpaired surrogates made `\ufffd` ([`replace_unpaired_surrogates`]). `None` when there was
/// nothing to repair, so the parser's first error stands.
pub fn repaired(json: &[u8]) -> Option<Vec<u8>> {
    let text = json.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(json);
    let changed = text.len() != json.len() || std::str::from_utf8(text).is_err();
    let mut bytes = String::from_utf8_lossy(text).into_owned().into_bytes();
    (replace_unpaired_surrogates(&mut bytes) || changed).then_some(bytes)
}

/// Rewrites, in place, every `\uXXXX` escape of an unpaired UTF-16 surrogate as `\ufffd`
/// (the same length), and says whether there was any.
///
/// `JSON.stringify` writes a string cut in the middle of a surrogate pair (an emoji
/// truncated with `slice`) as such an escape; it is valid JSON text but names no Unicode
/// character, so a strict parser refuses the whole body. Reading it as U+FFFD is what the
/// browser's own UTF-8 encoding of that string would have sent.
pub fn replace_unpaired_surrogates(json: &mut [u8]) -> bool {
    let is_high = |unit: u16| (0xD800..0xDC00).contains(&unit);
    let is_low = |unit: u16| (0xDC00..0xE000).contains(&unit);
    let mut replaced = false;
    let mut i = 0;
    while i < json.len() {
        if json[i] != b'\\' {
            i += 1;
            continue;
        }
        match escaped_unit(json, i) {
            Some(high) if is_high(high) && escaped_unit(json, i + 6).is_some_and(is_low) => {
                i += 12;
            }
            Some(unit) if is_high(unit) || is_low(unit) => {
                json[i + 2..i + 6].copy_from_slice(b"fffd");
                replaced = true;
                i += 6;
            }
            Some(_) => i += 6,
            // Any other escape (`\\`, `\"`, …): the backslash and the escaped byte.
            None => i += 2,
        }
    }
    replaced
}

/// The UTF-16 code unit of a `\uXXXX` escape starting at `at`.
fn escaped_unit(json: &[u8], at: usize) -> Option<u16> {
    let escape = json.get(at..at + 6)?;
    if &escape[..2] != b"\\u" || !escape[2..].iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u16::from_str_radix(std::str::from_utf8(&escape[2..]).ok()?, 16).ok()
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
    fn gunzip_reads_every_member_and_caps_their_sum() {
        // RFC 1952: a gzip file is a series of members; `gzip -c a b` and streaming
        // compressors that flush as separate members write several.
        let mut body = gzip(b"{\"batch\":[],");
        body.extend(gzip(b"\"writeKey\":\"wk\"}"));
        assert_eq!(
            gunzip(&body).unwrap(),
            b"{\"batch\":[],\"writeKey\":\"wk\"}"
        );

        // Each member under the limit, together over it: still refused.
        let half = gzip(&vec![b' '; MAX_REQUEST_BYTES / 2 + 1]);
        let mut two = half.clone();
        two.extend(&half);
        assert!(matches!(
            gunzip(&two),
            Err(ApiError::PayloadTooLarge { decompressed: true })
        ));
    }

    #[test]
    fn gunzip_ignores_bytes_after_the_last_member() {
        for tail in [&b"\0\0\0\0"[..], b"garbage", b"\n"] {
            let mut body = gzip(b"{}");
            body.extend(tail);
            assert_eq!(gunzip(&body).unwrap(), b"{}");
        }
        // A second member that is cut short is an error, not silently dropped.
        let mut body = gzip(b"{}");
        let second = gzip(b"[]");
        body.extend(&second[..second.len() - 3]);
        assert!(matches!(gunzip(&body), Err(ApiError::InvalidGzip(_))));
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
