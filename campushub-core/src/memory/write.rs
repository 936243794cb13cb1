//! Writes: insert, update and delete with the uniqueness, reference and version rules. Every
//! check runs before anything changes, so a refused write leaves the store as it was.

use uuid::Uuid;

use super::state::State;
use crate::entity::Entity;
use crate::error::{Error, Result, ValidationErrors};

impl State {
    /// Stores a new record; returns the commit position.
    pub(super) fn insert<E: Entity>(&mut self, entity: &E) -> Result<u64> {
        let id = entity.meta().id;
        if self.exists(E::KIND, id) {
            return Err(Error::conflict(
                "id",
                format!("a {} with id {id} already exists", E::KIND),
            ));
        }
        self.check_unique(entity, None)?;
        self.check_references(entity)?;
        let table = self.table_mut::<E>()?;
        for pair in entity.unique_values() {
            table.unique.insert(pair, id);
        }
        table.references.insert(id, entity.references());
        table.rows_mut::<E>()?.insert(id, entity.clone());
        Ok(self.commit())
    }

    /// Replaces a record whose stored version is `expected_version`; returns the commit
    /// position.
    pub(super) fn update<E: Entity>(&mut self, entity: &E, expected_version: i64) -> Result<u64> {
        let id = entity.meta().id;
        self.check_version::<E>(id, expected_version)?;
        self.check_unique(entity, Some(id))?;
        self.check_references(entity)?;
        let table = self.table_mut::<E>()?;
        table.unique.retain(|_, holder| *holder != id);
        for pair in entity.unique_values() {
            table.unique.insert(pair, id);
        }
        table.references.insert(id, entity.references());
        table.rows_mut::<E>()?.insert(id, entity.clone());
        Ok(self.commit())
    }

    /// Removes a record whose stored version is `expected_version` and that nothing
    /// references; returns the commit position.
    pub(super) fn delete<E: Entity>(&mut self, id: Uuid, expected_version: i64) -> Result<u64> {
        self.check_version::<E>(id, expected_version)?;
        if let Some((kind, reference)) = self.referrer(E::KIND, id) {
            return Err(Error::conflict(
                "id",
                format!(
                    "this {} is still referenced by {kind} {} through `{}`",
                    E::KIND,
                    reference.id,
                    reference.field
                ),
            ));
        }
        let table = self.table_mut::<E>()?;
        table.unique.retain(|_, holder| *holder != id);
        table.references.remove(&id);
        table.rows_mut::<E>()?.remove(&id);
        Ok(self.commit())
    }

    /// Refuses a missing record or a stale expected version.
    fn check_version<E: Entity>(&self, id: Uuid, expected_version: i64) -> Result<()> {
        let stored = self
            .table::<E>()?
            .and_then(|(_, rows)| rows.get(&id))
            .ok_or_else(|| Error::not_found(E::KIND, id))?;
        let actual = stored.meta().version;
        if actual == expected_version {
            Ok(())
        } else {
            Err(Error::PreconditionFailed {
                expected: expected_version,
                actual,
            })
        }
    }

    /// Refuses a unique value held by another record than `own`.
    fn check_unique<E: Entity>(&self, entity: &E, own: Option<Uuid>) -> Result<()> {
        let Some((table, _)) = self.table::<E>()? else {
            return Ok(());
        };
        for pair in entity.unique_values() {
            match table.unique.get(&pair) {
                Some(holder) if Some(*holder) != own => {
                    return Err(Error::conflict(
                        pair.0,
                        format!("another {} already has this {}", E::KIND, pair.0),
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Refuses references to records that do not exist, naming each referencing field.
    fn check_references<E: Entity>(&self, entity: &E) -> Result<()> {
        let mut errors = ValidationErrors::new();
        for reference in entity.references() {
            if !self.exists(reference.kind, reference.id) {
                errors.add(
                    reference.field,
                    format!("no {} with id {} exists", reference.kind, reference.id),
                );
            }
        }
        errors.into_unprocessable()
    }
}
