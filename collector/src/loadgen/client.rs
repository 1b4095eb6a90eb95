//! One keep-alive HTTP/1.1 connection posting batches, as a browser or a server-side
//! Segment library would: requests go one after another on the same socket, so the figure
//! measures the collector, not connection setup.

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::target::Target;
use crate::wire::{Inbox, WireError};

/// Collector answers are small JSON documents; anything bigger is not a collector.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

pub struct Client {
    addr: String,
    /// The request head up to `Content-Length: `, built once.
    prefix: String,
    stream: Option<TcpStream>,
    inbox: Inbox,
    out: Vec<u8>,
}

impl Client {
    pub fn new(target: &Target) -> Self {
        Self {
            addr: target.addr.clone(),
            prefix: format!(
                "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: ",
                target.path, target.addr
            ),
            stream: None,
            inbox: Inbox::new(),
            out: Vec::new(),
        }
    }

    /// Opens the connection now rather than on the first request.
    pub async fn connect(&mut self) -> std::io::Result<()> {
        let stream = TcpStream::connect(&self.addr).await?;
        // Head and body go out in one write; without this a small tail segment could wait
        // for a delayed ACK.
        stream.set_nodelay(true)?;
        self.stream = Some(stream);
        self.inbox = Inbox::new();
        Ok(())
    }

    /// Posts one body and reads the answer. After an error the connection is dropped and the
    /// next call opens a new one.
    pub async fn post(&mut self, body: &[u8]) -> Result<Answer, WireError> {
        let result = self.exchange(body).await;
        if result.is_err() {
            self.stream = None;
        }
        result
    }

    async fn exchange(&mut self, body: &[u8]) -> Result<Answer, WireError> {
        if self.stream.is_none() {
            self.connect().await?;
        }
        let Some(stream) = self.stream.as_mut() else {
            return Err(WireError::Closed);
        };
        self.out.clear();
        self.out.extend_from_slice(self.prefix.as_bytes());
        self.out
            .extend_from_slice(format!("{}\r\n\r\n", body.len()).as_bytes());
        self.out.extend_from_slice(body);
        stream.write_all(&self.out).await?;

        let head = self
            .inbox
            .head(stream, MAX_RESPONSE_BYTES)
            .await?
            .ok_or(WireError::Closed)?;
        let status = head.status()?;
        let close = head
            .get("connection")
            .is_some_and(|value| value.eq_ignore_ascii_case("close"));
        let body = if head.has("transfer-encoding") {
            // The collector always sends a length; anything else is not worth decoding here.
            return Err(WireError::Malformed("chunked responses are not supported"));
        } else if let Some(length) = head.content_length()? {
            if length > MAX_RESPONSE_BYTES {
                return Err(WireError::TooLarge);
            }
            self.inbox.exact(stream, length).await?
        } else {
            // No length: the body runs to the end of the connection.
            let body = self.inbox.to_end(stream, MAX_RESPONSE_BYTES).await?;
            self.stream = None;
            return Ok(Answer { status, body });
        };
        if close {
            self.stream = None;
        }
        Ok(Answer { status, body })
    }
}
