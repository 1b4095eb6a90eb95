//! Command-line parsing. Usage errors are reported with exit code 2.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use crate::loadgen::{LoadgenOptions, Target, MAX_BATCH, MAX_CONCURRENCY};
use crate::proxy::ProxyOptions;

pub const USAGE: &str = "\
wayline — the Wayline collector and command-line tool

USAGE:
    wayline serve [--listen ADDR:PORT] [--db FILE|URL] [--sources FILE] [--www DIR] [--sdk DIR]
    wayline events [--db FILE|URL]
    wayline count [--db FILE|URL]
    wayline drops [--db FILE|URL]
    wayline proxy --upstream http://HOST:PORT [--listen ADDR:PORT]
    wayline loadgen --url http://HOST:PORT [--write-key KEY] [--events N] [--batch N] [--concurrency N]
    wayline check CONFIG
    wayline compile CONFIG
    wayline replay CONFIG EVENTS.jsonl [--until TIME] [--visitor ID]
    wayline condition CONDITION ATTRIBUTES [SAVED_GROUPS]
    wayline help

COMMANDS:
    serve     Run the collector: ingest API, demo site and built SDK on one port.
    events    Print every stored event as one JSON object per line, in receive order.
    count     Print the number of stored events.
    drops     Print the events clients reported dropping, one JSON object per source and reason.
    proxy     Test tool: forward to a collector, injecting faults into /v1/* on demand.
    loadgen   Test tool: measure a collector's ingest throughput and latency.
    check     Validate a config (segments, journeys, campaigns): every error with its location.
    compile   Print a config compiled for the SDK (what GET /v1/config serves).
    replay    Print the segment and journey-stage changes, and campaign decisions, a visitor with
              these events would have.
    condition Print true or false: a GrowthBook-style JSON condition against attributes.
    help      Print this message.

SERVE OPTIONS:
    --listen ADDR:PORT   Address to listen on [default: 127.0.0.1:8080]; port 0 picks a free port.
    --db FILE|URL        SQLite database file, created if missing [default: wayline.db], or a
                         PostgreSQL database, postgres://USER@HOST:PORT/DB (tables created if missing)
    --sources FILE       JSON file of sources (write keys and allowed origins)
                         [default: one source \"demo\", write key wk_demo, localhost origins]
    --www DIR            Directory served at / [default: www]
    --sdk DIR            Directory served at /sdk/ [default: js/dist]

EVENTS, COUNT AND DROPS OPTIONS:
    --db FILE|URL        SQLite database file or PostgreSQL URL to read [default: wayline.db]

PROXY OPTIONS:
    --upstream URL       The collector to forward to, http://HOST:PORT or HOST:PORT (required).
    --listen ADDR:PORT   Address to listen on [default: 127.0.0.1:0, a free port].
                         Faults are set with POST /__faults on the proxy.

LOADGEN OPTIONS:
    --url URL            The collector, http://HOST:PORT (required).
    --write-key KEY      Write key to send [default: wk_demo]
    --events N           Events to send, all distinct [default: 200000]
    --batch N            Events per request, 1-500 [default: 50]
    --concurrency N      Keep-alive connections, 1-1024 [default: 8]

RULE COMMANDS:
    check CONFIG         Exit 0 and print \"CONFIG: N rules ok\", or print every error
                         (file:origin:line:col, the rule's line, a caret) and a summary, exit 1.
    compile CONFIG       Print the compiled config (JSON) for an SDK given it inline; on errors, print
                         them all as `check` does, on standard error, and exit 1.
    replay CONFIG EVENTS.jsonl
                         One Segment message per line, each with a timestamp; prints one change per
                         line: \"TIME segment-enter NAME\", \"TIME segment-exit NAME\",
                         \"TIME stage JOURNEY FROM -> TO\", and with campaigns their decisions
                         (\"TIME show ID\", \"TIME delayed ID until TIME\", ...). Exit 1 on a config
                         or events error.
    --until TIME         Let time run on to TIME (ISO-8601 with offset, or epoch ms) after the last
                         event, so changes due to time alone (a window expiring) are shown.
    --visitor ID         Replay only the lines whose anonymousId or userId is ID (a file of many
                         visitors, as `wayline events` prints it).
    condition CONDITION ATTRIBUTES [SAVED_GROUPS]
                         JSON objects as text, or @FILE to read one from a file. Prints true or
                         false; exit 2 if an argument is not a JSON object.

See docs/cli.md for the rule commands, docs/collector.md for the HTTP API, the sources file and the test tools.
";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    pub listen: String,
    pub db: PathBuf,
    pub sources: Option<PathBuf>,
    pub www: PathBuf,
    pub sdk: PathBuf,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            db: PathBuf::from("wayline.db"),
            sources: None,
            www: PathBuf::from("www"),
            sdk: PathBuf::from("js/dist"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Serve(ServeOptions),
    Events { db: PathBuf },
    Count { db: PathBuf },
    Drops { db: PathBuf },
    Proxy(ProxyOptions),
    Loadgen(LoadgenOptions),
    Check { config: PathBuf },
    Compile { config: PathBuf },
    Replay(ReplayOptions),
    Condition(ConditionArgs),
    Help,
}

/// `wayline replay CONFIG EVENTS.jsonl [--until TIME] [--visitor ID]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReplayOptions {
    pub config: PathBuf,
    pub events: PathBuf,
    /// `--until`, epoch milliseconds.
    pub until_ms: Option<i64>,
    /// `--visitor`: only the events with this `anonymousId` or `userId`.
    pub visitor: Option<String>,
}

/// `wayline condition CONDITION ATTRIBUTES [SAVED_GROUPS]`: each is JSON text, or `@FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionArgs {
    pub condition: String,
    pub attributes: String,
    pub saved_groups: Option<String>,
}

#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

impl From<lexopt::Error> for UsageError {
    fn from(err: lexopt::Error) -> Self {
        Self(err.to_string())
    }
}

/// Parses the arguments after the program name.
pub fn parse<I>(args: I) -> Result<Command, UsageError>
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    use lexopt::prelude::*;

    let mut parser = lexopt::Parser::from_args(args);
    let command = match parser.next()? {
        None => return Ok(Command::Help),
        Some(Short('h') | Long("help")) => return Ok(Command::Help),
        Some(Value(name)) => name.string()?,
        Some(other) => return Err(other.unexpected().into()),
    };
    match command.as_str() {
        "help" => Ok(Command::Help),
        "serve" => {
            let mut options = ServeOptions::default();
            while let Some(arg) = parser.next()? {
                match arg {
                    Long("listen") => options.listen = parser.value()?.string()?,
                    Long("db") => options.db = parser.value()?.into(),
                    Long("sources") => options.sources = Some(parser.value()?.into()),
                    Long("www") => options.www = parser.value()?.into(),
                    Long("sdk") => options.sdk = parser.value()?.into(),
                    Short('h') | Long("help") => return Ok(Command::Help),
                    other => return Err(other.unexpected().into()),
                }
            }
            Ok(Command::Serve(options))
        }
        "events" | "count" | "drops" => {
            let mut db = ServeOptions::default().db;
            while let Some(arg) = parser.next()? {
                match arg {
                    Long("db") => db = parser.value()?.into(),
                    Short('h') | Long("help") => return Ok(Command::Help),
                    other => return Err(other.unexpected().into()),
                }
            }
            Ok(match command.as_str() {
                "count" => Command::Count { db },
                "drops" => Command::Drops { db },
                _ => Command::Events { db },
            })
        }
        "proxy" => parse_proxy(&mut parser),
        "loadgen" => parse_loadgen(&mut parser),
        "check" | "compile" | "replay" | "condition" => parse_rule_command(&command, &mut parser),
        other => Err(UsageError(format!("unknown command {other:?}"))),
    }
}

fn parse_proxy(parser: &mut lexopt::Parser) -> Result<Command, UsageError> {
    use lexopt::prelude::*;

    let mut listen = "127.0.0.1:0".to_owned();
    let mut upstream = None;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("listen") => listen = parser.value()?.string()?,
            Long("upstream") => upstream = Some(parser.value()?.string()?),
            Short('h') | Long("help") => return Ok(Command::Help),
            other => return Err(other.unexpected().into()),
        }
    }
    let upstream =
        upstream.ok_or_else(|| UsageError("proxy needs --upstream http://HOST:PORT".into()))?;
    let upstream = parse_upstream(&upstream)?;
    Ok(Command::Proxy(ProxyOptions { listen, upstream }))
}

/// `--upstream`: an http URL with a host and a port, `http://HOST:PORT` (a trailing `/` allowed), or the
/// `HOST:PORT` it is short for. Returns the address to connect to, `HOST:PORT`. Checked here, so that a value the
/// proxy could never forward to is a usage error rather than a proxy that answers every request with a 502.
fn parse_upstream(text: &str) -> Result<String, UsageError> {
    let refuse = || {
        UsageError(format!(
            "--upstream must be an http URL with a host and a port, http://HOST:PORT (or HOST:PORT), not {text:?}"
        ))
    };
    let authority = match text.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => {
            rest.strip_suffix('/').unwrap_or(rest)
        }
        Some(_) => return Err(refuse()),
        None => text,
    };
    let (host, port) = authority.rsplit_once(':').ok_or_else(refuse)?;
    let host_ok = crate::config::is_host(host);
    let port_ok = !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u16>().is_ok_and(|port| port > 0);
    if host_ok && port_ok {
        Ok(format!("{host}:{port}"))
    } else {
        Err(refuse())
    }
}

fn parse_loadgen(parser: &mut lexopt::Parser) -> Result<Command, UsageError> {
    use lexopt::prelude::*;

    let mut url = None;
    let mut options = LoadgenOptions::new("");
    while let Some(arg) = parser.next()? {
        match arg {
            Long("url") => url = Some(parser.value()?.string()?),
            Long("write-key") => options.write_key = parser.value()?.string()?,
            Long("events") => options.events = count(parser, "--events", 1, usize::MAX)?,
            Long("batch") => options.batch = count(parser, "--batch", 1, MAX_BATCH)?,
            Long("concurrency") => {
                options.concurrency = count(parser, "--concurrency", 1, MAX_CONCURRENCY)?;
            }
            Short('h') | Long("help") => return Ok(Command::Help),
            other => return Err(other.unexpected().into()),
        }
    }
    let url = url.ok_or_else(|| UsageError("loadgen needs --url http://HOST:PORT".into()))?;
    Target::parse(&url).map_err(|err| UsageError(err.to_string()))?;
    options.url = url;
    Ok(Command::Loadgen(options))
}

/// `check`, `replay` and `condition`: positional arguments (and `--until`, `--visitor` for `replay`).
fn parse_rule_command(command: &str, parser: &mut lexopt::Parser) -> Result<Command, UsageError> {
    use lexopt::prelude::*;

    let mut positional: Vec<OsString> = Vec::new();
    let mut until_ms = None;
    let mut visitor = None;
    while let Some(arg) = parser.next()? {
        match arg {
            Value(value) => positional.push(value),
            Long("until") if command == "replay" => {
                until_ms = Some(parse_time(&parser.value()?.string()?)?);
            }
            Long("visitor") if command == "replay" => {
                let id = parser.value()?.string()?;
                if id.is_empty() {
                    return Err(UsageError("--visitor needs an id".into()));
                }
                visitor = Some(id);
            }
            Short('h') | Long("help") => return Ok(Command::Help),
            other => return Err(other.unexpected().into()),
        }
    }
    let (min, max, names) = match command {
        "check" | "compile" => (1, 1, "CONFIG"),
        "replay" => (2, 2, "CONFIG EVENTS.jsonl"),
        _ => (2, 3, "CONDITION ATTRIBUTES [SAVED_GROUPS]"),
    };
    if positional.len() < min {
        return Err(UsageError(format!("{command} needs {names}")));
    }
    if positional.len() > max {
        return Err(UsageError(format!(
            "{command} takes {names}; unexpected argument {:?}",
            positional[max]
        )));
    }
    // The count was checked above: the required arguments are there.
    let mut positional = positional.into_iter();
    let mut next = || positional.next();
    Ok(match command {
        "check" => Command::Check {
            config: next().unwrap_or_default().into(),
        },
        "compile" => Command::Compile {
            config: next().unwrap_or_default().into(),
        },
        "replay" => Command::Replay(ReplayOptions {
            config: next().unwrap_or_default().into(),
            events: next().unwrap_or_default().into(),
            until_ms,
            visitor,
        }),
        _ => Command::Condition(ConditionArgs {
            condition: utf8(next().unwrap_or_default(), "condition")?,
            attributes: utf8(next().unwrap_or_default(), "attributes")?,
            saved_groups: next().map(|g| utf8(g, "saved groups")).transpose()?,
        }),
    })
}

/// A JSON argument as text.
fn utf8(arg: OsString, what: &str) -> Result<String, UsageError> {
    arg.into_string()
        .map_err(|_| UsageError(format!("condition: the {what} argument is not valid UTF-8")))
}

/// A time on the command line: ISO-8601 with an offset (`2026-01-10T00:00:00Z`), or epoch milliseconds.
fn parse_time(text: &str) -> Result<i64, UsageError> {
    text.parse::<i64>()
        .ok()
        .or_else(|| wayline::core::time::parse_iso8601(text))
        .ok_or_else(|| {
            UsageError(format!(
                "--until takes an ISO-8601 date-time with an offset (2026-01-10T00:00:00Z) or epoch \
                 milliseconds, not {text:?}"
            ))
        })
}

/// A flag's value as an integer in `min..=max`.
fn count(
    parser: &mut lexopt::Parser,
    flag: &str,
    min: usize,
    max: usize,
) -> Result<usize, UsageError> {
    use lexopt::prelude::*;

    let text = parser.value()?.string()?;
    text.parse::<usize>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            UsageError(format!(
                "{flag} must be an integer {min}-{max}, not {text:?}"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_defaults_and_flags() {
        assert_eq!(
            parse(["serve"]).unwrap(),
            Command::Serve(ServeOptions::default())
        );
        let parsed = parse([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--db",
            "x.db",
            "--sources=s.json",
            "--www",
            "site",
            "--sdk",
            "dist",
        ])
        .unwrap();
        assert_eq!(
            parsed,
            Command::Serve(ServeOptions {
                listen: "127.0.0.1:0".into(),
                db: "x.db".into(),
                sources: Some("s.json".into()),
                www: "site".into(),
                sdk: "dist".into(),
            })
        );
    }

    #[test]
    fn events_help_and_errors() {
        assert_eq!(
            parse(["events", "--db", "e.db"]).unwrap(),
            Command::Events { db: "e.db".into() }
        );
        assert_eq!(parse(["help"]).unwrap(), Command::Help);
        assert_eq!(parse(["--help"]).unwrap(), Command::Help);
        assert_eq!(parse(Vec::<String>::new()).unwrap(), Command::Help);
        assert!(parse(["frobnicate"]).is_err());
        assert!(parse(["serve", "--port", "1"]).is_err());
        assert!(parse(["serve", "--db"]).is_err());
        assert!(parse(["events", "extra"]).is_err());
        assert!(parse(["--verbose"]).is_err());
    }

    #[test]
    fn count_proxy_and_loadgen() {
        assert_eq!(
            parse(["count", "--db", "e.db"]).unwrap(),
            Command::Count { db: "e.db".into() }
        );
        assert_eq!(
            parse(["drops", "--db=d.db"]).unwrap(),
            Command::Drops { db: "d.db".into() }
        );
        assert_eq!(
            parse(["drops"]).unwrap(),
            Command::Drops {
                db: "wayline.db".into()
            }
        );
        assert!(parse(["drops", "--db"]).is_err());
        assert!(parse(["drops", "demo"]).is_err());
        assert_eq!(
            parse(["proxy", "--upstream", "127.0.0.1:8080"]).unwrap(),
            Command::Proxy(ProxyOptions {
                listen: "127.0.0.1:0".into(),
                upstream: "127.0.0.1:8080".into(),
            })
        );
        assert!(parse(["proxy", "--listen", "127.0.0.1:0"]).is_err());
        // An http URL with a host and a port, or the HOST:PORT it is short for: the address connected to.
        for (upstream, address) in [
            ("http://127.0.0.1:8080", "127.0.0.1:8080"),
            ("HTTP://localhost:9/", "localhost:9"),
            ("collector.internal:80", "collector.internal:80"),
            ("http://[::1]:3000", "[::1]:3000"),
            ("[::1]:3000", "[::1]:3000"),
        ] {
            assert_eq!(
                parse(["proxy", "--upstream", upstream]).unwrap(),
                Command::Proxy(ProxyOptions {
                    listen: "127.0.0.1:0".into(),
                    upstream: address.into(),
                }),
                "{upstream}"
            );
        }
        for bad in [
            "nonsense",
            "",
            "127.0.0.1",
            "127.0.0.1:",
            "127.0.0.1:x",
            "127.0.0.1:+80",
            "127.0.0.1:0",
            "127.0.0.1:65536",
            ":8080",
            "::1:8080",
            "[::1",
            "[]:80",
            "https://127.0.0.1:8080",
            "ftp://127.0.0.1:8080",
            "http://",
            "http://127.0.0.1",
            "http://127.0.0.1:8080/v1",
            "http://127.0.0.1:8080?x",
            "http://user@127.0.0.1:8080",
            "http://a b:80",
        ] {
            let err = parse(["proxy", "--upstream", bad]).unwrap_err();
            assert!(err.0.starts_with("--upstream must be"), "{bad}: {err}");
        }

        assert_eq!(
            parse(["loadgen", "--url", "http://127.0.0.1:1"]).unwrap(),
            Command::Loadgen(LoadgenOptions::new("http://127.0.0.1:1"))
        );
        assert_eq!(
            parse([
                "loadgen",
                "--url=http://127.0.0.1:1",
                "--write-key",
                "wk_x",
                "--events",
                "2000",
                "--batch",
                "20",
                "--concurrency",
                "2",
            ])
            .unwrap(),
            Command::Loadgen(LoadgenOptions {
                url: "http://127.0.0.1:1".into(),
                write_key: "wk_x".into(),
                events: 2000,
                batch: 20,
                concurrency: 2,
            })
        );
        for bad in [
            &["loadgen"][..],
            &["loadgen", "--url", "127.0.0.1:1"],
            &["loadgen", "--url", "http://127.0.0.1:1", "--events", "0"],
            &["loadgen", "--url", "http://127.0.0.1:1", "--batch", "501"],
            &[
                "loadgen",
                "--url",
                "http://127.0.0.1:1",
                "--concurrency",
                "x",
            ],
        ] {
            assert!(parse(bad.iter().copied()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rule_commands() {
        assert_eq!(
            parse(["check", "c.json"]).unwrap(),
            Command::Check {
                config: "c.json".into()
            }
        );
        assert_eq!(
            parse(["replay", "c.json", "e.jsonl"]).unwrap(),
            Command::Replay(ReplayOptions {
                config: "c.json".into(),
                events: "e.jsonl".into(),
                until_ms: None,
                visitor: None,
            })
        );
        assert_eq!(
            parse([
                "replay",
                "--until",
                "1970-01-01T00:00:01Z",
                "c.json",
                "e.jsonl"
            ])
            .unwrap(),
            Command::Replay(ReplayOptions {
                config: "c.json".into(),
                events: "e.jsonl".into(),
                until_ms: Some(1000),
                visitor: None,
            })
        );
        assert_eq!(
            parse(["replay", "c.json", "e.jsonl", "--until=2500"]).unwrap(),
            Command::Replay(ReplayOptions {
                config: "c.json".into(),
                events: "e.jsonl".into(),
                until_ms: Some(2500),
                visitor: None,
            })
        );
        assert_eq!(
            parse(["replay", "c.json", "e.jsonl", "--visitor", "anon-1"]).unwrap(),
            Command::Replay(ReplayOptions {
                config: "c.json".into(),
                events: "e.jsonl".into(),
                visitor: Some("anon-1".into()),
                ..Default::default()
            })
        );
        assert_eq!(
            parse(["condition", "{}", "@a.json"]).unwrap(),
            Command::Condition(ConditionArgs {
                condition: "{}".into(),
                attributes: "@a.json".into(),
                saved_groups: None,
            })
        );
        assert_eq!(
            parse(["condition", "{}", "{}", ""]).unwrap(),
            Command::Condition(ConditionArgs {
                condition: "{}".into(),
                attributes: "{}".into(),
                saved_groups: Some(String::new()),
            })
        );
        for bad in [
            &["check"][..],
            &["check", "a", "b"],
            &["check", "--until", "0", "c.json"],
            &["replay", "c.json"],
            &["replay", "c.json", "e.jsonl", "x"],
            &["replay", "c.json", "e.jsonl", "--until"],
            &["replay", "c.json", "e.jsonl", "--visitor"],
            &["replay", "c.json", "e.jsonl", "--visitor="],
            &["check", "c.json", "--visitor", "a"],
            &["replay", "c.json", "e.jsonl", "--until", "2026-01-01"],
            &["condition", "{}"],
            &["condition", "{}", "{}", "{}", "{}"],
        ] {
            assert!(parse(bad.iter().copied()).is_err(), "{bad:?}");
        }
    }
}
