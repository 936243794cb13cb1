//! The subcommands: `serve` (default), `seed`, `token` and `migrate`, and the usage text.

use std::time::Duration;

use tokio::net::TcpListener;

use super::app::{App, Core};
use super::args::{Args, Command};
use super::auth::Auth;
use super::config::Config;
use super::graceful::shutdown_signal;
use super::parse::parse_duration;
use super::seed::{self, Counts};
use super::storage::Storage;
use super::BoxError;
use crate::core::Role;

/// What `help` prints.
pub(super) const USAGE: &str = "\
CampusHub server

usage: server [serve] [--flag value ...]
       server seed --departments N --students N --faculty N
       server token --sub NAME --role ROLE[,ROLE] [--ttl 24h]
       server migrate

Configuration (flags mirror the variables: CAMPUSHUB_DATABASE_URL is --database-url):
  CAMPUSHUB_DATABASE_URL         sqlite://data/campushub.db (default) or postgres://...
  CAMPUSHUB_REPLICA_URLS         comma-separated postgres:// URLs of read replicas
  CAMPUSHUB_ANALYTICS_URL        postgres:// URL for aggregate queries
  CAMPUSHUB_REPLICA_MAX_LAG      replicas lagging more are taken out of rotation (10s)
  CAMPUSHUB_DB_MAX_CONNECTIONS   connections per Postgres pool (10)
  CAMPUSHUB_REDIS_URL            redis:// URL: shared L2 cache and invalidations (L1 only if unset)
  CAMPUSHUB_CACHE                on (default) or off
  CAMPUSHUB_CACHE_NAMESPACE      prefix of Redis keys and channel (campushub)
  CAMPUSHUB_WARM_INTERVAL        how often the cache warmer runs (60s; off disables it)
  CAMPUSHUB_JWT_SECRET           HS256 secret, at least 32 characters (development secret if unset, SQLite only)
  CAMPUSHUB_JWT_PUBLIC_KEY_FILE  RS256 public key (PEM) instead of a secret
  CAMPUSHUB_API_KEYS             subject:role[+role]:key entries, comma-separated
  CAMPUSHUB_CURSOR_KEY           key signing list cursors (derived from the JWT secret if unset)
  CAMPUSHUB_BIND                 address to listen on (127.0.0.1:8080)
  CAMPUSHUB_DEMO_DATA            load demo data into an empty database (true)
  CAMPUSHUB_LOG                  log filter (info)
  CAMPUSHUB_LOG_FORMAT           text (default) or json: one JSON object per line
  CAMPUSHUB_SLOW_STATEMENT       statements slower than this are logged at warn and counted (100ms; off disables)
  CAMPUSHUB_METRICS_PUBLIC       serve /metrics without credentials (false)
  CAMPUSHUB_CORS_ORIGINS         origins browsers may call the API from: https://a.example,... or * (none)
  CAMPUSHUB_SHUTDOWN_DRAIN       after SIGINT/SIGTERM, how long /readyz is 503 before the listener closes (0s)
  CAMPUSHUB_SHUTDOWN_GRACE       then, how long requests in progress may take to finish (35s)
";

/// Builds the application from the opened core (the server's wiring plus its extensions).
pub(super) type BuildApp<'a> = &'a (dyn Fn(Core, &Config) -> App + Sync);

/// Runs the command of `args`; `serve` serves what `build` wires.
pub(super) async fn run(build: BuildApp<'_>, args: &Args, config: Config) -> Result<(), BoxError> {
    match args.command {
        Command::Serve => serve(build, config).await,
        Command::Seed => seed(args, &config).await,
        Command::Token => token(args, &config),
        Command::Migrate => {
            Storage::open(&config.database).await?.migrate().await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Help => {
            print!("{USAGE}");
            Ok(())
        }
    }
}

async fn serve(build: BuildApp<'_>, config: Config) -> Result<(), BoxError> {
    let core = Core::open(&config).await?;
    if config.demo_data && seed::is_empty(&core.services).await? {
        tracing::info!("empty database: loading the demo data");
        let report = seed::seed(&core.services, seed::DEMO, false).await?;
        tracing::info!(
            rows = report.created,
            seconds = report.seconds,
            "demo data loaded"
        );
    }
    let app = build(core, &config);
    let listener = TcpListener::bind(config.bind)
        .await
        .map_err(|e| format!("cannot listen on CAMPUSHUB_BIND {}: {e}", config.bind))?;
    let address = listener.local_addr()?;
    println!("CampusHub listening on http://{address}");
    match &app.minter {
        Some(minter) => {
            let token = minter.mint("admin", &[Role::ADMIN], Duration::from_secs(24 * 3600))?;
            println!("admin token (24 h): export TOKEN={token}");
            println!(
                "try: curl -H \"Authorization: Bearer $TOKEN\" http://{address}/api/v1/departments"
            );
        }
        None => println!(
            "tokens: sign RS256 tokens with the private key of CAMPUSHUB_JWT_PUBLIC_KEY_FILE"
        ),
    }
    app.serve(listener, shutdown_signal(), config.shutdown_grace)
        .await
}

async fn seed(args: &Args, config: &Config) -> Result<(), BoxError> {
    let count = |name: &str| -> Result<usize, BoxError> {
        match args.flags.get(name) {
            None => Ok(0),
            Some(value) => value
                .replace('_', "")
                .parse()
                .map_err(|_| format!("--{name}: `{value}` is not a number").into()),
        }
    };
    let counts = Counts {
        departments: count("departments")?,
        students: count("students")?,
        faculty: count("faculty")?,
    };
    if counts.departments + counts.students + counts.faculty == 0 {
        return Err("nothing to seed: give --departments, --students and/or --faculty".into());
    }
    let core = Core::open(config).await?;
    let report = seed::seed(&core.services, counts, true).await?;
    println!(
        "seeded {} rows in {:.2} s ({:.0} rows/s)",
        report.created, report.seconds, report.rate
    );
    if report.refused > 0 {
        return Err(format!(
            "{} rows were refused; the first: {}",
            report.refused,
            report.first_error.unwrap_or_default()
        )
        .into());
    }
    Ok(())
}

fn token(args: &Args, config: &Config) -> Result<(), BoxError> {
    let subject = args.flags.get("sub").ok_or("--sub NAME is required")?;
    let roles = args.flags.get("role").ok_or("--role ROLE is required")?;
    let roles: Vec<Role> = roles
        .split(',')
        .map(|name| {
            Role::BUILT_IN
                .into_iter()
                .find(|role| role.as_str() == name.trim())
                .ok_or_else(|| {
                    format!("--role: `{name}` is not one of admin, registrar, faculty, analyst")
                })
        })
        .collect::<Result<_, _>>()?;
    let ttl = match args.flags.get("ttl") {
        None => Duration::from_secs(24 * 3600),
        Some(value) => parse_duration(value)
            .ok_or_else(|| format!("--ttl: `{value}` is not a duration such as 30m, 2h or 7d"))?,
    };
    let auth = Auth::resolve(config)?;
    let minter = auth.minter.ok_or(
        "this server verifies RS256 tokens (CAMPUSHUB_JWT_PUBLIC_KEY_FILE): sign them with the private key",
    )?;
    println!("{}", minter.mint(subject, &roles, ttl)?);
    Ok(())
}
