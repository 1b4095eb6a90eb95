//! SQLite storage. One dedicated writer thread owns the only writing connection: SQLite
//! allows one writer at a time anyway, and funnelling every request through one thread
//! lets it put several requests into one transaction when they queue up (group commit),
//! which is what keeps throughput high on a small machine.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use tokio::sync::{mpsc, oneshot};

use crate::ingest::Event;

/// Bumped when the schema changes in a way that needs a migration.
pub const SCHEMA_VERSION: i64 = 1;

/// Requests waiting for the writer. When full, handlers wait (backpressure) rather than
/// piling up memory.
const QUEUE_DEPTH: usize = 256;
/// Most requests committed together in one transaction.
const GROUP_COMMIT_MAX: usize = 64;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    source       TEXT NOT NULL,
    message_id   TEXT NOT NULL,
    type         TEXT NOT NULL,
    event        TEXT,
    anonymous_id TEXT,
    user_id      TEXT,
    timestamp    TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    body         TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_source_message_id ON events (source, message_id);
CREATE TABLE IF NOT EXISTS rejected_events (
    source TEXT NOT NULL,
    code   TEXT NOT NULL,
    count  INTEGER NOT NULL,
    PRIMARY KEY (source, code)
) WITHOUT ROWID;
";

const INSERT_EVENT: &str = "INSERT OR IGNORE INTO events
    (source, message_id, type, event, anonymous_id, user_id, timestamp, received_at, body)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

const COUNT_REJECTED: &str = "INSERT INTO rejected_events (source, code, count) VALUES (?1, ?2, ?3)
    ON CONFLICT (source, code) DO UPDATE SET count = count + excluded.count";

#[derive(Debug)]
pub enum StoreError {
    Sqlite(rusqlite::Error),
    /// The file was written by a newer collector.
    SchemaTooNew {
        found: i64,
    },
    /// `wayline events` was pointed at a file that does not exist.
    Missing(PathBuf),
    /// The file exists but holds no Wayline schema.
    NotAWaylineDatabase(PathBuf),
    /// The writer thread could not be started.
    Spawn(std::io::Error),
    /// A write transaction failed and was rolled back; shared by every request in it.
    WriteFailed(String),
    /// The writer thread has stopped (after a crash or during shutdown).
    WriterStopped,
    /// Printing what was read failed.
    Output(std::io::Error),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(err) => write!(f, "database error: {err}"),
            Self::SchemaTooNew { found } => write!(
                f,
                "database schema version {found} is newer than this collector supports ({SCHEMA_VERSION})"
            ),
            Self::Missing(path) => write!(f, "no database at {}", path.display()),
            Self::NotAWaylineDatabase(path) => {
                write!(f, "{} is not a Wayline events database", path.display())
            }
            Self::Spawn(err) => write!(f, "cannot start the database writer: {err}"),
            Self::WriteFailed(message) => write!(f, "database write failed: {message}"),
            Self::WriterStopped => f.write_str("the database writer has stopped"),
            Self::Output(err) => write!(f, "cannot write output: {err}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        Self::Sqlite(err)
    }
}

/// What happened to a request's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InsertOutcome {
    pub accepted: usize,
    pub duplicates: usize,
}

/// One request's worth of writes.
struct Job {
    source: String,
    events: Vec<Event>,
    /// Rejected events of the request, as (code, count).
    rejected: Vec<(&'static str, i64)>,
    reply: oneshot::Sender<Result<InsertOutcome, StoreError>>,
}

/// Cheap handle used by request handlers to reach the writer.
#[derive(Clone)]
pub struct Store {
    jobs: mpsc::Sender<Job>,
}

/// The writer thread; [`Writer::join`] returns once every [`Store`] handle is dropped and
/// the queued writes are committed.
pub struct Writer {
    thread: JoinHandle<()>,
}

impl Writer {
    pub fn join(self) {
        // A panic in the writer has already failed its pending requests; nothing is left to
        // clean up here.
        let _ = self.thread.join();
    }
}

/// Opens (creating if needed) the database and starts the writer thread.
pub fn open(path: &Path) -> Result<(Store, Writer), StoreError> {
    let conn = Connection::open(path)?;
    // WAL lets `wayline events` and reports read while the collector writes; NORMAL
    // synchronous is durable across process crashes and only risks the last transactions on
    // power loss, which is the usual trade for an event pipeline.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    create_schema(&conn)?;

    let (jobs, queue) = mpsc::channel(QUEUE_DEPTH);
    let thread = std::thread::Builder::new()
        .name("wayline-db-writer".into())
        .spawn(move || run_writer(conn, queue))
        .map_err(StoreError::Spawn)?;
    Ok((Store { jobs }, Writer { thread }))
}

fn create_schema(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(&format!("BEGIN IMMEDIATE; {SCHEMA}"))?;
    let result = (|| {
        let found: Option<i64> = conn
            .query_row("SELECT MAX(version) FROM schema_version", [], |row| {
                row.get(0)
            })
            .optional()?
            .flatten();
        match found {
            None => {
                conn.execute(
                    "INSERT INTO schema_version (version) VALUES (?1)",
                    [SCHEMA_VERSION],
                )?;
                Ok(())
            }
            Some(found) if found > SCHEMA_VERSION => Err(StoreError::SchemaTooNew { found }),
            Some(_) => Ok(()),
        }
    })();
    match result {
        Ok(()) => conn.execute_batch("COMMIT")?,
        Err(err) => {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(err);
        }
    }
    Ok(())
}

impl Store {
    /// Stores a request's good events and counts its rejected ones, in one transaction.
    /// Resolves once the transaction has committed.
    pub async fn insert(
        &self,
        source: &str,
        events: Vec<Event>,
        rejected: Vec<(&'static str, i64)>,
    ) -> Result<InsertOutcome, StoreError> {
        let (reply, outcome) = oneshot::channel();
        let job = Job {
            source: source.to_owned(),
            events,
            rejected,
            reply,
        };
        self.jobs
            .send(job)
            .await
            .map_err(|_| StoreError::WriterStopped)?;
        outcome.await.map_err(|_| StoreError::WriterStopped)?
    }
}

fn run_writer(mut conn: Connection, mut queue: mpsc::Receiver<Job>) {
    let mut group = Vec::with_capacity(GROUP_COMMIT_MAX);
    while let Some(first) = queue.blocking_recv() {
        group.push(first);
        while group.len() < GROUP_COMMIT_MAX {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        match write_group(&mut conn, &group) {
            Ok(outcomes) => {
                for (job, outcome) in group.drain(..).zip(outcomes) {
                    let _ = job.reply.send(Ok(outcome));
                }
            }
            Err(err) => {
                // The transaction rolled back as a whole: every request in it is told so
                // and nothing was stored for any of them, so clients can retry safely.
                let message = err.to_string();
                for job in group.drain(..) {
                    let _ = job
                        .reply
                        .send(Err(StoreError::WriteFailed(message.clone())));
                }
            }
        }
    }
}

fn write_group(
    conn: &mut Connection,
    group: &[Job],
) -> Result<Vec<InsertOutcome>, rusqlite::Error> {
    let tx = conn.transaction()?;
    let mut outcomes = Vec::with_capacity(group.len());
    {
        let mut insert = tx.prepare_cached(INSERT_EVENT)?;
        let mut count = tx.prepare_cached(COUNT_REJECTED)?;
        for job in group {
            let mut outcome = InsertOutcome::default();
            for event in &job.events {
                // The unique index on (source, message_id) makes a repeated messageId a
                // no-op, so retries and double sends can never store an event twice.
                let changed = insert.execute(params![
                    job.source,
                    event.message_id,
                    event.kind.as_str(),
                    event.event_name,
                    event.anonymous_id,
                    event.user_id,
                    event.timestamp,
                    event.received_at,
                    event.body,
                ])?;
                if changed == 0 {
                    outcome.duplicates += 1;
                } else {
                    outcome.accepted += 1;
                }
            }
            for (code, n) in &job.rejected {
                count.execute(params![job.source, code, n])?;
            }
            outcomes.push(outcome);
        }
    }
    tx.commit()?;
    Ok(outcomes)
}

/// Opens an existing database for reading, without creating anything.
fn open_read_only(path: &Path) -> Result<Connection, StoreError> {
    if !path.exists() {
        return Err(StoreError::Missing(path.to_path_buf()));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let has_events: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events')",
        [],
        |row| row.get(0),
    )?;
    if !has_events {
        return Err(StoreError::NotAWaylineDatabase(path.to_path_buf()));
    }
    Ok(conn)
}

/// Calls `each` with every stored event's JSON body, in receive order.
pub fn for_each_event<E>(
    path: &Path,
    mut each: impl FnMut(&str) -> Result<(), E>,
) -> Result<Result<(), E>, StoreError> {
    let conn = open_read_only(path)?;
    let mut statement = conn.prepare("SELECT body FROM events ORDER BY id")?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let body: String = row.get(0)?;
        if let Err(err) = each(&body) {
            return Ok(Err(err));
        }
    }
    Ok(Ok(()))
}

/// Every stored event's JSON body, in receive order.
pub fn read_events(path: &Path) -> Result<Vec<String>, StoreError> {
    let mut bodies = Vec::new();
    for_each_event(path, |body| {
        bodies.push(body.to_owned());
        Ok::<(), std::convert::Infallible>(())
    })?
    .unwrap_or_else(|never| match never {});
    Ok(bodies)
}

/// Rejected-event counters as `(source, code) → count`.
pub fn rejected_counts(path: &Path) -> Result<BTreeMap<(String, String), i64>, StoreError> {
    let conn = open_read_only(path)?;
    let mut statement = conn.prepare("SELECT source, code, count FROM rejected_events")?;
    let rows = statement.query_map([], |row| Ok(((row.get(0)?, row.get(1)?), row.get(2)?)))?;
    let mut counts = BTreeMap::new();
    for row in rows {
        let (key, count) = row?;
        counts.insert(key, count);
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::MessageType;

    fn event(id: &str) -> Event {
        Event {
            message_id: id.into(),
            kind: MessageType::Track,
            event_name: Some("Clicked".into()),
            anonymous_id: Some("a".into()),
            user_id: None,
            timestamp: "2026-11-25T15:42:00.000Z".into(),
            received_at: "2026-11-25T15:42:01.000Z".into(),
            body: format!(r#"{{"messageId":"{id}"}}"#),
        }
    }

    #[tokio::test]
    async fn dedupes_per_source_and_counts_rejections() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.db");
        let (store, writer) = open(&path).unwrap();
        let first = store
            .insert(
                "demo",
                vec![event("1"), event("2"), event("1")],
                vec![("invalid_type", 2)],
            )
            .await
            .unwrap();
        assert_eq!(
            first,
            InsertOutcome {
                accepted: 2,
                duplicates: 1
            }
        );
        let again = store
            .insert(
                "demo",
                vec![event("2"), event("3")],
                vec![("invalid_type", 1)],
            )
            .await
            .unwrap();
        assert_eq!(
            again,
            InsertOutcome {
                accepted: 1,
                duplicates: 1
            }
        );
        let other = store
            .insert("other", vec![event("1")], vec![])
            .await
            .unwrap();
        assert_eq!(other.accepted, 1);
        drop(store);
        writer.join();

        let bodies = read_events(&path).unwrap();
        assert_eq!(
            bodies,
            [
                r#"{"messageId":"1"}"#,
                r#"{"messageId":"2"}"#,
                r#"{"messageId":"3"}"#,
                r#"{"messageId":"1"}"#
            ]
        );
        let counts = rejected_counts(&path).unwrap();
        assert_eq!(
            counts.get(&("demo".into(), "invalid_type".into())),
            Some(&3)
        );

        // Reopening keeps the data and the schema version.
        let (store, writer) = open(&path).unwrap();
        drop(store);
        writer.join();
        assert_eq!(read_events(&path).unwrap().len(), 4);
    }

    #[test]
    fn reading_a_missing_file_does_not_create_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.db");
        assert!(matches!(read_events(&path), Err(StoreError::Missing(_))));
        assert!(!path.exists());
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (99);")
            .unwrap();
        drop(conn);
        assert!(matches!(
            open(&path),
            Err(StoreError::SchemaTooNew { found: 99 })
        ));
    }
}
