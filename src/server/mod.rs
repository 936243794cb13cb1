//! The CampusHub server as a library: the REST API over SQLite (default) or Postgres with
//! replicas, with the moka + Redis cache, configured from `CAMPUSHUB_*` variables and the
//! flags mirroring them, served with a graceful shutdown that loses no request.
//!
//! [`Server::main`] is a whole program's `main`: it reads the command line with clap
//! (`serve`, the default; `seed`, `token`, `migrate`, `completions`; `--help` for each, or
//! `help`) and the environment, starts the logging and the runtime, and runs the command. The
//! example server (`examples/server/main.rs`) is that call and nothing else. Every setting is
//! a `CAMPUSHUB_*` variable and a flag (`--database-url` for `CAMPUSHUB_DATABASE_URL`; a flag
//! wins), except the secrets, which are read from the environment or from the file a
//! `*_FILE` variable names; they are listed by `--help` and in `docs/integrators-guide.md`.
//!
//! An application serves its own kinds beside the built-in ones with [`Server::extend`]: the
//! hook gets the opened [`Core`] (database, cache, built-in services) and the router's
//! [`ApiState`](crate::http::ApiState), and adds resources to it. [`Server::migrate_kind`]
//! registers a kind's table: the `migrate` step creates it from the kind's description and
//! evolves it as the description changes (`migrate --print` shows the SQL; see
//! `docs/extending.md`).
//!
//! ```no_run
//! use std::process::ExitCode;
//! use std::sync::Arc;
//!
//! use campushub::core::{Action, Entity, Role, RolePolicy};
//! use campushub::http::{HttpConfig, ResourceRoutes};
//! use campushub::server::Server;
//! use campushub::sqlx::kinds::{KindMigration, KindSchema};
//! # // Stands in for an application's kind, described for the core (`Entity`) and for SQL
//! # // (`SqlEntity`) as in `examples/custom_entity.rs`.
//! # type Course = campushub::core::Department;
//!
//! fn main() -> ExitCode {
//!     // A hand-written migration for a change the runner refuses to make by itself.
//!     let rename = KindMigration::new(1, "ALTER TABLE courses RENAME COLUMN name TO title");
//!     Server::new()
//!         // The `migrate` step creates and evolves the table of `Course`.
//!         .migrate_kind(KindSchema::of::<Course>().with_migrations([rename]))
//!         .extend(|core, state| {
//!             // `Course` is the application's kind.
//!             let policy = RolePolicy::defaults()
//!                 .grant(Role::REGISTRAR, Course::KIND, Action::READ)
//!                 .grant(Role::REGISTRAR, Course::KIND, Action::WRITE);
//!             let courses = core
//!                 .service(core.storage.repository::<Course>())
//!                 .policy(Arc::new(policy))
//!                 .build();
//!             let config = Arc::new(HttpConfig::default()); // the router's replaces it
//!             state.resource(ResourceRoutes::new("courses", courses, config))
//!         })
//!         .main()
//! }
//! ```
//!
//! The steps [`Server::main`] takes are public too, for a program that owns its runtime or
//! its listener: [`Args::parse`](clap::Parser::parse) and [`Args::config`] (or
//! [`Config::load`] from any source of variables), [`Telemetry::init`], [`Core::open`],
//! [`Server::app`] and [`App::serve`] with [`shutdown_signal`], then [`Telemetry::shutdown`].

mod accounts;
mod app;
mod args;
mod auth;
mod backend_tls;
mod cache;
mod commands;
mod config;
mod connection;
mod deployment;
mod exchange_command;
mod graceful;
mod launch;
mod limits;
mod linger;
mod logging;
mod metrics;
mod oidc;
mod outbox;
mod parse;
mod private_files;
mod probes;
mod progress;
mod propagation;
mod rate_limits;
mod rng;
mod rows;
mod seed;
mod services;
mod settings;
mod statements;
mod storage;
mod traces;
mod user_command;
mod values;

pub use accounts::Accounts;
pub use app::{App, Core};
pub use args::{Args, Command, Roles, UserCommand};
pub use auth::Auth;
pub use backend_tls::BackendTls;
pub use config::{reads_variable, Config, SignInSettings, VARIABLES};
pub use graceful::shutdown_signal;
pub use launch::Server;
pub use limits::ConnectionLimits;
pub use logging::Telemetry;
/// Durations as every setting reads them, for the settings of the facade's kinds.
#[cfg(feature = "documents")]
pub(crate) use parse::parse_duration;
pub use rng::Rng;
pub use storage::{Storage, Stores};
pub use values::{ConfigError, Database, Environment, JwtKey, LogFormat};

/// Any error, reported as one line.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
