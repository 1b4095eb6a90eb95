//! Command-line parsing. Usage errors are reported with exit code 2.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

pub const USAGE: &str = "\
wayline — the Wayline collector and command-line tool

USAGE:
    wayline serve [--listen ADDR:PORT] [--db FILE] [--sources FILE] [--www DIR] [--sdk DIR]
    wayline events [--db FILE]
    wayline help

COMMANDS:
    serve     Run the collector: ingest API, demo site and built SDK on one port.
    events    Print every stored event as one JSON object per line, in receive order.
    help      Print this message.

SERVE OPTIONS:
    --listen ADDR:PORT   Address to listen on [default: 127.0.0.1:8080]; port 0 picks a free port.
    --db FILE            SQLite database file, created if missing [default: wayline.db]
    --sources FILE       JSON file of sources (write keys and allowed origins)
                         [default: one source \"demo\", write key wk_demo, localhost origins]
    --www DIR            Directory served at / [default: www]
    --sdk DIR            Directory served at /sdk/ [default: js/dist]

EVENTS OPTIONS:
    --db FILE            SQLite database file to read [default: wayline.db]

See docs/collector.md for the HTTP API and the sources file.
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
    Help,
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
        "events" => {
            let mut db = ServeOptions::default().db;
            while let Some(arg) = parser.next()? {
                match arg {
                    Long("db") => db = parser.value()?.into(),
                    Short('h') | Long("help") => return Ok(Command::Help),
                    other => return Err(other.unexpected().into()),
                }
            }
            Ok(Command::Events { db })
        }
        other => Err(UsageError(format!("unknown command {other:?}"))),
    }
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
}
