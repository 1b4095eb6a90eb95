//! The `wayline` binary.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::future::Future;
use std::io::Write;
use std::process::ExitCode;

use wayline_collector::cli::{self, Command, USAGE};
use wayline_collector::{check, condition, count, drops, events, loadgen, proxy, replay, server};

fn main() -> ExitCode {
    let command = match cli::parse(std::env::args_os().skip(1)) {
        Ok(command) => command,
        Err(err) => {
            eprintln!("wayline: {err}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Help => exit(output(USAGE)),
        Command::Events { db } => match events::print(&db, std::io::stdout().lock()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => fail(&err),
        },
        Command::Count { db } => match count::stored_events(&db) {
            Ok(n) => exit(output(&format!("{n}\n"))),
            Err(err) => fail(&err),
        },
        Command::Drops { db } => match drops::print(&db, std::io::stdout().lock()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => fail(&err),
        },
        Command::Check { config } => match check::check_file(&config) {
            // The report is the command's output, on stdout whether or not the config is valid.
            Ok(report) => exit(output(&report.to_string()) && report.is_ok()),
            Err(err) => fail(&err),
        },
        // The same checks as `check`; on success the compiled config is the output. The error report goes to
        // stderr (as `replay` reports it), so stdout is only ever the compiled JSON: `wayline compile cfg.json >
        // out.json` shows a broken config's errors on the terminal instead of writing them into out.json.
        Command::Compile { config } => match check::check_file(&config) {
            Ok(report) if !report.is_ok() => {
                eprint!("{report}");
                ExitCode::FAILURE
            }
            Ok(_) => match check::read_config(&config) {
                Ok(read) => match wayline_collector::remote_config::compile_text(&read.text) {
                    Ok(compiled) => exit(output(&[compiled.as_str(), "\n"].concat())),
                    Err(err) => {
                        eprintln!("wayline: {err}");
                        ExitCode::FAILURE
                    }
                },
                Err(err) => fail(&err),
            },
            Err(err) => fail(&err),
        },
        Command::Replay(options) => {
            match replay::replay_files(
                &options.config,
                &options.events,
                options.until_ms,
                options.visitor.as_deref(),
            ) {
                Ok(timeline) => exit(output(&timeline)),
                Err(replay::ReplayError::Config(report)) => {
                    eprint!("{report}");
                    ExitCode::FAILURE
                }
                Err(err) => fail(&err),
            }
        }
        Command::Condition(args) => match condition::evaluate(
            &args.condition,
            &args.attributes,
            args.saved_groups.as_deref(),
        ) {
            Ok(verdict) => {
                for warning in &verdict.warnings {
                    eprintln!("wayline: warning: condition: {warning}");
                }
                exit(output(&format!("{}\n", verdict.value)))
            }
            Err(err) => {
                eprintln!("wayline: {err}");
                ExitCode::from(err.exit_code())
            }
        },
        Command::Serve(options) => block_on(server::run(options), |()| ExitCode::SUCCESS),
        Command::Proxy(options) => block_on(proxy::run(options), |()| ExitCode::SUCCESS),
        Command::Loadgen(options) => block_on(loadgen::run(options), |report| {
            // A run that lost events fails, so scripts can use the exit status.
            exit(output(&format!("{report}\n")) && report.lossless())
        }),
    }
}

/// Runs a command's future on a multi-threaded runtime and maps its result to an exit code.
fn block_on<T, E: std::error::Error>(
    future: impl Future<Output = Result<T, E>>,
    done: impl FnOnce(T) -> ExitCode,
) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return fail(&err),
    };
    match runtime.block_on(future) {
        Ok(value) => done(value),
        Err(err) => fail(&err),
    }
}

/// Writes a command's output to stdout. A closed pipe (`wayline count | head -0`) ends it quietly; any other
/// write error is reported and fails the command (`false`).
fn output(text: &str) -> bool {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            fail(&err);
            false
        }
        _ => true,
    }
}

fn exit(success: bool) -> ExitCode {
    if success {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn fail(err: &dyn std::error::Error) -> ExitCode {
    eprintln!("wayline: {err}");
    ExitCode::FAILURE
}
