//! Hooks that run inside a write's own transaction, after its statements and before its
//! commit: the place for an application's check that must see the write as it will be
//! committed (and veto it), or for a row of its own that must commit with the change or not
//! at all.
//!
//! Delivery of a change has three forms in CampusHub; a hook picks the one its job needs:
//!
//! | form | registered on | runs | can veto | survives a crash |
//! |---|---|---|---|---|
//! | in the transaction | [`SqlRepository::with_transaction_hook`] | before the commit, on its connection | yes | it is the commit |
//! | after the commit, in process | `EntityServiceBuilder::hook` | after the commit, before the answer | no | no |
//! | after the commit, from the outbox | [`OutboxRelay::hook`](crate::OutboxRelay) | at least once, in commit order per record | no | yes |
//!
//! The changes a hook sees carry the actor and the request id when the write is audited (the
//! service's default): they come from the write's audit entry. Their token is `None`: the
//! transaction has not committed yet.

use std::sync::Arc;

use async_trait::async_trait;
use campushub_core::{AuditEntry, ChangeEvent, ChangeOp, EntityKind};
use uuid::Uuid;

use crate::backend::{Dialect, Statement, StatementResult, WriteTx};
use crate::error::Result;

/// A hook run inside every write transaction of one [`SqlRepository`](crate::SqlRepository):
/// single-row writes and each pass of a batch.
///
/// An `Err` rolls the transaction back (nothing of the write, its audit entries or its
/// outbox rows is kept) and is what the caller gets, unchanged: return
/// [`campushub_core::Error::Conflict`] or [`campushub_core::Error::Unprocessable`] for a
/// refusal the client should see as such. A vetoed batch is vetoed whole, whatever its
/// [`BatchMode`](campushub_core::BatchMode).
///
/// The hook holds the write's row locks while it runs: keep it short, and do not wait on
/// another connection that may need those rows (run what it needs to read through `tx`).
#[async_trait]
pub trait TransactionHook: Send + Sync {
    /// Called once per transaction that changed rows, with its changes in the order of
    /// the write's rows.
    async fn before_commit(
        &self,
        tx: &mut HookTx<'_>,
        changes: &[ChangeEvent],
    ) -> campushub_core::Result<()>;
}

#[async_trait]
impl<H: TransactionHook + ?Sized> TransactionHook for Arc<H> {
    async fn before_commit(
        &self,
        tx: &mut HookTx<'_>,
        changes: &[ChangeEvent],
    ) -> campushub_core::Result<()> {
        (**self).before_commit(tx, changes).await
    }
}

/// The write's transaction as a hook may use it: statements run on its connection and
/// commit or roll back with the write. Committing and rolling back are the repository's.
pub struct HookTx<'a> {
    tx: &'a mut dyn WriteTx,
    dialect: Dialect,
}

impl<'a> HookTx<'a> {
    pub(crate) fn new(tx: &'a mut dyn WriteTx, dialect: Dialect) -> Self {
        HookTx { tx, dialect }
    }

    /// The dialect statements must be written in.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Runs `statement` in the write's transaction.
    ///
    /// # Errors
    /// The database's error. A failed statement on Postgres aborts the transaction: return
    /// an error from the hook then (the write is rolled back either way).
    pub async fn run(&mut self, statement: Statement) -> Result<StatementResult> {
        self.tx.run(statement).await
    }
}

impl std::fmt::Debug for HookTx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HookTx")
            .field("dialect", &self.dialect)
            .finish_non_exhaustive()
    }
}

/// The hooks of one repository, run in registration order; the first error stops them.
#[derive(Clone, Default)]
pub(crate) struct TransactionHooks(Vec<Arc<dyn TransactionHook>>);

impl TransactionHooks {
    pub(crate) fn push(&mut self, hook: Arc<dyn TransactionHook>) {
        self.0.push(hook);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Runs every hook on `changes` in `tx` (nothing when no row changed).
    pub(crate) async fn run(
        &self,
        tx: &mut dyn WriteTx,
        dialect: Dialect,
        changes: &[ChangeEvent],
    ) -> campushub_core::Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut tx = HookTx::new(tx, dialect);
        for hook in &self.0 {
            hook.before_commit(&mut tx, changes).await?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for TransactionHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} transaction hooks", self.0.len())
    }
}

/// The change a write transaction is about to commit to record `id` of `kind`: its version
/// after the write (a deletion's is the deleted version + 1, as in every [`ChangeEvent`]),
/// attributed from `entry` when the write is audited.
pub(crate) fn pending_change(
    kind: EntityKind,
    id: Uuid,
    op: ChangeOp,
    version: i64,
    entry: Option<&AuditEntry>,
) -> ChangeEvent {
    ChangeEvent {
        actor: entry.map(|entry| entry.actor.subject.clone()),
        request_id: entry.and_then(|entry| entry.request_id.clone()),
        ..ChangeEvent::new(kind, id, op, version)
    }
}
