//! TLS to Postgres against the test primary, which speaks TLS with a certificate from the
//! test CA (`scripts/services.sh`), and the replica, which does not.

use std::path::PathBuf;
use std::time::Duration;

use campushub_core::{Department, ReadOptions, ReadRoute, Repository};
use campushub_sqlx::{PgRouter, PgRouterConfig, SqlRepository};
use sqlx::Row;

use crate::support::env;
use crate::support::fixtures::department;
use crate::support::pgdb::TestDb;

/// The test CA's certificate.
fn test_ca() -> PathBuf {
    PathBuf::from(env("CAMPUSHUB_TEST_TLS_DIR")).join("ca.crt")
}

/// `url` with `params` appended to its query.
fn with_params(url: &str, params: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{params}")
}

/// A router on `url` alone, failing fast.
fn config(url: &str) -> PgRouterConfig {
    PgRouterConfig::new(url).with_primary_acquire_timeout(Duration::from_secs(5))
}

#[tokio::test]
async fn verified_tls_carries_the_repositorys_statements() {
    let db = TestDb::shared().await;
    let url = with_params(&db.primary, "sslmode=verify-full");
    let router = PgRouter::connect(
        config(&url)
            .with_root_certificate(test_ca())
            .with_require_tls(true),
    )
    .await
    .expect("a server whose certificate the test CA signed is trusted");

    let encrypted: bool = sqlx::query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(router.primary_pool())
        .await
        .expect("pg_stat_ssl")
        .get("ssl");
    assert!(encrypted, "the connection is not encrypted");

    let departments = SqlRepository::<Department, _>::new(router);
    let cse = department("TLS");
    departments.insert(&cse).await.expect("insert over TLS");
    let read = ReadOptions::default().on(ReadRoute::Primary);
    let got = departments.get(cse.meta.id, &read).await.expect("get");
    assert_eq!(got.map(|d| d.code), Some("TLS".to_owned()));
}

#[tokio::test]
async fn a_certificate_from_an_unknown_ca_is_refused() {
    let db = TestDb::shared().await;
    // Only the system's roots: the test CA is not among them.
    let url = with_params(&db.primary, "sslmode=verify-full");
    let error = PgRouter::connect(config(&url))
        .await
        .expect_err("an unverifiable certificate must fail the connection")
        .to_string();
    assert!(error.to_lowercase().contains("certificate"), "{error}");
}

#[tokio::test]
async fn a_plaintext_only_server_is_refused_when_tls_is_required() {
    let db = TestDb::shared().await;
    // The replica has TLS off: `require` must not fall back to plaintext.
    let url = with_params(&db.replica, "sslmode=require");
    let error = PgRouter::connect(config(&url).with_require_tls(true))
        .await
        .expect_err("a server without TLS must be refused")
        .to_string();
    assert!(error.contains("SSL") || error.contains("TLS"), "{error}");

    // `prefer` (the driver's default) would have fallen back: only loopback URLs may.
    assert!(PgRouter::connect(config(&db.replica)).await.is_ok());
}
