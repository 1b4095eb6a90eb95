//! `wayline serve`: wiring sources, storage and routes onto a listening socket.

use std::fmt;
use std::future::Future;
use std::io::{self, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::cli::ServeOptions;
use crate::config::{ConfigError, Sources};
use crate::http::{router, AppState};
use crate::remote_config;
use crate::store::{self, StoreError};

/// How long a connection may take to send a request's head (the request line and headers), and
/// how long it may sit idle between requests, before it is closed.
pub const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// How many connections the collector keeps open at once. Past it, the accept loop waits for
/// one to close, and new connections wait in the kernel's listen backlog (1,024 deep as tokio
/// binds it; past that the kernel drops handshakes and clients retry) instead of each costing
/// a task, buffers and a descriptor. 1,024 is `wayline loadgen`'s highest `--concurrency`, and far more than
/// browsers open (about six each per site); it bounds the request bodies held at once to
/// 1,024 × [`crate::body::MAX_REQUEST_BYTES`], 500 MiB (twice that while gzip bodies are
/// inflated). Each connection is also a file descriptor: under an open-file limit
/// (`ulimit -n`) of 1,024, common on Linux, that limit is met a little before the cap, and
/// accepting fails and is retried each second, as it always was.
pub const MAX_CONNECTIONS: usize = 1024;

/// How long a response may wait for the client to take more of it (the socket's send buffer
/// full, nothing acknowledged) before the connection is closed. Without it, a client that asks
/// and never reads (or pipelines requests for large files and reads none) would keep its
/// connection, and one of the [`MAX_CONNECTIONS`] slots, for as long as it likes, and a
/// graceful shutdown would wait on it forever: the header and body timeouts only bound reading.
/// A client that reads at all, however slowly, empties the buffer well within it.
pub const WRITE_STALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The bounds on connections: how many at once, how long a write may stall.
#[derive(Debug, Clone, Copy)]
struct Limits {
    connections: usize,
    write_stall: std::time::Duration,
}

#[derive(Debug)]
pub enum ServeError {
    Config(ConfigError),
    Store(StoreError),
    Bind {
        addr: String,
        source: std::io::Error,
    },
    Io(std::io::Error),
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(err) => err.fmt(f),
            Self::Store(err) => err.fmt(f),
            Self::Bind { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
            Self::Io(err) => write!(f, "server error: {err}"),
        }
    }
}

impl std::error::Error for ServeError {}

/// Runs the collector until SIGINT or SIGTERM, then finishes in-flight requests and commits
/// every queued write before returning.
pub async fn run(options: ServeOptions) -> Result<(), ServeError> {
    let sources = match &options.sources {
        Some(path) => Sources::load(path),
        None => Sources::demo(),
    }
    .map_err(ServeError::Config)?;
    let (store, writer) = store::open(&options.db).map_err(ServeError::Store)?;
    let last_good = remote_config::LastGood::default();
    for source in sources.iter() {
        // Not fatal either: the file is read on each request, so it can be fixed while the
        // collector runs; until then `GET /v1/config` serves the last good config the database
        // holds, or answers 503, and the note says which. A good file is kept as that from here on.
        match source.config.as_ref().map(remote_config::load) {
            Some(Ok(served)) => last_good.keep(&store, &source.name, &served).await,
            Some(Err(fault)) => {
                let instead = last_good.find(&store, &source.name).await;
                eprintln!(
                    "wayline: note: source {:?}: {}",
                    source.name,
                    fault.note(instead.as_ref())
                );
            }
            None => {}
        }
    }
    for (flag, dir) in [("--www", &options.www), ("--sdk", &options.sdk)] {
        // Not fatal: the API works without them, and the SDK may simply not be built yet.
        if !dir.is_dir() {
            eprintln!(
                "wayline: note: {flag} directory {} does not exist; its files will answer 404",
                dir.display()
            );
        }
    }

    let listener = TcpListener::bind(&options.listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: options.listen.clone(),
            source,
        })?;
    let local = listener.local_addr().map_err(ServeError::Io)?;
    let signals = ShutdownSignals::install()?;

    let app = router(AppState {
        sources: Arc::new(sources),
        store,
        www_dir: Arc::new(options.www),
        sdk_dir: Arc::new(options.sdk),
        last_good: Arc::new(last_good),
    });

    // The socket is listening from here on (connections queue in the backlog), so scripts
    // and tests may connect as soon as they read this line.
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "wayline collector listening on http://{local}").map_err(ServeError::Io)?;
    stdout.flush().map_err(ServeError::Io)?;
    drop(stdout);

    let limits = Limits {
        connections: MAX_CONNECTIONS,
        write_stall: WRITE_STALL_TIMEOUT,
    };
    serve_connections(listener, app, signals.recv(), limits).await;
    // The router, and with it every `Store` handle, is gone now; wait for the writer to
    // commit what was queued.
    let _ = tokio::task::spawn_blocking(move || writer.join()).await;
    Ok(())
}

/// Accepts connections until `shutdown` resolves, then waits for the requests in flight.
///
/// Each connection is HTTP/1.1 with a timer, so that hyper's header read timeout applies: a
/// client that trickles its request head, or leaves a connection idle, is cut off after
/// [`HEADER_READ_TIMEOUT`] (`axum::serve` sets no timer, and so no timeout). Bodies have their
/// own limit, [`crate::body::BODY_READ_TIMEOUT`], and writing a response [`WRITE_STALL_TIMEOUT`].
/// At most `limits.connections` are open at once (see [`MAX_CONNECTIONS`]).
async fn serve_connections(
    listener: TcpListener,
    app: axum::Router,
    shutdown: impl std::future::Future<Output = ()>,
    limits: Limits,
) {
    let graceful = GracefulShutdown::new();
    // A cap of 0 would accept nothing, ever.
    let slots = Arc::new(Semaphore::new(limits.connections.max(1)));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A slot is taken before accepting, not after: while none is free, connections stay
        // in the kernel's backlog and cost the collector nothing.
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        // The semaphore is never closed; were it, there would be nothing left to wait for.
        let Ok(slot) = slot else { break };
        let stream = tokio::select! {
            stream = accept(&listener) => stream,
            () = &mut shutdown => break,
        };
        if let Some(stream) = stream {
            spawn_connection(stream, limits, slot, &app, &graceful);
        }
    }
    drop(listener);
    graceful.shutdown().await;
}

/// The next connection, or `None` after an error, which has been dealt with.
async fn accept(listener: &TcpListener) -> Option<TcpStream> {
    match listener.accept().await {
        Ok((stream, _)) => Some(stream),
        Err(err) => {
            // A connection that went away before it was accepted is no concern; anything else
            // (out of file descriptors) is waited out rather than spun on.
            if !matches!(
                err.kind(),
                std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::ConnectionReset
            ) {
                eprintln!("wayline: cannot accept a connection: {err}");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
            None
        }
    }
}

/// Serves one connection on its own task, which gives its `slot` back when the connection
/// ends.
fn spawn_connection(
    stream: TcpStream,
    limits: Limits,
    slot: OwnedSemaphorePermit,
    app: &axum::Router,
    graceful: &GracefulShutdown,
) {
    let _ = stream.set_nodelay(true);
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        // A client may shut down its sending side once its request is sent and wait for the
        // answer. Without this, the end of its input seen while a handler is at work ends the
        // connection: the request is dropped half-handled and never answered.
        .half_close(true)
        .serve_connection(
            TokioIo::new(WriteDeadline::new(stream, limits.write_stall)),
            TowerToHyperService::new(app.clone()),
        );
    let connection = graceful.watch(connection);
    tokio::spawn(async move {
        // A client that goes away or sends garbage ends only its own connection.
        let _ = connection.await;
        drop(slot);
    });
}

/// A connection whose writes fail (`TimedOut`) once one has waited `limit` for the client to
/// take more bytes; any progress starts the wait afresh. Reads are the header and body
/// timeouts' concern.
struct WriteDeadline {
    stream: TcpStream,
    limit: std::time::Duration,
    /// Running while a write waits; boxed so that the connection stays `Unpin`.
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl WriteDeadline {
    fn new(stream: TcpStream, limit: std::time::Duration) -> Self {
        Self {
            stream,
            limit,
            stalled: None,
        }
    }

    /// `polled`, the socket's answer, unless it is still waiting and has waited `limit`.
    fn bound<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if polled.is_ready() {
            self.stalled = None;
            return polled;
        }
        let limit = self.limit;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client took none of the response for too long",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for WriteDeadline {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for WriteDeadline {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.bound(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        this.bound(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_flush(cx);
        this.bound(cx, polled)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_shutdown(cx);
        this.bound(cx, polled)
    }
}

/// SIGINT/SIGTERM listeners, registered before the "listening" line is printed so that a
/// supervisor that signals right after reading it still gets a clean shutdown.
struct ShutdownSignals {
    #[cfg(unix)]
    streams: Vec<tokio::signal::unix::Signal>,
}

impl ShutdownSignals {
    #[cfg(unix)]
    fn install() -> Result<Self, ServeError> {
        use tokio::signal::unix::{signal, SignalKind};
        let streams = [SignalKind::interrupt(), SignalKind::terminate()]
            .into_iter()
            .map(signal)
            .collect::<Result<Vec<_>, _>>()
            .map_err(ServeError::Io)?;
        Ok(Self { streams })
    }

    #[cfg(not(unix))]
    fn install() -> Result<Self, ServeError> {
        Ok(Self {})
    }

    /// Resolves on the first signal.
    #[cfg(unix)]
    async fn recv(mut self) {
        std::future::poll_fn(|cx| {
            for stream in &mut self.streams {
                if stream.poll_recv(cx).is_ready() {
                    return std::task::Poll::Ready(());
                }
            }
            std::task::Poll::Pending
        })
        .await;
    }

    #[cfg(not(unix))]
    async fn recv(self) {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Sends a keep-alive request for `/health`.
    async fn ask(stream: &mut TcpStream) {
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
    }

    /// `serve_connections` with `app` and `limits` on a loopback port: its address, the sender that
    /// stops it, and its task.
    async fn serve_on_loopback(
        app: axum::Router,
        limits: Limits,
    ) -> (
        std::net::SocketAddr,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let server = tokio::spawn(serve_connections(listener, app, shutdown, limits));
        (address, stop, server)
    }

    /// Whether an answer starts arriving within `wait`.
    async fn answered(stream: &mut TcpStream, wait: Duration) -> bool {
        let mut buffer = [0; 64];
        match tokio::time::timeout(wait, stream.read(&mut buffer)).await {
            Ok(read) => buffer[..read.unwrap()].starts_with(b"HTTP/1.1 200"),
            Err(_) => false,
        }
    }

    /// Past the cap, the loop stops accepting: a further connection waits in the kernel's
    /// backlog, unanswered and costing the collector no task, until an open one closes.
    #[tokio::test]
    async fn connections_past_the_cap_wait_until_one_closes() {
        let app = axum::Router::new().route("/health", axum::routing::get(|| async { "ok" }));
        let limits = Limits {
            connections: 2,
            write_stall: WRITE_STALL_TIMEOUT,
        };
        let (address, stop, server) = serve_on_loopback(app, limits).await;

        // Two connections, answered, then left open and idle: the cap is reached.
        let mut open = Vec::new();
        for _ in 0..2 {
            let mut stream = TcpStream::connect(address).await.unwrap();
            ask(&mut stream).await;
            assert!(answered(&mut stream, Duration::from_secs(5)).await);
            open.push(stream);
        }
        // The kernel completes a third connection, but the collector does not take it up.
        let mut third = TcpStream::connect(address).await.unwrap();
        ask(&mut third).await;
        assert!(!answered(&mut third, Duration::from_millis(200)).await);
        // One of the first closes; the third gets its place, and its answer.
        drop(open.remove(0));
        assert!(answered(&mut third, Duration::from_secs(5)).await);

        drop((open, third));
        stop.send(()).unwrap();
        server.await.unwrap();
    }

    /// A client may send its whole request and then shut down its side of the connection (a
    /// half-close: `nc -N`, scripts that signal the end of what they send); it still gets its
    /// answer, and what it sent is handled, instead of the connection being dropped unanswered
    /// (and the handler with it) when the end of its input is seen while the handler is still
    /// at work, as one reading a file or writing to the database is.
    #[tokio::test]
    async fn a_client_that_half_closes_after_its_request_is_answered() {
        let handled = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = Arc::clone(&handled);
        let work = Duration::from_millis(100);
        let app = axum::Router::new()
            .route(
                "/health",
                axum::routing::get(move || async move {
                    tokio::time::sleep(work).await;
                    "ok"
                }),
            )
            .route(
                "/length",
                axum::routing::post(move |body: axum::body::Bytes| async move {
                    tokio::time::sleep(work).await;
                    counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    body.len().to_string()
                }),
            );
        let limits = Limits {
            connections: 4,
            write_stall: WRITE_STALL_TIMEOUT,
        };
        let (address, stop, server) = serve_on_loopback(app, limits).await;

        for (request, answer) in [
            (&b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"[..], "ok"),
            (
                &b"POST /length HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"[..],
                "5",
            ),
        ] {
            let mut stream = TcpStream::connect(address).await.unwrap();
            stream.write_all(request).await.unwrap();
            stream.shutdown().await.unwrap();
            let mut response = Vec::new();
            tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response))
                .await
                .unwrap()
                .unwrap();
            let response = String::from_utf8_lossy(&response);
            assert!(response.starts_with("HTTP/1.1 200"), "{response:?}");
            assert!(
                response.ends_with(&format!("\r\n\r\n{answer}")),
                "{response:?}"
            );
        }
        assert_eq!(handled.load(std::sync::atomic::Ordering::SeqCst), 1);

        stop.send(()).unwrap();
        server.await.unwrap();
    }

    /// A client that asks for a large response and never reads it loses its connection once the
    /// write has stalled for the limit, and its slot goes to the next connection: it cannot hold
    /// one (nor, with as many, all of them) for as long as it likes.
    #[tokio::test]
    async fn a_client_that_reads_nothing_gives_its_slot_back() {
        let large = axum::body::Bytes::from(vec![b'x'; 8 << 20]);
        let app = axum::Router::new()
            .route("/health", axum::routing::get(|| async { "ok" }))
            .route("/large", axum::routing::get(move || async move { large }));
        let limits = Limits {
            connections: 1,
            write_stall: Duration::from_secs(1),
        };
        let (address, stop, server) = serve_on_loopback(app, limits).await;

        // Requests for far more than the sockets' buffers hold, none of it read.
        let mut greedy = TcpStream::connect(address).await.unwrap();
        let requests = b"GET /large HTTP/1.1\r\nHost: x\r\n\r\n".repeat(32);
        greedy.write_all(&requests).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;

        let mut next = TcpStream::connect(address).await.unwrap();
        ask(&mut next).await;
        assert!(answered(&mut next, Duration::from_secs(10)).await);

        drop((greedy, next));
        stop.send(()).unwrap();
        server.await.unwrap();
    }
}
