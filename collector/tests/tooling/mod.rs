//! A collector and `wayline proxy` in front of it, both on real sockets on port 0, and a
//! raw blocking HTTP/1.1 client that reports connection errors instead of hiding them.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use wayline_collector::proxy;

use crate::common::Harness;

pub struct Stack {
    pub runtime: Runtime,
    pub harness: Harness,
    pub collector: String,
    pub proxy: String,
}

impl Stack {
    pub fn start() -> Self {
        let runtime = Runtime::new().unwrap();
        let harness = Harness::new();
        let collector = serve_collector(&runtime, &harness);
        let proxy = start_proxy(&runtime, collector.clone());
        Self {
            runtime,
            harness,
            collector,
            proxy,
        }
    }

    /// Sets a fault plan on the proxy; returns the proxy's answer (the normalised plan).
    pub fn plan(&self, plan: Value) -> Value {
        let reply = exchange(
            &self.proxy,
            "POST",
            "/__faults",
            &[],
            plan.to_string().as_bytes(),
        )
        .unwrap();
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()
    }

    pub fn log(&self) -> Vec<Value> {
        let reply = exchange(&self.proxy, "GET", "/__faults/log", &[], b"").unwrap();
        assert_eq!(reply.status, 200);
        reply.json().as_array().unwrap().clone()
    }

    pub fn stored(&self) -> usize {
        self.harness.events().len()
    }
}

/// Serves the harness's router on a free port.
pub fn serve_collector(runtime: &Runtime, harness: &Harness) -> String {
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let app = harness.app.clone();
    runtime.spawn(async move { axum::serve(listener, app).await });
    address
}

pub fn start_proxy(runtime: &Runtime, upstream: String) -> String {
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let address = listener.local_addr().unwrap().to_string();
    runtime.spawn(proxy::serve(listener, upstream));
    address
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|err| panic!("not JSON ({err}): {}", self.body))
    }
}

/// One request on its own connection, read to the end. Interim `100 Continue` answers are
/// skipped. A reset connection is an `Err`, which is what the fault tests look for.
pub fn exchange(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Reply> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    let chunked = headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("transfer-encoding"));
    if !chunked {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes)?;

    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let mut text = String::from_utf8(response).unwrap();
    while text.starts_with("HTTP/1.1 100") {
        let (_, rest) = text.split_once("\r\n\r\n").unwrap();
        text = rest.to_owned();
    }
    if text.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "closed without an answer",
        ));
    }
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap()[9..12].parse().unwrap();
    let headers = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.to_owned(), value.trim().to_owned())
        })
        .collect();
    Ok(Reply {
        status,
        headers,
        body: body.to_owned(),
    })
}

/// A batch of `n` distinct track messages with ids `<prefix>-0 …`.
pub fn batch(prefix: &str, n: usize) -> String {
    crate::common::batch(
        (0..n)
            .map(|i| crate::common::track(&format!("{prefix}-{i}")))
            .collect(),
    )
}

/// POSTs a batch through the given address as the browser SDK does.
pub fn post_batch(address: &str, body: &str, origin: Option<&str>) -> std::io::Result<Reply> {
    let mut headers = vec![("Content-Type", "text/plain;charset=UTF-8")];
    if let Some(origin) = origin {
        headers.push(("Origin", origin));
    }
    exchange(address, "POST", "/v1/batch", &headers, body.as_bytes())
}
