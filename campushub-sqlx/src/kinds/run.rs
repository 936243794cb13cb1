//! Applying the kinds' schemas: per kind, in one transaction, create the table or run the
//! pending hand-written migrations and the additive changes, then record what was applied.

use std::future::Future;

use crate::backend::{Dialect, Statement};
use crate::error::{Error, Result};
use crate::kinds::plan::Recorded;
use crate::kinds::plan::{self, LiveTable};
use crate::kinds::{KindMigration, KindOutcome, KindSchema};
use crate::value::SqlValue;

/// What a kind's step needs of a connection of its backend: its catalog and records, and
/// running statements. Implemented by each backend's connection.
pub(crate) trait StepConnection: Send {
    /// The connection's dialect.
    const DIALECT: Dialect;

    /// The kind's table as the catalog has it, `None` when it does not exist.
    fn live(&mut self, table: &str) -> impl Future<Output = Result<Option<LiveTable>>> + Send;

    /// The kind's recorded hand-written migrations.
    fn recorded(&mut self, kind: &str) -> impl Future<Output = Result<Vec<Recorded>>> + Send;

    /// Runs a hand-written script (one or more statements, without arguments).
    fn script(&mut self, sql: &str) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

    /// Runs one statement with its arguments.
    fn statement(&mut self, statement: Statement) -> impl Future<Output = Result<()>> + Send;
}

/// Records `migration` of `kind` as run (`ran`) or as already in a new table. (`$n`
/// placeholders are positional on both backends.)
fn record_migration(kind: &str, migration: &KindMigration, ran: bool) -> Statement {
    Statement {
        sql: "INSERT INTO campushub_kind_migrations (kind, version, hash, ran) \
              VALUES ($1, $2, $3, $4)"
            .into(),
        args: vec![
            SqlValue::Text(Some(kind.to_owned())),
            SqlValue::Int(Some(migration.version)),
            SqlValue::Text(Some(migration.hash())),
            SqlValue::Bool(Some(ran)),
        ],
        returns: Vec::new(),
    }
}

/// Records `schema` as applied on `dialect` (its description and hash), with the time
/// (the column's default) when it changed.
fn record_schema(schema: &KindSchema, dialect: Dialect) -> Statement {
    Statement {
        sql: "INSERT INTO campushub_kind_schemas (kind, table_name, description, hash) \
              VALUES ($1, $2, $3, $4) ON CONFLICT (kind) DO UPDATE SET \
              table_name = excluded.table_name, description = excluded.description, \
              hash = excluded.hash, applied_at = excluded.applied_at \
              WHERE campushub_kind_schemas.hash <> excluded.hash"
            .into(),
        args: vec![
            SqlValue::Text(Some(schema.kind.to_owned())),
            SqlValue::Text(Some(schema.table.to_owned())),
            SqlValue::Text(Some(schema.description(dialect))),
            SqlValue::Text(Some(schema.hash(dialect))),
        ],
        returns: Vec::new(),
    }
}

/// One kind's step on `conn` (inside the kind's transaction): creates the table when it is
/// missing, else runs the pending hand-written migrations and then the additive changes, or
/// refuses the changes that need a migration; then records what it applied.
async fn step<C: StepConnection>(conn: &mut C, schema: &KindSchema) -> Result<KindOutcome> {
    let failed = |statement: &str| {
        let (kind, statement) = (schema.kind.to_owned(), statement.to_owned());
        move |source| Error::KindStatement {
            kind,
            statement,
            source,
        }
    };
    let recorded = conn.recorded(schema.kind).await?;
    let pending = plan::pending(schema, &recorded)?;
    let created = conn.live(schema.table).await?.is_none();
    let statements = if created {
        (schema.create)(C::DIALECT)
    } else {
        for migration in &pending {
            conn.script(&migration.sql)
                .await
                .map_err(failed(&migration.sql))?;
        }
        let live = conn.live(schema.table).await?.unwrap_or_default();
        plan::evolve(schema, C::DIALECT, &live).map_err(|changes| schema.drift(changes))?
    };
    for statement in &statements {
        // Generated DDL: run as a script too (no arguments, not worth preparing).
        conn.script(statement).await.map_err(failed(statement))?;
    }
    for migration in &pending {
        conn.statement(record_migration(schema.kind, migration, !created))
            .await?;
    }
    conn.statement(record_schema(schema, C::DIALECT)).await?;
    Ok(KindOutcome {
        kind: schema.kind.to_owned(),
        created,
        migrations: match created {
            true => Vec::new(),
            false => pending.iter().map(|m| m.version).collect(),
        },
        statements,
    })
}

#[cfg(feature = "postgres")]
impl StepConnection for sqlx::PgConnection {
    const DIALECT: Dialect = Dialect::Postgres;

    async fn live(&mut self, table: &str) -> Result<Option<LiveTable>> {
        crate::kinds::catalog::live_postgres(self, table).await
    }

    async fn recorded(&mut self, kind: &str) -> Result<Vec<Recorded>> {
        crate::kinds::catalog::recorded_postgres(self, kind).await
    }

    async fn script(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        // Postgres's simple protocol runs every statement of a query without arguments.
        sqlx::Executor::execute(&mut *self, sql).await.map(drop)
    }

    async fn statement(&mut self, statement: Statement) -> Result<()> {
        crate::exec::pg::run(&mut *self, statement).await.map(drop)
    }
}

#[cfg(feature = "sqlite")]
impl StepConnection for sqlx::SqliteConnection {
    const DIALECT: Dialect = Dialect::Sqlite;

    async fn live(&mut self, table: &str) -> Result<Option<LiveTable>> {
        crate::kinds::catalog::live_sqlite(self, table).await
    }

    async fn recorded(&mut self, kind: &str) -> Result<Vec<Recorded>> {
        crate::kinds::catalog::recorded_sqlite(self, kind).await
    }

    async fn script(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        // SQLite runs the statements of a query without arguments one after the other.
        sqlx::Executor::execute(&mut *self, sql).await.map(drop)
    }

    async fn statement(&mut self, statement: Statement) -> Result<()> {
        crate::exec::sqlite::run(&mut *self, statement)
            .await
            .map(drop)
    }
}

/// Applies `kinds` on Postgres, each in its own transaction under an advisory lock on its
/// table (concurrent starts of several instances wait there), after the built-in migrations.
#[cfg(feature = "postgres")]
pub(crate) async fn run_postgres(
    pool: &sqlx::PgPool,
    kinds: &[KindSchema],
) -> Result<Vec<KindOutcome>> {
    let mut outcomes = Vec::new();
    for schema in kinds {
        let mut tx = pool.begin().await?;
        // An index over a large table may take minutes.
        sqlx::query("SET LOCAL statement_timeout = 0")
            .execute(&mut *tx)
            .await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(schema.table)
            .execute(&mut *tx)
            .await?;
        outcomes.push(step(&mut *tx, schema).await?);
        tx.commit().await?;
    }
    Ok(outcomes)
}

/// Applies `kinds` on SQLite, each in its own transaction, after the built-in migrations.
#[cfg(feature = "sqlite")]
pub(crate) async fn run_sqlite(
    pool: &sqlx::SqlitePool,
    kinds: &[KindSchema],
) -> Result<Vec<KindOutcome>> {
    let mut outcomes = Vec::new();
    for schema in kinds {
        let mut tx = pool.begin().await?;
        outcomes.push(step(&mut *tx, schema).await?);
        tx.commit().await?;
    }
    Ok(outcomes)
}
