//! The rule that a contact's owner exists: a contact names a student or a faculty member by
//! id, in one of two tables, so no foreign key can say it; the rule checks it on every write.

use std::sync::Arc;

use async_trait::async_trait;

use super::contact::{Contact, OwnerKind};
use crate::core::service::EntityRules;
use crate::core::{
    Faculty, Principal, ReadOptions, ReadRoute, Repository, Result, Student, ValidationErrors,
};

/// Refuses a contact whose `owner_id` names no record of its `owner_kind` (a `422` on
/// `owner_id`). Reads on the primary, so that a student created just before is found.
pub(super) struct KnownOwner {
    pub(super) students: Arc<dyn Repository<Student>>,
    pub(super) faculty: Arc<dyn Repository<Faculty>>,
}

#[async_trait]
impl EntityRules<Contact> for KnownOwner {
    async fn validate(
        &self,
        _principal: &Principal,
        record: &Contact,
        previous: Option<&Contact>,
        errors: &mut ValidationErrors,
    ) -> Result<()> {
        let unchanged = previous.is_some_and(|previous| {
            (previous.owner_kind, previous.owner_id) == (record.owner_kind, record.owner_id)
        });
        if unchanged {
            return Ok(());
        }
        let read = ReadOptions::default().on(ReadRoute::Primary);
        let found = match record.owner_kind {
            OwnerKind::Student => self.students.get(record.owner_id, &read).await?.is_some(),
            OwnerKind::Faculty => self.faculty.get(record.owner_id, &read).await?.is_some(),
        };
        if !found {
            errors.add(
                "owner_id",
                format!(
                    "no {} has this id",
                    record.owner_kind.as_str().to_lowercase()
                ),
            );
        }
        Ok(())
    }
}
