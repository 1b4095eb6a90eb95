//! `wayline serve`: wiring sources, storage and routes onto a listening socket.

use std::fmt;
use std::future::Future;
use std::io::Write;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::cli::ServeOptions;
use crate::config::{ConfigError, Sources};
use crate::http::{router, AppState};
use crate::store::{self, StoreError};

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

    let listener = TcpListener::bind(&options.listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: options.listen.clone(),
            source,
        })?;
    let local = listener.local_addr().map_err(ServeError::Io)?;

    let app = router(AppState {
        sources: Arc::new(sources),
        store,
        www_dir: Arc::new(options.www),
        sdk_dir: Arc::new(options.sdk),
    });

    // The socket is listening from here on (connections queue in the backlog), so scripts
    // and tests may connect as soon as they read this line.
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "wayline collector listening on http://{local}").map_err(ServeError::Io)?;
    stdout.flush().map_err(ServeError::Io)?;
    drop(stdout);

    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(ServeError::Io);
    // The router, and with it every `Store` handle, is gone now; wait for the writer to
    // commit what was queued.
    let _ = tokio::task::spawn_blocking(move || writer.join()).await;
    served
}

async fn shutdown_signal() {
    let interrupt = async {
        // If the handler cannot be installed, the default (immediate exit) still applies.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    // Whichever signal comes first; polled by hand to avoid pulling in a macro crate for
    // one `select!`.
    let mut interrupt = std::pin::pin!(interrupt);
    let mut terminate = std::pin::pin!(terminate);
    std::future::poll_fn(|cx| {
        if interrupt.as_mut().poll(cx).is_ready() || terminate.as_mut().poll(cx).is_ready() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
}
