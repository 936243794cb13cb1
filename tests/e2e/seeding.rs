//! The `seed` command on Postgres: a second run continues the numbering after the first, even
//! when the rows there outnumber the page-number count cap (a capped page count once made the
//! second run restart its numbers inside the first run's and refuse every row), and the counts
//! the writes keep match the rows after batches loaded two at a time.

use campushub::server::{Args, Config, Server};
use clap::Parser;
use sqlx::{Connection, PgConnection};

use crate::support::{Services, TestDb};

async fn seed(config: &Config, argv: &[&str]) {
    let args = Args::try_parse_from(std::iter::once("campushub").chain(argv.iter().copied()))
        .expect("seed arguments");
    Server::new()
        .run(&args, config.clone())
        .await
        .unwrap_or_else(|e| panic!("{argv:?}: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_seed_run_numbers_its_rows_after_the_first() {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let vars = [
        ("CAMPUSHUB_DATABASE_URL", db.primary.clone()),
        ("CAMPUSHUB_ENV", "development".to_owned()),
        (
            "CAMPUSHUB_JWT_SECRET",
            "a-test-secret-of-more-than-thirty-two-bytes".to_owned(),
        ),
        ("CAMPUSHUB_COUNT_CAP", "5".to_owned()),
        ("CAMPUSHUB_DEMO_DATA", "false".to_owned()),
    ];
    let config = Config::load(|name| {
        vars.iter()
            .find(|(variable, _)| *variable == name)
            .map(|(_, value)| value.clone())
    })
    .expect("a valid configuration");

    // More than one batch of students, so that two are in flight at once.
    seed(
        &config,
        &["seed", "--departments", "3", "--students", "1500"],
    )
    .await;
    seed(&config, &["seed", "--students", "20", "--faculty", "7"]).await;

    let mut connection = PgConnection::connect(&db.primary).await.expect("connect");
    let students: i64 = sqlx::query_scalar("SELECT count(*) FROM students")
        .fetch_one(&mut connection)
        .await
        .expect("count students");
    let faculty: i64 = sqlx::query_scalar("SELECT count(*) FROM faculty")
        .fetch_one(&mut connection)
        .await
        .expect("count faculty");
    assert_eq!((students, faculty), (1520, 7));
    seed(&config, &["verify-aggregates"]).await;
    connection.close().await.expect("close");
    db.drop_database().await;
}
