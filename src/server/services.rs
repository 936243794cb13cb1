//! The four entity services: custom fields validated on every kind, the rules CampusHub ships
//! (known kinds for definitions, a department tree that stays a tree), the cache (whose
//! invalidation every committed write drives), and one cursor key for every instance.

use std::sync::Arc;

use super::storage::Stores;
use crate::core::service::EntityServiceBuilder;
use crate::core::service::{DepartmentHierarchy, KnownKinds, StatisticsPrivacy};
use crate::core::{Cache, Entity, EntityKind, EntityService, NoCache};
use crate::http::AppServices;

/// `builder`, recording its writes in the audit log when `audit` (`CAMPUSHUB_AUDIT`), else
/// not at all.
pub(super) fn audited<E: Entity>(
    builder: EntityServiceBuilder<E>,
    audit: bool,
) -> EntityServiceBuilder<E> {
    if audit {
        builder
    } else {
        builder.without_audit()
    }
}

/// Builds the services over `stores`, caching in `cache` when there is one, counting
/// page-number pages up to `count_cap`, auditing when `audit`; custom fields may be defined
/// for the built-in kinds and the application's `custom_field_kinds`.
pub(super) fn build(
    stores: &Stores,
    cache: Option<Arc<dyn Cache>>,
    cursor_key: &[u8],
    count_cap: Option<u64>,
    audit: bool,
    custom_field_kinds: impl IntoIterator<Item = EntityKind>,
) -> AppServices {
    let cache = cache.unwrap_or_else(|| Arc::new(NoCache));
    let definitions = &stores.custom_fields;
    let departments = EntityService::builder(Arc::clone(&stores.departments))
        .custom_fields(Arc::clone(definitions))
        .rules(Arc::new(DepartmentHierarchy::new(Arc::clone(
            &stores.departments,
        ))))
        .cache(Arc::clone(&cache))
        .cursor_key(cursor_key)
        .count_cap(count_cap)
        // Departments are not people: their counts single no one out.
        .statistics_privacy(StatisticsPrivacy::off());
    let students = EntityService::builder(Arc::clone(&stores.students))
        .custom_fields(Arc::clone(definitions))
        .cache(Arc::clone(&cache))
        .cursor_key(cursor_key)
        .count_cap(count_cap);
    let faculty = EntityService::builder(Arc::clone(&stores.faculty))
        .custom_fields(Arc::clone(definitions))
        .cache(Arc::clone(&cache))
        .cursor_key(cursor_key)
        .count_cap(count_cap);
    let custom_fields = EntityService::builder(Arc::clone(definitions))
        .rules(Arc::new(
            custom_field_kinds
                .into_iter()
                .fold(KnownKinds::default(), KnownKinds::with),
        ))
        .cache(cache)
        .cursor_key(cursor_key)
        .count_cap(count_cap);
    AppServices {
        departments: audited(departments, audit).build(),
        students: audited(students, audit).build(),
        faculty: audited(faculty, audit).build(),
        custom_fields: audited(custom_fields, audit).build(),
    }
}
