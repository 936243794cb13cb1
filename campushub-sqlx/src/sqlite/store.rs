//! [`SqliteStore`]: the embedded database, serving every route from its one pool.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use campushub_core::{ConsistencyToken, ReadOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{Sqlite, Transaction};

use crate::backend::{Backend, Dialect, Guarded, Statement, StatementResult, WriteGuard, WriteTx};
use crate::counter::{PoolCounters, PoolStats};
use crate::error::Result;
use crate::exec::sqlite::run;
use crate::pool_check::tested_when_idle;
use crate::value::SqlValue;

/// An SQLite database: the primary only (every read route is served by it).
///
/// Consistency tokens are a process-local commit counter: every write returns a larger one,
/// and any read satisfies any token, since there is one copy of the data.
#[derive(Clone, Debug)]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub struct SqliteStore {
    pool: SqlitePool,
    counters: Arc<PoolCounters>,
    commits: Arc<AtomicU64>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://campushub.db`,
    /// `sqlite::memory:`), with foreign keys on and, for files, WAL journaling.
    ///
    /// An in-memory database lives in one connection that is never closed.
    pub async fn connect(url: &str) -> Result<SqliteStore> {
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        let mut options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // `REGEXP` (the `regex` crate): case-insensitive matching beyond ASCII, which
            // SQLite's `LIKE` does not fold.
            .with_regexp();
        if !memory {
            options = options.journal_mode(SqliteJournalMode::Wal);
        }
        let pool = tested_when_idle(SqlitePoolOptions::new())
            .max_connections(if memory { 1 } else { 8 })
            .min_connections(if memory { 1 } else { 0 })
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        Ok(SqliteStore {
            pool,
            counters: Arc::new(PoolCounters::new("sqlite", "sqlite")),
            commits: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Opens a private in-memory database and applies the migrations.
    pub async fn memory() -> Result<SqliteStore> {
        let store = Self::connect("sqlite::memory:").await?;
        store.migrate().await?;
        Ok(store)
    }

    /// The pool.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Sets the duration above which a statement is reported (a `warn` event with its text,
    /// duration and pool, inside the caller's span) and counted in
    /// [`PoolStats::slow_statements`]; `None` reports none. A store starts with
    /// [`DEFAULT_SLOW_STATEMENT`](crate::DEFAULT_SLOW_STATEMENT).
    pub fn set_slow_statement_threshold(&self, threshold: Option<Duration>) {
        self.counters.set_slow_threshold(threshold);
    }

    /// Applies the crate's SQLite migrations.
    pub async fn migrate(&self) -> Result<()> {
        crate::migrate::migrate_sqlite(&self.pool).await
    }

    /// Creates the table of an application's kind `E` from its description, unless it
    /// exists (see [`crate::migrate::migrate_kind_sqlite`]).
    pub async fn migrate_kind<E: crate::SqlEntity>(&self) -> Result<()> {
        crate::migrate::migrate_kind_sqlite::<E>(&self.pool).await
    }

    /// Runs `statement` on a connection of the pool, observed (the wait for it included).
    async fn run_pooled(&self, statement: Statement) -> Result<StatementResult> {
        let sql = Arc::clone(&statement.sql);
        self.counters
            .counted_on(&self.pool, &sql, |mut connection| async move {
                run(&mut *connection, statement).await
            })
            .await
    }

    fn token(&self) -> ConsistencyToken {
        ConsistencyToken::from_position(self.commits.fetch_add(1, Ordering::AcqRel) + 1)
    }
}

#[async_trait]
impl Backend for SqliteStore {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn reads_beside_writes(&self) -> bool {
        self.pool.options().get_max_connections() > 1
    }

    async fn fetch(&self, statement: Statement, _read: &ReadOptions) -> Result<Vec<Vec<SqlValue>>> {
        let result = self.run_pooled(statement).await?;
        self.counters.read();
        Ok(result.rows)
    }

    async fn write(
        &self,
        statements: Vec<Statement>,
    ) -> Result<(Vec<StatementResult>, Option<ConsistencyToken>)> {
        let mut results = Vec::with_capacity(statements.len());
        if statements.len() == 1 {
            for statement in statements {
                results.push(self.run_pooled(statement).await?);
            }
        } else {
            let started = Instant::now();
            let mut tx = self.pool.begin().await?;
            // The wait for the transaction's connection is the first statement's.
            let mut wait = started.elapsed();
            for statement in statements {
                let sql = Arc::clone(&statement.sql);
                let waited = std::mem::take(&mut wait);
                results.push(
                    self.counters
                        .counted(&sql, waited, run(&mut *tx, statement))
                        .await?,
                );
            }
            tx.commit().await?;
        }
        Ok((results, Some(self.token())))
    }

    async fn write_guarded(
        &self,
        guard: WriteGuard,
        statements: Vec<Statement>,
    ) -> Result<Guarded> {
        let started = Instant::now();
        // `IMMEDIATE`: the write lock is taken now, before the check reads, so no other
        // write commits between the check and this one (SQLite has one writer at a time).
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let check = guard.check;
        let sql = Arc::clone(&check.sql);
        let refusals = self
            .counters
            .counted(&sql, started.elapsed(), run(&mut *tx, check))
            .await?;
        if !refusals.rows.is_empty() {
            tx.rollback().await?;
            return Ok(Guarded::Refused(refusals.rows));
        }
        let mut results = Vec::with_capacity(statements.len());
        for statement in statements {
            let sql = Arc::clone(&statement.sql);
            results.push(
                self.counters
                    .counted(&sql, Duration::ZERO, run(&mut *tx, statement))
                    .await?,
            );
        }
        tx.commit().await?;
        Ok(Guarded::Written(results, Some(self.token())))
    }

    async fn begin(&self, _lock: Option<i64>) -> Result<Box<dyn WriteTx>> {
        // `IMMEDIATE`: the write lock, which any lock asked for amounts to (SQLite has one
        // writer at a time), is taken now rather than at the first write.
        let started = Instant::now();
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok(Box::new(SqliteTx {
            store: self.clone(),
            tx,
            wait: started.elapsed(),
        }))
    }

    fn pool_stats(&self) -> Vec<PoolStats> {
        vec![self.counters.snapshot(&self.pool)]
    }
}

/// A transaction of a [`SqliteStore`] ([`WriteTx`]).
struct SqliteTx {
    store: SqliteStore,
    tx: Transaction<'static, Sqlite>,
    /// The wait for the connection, reported as the first statement's.
    wait: Duration,
}

#[async_trait]
impl WriteTx for SqliteTx {
    async fn run(&mut self, statement: Statement) -> Result<StatementResult> {
        let sql = Arc::clone(&statement.sql);
        let waited = std::mem::take(&mut self.wait);
        self.store
            .counters
            .counted(&sql, waited, run(&mut *self.tx, statement))
            .await
    }

    async fn commit(self: Box<Self>) -> Result<Option<ConsistencyToken>> {
        let SqliteTx { store, tx, .. } = *self;
        tx.commit().await?;
        Ok(Some(store.token()))
    }

    async fn rollback(self: Box<Self>) -> Result<()> {
        Ok(self.tx.rollback().await?)
    }
}
