//! The embedded migrations of both backends (`migrations/postgres`, `migrations/sqlite`),
//! then the schemas of an application's own kinds ([`crate::kinds`]), and the SQL of both
//! that is pending (what `server migrate --print` shows).

#[cfg(any(feature = "postgres", feature = "sqlite"))]
use crate::kinds::{KindOutcome, KindSchema};

#[cfg(any(feature = "postgres", feature = "sqlite"))]
use crate::error::Result;

/// How many months after the current one the migrator creates audit-log partitions for
/// (rows of a month without one go to the default partition; the next start moves them).
#[cfg(feature = "postgres")]
pub const AUDIT_MONTHS_AHEAD: i32 = 12;

/// The built-in Postgres migrations.
#[cfg(feature = "postgres")]
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The built-in SQLite migrations.
#[cfg(feature = "sqlite")]
static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

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
    POSTGRES.run(&mut connection).await?;
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
    SQLITE.run(pool).await?;
    Ok(())
}

/// The built-in migrations of `migrator` that are not among the `applied` versions, as a
/// script (each headed by a comment naming it).
#[cfg(any(feature = "postgres", feature = "sqlite"))]
fn pending_script(migrator: &sqlx::migrate::Migrator, applied: &[i64]) -> String {
    migrator
        .iter()
        .filter(|m| !m.migration_type.is_down_migration() && !applied.contains(&m.version))
        .map(|m| {
            format!(
                "-- built-in migration {} ({})\n{}\n",
                m.version,
                m.description,
                m.sql.trim_end()
            )
        })
        .collect()
}

/// Applies the schemas of `kinds` on Postgres after the built-in migrations (see
/// [`crate::kinds`]): each kind's table is created or evolved in its own transaction, or its
/// changes that need a migration are refused with [`crate::Error::SchemaDrift`].
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub async fn migrate_kinds_postgres(
    pool: &sqlx::PgPool,
    kinds: &[KindSchema],
) -> Result<Vec<KindOutcome>> {
    crate::kinds::run_postgres(pool, kinds).await
}

/// [`migrate_kinds_postgres`] on SQLite.
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub async fn migrate_kinds_sqlite(
    pool: &sqlx::SqlitePool,
    kinds: &[KindSchema],
) -> Result<Vec<KindOutcome>> {
    crate::kinds::run_sqlite(pool, kinds).await
}

/// The SQL that [`migrate_postgres`] and then [`migrate_kinds_postgres`] would run now, as a
/// script, without running it: the pending built-in migrations, the audit partitions, and
/// each kind's creation, hand-written migrations or additive changes. A kind's change that
/// needs a migration is the same error as when applying.
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub async fn print_postgres(pool: &sqlx::PgPool, kinds: &[KindSchema]) -> Result<String> {
    let recorded: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(pool)
        .await?;
    let applied: Vec<i64> = if recorded {
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await?
    } else {
        Vec::new()
    };
    let mut script = pending_script(&POSTGRES, &applied);
    script += &format!("SELECT campushub_audit_partitions({AUDIT_MONTHS_AHEAD});\n");
    script += &crate::kinds::print_postgres(pool, kinds).await?;
    Ok(script)
}

/// [`print_postgres`] on SQLite.
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub async fn print_sqlite(pool: &sqlx::SqlitePool, kinds: &[KindSchema]) -> Result<String> {
    let recorded: bool = sqlx::query_scalar(
        "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(pool)
    .await?;
    let applied: Vec<i64> = if recorded {
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await?
    } else {
        Vec::new()
    };
    let mut script = pending_script(&SQLITE, &applied);
    script += &crate::kinds::print_sqlite(pool, kinds).await?;
    Ok(script)
}

/// Creates or evolves the table of kind `E` on SQLite from its description, after the
/// crate's migrations: [`migrate_kinds_sqlite`] for `E` alone, without hand-written
/// migrations. Additive changes are applied; a change that needs a migration is named in
/// [`crate::Error::SchemaDrift`] and nothing is changed.
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub async fn migrate_kind_sqlite<E: crate::SqlEntity>(pool: &sqlx::SqlitePool) -> Result<()> {
    migrate_kinds_sqlite(pool, &[KindSchema::of::<E>()]).await?;
    Ok(())
}

/// [`migrate_kind_sqlite`] on Postgres (the table's changes captured by the outbox).
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub async fn migrate_kind_postgres<E: crate::SqlEntity>(pool: &sqlx::PgPool) -> Result<()> {
    migrate_kinds_postgres(pool, &[KindSchema::of::<E>()]).await?;
    Ok(())
}
