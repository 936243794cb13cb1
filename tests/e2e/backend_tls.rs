//! TLS to the backends, end to end: a production instance reaching Postgres with
//! `sslmode=verify-full` and Redis over `rediss://`, both verified against the test CA that
//! `scripts/services.sh` made, serves reads and writes, and every one of its database
//! connections is encrypted.

use sqlx::{Connection, PgConnection, Row};

use crate::support::records::department;
use crate::support::{Instance, Services, TestDb};

/// A file the test services wrote beside their certificates.
fn tls_file(name: &str) -> String {
    let dir = std::env::var("CAMPUSHUB_TEST_TLS_DIR")
        .expect("CAMPUSHUB_TEST_TLS_DIR is not set: run `scripts/services.sh start`");
    format!("{dir}/{name}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_reaches_postgres_and_redis_over_verified_tls() {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let redis = std::env::var("CAMPUSHUB_TEST_REDIS_TLS")
        .expect("CAMPUSHUB_TEST_REDIS_TLS is not set: run `scripts/services.sh start`");
    let server = Instance::start(&[
        ("CAMPUSHUB_ENV", "production".to_owned()),
        ("CAMPUSHUB_BACKEND_TLS", "required".to_owned()),
        (
            "CAMPUSHUB_DATABASE_URL",
            format!("{}?sslmode=verify-full", db.primary),
        ),
        ("CAMPUSHUB_DATABASE_CA_FILE", tls_file("ca.crt")),
        ("CAMPUSHUB_REDIS_URL", redis),
        ("CAMPUSHUB_REDIS_CA_FILE", tls_file("ca.crt")),
        ("CAMPUSHUB_REDIS_CLIENT_CERT_FILE", tls_file("client.crt")),
        ("CAMPUSHUB_REDIS_CLIENT_KEY_FILE", tls_file("client.key")),
        (
            "CAMPUSHUB_CACHE_NAMESPACE",
            crate::support::instance::namespace(),
        ),
    ])
    .await;
    let http = &server.http;

    let created = department(http, "TLS").await;
    let id = created["id"].as_str().expect("an id");
    let read = http.get(&format!("/api/v1/departments/{id}")).await;
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(read.json()["code"], "TLS");

    let ready = http.get("/readyz").await.json();
    assert_eq!(ready["components"]["redis"]["ok"], true, "{ready}");

    let mut admin = PgConnection::connect(&services.primary)
        .await
        .expect("admin connection");
    let row = sqlx::query(
        "SELECT count(*) FILTER (WHERE s.ssl) AS encrypted, count(*) AS total \
         FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.datname = $1",
    )
    .bind(&db.name)
    .fetch_one(&mut admin)
    .await
    .expect("pg_stat_ssl");
    let (encrypted, total): (i64, i64) = (row.get("encrypted"), row.get("total"));
    assert!(total >= 1, "the instance has connections to its database");
    assert_eq!(
        encrypted, total,
        "every connection of the instance is encrypted"
    );

    assert_eq!(server.stop().await, Ok(()));
    db.drop_database().await;
}
