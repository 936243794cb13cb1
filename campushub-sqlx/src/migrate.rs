//! The embedded migrations of both backends (`migrations/postgres`, `migrations/sqlite`).

#[cfg(any(feature = "postgres", feature = "sqlite"))]
use crate::error::Result;

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
    Ok(())
}

/// Applies the SQLite migrations (idempotent).
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub async fn migrate_sqlite(pool: &sqlx::SqlitePool) -> Result<()> {
    sqlx::migrate!("./migrations/sqlite").run(pool).await?;
    Ok(())
}
