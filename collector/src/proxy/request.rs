//! Reading one client request: the head, then a `Content-Length` body.

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use crate::wire::{Head, Inbox, WireError};

/// Heads above this are refused (431); browsers send a few KB at most.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Bodies above this are refused (413) without forwarding. Well above the collector's own
/// 500 KiB limit, so that the collector's 413 can still be tested through the proxy.
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

#[derive(Debug)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub head: Head,
    pub body: Vec<u8>,
}

impl Request {
    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target
            .split_once('?')
            .map_or(self.target.as_str(), |(path, _)| path)
    }
}

/// Why a request could not be read, and what the client is told.
#[derive(Debug)]
pub enum RequestError {
    /// Nothing useful can be written back: the connection is gone or timed out.
    Gone,
    /// Answer with this status and message, then close.
    Refuse(u16, &'static str, String),
}

impl From<WireError> for RequestError {
    fn from(err: WireError) -> Self {
        match err {
            WireError::Io(_) | WireError::Closed => Self::Gone,
            WireError::TooLarge => Self::Refuse(
                431,
                "head_too_large",
                format!("the request head exceeds {MAX_HEAD_BYTES} bytes"),
            ),
            WireError::Malformed(what) => Self::Refuse(400, "bad_request", what.to_owned()),
        }
    }
}

/// Reads one request. `Ok(None)` when the client closed without sending one (browsers open
/// spare connections in advance).
pub async fn read<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut S,
    inbox: &mut Inbox,
) -> Result<Option<Request>, RequestError> {
    let Some(head) = inbox.head(io, MAX_HEAD_BYTES).await? else {
        return Ok(None);
    };
    let mut parts = head.start.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(RequestError::Refuse(
            400,
            "bad_request",
            "invalid request line".into(),
        ));
    };
    if !version.starts_with("HTTP/1.") || !target.starts_with('/') {
        return Err(RequestError::Refuse(
            400,
            "bad_request",
            "only origin-form HTTP/1.x requests are proxied".into(),
        ));
    }
    // Chunked uploads would need re-framing; nothing in Wayline sends them (fetch and
    // sendBeacon always send a length), so they are refused rather than half-supported.
    if head.has("transfer-encoding") {
        return Err(RequestError::Refuse(
            411,
            "length_required",
            "send the body with Content-Length; chunked request bodies are not proxied".into(),
        ));
    }
    let length = head.content_length()?.unwrap_or(0);
    if length > MAX_BODY_BYTES {
        return Err(RequestError::Refuse(
            413,
            "payload_too_large",
            format!("the proxy accepts bodies of at most {MAX_BODY_BYTES} bytes"),
        ));
    }
    let expects_continue = head
        .get("expect")
        .is_some_and(|value| value.eq_ignore_ascii_case("100-continue"));
    if expects_continue && length > 0 {
        // curl waits for this before sending a large body.
        io.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await
            .map_err(|_| RequestError::Gone)?;
    }
    let body = inbox.exact(io, length).await?;
    Ok(Some(Request {
        method: method.to_owned(),
        target: target.to_owned(),
        head,
        body,
    }))
}
