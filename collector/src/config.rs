//! Sources: who may send events. Each source has a write key (which names it on every
//! request), the browser origins allowed to send with that key, and optionally the config
//! file served to its SDK by `GET /v1/config`.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The source used when no `--sources` file is given, so that the demo site works out of
/// the box on any local port.
pub const DEMO_SOURCES_JSON: &str = r#"{"sources":[{"name":"demo","writeKey":"wk_demo","readKey":"rk_demo","origins":["http://localhost:*","http://127.0.0.1:*"]}]}"#;

/// The built-in demo source's config, relative to the working directory; used only when the
/// file exists when the sources are built.
pub const DEMO_CONFIG_PATH: &str = "www/demo-config.json";

#[derive(Debug)]
pub enum ConfigError {
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    Json(serde_json::Error),
    /// The document parsed but does not describe valid sources; `at` is a JSON path such as
    /// `sources[1].writeKey`, empty for the document itself.
    Invalid {
        at: String,
        message: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { path, source } => {
                write!(f, "cannot read sources file {}: {source}", path.display())
            }
            Self::Json(err) => write!(f, "sources file is not valid JSON: {err}"),
            Self::Invalid { at, message } if at.is_empty() => {
                write!(f, "sources file: {message}")
            }
            Self::Invalid { at, message } => write!(f, "sources file: {at}: {message}"),
        }
    }
}

impl std::error::Error for ConfigError {}

fn invalid(at: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        at: at.into(),
        message: message.into(),
    }
}

/// One allowed-origin pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginPattern {
    /// `*`: any origin (for sources that are not tied to a site).
    Any,
    /// `https://shop.example.com` or `http://localhost:8080`: that origin only.
    Exact(String),
    /// `http://localhost:*`: that scheme and host on any port, or with no port at all.
    AnyPort(String),
}

impl OriginPattern {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text == "*" {
            return Ok(Self::Any);
        }
        let lower = text.to_ascii_lowercase();
        let Some((scheme, authority)) = lower.split_once("://") else {
            return Err(format!("{text:?} is not an origin (scheme://host[:port])"));
        };
        if scheme.is_empty()
            || !scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            return Err(format!("{text:?} has an invalid scheme"));
        }
        if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
            return Err(format!(
                "{text:?} must be an origin only: scheme and host, optional port, no path"
            ));
        }
        // A browser's `Origin` is `scheme://host` or `scheme://host:port`, the host an ASCII name (an
        // internationalised one in its `xn--` form), an IPv4 address or a bracketed IPv6 one. A pattern that
        // is not of that shape could never match, so it is refused rather than refusing every page.
        let (host, port) = match authority.strip_prefix('[') {
            Some(rest) => match rest.split_once(']') {
                Some((inside, after)) => (&authority[..inside.len() + 2], after),
                None => return Err(format!("{text:?} has an unclosed `[` in its host")),
            },
            None => match authority.find(':') {
                Some(colon) => authority.split_at(colon),
                None => (authority, ""),
            },
        };
        if host.is_empty() || host == "[]" {
            return Err(format!("{text:?} has no host"));
        }
        if host.contains('*') {
            return Err(format!(
                "{text:?}: a host cannot hold a wildcard; list each origin, or give \"*\" for any origin"
            ));
        }
        if !is_host(host) {
            return Err(format!(
                "{text:?} has an invalid host (an internationalised name is written in its xn-- form)"
            ));
        }
        match port.strip_prefix(':') {
            None if port.is_empty() => Ok(Self::Exact(lower)),
            Some("*") => Ok(Self::AnyPort(format!("{scheme}://{host}"))),
            Some(digits)
                if (1..=5).contains(&digits.len())
                    && digits.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Ok(Self::Exact(lower))
            }
            _ => Err(format!(
                "{text:?} has a port that is not a number (or `*` for any port)"
            )),
        }
    }

    /// Browsers serialise origins in lower case; the comparison is exact apart from that.
    pub fn matches(&self, origin: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Exact(exact) => origin.eq_ignore_ascii_case(exact),
            Self::AnyPort(prefix) => {
                let (Some(head), Some(rest)) =
                    (origin.get(..prefix.len()), origin.get(prefix.len()..))
                else {
                    return false;
                };
                head.eq_ignore_ascii_case(prefix)
                    && (rest.is_empty()
                        || rest.strip_prefix(':').is_some_and(|port| {
                            !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
                        }))
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub write_key: String,
    /// The key that reads this source's reports (`GET /v1/reports`, `/dashboard`). A write key is public (it is
    /// in every page), so it never reads anything; without a read key the source has no reports.
    pub read_key: Option<String>,
    pub origins: Vec<OriginPattern>,
    /// The config file served at `GET /v1/config` for this source's key, if any.
    pub config: Option<ConfigFile>,
}

/// A source's config file. It is only named here: it is read (and checked) on every request,
/// so edits take effect without a restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    /// The path as written in the sources file; errors are reported under this name, so
    /// the collector's own directory layout is not shown to clients.
    pub name: String,
    /// Where the file is read from: `name` resolved against the sources file's directory.
    pub path: PathBuf,
}

impl Source {
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.origins.iter().any(|pattern| pattern.matches(origin))
    }
}

/// All configured sources, indexed by write key.
#[derive(Debug, Clone)]
pub struct Sources {
    sources: Vec<Source>,
    by_write_key: HashMap<String, usize>,
    by_read_key: HashMap<String, usize>,
}

impl Sources {
    /// The demo source of [`DEMO_SOURCES_JSON`], serving [`DEMO_CONFIG_PATH`] (relative to
    /// the working directory) as its config when that file exists.
    pub fn demo() -> Result<Self, ConfigError> {
        let mut sources = Self::from_json(DEMO_SOURCES_JSON)?;
        if Path::new(DEMO_CONFIG_PATH).is_file() {
            for source in &mut sources.sources {
                source.config = Some(ConfigFile {
                    name: DEMO_CONFIG_PATH.to_owned(),
                    path: PathBuf::from(DEMO_CONFIG_PATH),
                });
            }
        }
        Ok(sources)
    }

    /// Reads a sources file; `config` paths in it are relative to the file's directory.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new(""));
        Self::from_json_in(&text, base)
    }

    /// Parses a sources document; `config` paths in it are relative to the working directory.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        Self::from_json_in(text, Path::new(""))
    }

    /// Parses a sources document whose `config` paths are relative to `base`.
    pub fn from_json_in(text: &str, base: &Path) -> Result<Self, ConfigError> {
        let doc: Value = serde_json::from_str(text).map_err(ConfigError::Json)?;
        if let Some(fields) = doc.as_object() {
            refuse_unknown_fields(fields, "", DOCUMENT_FIELDS)?;
        }
        let list = doc
            .get("sources")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("sources", "must be an array of sources"))?;
        let mut sources = Vec::with_capacity(list.len());
        for (i, item) in list.iter().enumerate() {
            sources.push(parse_source(item, &format!("sources[{i}]"), base)?);
        }
        Self::new(sources)
    }

    pub fn new(sources: Vec<Source>) -> Result<Self, ConfigError> {
        if sources.is_empty() {
            return Err(invalid("sources", "at least one source is required"));
        }
        let mut by_write_key = HashMap::with_capacity(sources.len());
        let mut names = HashMap::with_capacity(sources.len());
        for (i, source) in sources.iter().enumerate() {
            if names.insert(source.name.as_str(), i).is_some() {
                return Err(invalid(
                    format!("sources[{i}].name"),
                    format!("duplicate source name {:?}", source.name),
                ));
            }
            // A write key must name one source, or events could be filed under the wrong one.
            if by_write_key.insert(source.write_key.clone(), i).is_some() {
                return Err(invalid(
                    format!("sources[{i}].writeKey"),
                    "duplicate write key",
                ));
            }
        }
        let mut by_read_key = HashMap::new();
        for (i, source) in sources.iter().enumerate() {
            let Some(key) = &source.read_key else {
                continue;
            };
            // Reading with a key that pages carry would open every source's reports to anyone.
            if by_write_key.contains_key(key) {
                return Err(invalid(
                    format!("sources[{i}].readKey"),
                    "must differ from every write key",
                ));
            }
            if by_read_key.insert(key.clone(), i).is_some() {
                return Err(invalid(
                    format!("sources[{i}].readKey"),
                    "duplicate read key",
                ));
            }
        }
        Ok(Self {
            sources,
            by_write_key,
            by_read_key,
        })
    }

    pub fn by_write_key(&self, write_key: &str) -> Option<&Source> {
        self.by_write_key
            .get(write_key)
            .and_then(|&i| self.sources.get(i))
    }

    pub fn by_read_key(&self, read_key: &str) -> Option<&Source> {
        self.by_read_key
            .get(read_key)
            .and_then(|&i| self.sources.get(i))
    }

    /// CORS headers are sent before the write key is known (preflights carry no body), so
    /// they are granted to an origin that any source allows; the per-key check happens on
    /// the request itself.
    pub fn any_allows_origin(&self, origin: &str) -> bool {
        self.sources
            .iter()
            .any(|source| source.allows_origin(origin))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Source> {
        self.sources.iter()
    }
}

/// Whether `host` is a host as a URL or an `Origin` names one: an ASCII name (an internationalised one in its
/// `xn--` form) or IPv4 address, or a bracketed IPv6 address. (The sources file's origins and `wayline proxy
/// --upstream` both take one.)
pub(crate) fn is_host(host: &str) -> bool {
    match host.strip_prefix('[') {
        Some(inside) => inside.strip_suffix(']').is_some_and(|ip| {
            !ip.is_empty()
                && ip
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        }),
        None => {
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
        }
    }
}

/// The members of the sources document.
const DOCUMENT_FIELDS: &[&str] = &["sources"];
/// The fields of a source.
const SOURCE_FIELDS: &[&str] = &["name", "writeKey", "readKey", "origins", "config"];

/// Refuses a field that is not one of `known`, naming it and, when it is one or two letters off a known one, what
/// it was probably meant to be. A misspelt optional field would otherwise read as a missing one: a source without
/// `origins` takes no browser origin, one without `readKey` has no reports, one without `config` serves none.
fn refuse_unknown_fields(
    fields: &serde_json::Map<String, Value>,
    at: &str,
    known: &[&str],
) -> Result<(), ConfigError> {
    let Some(name) = fields.keys().find(|name| !known.contains(&name.as_str())) else {
        return Ok(());
    };
    let hint = wayline::core::rules::functions::closest(name, known.iter().copied())
        .map(|meant| format!("; did you mean {meant:?}?"))
        .unwrap_or_default();
    Err(invalid(at, format!("unknown field {name:?}{hint}")))
}

fn parse_source(item: &Value, at: &str, base: &Path) -> Result<Source, ConfigError> {
    let object = item
        .as_object()
        .ok_or_else(|| invalid(at, "must be an object"))?;
    refuse_unknown_fields(object, at, SOURCE_FIELDS)?;
    let text = |field: &str| -> Result<String, ConfigError> {
        match object.get(field).and_then(Value::as_str) {
            Some(value) if !value.trim().is_empty() => Ok(value.to_owned()),
            _ => Err(invalid(
                format!("{at}.{field}"),
                "must be a non-empty string",
            )),
        }
    };
    let name = text("name")?;
    let write_key = text("writeKey")?;
    let read_key = match object.get("readKey") {
        None | Some(Value::Null) => None,
        Some(_) => Some(text("readKey")?),
    };
    let origins = match object.get("origins") {
        None => Vec::new(),
        Some(Value::Array(list)) => {
            let mut origins = Vec::with_capacity(list.len());
            for (i, pattern) in list.iter().enumerate() {
                let here = format!("{at}.origins[{i}]");
                let text = pattern
                    .as_str()
                    .ok_or_else(|| invalid(&here, "must be a string"))?;
                origins
                    .push(OriginPattern::parse(text).map_err(|message| invalid(&here, message))?);
            }
            origins
        }
        Some(_) => {
            return Err(invalid(
                format!("{at}.origins"),
                "must be an array of strings",
            ))
        }
    };
    let config = match object.get("config") {
        None | Some(Value::Null) => None,
        Some(_) => {
            let name = text("config")?;
            let path = base.join(&name);
            Some(ConfigFile { name, path })
        }
    };
    Ok(Source {
        name,
        write_key,
        read_key,
        origins,
        config,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_source_allows_local_origins_on_any_port() {
        let sources = Sources::demo().unwrap();
        let demo = sources.by_write_key("wk_demo").unwrap();
        assert_eq!(demo.name, "demo");
        assert!(demo.allows_origin("http://localhost:8080"));
        assert!(demo.allows_origin("http://localhost"));
        assert!(demo.allows_origin("http://127.0.0.1:43117"));
        assert!(!demo.allows_origin("https://localhost:8080"));
        assert!(!demo.allows_origin("http://localhost.evil.com"));
        assert!(!demo.allows_origin("http://localhost:80x"));
        assert!(!demo.allows_origin("http://localhost:"));
        assert!(!demo.allows_origin("null"));
        assert!(sources.by_write_key("wk_other").is_none());
    }

    #[test]
    fn read_keys_name_one_source_and_are_never_write_keys() {
        let sources = Sources::from_json(
            r#"{"sources":[{"name":"a","writeKey":"wa","readKey":"ra"},{"name":"b","writeKey":"wb"}]}"#,
        )
        .unwrap();
        assert_eq!(sources.by_read_key("ra").unwrap().name, "a");
        assert!(sources.by_read_key("wa").is_none());
        assert!(sources.by_write_key("wb").unwrap().read_key.is_none());
        let demo = Sources::demo().unwrap();
        assert_eq!(demo.by_read_key("rk_demo").unwrap().name, "demo");
        for (text, at) in [
            (
                r#"{"sources":[{"name":"a","writeKey":"wa","readKey":"wb"},{"name":"b","writeKey":"wb"}]}"#,
                "sources[0].readKey",
            ),
            (
                r#"{"sources":[{"name":"a","writeKey":"wa","readKey":"r"},{"name":"b","writeKey":"wb","readKey":"r"}]}"#,
                "sources[1].readKey",
            ),
            (
                r#"{"sources":[{"name":"a","writeKey":"wa","readKey":""}]}"#,
                "sources[0].readKey",
            ),
        ] {
            let err = Sources::from_json(text).unwrap_err().to_string();
            assert!(err.contains(at), "{err}");
        }
    }

    #[test]
    fn config_paths_are_relative_to_the_sources_file() {
        let text = r#"{"sources":[{"name":"a","writeKey":"ka","config":"conf/a.json"},
            {"name":"b","writeKey":"kb"},{"name":"c","writeKey":"kc","config":"/etc/c.json"}]}"#;
        let sources = Sources::from_json_in(text, Path::new("/srv/wayline")).unwrap();
        let a = sources.by_write_key("ka").unwrap().config.clone().unwrap();
        assert_eq!(a.name, "conf/a.json");
        assert_eq!(a.path, Path::new("/srv/wayline/conf/a.json"));
        assert!(sources.by_write_key("kb").unwrap().config.is_none());
        let c = sources.by_write_key("kc").unwrap().config.clone().unwrap();
        assert_eq!(c.path, Path::new("/etc/c.json"));
        let plain = Sources::from_json(text).unwrap();
        let a = plain.by_write_key("ka").unwrap().config.clone().unwrap();
        assert_eq!(a.path, Path::new("conf/a.json"));
        for bad in [r#""""#, "3", r#"["a.json"]"#] {
            let text = format!(r#"{{"sources":[{{"name":"a","writeKey":"k","config":{bad}}}]}}"#);
            let err = Sources::from_json(&text).unwrap_err();
            assert_eq!(
                err.to_string(),
                "sources file: sources[0].config: must be a non-empty string"
            );
        }
    }

    #[test]
    fn exact_and_any_patterns() {
        let exact = OriginPattern::parse("https://Shop.example.com").unwrap();
        assert!(exact.matches("https://shop.example.com"));
        assert!(!exact.matches("https://shop.example.com:8443"));
        assert!(OriginPattern::parse("*").unwrap().matches("null"));
        let v6 = OriginPattern::parse("http://[::1]:*").unwrap();
        assert!(v6.matches("http://[::1]:3000"));
    }

    #[test]
    fn rejects_patterns_that_are_not_origins() {
        for bad in [
            "localhost",
            "http://",
            "http://a.com/",
            "http://a.com/path",
            "http://:*",
        ] {
            assert!(OriginPattern::parse(bad).is_err(), "{bad}");
        }
    }

    /// A pattern that no browser's `Origin` can ever equal (a wildcard in the host, a port that is not a
    /// number) is refused when the file is read, instead of silently refusing every page with a 403.
    #[test]
    fn rejects_wildcard_hosts_and_ports_that_are_not_numbers() {
        for bad in [
            "https://*.example.com",
            "https://*",
            "https://shop.*.com:*",
            "https://shop.example.com:",
            "https://shop.example.com:https",
            "https://shop.example.com:80:*",
            "https://shop example.com",
            "http://[::1",
        ] {
            assert!(OriginPattern::parse(bad).is_err(), "{bad}");
        }
        let err = Sources::from_json(
            r#"{"sources":[{"name":"a","writeKey":"k","origins":["https://*.example.com"]}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("sources[0].origins[0]"), "{err}");
        assert!(err.contains("wildcard"), "{err}");
        for good in [
            "https://shop.example.com:8443",
            "http://localhost:*",
            "http://[::1]:3000",
            "http://[::1]",
            "http://127.0.0.1:*",
        ] {
            assert!(OriginPattern::parse(good).is_ok(), "{good}");
        }
    }

    /// A misspelt field is refused, not ignored: without `origins` a source takes no browser origin at all, without
    /// `readKey` it has no reports, without `config` it serves no config, and a typo in any of them would otherwise
    /// start a collector that quietly does something else than the file says.
    #[test]
    fn unknown_fields_are_refused_with_their_place() {
        for (text, message) in [
            (
                r#"{"sources":[{"name":"a","writeKey":"k","origin":["https://shop.example.com"]}]}"#,
                r#"sources file: sources[0]: unknown field "origin"; did you mean "origins"?"#,
            ),
            (
                r#"{"sources":[{"name":"a","writeKey":"k"},{"name":"b","writeKey":"l","readkey":"r"}]}"#,
                r#"sources file: sources[1]: unknown field "readkey"; did you mean "readKey"?"#,
            ),
            // Checked before the fields' own values, so a misspelt required field is named as a typo.
            (
                r#"{"sources":[{"name":"a","writekey":"k"}]}"#,
                r#"sources file: sources[0]: unknown field "writekey"; did you mean "writeKey"?"#,
            ),
            (
                r#"{"sources":[{"name":"a","writeKey":"k","retention":30}]}"#,
                r#"sources file: sources[0]: unknown field "retention""#,
            ),
            (
                r#"{"sources":[{"name":"a","writeKey":"k"}],"source":[]}"#,
                r#"sources file: unknown field "source"; did you mean "sources"?"#,
            ),
            (
                r#"{"source":[{"name":"a","writeKey":"k"}]}"#,
                r#"sources file: unknown field "source"; did you mean "sources"?"#,
            ),
        ] {
            let err = Sources::from_json(text).unwrap_err();
            assert_eq!(err.to_string(), message, "{text}");
        }
        // Every documented field, and `null` for the optional ones, is still accepted.
        Sources::from_json(
            r#"{"sources":[{"name":"a","writeKey":"k","readKey":"r","origins":["*"],"config":"c.json"},
                {"name":"b","writeKey":"l","readKey":null,"config":null}]}"#,
        )
        .unwrap();
    }

    #[test]
    fn invalid_files_name_the_offending_field() {
        let err = Sources::from_json(
            r#"{"sources":[{"name":"a","writeKey":"k"},{"name":"b","writeKey":""}]}"#,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "sources file: sources[1].writeKey: must be a non-empty string"
        );
        let err = Sources::from_json(
            r#"{"sources":[{"name":"a","writeKey":"k"},{"name":"b","writeKey":"k"}]}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("duplicate write key"));
        assert!(Sources::from_json(r#"{"sources":[]}"#).is_err());
        assert!(Sources::from_json("[").is_err());
        let err =
            Sources::from_json(r#"{"sources":[{"name":"a","writeKey":"k","origins":["ftp//x"]}]}"#)
                .unwrap_err();
        assert!(err.to_string().contains("sources[0].origins[0]"));
    }
}
