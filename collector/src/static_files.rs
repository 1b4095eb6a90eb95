//! The demo site (`--www`) and the built SDK (`/sdk/*` from `--sdk`), so that one command
//! runs the whole demo.

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::UNIX_EPOCH;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hyper::body::{Frame, SizeHint};
use tokio::io::{AsyncRead, ReadBuf};

use crate::http::{if_none_match, AppState};

/// The most of a file read at once, and so held in memory for a request: a file is sent a chunk
/// at a time as the connection takes it.
pub const READ_CHUNK_BYTES: usize = 64 * 1024;

/// The policy the demo pages run under: it proves the SDK needs neither inline scripts nor
/// `eval`, only `'wasm-unsafe-eval'` to compile its module. `'inline-speculation-rules'` lets a
/// page ask the browser to prerender another (speculation rules), which runs no script inline.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'inline-speculation-rules'; style-src 'self'; img-src 'self' data:; connect-src 'self'";

pub async fn serve(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD, OPTIONS")],
            "method not allowed\n",
        )
            .into_response();
    }
    let path = uri.path();
    let (root, rest, sdk) = match path.strip_prefix("/sdk") {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => (&state.sdk_dir, rest, true),
        _ => (&state.www_dir, path, false),
    };
    let mut response = serve_file(&state, root, rest, &method, &headers).await;
    // The SDK's files are public: any site may load them from here (see `cors`).
    if sdk {
        response.extensions_mut().insert(crate::cors::AnyOrigin);
    }
    response
}

/// The file `rest` names under `root`, or a 404.
async fn serve_file(
    state: &AppState,
    root: &Path,
    rest: &str,
    method: &Method,
    headers: &HeaderMap,
) -> Response {
    let Some(relative) = safe_relative_path(rest) else {
        return not_found();
    };
    // Resolved on each request, not once at start: the directory may be created (the SDK
    // built) or moved while the collector runs.
    let Ok(root) = tokio::fs::canonicalize(root).await else {
        return not_found();
    };
    let wants_directory = rest.is_empty() || rest.ends_with('/');
    let database = state.store.sqlite_file();
    for candidate in candidates(&root, &relative, wants_directory) {
        let Some(file) = resolve(&candidate, &root, database).await else {
            continue;
        };
        let Some((metadata, opened)) = open(&file, method, database).await else {
            continue;
        };
        // The type comes from the name asked for, as it did before links were resolved.
        let content_type = content_type(&candidate);
        return file_response(&metadata, opened, content_type, headers);
    }
    not_found()
}

/// The file at `path` if it may be served (a regular file, not the database): its metadata and,
/// for a `GET`, the file opened to be sent. `HEAD` neither opens nor reads it.
///
/// The metadata of a file sent is taken from the open file, not from its name, so that the
/// `Content-Length` and `ETag` describe what is sent: a file replaced by a rename while it is sent
/// (as deploys and builds replace files) is sent whole as it was when it was opened. The name is
/// checked before opening all the same, because opening a named pipe would wait for a writer;
/// what was opened is checked again, in case the name was given to another file in between.
async fn open(
    path: &Path,
    method: &Method,
    database: Option<&Path>,
) -> Option<(std::fs::Metadata, Option<tokio::fs::File>)> {
    let metadata = tokio::fs::metadata(path).await.ok()?;
    if !servable(&metadata, database).await {
        return None;
    }
    if method == Method::HEAD {
        return Some((metadata, None));
    }
    // A file that vanished since is simply not found.
    let file = tokio::fs::File::open(path).await.ok()?;
    let metadata = file.metadata().await.ok()?;
    servable(&metadata, database)
        .await
        .then_some((metadata, Some(file)))
}

/// Whether the file `metadata` describes may be served: a regular file, and not the database
/// under another name.
async fn servable(metadata: &std::fs::Metadata, database: Option<&Path>) -> bool {
    metadata.is_file() && !is_database_by_identity(metadata, database).await
}

/// SQLite keeps a database in its file and, while it is open, in files named after it with
/// these suffixes: the write-ahead log, its shared-memory index, the rollback journal.
const SQLITE_COMPANIONS: [&str; 3] = ["-wal", "-shm", "-journal"];

/// The extensions SQLite databases are usually given (compared ignoring case).
const SQLITE_EXTENSIONS: [&str; 4] = ["db", "db3", "sqlite", "sqlite3"];

/// The file a candidate path really is, with links resolved, or `None` when it is missing or
/// must never be served:
/// - a file outside the (canonical) `root`, reached through a link out of it: a link left by a
///   deploy, or to a shared folder, would otherwise publish whatever it points to;
/// - the collector's database (named by `--db` in any way, or reached through a link), the
///   files SQLite keeps next to it, and any file named like a SQLite database, which is
///   events, visitors' ids or answers, never a page. (A hard link to them, under another name,
///   is caught once the file's metadata is read: [`is_database_by_identity`].)
///
/// The file is then read by this resolved path, so a link changed after the check is not
/// followed; a directory on the path swapped for a link between the check and the read is (the
/// check is not atomic). That is a race only someone who can write to the served directory can
/// run, and they can publish files anyway.
async fn resolve(candidate: &Path, root: &Path, database: Option<&Path>) -> Option<PathBuf> {
    let file = tokio::fs::canonicalize(candidate).await.ok()?;
    let is_database = database.is_some_and(|database| is_or_accompanies(&file, database))
        || file.file_name().is_some_and(named_like_sqlite);
    (file.starts_with(root) && !is_database).then_some(file)
}

/// Whether the file `metadata` describes is the database or one of its [`SQLITE_COMPANIONS`]
/// under another name: a hard link to it, which [`resolve`]'s comparison of paths cannot see.
/// Files are compared by identity (device and inode). A file with a single name cannot be a
/// second name of another, so the database's files are looked up only for a file with several:
/// serving an ordinary file costs nothing more.
#[cfg(unix)]
async fn is_database_by_identity(metadata: &std::fs::Metadata, database: Option<&Path>) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Some(database) = database else {
        return false;
    };
    if metadata.nlink() < 2 {
        return false;
    }
    for suffix in std::iter::once("").chain(SQLITE_COMPANIONS) {
        let mut name = database.as_os_str().to_owned();
        name.push(suffix);
        // A companion that does not exist (yet, or any more) is no file to compare with.
        if let Ok(own) = tokio::fs::metadata(&name).await {
            if own.dev() == metadata.dev() && own.ino() == metadata.ino() {
                return true;
            }
        }
    }
    false
}

/// Elsewhere files have no identity to compare that is as cheap to read: the database is
/// recognised by its name (and links resolved) only.
#[cfg(not(unix))]
async fn is_database_by_identity(_: &std::fs::Metadata, _: Option<&Path>) -> bool {
    false
}

/// Whether `file` is `database` or one of its [`SQLITE_COMPANIONS`]; both paths canonical.
fn is_or_accompanies(file: &Path, database: &Path) -> bool {
    file.as_os_str()
        .as_encoded_bytes()
        .strip_prefix(database.as_os_str().as_encoded_bytes())
        .is_some_and(|rest| {
            rest.is_empty()
                || SQLITE_COMPANIONS
                    .iter()
                    .any(|suffix| rest == suffix.as_bytes())
        })
}

/// `events.db`, `Backup.SQLITE3`, `old.db-wal`: a name with one of the [`SQLITE_EXTENSIONS`],
/// possibly followed by one of the [`SQLITE_COMPANIONS`].
fn named_like_sqlite(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy().to_ascii_lowercase();
    let database = SQLITE_COMPANIONS
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .unwrap_or(&name);
    Path::new(database)
        .extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| SQLITE_EXTENSIONS.contains(&extension))
}

/// `/` and `/dir/` map to `index.html`; `/pricing` to `pricing`, then `pricing.html`, then
/// `pricing/index.html`, so that pages have clean URLs.
fn candidates(root: &Path, relative: &Path, wants_directory: bool) -> Vec<PathBuf> {
    let base = root.join(relative);
    if wants_directory || relative.as_os_str().is_empty() {
        return vec![base.join("index.html")];
    }
    let mut list = vec![base.clone()];
    if relative.extension().is_none() {
        list.push(base.with_extension("html"));
    }
    list.push(base.join("index.html"));
    list
}

/// Decodes the URL path and keeps only plain segments: `..`, `.`, backslashes, NUL and
/// absolute components would let a request escape the served directory, and a segment that
/// starts with a dot (`.env`, `.git/`, `.htpasswd`) names a file that is never meant for
/// visitors.
fn safe_relative_path(url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path)?;
    let mut relative = PathBuf::new();
    for segment in decoded.split('/').filter(|s| !s.is_empty()) {
        if segment.starts_with('.') || segment.contains(['\\', '\0']) || segment.contains(':') {
            return None;
        }
        relative.push(segment);
    }
    Some(relative)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(byte);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The answer for the file `metadata` describes: its body read from `opened` for a `GET`, none
/// for a `HEAD` (`None`), which gets the headers `GET` would, `Content-Length` included.
fn file_response(
    metadata: &std::fs::Metadata,
    opened: Option<tokio::fs::File>,
    content_type: &'static str,
    request_headers: &HeaderMap,
) -> Response {
    // `no-cache` makes the browser revalidate every time; the ETag keeps that revalidation to
    // a 304 while the file is unchanged, so a rebuilt SDK is picked up at once.
    let modified = metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |age| age.as_nanos());
    let etag = format!("\"{:x}-{:x}\"", metadata.len(), modified);

    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    if content_type.starts_with("text/html") {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
    }

    if if_none_match(request_headers, &etag) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(metadata.len()));
    let body = match opened {
        Some(file) => Body::new(FileBody::new(file, metadata.len())),
        None => Body::empty(),
    };
    (StatusCode::OK, headers, body).into_response()
}

/// A file's body, read a chunk ([`READ_CHUNK_BYTES`]) at a time as the connection asks for more,
/// so that the answer starts at once and a request's memory does not grow with the file. The
/// connection (hyper's HTTP/1) asks for another chunk only while less than about 400 KiB (and
/// fewer than 16 chunks) wait to be written to the socket, so a slow client slows the reading
/// down rather than piling chunks up: a request holds under half a MiB of the file at most.
///
/// It sends exactly `remaining` bytes, the length the file had when it was opened, which the
/// answer's `Content-Length` announced:
/// - a file that grows meanwhile is sent as long as it was (its new end is not sent);
/// - a file cut short meanwhile cannot deliver what was announced: the body ends with an error,
///   on which the server closes the connection before the announced length, which HTTP/1.1
///   clients and caches see as an incomplete answer, never as a complete shorter file;
/// - a file rewritten in place meanwhile may be sent part old, part new, under the old tag, as
///   with any server that does not copy files before sending them; replacing a file by a
///   rename, as deploys and builds usually do, sends the old file whole (it stays open).
struct FileBody {
    file: tokio::fs::File,
    remaining: u64,
    /// The chunk being read into, kept while the read is under way.
    chunk: Option<Vec<u8>>,
}

impl FileBody {
    fn new(file: tokio::fs::File, length: u64) -> Self {
        Self {
            file,
            remaining: length,
            chunk: None,
        }
    }
}

impl hyper::body::Body for FileBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        let wanted = usize::try_from(this.remaining).map_or(READ_CHUNK_BYTES, |remaining| {
            remaining.min(READ_CHUNK_BYTES)
        });
        let chunk = this.chunk.get_or_insert_with(|| vec![0; wanted]);
        let mut buffer = ReadBuf::new(chunk);
        match Pin::new(&mut this.file).poll_read(cx, &mut buffer) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Err(err)) => return Poll::Ready(Some(Err(err))),
            Poll::Ready(Ok(())) => {}
        }
        let read = buffer.filled().len();
        let mut chunk = this.chunk.take().unwrap_or_default();
        if read == 0 {
            this.remaining = 0;
            return Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the file became shorter while it was being sent",
            ))));
        }
        chunk.truncate(read);
        this.remaining -= read as u64;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(chunk)))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// Content types by extension. `.wasm` must be `application/wasm` or
/// `WebAssembly.instantiateStreaming` refuses the response.
pub fn content_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs" | "cjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("webmanifest") => "application/manifest+json",
        Some("ts" | "txt" | "md") => "text/plain; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("avif") => "image/avif",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("xml") => "application/xml",
        _ => "application/octet-stream",
    }
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        "not found\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_paths_that_escape() {
        for bad in [
            "/../etc/passwd",
            "/a/%2e%2e/b",
            "/a\\b",
            "/%00",
            "/%zz",
            "/c:/x",
            "/.env",
            "/a/.git/config",
            "/%2Egit",
        ] {
            assert!(safe_relative_path(bad).is_none(), "{bad}");
        }
        assert_eq!(
            safe_relative_path("/a//b%20c/").unwrap(),
            Path::new("a/b c")
        );
        assert_eq!(safe_relative_path("/").unwrap(), Path::new(""));
    }

    #[test]
    fn clean_urls() {
        let root = Path::new("/www");
        assert_eq!(
            candidates(root, Path::new(""), true),
            [Path::new("/www/index.html")]
        );
        assert_eq!(
            candidates(root, Path::new("pricing"), false),
            [
                Path::new("/www/pricing"),
                Path::new("/www/pricing.html"),
                Path::new("/www/pricing/index.html")
            ]
        );
        assert_eq!(
            candidates(root, Path::new("shop"), true),
            [Path::new("/www/shop/index.html")]
        );
    }

    #[test]
    fn database_files() {
        let database = Path::new("/srv/wayline-data");
        for file in [
            "/srv/wayline-data",
            "/srv/wayline-data-wal",
            "/srv/wayline-data-shm",
            "/srv/wayline-data-journal",
        ] {
            assert!(is_or_accompanies(Path::new(file), database), "{file}");
        }
        for file in [
            "/srv/wayline-data.html",
            "/srv/wayline-data-wal2",
            "/srv/wayline-dat",
            "/srv/other/wayline-data",
        ] {
            assert!(!is_or_accompanies(Path::new(file), database), "{file}");
        }
        for name in [
            "a.db",
            "a.DB",
            "a.db3",
            "a.sqlite",
            "a.Sqlite3",
            "a.db-wal",
            "a.sqlite-shm",
        ] {
            assert!(named_like_sqlite(name.as_ref()), "{name}");
        }
        for name in [
            "db",
            "a.db.txt",
            "a.dbx",
            "a-wal",
            "a.json-journal",
            "sqlite",
        ] {
            assert!(!named_like_sqlite(name.as_ref()), "{name}");
        }
    }

    #[test]
    fn wasm_and_js_types() {
        assert_eq!(
            content_type(Path::new("a/wayline_bg.wasm")),
            "application/wasm"
        );
        assert!(content_type(Path::new("a/wayline.mjs")).starts_with("text/javascript"));
        assert!(content_type(Path::new("a/index.HTML")).starts_with("text/html"));
    }
}
