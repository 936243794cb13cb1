//! Single-row writes: insert, update and delete with the version check in the `WHERE`.

use campushub_core::{AuditEntry, ChangeOp, Error, Result, Written};
use uuid::Uuid;

use super::checks::primary;
use super::errors::WriteKind;
use super::hierarchy::{the_refusal, Link, Outcome};
use super::SqlRepository;
use crate::audit::audited;
use crate::backend::{Backend, Statement};
use crate::table::SqlEntity;
use crate::transaction_hook::pending_change;
use crate::value::SqlValue;

impl<E: SqlEntity, B: Backend> SqlRepository<E, B> {
    /// `statement`, followed by the storing of `entry` when there is one (see
    /// [`crate::audit`]).
    fn with_entry(&self, statement: Statement, entry: Option<&AuditEntry>) -> Vec<Statement> {
        match entry {
            Some(entry) => audited(self.backend.dialect(), statement, entry),
            None => vec![statement],
        }
    }

    pub(super) async fn insert_one(
        &self,
        entity: &E,
        entry: Option<&AuditEntry>,
    ) -> Result<Written> {
        let values = self.table.row_values(entity)?;
        let links: Vec<Link> = self.link(&values).into_iter().collect();
        let statement = self.table.insert(vec![values]);
        let meta = entity.meta();
        let change = pending_change(E::KIND, meta.id, ChangeOp::Created, meta.version, entry);
        match self
            .write_links(&links, self.with_entry(statement, entry), change)
            .await
        {
            Ok(Outcome::Written(_, token)) => Ok(Written { token }),
            Ok(Outcome::Refused(errors)) => Err(the_refusal(errors)),
            Ok(Outcome::Vetoed(veto)) => Err(veto),
            Err(error) => Err(self.write_error(error, WriteKind::Store(entity)).await),
        }
    }

    pub(super) async fn update_one(
        &self,
        entity: &E,
        expected_version: i64,
        entry: Option<&AuditEntry>,
    ) -> Result<Written> {
        let values = self.table.row_values(entity)?;
        let links: Vec<Link> = self.link(&values).into_iter().collect();
        let statement = self.table.update(values, expected_version);
        let meta = entity.meta();
        let change = pending_change(E::KIND, meta.id, ChangeOp::Updated, meta.version, entry);
        match self
            .write_links(&links, self.with_entry(statement, entry), change)
            .await
        {
            Ok(Outcome::Written(results, token)) if results.iter().any(|r| r.rows_affected > 0) => {
                Ok(Written { token })
            }
            Ok(Outcome::Written(..)) => {
                Err(self.version_error(entity.meta().id, expected_version).await)
            }
            Ok(Outcome::Refused(errors)) => Err(the_refusal(errors)),
            Ok(Outcome::Vetoed(veto)) => Err(veto),
            Err(error) => Err(self.write_error(error, WriteKind::Store(entity)).await),
        }
    }

    pub(super) async fn delete_one(
        &self,
        id: Uuid,
        expected_version: i64,
        entry: Option<&AuditEntry>,
    ) -> Result<Written> {
        let statement = self.table.delete(id, expected_version);
        let change = pending_change(E::KIND, id, ChangeOp::Deleted, expected_version + 1, entry);
        // A deletion stores no link: it cannot close a cycle.
        match self
            .write_links(&[], self.with_entry(statement, entry), change)
            .await
        {
            Ok(Outcome::Written(results, token)) if results.iter().any(|r| r.rows_affected > 0) => {
                Ok(Written { token })
            }
            Ok(Outcome::Vetoed(veto)) => Err(veto),
            Ok(_) => Err(self.version_error(id, expected_version).await),
            Err(error) => Err(self.write_error(error, WriteKind::Delete).await),
        }
    }

    /// Why a versioned write matched no row: the record is gone, or its version moved.
    pub(super) async fn version_error(&self, id: Uuid, expected: i64) -> Error {
        match self.stored_versions(&[id]).await {
            Ok(versions) => match versions.first() {
                Some((_, actual)) => Error::PreconditionFailed {
                    expected,
                    actual: *actual,
                },
                None => Error::not_found(E::KIND, id),
            },
            Err(error) => error,
        }
    }

    /// `(id, version)` of the stored records among `ids`, read on the primary.
    pub(super) async fn stored_versions(&self, ids: &[Uuid]) -> Result<Vec<(Uuid, i64)>> {
        let rows = self
            .backend
            .fetch(self.table.versions(ids), &primary())
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| match &row[..] {
                [SqlValue::Uuid(Some(id)), SqlValue::Int(Some(version))] => Some((*id, *version)),
                _ => None,
            })
            .collect())
    }
}
