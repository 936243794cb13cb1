//! An import's write session: one transaction kept open while the rows arrive a batch at a
//! time, committed at the end or rolled back at the first refused row.
//!
//! Each batch is checked as [`SqlRepository::insert_update_batch`] checks one (unique values
//! and references read on another connection first) and written as multi-row statements,
//! with its audit entries and the transaction hooks' rows (the outbox), in the session's
//! transaction. A row that fails rolls the whole session back at once; the batch is then
//! written again alone, row by row, in a transaction always rolled back, to name the rows
//! that fail and why (explaining reads, once the transactions have ended). The session
//! writes nothing more.

use async_trait::async_trait;
use campushub_core::repository::{BulkWritten, WriteSession};
use campushub_core::{AuditEntry, ConsistencyToken, Result};

use super::bulk::{finish, is_row_failure, run_all, Batch, BuildStatements, Plan};
use super::SqlRepository;
use crate::backend::{Backend, WriteTx};
use crate::table::SqlEntity;

/// The transaction of an import on `E`'s table.
pub(super) struct SqlWriteSession<'a, E, B> {
    repository: &'a SqlRepository<E, B>,
    tx: Tx,
}

/// Where a session's transaction is: begun at the first write, so that the checks of the
/// first batch run before it holds anything (on SQLite, the one write lock).
enum Tx {
    NotBegun,
    Open(Box<dyn WriteTx>),
    RolledBack,
}

impl<E: SqlEntity, B: Backend> SqlRepository<E, B> {
    /// A session on this table, or none where one cannot be held open: a database on a
    /// single connection (the checks between batches read), and a tree, whose cycle check
    /// runs under a lock taken when its transaction begins, against the batch's own rows.
    pub(super) async fn open_session(&self) -> Result<Option<Box<dyn WriteSession<E> + '_>>> {
        if E::hierarchy().is_some() || !self.backend.reads_beside_writes() {
            return Ok(None);
        }
        Ok(Some(Box::new(SqlWriteSession {
            repository: self,
            tx: Tx::NotBegun,
        })))
    }
}

impl<E: SqlEntity, B: Backend> SqlRepository<E, B> {
    /// The rows of `batch` that fail, found by writing its `pending` rows again in a
    /// transaction of their own, always rolled back: row by row under savepoints, as a
    /// single batch finds them. `error` is what the session's statement failed with; it is
    /// the answer when no row fails alone (the row clashed with an earlier batch's).
    async fn probe<F: BuildStatements>(
        &self,
        mut batch: Batch,
        plan: &Plan<'_, E, F>,
        pending: &[usize],
        error: crate::Error,
    ) -> Result<BulkWritten> {
        let mut tx = self.backend.begin(None).await?;
        let passed = self.run_pass(&mut *tx, &batch, plan, pending).await;
        tx.rollback().await?;
        let (overtaken, failed) = passed?;
        if overtaken.is_empty() && failed.is_empty() {
            return Err(error.into());
        }
        for (i, failure) in failed {
            batch.outcomes[i] = Some(self.write_error(failure, plan.rows.kind(i)).await);
        }
        self.explain_missed(&plan.keys, &overtaken, &mut batch.outcomes)
            .await?;
        Ok(batch.rolled_back())
    }
}

impl<E, B> SqlWriteSession<'_, E, B> {
    /// Rolls the transaction back (nothing when it was already).
    async fn abandon(&mut self) -> Result<()> {
        match std::mem::replace(&mut self.tx, Tx::RolledBack) {
            Tx::Open(tx) => Ok(tx.rollback().await?),
            Tx::NotBegun | Tx::RolledBack => Ok(()),
        }
    }
}

#[async_trait]
impl<E: SqlEntity, B: Backend> WriteSession<E> for SqlWriteSession<'_, E, B> {
    async fn write(
        &mut self,
        inserts: &[E],
        updates: &[(E, i64)],
        entries: Option<&[AuditEntry]>,
    ) -> Result<BulkWritten> {
        let repository = self.repository;
        let (mut batch, plan) = repository.store_plan(inserts, updates, entries);
        if matches!(self.tx, Tx::RolledBack) {
            return Ok(batch.rolled_back());
        }
        repository.check_inserts(&mut batch, inserts.len()).await?;
        if batch.failed() {
            self.abandon().await?;
            return Ok(batch.rolled_back());
        }
        if matches!(self.tx, Tx::NotBegun) {
            self.tx = Tx::Open(repository.backend.begin(None).await?);
        }
        let Tx::Open(tx) = &mut self.tx else {
            return Ok(batch.rolled_back());
        };
        let pending = batch.pending();
        // No savepoint: on Postgres each one is a subtransaction, and past 64 of them in one
        // transaction every snapshot overflows, which slowed the other connections' reads
        // (the next batches' checks) about twofold at 100,000 rows. A batch that fails is
        // rolled back with the session anyway; which rows failed is found by a probe.
        let values = |i: &usize| Some((*i, batch.rows[*i].clone()?));
        let statements = (plan.build)(pending.iter().filter_map(values).collect());
        let overtaken = match run_all(&mut **tx, statements).await {
            Ok(results) => repository.missed(&plan, &pending, results),
            Err(error) if is_row_failure(&error) => {
                self.abandon().await?;
                return repository.probe(batch, &plan, &pending, error).await;
            }
            Err(error) => {
                self.abandon().await?;
                return Err(error.into());
            }
        };
        if overtaken.is_empty() {
            if let Err(veto) = repository.record_pass(&mut **tx, &plan, &pending).await {
                self.abandon().await?;
                return Err(veto);
            }
            return Ok(finish(batch.outcomes, None));
        }
        // Explained once the transaction has ended, as a single batch's are.
        self.abandon().await?;
        repository
            .explain_missed(&plan.keys, &overtaken, &mut batch.outcomes)
            .await?;
        Ok(batch.rolled_back())
    }

    async fn commit(self: Box<Self>) -> Result<Option<ConsistencyToken>> {
        match self.tx {
            Tx::Open(tx) => Ok(tx.commit().await?),
            Tx::NotBegun | Tx::RolledBack => Ok(None),
        }
    }

    async fn rollback(mut self: Box<Self>) -> Result<()> {
        self.abandon().await
    }
}
