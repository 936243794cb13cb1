//! `migrate` and `migrate --print` of a server that registers an application's kind
//! (`Server::migrate_kind`), as an operator runs them: the test binary runs itself again
//! (`child`, ignored in normal runs) as the server program, on SQLite and on Postgres, and
//! reads its stdout, stderr and exit status.

use campushub::core::RecordMeta;
use campushub::server::{Args, Server};
use campushub::sqlx::kinds::KindSchema;
use campushub::{Entity, SqlEntity};
use clap::Parser;

use crate::support::commands::TempDir;
use crate::support::process::rerun_clean;
use crate::support::{Services, TestDb};

/// Holds the child's arguments, separated by `\x1f`.
const ARGV: &str = "CAMPUSHUB_E2E_KIND_MIGRATIONS";
/// Which description of the kind the child registers: `1` or `2`.
const VERSION: &str = "CAMPUSHUB_E2E_KIND_VERSION";
const CHILD: &str = "kind_migrations::child";

/// The application's kind as first described.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, Entity, SqlEntity)]
#[entity(kind = "room", table = "rooms")]
pub struct Room {
    #[serde(flatten)]
    meta: RecordMeta,
    #[field(filter, order, natural_key)]
    code: String,
    name: String,
}

/// The kind with `name` gone and a new nullable, filterable `floor`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, Entity, SqlEntity)]
#[entity(kind = "room", table = "rooms")]
pub struct RoomWithFloor {
    #[serde(flatten)]
    meta: RecordMeta,
    #[field(filter, order, natural_key)]
    code: String,
    name: String,
    #[field(filter)]
    floor: Option<i64>,
}

/// The kind with `name` removed.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, Entity, SqlEntity)]
#[entity(kind = "room", table = "rooms")]
pub struct RoomWithoutName {
    #[serde(flatten)]
    meta: RecordMeta,
    #[field(filter, order, natural_key)]
    code: String,
    floor: Option<i64>,
}

/// The child: the server program with the kind registered in the description `VERSION`
/// names, exiting 1 with the error on stderr when the command fails.
#[test]
#[ignore = "run in a child process by the kind-migration tests"]
fn child() {
    let Ok(argv) = std::env::var(ARGV) else {
        return;
    };
    let schema = match std::env::var(VERSION).as_deref() {
        Ok("1") => KindSchema::of::<Room>(),
        Ok("2") => KindSchema::of::<RoomWithFloor>(),
        _ => KindSchema::of::<RoomWithoutName>(),
    };
    let argv = argv.split('\x1f').filter(|arg| !arg.is_empty());
    let args = Args::try_parse_from(std::iter::once("campushub").chain(argv)).expect("argv");
    let config = args.config().expect("a configuration");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let server = Server::new().migrate_kind(schema);
    if let Err(error) = runtime.block_on(server.run(&args, config)) {
        eprintln!("campushub: {error}");
        std::process::exit(1);
    }
}

/// What a run of the child printed, and whether it succeeded.
struct Run {
    stdout: String,
    stderr: String,
    success: bool,
}

fn run(argv: &[&str], version: &str, database_url: &str) -> Run {
    let output = rerun_clean(CHILD)
        .env(ARGV, argv.join("\x1f"))
        .env(VERSION, version)
        .env("CAMPUSHUB_DATABASE_URL", database_url)
        // `migrate` needs no key; development lets Postgres start without one.
        .env("CAMPUSHUB_ENV", "development")
        .output()
        .expect("the child runs");
    // The program's output without the test harness's lines around it.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let harness = |line: &&str| line.starts_with("running ") || line.starts_with("test ");
    let stdout: Vec<&str> = stdout.lines().filter(|line| !harness(line)).collect();
    Run {
        stdout: stdout.join("\n"),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        success: output.status.success(),
    }
}

/// The operator's sequence on one database: print, apply, print again, evolve, refuse.
fn print_then_apply(database_url: &str) {
    let printed = run(&["migrate", "--print"], "1", database_url);
    assert!(printed.success, "{}", printed.stderr);
    assert!(
        printed.stdout.contains("-- built-in migration 1 ("),
        "{}",
        printed.stdout
    );
    assert!(
        printed.stdout.contains("CREATE TABLE rooms ("),
        "{}",
        printed.stdout
    );
    let again = run(&["migrate", "--print"], "1", database_url);
    assert_eq!(again.stdout, printed.stdout, "printing applied nothing");

    let applied = run(&["migrate"], "1", database_url);
    assert!(applied.success, "{}", applied.stderr);
    assert!(
        applied.stdout.contains("kind `room`: table created"),
        "{}",
        applied.stdout
    );
    let applied = run(&["migrate"], "1", database_url);
    assert!(
        applied.stdout.contains("kind `room`: up to date"),
        "{}",
        applied.stdout
    );
    let up_to_date = run(&["migrate", "--print"], "1", database_url);
    assert!(
        !up_to_date.stdout.contains("built-in migration"),
        "{}",
        up_to_date.stdout
    );
    assert!(up_to_date
        .stdout
        .contains("-- kind `room`: table `rooms` is up to date"));

    let evolving = run(&["migrate", "--print"], "2", database_url);
    assert!(
        evolving
            .stdout
            .contains("ALTER TABLE rooms ADD COLUMN floor"),
        "{}",
        evolving.stdout
    );
    assert!(evolving
        .stdout
        .contains("CREATE INDEX rooms_floor_idx ON rooms (floor);"));
    let evolved = run(&["migrate"], "2", database_url);
    assert!(
        evolved
            .stdout
            .contains("kind `room`: 0 migrations and 2 statements applied"),
        "{}",
        evolved.stdout
    );

    for argv in [&["migrate"][..], &["migrate", "--print"]] {
        let refused = run(argv, "3", database_url);
        assert!(!refused.success, "{argv:?}: {}", refused.stdout);
        assert!(
            refused.stderr.contains("kind `room` (table `rooms`)")
                && refused.stderr.contains("column `name` is gone"),
            "{argv:?}: {}",
            refused.stderr
        );
    }
    let still = run(&["migrate", "--print"], "2", database_url);
    assert!(
        still.stdout.contains("is up to date"),
        "nothing applied: {}",
        still.stdout
    );
}

#[test]
fn migrate_prints_and_applies_a_registered_kind_on_sqlite() {
    let dir = TempDir::new();
    let (_, url) = dir.sqlite().remove(0);
    print_then_apply(&url);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_prints_and_applies_a_registered_kind_on_postgres() {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let url = db.primary.clone();
    tokio::task::spawn_blocking(move || print_then_apply(&url))
        .await
        .expect("the sequence ran");
}

/// `serve` runs the same step: a kind registered with `Server::migrate_kind` is served from
/// a table nothing else created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_creates_the_registered_kinds_table() {
    let dir = TempDir::new();
    let server = Server::new()
        .migrate_kind(KindSchema::of::<Room>())
        .extend(|core, state| {
            let rooms = core.service(core.storage.repository::<Room>()).build();
            let config = std::sync::Arc::new(campushub::http::HttpConfig::default());
            state.resource(campushub::http::ResourceRoutes::new("rooms", rooms, config))
        });
    let instance = crate::support::Instance::start_with(&server, &dir.sqlite()).await;
    let created = instance
        .http
        .create(
            "/api/v1/rooms",
            serde_json::json!({"code": "R1", "name": "Lab"}),
        )
        .await;
    assert_eq!(created.json()["code"], "R1");
}
