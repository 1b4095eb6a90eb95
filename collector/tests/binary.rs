//! The `wayline` binary: `serve` on a real socket, clean shutdown, `events`, `drops`,
//! usage errors.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

mod common;

const WAYLINE: &str = env!("CARGO_BIN_EXE_wayline");

/// A running `wayline serve`, killed when dropped: a test that fails before [`stop`] leaves no server behind
/// (its inherited stderr would keep `cargo test` waiting for it).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `wayline serve` on a free port and returns it with its address, once it has
/// announced that it is listening.
fn serve(dir: &Path) -> (Server, String) {
    serve_in(dir, Path::new("."))
}

/// `serve`, run with `cwd` as its working directory.
fn serve_in(dir: &Path, cwd: &Path) -> (Server, String) {
    serve_dir(dir, cwd, Stdio::inherit())
}

/// `wayline serve` on a free port with these options, run with `cwd` as its working directory.
fn serve_with(
    cwd: &Path,
    options: impl IntoIterator<Item = impl AsRef<OsStr>>,
) -> (Server, String) {
    serve_with_stderr(cwd, options, Stdio::inherit())
}

/// [`serve_in`], its standard error written to the file `log`.
fn serve_logged(dir: &Path, cwd: &Path, log: &Path) -> (Server, String) {
    serve_dir(dir, cwd, std::fs::File::create(log).unwrap().into())
}

/// `wayline serve` with its database in `dir` and `dir` as its site and SDK directory, its standard error going to
/// `stderr`.
fn serve_dir(dir: &Path, cwd: &Path, stderr: Stdio) -> (Server, String) {
    let db = dir.join("events.db");
    let args = [
        Path::new("--db"),
        &db,
        Path::new("--www"),
        dir,
        Path::new("--sdk"),
        dir,
    ];
    serve_with_stderr(cwd, args, stderr)
}

/// [`serve_with`], its standard error going to `stderr`.
fn serve_with_stderr(
    cwd: &Path,
    options: impl IntoIterator<Item = impl AsRef<OsStr>>,
    stderr: Stdio,
) -> (Server, String) {
    let mut child = Command::new(WAYLINE)
        .current_dir(cwd)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(options)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let child = Server(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    // A bound on a hung start, not a wait for readiness: readiness is the line itself.
    let line = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    let address = line
        .trim()
        .strip_prefix("wayline collector listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    assert!(
        !address.ends_with(":0"),
        "the real port is printed: {address}"
    );
    (child, address)
}

/// A minimal HTTP/1.1 exchange; returns (status, body).
fn http(address: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    request(address, method, path, "", body)
}

/// [`http`] with extra header lines (each ending in `\r\n`).
fn request(address: &str, method: &str, path: &str, headers: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\n{headers}Content-Type: text/plain;charset=UTF-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    // Bytes, not text: a file served may be binary.
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let response = String::from_utf8_lossy(&response);
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn message(id: &str) -> Value {
    json!({"type": "track", "event": "Signed Up", "messageId": id, "anonymousId": "a-1",
        "timestamp": "2026-11-25T15:52:00.000Z"})
}

#[test]
fn serve_ingests_then_events_prints_what_was_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (child, address) = serve(dir.path());

    let (status, body) = http(&address, "GET", "/health", "");
    assert_eq!((status, body.as_str()), (200, r#"{"ok":true}"#));

    let batch = json!({"batch": [message("m-1"), message("m-2")], "writeKey": "wk_demo",
        "sentAt": "2026-11-25T15:52:00.000Z"});
    let (status, body) = http(&address, "POST", "/v1/batch", &batch.to_string());
    assert_eq!(status, 200, "{body}");
    let (status, _) = http(&address, "POST", "/v1/batch", "{oops");
    assert_eq!(status, 400);
    let (status, body) = http(
        &address,
        "POST",
        "/v1/track",
        &json!({"writeKey": "wk_demo", "messageId": "m-3", "anonymousId": "a-1",
            "event": "Clicked", "timestamp": "2026-11-25T15:52:00Z"})
        .to_string(),
    );
    assert_eq!(status, 200, "{body}");

    // SIGTERM: the server stops accepting, finishes, and exits successfully.
    stop(child);

    let output = Command::new(WAYLINE)
        .args(["events", "--db"])
        .arg(dir.path().join("events.db"))
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let events: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let ids: Vec<&str> = events
        .iter()
        .map(|e| e["messageId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["m-1", "m-2", "m-3"]);
    assert_eq!(events[2]["type"], "track");
    assert!(events.iter().all(|e| e["receivedAt"].is_string()));
}

/// Stops `wayline serve` with SIGTERM and checks that it exited cleanly.
fn stop(mut server: Server) {
    let killed = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let exit = server.0.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
}

fn run(args: &[&str], db: &Path) -> (i32, String, String) {
    let output = Command::new(WAYLINE)
        .args(args)
        .arg("--db")
        .arg(db)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn drops_prints_the_reported_drops_summed_and_sorted() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    let (child, address) = serve(dir.path());

    let report = |ids: [&str; 2], dropped: Value| {
        json!({"batch": [message(ids[0]), message(ids[1])], "writeKey": "wk_demo",
            "context": {"wayline": {"dropped": dropped}},
            "sentAt": "2026-11-25T15:52:00.000Z"})
        .to_string()
    };
    let (status, body) = http(
        &address,
        "POST",
        "/v1/batch",
        &report(
            ["m-1", "m-2"],
            json!({"overflow": 2, "expired": 0, "rejected": 5, "corrupt": 1}),
        ),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = http(
        &address,
        "POST",
        "/v1/batch",
        &report(
            ["m-3", "m-4"],
            json!({"overflow": 1, "expired": 3, "rejected": 0, "corrupt": 0}),
        ),
    );
    assert_eq!(status, 200, "{body}");
    // Ignored, and the events still stored.
    let (status, body) = http(
        &address,
        "POST",
        "/v1/batch",
        &report(["m-5", "m-6"], json!({"overflow": -4})),
    );
    assert_eq!(status, 200, "{body}");

    // Readable while the collector runs.
    let (code, stdout, _) = run(&["count"], &db);
    assert_eq!((code, stdout.as_str()), (0, "6\n"));
    stop(child);

    let (code, stdout, stderr) = run(&["drops"], &db);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        concat!(
            r#"{"source":"demo","reason":"corrupt","count":1}"#,
            "\n",
            r#"{"source":"demo","reason":"expired","count":3}"#,
            "\n",
            r#"{"source":"demo","reason":"overflow","count":3}"#,
            "\n",
            r#"{"source":"demo","reason":"rejected","count":5}"#,
            "\n",
        )
    );
    let (code, stdout, _) = run(&["count"], &db);
    assert_eq!((code, stdout.as_str()), (0, "6\n"));
}

#[test]
fn drops_prints_nothing_without_reports_and_fails_on_a_missing_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    let (child, address) = serve(dir.path());
    let batch = json!({"batch": [message("m-1")], "writeKey": "wk_demo"});
    let (status, body) = http(&address, "POST", "/v1/batch", &batch.to_string());
    assert_eq!(status, 200, "{body}");
    stop(child);
    let (code, stdout, stderr) = run(&["drops"], &db);
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");

    let missing = dir.path().join("missing.db");
    let (code, stdout, stderr) = run(&["drops"], &missing);
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert!(stderr.contains("no database"), "{stderr}");
    assert!(!missing.exists());
}

#[test]
fn count_events_and_drops_refuse_a_database_of_a_newer_collector_as_serve_does() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    let (store, writer) = wayline_collector::store::open(&db).unwrap();
    drop(store);
    writer.join();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("INSERT INTO schema_version (version) VALUES (99)", [])
        .unwrap();
    drop(conn);
    common::assert_every_command_refuses_a_newer_schema(db.as_os_str());
}

#[test]
fn output_to_a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    let (store, writer) = wayline_collector::store::open(&db).unwrap();
    drop(store);
    writer.join();
    let db = db.to_str().unwrap();
    // As `wayline count | head -0` leaves it: the reading end closed before anything is written.
    for args in [
        &["count", "--db", db][..],
        &["events", "--db", db],
        &["drops", "--db", db],
        &["help"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = Command::new(WAYLINE)
            .args(args)
            .stdout(writer)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
    }
}

#[test]
fn events_on_a_missing_database_fails_without_creating_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.db");
    let output = Command::new(WAYLINE)
        .args(["events", "--db"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no database"));
    assert!(!path.exists());
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    for args in [
        &["frobnicate"][..],
        &["serve", "--port", "80"],
        &["events", "--db"],
        &["drops", "--db"],
        &["drops", "extra"],
    ] {
        let output = Command::new(WAYLINE).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty());
        assert!(String::from_utf8_lossy(&output.stderr).contains("USAGE"));
    }
    for flag in ["help", "--help"] {
        let output = Command::new(WAYLINE).arg(flag).output().unwrap();
        assert!(output.status.success());
        assert!(String::from_utf8_lossy(&output.stdout).contains("wayline serve"));
    }
}

/// `--upstream` is checked when the arguments are read: a value that is not an http URL with a host and a port (or
/// the `HOST:PORT` it is short for) is a usage error, not a proxy that starts and answers every request with a 502.
#[test]
fn proxy_refuses_an_upstream_that_is_not_an_http_url_with_a_host_and_a_port() {
    for upstream in [
        "nonsense",
        "127.0.0.1",
        "localhost:http",
        "127.0.0.1:0",
        "127.0.0.1:65536",
        ":8080",
        "https://127.0.0.1:8080",
        "http://127.0.0.1",
        "http://127.0.0.1:8080/v1",
        "http://user@127.0.0.1:8080",
    ] {
        let mut child = Server(
            Command::new(WAYLINE)
                .args(["proxy", "--listen", "127.0.0.1:0", "--upstream", upstream])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        // A proxy that started runs until killed (by `Server`'s drop, should this fail).
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.0.try_wait().unwrap() {
                break status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "--upstream {upstream:?}: the proxy started instead of refusing it"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let (mut stdout, mut stderr) = (String::new(), String::new());
        child
            .0
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        child
            .0
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        assert_eq!(status.code(), Some(2), "{upstream:?}: {stderr}");
        assert_eq!(stdout, "", "{upstream:?}");
        assert!(
            stderr.starts_with(&format!(
                "wayline: --upstream must be an http URL with a host and a port, http://HOST:PORT (or HOST:PORT), \
                 not {upstream:?}\n"
            )),
            "{stderr}"
        );
        assert!(stderr.contains("USAGE"), "{stderr}");
    }
}

#[test]
fn serve_with_a_bad_sources_file_fails_before_listening() {
    let dir = tempfile::tempdir().unwrap();
    let sources = dir.path().join("sources.json");
    std::fs::write(&sources, r#"{"sources":[{"name":"x"}]}"#).unwrap();
    let output = Command::new(WAYLINE)
        .args(["serve", "--listen", "127.0.0.1:0", "--sources"])
        .arg(&sources)
        .arg("--db")
        .arg(dir.path().join("e.db"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("sources[0].writeKey"));
}

#[test]
fn the_demo_source_serves_www_demo_config_json_from_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    // Without the file, the demo source has no config.
    let (child, address) = serve_in(dir.path(), dir.path());
    let (status, body) = http(&address, "GET", "/v1/config?writeKey=wk_demo", "");
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("no_config"), "{body}");
    stop(child);

    let config = GOOD_CONFIG;
    write_demo_config(dir.path(), config);
    let (child, address) = serve_in(dir.path(), dir.path());
    let (status, body) = http(&address, "GET", "/v1/config?writeKey=wk_demo", "");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        wayline_collector::remote_config::compile_text(config).unwrap(),
        "served compiled"
    );
    stop(child);
}

/// A config the demo source compiles, and one with a typo (`cout`) it cannot.
const GOOD_CONFIG: &str = r#"{"segments": {"buyer": "count(\"Order Completed\") >= 1"}}"#;
const BROKEN_CONFIG: &str = r#"{"segments": {"buyer": "cout(\"A\") > 1"}}"#;

/// Writes the demo source's config file under `dir`, where `serve` run there looks for it; its path.
fn write_demo_config(dir: &Path, text: &str) -> std::path::PathBuf {
    std::fs::create_dir_all(dir.join("www")).unwrap();
    let file = dir.join("www/demo-config.json");
    std::fs::write(&file, text).unwrap();
    file
}

#[test]
fn a_config_found_good_is_served_when_the_file_breaks_even_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (config, broken) = (GOOD_CONFIG, BROKEN_CONFIG);
    let file = write_demo_config(dir.path(), config);
    // Found good at start, and broken before any request.
    let (child, address) = serve_in(dir.path(), dir.path());
    std::fs::write(&file, broken).unwrap();
    let (status, body) = http(&address, "GET", "/v1/config?writeKey=wk_demo", "");
    assert_eq!(status, 200, "{body}");
    let good = wayline_collector::remote_config::compile_text(config).unwrap();
    assert_eq!(body, good);
    stop(child);

    // A collector started on the broken file serves the last good config its database holds.
    let (child, address) = serve_in(dir.path(), dir.path());
    let (status, body) = http(&address, "GET", "/v1/config?writeKey=wk_demo", "");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, good);
    stop(child);

    // With a database that never had a good one, there is nothing to fall back on.
    let fresh = tempfile::tempdir().unwrap();
    write_demo_config(fresh.path(), broken);
    let (child, address) = serve_in(fresh.path(), fresh.path());
    let (status, body) = http(&address, "GET", "/v1/config?writeKey=wk_demo", "");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("invalid_config"), "{body}");
    stop(child);
}

/// The note at start for a broken config file says what `GET /v1/config` serves in its place: the last good config
/// the database holds, or nothing (a 503).
#[test]
fn the_note_at_start_says_whether_the_last_good_config_is_served_for_a_broken_file() {
    let dir = tempfile::tempdir().unwrap();
    let (config, broken) = (GOOD_CONFIG, BROKEN_CONFIG);
    let file = write_demo_config(dir.path(), config);
    // Found good by a first run, which keeps it in the database.
    let (child, _) = serve_in(dir.path(), dir.path());
    stop(child);
    std::fs::write(&file, broken).unwrap();
    let note_in = |log: &Path| {
        let logged = std::fs::read_to_string(log).unwrap();
        let note = logged
            .lines()
            .find(|line| line.starts_with("wayline: note: source \"demo\": "))
            .unwrap_or_else(|| panic!("no note for the demo source in {logged:?}"))
            .to_owned();
        assert!(
            note.contains("config www/demo-config.json: 1 error"),
            "{note}"
        );
        assert!(logged.contains("cout"), "with the errors: {logged}");
        note
    };

    let log = dir.path().join("stderr.log");
    let (child, address) = serve_logged(dir.path(), dir.path(), &log);
    let (status, _) = http(&address, "GET", "/v1/config?writeKey=wk_demo", "");
    assert_eq!(status, 200);
    stop(child);
    let etag = wayline_collector::remote_config::etag(
        wayline_collector::remote_config::compile_text(config)
            .unwrap()
            .as_bytes(),
    );
    let note = note_in(&log);
    assert!(
        note.ends_with(&format!(
            "; the config last served ({etag}) is served in its place"
        )),
        "{note}"
    );
    assert!(!note.contains("not served"), "{note}");

    // With a database that never had a good one, nothing is.
    let fresh = tempfile::tempdir().unwrap();
    write_demo_config(fresh.path(), broken);
    let log = fresh.path().join("stderr.log");
    let (child, address) = serve_logged(fresh.path(), fresh.path(), &log);
    let (status, _) = http(&address, "GET", "/v1/config?writeKey=wk_demo", "");
    assert_eq!(status, 503);
    stop(child);
    let note = note_in(&log);
    assert!(
        note.ends_with(
            "; it is not served, and the database holds no earlier config to serve in its place \
             (GET /v1/config answers 503)"
        ),
        "{note}"
    );
}

/// A config that is valid but whose prompt colours contrast too little is served, and its warnings (as
/// `wayline check` gives them) are logged once, when its text is first checked.
#[test]
fn a_config_s_contrast_warnings_are_logged_once() {
    let dir = tempfile::tempdir().unwrap();
    write_demo_config(
        dir.path(),
        r##"{"theme": {"textColor": "#aaa"}, "campaigns": [{"id": "c", "trigger": {"exitIntent": true},
            "action": {"type": "reward", "reward": "coupon", "code": "X"}}]}"##,
    );
    let log = dir.path().join("stderr.log");
    let (child, address) = serve_logged(dir.path(), dir.path(), &log);
    for _ in 0..2 {
        let (status, _) = http(&address, "GET", "/v1/config?writeKey=wk_demo", "");
        assert_eq!(status, 200);
    }
    stop(child);
    let logged = std::fs::read_to_string(&log).unwrap();
    let warnings: Vec<&str> = logged.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(
        warnings,
        ["wayline: www/demo-config.json:theme: warning: in light mode, textColor #aaa on the default \
          backgroundColor #fff contrasts 2.32:1, under the 4.5:1 WCAG AA asks of text"],
        "{logged}"
    );
}

/// `wayline serve --www .` in the directory of its database, named relatively: the database
/// and its write-ahead log are not downloadable, from `/` or `/sdk/`, while the directory's
/// other files are.
#[test]
fn serving_the_databases_directory_does_not_serve_the_database() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.txt"), "hello").unwrap();
    let (child, address) = serve_with(
        dir.path(),
        ["--db", "wayline-data", "--www", ".", "--sdk", "./"],
    );
    let batch = json!({"batch": [message("m-1")], "writeKey": "wk_demo"});
    let stored = http(&address, "POST", "/v1/batch", &batch.to_string());
    // The log is checked for while the collector runs: a clean exit folds it into the database.
    let logged = dir.path().join("wayline-data-wal").is_file();
    let mut statuses = Vec::new();
    for path in [
        "/wayline-data",
        "/wayline-data-wal",
        "/wayline-data-shm",
        "/sdk/wayline-data",
        "/sdk/wayline-data-wal",
    ] {
        statuses.push((path, http(&address, "GET", path, "").0));
    }
    let (hello, _) = http(&address, "GET", "/hello.txt", "");
    stop(child);
    assert_eq!(stored.0, 200, "{}", stored.1);
    assert!(logged);
    assert!(
        statuses.iter().all(|(_, status)| *status == 404),
        "{statuses:?}"
    );
    assert_eq!(hello, 200);
}

/// A connection that never finishes its request head, or sits idle, is closed after
/// [`HEADER_READ_TIMEOUT`] rather than held forever: otherwise a client opening many
/// connections and trickling bytes into them ("slowloris") holds the collector's sockets and
/// memory for as long as it likes.
#[test]
fn connections_that_never_send_a_whole_request_head_are_closed() {
    use std::time::Instant;
    use wayline_collector::server::HEADER_READ_TIMEOUT;
    let dir = tempfile::tempdir().unwrap();
    let (child, address) = serve(dir.path());

    let mut partial = TcpStream::connect(&address).unwrap();
    partial
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let idle = TcpStream::connect(&address).unwrap();
    let started = Instant::now();
    let limit = HEADER_READ_TIMEOUT + Duration::from_secs(10);
    let mut outcomes = Vec::new();
    for mut stream in [partial, idle] {
        stream
            .set_read_timeout(Some(limit.saturating_sub(started.elapsed())))
            .unwrap();
        let mut rest = Vec::new();
        let closed = match stream.read_to_end(&mut rest) {
            Ok(_) => Ok(()),
            Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => Ok(()),
            Err(err) => Err(format!("still open after {:?}: {err}", started.elapsed())),
        };
        outcomes.push((closed, String::from_utf8_lossy(&rest).into_owned()));
    }
    let elapsed = started.elapsed();
    stop(child);
    for (closed, rest) in outcomes {
        closed.unwrap();
        // Whatever came before the close (hyper may answer 408), never a response to the
        // unfinished request.
        assert!(!rest.contains("\"ok\""), "{rest}");
    }
    assert!(elapsed >= HEADER_READ_TIMEOUT - Duration::from_secs(1));
}

/// The operator hears of a broken version of a config file on the collector's standard error, with its
/// diagnostics, also when the dashboard (or a monitor polling `/v1/reports`) read the file before any SDK asked.
#[test]
fn a_broken_config_is_logged_also_when_a_report_met_it_first() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("shop.json");
    std::fs::write(
        &config,
        r#"{"segments": {"buyer": "count(\"Order Completed\") >= 1"}}"#,
    )
    .unwrap();
    let sources = dir.path().join("sources.json");
    let list = json!({"sources": [{"name": "shop", "writeKey": "wk_shop", "readKey": "rk_shop",
        "config": "shop.json"}]});
    std::fs::write(&sources, list.to_string()).unwrap();
    let log = dir.path().join("stderr.log");
    let mut child = Command::new(WAYLINE)
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(dir.path().join("events.db"))
        .arg("--sources")
        .arg(&sources)
        .args(["--www", ".", "--sdk", "."])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let child = Server(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let address = line
        .trim()
        .strip_prefix("wayline collector listening on http://")
        .unwrap()
        .to_owned();

    let (status, body) = http(&address, "GET", "/v1/config?writeKey=wk_shop", "");
    assert_eq!(status, 200, "{body}");
    std::fs::write(&config, r#"{"segments": {"buyer": "cout(\"A\") > 1"}}"#).unwrap();
    let auth = "Authorization: Bearer rk_shop\r\n";
    let (status, body) = request(&address, "GET", "/v1/reports", auth, "");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("invalid_config"), "{body}");
    let (status, body) = http(&address, "GET", "/v1/config?writeKey=wk_shop", "");
    assert_eq!(status, 200, "the last good config is served: {body}");
    stop(child);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("cout"),
        "the diagnostics are logged: {logged:?}"
    );
    assert_eq!(
        logged.matches("cout").count(),
        2,
        "once (the error and its source line): {logged}"
    );
}

/// A report the database could not answer (here, its file deleted under the collector) is a 500 for the client and,
/// like a failed write, a line on standard error for the operator; it used to be in no log.
#[test]
fn a_report_that_fails_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr.log");
    let (server, address) = serve_logged(dir.path(), Path::new("."), &log);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.path().join(format!("events.db{suffix}")));
    }
    let auth = "Authorization: Bearer rk_demo\r\n";
    for path in ["/v1/reports", "/dashboard"] {
        let (status, body) = request(&address, "GET", path, auth, "");
        assert_eq!(status, 500, "{body}");
        assert!(body.contains("report_failed"), "{body}");
    }
    stop(server);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        logged
            .matches("wayline: the report could not be read")
            .count(),
        2,
        "{logged:?}"
    );
}
