//! The embedded migrations of both backends (`migrations/postgres`, `migrations/sqlite`).

#[cfg(any(feature = "postgres", feature = "sqlite"))]
use crate::error::Result;

/// Applies the Postgres migrations (idempotent; concurrent callers serialize on a lock).
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub async fn migrate_postgres(pool: &sqlx::PgPool) -> Result<()> {
    sqlx::migrate!("./migrations/postgres").run(pool).await?;
    Ok(())
}

/// Applies the SQLite migrations (idempotent).
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub async fn migrate_sqlite(pool: &sqlx::SqlitePool) -> Result<()> {
    sqlx::migrate!("./migrations/sqlite").run(pool).await?;
    Ok(())
}
