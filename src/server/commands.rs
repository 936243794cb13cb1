//! The subcommands: `serve` (default), `seed`, `token`, `user`, `export`, `import`, `migrate`,
//! `verify-aggregates` and `completions` (clap answers `help` and `--help` itself).

use std::io;
use std::time::{Duration, Instant};

use clap::CommandFactory;

use tokio::net::TcpListener;

use super::app::{App, Core};
use super::args::{Args, Command, Links};
use super::auth::Auth;
use super::config::Config;
use super::exchange_command;
use super::graceful::shutdown_signal;
use super::launch::KindTable;
use super::progress::spinner;
use super::seed::{self, Counts};
use super::storage::Storage;
use super::user_command;
use super::values::Environment;
use super::BoxError;
use crate::core::scope::RecordLinks;
use crate::core::Role;

/// Builds the application from the opened core (the server's wiring plus its extensions).
pub(super) type BuildApp<'a> = &'a (dyn Fn(Core, &Config) -> App + Sync);

/// Runs the command of `args`; `serve` serves what `build` wires, and it and `migrate` create
/// the application's `kind_tables` after CampusHub's migrations.
pub(super) async fn run(
    build: BuildApp<'_>,
    kind_tables: &[KindTable],
    args: &Args,
    config: Config,
) -> Result<(), BoxError> {
    match args.subcommand() {
        Command::Serve => serve(build, kind_tables, config).await,
        &Command::Seed {
            departments,
            students,
            faculty,
        } => {
            let counts = Counts {
                departments,
                students,
                faculty,
            };
            seed(counts, &config).await
        }
        Command::Token {
            sub,
            roles,
            links,
            ttl,
        } => token(sub, &roles.roles, links, *ttl, &config),
        Command::User(command) => user_command::run(command, &config).await,
        Command::Export {
            kind,
            format,
            filters,
        } => exchange_command::export(*kind, *format, filters.clone(), &config).await,
        Command::Import {
            file,
            kind,
            dry_run,
            best_effort,
        } => exchange_command::import(file, *kind, *dry_run, *best_effort, &config).await,
        Command::Migrate => migrate(kind_tables, &config).await,
        Command::VerifyAggregates => verify_aggregates(&config).await,
        Command::Completions { shell } => {
            completions(*shell);
            Ok(())
        }
    }
}

/// Prints the completion script of `shell` for this program, named as it was invoked.
pub(super) fn completions(shell: clap_complete::Shell) {
    let name = std::env::args_os()
        .next()
        .as_deref()
        .and_then(|path| std::path::Path::new(path).file_name())
        .map_or_else(
            || "campushub".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        );
    clap_complete::generate(shell, &mut Args::command(), name, &mut io::stdout());
}

async fn migrate(kind_tables: &[KindTable], config: &Config) -> Result<(), BoxError> {
    let started = Instant::now();
    let spinner = spinner("applying migrations");
    let applied = async {
        let storage = Storage::open(&config.database, &config.backend_tls).await?;
        storage.migrate().await?;
        migrate_kinds(kind_tables, &storage).await
    }
    .await;
    spinner.finish_and_clear();
    applied?;
    println!(
        "migrations applied in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn verify_aggregates(config: &Config) -> Result<(), BoxError> {
    let storage = Storage::open(&config.database, &config.backend_tls).await?;
    let mismatches = storage.verify_group_counts().await?;
    if mismatches.is_empty() {
        println!("every kept count matches the rows");
        return Ok(());
    }
    for m in &mismatches {
        let grouping = if m.grouping.is_empty() {
            "(total)"
        } else {
            m.grouping.as_str()
        };
        println!(
            "{} {grouping} = {}: {} rows, {} kept",
            m.table, m.value, m.rows, m.kept
        );
    }
    Err(format!(
        "{} kept counts differ from the rows (statistics and analytics read them)",
        mismatches.len()
    )
    .into())
}

/// Creates or checks the application's kind tables, in order.
pub(super) async fn migrate_kinds(
    kind_tables: &[KindTable],
    storage: &Storage,
) -> Result<(), BoxError> {
    for table in kind_tables {
        table(storage).await?;
    }
    Ok(())
}

async fn serve(
    build: BuildApp<'_>,
    kind_tables: &[KindTable],
    config: Config,
) -> Result<(), BoxError> {
    let core = Core::open(&config).await?;
    migrate_kinds(kind_tables, &core.storage).await?;
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
    // A token printed to stdout ends up in journald or a container's logs: development only.
    match &app.minter {
        Some(_) if config.environment == Environment::Production => {
            println!("tokens: `token --sub NAME --role ROLE` signs one with the configured secret")
        }
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

async fn seed(counts: Counts, config: &Config) -> Result<(), BoxError> {
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

fn token(
    subject: &str,
    roles: &[Role],
    links: &Links,
    ttl: Duration,
    config: &Config,
) -> Result<(), BoxError> {
    let auth = Auth::resolve(config)?;
    let minter = auth.minter.ok_or(
        "this server verifies RS256 tokens (CAMPUSHUB_JWT_PUBLIC_KEY_FILE): sign them with the private key",
    )?;
    let links = RecordLinks {
        student_id: links.student,
        faculty_id: links.faculty,
        department_id: links.department,
    };
    println!("{}", minter.mint_linked(subject, roles, &links, ttl)?);
    Ok(())
}
