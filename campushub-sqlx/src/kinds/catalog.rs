//! Reading a kind's table from the live catalog (`information_schema` and `pg_catalog` on
//! Postgres, the `pragma_*` table functions on SQLite) and the kind's recorded migrations.

use crate::error::Result;
use crate::kinds::plan::{LiveColumn, LiveTable, Recorded};

/// `table` as the Postgres catalog has it in the current schema, `None` when it does not
/// exist.
#[cfg(feature = "postgres")]
pub(crate) async fn live_postgres(
    conn: &mut sqlx::PgConnection,
    table: &str,
) -> Result<Option<LiveTable>> {
    let columns: Vec<(String, String, bool)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text, is_nullable = 'NO' \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    if columns.is_empty() {
        return Ok(None);
    }
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes \
         WHERE schemaname = current_schema() AND tablename = $1",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    let unique: Vec<String> = sqlx::query_scalar(
        "SELECT string_agg(a.attname::text, ',' ORDER BY k.n) FROM pg_index i \
         CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n) \
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
         WHERE i.indrelid = to_regclass(quote_ident($1)) AND i.indisunique \
         AND NOT i.indisprimary GROUP BY i.indexrelid",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    let references: Vec<String> = sqlx::query_scalar(
        "SELECT a.attname::text FROM pg_constraint c \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) \
         WHERE c.conrelid = to_regclass(quote_ident($1)) AND c.contype = 'f'",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(live_table(columns, indexes, unique, references)))
}

/// `table` as the SQLite catalog has it, `None` when it does not exist.
#[cfg(feature = "sqlite")]
pub(crate) async fn live_sqlite(
    conn: &mut sqlx::SqliteConnection,
    table: &str,
) -> Result<Option<LiveTable>> {
    let columns: Vec<(String, String, bool)> = sqlx::query_as(
        "SELECT name, type, \"notnull\" <> 0 FROM pragma_table_info(?1) ORDER BY cid",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    if columns.is_empty() {
        return Ok(None);
    }
    let indexes: Vec<(String, bool)> = sqlx::query_as(
        "SELECT name, \"unique\" <> 0 AND origin <> 'pk' FROM pragma_index_list(?1)",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    let mut unique = Vec::new();
    for (index, _) in indexes.iter().filter(|(_, unique)| *unique) {
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")
                .bind(index)
                .fetch_all(&mut *conn)
                .await?;
        unique.push(columns.join(","));
    }
    let indexes = indexes.into_iter().map(|(name, _)| name).collect();
    let references: Vec<String> =
        sqlx::query_scalar("SELECT \"from\" FROM pragma_foreign_key_list(?1)")
            .bind(table)
            .fetch_all(&mut *conn)
            .await?;
    Ok(Some(live_table(columns, indexes, unique, references)))
}

fn live_table(
    columns: Vec<(String, String, bool)>,
    indexes: Vec<String>,
    unique: Vec<String>,
    references: Vec<String>,
) -> LiveTable {
    let columns = columns
        .into_iter()
        .map(|(name, ty, not_null)| LiveColumn { name, ty, not_null })
        .collect();
    LiveTable {
        columns,
        indexes,
        unique,
        references,
    }
}

/// The hand-written migrations recorded for `kind` (none when the record table does not
/// exist yet: the built-in migrations are pending).
#[cfg(feature = "postgres")]
pub(crate) async fn recorded_postgres(
    conn: &mut sqlx::PgConnection,
    kind: &str,
) -> Result<Vec<Recorded>> {
    let exists: bool =
        sqlx::query_scalar("SELECT to_regclass('campushub_kind_migrations') IS NOT NULL")
            .fetch_one(&mut *conn)
            .await?;
    if !exists {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(
        "SELECT version, hash FROM campushub_kind_migrations WHERE kind = $1 ORDER BY version",
    )
    .bind(kind)
    .fetch_all(&mut *conn)
    .await?)
}

/// [`recorded_postgres`] on SQLite.
#[cfg(feature = "sqlite")]
pub(crate) async fn recorded_sqlite(
    conn: &mut sqlx::SqliteConnection,
    kind: &str,
) -> Result<Vec<Recorded>> {
    let exists: bool = sqlx::query_scalar(
        "SELECT count(*) > 0 FROM sqlite_master \
         WHERE type = 'table' AND name = 'campushub_kind_migrations'",
    )
    .fetch_one(&mut *conn)
    .await?;
    if !exists {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(
        "SELECT version, hash FROM campushub_kind_migrations WHERE kind = ?1 ORDER BY version",
    )
    .bind(kind)
    .fetch_all(&mut *conn)
    .await?)
}
