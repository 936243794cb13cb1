//! Writes on the primary: one statement alone, several in one transaction, or a guarded
//! transaction that takes an advisory lock and runs its check before writing; then the
//! commit's token.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use campushub_core::ConsistencyToken;
use sqlx::{Postgres, Transaction};

use super::pools::{PgPoolHandle, PgPools};
use super::positions::COMMIT_POSITION;
use crate::backend::{Guarded, Statement, StatementResult, WriteGuard, WriteTx};
use crate::error::Result;
use crate::exec::pg::run;
use crate::value::{ColType, SqlValue};

/// Takes the guard's lock, held until the transaction ends (commit or rollback).
const ADVISORY_LOCK: &str = "SELECT pg_advisory_xact_lock($1)";

/// Runs `statements` on one connection of `primary`: a lone unguarded statement by itself,
/// anything else in one transaction, which begins with `guard`'s lock and check when there
/// is one (and ends there, rolled back, if the check returns rows).
pub(super) async fn commit(
    primary: &PgPoolHandle,
    guard: Option<WriteGuard>,
    statements: Vec<Statement>,
) -> Result<Guarded> {
    let started = Instant::now();
    let mut conn = primary
        .pool
        .acquire()
        .await
        .inspect_err(|_| primary.counters.error())?;
    // The wait for the connection is the first statement's.
    let mut wait = started.elapsed();
    let mut results = Vec::with_capacity(statements.len());
    if guard.is_none() && statements.len() == 1 {
        for statement in statements {
            let waited = std::mem::take(&mut wait);
            results.push(counted(primary, waited, &mut *conn, statement).await?);
        }
    } else {
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        if let Some(WriteGuard { lock, check }) = guard {
            let lock = Statement {
                sql: ADVISORY_LOCK.into(),
                args: vec![SqlValue::Int(Some(lock))],
                returns: Vec::new(),
            };
            let waited = std::mem::take(&mut wait);
            counted(primary, waited, &mut *tx, lock).await?;
            let refusals = counted(primary, Duration::ZERO, &mut *tx, check).await?;
            if !refusals.rows.is_empty() {
                tx.rollback().await?;
                return Ok(Guarded::Refused(refusals.rows));
            }
        }
        for statement in statements {
            let waited = std::mem::take(&mut wait);
            results.push(counted(primary, waited, &mut *tx, statement).await?);
        }
        tx.commit().await?;
    }
    let token = match commit_position(primary, &mut *conn).await {
        Ok(token) => token,
        Err(error) => {
            // The write is committed; without a token the caller's reads go by route.
            tracing::warn!(%error, "could not read the commit position");
            None
        }
    };
    Ok(Guarded::Written(results, token))
}

/// A transaction on the primary ([`WriteTx`]).
pub(super) struct PgTx {
    pools: Arc<PgPools>,
    tx: Transaction<'static, Postgres>,
    /// The wait for the connection, reported as the first statement's.
    wait: Duration,
}

impl PgTx {
    /// Begins a transaction on `pools`' primary, taking the advisory lock `lock` first.
    pub(super) async fn begin(pools: Arc<PgPools>, lock: Option<i64>) -> Result<PgTx> {
        let started = Instant::now();
        let primary = &pools.primary;
        let tx = primary
            .pool
            .begin()
            .await
            .inspect_err(|_| primary.counters.error())?;
        let mut tx = PgTx {
            wait: started.elapsed(),
            pools,
            tx,
        };
        if let Some(lock) = lock {
            tx.run(Statement {
                sql: ADVISORY_LOCK.into(),
                args: vec![SqlValue::Int(Some(lock))],
                returns: Vec::new(),
            })
            .await?;
        }
        Ok(tx)
    }
}

#[async_trait]
impl WriteTx for PgTx {
    async fn run(&mut self, statement: Statement) -> Result<StatementResult> {
        let waited = std::mem::take(&mut self.wait);
        counted(&self.pools.primary, waited, &mut *self.tx, statement).await
    }

    async fn commit(self: Box<Self>) -> Result<Option<ConsistencyToken>> {
        let PgTx { pools, tx, .. } = *self;
        tx.commit().await?;
        let primary = &pools.primary;
        match primary.pool.acquire().await {
            Ok(mut conn) => Ok(commit_position(primary, &mut *conn)
                .await
                .inspect_err(|error| tracing::warn!(%error, "could not read the commit position"))
                .ok()
                .flatten()),
            Err(error) => {
                // The write is committed; without a token the caller's reads go by route.
                tracing::warn!(%error, "could not read the commit position");
                Ok(None)
            }
        }
    }

    async fn rollback(self: Box<Self>) -> Result<()> {
        Ok(self.tx.rollback().await?)
    }
}

/// Runs `statement` on `executor`, counted on `primary`.
async fn counted<'c, X>(
    primary: &PgPoolHandle,
    waited: Duration,
    executor: X,
    statement: Statement,
) -> Result<StatementResult>
where
    X: sqlx::Executor<'c, Database = sqlx::Postgres>,
{
    let sql = Arc::clone(&statement.sql);
    primary
        .counters
        .counted(&sql, waited, run(executor, statement))
        .await
}

/// The primary's WAL insert position, read on `executor` (one counted statement): at or past
/// every commit that finished before it, which makes it a read-your-writes token.
pub(super) async fn commit_position<'c, X>(
    primary: &PgPoolHandle,
    executor: X,
) -> Result<Option<ConsistencyToken>>
where
    X: sqlx::Executor<'c, Database = sqlx::Postgres>,
{
    let position = Statement {
        sql: COMMIT_POSITION.into(),
        args: Vec::new(),
        returns: vec![ColType::Int],
    };
    let result = counted(primary, Duration::ZERO, executor, position).await?;
    Ok(first_int(result)
        .and_then(|p| u64::try_from(p).ok())
        .map(ConsistencyToken::from_position))
}

/// The first column of the first row, as an integer.
pub(super) fn first_int(result: StatementResult) -> Option<i64> {
    match result.rows.first()?.first()? {
        SqlValue::Int(value) => *value,
        _ => None,
    }
}
