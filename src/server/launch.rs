//! The entry points: [`Server`], which holds what an application adds to the built-in kinds,
//! and its `main` (command line, configuration, logging, runtime) and `run` (one command).

use std::ffi::OsString;
use std::fmt;
use std::process::ExitCode;

use clap::Parser;
use std::sync::Arc;

use super::app::{App, Background, Core};
use super::args::{Args, Command};
use super::commands;
use super::config::Config;
use super::logging::Telemetry;
use super::BoxError;
use crate::http::ApiState;
use crate::sqlx::kinds::KindSchema;

/// A hook of [`Server::extend`].
type Extension = Arc<dyn Fn(&Core, ApiState) -> ApiState + Send + Sync>;

/// The server: the built-in kinds, plus whatever the application's hooks add to the router.
/// Cheap to clone.
#[derive(Clone, Default)]
pub struct Server {
    extensions: Vec<Extension>,
    kinds: Vec<KindSchema>,
    background: Vec<Background>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("extensions", &self.extensions.len())
            .field("kinds", &self.kinds.len())
            .field("background", &self.background.len())
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

    /// Adds `task`, which runs while an instance serves (the `serve` command and
    /// [`App::serve`], not the other commands): `task` gets the opened [`Core`] and returns
    /// the future to run (a loop, for periodic work such as a sweep), spawned when serving
    /// starts and dropped when it ends, after requests in progress finished. Every instance
    /// runs it: make it safe to run in several at once.
    pub fn background(
        mut self,
        task: impl Fn(&Core) -> futures::future::BoxFuture<'static, ()> + Send + Sync + 'static,
    ) -> Self {
        self.background.push(Arc::new(task));
        self
    }

    /// Adds `schema`, the table of an application's kind: the `migrate` step (the `migrate`
    /// command and every start of `serve`) creates it after the built-in migrations, then
    /// evolves it as the kind's description changes. Additive changes (a new nullable
    /// column, index or unique key) are applied; a change that needs a data migration
    /// (a removed, renamed or retyped column, a column becoming `NOT NULL`) stops the step,
    /// naming it, until the schema's hand-written migrations
    /// ([`KindSchema::with_migrations`]) make it. `migrate --print` shows the SQL.
    pub fn migrate_kind(mut self, schema: KindSchema) -> Self {
        self.kinds.push(schema);
        self
    }

    /// Opens the core ([`Core::open`]) with the tables of the kinds of
    /// [`Server::migrate_kind`] migrated too.
    pub async fn open(&self, config: &Config) -> Result<Core, BoxError> {
        Core::open_with_kinds(config, &self.kinds).await
    }

    /// Runs the program: reads the command and flags from the process's arguments and the
    /// configuration from the flags and `CAMPUSHUB_*` variables (a flag wins), logs to stderr,
    /// and runs the command on a multi-threaded runtime. `--help` (and `help`) prints to
    /// stdout and exits with 0; a bad command line or configuration exits with status 2, a
    /// failed command with 1, each with one message on stderr.
    pub fn main(self) -> ExitCode {
        let (args, config) = match command_line(std::env::args_os()) {
            Ok(Some(parsed)) => parsed,
            Ok(None) => return ExitCode::SUCCESS,
            Err(code) => return code,
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
    /// `token`, `migrate` or `completions`.
    pub async fn run(&self, args: &Args, config: Config) -> Result<(), BoxError> {
        let build = |core, config: &Config| self.app(core, config);
        commands::run(&build, &self.kinds, args, config).await
    }

    /// Wires the router around `core` ([`App::new`]) and adds what the hooks add.
    pub fn app(&self, core: Core, config: &Config) -> App {
        App::build(core, config, |core, state| {
            self.extensions
                .iter()
                .fold(state, |state, extension| extension(core, state))
        })
        .with_background(&self.background)
    }
}

/// Parses `argv` (the program's name first) and loads the configuration, printing what clap
/// prints (help to stdout) and configuration errors to stderr: `None` when the command is
/// done already (help, version, completions), else the exit status of a bad command line or
/// configuration, 2.
fn command_line(
    argv: impl IntoIterator<Item = OsString>,
) -> Result<Option<(Args, Config)>, ExitCode> {
    let args = match Args::try_parse_from(argv) {
        Ok(args) => args,
        Err(error) => {
            // clap writes help to stdout and errors to stderr, and says which it was.
            let _ = error.print();
            return if error.use_stderr() {
                Err(ExitCode::from(2))
            } else {
                Ok(None)
            };
        }
    };
    if let Command::Completions { shell } = args.subcommand() {
        commands::completions(*shell);
        return Ok(None);
    }
    match args.config() {
        Ok(config) => Ok(Some((args, config))),
        Err(error) => {
            eprintln!("campushub: {error}");
            Err(ExitCode::from(2))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exit(argv: &[&str]) -> Option<ExitCode> {
        let argv = std::iter::once("campushub").chain(argv.iter().copied());
        match command_line(argv.map(OsString::from)) {
            Ok(Some(_)) => None,
            Ok(None) => Some(ExitCode::SUCCESS),
            Err(code) => Some(code),
        }
    }

    #[test]
    fn help_exits_with_0_and_bad_input_with_2() {
        for help in [
            &["--help"][..],
            &["help"],
            &["help", "seed"],
            &["token", "--help"],
        ] {
            assert_eq!(exit(help), Some(ExitCode::SUCCESS), "{help:?}");
        }
        for bad in [
            &["--frobnicate"][..],
            &["frobnicate"],
            &["--jwt-secret", "x"],
            &["--bind", "localhost"],
        ] {
            assert_eq!(exit(bad), Some(ExitCode::from(2)), "{bad:?}");
        }
        assert_eq!(
            exit(&["--database-url", "sqlite::memory:", "migrate"]),
            None
        );
    }
}
