//! The CampusHub example server: the REST API over SQLite (default) or Postgres with replicas,
//! with the moka + Redis cache.
//!
//! Run it with `cargo run --release --example server`: it creates `./data/campushub.db`,
//! loads demo data into an empty database, prints the address and an `admin` token, and
//! serves on `127.0.0.1:8080`. Other commands:
//!
//! ```text
//! cargo run --release --example server -- seed --departments 10 --students 100000 --faculty 1000
//! cargo run --release --example server -- token --sub alice --role registrar --ttl 2h
//! cargo run --release --example server -- migrate
//! cargo run --release --example server -- help
//! ```
//!
//! Configuration comes from `CAMPUSHUB_*` variables (see `help` and
//! `docs/integrators-guide.md`).

mod app;
mod args;
mod auth;
mod cache;
mod commands;
mod config;
mod connection;
mod graceful;
mod linger;
mod metrics;
mod parse;
mod probes;
mod progress;
mod rows;
mod seed;
mod services;
mod statements;
mod storage;

use std::process::ExitCode;
use std::str::FromStr;

use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub use app::{App, Core};
pub use args::{Args, Command};
pub use commands::shutdown_signal;
pub use config::{Config, ConfigError, VARIABLES};

/// Any error, reported as one line.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1), &VARIABLES) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("campushub: {message}");
            return ExitCode::from(2);
        }
    };
    if args.command == Command::Help {
        print!("{}", commands::USAGE);
        return ExitCode::SUCCESS;
    }
    let config = match Config::load(|name| args.mirror(name).or_else(|| std::env::var(name).ok())) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("campushub: {error}");
            return ExitCode::from(2);
        }
    };
    if let Err(error) = init_logging(&config.log) {
        eprintln!("campushub: {error}");
        return ExitCode::from(2);
    }
    // One worker per core (2 on the reference machine): more would only add context switches
    // for the CPU-bound hot path; blocking work (SQLite) has tokio's separate blocking pool.
    let workers = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("campushub: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(&args, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("campushub: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr, filtered by `CAMPUSHUB_LOG` (`info`, `warn,campushub_sqlx=debug`).
fn init_logging(filter: &str) -> Result<(), ConfigError> {
    let targets = Targets::from_str(filter).map_err(|e| ConfigError {
        variable: "CAMPUSHUB_LOG",
        message: format!("`{filter}` is not a filter such as `info` or `warn,sqlx=error`: {e}"),
    })?;
    let _ = tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(targets)
        .try_init();
    Ok(())
}
