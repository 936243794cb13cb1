//! Applying the kinds' schemas: per kind, in one transaction, create the table or run the
//! pending hand-written migrations and the additive changes, then record what was applied.

use crate::backend::Dialect;
use crate::error::{Error, Result};
use crate::kinds::{plan, KindOutcome, KindSchema};

/// What a kind's step runs once the catalog is read: the generated statements, and the
/// hand-written migrations to run (`true`) or to record as already applied (`false`).
struct Step<'a> {
    statements: Vec<String>,
    migrations: Vec<(&'a crate::kinds::KindMigration, bool)>,
}

/// The failure of `statement` of `schema`'s step.
fn failed(schema: &KindSchema, statement: &str) -> impl FnOnce(sqlx::Error) -> Error {
    let (kind, statement) = (schema.kind.to_owned(), statement.to_owned());
    move |source| Error::KindStatement {
        kind,
        statement,
        source,
    }
}

/// The outcome of a step that ran.
fn outcome(schema: &KindSchema, created: bool, step: &Step<'_>) -> KindOutcome {
    KindOutcome {
        kind: schema.kind.to_owned(),
        created,
        migrations: step
            .migrations
            .iter()
            .filter(|(_, ran)| *ran)
            .map(|(m, _)| m.version)
            .collect(),
        statements: step.statements.clone(),
    }
}

/// Applies `kinds` on Postgres, each in its own transaction under an advisory lock on its
/// table (concurrent starts of several instances wait there), after the built-in migrations.
#[cfg(feature = "postgres")]
pub(crate) async fn run_postgres(
    pool: &sqlx::PgPool,
    kinds: &[KindSchema],
) -> Result<Vec<KindOutcome>> {
    use crate::kinds::catalog::{live_postgres, recorded_postgres};
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
        let recorded = recorded_postgres(&mut tx, schema.kind).await?;
        let pending = plan::pending(schema, &recorded)?;
        let live = live_postgres(&mut tx, schema.table).await?;
        let created = live.is_none();
        let mut step = Step {
            statements: Vec::new(),
            migrations: pending.iter().map(|m| (*m, !created)).collect(),
        };
        if created {
            step.statements = (schema.create)(Dialect::Postgres);
        } else {
            for (migration, _) in &step.migrations {
                sqlx::raw_sql(&migration.sql)
                    .execute(&mut *tx)
                    .await
                    .map_err(failed(schema, &migration.sql))?;
            }
            let live = live_postgres(&mut tx, schema.table)
                .await?
                .unwrap_or_default();
            step.statements = plan::evolve(schema, Dialect::Postgres, &live)
                .map_err(|changes| schema.drift(changes))?;
        }
        for statement in &step.statements {
            sqlx::query(statement)
                .execute(&mut *tx)
                .await
                .map_err(failed(schema, statement))?;
        }
        for (migration, ran) in &step.migrations {
            sqlx::query(
                "INSERT INTO campushub_kind_migrations (kind, version, hash, ran) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(schema.kind)
            .bind(migration.version)
            .bind(migration.hash())
            .bind(ran)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO campushub_kind_schemas (kind, table_name, description, hash) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (kind) DO UPDATE SET \
             table_name = excluded.table_name, description = excluded.description, \
             hash = excluded.hash, applied_at = now() \
             WHERE campushub_kind_schemas.hash <> excluded.hash",
        )
        .bind(schema.kind)
        .bind(schema.table)
        .bind(schema.description(Dialect::Postgres))
        .bind(schema.hash(Dialect::Postgres))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        outcomes.push(outcome(schema, created, &step));
    }
    Ok(outcomes)
}

/// Applies `kinds` on SQLite, each in its own transaction, after the built-in migrations.
#[cfg(feature = "sqlite")]
pub(crate) async fn run_sqlite(
    pool: &sqlx::SqlitePool,
    kinds: &[KindSchema],
) -> Result<Vec<KindOutcome>> {
    use crate::kinds::catalog::{live_sqlite, recorded_sqlite};
    let mut outcomes = Vec::new();
    for schema in kinds {
        let mut tx = pool.begin().await?;
        let recorded = recorded_sqlite(&mut tx, schema.kind).await?;
        let pending = plan::pending(schema, &recorded)?;
        let live = live_sqlite(&mut tx, schema.table).await?;
        let created = live.is_none();
        let mut step = Step {
            statements: Vec::new(),
            migrations: pending.iter().map(|m| (*m, !created)).collect(),
        };
        if created {
            step.statements = (schema.create)(Dialect::Sqlite);
        } else {
            for (migration, _) in &step.migrations {
                sqlx::raw_sql(&migration.sql)
                    .execute(&mut *tx)
                    .await
                    .map_err(failed(schema, &migration.sql))?;
            }
            let live = live_sqlite(&mut tx, schema.table)
                .await?
                .unwrap_or_default();
            step.statements = plan::evolve(schema, Dialect::Sqlite, &live)
                .map_err(|changes| schema.drift(changes))?;
        }
        for statement in &step.statements {
            sqlx::query(statement)
                .execute(&mut *tx)
                .await
                .map_err(failed(schema, statement))?;
        }
        for (migration, ran) in &step.migrations {
            sqlx::query(
                "INSERT INTO campushub_kind_migrations (kind, version, hash, ran) \
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .bind(schema.kind)
            .bind(migration.version)
            .bind(migration.hash())
            .bind(ran)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO campushub_kind_schemas (kind, table_name, description, hash) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (kind) DO UPDATE SET \
             table_name = excluded.table_name, description = excluded.description, \
             hash = excluded.hash, \
             applied_at = CAST(unixepoch('subsec') * 1000000 AS INTEGER) \
             WHERE campushub_kind_schemas.hash <> excluded.hash",
        )
        .bind(schema.kind)
        .bind(schema.table)
        .bind(schema.description(Dialect::Sqlite))
        .bind(schema.hash(Dialect::Sqlite))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        outcomes.push(outcome(schema, created, &step));
    }
    Ok(outcomes)
}
