//! The entry points: [`Server`], which holds what an application adds to the built-in kinds,
//! and its `main` (command line, configuration, logging, runtime) and `run` (one command).

use std::fmt;
use std::process::ExitCode;
use std::sync::Arc;

use super::app::{App, Core};
use super::args::{Args, Command};
use super::commands;
use super::config::{Config, VARIABLES};
use super::logging::Telemetry;
use super::BoxError;
use crate::http::ApiState;

/// A hook of [`Server::extend`].
type Extension = Arc<dyn Fn(&Core, ApiState) -> ApiState + Send + Sync>;

/// The server: the built-in kinds, plus whatever the application's hooks add to the router.
/// Cheap to clone.
#[derive(Clone, Default)]
pub struct Server {
    extensions: Vec<Extension>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("extensions", &self.extensions.len())
            .finish()
    }
}

impl Server {
    /// The server of the built-in kinds.
    pub fn new() -> Self {
        Server::default()
    }

    /// Adds `extension`, called whenever the router is built, after the built-in wiring: it
    /// gets the opened [`Core`] and the router's state, and returns the state with the
    /// application's parts added (resources with [`ApiState::resource`], probes, metric
    /// sources). Hooks run in the order they were added.
    pub fn extend(
        mut self,
        extension: impl Fn(&Core, ApiState) -> ApiState + Send + Sync + 'static,
    ) -> Self {
        self.extensions.push(Arc::new(extension));
        self
    }

    /// Runs the program: reads the command and flags from the process's arguments and the
    /// configuration from the flags and `CAMPUSHUB_*` variables (a flag wins), logs to stderr,
    /// and runs the command on a multi-threaded runtime. A bad command line or configuration
    /// exits with status 2, a failed command with 1, each with one line on stderr.
    pub fn main(self) -> ExitCode {
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
        let config =
            match Config::load(|name| args.mirror(name).or_else(|| std::env::var(name).ok())) {
                Ok(config) => config,
                Err(error) => {
                    eprintln!("campushub: {error}");
                    return ExitCode::from(2);
                }
            };
        let telemetry = match Telemetry::init(&config) {
            Ok(telemetry) => telemetry,
            Err(error) => {
                eprintln!("campushub: {error}");
                return ExitCode::from(2);
            }
        };
        // One worker per core (2 on the reference machine): more would only add context
        // switches for the CPU-bound hot path; blocking work (SQLite) has tokio's separate
        // blocking pool.
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
        let outcome = runtime.block_on(self.run(&args, config));
        // Off the runtime: the exporter's last batch goes out before the process exits.
        telemetry.shutdown();
        match outcome {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("campushub: {error}");
                ExitCode::FAILURE
            }
        }
    }

    /// Runs the command of `args` with `config`: `serve` until SIGINT or SIGTERM, `seed`,
    /// `token`, `migrate` or `help`.
    pub async fn run(&self, args: &Args, config: Config) -> Result<(), BoxError> {
        commands::run(&|core, config| self.app(core, config), args, config).await
    }

    /// Wires the router around `core` ([`App::new`]) and adds what the hooks add.
    pub fn app(&self, core: Core, config: &Config) -> App {
        App::build(core, config, |core, state| {
            self.extensions
                .iter()
                .fold(state, |state, extension| extension(core, state))
        })
    }
}
