//! Backups restore what was backed up (`scripts/backup.sh`, docs/operations.md "Backups and
//! restore"): records written through the API are backed up logically (`pg_dump`) and
//! physically (`pg_basebackup` into a fresh data directory), then changed; the dump restored
//! into a new database, and the base backup started as a cluster of its own (on a port of its
//! own, as the postgres user), both hold the records as they were, and a server started on
//! the restored database serves them.

use std::path::Path;
use std::process::Command;

use serde_json::json;
use sqlx::{Connection, PgConnection, Row};

use crate::support::db::psql;
use crate::support::deployed::is_root;
use crate::support::env::with_database;
use crate::support::process::free_port;
use crate::support::tools::{shown, Scratch};
use crate::support::{Instance, Services, TestDb};

/// `scripts/backup.sh` with `args`, as the postgres user when `as_postgres` and this process
/// is root (the data directory must be theirs); fails the test on a failure.
fn backup(args: &[&str], as_postgres: bool) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/backup.sh");
    let mut command = if as_postgres && is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(&script);
        command
    } else {
        Command::new(&script)
    };
    if let Ok(bin) = std::env::var("CAMPUSHUB_TEST_PG_BIN") {
        command.env("PG_BIN", bin);
    }
    let output = command.args(args).output().expect("scripts/backup.sh runs");
    assert!(
        output.status.success(),
        "scripts/backup.sh {args:?}:\n{}",
        shown(&output)
    );
}

/// The departments' codes and names in the database at `url`, by code.
async fn departments(url: &str) -> Vec<(String, String)> {
    let mut conn = PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    sqlx::query("SELECT code, name FROM departments ORDER BY code")
        .fetch_all(&mut conn)
        .await
        .expect("the departments")
        .iter()
        .map(|row| (row.get("code"), row.get("name")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dump_and_a_base_backup_restore_the_records_as_they_were() {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let server = Instance::start(&[("CAMPUSHUB_DATABASE_URL", db.primary.clone())]).await;
    let kept = server
        .http
        .create(
            "/api/v1/departments",
            json!({"code": "BAK", "name": "Backed up"}),
        )
        .await;
    assert_eq!(kept.status, 201, "{}", kept.text());
    let gone = server
        .http
        .create(
            "/api/v1/departments",
            json!({"code": "GONE", "name": "Deleted later"}),
        )
        .await;
    assert_eq!(gone.status, 201, "{}", gone.text());
    let before = departments(&db.primary).await;

    let scratch = Scratch::new("backup");
    let dump = scratch.path().join("campushub.dump");
    let base = scratch.path().join("base");
    backup(&["dump", &db.primary, &dump.display().to_string()], false);
    // The base backup's directory is the postgres user's, as a data directory must be.
    if is_root() {
        let chown = Command::new("chown")
            .arg("postgres:postgres")
            .arg(scratch.path())
            .output()
            .expect("chown runs");
        assert!(chown.status.success(), "chown:\n{}", shown(&chown));
    }
    backup(
        &["base", &services.primary, &base.display().to_string()],
        true,
    );

    // Changed after the backups: one record deleted, the other renamed.
    let id = |reply: &crate::support::client::Reply| reply.json()["id"].as_str().map(str::to_owned);
    let gone_id = id(&gone).expect("an id");
    let kept_id = id(&kept).expect("an id");
    psql(
        &db.primary,
        &format!(
            "DELETE FROM departments WHERE id = '{gone_id}'; \
             UPDATE departments SET name = 'Changed' WHERE id = '{kept_id}'"
        ),
    );
    assert_ne!(departments(&db.primary).await, before);
    server.stop().await.expect("the server stops");

    // The dump, restored into a new database.
    let restored_name = format!("{}_restored", db.name);
    psql(
        &services.primary,
        &format!("CREATE DATABASE {restored_name}"),
    );
    let restored = with_database(&services.primary, &restored_name);
    backup(&["restore", &dump.display().to_string(), &restored], false);
    assert_eq!(departments(&restored).await, before, "the dump restores");
    // A server on the restored database serves them (its migrations already applied).
    let server = Instance::start(&[("CAMPUSHUB_DATABASE_URL", restored.clone())]).await;
    let reply = server
        .http
        .get(&format!("/api/v1/departments/{gone_id}"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["code"], "GONE");
    server.stop().await.expect("the server stops");
    psql(
        &services.primary,
        &format!("DROP DATABASE {restored_name} WITH (FORCE)"),
    );

    // The base backup, started as a cluster of its own.
    let port = free_port().to_string();
    let base_dir = base.display().to_string();
    backup(&["start-copy", &base_dir, &port], true);
    let copy = format!("postgres://postgres@127.0.0.1:{port}/{}", db.name);
    let copied = departments(&copy).await;
    backup(&["stop-copy", &base_dir], true);
    assert_eq!(
        copied, before,
        "the base backup holds the records as they were"
    );
    drop(scratch);
    db.drop_database().await;
}
