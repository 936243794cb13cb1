//! The steps every write shares: re-reading the current record, validating a record about to
//! be written, and announcing committed changes.

use uuid::Uuid;

use super::EntityService;
use crate::auth::Principal;
use crate::custom_fields::{apply_custom_fields, CustomFieldDef};
use crate::entity::Entity;
use crate::error::{Error, Result, ValidationErrors};
use crate::event::{ChangeEvent, ChangeOp};
use crate::repository::{ReadOptions, ReadRoute};

impl<E: Entity> EntityService<E> {
    /// Reads on the primary, which every write's re-read and lookups use.
    pub(super) fn primary() -> ReadOptions {
        ReadOptions::default().on(ReadRoute::Primary)
    }

    /// The stored record `id`, read on the primary, checked against `expected_version`.
    pub(super) async fn current(&self, id: Uuid, expected_version: Option<i64>) -> Result<E> {
        let current = self
            .inner
            .repository
            .get(id, &Self::primary())
            .await?
            .ok_or_else(|| Error::not_found(E::KIND, id))?;
        check_version(current.meta().version, expected_version)?;
        Ok(current)
    }

    /// Records every problem of `record` in `errors`: the kind's own rules, its custom fields
    /// against `definitions` (defaults are filled in), then the application rules.
    ///
    /// `Err` only when a check itself failed (a rule's lookup).
    pub(super) async fn check_record(
        &self,
        principal: &Principal,
        record: &mut E,
        previous: Option<&E>,
        definitions: &[CustomFieldDef],
        errors: &mut ValidationErrors,
    ) -> Result<()> {
        record.validate(errors);
        if let Some(values) = record.custom_fields_mut() {
            apply_custom_fields(values, definitions, errors);
        }
        for rules in &self.inner.rules {
            rules.validate(principal, record, previous, errors).await?;
        }
        Ok(())
    }

    /// [`EntityService::check_record`] for a single write: the definitions are read on the
    /// primary, and any problem is returned as [`Error::Unprocessable`]: the body had the
    /// declared shape (that was checked when it was decoded), so what is left are rules.
    pub(super) async fn validate_for_write(
        &self,
        principal: &Principal,
        record: &mut E,
        previous: Option<&E>,
    ) -> Result<()> {
        let definitions = self.write_definitions().await?;
        let mut errors = ValidationErrors::new();
        self.check_record(principal, record, previous, &definitions, &mut errors)
            .await?;
        errors.into_unprocessable()
    }

    /// The definitions writes validate against: read on the primary, so a definition that
    /// was just created applies to the next write.
    pub(super) async fn write_definitions(&self) -> Result<Vec<CustomFieldDef>> {
        self.definitions(&Self::primary()).await
    }

    /// Announces committed changes, one event at a time: the cache is invalidated first, then
    /// every hook runs, then every rule's `after_commit`.
    pub(super) async fn emit(
        &self,
        principal: &Principal,
        events: impl IntoIterator<Item = ChangeEvent>,
    ) {
        for event in events {
            self.inner.cache.invalidate(&event).await;
            for hook in &self.inner.hooks {
                hook.on_change(&event).await;
            }
            for rules in &self.inner.rules {
                rules.after_commit(principal, &event).await;
            }
        }
    }

    /// The event for a committed change to `record`. For a deletion, pass the deleted
    /// record: the event carries its version + 1.
    pub(super) fn event(
        &self,
        record: &E,
        op: ChangeOp,
        token: Option<crate::ConsistencyToken>,
    ) -> ChangeEvent {
        let version = record.meta().version;
        ChangeEvent {
            kind: E::KIND,
            id: record.meta().id,
            op,
            version: if op == ChangeOp::Deleted {
                version + 1
            } else {
                version
            },
            token,
            embedded_in: self.inner.embedded_in,
        }
    }
}

/// `Err(PreconditionFailed)` when the caller expected another version than the stored one.
/// `current` with `input` applied by `actor`, under the metadata of its next version: the
/// version read plus one, which is how an update names the version it expects.
pub(super) fn updated<E: Entity>(current: &E, input: E::Create, actor: &str) -> E {
    let mut record = current.clone();
    record.apply_input(input, actor);
    *record.meta_mut() = current.meta().next();
    record
}

pub(super) fn check_version(actual: i64, expected: Option<i64>) -> Result<()> {
    match expected {
        Some(expected) if expected != actual => Err(Error::PreconditionFailed { expected, actual }),
        _ => Ok(()),
    }
}
