//! `GET /v1/config`: a source's config file, for the SDK to fetch and cache.
//!
//! The file is read and checked on every request, so an edit is live at once, and only a
//! file that passes the same check as `wayline check` (the engine's own) is ever served. While
//! the file is missing, unreadable or invalid, the config last served for the source is served
//! in its place, so a typo in a deployed file does not leave new visitors without segments and
//! campaigns while returning ones keep theirs. It is kept in the database (`served_configs`),
//! so a restarted collector, or another one on the same PostgreSQL, has it too; with none ever
//! served it is a 503. A strong `ETag` (a hash of the bytes served) lets the SDK revalidate
//! with a 304.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::check;
use crate::config::ConfigFile;
use crate::error::ApiError;
use crate::http::{authenticate, check_origin, if_none_match, json_response, AppState};
use crate::reports::ConfigOutline;
use crate::store::{self, Store, StoreError, Writes};

/// Why a source's config cannot be served.
#[derive(Debug, Clone)]
pub enum ConfigFault {
    /// The source names no config file (404).
    None { source: String },
    /// The file is missing or cannot be read (503). Bytes that are not UTF-8 do not make it so: they are read as
    /// U+FFFD, as a browser reads them ([`check::ConfigText`]), with a warning.
    Unreadable { file: String, message: String },
    /// The file is not JSON or fails the config check (503). `diagnostics` is the check's
    /// rendering, as `wayline check` prints it.
    Invalid {
        summary: String,
        diagnostics: String,
    },
}

impl ConfigFault {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::None { .. } => StatusCode::NOT_FOUND,
            Self::Unreadable { .. } | Self::Invalid { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::None { .. } => "no_config",
            Self::Unreadable { .. } => "config_unreadable",
            Self::Invalid { .. } => "invalid_config",
        }
    }

    /// For an invalid file, every error with its location, as `wayline check` prints them.
    pub fn diagnostics(&self) -> Option<&str> {
        match self {
            Self::Invalid { diagnostics, .. } => Some(diagnostics),
            _ => None,
        }
    }

    /// The message for the operator's log: for an invalid file, with every error.
    pub fn report(&self) -> String {
        self.with_diagnostics(self.to_string())
    }

    /// The note for the operator at start: what is wrong with the file, what `GET /v1/config` serves in its place
    /// (`instead`, the last good config, or nothing: a 503), and for an invalid file every error.
    pub fn note(&self, instead: Option<&Served>) -> String {
        let cause = self.cause();
        self.with_diagnostics(match instead {
            Some(served) => format!(
                "{cause}; the config last served ({}) is served in its place",
                served.etag
            ),
            None => format!(
                "{cause}; it is not served, and the database holds no earlier config to serve in its place \
                 (GET /v1/config answers 503)"
            ),
        })
    }

    /// What is wrong, without what is served instead.
    fn cause(&self) -> String {
        match self {
            Self::Invalid { summary, .. } => format!("config {summary}"),
            _ => self.to_string(),
        }
    }

    fn with_diagnostics(&self, message: String) -> String {
        match self {
            Self::Invalid { diagnostics, .. } => format!("{message}\n{}", diagnostics.trim_end()),
            _ => message,
        }
    }
}

impl fmt::Display for ConfigFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None { source } => write!(f, "source {source:?} has no config"),
            Self::Unreadable { file, message } => {
                write!(f, "config {file} cannot be read: {message}")
            }
            Self::Invalid { .. } => write!(f, "{}; it is not served", self.cause()),
        }
    }
}

impl std::error::Error for ConfigFault {}

impl IntoResponse for ConfigFault {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code(), "message": self.to_string()});
        if let Self::Invalid { diagnostics, .. } = &self {
            error["diagnostics"] = json!(diagnostics);
        }
        json_response(self.status(), &json!({ "error": error }))
    }
}

/// A config that passed the check: the bytes to serve and their entity tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    pub body: String,
    /// Quoted, as sent in `ETag`.
    pub etag: String,
}

/// The config last served for each source, by source name: what is served while the file is broken. A copy of
/// `served_configs` in the database, so that only a change is written and a good file costs no read.
///
/// Each entry says whether the database holds it: a write that failed is tried again by the next request, rather
/// than the copy claiming a row the database never got. Keeping is serialised (an async lock held across the
/// write), so two requests serving different configs cannot leave the database with the one the copy replaced.
#[derive(Debug, Default)]
pub struct LastGood(tokio::sync::Mutex<HashMap<String, (Served, bool)>>);

impl LastGood {
    /// Remembers a config just served for `source` and, when it is new (or its write failed before), stores it
    /// as the source's last good one. A failed write is reported, and the config served all the same.
    pub async fn keep(&self, store: &Store, source: &str, served: &Served) {
        let mut map = self.0.lock().await;
        if matches!(map.get(source), Some((kept, true)) if kept == served) {
            return;
        }
        let writes = Writes {
            served_config: Some(served.clone()),
            ..Writes::default()
        };
        let stored = match store.insert(source, writes).await {
            Ok(_) => true,
            Err(err) => {
                eprintln!("wayline: source {source:?}: the config served was not kept as its last good one: {err}");
                false
            }
        };
        map.insert(source.to_owned(), (served.clone(), stored));
    }

    /// The source's last good config: this collector's, else the one stored in the database.
    pub async fn find(&self, store: &Store, source: &str) -> Option<Served> {
        if let Some((served, _)) = self.0.lock().await.get(source) {
            return Some(served.clone());
        }
        let reading = store.clone();
        let name = source.to_owned();
        let stored = tokio::task::spawn_blocking(move || {
            store::served_config(&mut reading.reader()?, &name)
        })
        .await
        .unwrap_or_else(|err| Err(StoreError::WriteFailed(err.to_string())));
        match stored {
            Ok(Some(served)) => {
                // A config kept meanwhile is newer than the one read.
                let mut map = self.0.lock().await;
                let entry = map
                    .entry(source.to_owned())
                    .or_insert_with(|| (served, true));
                Some(entry.0.clone())
            }
            Ok(None) => None,
            Err(err) => {
                eprintln!(
                    "wayline: source {source:?}: the last good config could not be read: {err}"
                );
                None
            }
        }
    }
}

/// Reads and checks a config file. A leading byte-order mark is dropped (JSON allows none),
/// and the tag is computed on what is served.
pub fn load(file: &ConfigFile) -> Result<Served, ConfigFault> {
    load_checked(file).0
}

/// What each config file's text last gave when checked and compiled, by path (and the name its diagnostics
/// give it): the file is read on every request
/// (an edit is live at once), but checked and compiled again only when its text changed. Checking and compiling
/// cost far more than reading (about 0.3 M instructions for the demo config), and a broken file's diagnostics
/// would otherwise be rendered for every request that asks for it.
type Checked = HashMap<
    (PathBuf, String),
    (
        Result<check::ConfigText, String>,
        Result<Served, ConfigFault>,
    ),
>;
static CHECKED: std::sync::Mutex<Option<Checked>> = std::sync::Mutex::new(None);

/// [`load`], and whether this is news: what the file read gave changed since the last load (a new text, checked
/// now; or it became unreadable, or unreadable for another reason), or it was never seen. The request that meets
/// the news is the one that logs it.
pub fn load_checked(file: &ConfigFile) -> (Result<Served, ConfigFault>, bool) {
    let read = read(&file.path);
    let mut checked = CHECKED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let entries = checked.get_or_insert_with(HashMap::new);
    let key = (file.path.clone(), file.name.clone());
    if let Some((seen, result)) = entries.get(&key) {
        if *seen == read {
            return (result.clone(), false);
        }
    }
    let result = match &read {
        Ok(config) => check_and_compile(file, config),
        Err(message) => Err(ConfigFault::Unreadable {
            file: file.name.clone(),
            message: message.clone(),
        }),
    };
    if let (Ok(config), Ok(_)) = (&read, &result) {
        // Here, where the text is checked, whichever request checked it (an SDK's fetch, with no report read
        // meanwhile, included), and of the very text checked: a read of the file later may find it broken already.
        GOOD_OUTLINES
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(file.path.clone(), ConfigOutline::from_text(&config.text));
    }
    entries.insert(key, (read, result.clone()));
    (result, true)
}

/// The outline (for reports) of each config file's text last checked good, by path: one entry per config file.
static GOOD_OUTLINES: std::sync::Mutex<BTreeMap<PathBuf, ConfigOutline>> =
    std::sync::Mutex::new(BTreeMap::new());

/// The outline of the text of the config file at `path` last checked good by this collector: its current text
/// when that is good (after a [`load_checked`]), else the version served in its place (as long as this collector
/// checked it: one kept by an earlier run is not known here), else `None`.
pub fn last_good_outline(path: &Path) -> Option<ConfigOutline> {
    GOOD_OUTLINES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(path)
        .cloned()
}

fn check_and_compile(file: &ConfigFile, config: &check::ConfigText) -> Result<Served, ConfigFault> {
    let body = &config.text;
    let report = check::check_file_text(config, &file.name);
    if !report.is_ok() {
        return Err(ConfigFault::Invalid {
            summary: report.summary(),
            diagnostics: report.diagnostics,
        });
    }
    // Valid, but probably not meant (bytes that are not UTF-8, unpaired surrogate escapes, prompt colours that
    // contrast too little): told once, here, where each new text of the file is checked, as `wayline check` tells
    // them.
    for warning in &report.warnings {
        eprintln!("wayline: {warning}");
    }
    let body = compile_text(body).map_err(|diagnostics| ConfigFault::Invalid {
        summary: format!("{} cannot be compiled", file.name),
        diagnostics,
    })?;
    let etag = etag(body.as_bytes());
    Ok(Served { body, etag })
}

/// [`load_checked`] off the request threads (reading and checking are blocking work); a load that did not finish
/// is an unreadable file.
pub async fn load_off_runtime(file: ConfigFile) -> (Result<Served, ConfigFault>, bool) {
    let name = file.name.clone();
    tokio::task::spawn_blocking(move || load_checked(&file))
        .await
        .unwrap_or_else(|err| {
            let fault = ConfigFault::Unreadable {
                file: name,
                message: err.to_string(),
            };
            (Err(fault), true)
        })
}

/// The compiled form of checked config text: what the SDK reads (`wayline::core::compiled`), so browsers never
/// run the rule compiler. Also `wayline compile`.
pub fn compile_text(text: &str) -> Result<String, String> {
    let value = wayline::core::json::parse(text).map_err(|e| e.to_string())?;
    wayline::core::compiled::compile(&value)
        .map(|v| v.to_json())
        .map_err(|errors| errors.concat())
}

fn read(path: &Path) -> Result<check::ConfigText, String> {
    check::read_config(path).map_err(|err| err.source.to_string())
}

/// `"<FNV-1a 128 of the bytes, 32 hex digits>"`: stable across collectors and versions, so
/// several collectors behind one name give the same tag for the same file.
pub fn etag(bytes: &[u8]) -> String {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    let hash = bytes.iter().fold(OFFSET, |hash, &byte| {
        (hash ^ u128::from(byte)).wrapping_mul(PRIME)
    });
    format!("\"{hash:032x}\"")
}

/// The `writeKey` query parameter (form-encoded: `+` is a space, `%XX` a byte), if present.
fn query_param(uri: &Uri, wanted: &str) -> Option<String> {
    uri.query()?.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        (name == wanted).then(|| form_decode(value)).flatten()
    })
}

/// The compiled format a client reads (`format` in the query, which the SDK sends: see docs/collector.md): refused
/// unless it is the one served, so that an SDK of another release hears why rather than misreading the config.
/// Without it (older SDKs, `curl`), the config is served as it is.
fn check_format(uri: &Uri) -> Result<(), ApiError> {
    let served = wayline::core::compiled::VERSION.to_string();
    match query_param(uri, "format") {
        Some(asked) if asked != served => Err(ApiError::UnsupportedConfigFormat(asked)),
        _ => Ok(()),
    }
}

fn form_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

pub async fn serve(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    match handle(&state, &uri, &headers).await {
        Ok(response) => response,
        Err(Fault::Api(err)) => err.into_response(),
        Err(Fault::Config(fault, fresh)) => {
            // The client keeps its last good config; the operator needs to hear about it, once per broken version
            // of the file (not once per request, which would let any page flood the log).
            if fresh && fault.status().is_server_error() {
                log_fault(&fault, None);
            }
            fault.into_response()
        }
    }
}

/// Tells the operator of a broken or unreadable version of a config file, once: by whichever request meets it first
/// ([`load_checked`]'s news; an SDK's or a report's), with every error, and the config served in its place if any.
pub fn log_fault(fault: &ConfigFault, instead: Option<&Served>) {
    match instead {
        Some(served) => eprintln!(
            "wayline: serving the config last served ({}) instead: {}",
            served.etag,
            fault.report()
        ),
        None => eprintln!("wayline: {}", fault.report()),
    }
}

/// Set on a config served in place of a broken file: the broken file's error code (`invalid_config` or
/// `config_unreadable`).
pub const FAULT_HEADER: HeaderName = HeaderName::from_static("wayline-config-fault");

enum Fault {
    Api(ApiError),
    /// And whether this request is the first to meet it.
    Config(ConfigFault, bool),
}

async fn handle(state: &AppState, uri: &Uri, headers: &HeaderMap) -> Result<Response, Fault> {
    let query_key = query_param(uri, "writeKey");
    let source = authenticate(state, headers, query_key.as_deref()).map_err(Fault::Api)?;
    check_origin(source, headers).map_err(Fault::Api)?;
    check_format(uri).map_err(Fault::Api)?;
    let file = source.config.clone().ok_or_else(|| {
        let fault = ConfigFault::None {
            source: source.name.clone(),
        };
        Fault::Config(fault, true)
    })?;
    let (loaded, fresh) = load_off_runtime(file).await;
    let (served, fault) = match loaded {
        Ok(served) => {
            state
                .last_good
                .keep(&state.store, &source.name, &served)
                .await;
            (served, None)
        }
        Err(fault) => match state.last_good.find(&state.store, &source.name).await {
            Some(served) => (served, Some(fault)),
            None => return Err(Fault::Config(fault, fresh)),
        },
    };

    let mut response_headers = HeaderMap::new();
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Some(fault) = fault {
        // The operator hears of each broken version of the file once, with its diagnostics (not once per
        // request, which would let any page flood the log); a client sees the reason in a header.
        if fresh {
            log_fault(&fault, Some(&served));
        }
        response_headers.insert(FAULT_HEADER, HeaderValue::from_static(fault.code()));
    }
    if let Ok(value) = HeaderValue::from_str(&served.etag) {
        response_headers.insert(header::ETAG, value);
    }
    if if_none_match(headers, &served.etag) {
        // No body, so no Content-Type (RFC 9110 §15.4.5).
        return Ok((StatusCode::NOT_MODIFIED, response_headers).into_response());
    }
    response_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok((StatusCode::OK, response_headers, served.body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etag_is_a_stable_hash_of_the_bytes() {
        // FNV-1a 128 of the empty input is its offset basis.
        assert_eq!(etag(b""), "\"6c62272e07bb014262b821756295c58d\"");
        assert_eq!(etag(b"{}"), etag(b"{}"));
        assert_ne!(etag(b"{}"), etag(b"{ }"));
        assert_eq!(etag(b"{}").len(), 34);
    }

    /// A file is read on every request but checked and compiled only when its text changed: a good file's
    /// answer, and a broken file's fault, are kept with the text they came from.
    #[test]
    fn a_file_is_checked_and_compiled_again_only_when_its_text_changed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("site.json");
        let file = ConfigFile {
            name: "site.json".into(),
            path: path.clone(),
        };
        std::fs::write(&path, r#"{"segments": {"pro": "traits.plan == \"pro\""}}"#).unwrap();
        let (first, fresh) = load_checked(&file);
        assert!(fresh && first.is_ok());
        let (again, fresh) = load_checked(&file);
        assert!(!fresh, "the same text is not checked again");
        assert_eq!(again.unwrap(), first.unwrap());
        std::fs::write(&path, r#"{"segments": {"pro": "traits.plan =="}}"#).unwrap();
        let (broken, fresh) = load_checked(&file);
        assert!(fresh && matches!(broken, Err(ConfigFault::Invalid { .. })));
        let (still, fresh) = load_checked(&file);
        assert!(!fresh && matches!(still, Err(ConfigFault::Invalid { .. })));
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(
            load_checked(&file).0,
            Err(ConfigFault::Unreadable { .. })
        ));
    }

    /// Bytes that are not UTF-8 in a config file do not make it unreadable: the collector reads them as U+FFFD, as
    /// a browser's `response.text()` would read the file, serves the config (with a warning, as `wayline check`
    /// gives it), and an edit that changes only those bytes is a new text.
    #[test]
    fn bytes_that_are_not_utf8_are_read_as_the_replacement_character() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("site.json");
        let file = ConfigFile {
            name: "site.json".into(),
            path: path.clone(),
        };
        std::fs::write(
            &path,
            b"{\"segments\": {\"fr\": \"traits.shop == \\\"Caf\xE9\\\"\"}}",
        )
        .unwrap();
        let (served, fresh) = load_checked(&file);
        let served = served.unwrap();
        assert!(fresh);
        assert!(served.body.contains("Caf\u{FFFD}"), "{}", served.body);
        std::fs::write(
            &path,
            b"{\"segments\": {\"fr\": \"traits.shop == \\\"Caf\xE8\\\"\"}}",
        )
        .unwrap();
        let (again, fresh) = load_checked(&file);
        assert!(fresh, "other bytes, checked again");
        assert_eq!(again.unwrap(), served);
    }

    #[test]
    fn write_key_from_the_query() {
        let key = |uri: &'static str| query_param(&Uri::from_static(uri), "writeKey");
        assert_eq!(
            key("/v1/config?writeKey=wk_demo").as_deref(),
            Some("wk_demo")
        );
        assert_eq!(
            key("/v1/config?x=1&writeKey=wk%20a+b%2B").as_deref(),
            Some("wk a b+")
        );
        assert_eq!(key("/v1/config?writekey=wk"), None);
        assert_eq!(key("/v1/config"), None);
        assert_eq!(key("/v1/config?writeKey=%zz"), None);
        assert_eq!(key("/v1/config?writeKey").as_deref(), Some(""));
    }
}
