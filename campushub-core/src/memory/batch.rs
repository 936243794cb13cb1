//! Batch writes of the memory store: rows applied one by one under the store's write lock,
//! and undone in reverse order when an all-or-nothing batch meets a row that fails. No reader
//! sees a batch half-applied: reads wait for the lock.

use uuid::Uuid;

use super::state::State;
use crate::audit_log::AuditEntry;
use crate::consistency::ConsistencyToken;
use crate::entity::Entity;
use crate::error::Result;
use crate::repository::{same_length, BatchMode, BulkWritten};

/// One row of a batch.
pub(super) enum Change<'a, E> {
    /// Store a new record.
    Insert(&'a E),
    /// Replace the record stored at the version given.
    Update(&'a E, i64),
    /// Remove the record stored at the version given.
    Delete(Uuid, i64),
}

/// What restores the state before one applied row.
enum Undo<E> {
    /// Remove the record inserted (at this version).
    Remove(Uuid, i64),
    /// Put back the record replaced or removed (`Some(version)`: the version now stored).
    Restore(E, Option<i64>),
}

impl State {
    /// Applies `changes` as `mode` says (see [`crate::Repository::insert_many`]), each with
    /// its audit entry when `entries` holds one per change: the entries of applied rows are
    /// logged, and taken out again with the rows when the batch is rolled back.
    pub(super) fn apply_batch<E: Entity>(
        &mut self,
        changes: Vec<Change<'_, E>>,
        entries: Option<&[AuditEntry]>,
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        if let Some(entries) = entries {
            same_length(changes.len(), entries.len())?;
        }
        let logged = self.audit.len();
        let mut batch = BulkWritten::default();
        let mut undo = Vec::new();
        for (i, change) in changes.into_iter().enumerate() {
            // The inverse of the row, should it be applied.
            let (outcome, inverse) = match change {
                Change::Insert(entity) => (
                    self.insert(entity),
                    Some(Undo::Remove(entity.meta().id, entity.meta().version)),
                ),
                Change::Update(entity, expected) => {
                    let previous = self.stored::<E>(entity.meta().id)?;
                    let version = entity.meta().version;
                    (
                        self.update(entity, expected),
                        previous.map(|p| Undo::Restore(p, Some(version))),
                    )
                }
                Change::Delete(id, expected) => {
                    let previous = self.stored::<E>(id)?;
                    (
                        self.delete::<E>(id, expected),
                        previous.map(|p| Undo::Restore(p, None)),
                    )
                }
            };
            match outcome {
                Ok(position) => {
                    batch.token = Some(ConsistencyToken::from_position(position));
                    batch.rows.push(Ok(()));
                    undo.extend(inverse);
                    if let Some(entry) = entries.and_then(|entries| entries.get(i)) {
                        self.audit.push(entry.clone());
                    }
                }
                Err(error) => batch.rows.push(Err(error)),
            }
        }
        if mode == BatchMode::AllOrNothing && batch.rows.iter().any(Result::is_err) {
            for inverse in undo.into_iter().rev() {
                self.undo(inverse)?;
            }
            self.audit.truncate(logged);
            batch.token = None;
            batch.rolled_back = true;
        }
        Ok(batch)
    }

    /// A clone of the stored record `id` of `E`, if any.
    fn stored<E: Entity>(&self, id: Uuid) -> Result<Option<E>> {
        Ok(self
            .table::<E>()?
            .and_then(|(_, rows)| rows.get(&id))
            .cloned())
    }

    /// Reverts one applied row. Reverting in reverse order restores states that held
    /// before, so none of these checks can fail.
    fn undo<E: Entity>(&mut self, undo: Undo<E>) -> Result<()> {
        match undo {
            Undo::Remove(id, version) => self.delete::<E>(id, version).map(drop),
            Undo::Restore(previous, Some(current)) => self.update(&previous, current).map(drop),
            Undo::Restore(previous, None) => self.insert(&previous).map(drop),
        }
    }
}
