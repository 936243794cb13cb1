//! Writes of what no request body sets: a kind's server-set fields (`#[field(read_only)]`,
//! such as a stored file's size and digest), made by the application's own code through the
//! same authorization, checks, audit, cache and events as a client's write.

use uuid::Uuid;

use super::{EntityService, WrittenRecord};
use crate::audit_log::AuditAction;
use crate::auth::{Action, Principal};
use crate::entity::Entity;
use crate::error::Result;
use crate::precondition::Precondition;

impl<E: Entity> EntityService<E> {
    /// Applies `change` to record `id` for `principal`, if `precondition` holds: the way an
    /// application sets the fields a body cannot (read-only ones) after work of its own, such
    /// as storing a file whose size and digest the record then carries.
    ///
    /// It is an update in every other respect: `principal` needs the `Update` permission and
    /// the record must be inside its scope; the result is checked like any write, written
    /// against the version read (a concurrent writer makes it read again and apply `change`
    /// to the newer record, as [`EntityService::update_json`] does), audited as a patch,
    /// and announced (cache, events). `change` cannot touch the metadata: the record gets its
    /// next version whatever `change` did to it.
    ///
    /// # Errors
    /// As [`EntityService::update_json`].
    #[tracing::instrument(level = "debug", name = "service.update_with", skip_all, fields(entity.kind = %E::KIND, entity.id = %id))]
    pub async fn update_with<F>(
        &self,
        principal: &Principal,
        id: Uuid,
        precondition: impl Into<Precondition>,
        change: F,
    ) -> Result<WrittenRecord<E>>
    where
        F: Fn(&mut E) + Send + Sync,
    {
        self.authorize(principal, Action::Update)?;
        self.check_write_scope(principal, Action::Update, id)
            .await?;
        let change = &change;
        self.read_modify_write(id, &precondition.into(), |current| async move {
            let mut record = current.clone();
            change(&mut record);
            *record.meta_mut() = current.meta().next();
            self.write_over(principal, current, record, AuditAction::Patch)
                .await
        })
        .await
    }
}
