//! Just enough HTTP/1.1 framing for the test tools (`wayline proxy`, `wayline loadgen`):
//! a message head read up to `\r\n\r\n`, and bodies read by `Content-Length` or to the end
//! of the stream.
//!
//! The tools speak raw HTTP rather than going through hyper because the proxy must control
//! the socket itself (an abrupt reset at a chosen moment) and see exactly the bytes a
//! browser sent, and because the load generator should cost the machine as little as
//! possible next to the collector it measures.

use std::fmt;
use std::io;

use tokio::io::{AsyncRead, AsyncReadExt};

const HEAD_END: &[u8] = b"\r\n\r\n";

#[derive(Debug)]
pub enum WireError {
    Io(io::Error),
    /// The peer closed the connection in the middle of a message.
    Closed,
    /// The head or body is over the reader's limit.
    TooLarge,
    Malformed(&'static str),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(err) => write!(f, "connection error: {err}"),
            Self::Closed => f.write_str("the connection closed mid-message"),
            Self::TooLarge => f.write_str("the message is too large"),
            Self::Malformed(what) => write!(f, "malformed HTTP message: {what}"),
        }
    }
}

impl std::error::Error for WireError {}

impl From<io::Error> for WireError {
    fn from(err: io::Error) -> Self {
        Self::Io(err)
    }
}

/// A request or status line and the header fields, names kept as sent so that forwarding
/// changes nothing the receiver could notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub start: String,
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// Parses a head without its final empty line.
    pub fn parse(bytes: &[u8]) -> Result<Self, WireError> {
        let text =
            std::str::from_utf8(bytes).map_err(|_| WireError::Malformed("head is not UTF-8"))?;
        let mut lines = text.split("\r\n");
        let start = lines
            .next()
            .filter(|line| !line.is_empty())
            .ok_or(WireError::Malformed("empty start line"))?
            .to_owned();
        let mut headers = Vec::new();
        for line in lines {
            // Obsolete line folding is refused, as RFC 9112 allows, rather than guessed at.
            if line.starts_with([' ', '\t']) {
                return Err(WireError::Malformed("folded header line"));
            }
            let (name, value) = line
                .split_once(':')
                .ok_or(WireError::Malformed("header line without a colon"))?;
            if name.is_empty() || name.contains([' ', '\t']) {
                return Err(WireError::Malformed("invalid header name"));
            }
            headers.push((name.to_owned(), value.trim().to_owned()));
        }
        Ok(Self { start, headers })
    }

    /// The first value of a header, by case-insensitive name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// `Content-Length`, refusing several differing values (a request-smuggling shape).
    pub fn content_length(&self) -> Result<Option<usize>, WireError> {
        let mut found: Option<usize> = None;
        for (name, value) in &self.headers {
            if !name.eq_ignore_ascii_case("content-length") {
                continue;
            }
            let length = value
                .parse::<usize>()
                .map_err(|_| WireError::Malformed("invalid Content-Length"))?;
            if found.is_some_and(|seen| seen != length) {
                return Err(WireError::Malformed("conflicting Content-Length"));
            }
            found = Some(length);
        }
        Ok(found)
    }

    /// The status code of a response head (`HTTP/1.1 200 OK`).
    pub fn status(&self) -> Result<u16, WireError> {
        let mut parts = self.start.split(' ');
        let version = parts.next().unwrap_or("");
        if !version.starts_with("HTTP/1.") {
            return Err(WireError::Malformed("not an HTTP/1 status line"));
        }
        parts
            .next()
            .and_then(|code| code.parse::<u16>().ok())
            .filter(|code| (100..=999).contains(code))
            .ok_or(WireError::Malformed("invalid status code"))
    }

    /// Writes the head back out, ending with the empty line.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.start.as_bytes());
        out.extend_from_slice(b"\r\n");
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// Bytes read from a connection but not consumed yet: a read may return the head together
/// with the start of the body, and on a keep-alive connection nothing may be lost between
/// messages.
#[derive(Debug, Default)]
pub struct Inbox {
    buf: Vec<u8>,
}

impl Inbox {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a head of at most `limit` bytes. `None` when the peer closed the connection
    /// cleanly before sending anything (an idle keep-alive or pre-opened connection).
    pub async fn head<R: AsyncRead + Unpin>(
        &mut self,
        io: &mut R,
        limit: usize,
    ) -> Result<Option<Head>, WireError> {
        let mut searched = 0;
        loop {
            if let Some(at) = find(&self.buf[searched..], HEAD_END) {
                let end = searched + at;
                let head = Head::parse(&self.buf[..end])?;
                self.buf.drain(..end + HEAD_END.len());
                return Ok(Some(head));
            }
            if self.buf.len() > limit {
                return Err(WireError::TooLarge);
            }
            // The terminator may straddle two reads.
            searched = self.buf.len().saturating_sub(HEAD_END.len() - 1);
            if self.fill(io).await? == 0 {
                return if self.buf.is_empty() {
                    Ok(None)
                } else {
                    Err(WireError::Closed)
                };
            }
        }
    }

    /// Reads exactly `length` body bytes.
    pub async fn exact<R: AsyncRead + Unpin>(
        &mut self,
        io: &mut R,
        length: usize,
    ) -> Result<Vec<u8>, WireError> {
        while self.buf.len() < length {
            if self.fill(io).await? == 0 {
                return Err(WireError::Closed);
            }
        }
        Ok(self.buf.drain(..length).collect())
    }

    /// Reads everything until the peer closes, at most `limit` bytes.
    pub async fn to_end<R: AsyncRead + Unpin>(
        &mut self,
        io: &mut R,
        limit: usize,
    ) -> Result<Vec<u8>, WireError> {
        while self.fill(io).await? > 0 {
            if self.buf.len() > limit {
                return Err(WireError::TooLarge);
            }
        }
        Ok(std::mem::take(&mut self.buf))
    }

    async fn fill<R: AsyncRead + Unpin>(&mut self, io: &mut R) -> io::Result<usize> {
        let mut chunk = [0u8; 16 * 1024];
        let n = io.read(&mut chunk).await?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_heads_and_headers() {
        let head = Head::parse(
            b"POST /v1/batch HTTP/1.1\r\nHost: x\r\ncontent-length: 12\r\nX-Empty:\r\nContent-Length: 12",
        )
        .unwrap();
        assert_eq!(head.start, "POST /v1/batch HTTP/1.1");
        assert_eq!(head.get("HOST"), Some("x"));
        assert_eq!(head.get("x-empty"), Some(""));
        assert_eq!(head.content_length().unwrap(), Some(12));

        let mut out = Vec::new();
        head.write_to(&mut out);
        assert!(out.ends_with(b"Content-Length: 12\r\n\r\n"));

        for bad in [
            &b""[..],
            b"GET / HTTP/1.1\r\nno colon",
            b"GET / HTTP/1.1\r\n folded: x",
            b"GET / HTTP/1.1\r\nbad name: x",
        ] {
            assert!(Head::parse(bad).is_err(), "{bad:?}");
        }
        let conflicting =
            Head::parse(b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2").unwrap();
        assert!(conflicting.content_length().is_err());
    }

    #[test]
    fn status_codes() {
        let status = |line: &str| Head::parse(line.as_bytes()).unwrap().status();
        assert_eq!(status("HTTP/1.1 200 OK").unwrap(), 200);
        assert_eq!(status("HTTP/1.0 503").unwrap(), 503);
        assert!(status("HTTP/2 200 OK").is_err());
        assert!(status("HTTP/1.1 abc").is_err());
    }

    #[tokio::test]
    async fn reads_heads_bodies_and_the_rest_across_small_reads() {
        let wire: &[u8] =
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 204 No\r\n\r\ntail";
        // One byte per read: the terminator and bodies straddle reads.
        let mut io = tokio_test_reader(wire);
        let mut inbox = Inbox::new();
        let first = inbox.head(&mut io, 1024).await.unwrap().unwrap();
        assert_eq!(first.content_length().unwrap(), Some(5));
        assert_eq!(inbox.exact(&mut io, 5).await.unwrap(), b"hello");
        let second = inbox.head(&mut io, 1024).await.unwrap().unwrap();
        assert_eq!(second.status().unwrap(), 204);
        assert_eq!(inbox.to_end(&mut io, 1024).await.unwrap(), b"tail");
        assert!(inbox.head(&mut io, 1024).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn limits_and_truncation() {
        let mut inbox = Inbox::new();
        let mut io = tokio_test_reader(b"GET / HTTP/1.1\r\nHost: a-very-long-host\r\n\r\n");
        assert!(matches!(
            inbox.head(&mut io, 8).await,
            Err(WireError::TooLarge)
        ));
        let mut inbox = Inbox::new();
        let mut io = tokio_test_reader(b"GET / HTTP/1.1\r\n");
        assert!(matches!(
            inbox.head(&mut io, 1024).await,
            Err(WireError::Closed)
        ));
        let mut inbox = Inbox::new();
        let mut io = tokio_test_reader(b"abc");
        assert!(matches!(
            inbox.exact(&mut io, 4).await,
            Err(WireError::Closed)
        ));
    }

    /// A reader that hands out one byte per read.
    fn tokio_test_reader(bytes: &'static [u8]) -> impl AsyncRead + Unpin {
        struct Trickle(&'static [u8]);
        impl AsyncRead for Trickle {
            fn poll_read(
                mut self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<io::Result<()>> {
                if let Some((first, rest)) = self.0.split_first() {
                    buf.put_slice(&[*first]);
                    self.0 = rest;
                }
                std::task::Poll::Ready(Ok(()))
            }
        }
        Trickle(bytes)
    }
}
