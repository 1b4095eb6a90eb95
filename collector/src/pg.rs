//! PostgreSQL storage, for `--db postgres://…`: the tables, writes and reads of [`crate::store`] on a server, so
//! that several collectors can share one database (horizontal scaling; SPEC §10).
//!
//! The tables have the same columns as SQLite's and hold the same text (the stored message body included, byte
//! for byte), so `wayline events` prints the same lines from either. Deduplication is the same unique index on
//! `(source, message_id)`: two collectors storing one message at once store it once.

use std::collections::BTreeMap;
use std::time::Duration;

use postgres::types::Type;
use postgres::{Client, Config, NoTls, Row};

use crate::store::{Cell, Job, Param, StoreError, SCHEMA_VERSION};
use crate::store::{ClientDrops, InsertOutcome};

/// The schema, created when missing. `timestamp` and `received_at` are the collector's ISO-8601 UTC text, as in
/// SQLite: they sort in time order as text, and reports compare them as text.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    id           BIGSERIAL PRIMARY KEY,
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
    count  BIGINT NOT NULL,
    PRIMARY KEY (source, code)
);
CREATE TABLE IF NOT EXISTS client_drops (
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    count  BIGINT NOT NULL,
    PRIMARY KEY (source, reason)
);
CREATE TABLE IF NOT EXISTS served_configs (
    source TEXT PRIMARY KEY,
    etag   TEXT NOT NULL,
    body   TEXT NOT NULL
);
";

/// Serialises schema creation between collectors starting at once against one database (`CREATE … IF NOT
/// EXISTS` alone can race).
/// ("wayline" in ASCII.)
const SCHEMA_LOCK: i64 = 0x0077_6179_6c69_6e65;

/// A request's events in one statement (one round trip, not one per event), in the request's order; the count of
/// rows inserted tells the duplicates apart.
const INSERT_EVENTS: &str = "INSERT INTO events
    (source, message_id, type, event, anonymous_id, user_id, timestamp, received_at, body)
    SELECT $1, m, t, e, a, u, ts, r, b
    FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
        WITH ORDINALITY AS batch (m, t, e, a, u, ts, r, b, n)
    ORDER BY n
    ON CONFLICT (source, message_id) DO NOTHING";

const COUNT_REJECTED: &str = "INSERT INTO rejected_events (source, code, count) VALUES ($1, $2, $3)
    ON CONFLICT (source, code) DO UPDATE SET count = rejected_events.count + excluded.count";

const COUNT_DROPS: &str = "INSERT INTO client_drops (source, reason, count) VALUES ($1, $2, $3)
    ON CONFLICT (source, reason) DO UPDATE SET count = client_drops.count + excluded.count";
const SERVE_CONFIG: &str = "INSERT INTO served_configs (source, etag, body) VALUES ($1, $2, $3)
    ON CONFLICT (source) DO UPDATE SET etag = excluded.etag, body = excluded.body";

impl From<postgres::Error> for StoreError {
    fn from(err: postgres::Error) -> Self {
        Self::Postgres(err.to_string())
    }
}

/// The synchronous client runs a runtime of its own, which cannot start on a thread that drives tokio's (the
/// collector's handlers, async tests): from such a thread, the call runs on a short-lived thread of its own.
fn off_runtime<T: Send>(f: impl FnOnce() -> Result<T, StoreError> + Send) -> Result<T, StoreError> {
    if tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|s| s.spawn(f).join())
        .unwrap_or_else(|_| Err(StoreError::Postgres("a database call failed".into())))
}

/// A client whose connection is closed off the caller's runtime, if it has one: closing blocks on the client's
/// own runtime, like every call.
pub struct Conn(Option<Client>);

impl std::ops::Deref for Conn {
    type Target = Client;
    fn deref(&self) -> &Client {
        // Only `drop` takes the client out.
        self.0.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut Client {
        self.0.as_mut().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if let Some(client) = self.0.take() {
            let _ = off_runtime(move || {
                drop(client);
                Ok(())
            });
        }
    }
}

/// How long one attempt to open a TCP connection to the server may take when the URL does not say
/// (`?connect_timeout=SECONDS`; `0` waits as long as the OS does). A server on a private network or through a
/// tunnel answers within milliseconds, and 5 s allows two lost SYNs to be sent again; without a limit, a host
/// that does not answer (down, firewalled, failed over to another address) would hold the writer, and every
/// request queued behind it, for the OS's TCP timeout: about two minutes on Linux.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

fn connect(url: &str) -> Result<Client, StoreError> {
    Ok(config(url)?.connect(NoTls)?)
}

/// The URL's connection settings, with [`CONNECT_TIMEOUT`] unless the URL sets a `connect_timeout`.
fn config(url: &str) -> Result<Config, StoreError> {
    let mut config: Config = url.parse()?;
    let query = url.split_once('?').map_or("", |(_, query)| query);
    let named = wayline::core::url::query_pairs(query).any(|(key, _)| key == "connect_timeout");
    if !named {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    Ok(config)
}

/// Connects and creates the schema when missing; refuses a database of a newer collector.
pub fn open(url: &str) -> Result<Client, StoreError> {
    off_runtime(|| create_schema(url))
}

fn create_schema(url: &str) -> Result<Client, StoreError> {
    let mut client = connect(url)?;
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
    tx.batch_execute(SCHEMA)?;
    let found: Option<i32> = tx
        .query_one("SELECT MAX(version) FROM schema_version", &[])?
        .get(0);
    let current = i32::try_from(SCHEMA_VERSION).unwrap_or(i32::MAX);
    match found {
        Some(found) if found > current => {
            return Err(StoreError::SchemaTooNew {
                found: i64::from(found),
            })
        }
        Some(found) if found == current => {}
        _ => {
            tx.execute(
                "INSERT INTO schema_version (version) VALUES ($1)",
                &[&current],
            )?;
        }
    }
    tx.commit()?;
    Ok(client)
}

/// [`write_group`] on the writer's connection, connecting again when the server has closed it (a restart, a
/// failover, an idle or administrator's termination): without this, every later write would fail on the dead
/// connection until the collector was restarted. The group is written again on the new connection; should the
/// old one have died after its commit went through, the events are found stored and answered as duplicates,
/// never stored twice (the rejected-event and drop counters of that group are added twice then, as they are when
/// a client retries a request whose answer it lost).
pub(crate) fn write_group_reconnecting(
    client: &mut Client,
    url: &str,
    group: &[Job],
) -> Result<Vec<InsertOutcome>, StoreError> {
    match write_group(client, group) {
        Err(err) if client.is_closed() => {
            *client = connect(url).map_err(|_| err)?;
            write_group(client, group)
        }
        written => written,
    }
}

/// Commits a group of requests in one transaction, as the SQLite writer does.
pub(crate) fn write_group(
    client: &mut Client,
    group: &[Job],
) -> Result<Vec<InsertOutcome>, StoreError> {
    let mut tx = client.transaction()?;
    let insert = tx.prepare(INSERT_EVENTS)?;
    let count = tx.prepare(COUNT_REJECTED)?;
    let count_drops = tx.prepare(COUNT_DROPS)?;
    let mut outcomes = Vec::with_capacity(group.len());
    for job in group {
        let events = &job.writes.events;
        let column = |f: &dyn Fn(&crate::ingest::Event) -> Option<String>| -> Vec<Option<String>> {
            events.iter().map(f).collect()
        };
        let inserted = if events.is_empty() {
            0
        } else {
            tx.execute(
                &insert,
                &[
                    &job.source,
                    &column(&|e| Some(text(&e.message_id))),
                    &column(&|e| Some(e.kind.as_str().to_owned())),
                    &column(&|e| e.event_name.as_deref().map(text)),
                    &column(&|e| e.anonymous_id.as_deref().map(text)),
                    &column(&|e| e.user_id.as_deref().map(text)),
                    &column(&|e| Some(e.timestamp.clone())),
                    &column(&|e| Some(e.received_at.clone())),
                    &column(&|e| Some(e.body.clone())),
                ],
            )?
        };
        let inserted = usize::try_from(inserted).unwrap_or(events.len());
        let outcome = InsertOutcome {
            accepted: inserted,
            duplicates: events.len().saturating_sub(inserted),
        };
        for (code, n) in &job.writes.rejected {
            tx.execute(&count, &[&job.source, code, n])?;
        }
        for (reason, n) in &job.writes.drops {
            tx.execute(&count_drops, &[&job.source, reason, n])?;
        }
        if let Some(served) = &job.writes.served_config {
            tx.execute(SERVE_CONFIG, &[&job.source, &served.etag, &served.body])?;
        }
        outcomes.push(outcome);
    }
    tx.commit()?;
    Ok(outcomes)
}

/// A client's string as a column value. PostgreSQL's `text` cannot hold U+0000, which JSON allows (`"\u0000"`)
/// and SQLite stores: the statement would fail, and with it the whole group of requests, again on every retry.
/// It is stored as U+FFFD instead. Only the columns change: the stored body escapes it and keeps it.
fn text(value: &str) -> String {
    value.replace('\0', "\u{FFFD}")
}

/// A connection for reading, to a database that has the schema.
pub fn open_for_reading(url: &str) -> Result<Conn, StoreError> {
    off_runtime(|| reading(url)).map(|client| Conn(Some(client)))
}

fn reading(url: &str) -> Result<Client, StoreError> {
    let mut client = connect(url)?;
    let exists: bool = client
        .query_one("SELECT to_regclass('events') IS NOT NULL", &[])?
        .get(0);
    if !exists {
        return Err(StoreError::NotAWaylineDatabase(url.into()));
    }
    // Refused as `serve` refuses it (see `create_schema`).
    let versioned: bool = client
        .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])?
        .get(0);
    if versioned {
        let found: Option<i32> = client
            .query_one("SELECT MAX(version) FROM schema_version", &[])?
            .get(0);
        if let Some(found) = found.map(i64::from).filter(|&found| found > SCHEMA_VERSION) {
            return Err(StoreError::SchemaTooNew { found });
        }
    }
    Ok(client)
}

pub fn count_events(url: &str) -> Result<u64, StoreError> {
    off_runtime(|| {
        let mut client = reading(url)?;
        let n: i64 = client.query_one("SELECT COUNT(*) FROM events", &[])?.get(0);
        Ok(u64::try_from(n).unwrap_or(0))
    })
}

/// Calls `each` with every stored body in receive order, fetching in pages so a large table is never held in
/// memory at once.
pub fn for_each_event<E>(
    url: &str,
    mut each: impl FnMut(&str) -> Result<(), E>,
) -> Result<Result<(), E>, StoreError> {
    const PAGE: i64 = 5_000;
    let mut client = open_for_reading(url)?;
    let mut after: i64 = 0;
    loop {
        let client: &mut Client = &mut client;
        let page: Vec<(i64, String)> = off_runtime(|| {
            Ok(client
                .query(
                    "SELECT id, body FROM events WHERE id > $1 ORDER BY id LIMIT $2",
                    &[&after, &PAGE],
                )?
                .iter()
                .map(|row| (row.get(0), row.get(1)))
                .collect())
        })?;
        for (id, body) in &page {
            after = *id;
            if let Err(err) = each(body) {
                return Ok(Err(err));
            }
        }
        if (page.len() as i64) < PAGE {
            return Ok(Ok(()));
        }
    }
}

pub fn rejected_counts(url: &str) -> Result<BTreeMap<(String, String), i64>, StoreError> {
    off_runtime(|| {
        let mut client = reading(url)?;
        Ok(client
            .query("SELECT source, code, count FROM rejected_events", &[])?
            .iter()
            .map(|row| ((row.get(0), row.get(1)), row.get(2)))
            .collect())
    })
}

pub fn client_drops(url: &str) -> Result<Vec<ClientDrops>, StoreError> {
    off_runtime(|| {
        let mut client = reading(url)?;
        Ok(client
            .query(
                "SELECT source, reason, count FROM client_drops ORDER BY source, reason",
                &[],
            )?
            .iter()
            .map(|row| ClientDrops {
                source: row.get(0),
                reason: row.get(1),
                count: row.get(2),
            })
            .collect())
    })
}

/// Runs a query written with SQLite's `?N` placeholders (see [`crate::store::Reader::rows`]).
pub fn rows(
    client: &mut Client,
    sql: &str,
    params: &[Param],
) -> Result<Vec<Vec<Cell>>, StoreError> {
    let sql = dollar_placeholders(sql);
    let values: Vec<Box<dyn postgres::types::ToSql + Sync>> = params
        .iter()
        .map(|p| -> Box<dyn postgres::types::ToSql + Sync> {
            match p {
                Param::Text(s) => Box::new(s.clone()),
                Param::Int(n) => Box::new(*n),
            }
        })
        .collect();
    let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
        values.iter().map(|b| b.as_ref()).collect();
    let rows = client.query(sql.as_str(), &refs)?;
    rows.iter().map(cells).collect()
}

fn cells(row: &Row) -> Result<Vec<Cell>, StoreError> {
    let mut out = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let ty = column.type_();
        let cell = if *ty == Type::INT8 {
            row.try_get::<_, Option<i64>>(i)?
                .map_or(Cell::Null, Cell::Int)
        } else if *ty == Type::INT4 {
            row.try_get::<_, Option<i32>>(i)?
                .map_or(Cell::Null, |n| Cell::Int(i64::from(n)))
        } else if *ty == Type::BOOL {
            row.try_get::<_, Option<bool>>(i)?
                .map_or(Cell::Null, |b| Cell::Int(i64::from(b)))
        } else {
            row.try_get::<_, Option<String>>(i)?
                .map_or(Cell::Null, Cell::Text)
        };
        out.push(cell);
    }
    Ok(out)
}

/// `?7` → `$7`: the reports' queries are written once, in SQLite's placeholder style.
fn dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_numbered_dollars() {
        assert_eq!(
            dollar_placeholders("a = ?1 AND b IN (?2, ?10) AND c = '?' AND d = '$.x'"),
            "a = $1 AND b IN ($2, $10) AND c = '?' AND d = '$.x'"
        );
    }

    #[test]
    fn connections_have_a_time_limit_unless_the_url_sets_one() {
        let limit = |url: &str| config(url).unwrap().get_connect_timeout().copied();
        assert_eq!(limit("postgres://u@db:5432/wayline"), Some(CONNECT_TIMEOUT));
        assert_eq!(
            limit("postgresql://u@db/wayline?application_name=w"),
            Some(CONNECT_TIMEOUT)
        );
        assert_eq!(
            limit("postgres://u@db/wayline?connect_timeout=30"),
            Some(Duration::from_secs(30))
        );
        // libpq's meaning: 0 waits as long as the OS does.
        assert_eq!(limit("postgres://u@db/wayline?connect_timeout=0"), None);
    }
}
