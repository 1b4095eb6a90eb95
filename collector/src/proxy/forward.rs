//! Forwarding one request to the upstream collector on a fresh connection and bringing its
//! whole answer back.
//!
//! One connection per request, closed by the upstream after answering, keeps the framing
//! trivial (the response ends where the stream ends) and means no state survives from one
//! request to the next, so an injected fault can never corrupt a later exchange.

use std::fmt;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::request::Request;
use crate::wire::{Head, WireError};

/// Generous: the collector answers only after its transaction committed, which can take a
/// while on a loaded two-core machine.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(120);
/// Larger than anything the collector serves (the SDK's wasm is well under this).
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// Headers that describe one connection rather than the message (RFC 9110 §7.6.1); the
/// proxy's two connections set their own.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "expect",
];

#[derive(Debug)]
pub enum ForwardError {
    Connect(std::io::Error),
    Exchange(WireError),
    Timeout,
}

impl fmt::Display for ForwardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect(err) => write!(f, "cannot connect to the upstream: {err}"),
            Self::Exchange(err) => write!(f, "upstream exchange failed: {err}"),
            Self::Timeout => write!(
                f,
                "the upstream did not answer within {} s",
                UPSTREAM_TIMEOUT.as_secs()
            ),
        }
    }
}

impl std::error::Error for ForwardError {}

/// The upstream's answer, re-framed for the client.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub bytes: Vec<u8>,
}

pub async fn forward(upstream: &str, request: &Request) -> Result<Answer, ForwardError> {
    tokio::time::timeout(UPSTREAM_TIMEOUT, exchange(upstream, request))
        .await
        .map_err(|_| ForwardError::Timeout)?
}

async fn exchange(upstream: &str, request: &Request) -> Result<Answer, ForwardError> {
    let mut stream = TcpStream::connect(upstream)
        .await
        .map_err(ForwardError::Connect)?;
    let wire = |err: std::io::Error| ForwardError::Exchange(WireError::Io(err));
    stream.set_nodelay(true).map_err(wire)?;
    let mut out = Vec::with_capacity(1024 + request.body.len());
    outgoing_head(request).write_to(&mut out);
    out.extend_from_slice(&request.body);
    // A collector that refuses a request early (413 on the declared length) may answer and
    // close before taking the whole body, so a failed write is only an error if no answer
    // can be read either.
    let written = stream.write_all(&out).await;
    let raw = read_answer(&mut stream).await;
    match (raw, written) {
        (Ok(raw), _) => reframe(&raw).map_err(ForwardError::Exchange),
        (Err(_), Err(err)) => Err(wire(err)),
        (Err(err), Ok(())) => Err(ForwardError::Exchange(err)),
    }
}

/// Reads the answer until the upstream closes. A reset after the head arrived still yields
/// what was received, so the client sees the collector's status rather than a 502.
async fn read_answer(stream: &mut TcpStream) -> Result<Vec<u8>, WireError> {
    let mut raw = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut chunk).await {
            Ok(0) => return Ok(raw),
            Ok(n) => {
                raw.extend_from_slice(&chunk[..n]);
                if raw.len() > MAX_RESPONSE_BYTES {
                    return Err(WireError::TooLarge);
                }
            }
            Err(_) if head_end(&raw).is_some() => return Ok(raw),
            Err(err) => return Err(WireError::Io(err)),
        }
    }
}

fn head_end(raw: &[u8]) -> Option<usize> {
    raw.windows(4).position(|window| window == b"\r\n\r\n")
}

/// The client's head, minus its connection-level headers, plus `Connection: close`.
fn outgoing_head(request: &Request) -> Head {
    Head {
        start: format!("{} {} HTTP/1.1", request.method, request.target),
        headers: without_hop_by_hop(&request.head),
    }
}

/// Replaces the upstream's connection headers with `Connection: close`, since the proxy
/// closes every client connection after one exchange.
fn reframe(raw: &[u8]) -> Result<Answer, WireError> {
    let end = head_end(raw).ok_or(WireError::Closed)?;
    let head = Head::parse(&raw[..end])?;
    let status = head.status()?;
    let mut headers: Vec<(String, String)> = head
        .headers
        .iter()
        .filter(|(name, _)| {
            !name.eq_ignore_ascii_case("connection") && !name.eq_ignore_ascii_case("keep-alive")
        })
        .cloned()
        .collect();
    headers.push(("Connection".into(), "close".into()));
    let mut bytes = Vec::with_capacity(raw.len() + 32);
    Head {
        start: head.start,
        headers,
    }
    .write_to(&mut bytes);
    bytes.extend_from_slice(&raw[end + 4..]);
    Ok(Answer { status, bytes })
}

fn without_hop_by_hop(head: &Head) -> Vec<(String, String)> {
    // Headers named in `Connection` are hop-by-hop too.
    let named: Vec<String> = head
        .get("connection")
        .map(|value| {
            value
                .split(',')
                .map(|name| name.trim().to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default();
    let mut headers: Vec<(String, String)> = head
        .headers
        .iter()
        .filter(|(name, _)| {
            let lower = name.to_ascii_lowercase();
            !HOP_BY_HOP.contains(&lower.as_str()) && !named.contains(&lower)
        })
        .cloned()
        .collect();
    headers.push(("Connection".into(), "close".into()));
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outgoing_requests_close_and_drop_connection_headers() {
        let head = Head::parse(
            b"POST /v1/batch?x=1 HTTP/1.1\r\nHost: p\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\n\
              Keep-Alive: timeout=5\r\nExpect: 100-continue\r\nOrigin: http://o\r\nContent-Length: 2",
        )
        .unwrap();
        let request = Request {
            method: "POST".into(),
            target: "/v1/batch?x=1".into(),
            head,
            body: b"{}".to_vec(),
        };
        let out = outgoing_head(&request);
        assert_eq!(out.start, "POST /v1/batch?x=1 HTTP/1.1");
        assert_eq!(
            out.headers,
            [
                ("Host".to_owned(), "p".to_owned()),
                ("Origin".to_owned(), "http://o".to_owned()),
                ("Content-Length".to_owned(), "2".to_owned()),
                ("Connection".to_owned(), "close".to_owned()),
            ]
        );
    }

    #[test]
    fn answers_are_reframed_to_close() {
        let answer =
            reframe(b"HTTP/1.1 200 OK\r\nconnection: keep-alive\r\ncontent-length: 2\r\n\r\nok")
                .unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(
            answer.bytes,
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nConnection: close\r\n\r\nok"
        );
        assert!(reframe(b"HTTP/1.1 200 OK\r\n").is_err());
        assert!(reframe(b"garbage\r\n\r\n").is_err());
    }
}
