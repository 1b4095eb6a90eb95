//! `wayline proxy`: an HTTP/1.1 proxy in front of a collector that injects faults into the
//! ingest API (`/v1/*`) on demand, for end-to-end tests of delivery in a real browser.
//!
//! A page loaded through the proxy talks to it same-origin, as it would to the collector.
//! Every client connection carries exactly one request and is closed after the answer, and
//! every request gets a fresh upstream connection: nothing is shared between exchanges, so
//! a reset or a delay affects exactly the request it was aimed at.

mod control;
mod forward;
mod log;
mod plan;
mod reply;
mod request;

use std::fmt;
use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use self::log::{Entry, Log, Outcome};
use self::plan::{Action, Faults};
use self::request::{Request, RequestError};
use crate::wire::Inbox;

/// How long a client may take to send its request; browsers also open connections they
/// never use, and those must not pile up.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyOptions {
    pub listen: String,
    pub upstream: String,
}

#[derive(Debug)]
pub enum ProxyError {
    Bind {
        addr: String,
        source: std::io::Error,
    },
    Io(std::io::Error),
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bind { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
            Self::Io(err) => write!(f, "proxy error: {err}"),
        }
    }
}

impl std::error::Error for ProxyError {}

/// State shared by all connections: where to forward, the plan and the log.
struct Shared {
    upstream: String,
    faults: Mutex<Faults>,
    log: Mutex<Log>,
}

impl Shared {
    fn new(upstream: String) -> Self {
        Self {
            upstream,
            faults: Mutex::default(),
            log: Mutex::default(),
        }
    }

    // Nothing panics while holding these locks, but a poisoned lock must not take the
    // proxy down with it either.
    fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn log(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Binds, announces the address on standard output, and proxies until the process is
/// killed. There is no graceful shutdown: the proxy holds nothing worth flushing.
pub async fn run(options: ProxyOptions) -> Result<(), ProxyError> {
    let listener = TcpListener::bind(&options.listen)
        .await
        .map_err(|source| ProxyError::Bind {
            addr: options.listen.clone(),
            source,
        })?;
    let local = listener.local_addr().map_err(ProxyError::Io)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "wayline proxy listening on http://{local}").map_err(ProxyError::Io)?;
    stdout.flush().map_err(ProxyError::Io)?;
    drop(stdout);
    serve(listener, options.upstream).await;
    Ok(())
}

/// Accepts connections forever, forwarding to `upstream` (`ADDR:PORT`). The upstream need
/// not be up yet: it is connected to per request.
pub async fn serve(listener: TcpListener, upstream: String) {
    let shared = Arc::new(Shared::new(upstream));
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(connection(Arc::clone(&shared), stream));
            }
            Err(err) => {
                // Out of file descriptors and the like: wait instead of spinning.
                eprintln!("wayline proxy: accept failed: {err}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// How the exchange with the client ends.
enum Finish {
    Write(Vec<u8>),
    /// Abort with TCP RST, as a crashed server or a broken middlebox would.
    Reset,
}

async fn connection(shared: Arc<Shared>, mut client: TcpStream) {
    // Answers go out in one write; Nagle would only add latency to the tests.
    let _ = client.set_nodelay(true);
    let mut inbox = Inbox::new();
    let request =
        match tokio::time::timeout(REQUEST_TIMEOUT, request::read(&mut client, &mut inbox)).await {
            Ok(Ok(Some(request))) => request,
            Ok(Err(RequestError::Refuse(status, code, message))) => {
                finish(
                    client,
                    Finish::Write(reply::error(status, code, &message, &[])),
                )
                .await;
                return;
            }
            Err(_) | Ok(Ok(None) | Err(RequestError::Gone)) => return,
        };
    if control::is_control(request.path()) {
        finish(client, Finish::Write(control::handle(&shared, &request))).await;
        return;
    }

    let ingest = request.path().starts_with("/v1/");
    // Preflights are never faulted: the SDK's text/plain requests need none, and a broken
    // preflight would only test the browser's CORS handling, not delivery.
    let action = if ingest && request.method != "OPTIONS" {
        shared.faults().decide()
    } else {
        Action::Forward
    };
    let at_ms = log::now_ms();
    let (outcome, upstream_status, end) = apply(&shared, &request, action).await;
    if ingest {
        // Logged before the client hears anything, so a test that reads the log right
        // after its request returned always finds the entry.
        shared.log().push(Entry {
            at_ms,
            method: request.method.clone(),
            path: request.path().to_owned(),
            bytes: request.body.len(),
            outcome,
            upstream_status,
        });
    }
    finish(client, end).await;
}

async fn apply(
    shared: &Shared,
    request: &Request,
    action: Action,
) -> (Outcome, Option<u16>, Finish) {
    let origin = request.head.get("origin");
    match action {
        Action::Status {
            status,
            retry_after,
        } => (
            Outcome::Status(status),
            None,
            Finish::Write(reply::fault(status, retry_after, origin)),
        ),
        Action::ResetBefore => (Outcome::ResetBefore, None, Finish::Reset),
        Action::Forward | Action::Delay { .. } | Action::ResetAfter => {
            if let Action::Delay { ms } = action {
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
            match forward::forward(&shared.upstream, request).await {
                Ok(answer) => {
                    let (outcome, end) = match action {
                        Action::ResetAfter => (Outcome::ResetAfter, Finish::Reset),
                        Action::Delay { .. } => (Outcome::Delayed, Finish::Write(answer.bytes)),
                        _ => (Outcome::Forwarded, Finish::Write(answer.bytes)),
                    };
                    (outcome, Some(answer.status), end)
                }
                Err(err) => {
                    eprintln!(
                        "wayline proxy: {} {}: {err}",
                        request.method, request.target
                    );
                    (
                        Outcome::UpstreamError,
                        None,
                        Finish::Write(reply::bad_gateway(&err.to_string(), origin)),
                    )
                }
            }
        }
    }
}

async fn finish(mut client: TcpStream, end: Finish) {
    match end {
        Finish::Write(bytes) => {
            // The client may already be gone; there is no one left to tell.
            let _ = client.write_all(&bytes).await;
            let _ = client.shutdown().await;
        }
        Finish::Reset => {
            // SO_LINGER 0 turns the close into an RST instead of an orderly FIN.
            if let Err(err) = client.set_zero_linger() {
                eprintln!("wayline proxy: cannot arm the connection reset: {err}");
            }
        }
    }
    drop(client);
}
