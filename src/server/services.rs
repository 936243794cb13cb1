//! The four entity services: custom fields validated on every kind, the rules CampusHub ships
//! (known kinds for definitions, a department tree that stays a tree), the cache (whose
//! invalidation every committed write drives), and one cursor key for every instance.

use std::sync::Arc;

use super::storage::Stores;
use crate::core::service::{DepartmentHierarchy, KnownKinds, StatisticsPrivacy};
use crate::core::{Cache, EntityService, NoCache};
use crate::http::AppServices;

/// Builds the services over `stores`, caching in `cache` when there is one, counting
/// page-number pages up to `count_cap`.
pub(super) fn build(
    stores: &Stores,
    cache: Option<Arc<dyn Cache>>,
    cursor_key: &[u8],
    count_cap: Option<u64>,
) -> AppServices {
    let cache = cache.unwrap_or_else(|| Arc::new(NoCache));
    let definitions = &stores.custom_fields;
    AppServices {
        departments: EntityService::builder(Arc::clone(&stores.departments))
            .custom_fields(Arc::clone(definitions))
            .rules(Arc::new(DepartmentHierarchy::new(Arc::clone(
                &stores.departments,
            ))))
            .cache(Arc::clone(&cache))
            .cursor_key(cursor_key)
            .count_cap(count_cap)
            // Departments are not people: their counts single no one out.
            .statistics_privacy(StatisticsPrivacy::off())
            .build(),
        students: EntityService::builder(Arc::clone(&stores.students))
            .custom_fields(Arc::clone(definitions))
            .cache(Arc::clone(&cache))
            .cursor_key(cursor_key)
            .count_cap(count_cap)
            .build(),
        faculty: EntityService::builder(Arc::clone(&stores.faculty))
            .custom_fields(Arc::clone(definitions))
            .cache(Arc::clone(&cache))
            .cursor_key(cursor_key)
            .count_cap(count_cap)
            .build(),
        custom_fields: EntityService::builder(Arc::clone(definitions))
            .rules(Arc::new(KnownKinds::default()))
            .cache(cache)
            .cursor_key(cursor_key)
            .count_cap(count_cap)
            .build(),
    }
}
