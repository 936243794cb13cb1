//! The backend trait: what the generic repository needs from a database (run a statement
//! on the right pool, run writes in one transaction and report the commit's token).

use std::sync::Arc;

use async_trait::async_trait;
use campushub_core::{ConsistencyToken, ReadOptions};

use crate::counter::PoolStats;
use crate::error::Result;
use crate::value::{ColType, SqlValue};

/// The SQL dialect a backend speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Postgres: `$n` placeholders, `ILIKE`, `jsonb`, arrays.
    Postgres,
    /// SQLite: `?` placeholders, `LIKE`, `json_extract`.
    Sqlite,
}

impl Dialect {
    /// The most values one statement may bind.
    pub const fn max_binds(self) -> usize {
        match self {
            Dialect::Postgres => 65_535,
            Dialect::Sqlite => 32_766,
        }
    }
}

/// One statement with its arguments and, for queries, the types of the selected columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The SQL text (placeholders in the backend's dialect); shared, so that the span and the
    /// slow-statement report about a statement keep it while the statement runs.
    pub sql: Arc<str>,
    /// The bound values, in placeholder order.
    pub args: Vec<SqlValue>,
    /// The selected columns' types (empty for statements that return nothing).
    pub returns: Vec<ColType>,
}

/// A statement's outcome.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatementResult {
    /// Rows inserted, updated or deleted.
    pub rows_affected: u64,
    /// Rows returned (`RETURNING`, queries).
    pub rows: Vec<Vec<SqlValue>>,
}

/// A check a write must pass, made inside the write's own transaction once a lock is held, so
/// that no other write taking the same lock changes what the check read before this write
/// commits.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteGuard {
    /// The lock: writes guarded by the same key run one at a time. Postgres takes a
    /// transaction-scoped advisory lock on it (`pg_advisory_xact_lock`), the transaction's
    /// first statement; SQLite, which has one writer at a time, begins the transaction
    /// `IMMEDIATE`, taking the write lock before the check reads.
    pub lock: i64,
    /// Runs once the lock is held; any row it returns refuses the write.
    pub check: Statement,
}

/// What a guarded write did.
#[derive(Debug, Clone, PartialEq)]
pub enum Guarded {
    /// The check returned nothing: the statements' outcomes and the commit's token.
    Written(Vec<StatementResult>, Option<ConsistencyToken>),
    /// The check returned these rows: the transaction was rolled back, nothing written.
    Refused(Vec<Vec<SqlValue>>),
}

/// A write transaction on the primary, begun by [`Backend::begin`]. Its statements run one
/// after another on one connection; nothing is visible to others before
/// [`WriteTx::commit`]. Dropped unfinished (an error returned early, a cancelled request), it
/// is rolled back.
///
/// Batch writes use it to decide between statements: run a batch, see which rows it touched,
/// set a savepoint, go row by row, and commit or roll back as the batch's mode says.
#[async_trait]
pub trait WriteTx: Send {
    /// Runs one statement in the transaction.
    async fn run(&mut self, statement: Statement) -> Result<StatementResult>;

    /// Commits; the commit's token.
    async fn commit(self: Box<Self>) -> Result<Option<ConsistencyToken>>;

    /// Rolls back: nothing the transaction ran is kept.
    async fn rollback(self: Box<Self>) -> Result<()>;
}

/// A database the generic repository runs on.
#[async_trait]
pub trait Backend: Clone + Send + Sync + 'static {
    /// The dialect statements are generated in.
    fn dialect(&self) -> Dialect;

    /// Runs a read, routed by `read` (route and freshness).
    async fn fetch(&self, statement: Statement, read: &ReadOptions) -> Result<Vec<Vec<SqlValue>>>;

    /// Runs `statements` on the primary, in one transaction when there are several, and
    /// returns their outcomes and the commit's token.
    async fn write(
        &self,
        statements: Vec<Statement>,
    ) -> Result<(Vec<StatementResult>, Option<ConsistencyToken>)>;

    /// Runs `statements` on the primary in one transaction that first takes `guard`'s lock
    /// and runs its check: if the check returns rows, nothing is written and they are
    /// returned (see [`WriteGuard`]).
    async fn write_guarded(&self, guard: WriteGuard, statements: Vec<Statement>)
        -> Result<Guarded>;

    /// Begins a write transaction on the primary that first takes `lock` when given (the
    /// lock of a [`WriteGuard`], held until the transaction ends).
    async fn begin(&self, lock: Option<i64>) -> Result<Box<dyn WriteTx>>;

    /// Whether a read can run while a write transaction is open: false for a database that
    /// lives in one connection (an in-memory SQLite), where the read would wait for the
    /// transaction's connection forever. Imports keep one transaction open across batches
    /// only where it is true.
    fn reads_beside_writes(&self) -> bool {
        true
    }

    /// Snapshots of the pools' counters.
    fn pool_stats(&self) -> Vec<PoolStats>;
}
