//! The `wayline` binary.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::future::Future;
use std::process::ExitCode;

use wayline_collector::cli::{self, Command, USAGE};
use wayline_collector::{count, drops, events, loadgen, proxy, server};

fn main() -> ExitCode {
    let command = match cli::parse(std::env::args_os().skip(1)) {
        Ok(command) => command,
        Err(err) => {
            eprintln!("wayline: {err}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Help => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Command::Events { db } => match events::print(&db, std::io::stdout().lock()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => fail(&err),
        },
        Command::Count { db } => match count::stored_events(&db) {
            Ok(n) => {
                println!("{n}");
                ExitCode::SUCCESS
            }
            Err(err) => fail(&err),
        },
        Command::Drops { db } => match drops::print(&db, std::io::stdout().lock()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => fail(&err),
        },
        Command::Serve(options) => block_on(server::run(options), |()| ExitCode::SUCCESS),
        Command::Proxy(options) => block_on(proxy::run(options), |()| ExitCode::SUCCESS),
        Command::Loadgen(options) => block_on(loadgen::run(options), |report| {
            println!("{report}");
            // A run that lost events fails, so scripts can use the exit status.
            if report.lossless() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
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

fn fail(err: &dyn std::error::Error) -> ExitCode {
    eprintln!("wayline: {err}");
    ExitCode::FAILURE
}
