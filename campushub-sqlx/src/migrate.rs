//! The embedded migrations of both backends (`migrations/postgres`, `migrations/sqlite`).

#[cfg(any(feature = "postgres", feature = "sqlite"))]
use crate::error::Result;

/// How many months after the current one the migrator creates audit-log partitions for
/// (rows of a month without one go to the default partition; the next start moves them).
#[cfg(feature = "postgres")]
pub const AUDIT_MONTHS_AHEAD: i32 = 12;

/// Applies the Postgres migrations (idempotent; concurrent callers serialize on a lock).
///
/// They run on a connection of their own without a statement timeout (an index built over a
/// large table may take minutes), which is closed afterwards rather than returned to the pool.
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub async fn migrate_postgres(pool: &sqlx::PgPool) -> Result<()> {
    let mut connection = pool.acquire().await?.detach();
    sqlx::query("SET statement_timeout = 0")
        .execute(&mut connection)
        .await?;
    sqlx::migrate!("./migrations/postgres")
        .run(&mut connection)
        .await?;
    // The audit log's months ahead: every start extends them (see `0011_audit_log.sql`).
    sqlx::query("SELECT campushub_audit_partitions($1)")
        .bind(AUDIT_MONTHS_AHEAD)
        .execute(&mut connection)
        .await?;
    Ok(())
}

/// Applies the SQLite migrations (idempotent).
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub async fn migrate_sqlite(pool: &sqlx::SqlitePool) -> Result<()> {
    sqlx::migrate!("./migrations/sqlite").run(pool).await?;
    Ok(())
}
