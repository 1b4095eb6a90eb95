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
use crate::remote_config::Served;

/// Bumped when the schema changes. Every change so far only adds tables, created on start
/// when missing, so an older file is brought up to date by [`open`] and stamped with this
/// version; an older collector then refuses it rather than ignore what it does not know.
///
/// 1: `events`, `rejected_events`. 2: `client_drops`.
pub const SCHEMA_VERSION: i64 = 2;

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
-- The reports read a source's events of a few names over a range of time, and count all of a range's events by
-- day and name: these indexes let them read only those rows (the second holds all the count needs, so no body is
-- read), rather than every event the source ever stored. About 10% more disk; ingest
-- throughput stayed within its run-to-run spread.
CREATE INDEX IF NOT EXISTS events_source_event_time ON events (source, event, timestamp);
CREATE INDEX IF NOT EXISTS events_source_time ON events (source, timestamp, type, event);
CREATE TABLE IF NOT EXISTS rejected_events (
    source TEXT NOT NULL,
    code   TEXT NOT NULL,
    count  INTEGER NOT NULL,
    PRIMARY KEY (source, code)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS client_drops (
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    count  INTEGER NOT NULL,
    PRIMARY KEY (source, reason)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS served_configs (
    source TEXT PRIMARY KEY,
    etag   TEXT NOT NULL,
    body   TEXT NOT NULL
) WITHOUT ROWID;
";

const INSERT_EVENT: &str = "INSERT OR IGNORE INTO events
    (source, message_id, type, event, anonymous_id, user_id, timestamp, received_at, body)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

const COUNT_REJECTED: &str = "INSERT INTO rejected_events (source, code, count) VALUES (?1, ?2, ?3)
    ON CONFLICT (source, code) DO UPDATE SET count = count + excluded.count";

const COUNT_DROPS: &str = "INSERT INTO client_drops (source, reason, count) VALUES (?1, ?2, ?3)
    ON CONFLICT (source, reason) DO UPDATE SET count = count + excluded.count";

const SERVE_CONFIG: &str = "INSERT INTO served_configs (source, etag, body) VALUES (?1, ?2, ?3)
    ON CONFLICT (source) DO UPDATE SET etag = excluded.etag, body = excluded.body";

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
    /// A PostgreSQL error (connecting, a statement, a transaction).
    Postgres(String),
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
            Self::Postgres(err) => write!(f, "database error: {err}"),
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

/// One request's worth of writes, all committed in one transaction or none.
#[derive(Debug, Default)]
pub struct Writes {
    /// Good events, stored unless their `messageId` already is.
    pub events: Vec<Event>,
    /// Rejected events of the request, as (code, count), added to `rejected_events`.
    pub rejected: Vec<(&'static str, i64)>,
    /// The client's drop report, as (reason, count), added to `client_drops`.
    pub drops: Vec<(&'static str, i64)>,
    /// A config just served for the source, kept as its last good one (`served_configs`).
    pub served_config: Option<Served>,
}

impl Writes {
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
            && self.rejected.is_empty()
            && self.drops.is_empty()
            && self.served_config.is_none()
    }
}

pub(crate) struct Job {
    pub(crate) source: String,
    pub(crate) writes: Writes,
    reply: oneshot::Sender<Result<InsertOutcome, StoreError>>,
}

/// `--db` names a SQLite file, or a PostgreSQL server by URL (`postgres://user@host:port/database`).
pub fn postgres_url(db: &Path) -> Option<&str> {
    db.to_str()
        .filter(|s| s.starts_with("postgres://") || s.starts_with("postgresql://"))
}

/// Cheap handle used by request handlers to reach the writer.
#[derive(Clone)]
pub struct Store {
    jobs: mpsc::Sender<Job>,
    /// The file or URL, for readers (reports) that open their own connection.
    path: std::sync::Arc<PathBuf>,
    /// The SQLite file's canonical path (`None` on PostgreSQL), for the static file server to
    /// refuse it and its companions however `--db` named it.
    sqlite_file: Option<std::sync::Arc<PathBuf>>,
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

/// Opens (creating if needed) the database and starts the writer thread: a SQLite file, or a PostgreSQL database
/// when `path` is a `postgres://` URL (see [`postgres_url`]).
pub fn open(path: &Path) -> Result<(Store, Writer), StoreError> {
    let backend = match postgres_url(path) {
        Some(url) => Backend::Postgres {
            client: Box::new(crate::pg::open(url)?),
            url: url.to_owned(),
        },
        None => Backend::Sqlite(SqliteWriter::open(path)?),
    };
    let (jobs, queue) = mpsc::channel(QUEUE_DEPTH);
    let thread = std::thread::Builder::new()
        .name("wayline-db-writer".into())
        .spawn(move || run_writer(backend, queue))
        .map_err(StoreError::Spawn)?;
    let sqlite_file = postgres_url(path)
        .is_none()
        .then(|| std::sync::Arc::new(canonical_file(path)));
    let path = std::sync::Arc::new(path.to_path_buf());
    let store = Store {
        jobs,
        path,
        sqlite_file,
    };
    Ok((store, Writer { thread }))
}

/// The database file's canonical path: absolute, without `.`, `..` or links, as the static
/// file server resolves the files it serves. SQLite has created the file by now. A name SQLite
/// resolves itself (`:memory:`, a `file:` URI) names no file there; it is kept as it is, and
/// matches nothing.
fn canonical_file(path: &Path) -> PathBuf {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

fn open_sqlite(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    // WAL lets `wayline events` and reports read while the collector writes; NORMAL
    // synchronous is durable across process crashes and only risks the last transactions on
    // power loss, which is the usual trade for an event pipeline.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    create_schema(&conn)?;
    Ok(conn)
}

/// The writer's one connection.
enum Backend {
    Sqlite(SqliteWriter),
    /// With its URL, to connect again when the server closes the session.
    Postgres {
        client: Box<postgres::Client>,
        url: String,
    },
}

/// The SQLite writer's connection and the file it opened.
///
/// SQLite keeps writing to a database file that was deleted (or renamed) under it, through the descriptor it holds:
/// every later transaction commits into a file no name reaches, each request is answered 200, and all of it is gone
/// when the collector exits. So before each transaction the writer checks that `--db` still names the file it
/// opened (by device and inode on Unix, by existence elsewhere); when it does not, the old connection is closed and
/// the path opened again, as at start (a new database, with its schema, if nothing is there).
struct SqliteWriter {
    path: PathBuf,
    /// `None` after a reopening that failed: the next transaction tries again.
    conn: Option<Connection>,
    /// The file opened; `None` when the name is one SQLite resolves itself (`:memory:`, a `file:` URI), which is
    /// not checked.
    file: Option<FileId>,
}

impl SqliteWriter {
    fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = open_sqlite(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            conn: Some(conn),
            file: FileId::of(path),
        })
    }

    fn write_group(&mut self, group: &[Job]) -> Result<Vec<InsertOutcome>, String> {
        // Once per loss: after a reopening that failed, the next transaction only tries again.
        if self.conn.is_some() && self.file.is_some() && FileId::of(&self.path) != self.file {
            eprintln!(
                "wayline: the database file {} was deleted or replaced while the collector ran; opening it again \
                 (a new database if nothing is there now): what was written to the old file since it went is in \
                 that file, not here",
                self.path.display()
            );
            if let Some(conn) = self.conn.take() {
                // SQLite does not checkpoint a file that moved when it closes it (nor delete its log), so the last
                // transactions would stay in a log named after `--db`, where the new database would find them:
                // they are put into the old file first, and the log emptied.
                if let Err(err) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                {
                    eprintln!("wayline: checkpointing the old database file failed: {err}");
                }
            }
            // What the old file left under the name (its emptied log, its shared memory) is not for a new database;
            // a database put at the path in its place keeps its own.
            if !self.path.exists() {
                for suffix in ["-wal", "-shm"] {
                    let mut name = self.path.clone().into_os_string();
                    name.push(suffix);
                    let _ = std::fs::remove_file(name);
                }
            }
        }
        if self.conn.is_none() {
            let conn = open_sqlite(&self.path).map_err(|err| err.to_string())?;
            self.file = FileId::of(&self.path);
            self.conn = Some(conn);
        }
        let conn = self
            .conn
            .as_mut()
            .ok_or_else(|| "no database connection".to_owned())?;
        write_group(conn, group).map_err(|err| err.to_string())
    }
}

/// Which file a path names: device and inode on Unix; elsewhere only that a file is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId(u64, u64);

impl FileId {
    fn of(path: &Path) -> Option<Self> {
        let metadata = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Some(Self(metadata.dev(), metadata.ino()))
        }
        #[cfg(not(unix))]
        {
            metadata.is_file().then_some(Self(0, 0))
        }
    }
}

pub(crate) fn create_schema(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(&format!("BEGIN IMMEDIATE; {SCHEMA}"))?;
    let result = (|| {
        let found: Option<i64> = conn
            .query_row("SELECT MAX(version) FROM schema_version", [], |row| {
                row.get(0)
            })
            .optional()?
            .flatten();
        match found {
            Some(found) if found > SCHEMA_VERSION => Err(StoreError::SchemaTooNew { found }),
            Some(SCHEMA_VERSION) => Ok(()),
            // New, or older: the `CREATE … IF NOT EXISTS` above added what was missing. A
            // row per upgrade keeps the history; the version is the highest.
            None | Some(_) => {
                conn.execute(
                    "INSERT INTO schema_version (version) VALUES (?1)",
                    [SCHEMA_VERSION],
                )?;
                Ok(())
            }
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
    /// The SQLite database's file, canonical (see [`canonical_file`]); `None` on PostgreSQL.
    /// SQLite keeps its write-ahead log, shared memory and rollback journal next to it, under the
    /// same name followed by `-wal`, `-shm` and `-journal`.
    pub fn sqlite_file(&self) -> Option<&Path> {
        self.sqlite_file.as_deref().map(PathBuf::as_path)
    }

    /// A connection for reading (SQLite: read-only, and WAL lets it read while the writer writes). Blocking: call
    /// it off the async runtime's threads.
    pub fn reader(&self) -> Result<Reader, StoreError> {
        Reader::open(&self.path)
    }

    /// Stores a request's good events and adds to its source's counters, in one
    /// transaction. Resolves once the transaction has committed.
    pub async fn insert(&self, source: &str, writes: Writes) -> Result<InsertOutcome, StoreError> {
        let (reply, outcome) = oneshot::channel();
        let job = Job {
            source: source.to_owned(),
            writes,
            reply,
        };
        self.jobs
            .send(job)
            .await
            .map_err(|_| StoreError::WriterStopped)?;
        outcome.await.map_err(|_| StoreError::WriterStopped)?
    }
}

fn run_writer(mut backend: Backend, mut queue: mpsc::Receiver<Job>) {
    let mut group = Vec::with_capacity(GROUP_COMMIT_MAX);
    while let Some(first) = queue.blocking_recv() {
        group.push(first);
        while group.len() < GROUP_COMMIT_MAX {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let written = match &mut backend {
            Backend::Sqlite(writer) => writer.write_group(&group),
            Backend::Postgres { client, url } => {
                crate::pg::write_group_reconnecting(client, url, &group)
                    .map_err(|err| err.to_string())
            }
        };
        match written {
            Ok(outcomes) => {
                for (job, outcome) in group.drain(..).zip(outcomes) {
                    let _ = job.reply.send(Ok(outcome));
                }
            }
            Err(message) => {
                // The transaction rolled back as a whole: every request in it is told so
                // and nothing was stored for any of them, so clients can retry safely.
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
        let mut count_drops = tx.prepare_cached(COUNT_DROPS)?;
        for job in group {
            let mut outcome = InsertOutcome::default();
            for event in &job.writes.events {
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
            for (code, n) in &job.writes.rejected {
                count.execute(params![job.source, code, n])?;
            }
            for (reason, n) in &job.writes.drops {
                count_drops.execute(params![job.source, reason, n])?;
            }
            if let Some(served) = &job.writes.served_config {
                tx.execute(SERVE_CONFIG, params![job.source, served.etag, served.body])?;
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
    if !has_table(&conn, "events")? {
        return Err(StoreError::NotAWaylineDatabase(path.to_path_buf()));
    }
    // Refused as `serve` refuses it: a newer collector may store what this one would misread.
    if has_table(&conn, "schema_version")? {
        let found: Option<i64> =
            conn.query_row("SELECT MAX(version) FROM schema_version", [], |row| {
                row.get(0)
            })?;
        if let Some(found) = found.filter(|&found| found > SCHEMA_VERSION) {
            return Err(StoreError::SchemaTooNew { found });
        }
    }
    Ok(conn)
}

fn has_table(conn: &Connection, name: &str) -> Result<bool, StoreError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
        [name],
        |row| row.get(0),
    )?)
}

/// The config last served for a source (see `remote_config`), if any was. The collector's writer created the table
/// when it opened the database.
pub fn served_config(reader: &mut Reader, source: &str) -> Result<Option<Served>, StoreError> {
    let rows = reader.rows(
        "SELECT etag, body FROM served_configs WHERE source = ?1",
        &[source.into()],
    )?;
    Ok(rows.into_iter().next().and_then(|row| {
        let mut cells = row.into_iter();
        let (Some(Cell::Text(etag)), Some(Cell::Text(body))) = (cells.next(), cells.next()) else {
            return None;
        };
        Some(Served { body, etag })
    }))
}

/// The number of stored events.
pub fn count_events(path: &Path) -> Result<u64, StoreError> {
    if let Some(url) = postgres_url(path) {
        return crate::pg::count_events(url);
    }
    let conn = open_read_only(path)?;
    let count: i64 = conn.query_row("SELECT COUNT(*) FROM events", [], |row| row.get(0))?;
    // COUNT(*) is never negative.
    Ok(u64::try_from(count).unwrap_or(0))
}

/// Calls `each` with every stored event's JSON body, in receive order.
pub fn for_each_event<E>(
    path: &Path,
    mut each: impl FnMut(&str) -> Result<(), E>,
) -> Result<Result<(), E>, StoreError> {
    if let Some(url) = postgres_url(path) {
        return crate::pg::for_each_event(url, each);
    }
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
    if let Some(url) = postgres_url(path) {
        return crate::pg::rejected_counts(url);
    }
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

/// One row of `client_drops`: what a source's clients reported dropping for one reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientDrops {
    pub source: String,
    pub reason: String,
    pub count: i64,
}

/// Every `client_drops` row, sorted by source, then reason. A database last written by a
/// collector older than the table has no drops recorded, which is what this returns.
pub fn client_drops(path: &Path) -> Result<Vec<ClientDrops>, StoreError> {
    if let Some(url) = postgres_url(path) {
        return crate::pg::client_drops(url);
    }
    let conn = open_read_only(path)?;
    if !has_table(&conn, "client_drops")? {
        return Ok(Vec::new());
    }
    let mut statement =
        conn.prepare("SELECT source, reason, count FROM client_drops ORDER BY source, reason")?;
    let rows = statement.query_map([], |row| {
        Ok(ClientDrops {
            source: row.get(0)?,
            reason: row.get(1)?,
            count: row.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
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
                Writes {
                    events: vec![event("1"), event("2"), event("1")],
                    rejected: vec![("invalid_type", 2)],
                    ..Writes::default()
                },
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
                Writes {
                    events: vec![event("2"), event("3")],
                    rejected: vec![("invalid_type", 1)],
                    ..Writes::default()
                },
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
            .insert(
                "other",
                Writes {
                    events: vec![event("1")],
                    ..Writes::default()
                },
            )
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

    fn drops(source: &str, reason: &str, count: i64) -> ClientDrops {
        ClientDrops {
            source: source.into(),
            reason: reason.into(),
            count,
        }
    }

    #[tokio::test]
    async fn sums_client_drops_per_source_and_reason_and_counts_events() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.db");
        let (store, writer) = open(&path).unwrap();
        for (source, id, report) in [
            ("demo", "1", vec![("overflow", 2), ("rejected", 5)]),
            ("other", "1", vec![("corrupt", 1)]),
            ("demo", "2", vec![("rejected", 1), ("expired", 3)]),
            // A report without events (and a repeated event) still counts.
            ("demo", "2", vec![("overflow", 4)]),
        ] {
            store
                .insert(
                    source,
                    Writes {
                        events: vec![event(id)],
                        drops: report,
                        ..Writes::default()
                    },
                )
                .await
                .unwrap();
        }
        store
            .insert(
                "demo",
                Writes {
                    drops: vec![("corrupt", 7)],
                    ..Writes::default()
                },
            )
            .await
            .unwrap();
        drop(store);
        writer.join();

        assert_eq!(
            client_drops(&path).unwrap(),
            [
                drops("demo", "corrupt", 7),
                drops("demo", "expired", 3),
                drops("demo", "overflow", 6),
                drops("demo", "rejected", 6),
                drops("other", "corrupt", 1),
            ]
        );
        assert_eq!(count_events(&path).unwrap(), 3);
    }

    #[tokio::test]
    async fn a_version_1_database_gains_client_drops_and_is_stamped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.db");
        // The schema as the first collector created it, with one event.
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_version (version INTEGER NOT NULL);
             INSERT INTO schema_version VALUES (1);
             CREATE TABLE events (
                 id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL,
                 message_id TEXT NOT NULL, type TEXT NOT NULL, event TEXT, anonymous_id TEXT,
                 user_id TEXT, timestamp TEXT NOT NULL, received_at TEXT NOT NULL,
                 body TEXT NOT NULL);
             CREATE UNIQUE INDEX events_source_message_id ON events (source, message_id);
             CREATE TABLE rejected_events (source TEXT NOT NULL, code TEXT NOT NULL,
                 count INTEGER NOT NULL, PRIMARY KEY (source, code)) WITHOUT ROWID;
             INSERT INTO events (source, message_id, type, timestamp, received_at, body)
                 VALUES ('demo', 'old', 'track', 't', 'r', '{}');",
        )
        .unwrap();
        drop(conn);
        // Readers take it as it is: no drops recorded yet.
        assert_eq!(client_drops(&path).unwrap(), []);
        assert_eq!(count_events(&path).unwrap(), 1);

        let (store, writer) = open(&path).unwrap();
        store
            .insert(
                "demo",
                Writes {
                    events: vec![event("old"), event("new")],
                    drops: vec![("expired", 2)],
                    ..Writes::default()
                },
            )
            .await
            .unwrap();
        drop(store);
        writer.join();
        assert_eq!(client_drops(&path).unwrap(), [drops("demo", "expired", 2)]);
        assert_eq!(count_events(&path).unwrap(), 2);

        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn
            .query_row("SELECT MAX(version) FROM schema_version", [], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        drop(conn);
        // Opening again changes nothing.
        let (store, writer) = open(&path).unwrap();
        drop(store);
        writer.join();
        let conn = Connection::open(&path).unwrap();
        let rows: i64 = conn
            .query_row("SELECT COUNT(*) FROM schema_version", [], |row| row.get(0))
            .unwrap();
        assert_eq!(rows, 2);
    }

    #[tokio::test]
    async fn the_reports_read_a_sources_events_through_indexes_an_older_database_gains() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE events (
                 id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL,
                 message_id TEXT NOT NULL, type TEXT NOT NULL, event TEXT, anonymous_id TEXT,
                 user_id TEXT, timestamp TEXT NOT NULL, received_at TEXT NOT NULL,
                 body TEXT NOT NULL);
             CREATE UNIQUE INDEX events_source_message_id ON events (source, message_id);",
        )
        .unwrap();
        drop(conn);
        let (store, writer) = open(&path).unwrap();
        drop(store);
        writer.join();
        let conn = Connection::open(&path).unwrap();
        let plan = |sql: &str| -> String {
            let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let rows = statement
                .query_map([], |row| row.get::<_, String>(3))
                .unwrap();
            rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
        };
        // The shapes of the reports' queries (reports.rs): events of some names over a range, and all of a
        // range's events counted by day and name.
        let named = plan(
            "SELECT anonymous_id, body FROM events WHERE source = 'demo' AND type = 'track'
             AND event IN ('Segment Entered', 'Segment Exited') AND timestamp >= 'a' AND timestamp < 'b'",
        );
        assert!(
            named.contains("USING INDEX events_source_event_time"),
            "{named}"
        );
        let by_day = plan(
            "SELECT substr(timestamp, 1, 10), CASE WHEN type = 'track' THEN event ELSE type END, COUNT(*)
             FROM events WHERE source = 'demo' AND timestamp >= 'a' AND timestamp < 'b' GROUP BY 1, 2",
        );
        assert!(
            by_day.contains("USING COVERING INDEX events_source_time"),
            "{by_day}"
        );
    }

    #[test]
    fn reading_a_missing_file_does_not_create_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.db");
        assert!(matches!(read_events(&path), Err(StoreError::Missing(_))));
        assert!(matches!(count_events(&path), Err(StoreError::Missing(_))));
        assert!(matches!(client_drops(&path), Err(StoreError::Missing(_))));
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

/// A query parameter for [`Reader::rows`].
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Text(String),
    Int(i64),
}

impl From<&str> for Param {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl From<i64> for Param {
    fn from(n: i64) -> Self {
        Self::Int(n)
    }
}

/// One value of a result row: what reports read (text and whole numbers).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
}

impl Cell {
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Text(s) => Some(s),
            _ => None,
        }
    }

    pub fn int(&self) -> i64 {
        match self {
            Self::Int(n) => *n,
            Self::Text(s) => s.parse().unwrap_or(0),
            Self::Null => 0,
        }
    }
}

/// A connection for reading, to either database, with one way to run a query: reports are written once, in SQL
/// both databases run (with SQLite's `?N` placeholders; [`Reader::dialect`] tells the few expressions that differ).
pub enum Reader {
    Sqlite(Connection),
    Postgres(crate::pg::Conn),
}

/// The SQL dialect of a [`Reader`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Reader {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Ok(match postgres_url(path) {
            Some(url) => Self::Postgres(crate::pg::open_for_reading(url)?),
            None => Self::Sqlite(open_read_only(path)?),
        })
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Self::Sqlite(_) => Dialect::Sqlite,
            Self::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Every row of a query, as cells.
    pub fn rows(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Vec<Cell>>, StoreError> {
        match self {
            Self::Postgres(client) => crate::pg::rows(client, sql, params),
            Self::Sqlite(conn) => {
                let mut statement = conn.prepare(sql)?;
                let columns = statement.column_count();
                let values: Vec<rusqlite::types::Value> = params
                    .iter()
                    .map(|p| match p {
                        Param::Text(s) => rusqlite::types::Value::Text(s.clone()),
                        Param::Int(n) => rusqlite::types::Value::Integer(*n),
                    })
                    .collect();
                let mut rows = statement.query(rusqlite::params_from_iter(values))?;
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    let mut cells = Vec::with_capacity(columns);
                    for i in 0..columns {
                        cells.push(match row.get_ref(i)? {
                            rusqlite::types::ValueRef::Null => Cell::Null,
                            rusqlite::types::ValueRef::Integer(n) => Cell::Int(n),
                            rusqlite::types::ValueRef::Real(x) => Cell::Text(x.to_string()),
                            rusqlite::types::ValueRef::Text(t)
                            | rusqlite::types::ValueRef::Blob(t) => {
                                Cell::Text(String::from_utf8_lossy(t).into_owned())
                            }
                        });
                    }
                    out.push(cells);
                }
                Ok(out)
            }
        }
    }
}
