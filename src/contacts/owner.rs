//! The rule that a record's owner exists: a contact or a document names a student or a
//! faculty member by id, in one of two tables, so no foreign key can say it; the rule checks
//! it on every write.

use std::sync::Arc;

use async_trait::async_trait;
use uuid::Uuid;

use super::contact::{Contact, OwnerKind};
use crate::core::service::EntityRules;
use crate::core::{
    Entity, Faculty, Principal, ReadOptions, ReadRoute, Repository, Result, Student,
    ValidationErrors,
};
use crate::server::Core;

/// A record that belongs to a student or a faculty member (`owner_kind`, `owner_id`).
pub trait Owned {
    /// Whose record it is.
    fn owner(&self) -> (OwnerKind, Uuid);
}

impl Owned for Contact {
    fn owner(&self) -> (OwnerKind, Uuid) {
        (self.owner_kind, self.owner_id)
    }
}

/// Refuses a record whose `owner_id` names no record of its `owner_kind` (a `422` on
/// `owner_id`). Reads on the primary, so that a student created just before is found.
pub struct KnownOwner {
    students: Arc<dyn Repository<Student>>,
    faculty: Arc<dyn Repository<Faculty>>,
}

impl KnownOwner {
    /// The rule over `core`'s students and faculty.
    pub fn of(core: &Core) -> Self {
        KnownOwner {
            students: Arc::clone(core.services.students.repository()),
            faculty: Arc::clone(core.services.faculty.repository()),
        }
    }
}

impl std::fmt::Debug for KnownOwner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnownOwner").finish_non_exhaustive()
    }
}

#[async_trait]
impl<E: Entity + Owned> EntityRules<E> for KnownOwner {
    async fn validate(
        &self,
        _principal: &Principal,
        record: &E,
        previous: Option<&E>,
        errors: &mut ValidationErrors,
    ) -> Result<()> {
        let (kind, id) = record.owner();
        if previous.is_some_and(|previous| previous.owner() == (kind, id)) {
            return Ok(());
        }
        let read = ReadOptions::default().on(ReadRoute::Primary);
        let found = match kind {
            OwnerKind::Student => self.students.get(id, &read).await?.is_some(),
            OwnerKind::Faculty => self.faculty.get(id, &read).await?.is_some(),
        };
        if !found {
            errors.add(
                "owner_id",
                format!("no {} has this id", kind.as_str().to_lowercase()),
            );
        }
        Ok(())
    }
}
