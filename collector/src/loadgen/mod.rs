//! `wayline loadgen`: collector throughput on loopback. Sends distinct Segment `track`
//! messages in `POST /v1/batch` requests over several keep-alive connections and reports
//! events per second, request latency and what the collector accepted.
//!
//! Events are not retried: a failure is counted and reported, so that a loss shows up in
//! the figures instead of being papered over.

mod client;
mod messages;
mod report;
mod target;

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use self::client::Client;
pub use self::messages::Generator;
pub use self::report::{Report, Tally};
pub use self::target::{Target, UrlError};

/// Batches above this would pass the collector's 500 KiB request limit (≈700 bytes each).
pub const MAX_BATCH: usize = 500;
/// More connections than this only measure the scheduler.
pub const MAX_CONCURRENCY: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadgenOptions {
    pub url: String,
    pub write_key: String,
    pub events: usize,
    pub batch: usize,
    pub concurrency: usize,
}

impl LoadgenOptions {
    /// The defaults, for a collector at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            write_key: "wk_demo".into(),
            events: 200_000,
            batch: 50,
            concurrency: 8,
        }
    }
}

#[derive(Debug)]
pub enum LoadgenError {
    Url(UrlError),
    /// Nothing is listening: the run is not started at all.
    Connect {
        addr: String,
        source: std::io::Error,
    },
    /// A sending task ended abnormally.
    Worker(String),
}

impl fmt::Display for LoadgenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Url(err) => err.fmt(f),
            Self::Connect { addr, source } => write!(f, "cannot connect to {addr}: {source}"),
            Self::Worker(err) => write!(f, "a sending task failed: {err}"),
        }
    }
}

impl std::error::Error for LoadgenError {}

/// Runs the load and returns the report. Must be called inside a tokio runtime.
pub async fn run(options: LoadgenOptions) -> Result<Report, LoadgenError> {
    let target = Target::parse(&options.url).map_err(LoadgenError::Url)?;
    let batch = options.batch.clamp(1, MAX_BATCH);
    let concurrency = options.concurrency.clamp(1, MAX_CONCURRENCY);
    let requests = options.events.div_ceil(batch);
    let generator = Arc::new(Generator::new(
        Generator::fresh_run_id(),
        options.write_key.clone(),
    ));

    // Every connection is open before the clock starts, and a collector that is not up
    // fails the run here rather than as thousands of failed requests.
    let mut clients = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let mut client = Client::new(&target);
        client
            .connect()
            .await
            .map_err(|source| LoadgenError::Connect {
                addr: target.addr.clone(),
                source,
            })?;
        clients.push(client);
    }

    let next = Arc::new(AtomicUsize::new(0));
    let plan = Plan {
        events: options.events,
        batch,
        requests,
    };
    let started = Instant::now();
    let workers: Vec<_> = clients
        .into_iter()
        .map(|client| {
            tokio::spawn(send_batches(
                client,
                Arc::clone(&generator),
                Arc::clone(&next),
                plan,
            ))
        })
        .collect();
    let mut tally = Tally::default();
    for worker in workers {
        tally.merge(
            worker
                .await
                .map_err(|err| LoadgenError::Worker(err.to_string()))?,
        );
    }
    let elapsed = started.elapsed();
    let url = format!("http://{}{}", target.addr, target.path);
    Ok(Report::new(url, batch, concurrency, elapsed, tally))
}

#[derive(Debug, Clone, Copy)]
struct Plan {
    events: usize,
    batch: usize,
    requests: usize,
}

/// Takes batch numbers from the shared counter until none are left, so that fast
/// connections do more of the work and the run ends when the last answer arrives.
async fn send_batches(
    mut client: Client,
    generator: Arc<Generator>,
    next: Arc<AtomicUsize>,
    plan: Plan,
) -> Tally {
    let mut tally = Tally::default();
    let mut body = String::new();
    loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        if index >= plan.requests {
            return tally;
        }
        let first = index * plan.batch;
        let len = plan.batch.min(plan.events - first);
        generator.batch(first, len, &mut body);
        let events = len as u64;
        let sent = Instant::now();
        match client.post(body.as_bytes()).await {
            Ok(answer) => tally.answered(events, sent.elapsed(), answer.status, &answer.body),
            Err(_) => tally.failed(events),
        }
    }
}
