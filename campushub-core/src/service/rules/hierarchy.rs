//! [`DepartmentHierarchy`]: a department's parent chain must not loop back to it.

use std::sync::Arc;

use async_trait::async_trait;

use super::EntityRules;
use crate::auth::Principal;
use crate::entities::Department;
use crate::error::{Error, Result, ValidationErrors};
use crate::repository::{ReadOptions, ReadRoute, Repository};

/// Parents walked at most before a chain is declared too deep.
pub const MAX_HIERARCHY_DEPTH: usize = 64;

/// Keeps the department tree a tree: a department may not become its own ancestor.
///
/// On an update that changes `parent_id`, the rule walks the new parent's chain upwards on the
/// primary, one read per level, at most [`MAX_HIERARCHY_DEPTH`] levels. Reaching the
/// department itself is a cycle; a longer chain is refused too (which also stops a walk
/// through data that already loops). Both are errors on `parent_id`. A create cannot close a
/// cycle (nothing refers to a new id yet) and a department naming itself is caught by
/// [`Department`]'s own validation, so neither costs a read. A parent that does not exist is
/// left to the store, which reports the missing reference.
///
/// The walk reads before the write, outside its transaction, so two concurrent moves
/// (`A.parent = B` and `B.parent = A`) can both pass it. The SQL stores close that gap: they
/// check the chain again inside the write's transaction, under a lock all hierarchy writes
/// take, and refuse with the same errors ([`DepartmentHierarchy::cycle_error`],
/// [`DepartmentHierarchy::too_deep_error`]). This rule stays the early check that costs no
/// transaction, and the only one for stores without transactions.
///
/// ```
/// # use std::sync::Arc;
/// # use campushub_core::{Department, Repository, EntityService};
/// # use campushub_core::service::DepartmentHierarchy;
/// fn service(departments: Arc<dyn Repository<Department>>) -> EntityService<Department> {
///     EntityService::builder(departments.clone())
///         .rules(Arc::new(DepartmentHierarchy::new(departments)))
///         .build()
/// }
/// ```
pub struct DepartmentHierarchy {
    departments: Arc<dyn Repository<Department>>,
}

impl std::fmt::Debug for DepartmentHierarchy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DepartmentHierarchy")
            .finish_non_exhaustive()
    }
}

impl DepartmentHierarchy {
    /// The rule, reading parents from `departments`.
    pub fn new(departments: Arc<dyn Repository<Department>>) -> Self {
        DepartmentHierarchy { departments }
    }

    /// The error of a move that would place a department under one of its own
    /// sub-departments: an unprocessable-input error on `parent_id`.
    pub fn cycle_error() -> Error {
        Error::unprocessable(FIELD, CYCLE)
    }

    /// The error of a move that would make the chain of parents longer than
    /// [`MAX_HIERARCHY_DEPTH`]: an unprocessable-input error on `parent_id`.
    pub fn too_deep_error() -> Error {
        Error::unprocessable(FIELD, too_deep())
    }
}

/// The field hierarchy errors are reported on.
const FIELD: &str = "parent_id";

const CYCLE: &str = "A department cannot be placed under one of its own sub-departments.";

fn too_deep() -> String {
    format!("The department hierarchy may be at most {MAX_HIERARCHY_DEPTH} levels deep.")
}

#[async_trait]
impl EntityRules<Department> for DepartmentHierarchy {
    async fn validate(
        &self,
        _principal: &Principal,
        record: &Department,
        previous: Option<&Department>,
        errors: &mut ValidationErrors,
    ) -> Result<()> {
        let Some(previous) = previous else {
            return Ok(());
        };
        let Some(parent) = record.parent_id else {
            return Ok(());
        };
        if previous.parent_id == Some(parent) || parent == record.meta.id {
            return Ok(());
        }
        let read = ReadOptions::default().on(ReadRoute::Primary);
        let mut next = Some(parent);
        for _ in 0..MAX_HIERARCHY_DEPTH {
            let Some(id) = next else {
                return Ok(());
            };
            if id == record.meta.id {
                errors.add(FIELD, CYCLE);
                return Ok(());
            }
            next = match self.departments.get(id, &read).await? {
                Some(ancestor) => ancestor.parent_id,
                None => None,
            };
        }
        if next.is_some() {
            errors.add(FIELD, too_deep());
        }
        Ok(())
    }
}
