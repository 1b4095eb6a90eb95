//! The demo site and SDK files.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{batch, track, Harness};
use wayline_collector::static_files::{CONTENT_SECURITY_POLICY, READ_CHUNK_BYTES};

#[tokio::test]
async fn wasm_is_served_as_application_wasm() {
    let h = Harness::new();
    let reply = h.get("/sdk/wayline_bg.wasm").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), Some("application/wasm"));
    assert_eq!(reply.header("cache-control"), Some("no-cache"));
    assert_eq!(reply.body, b"\0asm\x01\0\0\0");
    assert_eq!(reply.header("content-security-policy"), None);

    let reply = h.get("/sdk/wayline.js").await;
    assert_eq!(
        reply.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
}

/// The SDK's files are public: a site on any origin loads them from the collector (the loader is a module script
/// and the wasm is fetched, both CORS requests), whether or not a source lists it. The site's own files are not.
#[tokio::test]
async fn sdk_files_are_readable_by_any_origin() {
    let h = Harness::new();
    let get = |path: &str| {
        Request::get(path)
            .header("origin", "https://unlisted.example")
            .body(Body::empty())
            .unwrap()
    };
    for path in ["/sdk/wayline.js", "/sdk/wayline_bg.wasm", "/sdk/missing.js"] {
        let reply = h.send(get(path)).await;
        assert_eq!(
            reply.header("access-control-allow-origin"),
            Some("https://unlisted.example"),
            "{path}"
        );
        assert_eq!(reply.header("vary"), Some("Origin"), "{path}");
    }
    let reply = h.send(get("/index.html")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn html_pages_carry_the_strict_csp() {
    let h = Harness::new();
    for (path, title) in [
        ("/", "home"),
        ("/index.html", "home"),
        ("/pricing", "pricing"),
        ("/pricing.html", "pricing"),
        ("/shop", "shop"),
        ("/shop/", "shop"),
    ] {
        let reply = h.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(
            reply.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(
            reply.header("content-security-policy"),
            Some(CONTENT_SECURITY_POLICY)
        );
        assert_eq!(reply.header("cache-control"), Some("no-cache"));
        let text = String::from_utf8(reply.body).unwrap();
        assert!(text.contains(&format!("<title>{title}</title>")), "{path}");
    }
}

#[tokio::test]
async fn missing_files_and_escapes_are_404() {
    let h = Harness::new();
    for path in [
        "/nope",
        "/sdk/nope.js",
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/sdk/..%2fsecret.txt",
    ] {
        assert_eq!(h.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn unchanged_files_revalidate_with_304() {
    let h = Harness::new();
    let first = h.get("/sdk/wayline_bg.wasm").await;
    let etag = first.header("etag").unwrap().to_owned();
    let reply = h
        .send(
            Request::get("/sdk/wayline_bg.wasm")
                .header("if-none-match", &etag)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_MODIFIED);
    assert!(reply.body.is_empty());
}

/// `If-None-Match` is compared weakly (RFC 9110 §13.1.2), as `GET /v1/config` does: a cache or
/// proxy that weakened the tag (`W/"…"`, as compressing proxies do) still revalidates with a
/// 304, and so does the tag in a list or in a second `If-None-Match` field.
#[tokio::test]
async fn weak_tags_and_lists_of_tags_revalidate_with_304() {
    let h = Harness::new();
    let etag = h
        .get("/sdk/wayline.js")
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    let weak = format!("W/{etag}");
    let listed = format!("\"other\", {weak}");
    for values in [
        vec![weak.as_str()],
        vec![listed.as_str()],
        vec!["\"other\"", etag.as_str()],
        vec!["W/\"other\"", "*"],
    ] {
        let mut request = Request::get("/sdk/wayline.js");
        for value in &values {
            request = request.header("if-none-match", *value);
        }
        let reply = h.send(request.body(Body::empty()).unwrap()).await;
        assert_eq!(reply.status, StatusCode::NOT_MODIFIED, "{values:?}");
        assert_eq!(reply.header("etag"), Some(etag.as_str()));
        assert!(reply.body.is_empty());
    }
    let reply = h
        .send(
            Request::get("/sdk/wayline.js")
                .header("if-none-match", "W/\"other\"")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn head_has_headers_and_no_body() {
    let h = Harness::new();
    let reply = h
        .send(
            Request::head("/sdk/wayline_bg.wasm")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), Some("application/wasm"));
    assert!(reply.body.is_empty());
}

/// HEAD answers exactly the headers GET does (status, type, length, ETag, policy, 304 on a
/// matching `If-None-Match`) with no body, from the file's metadata: the file is not read.
/// Reading is seen in the file's access time, set older than its modification time so that
/// any read moves it (Linux's default `relatime` updates it then); where the file system keeps
/// no access times, GET does not move it either and that part is not checked.
#[tokio::test]
async fn head_answers_gets_headers_without_reading_the_file() {
    use std::time::{Duration, SystemTime};
    let h = Harness::new();
    let large = vec![b'x'; 300_000];
    std::fs::write(h.dir.path().join("sdk/large.wasm"), &large).unwrap();
    for path in ["/sdk/wayline_bg.wasm", "/sdk/large.wasm", "/", "/pricing"] {
        let get = h.get(path).await;
        let head = h
            .send(Request::head(path).body(Body::empty()).unwrap())
            .await;
        assert_eq!(head.status, StatusCode::OK, "{path}");
        assert_eq!(head.headers, get.headers, "{path}");
        assert_eq!(
            head.header("content-length"),
            Some(get.body.len().to_string().as_str()),
            "{path}"
        );
        assert!(head.body.is_empty(), "{path}");

        let etag = get.header("etag").unwrap();
        let revalidate = |method: &str| {
            Request::builder()
                .method(method)
                .uri(path)
                .header("if-none-match", etag)
                .body(Body::empty())
                .unwrap()
        };
        let get = h.send(revalidate("GET")).await;
        let head = h.send(revalidate("HEAD")).await;
        assert_eq!(get.status, StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(head.status, StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(head.headers, get.headers, "{path}");
    }

    let file = h.dir.path().join("sdk/large.wasm");
    let long_ago = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_times(std::fs::FileTimes::new().set_accessed(long_ago))
        .unwrap();
    let accessed = || std::fs::metadata(&file).unwrap().accessed().unwrap();
    assert_eq!(accessed(), long_ago);
    let head = h
        .send(
            Request::head("/sdk/large.wasm")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(head.header("content-length"), Some("300000"));
    let after_head = accessed();
    let get = h.get("/sdk/large.wasm").await;
    assert_eq!(get.body, large);
    if accessed() == long_ago {
        eprintln!(
            "note: this file system keeps no access times; not checking that HEAD reads nothing"
        );
    } else {
        assert_eq!(after_head, long_ago, "HEAD read the file");
    }
}

#[tokio::test]
async fn static_files_refuse_writes() {
    let h = Harness::new();
    let reply = h
        .send(Request::post("/index.html").body(Body::empty()).unwrap())
        .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
}

/// Dotfiles and dot-directories (`.env`, `.git/`, editors' `.swp` files, `.htpasswd`) are
/// never meant for visitors, and a site deployed from a checkout carries them: they are 404
/// like missing files, encoded or not.
#[tokio::test]
async fn dotfiles_and_dot_directories_are_404() {
    let h = Harness::new();
    let www = h.dir.path().join("www");
    std::fs::create_dir_all(www.join(".git")).unwrap();
    std::fs::write(www.join(".git/config"), "[remote \"origin\"]").unwrap();
    std::fs::write(www.join(".env"), "SECRET=1").unwrap();
    std::fs::create_dir_all(www.join(".hidden")).unwrap();
    std::fs::write(www.join(".hidden/index.html"), "<p>hidden</p>").unwrap();
    std::fs::write(h.dir.path().join("sdk/.npmrc"), "//registry/:_authToken=x").unwrap();
    for path in [
        "/.env",
        "/.git/config",
        "/%2egit/config",
        "/.hidden/",
        "/.hidden",
        "/sdk/.npmrc",
    ] {
        let reply = h.get(path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
    }
    // A name that only contains a dot is an ordinary file.
    assert_eq!(h.get("/pricing.html").await.status, StatusCode::OK);
}

/// `wayline serve --www .` serves the directory the database usually sits in: the `--db` file
/// and SQLite's files next to it (`-wal`, `-shm`, `-journal`) are 404 like missing files,
/// whatever their name, also through a link, and so is any file named like a SQLite database
/// (`.db`, `.db3`, `.sqlite`, `.sqlite3`, and their companions), such as a copy or an old one.
#[tokio::test]
async fn the_database_and_sqlite_files_are_404() {
    let h = Harness::with_database_in_www();
    // A write, so that the write-ahead log holds an event.
    let reply = h.post("/v1/batch", batch(vec![track("m-1")])).await;
    assert_eq!(reply.status, StatusCode::OK);
    let www = h.dir.path().join("www");
    assert!(www.join("wayline-events-wal").is_file());
    std::fs::write(www.join("wayline-events-journal"), "journal").unwrap();
    for name in [
        "old.db",
        "old.db-wal",
        "backup.sqlite",
        "Stats.SQLITE3",
        "x.db3",
    ] {
        std::fs::write(www.join(name), "SQLite format 3\0").unwrap();
    }
    std::fs::write(h.dir.path().join("sdk/cache.sqlite-journal"), "journal").unwrap();
    std::fs::write(www.join("notes.db.txt"), "not a database").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("wayline-events", www.join("export.json")).unwrap();
        std::os::unix::fs::symlink("wayline-events-wal", www.join("log.txt")).unwrap();
    }
    for path in [
        "/wayline-events",
        "/wayline-events-wal",
        "/wayline-events-shm",
        "/wayline-events-journal",
        "/old.db",
        "/old.db-wal",
        "/backup.sqlite",
        "/Stats.SQLITE3",
        "/x.db3",
        "/sdk/cache.sqlite-journal",
        #[cfg(unix)]
        "/export.json",
        #[cfg(unix)]
        "/log.txt",
    ] {
        let reply = h.get(path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.body, b"not found\n", "{path}");
    }
    // Only those names: a file that merely mentions one is an ordinary file.
    assert_eq!(h.get("/notes.db.txt").await.status, StatusCode::OK);
    assert_eq!(h.get("/").await.status, StatusCode::OK);
}

/// A hard link to the database (or to its write-ahead log or shared-memory file) is the
/// database under another name, anywhere in a served directory: it is 404 like the database
/// itself, recognised by the file's identity (device and inode), not its name. Other files with
/// several names are served as usual.
#[cfg(unix)]
#[tokio::test]
async fn hard_links_to_the_database_are_404() {
    let h = Harness::new();
    let reply = h.post("/v1/batch", batch(vec![track("m-1")])).await;
    assert_eq!(reply.status, StatusCode::OK);
    let db = h.db.as_os_str().to_owned();
    let sibling = |suffix: &str| {
        let mut name = db.clone();
        name.push(suffix);
        std::path::PathBuf::from(name)
    };
    assert!(sibling("-wal").is_file() && sibling("-shm").is_file());
    let www = h.dir.path().join("www");
    let sdk = h.dir.path().join("sdk");
    std::fs::hard_link(&h.db, www.join("export.json")).unwrap();
    std::fs::hard_link(&h.db, www.join("shop/report.html")).unwrap();
    std::fs::hard_link(sibling("-wal"), www.join("log.txt")).unwrap();
    std::fs::hard_link(sibling("-shm"), www.join("memory")).unwrap();
    std::fs::hard_link(&h.db, sdk.join("wayline-data.js")).unwrap();
    // An ordinary file with two names is still an ordinary file.
    std::fs::hard_link(www.join("pricing.html"), www.join("plans.html")).unwrap();
    for path in [
        "/export.json",
        "/shop/report.html",
        "/shop/report",
        "/log.txt",
        "/memory",
        "/sdk/wayline-data.js",
    ] {
        for method in ["GET", "HEAD"] {
            let request = Request::builder()
                .method(method)
                .uri(path)
                .body(Body::empty())
                .unwrap();
            let reply = h.send(request).await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {path}");
        }
    }
    let reply = h.get("/plans").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(String::from_utf8(reply.body)
        .unwrap()
        .contains("<title>pricing</title>"));
}

/// A link inside a served directory is followed only while it stays inside that directory: a
/// link out of it (left by a deploy script, or to a shared folder) would publish whatever it
/// points to, so it is 404 like a missing file. Each directory is its own root: `/sdk/` cannot
/// reach into the `--www` directory either.
#[cfg(unix)]
#[tokio::test]
async fn links_out_of_the_served_directory_are_404() {
    use std::os::unix::fs::symlink;
    let h = Harness::new();
    let www = h.dir.path().join("www");
    let sdk = h.dir.path().join("sdk");
    symlink("../secret.txt", www.join("relative.txt")).unwrap();
    symlink(h.dir.path().join("secret.txt"), www.join("absolute.txt")).unwrap();
    symlink("..", www.join("up")).unwrap();
    symlink("../secret.txt", www.join("secret")).unwrap();
    symlink("../www/index.html", sdk.join("site.html")).unwrap();
    // Links that stay inside keep working.
    symlink("index.html", www.join("home.html")).unwrap();
    symlink("shop", www.join("store")).unwrap();
    symlink("wayline.js", sdk.join("wayline-latest.js")).unwrap();
    for path in [
        "/relative.txt",
        "/absolute.txt",
        "/up/secret.txt",
        "/secret",
        "/sdk/site.html",
    ] {
        let reply = h.get(path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.body, b"not found\n", "{path}");
    }
    for (path, title) in [
        ("/home.html", "home"),
        ("/home", "home"),
        ("/store/", "shop"),
    ] {
        let reply = h.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(
            reply.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        let text = String::from_utf8(reply.body).unwrap();
        assert!(text.contains(&format!("<title>{title}</title>")), "{path}");
    }
    let reply = h.get("/sdk/wayline-latest.js").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, b"export {};\n");
}

/// `len` bytes that repeat only every 251 bytes, so that a chunk out of place or missing shows.
fn patterned(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// A GET for `path` as the router answers it, its body not yet read.
async fn get_unread(h: &Harness, path: &str) -> axum::response::Response {
    use tower::ServiceExt;
    let request = Request::get(path).body(Body::empty()).unwrap();
    h.app.clone().oneshot(request).await.unwrap()
}

/// A file of several megabytes is served byte for byte with the length, type and tag its
/// metadata gives, in chunks of at most [`READ_CHUNK_BYTES`]: the body holds one chunk at a
/// time, never the whole file. HEAD and revalidation answer it as they answer small files.
#[tokio::test]
async fn large_files_are_sent_whole_a_chunk_at_a_time() {
    use http_body_util::BodyExt;
    let h = Harness::new();
    let large = patterned(8 << 20);
    std::fs::write(h.dir.path().join("sdk/large.wasm"), &large).unwrap();

    let response = get_unread(&h, "/sdk/large.wasm").await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-length"], (8 << 20).to_string().as_str());
    assert_eq!(headers["content-type"], "application/wasm");
    let mut body = response.into_body();
    let mut received = Vec::new();
    let mut chunks = 0;
    while let Some(frame) = body.frame().await {
        let data = frame.unwrap().into_data().unwrap();
        assert!(data.len() <= READ_CHUNK_BYTES, "a chunk of {}", data.len());
        received.extend_from_slice(&data);
        chunks += 1;
    }
    assert!(received == large, "the body differs from the file");
    assert!(chunks >= large.len() / READ_CHUNK_BYTES, "{chunks} chunks");

    let head = h
        .send(
            Request::head("/sdk/large.wasm")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.headers, headers);
    assert!(head.body.is_empty());
    let etag = headers["etag"].to_str().unwrap();
    for method in ["GET", "HEAD"] {
        let request = Request::builder()
            .method(method)
            .uri("/sdk/large.wasm")
            .header("if-none-match", format!("W/\"x\", W/{etag}"))
            .body(Body::empty())
            .unwrap();
        let reply = h.send(request).await;
        assert_eq!(reply.status, StatusCode::NOT_MODIFIED, "{method}");
        assert_eq!(reply.header("etag"), Some(etag), "{method}");
        assert!(reply.body.is_empty(), "{method}");
    }
}

/// The answer is ready before the file is read: its end is read only as the body is sent. Shown
/// by rewriting the file's last bytes in place once the answer (status and headers) is out, and
/// finding the new bytes in the body. So a request costs a chunk of memory, not the file's size,
/// and a large file starts arriving at once.
#[tokio::test]
async fn the_file_is_read_while_the_body_is_sent() {
    use std::io::{Seek, SeekFrom, Write};
    let h = Harness::new();
    let file = h.dir.path().join("www/large.bin");
    let mut large = patterned(4 << 20);
    std::fs::write(&file, &large).unwrap();

    let response = get_unread(&h, "/large.bin").await;
    assert_eq!(response.status(), StatusCode::OK);
    let tail = large.len() - 1024;
    large[tail..].fill(b'!');
    let mut writer = std::fs::File::options().write(true).open(&file).unwrap();
    writer.seek(SeekFrom::Start(tail as u64)).unwrap();
    writer.write_all(&large[tail..]).unwrap();
    drop(writer);

    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    assert!(
        body == large,
        "the body was read before the answer was sent"
    );
}

/// A file that grows while it is sent is sent as long as it was when it was opened, which is
/// the `Content-Length` and `ETag` the answer gave: never more bytes than announced.
#[tokio::test]
async fn a_file_that_grows_while_it_is_sent_is_sent_as_announced() {
    use std::io::Write;
    let h = Harness::new();
    let file = h.dir.path().join("www/growing.txt");
    let large = patterned(1 << 20);
    std::fs::write(&file, &large).unwrap();

    let response = get_unread(&h, "/growing.txt").await;
    assert_eq!(response.headers()["content-length"], "1048576");
    let mut writer = std::fs::File::options().append(true).open(&file).unwrap();
    writer.write_all(&patterned(300_000)).unwrap();
    drop(writer);

    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    assert!(body == large, "{} bytes sent", body.len());
}

/// A file cut short while it is sent cannot deliver the `Content-Length` announced: the body
/// ends with an error instead of simply ending, so the connection is closed before the
/// announced length, which a client and any cache see as an incomplete answer, never a complete
/// (shorter) file.
#[tokio::test]
async fn a_file_truncated_while_it_is_sent_ends_the_body_with_an_error() {
    let h = Harness::new();
    let file = h.dir.path().join("www/shrinking.txt");
    std::fs::write(&file, patterned(1 << 20)).unwrap();

    let response = get_unread(&h, "/shrinking.txt").await;
    assert_eq!(response.headers()["content-length"], "1048576");
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_len(1000)
        .unwrap();
    let read = axum::body::to_bytes(response.into_body(), usize::MAX).await;
    assert!(read.is_err(), "the body ended as if whole");
}

/// Over a connection: a file truncated while it is sent ends the connection short of the
/// `Content-Length` announced (no chunked encoding, no padding), which is how an HTTP/1.1
/// client or cache knows the answer is incomplete.
#[tokio::test]
async fn a_file_truncated_while_it_is_sent_closes_the_connection_short() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let h = Harness::new();
    let file = h.dir.path().join("www/shrinking.bin");
    // Far more than the sockets' buffers hold, so that most of it is still to be read when the
    // file is cut.
    let size = 32 << 20;
    std::fs::write(&file, patterned(size)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = h.app.clone();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /shrinking.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0];
        stream.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("content-length: {size}\r\n")),
        "{head}"
    );
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_len(1 << 20)
        .unwrap();
    let mut body = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        stream.read_to_end(&mut body),
    )
    .await
    .expect("the connection was not closed");
    // Closed, cleanly or by a reset: either way short of the length announced.
    let _ = read;
    assert!(body.len() < size, "{} bytes of {size}", body.len());
    server.abort();
}
