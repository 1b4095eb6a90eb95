//! The test tools as processes, the way the end-to-end suite and an operator run them:
//! `wayline serve`, `wayline proxy` in front, `wayline loadgen` through it, `wayline count`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const WAYLINE: &str = env!("CARGO_BIN_EXE_wayline");

/// Kills the child when the test ends, whatever happened.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `wayline <args>` and returns it with the address from its first line, which must
/// start with `announce`.
fn start(args: &[&str], announce: &str) -> (Running, String) {
    let mut child = Command::new(WAYLINE)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let _ = tx.send(line);
        // Keep draining so the child never blocks on a full pipe.
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    let running = Running(child);
    let line = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    let address = line
        .trim()
        .strip_prefix(announce)
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    assert!(!address.ends_with(":0"), "the real port is printed");
    (running, address)
}

fn post(address: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (_, body) = response.split_once("\r\n\r\n").unwrap();
    (response[9..12].parse().unwrap(), body.to_owned())
}

fn wayline(args: &[&str]) -> std::process::Output {
    Command::new(WAYLINE).args(args).output().unwrap()
}

#[test]
fn loadgen_through_the_proxy_then_count() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    let db = db.to_str().unwrap();
    let www = dir.path().to_str().unwrap();
    let (_collector, collector) = start(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--db",
            db,
            "--www",
            www,
            "--sdk",
            www,
        ],
        "wayline collector listening on http://",
    );
    let (_proxy, proxy) = start(
        &["proxy", "--listen", "127.0.0.1:0", "--upstream", &collector],
        "wayline proxy listening on http://",
    );

    let (status, plan) = post(
        &proxy,
        "/__faults",
        r#"{"mode":"status","status":503,"every":3}"#,
    );
    assert_eq!(status, 200, "{plan}");

    // Through the proxy a third of the requests fail: loadgen says so and exits 1.
    let url = format!("http://{proxy}");
    let faulted = wayline(&[
        "loadgen",
        "--url",
        &url,
        "--events",
        "300",
        "--batch",
        "10",
        "--concurrency",
        "2",
    ]);
    let stdout = String::from_utf8(faulted.stdout).unwrap();
    assert_eq!(faulted.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("non-2xx answers:  10\n"), "{stdout}");
    assert!(stdout.contains("accepted:         200 "), "{stdout}");

    // Straight to the collector nothing is lost, and `count` agrees.
    let url = format!("http://{collector}");
    let clean = wayline(&[
        "loadgen",
        "--url",
        &url,
        "--events",
        "1000",
        "--batch",
        "50",
        "--concurrency",
        "4",
    ]);
    let stdout = String::from_utf8(clean.stdout).unwrap();
    assert!(clean.status.success(), "{stdout}");
    for line in [
        "events sent:      1000\n",
        "requests:         20\n",
        "non-2xx answers:  0\n",
        "failed requests:  0\n",
        "accepted:         1000  (duplicates 0, rejected 0)\n",
    ] {
        assert!(stdout.contains(line), "{line:?} missing from:\n{stdout}");
    }
    assert!(stdout.contains("events/s:"), "{stdout}");
    assert!(stdout.contains("latency ms:       p50 "), "{stdout}");

    let counted = wayline(&["count", "--db", db]);
    assert!(counted.status.success());
    assert_eq!(String::from_utf8(counted.stdout).unwrap(), "1200\n");
    let events = wayline(&["events", "--db", db]);
    assert_eq!(
        String::from_utf8(events.stdout).unwrap().lines().count(),
        1200
    );
}

#[test]
fn tool_usage_errors_exit_2() {
    for args in [
        &["proxy"][..],
        &["loadgen"],
        &["loadgen", "--url", "https://127.0.0.1:1"],
        &["loadgen", "--url", "http://127.0.0.1:1", "--batch", "0"],
        &["count", "extra"],
    ] {
        let output = wayline(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
    let missing = wayline(&["count", "--db", "/nonexistent/dir/x.db"]);
    assert_eq!(missing.status.code(), Some(1));
}
