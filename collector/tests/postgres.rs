//! The collector on PostgreSQL (`--db postgres://…`): the same requests give the same answers, stored events,
//! counters and reports as on SQLite, and several collectors can share one database.
//!
//! Each test run starts its own PostgreSQL server on a free loopback port in a temporary directory (`initdb`,
//! `pg_ctl`; as the `postgres` user when run as root) and stops it at the end. PostgreSQL must be installed
//! (`scripts/setup.sh` installs Debian's `postgresql`).

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{batch, batch_reporting, track, Harness};
use serde_json::{json, Value};
use wayline_collector::config::Sources;
use wayline_collector::store;

struct Server {
    _dir: tempfile::TempDir,
    data: PathBuf,
    bin: PathBuf,
    port: u16,
}

impl Server {
    fn start() -> Self {
        let bin = find_bin().expect(
            "PostgreSQL is needed for these tests (initdb and pg_ctl); scripts/setup.sh installs Debian's postgresql",
        );
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        if is_root() {
            // PostgreSQL refuses to run as root: the cluster belongs to the `postgres` user.
            run(Command::new("chmod").args(["755"]).arg(dir.path()));
            run(Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(dir.path()));
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        run(as_owner(&bin.join("initdb")).args(["-D"]).arg(&data).args([
            "-A",
            "trust",
            "-U",
            "wayline",
            "-E",
            "UTF8",
            "--no-sync",
        ]));
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            dir.path().display()
        );
        run(as_owner(&bin.join("pg_ctl"))
            .args(["-D"])
            .arg(&data)
            .args(["-o", &options, "-l"])
            .arg(dir.path().join("log"))
            .args(["-w", "start"]));
        Self {
            _dir: dir,
            data,
            bin,
            port,
        }
    }

    /// A new empty database on the server, as a `--db` URL.
    fn database(&self, name: &str) -> PathBuf {
        let admin = format!("postgres://wayline@127.0.0.1:{}/postgres", self.port);
        let name_owned = name.to_owned();
        // Off the test's runtime: the synchronous client runs one of its own.
        std::thread::spawn(move || {
            let mut client = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
            for statement in [
                format!("DROP DATABASE IF EXISTS {name_owned}"),
                format!("CREATE DATABASE {name_owned}"),
            ] {
                client.batch_execute(&statement).unwrap();
            }
        })
        .join()
        .unwrap();
        PathBuf::from(format!("postgres://wayline@127.0.0.1:{}/{name}", self.port))
    }
}

/// One server for the whole test binary (tests run in parallel, each on its own database). A static is never
/// dropped, so the server is stopped when the process ends, by [`stop_at_exit`].
fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let server = Server::start();
        stop_at_exit(&server);
        server
    })
}

/// Statics are not dropped: the server is stopped by a watcher process when this test process is gone. The
/// watcher outlives this process on purpose, so it is never waited for.
#[allow(clippy::zombie_processes)]
fn stop_at_exit(server: &Server) {
    let script = format!(
        "while kill -0 {} 2>/dev/null; do sleep 0.2; done; {} {} -D {} -m immediate stop >/dev/null 2>&1; rm -rf {}",
        std::process::id(),
        if is_root() { "runuser -u postgres --" } else { "" },
        server.bin.join("pg_ctl").display(),
        server.data.display(),
        server.data.parent().unwrap().display(),
    );
    Command::new("sh").args(["-c", &script]).spawn().unwrap();
}

fn find_bin() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").is_file() && bin.join("pg_ctl").is_file())
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn as_owner(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(command: &mut Command) {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The same collector on SQLite and on a fresh PostgreSQL database.
fn pair(name: &str) -> (Harness, Harness) {
    let sqlite = Harness::new();
    let pg = Harness::with_database(Sources::demo().unwrap(), Some(server().database(name)));
    (sqlite, pg)
}

/// The demo source's report for `query` from both collectors, each checked to be a 200.
async fn reports_on_both(
    sqlite: &Harness,
    pg: &Harness,
    query: &str,
) -> (common::Reply, common::Reply) {
    let request = || {
        Request::get(format!("/v1/reports{query}"))
            .header("authorization", "Bearer rk_demo")
            .body(Body::empty())
            .unwrap()
    };
    let a = sqlite.send(request()).await;
    let b = pg.send(request()).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        b.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&b.body)
    );
    (a, b)
}

fn event(id: &str, visitor: &str, name: &str, day: u32, properties: Value) -> Value {
    json!({
        "type": "track", "event": name, "messageId": id, "anonymousId": visitor,
        "timestamp": format!("2026-11-{day:02}T10:00:00.000Z"), "properties": properties,
    })
}

#[tokio::test]
async fn ingest_answers_stores_and_counts_as_on_sqlite() {
    let (sqlite, pg) = pair("ingest");
    let requests = [
        batch(vec![track("m-1"), track("m-2")]),
        // A retry of m-2 with a new event: m-2 is a duplicate.
        batch(vec![track("m-2"), track("m-3")]),
        // One bad event is rejected and counted; the good one is stored.
        batch(vec![
            json!({"type": "track", "messageId": "bad"}),
            track("m-4"),
        ]),
        batch_reporting(vec![track("m-5")], json!({"overflow": 2, "expired": 1})),
        batch_reporting(vec![], json!({"overflow": 3})),
    ];
    for body in requests {
        let a = sqlite.post("/v1/batch", body.clone()).await;
        let b = pg.post("/v1/batch", body).await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(b.status, a.status);
        assert_eq!(b.json(), a.json());
    }
    let stored = pg.events();
    assert_eq!(stored.len(), 5);
    // The stored bodies but `receivedAt` (the clock of each request) are the same text on both.
    let strip = |mut events: Vec<Value>| {
        for e in &mut events {
            e.as_object_mut().unwrap().remove("receivedAt");
            e.as_object_mut().unwrap().remove("timestamp");
        }
        events
    };
    assert_eq!(strip(stored), strip(sqlite.events()));
    assert_eq!(pg.drops(), sqlite.drops());
    assert_eq!(
        pg.drops(),
        [
            ("demo".to_owned(), "expired".to_owned(), 1),
            ("demo".to_owned(), "overflow".to_owned(), 5)
        ]
    );
    assert!(pg.rejected("demo", "missing_identity") + pg.rejected("demo", "missing_event") >= 1);
    assert_eq!(
        store::rejected_counts(&pg.db).unwrap(),
        store::rejected_counts(&sqlite.db).unwrap()
    );
    assert_eq!(store::count_events(&pg.db).unwrap(), 5);
}

#[tokio::test]
async fn reports_are_the_same_on_both_databases() {
    let (sqlite, pg) = pair("reports");
    let c = |id: &str| json!({"campaign": id});
    let messages = vec![
        event("e1", "a", "Campaign Shown", 2, c("nps")),
        event(
            "e2",
            "a",
            "Survey Answered",
            2,
            json!({"campaign": "nps", "question": "score", "answer": 10}),
        ),
        event(
            "e3",
            "a",
            "Survey Answered",
            2,
            json!({"campaign": "nps", "question": "love", "answer": ["x", "y"]}),
        ),
        event(
            "e4",
            "a",
            "Survey Answered",
            2,
            json!({"campaign": "nps", "question": "why", "answer": "<b>fast</b>"}),
        ),
        event("e5", "b", "Campaign Held Out", 2, c("nps")),
        event("e6", "a", "Order Completed", 4, json!({})),
        event("e7", "b", "Order Completed", 20, json!({})),
        event(
            "e8",
            "a",
            "Segment Entered",
            2,
            json!({"segment": "buyers"}),
        ),
        event(
            "e9",
            "b",
            "Segment Entered",
            2,
            json!({"segment": "buyers"}),
        ),
        event(
            "e10",
            "b",
            "Segment Exited",
            3,
            json!({"segment": "buyers"}),
        ),
        event(
            "e11",
            "a",
            "Journey Stage Changed",
            2,
            json!({"journey": "life", "from": null, "to": "aware"}),
        ),
        event(
            "e12",
            "a",
            "Journey Stage Changed",
            3,
            json!({"journey": "life", "from": "aware", "to": "buyer"}),
        ),
        event(
            "e13",
            "a",
            "Reward Claimed",
            5,
            json!({"campaign": "coupon", "how": "copy"}),
        ),
        event(
            "e14",
            "b",
            "Reward Claimed",
            5,
            json!({"campaign": "coupon", "how": "share"}),
        ),
        json!({"type": "page", "messageId": "p1", "anonymousId": "a", "timestamp": "2026-11-02T09:00:00.000Z"}),
    ];
    for h in [&sqlite, &pg] {
        assert_eq!(
            h.post("/v1/batch", batch(messages.clone())).await.status,
            StatusCode::OK
        );
    }
    for query in [
        "?from=2026-11-01&to=2026-11-30",
        "?from=2026-11-01&to=2026-11-30&window=30",
        "?from=2026-11-03&to=2026-11-04&goal=Reward%20Claimed",
    ] {
        let (a, b) = reports_on_both(&sqlite, &pg, query).await;
        assert_eq!(b.json(), a.json(), "{query}");
    }
    // And the figures are the expected ones, not merely equal.
    let r = pg
        .send(
            Request::get("/v1/reports?from=2026-11-01&to=2026-11-30")
                .header("authorization", "Bearer rk_demo")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .json();
    assert_eq!(r["events"]["total"], 15);
    let nps = r["campaigns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["campaign"] == "nps")
        .unwrap();
    assert_eq!(
        nps["conversion"]["shown"],
        json!({"visitors": 1, "converted": 1, "rate": 100.0})
    );
    assert_eq!(
        nps["conversion"]["heldOut"],
        json!({"visitors": 1, "converted": 0, "rate": 0.0})
    );
    let buyers = r["segments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["segment"] == "buyers")
        .unwrap();
    assert_eq!(buyers["members"], 1);
    let love = r["surveys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["question"] == "love")
        .unwrap();
    assert_eq!(
        love["answers"],
        json!([{"answer": "x", "count": 1}, {"answer": "y", "count": 1}])
    );
    assert_eq!(r["rewards"][0]["how"], json!({"copy": 1, "share": 1}));
}

#[tokio::test]
async fn a_visitor_in_both_arms_counts_in_the_first_on_both_databases() {
    let (sqlite, pg) = pair("arms");
    let c = || json!({"campaign": "nps"});
    let messages = vec![
        event("v1", "v", "Campaign Shown", 2, c()),
        event("v2", "v", "Campaign Held Out", 3, c()),
        event("v3", "v", "Order Completed", 4, json!({})),
        event("w1", "w", "Campaign Held Out", 2, c()),
        event("w2", "w", "Campaign Shown", 5, c()),
        event("x1", "x", "Campaign Held Out", 6, c()),
        event("x2", "x", "Campaign Shown", 6, c()),
        event("x3", "x", "Order Completed", 7, json!({})),
    ];
    for h in [&sqlite, &pg] {
        assert_eq!(
            h.post("/v1/batch", batch(messages.clone())).await.status,
            StatusCode::OK
        );
    }
    let (a, b) = reports_on_both(&sqlite, &pg, "?from=2026-11-01&to=2026-11-30").await;
    let (a, b) = (a.json(), b.json());
    assert_eq!(b, a);
    let nps = b["campaigns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["campaign"] == "nps")
        .unwrap();
    assert_eq!(
        nps["conversion"],
        json!({"shown": {"visitors": 1, "converted": 1, "rate": 100.0},
               "heldOut": {"visitors": 2, "converted": 1, "rate": 50.0}, "liftPoints": 50.0,
               "liftInterval": [-39.1, 90.5]})
    );
}

#[tokio::test]
async fn collectors_sharing_one_database_store_each_message_once() {
    let url = server().database("shared");
    // Two collectors start at once against the same empty database: the schema is created once.
    let (a, b) = tokio::join!(
        tokio::task::spawn_blocking({
            let url = url.clone();
            move || Harness::with_database(Sources::demo().unwrap(), Some(url))
        }),
        tokio::task::spawn_blocking({
            let url = url.clone();
            move || Harness::with_database(Sources::demo().unwrap(), Some(url))
        }),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    // The same batch through both (a client retrying against another collector), and one each.
    let shared = batch((0..50).map(|i| track(&format!("s-{i}"))).collect());
    let (ra, rb) = tokio::join!(
        a.post("/v1/batch", shared.clone()),
        b.post("/v1/batch", shared)
    );
    let accepted =
        ra.json()["accepted"].as_u64().unwrap() + rb.json()["accepted"].as_u64().unwrap();
    let duplicates =
        ra.json()["duplicates"].as_u64().unwrap() + rb.json()["duplicates"].as_u64().unwrap();
    assert_eq!((accepted, duplicates), (50, 50));
    a.post("/v1/batch", batch(vec![track("only-a")])).await;
    b.post("/v1/batch", batch(vec![track("only-b")])).await;
    assert_eq!(store::count_events(&url).unwrap(), 52);
    assert_eq!(a.events().len(), 52);
}

#[test]
fn the_commands_read_a_postgres_database() {
    let url = server().database("commands");
    let url_text = url.to_str().unwrap().to_owned();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let h = Harness::with_database(Sources::demo().unwrap(), Some(url.clone()));
        h.post(
            "/v1/batch",
            batch_reporting(vec![track("c-1"), track("c-2")], json!({"overflow": 4})),
        )
        .await;
    });
    let wayline = env!("CARGO_BIN_EXE_wayline");
    let out = |args: &[&str]| {
        let o = Command::new(wayline).args(args).output().unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    };
    assert_eq!(out(&["count", "--db", &url_text]), "2\n");
    let lines = out(&["events", "--db", &url_text]);
    let ids: Vec<String> = lines
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["messageId"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids, ["c-1", "c-2"]);
    assert_eq!(
        out(&["drops", "--db", &url_text]),
        "{\"source\":\"demo\",\"reason\":\"overflow\",\"count\":4}\n"
    );
    // A server that is not there is an error, not a hang.
    let refused = Command::new(wayline)
        .args(["count", "--db", "postgres://wayline@127.0.0.1:1/none"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("database error"));
}

#[tokio::test]
async fn the_collector_reconnects_when_the_server_ends_its_session() {
    let url = server().database("reconnect");
    let h = Harness::with_database(Sources::demo().unwrap(), Some(url.clone()));
    let first = h.post("/v1/batch", batch(vec![track("r-1")])).await;
    assert_eq!(first.status, StatusCode::OK);

    // The server ends the collector's session, as a restart, a failover or an operator does.
    let admin = format!("postgres://wayline@127.0.0.1:{}/postgres", server().port);
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
        let ended = client
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = 'reconnect' AND pid <> pg_backend_pid()",
                &[],
            )
            .unwrap();
        assert!(!ended.is_empty());
    })
    .join()
    .unwrap();

    for id in ["r-2", "r-3"] {
        let reply = h.post("/v1/batch", batch(vec![track(id)])).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{id}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        assert_eq!(reply.json()["accepted"], 1);
    }
    assert_eq!(store::count_events(&url).unwrap(), 3);
}

#[tokio::test]
async fn a_nul_character_in_an_id_or_name_is_answered_as_on_sqlite() {
    let (sqlite, pg) = pair("nul");
    let mut anonymous = track("n-1");
    anonymous["anonymousId"] = json!("anon\u{0}1");
    let mut name = track("n-2");
    name["event"] = json!("Product\u{0}Viewed");
    let mut id = track("n-\u{0}3");
    id["userId"] = json!("user\u{0}");
    let body = batch(vec![anonymous, name, id, track("n-4")]);
    let a = sqlite.post("/v1/batch", body.clone()).await;
    let b = pg.post("/v1/batch", body).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(b.status, a.status, "{}", String::from_utf8_lossy(&b.body));
    assert_eq!(b.json(), a.json());
    let ids =
        |h: &Harness| -> Vec<Value> { h.events().iter().map(|e| e["messageId"].clone()).collect() };
    assert_eq!(ids(&pg), ids(&sqlite));
}

#[tokio::test]
async fn a_nul_character_in_a_stored_message_does_not_break_the_reports() {
    let (sqlite, pg) = pair("reports_nul");
    // A page title (or any other field the report does not read) with U+0000 in it.
    let with_title = |mut message: Value| {
        message["context"] = json!({"page": {"title": "Shop\u{0}"}});
        message
    };
    let messages = vec![
        with_title(event(
            "t1",
            "a",
            "Segment Entered",
            2,
            json!({"segment": "buyers"}),
        )),
        with_title(event(
            "t2",
            "a",
            "Survey Answered",
            2,
            json!({"campaign": "nps", "question": "why", "answer": "fast", "note": "\u{0}"}),
        )),
        with_title(event(
            "t3",
            "a",
            "Campaign Shown",
            2,
            json!({"campaign": "nps"}),
        )),
    ];
    for h in [&sqlite, &pg] {
        assert_eq!(
            h.post("/v1/batch", batch(messages.clone())).await.status,
            StatusCode::OK
        );
    }
    let (a, b) = reports_on_both(&sqlite, &pg, "?from=2026-11-01&to=2026-11-30").await;
    assert_eq!(b.json(), a.json());
    assert_eq!(b.json()["segments"][0]["members"], 1);
}

#[tokio::test]
async fn a_collector_serves_the_last_good_config_another_one_on_the_database_served() {
    let url = server().database("configs");
    let dir = tempfile::tempdir().unwrap();
    let sources_file = dir.path().join("sources.json");
    let sources =
        json!({"sources": [{"name": "shop", "writeKey": "wk_shop", "config": "shop.json"}]});
    std::fs::write(&sources_file, sources.to_string()).unwrap();
    let good = r#"{"segments": {"buyer": "count(\"Order Completed\") >= 1"}}"#;
    std::fs::write(dir.path().join("shop.json"), good).unwrap();
    let open = || {
        let (sources_file, url) = (sources_file.clone(), url.clone());
        tokio::task::spawn_blocking(move || {
            Harness::with_database(Sources::load(&sources_file).unwrap(), Some(url))
        })
    };
    let a = open().await.unwrap();
    let served = a.get("/v1/config?writeKey=wk_shop").await;
    assert_eq!(served.status, StatusCode::OK);

    std::fs::write(dir.path().join("shop.json"), "{\"segments\": {").unwrap();
    let b = open().await.unwrap();
    let reply = b.get("/v1/config?writeKey=wk_shop").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, served.body);
    assert_eq!(reply.header("etag"), served.header("etag"));
    assert_eq!(reply.header("wayline-config-fault"), Some("invalid_config"));
}

#[test]
fn the_commands_refuse_a_database_of_a_newer_collector_as_serve_does() {
    let url = server().database("newer");
    let url_text = url.to_str().unwrap().to_owned();
    let (store, writer) = store::open(&url).unwrap();
    drop(store);
    writer.join();
    let insert_url = url_text.clone();
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&insert_url, postgres::NoTls).unwrap();
        client
            .batch_execute("INSERT INTO schema_version (version) VALUES (99)")
            .unwrap();
    })
    .join()
    .unwrap();
    common::assert_every_command_refuses_a_newer_schema(url_text.as_ref());
}

/// A local port that takes no more connections: a listener never accepting, its queue filled, so that the kernel
/// drops further SYNs as a firewalled or vanished host does, and a connect waits for the OS's TCP timeout (about
/// two minutes on Linux). The listener and the queued connections are kept alive by the returned value.
fn unanswering_port() -> (u16, TcpListener, Vec<std::net::TcpStream>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let mut queued = Vec::new();
    loop {
        match std::net::TcpStream::connect_timeout(&address, std::time::Duration::from_millis(500))
        {
            Ok(stream) => queued.push(stream),
            Err(err) if err.kind() == std::io::ErrorKind::TimedOut => break,
            Err(err) => panic!("{err}"),
        }
        assert!(queued.len() < 10_000, "the listen queue never filled");
    }
    (address.port(), listener, queued)
}

#[test]
fn connecting_to_a_host_that_does_not_answer_gives_up_after_a_bounded_time() {
    use std::time::{Duration, Instant};
    let (port, _listener, _queued) = unanswering_port();
    let url = PathBuf::from(format!("postgres://wayline@127.0.0.1:{port}/none"));
    let (done, finished) = std::sync::mpsc::channel();
    let started = Instant::now();
    std::thread::spawn(move || {
        // The writer's connection (also how it connects again after losing one) and a reader's.
        let opened = store::open(&url).map(|_| ());
        let counted = store::count_events(&url).map(|_| ());
        let _ = done.send((opened, counted));
    });
    let (opened, counted) = finished
        .recv_timeout(Duration::from_secs(30))
        .expect("still connecting after 30 s");
    assert!(opened.is_err() && counted.is_err());
    // Each gave up when its time was up, not for some other reason first.
    let limit = wayline_collector::pg::CONNECT_TIMEOUT;
    assert!(started.elapsed() >= 2 * limit, "{:?}", started.elapsed());
}
