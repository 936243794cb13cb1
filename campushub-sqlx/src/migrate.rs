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

/// The differences between the columns `E` describes and the `existing` ones of its table,
/// named; empty when they match.
#[cfg(any(feature = "postgres", feature = "sqlite"))]
fn column_changes<E: crate::SqlEntity>(existing: &[String]) -> Vec<String> {
    let wanted: Vec<&str> = crate::META_COLUMNS
        .iter()
        .chain(E::columns())
        .map(|column| column.name)
        .collect();
    let new = wanted
        .iter()
        .filter(|name| !existing.iter().any(|e| e == *name))
        .map(|name| format!("column `{name}` is new"));
    let gone = existing
        .iter()
        .filter(|name| !wanted.contains(&name.as_str()))
        .map(|name| format!("column `{name}` is gone"));
    new.chain(gone).collect()
}

/// `Ok` when `existing` matches `E`'s columns, else [`crate::Error::SchemaDrift`] naming the
/// changes.
#[cfg(any(feature = "postgres", feature = "sqlite"))]
fn drift<E: crate::SqlEntity>(existing: &[String]) -> Result<()> {
    let changes = column_changes::<E>(existing);
    if changes.is_empty() {
        return Ok(());
    }
    Err(crate::Error::SchemaDrift {
        table: E::TABLE.to_owned(),
        changes: changes.join(", "),
    })
}

/// Creates the table of kind `E` on SQLite from its description
/// ([`crate::ddl::create_table`]) in one transaction, after the crate's migrations. A table
/// that exists is left as it is when its columns match the description; when they do not,
/// the change is named in [`crate::Error::SchemaDrift`] and nothing is changed.
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub async fn migrate_kind_sqlite<E: crate::SqlEntity>(pool: &sqlx::SqlitePool) -> Result<()> {
    let existing: Vec<String> =
        sqlx::query_scalar("SELECT name FROM pragma_table_info(?1) ORDER BY cid")
            .bind(E::TABLE)
            .fetch_all(pool)
            .await?;
    if !existing.is_empty() {
        return drift::<E>(&existing);
    }
    let mut tx = pool.begin().await?;
    for statement in crate::ddl::create_table::<E>(crate::Dialect::Sqlite) {
        sqlx::query(&statement).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Creates the table of kind `E` on Postgres from its description, as
/// [`migrate_kind_sqlite`] does on SQLite (the table's changes captured by the outbox).
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub async fn migrate_kind_postgres<E: crate::SqlEntity>(pool: &sqlx::PgPool) -> Result<()> {
    let mut tx = pool.begin().await?;
    // One creator at a time per table: concurrent starts of several instances wait here.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
        .bind(E::TABLE)
        .execute(&mut *tx)
        .await?;
    let existing: Vec<String> = sqlx::query_scalar(
        "SELECT column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(E::TABLE)
    .fetch_all(&mut *tx)
    .await?;
    if !existing.is_empty() {
        return drift::<E>(&existing);
    }
    for statement in crate::ddl::create_table::<E>(crate::Dialect::Postgres) {
        sqlx::query(&statement).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}
