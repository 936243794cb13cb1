//! The steps every write shares: re-reading the current record (and again when another
//! writer got there first), validating a record about to be written, and announcing committed
//! changes.

use std::future::Future;

use uuid::Uuid;

use super::EntityService;
use crate::auth::Principal;
use crate::custom_fields::{apply_custom_fields, CustomFieldDef};
use crate::entity::Entity;
use crate::error::{Error, Result, ValidationErrors};
use crate::event::{ChangeEvent, ChangeOp};
use crate::precondition::Precondition;
use crate::repository::{ReadOptions, ReadRoute};

impl<E: Entity> EntityService<E> {
    /// Reads on the primary, which every write's re-read and lookups use.
    pub(super) fn primary() -> ReadOptions {
        ReadOptions::default().on(ReadRoute::Primary)
    }

    /// The stored record `id`, read on the primary, if `precondition` holds for it.
    ///
    /// # Errors
    /// The precondition's failure first (an `If-Match` on a missing record is a failed
    /// condition, not a missing record), then [`Error::NotFound`].
    pub(super) async fn current(&self, id: Uuid, precondition: &Precondition) -> Result<E> {
        let stored = self.inner.repository.get(id, &Self::primary()).await?;
        precondition.check(stored.as_ref().map(|record| record.meta().version))?;
        stored.ok_or_else(|| Error::not_found(E::KIND, id))
    }

    /// Reads record `id` (checking `precondition`), hands it to `write`, and does it again
    /// when `write` lost the race for the record: another writer committed between the read
    /// and the write, which the store reports as a stale version (or, for a deletion in
    /// between, a missing record). The next read evaluates the precondition again, so a write
    /// that named the version it read fails there (412), and one without a condition applies
    /// to the newer version. After the service's write attempts it gives up with
    /// [`Error::ConcurrentWrites`]; a failed attempt changed nothing.
    pub(super) async fn read_modify_write<T, F, Fut>(
        &self,
        id: Uuid,
        precondition: &Precondition,
        mut write: F,
    ) -> Result<T>
    where
        F: FnMut(E) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let attempts = self.inner.write_attempts;
        for _ in 0..attempts {
            let current = self.current(id, precondition).await?;
            match write(current).await {
                Err(Error::PreconditionFailed { .. } | Error::NotFound { .. }) => continue,
                done => return done,
            }
        }
        // Every attempt lost a race. If the record is now gone, or the condition no longer
        // holds, that is the answer (404, 412); otherwise the write kept being overtaken.
        self.current(id, precondition).await?;
        Err(Error::ConcurrentWrites {
            kind: E::KIND,
            id: id.to_string(),
            attempts,
        })
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
    /// every hook runs, then every rule's `after_commit`. Each event carries `principal`'s
    /// subject and request id.
    pub(super) async fn emit(
        &self,
        principal: &Principal,
        events: impl IntoIterator<Item = ChangeEvent>,
    ) {
        #[cfg(feature = "failpoints")]
        exit_after_commit();
        for mut event in events {
            event.actor = Some(principal.subject.clone());
            event.request_id.clone_from(&principal.origin.request_id);
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
        let version = if op == ChangeOp::Deleted {
            version + 1
        } else {
            version
        };
        self.event_at(record.meta().id, op, version, token)
    }

    /// The event for a committed change `op` that left record `id` at `version` (for a
    /// deletion: the deleted version + 1), for a caller that kept only these.
    pub(super) fn event_at(
        &self,
        id: uuid::Uuid,
        op: ChangeOp,
        version: i64,
        token: Option<crate::ConsistencyToken>,
    ) -> ChangeEvent {
        ChangeEvent {
            kind: E::KIND,
            id,
            op,
            version,
            token,
            embedded_in: self.inner.embedded_in,
            actor: None,
            request_id: None,
        }
    }
}

/// The `exit-after-commit` failpoint (feature `failpoints`): the process dies between a commit
/// and its announcement, as a crash or a kill there would.
#[cfg(feature = "failpoints")]
fn exit_after_commit() {
    if std::env::var("CAMPUSHUB_FAILPOINT").is_ok_and(|point| point == "exit-after-commit") {
        eprintln!("failpoint exit-after-commit: exiting before the change is announced");
        std::process::exit(86);
    }
}

/// `current` with `input` applied by `actor`, under the metadata of its next version: the
/// version read plus one, which is how an update names the version it expects.
pub(super) fn updated<E: Entity>(current: &E, input: E::Create, actor: &str) -> E {
    let mut record = current.clone();
    record.apply_input(input, actor);
    *record.meta_mut() = current.meta().next();
    record
}
