//! Application rules: validation and side effects an application adds to a kind, and the
//! rules CampusHub ships ([`DepartmentHierarchy`], [`KnownKinds`]).

mod hierarchy;
mod known_kinds;

use async_trait::async_trait;

use crate::auth::Principal;
use crate::entity::Entity;
use crate::error::{Result, ValidationErrors};
use crate::event::ChangeEvent;

pub use hierarchy::{DepartmentHierarchy, MAX_HIERARCHY_DEPTH};
pub use known_kinds::KnownKinds;

/// Application rules for kind `E`; every method has a do-nothing default.
#[async_trait]
pub trait EntityRules<E: Entity>: Send + Sync {
    /// Extra validation of a record about to be written (`previous` is the stored record on
    /// update, `None` on create). Record problems in `errors`; return `Err` only for failures
    /// to check (a lookup that failed).
    async fn validate(
        &self,
        principal: &Principal,
        record: &E,
        previous: Option<&E>,
        errors: &mut ValidationErrors,
    ) -> Result<()> {
        let _ = (principal, record, previous, errors);
        Ok(())
    }

    /// Side effects after a committed write (the change hooks have run).
    async fn after_commit(&self, principal: &Principal, event: &ChangeEvent) {
        let _ = (principal, event);
    }
}
