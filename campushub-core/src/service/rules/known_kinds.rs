//! [`KnownKinds`]: custom-field definitions may only target registered entity kinds.

use std::collections::BTreeSet;

use async_trait::async_trait;

use super::EntityRules;
use crate::auth::Principal;
use crate::custom_fields::CustomFieldDef;
use crate::error::{Result, ValidationErrors};
use crate::kind::EntityKind;

/// The entity kinds custom-field definitions may target: by default departments, students and
/// faculty; an application adds its own kinds with [`KnownKinds::with`].
///
/// Install it on the custom-field definitions service; a definition whose `entity` is not
/// registered is an error on `entity`.
///
/// ```
/// # use std::sync::Arc;
/// # use campushub_core::{CustomFieldDef, EntityKind, EntityService, Repository};
/// # use campushub_core::service::KnownKinds;
/// const COURSE: EntityKind = EntityKind::new("course");
/// fn service(definitions: Arc<dyn Repository<CustomFieldDef>>) -> EntityService<CustomFieldDef> {
///     EntityService::builder(definitions)
///         .rules(Arc::new(KnownKinds::default().with(COURSE)))
///         .build()
/// }
/// assert!(KnownKinds::default().with(COURSE).contains("course"));
/// assert!(!KnownKinds::default().contains("custom_field"));
/// ```
#[derive(Debug, Clone)]
pub struct KnownKinds {
    kinds: BTreeSet<&'static str>,
}

impl KnownKinds {
    /// No kinds at all (every definition is refused until kinds are added).
    pub fn none() -> Self {
        KnownKinds {
            kinds: BTreeSet::new(),
        }
    }

    /// Also accepts definitions for `kind`.
    pub fn with(mut self, kind: EntityKind) -> Self {
        self.kinds.insert(kind.as_str());
        self
    }

    /// Whether definitions may target the kind named `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.kinds.contains(name)
    }
}

impl Default for KnownKinds {
    /// Departments, students and faculty.
    fn default() -> Self {
        Self::none()
            .with(EntityKind::DEPARTMENT)
            .with(EntityKind::STUDENT)
            .with(EntityKind::FACULTY)
    }
}

#[async_trait]
impl EntityRules<CustomFieldDef> for KnownKinds {
    async fn validate(
        &self,
        _principal: &Principal,
        record: &CustomFieldDef,
        _previous: Option<&CustomFieldDef>,
        errors: &mut ValidationErrors,
    ) -> Result<()> {
        if !self.contains(&record.entity) {
            let known: Vec<&str> = self.kinds.iter().copied().collect();
            errors.add(
                "entity",
                format!(
                    "`{}` is not a kind custom fields can be defined for; expected one of: {}.",
                    record.entity,
                    known.join(", ")
                ),
            );
        }
        Ok(())
    }
}
