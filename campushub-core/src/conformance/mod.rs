//! The repository conformance suite: the semantics of [`crate::repository::Repository`]
//! stated once as tests, generic over the store, run by every storage adapter.
//!
//! A store proves itself by invoking [`conformance_suite!`](crate::conformance_suite) in an
//! integration test with an expression that makes a fresh, empty [`Fixture`] (a future; it is
//! awaited once per case). The macro expands to one `#[tokio::test]` per case, so the caller
//! needs `tokio` (with `macros` and a runtime) as a dev-dependency:
//!
//! ```text
//! campushub_core::conformance_suite!(campushub_core::conformance::memory_fixture());
//! ```
//!
//! Cases build their data with [`data`] (through `Entity::from_input`), build queries with
//! `ListQuery::parse`, and observe the store only through the trait, so they hold for any
//! store. Case-insensitive matching folds case beyond ASCII (`MÜLL` finds `Müller`) on every
//! store.

pub mod accounts;
pub mod audit;
pub mod counts;
pub mod crud;
pub mod custom;
pub mod data;
pub mod derived;
pub mod filters;
pub mod lookups;
pub mod ordering;
pub mod paging;
pub mod references;
pub mod search;
mod seed;
mod support;
pub mod unique;
pub mod users;
pub mod versions;

use std::sync::Arc;

use crate::accounts::AccountStore;
use crate::audit_log::AuditLog;
use crate::custom_fields::CustomFieldDef;
use crate::entities::{Department, Faculty, Student, User};
use crate::memory::{MemoryAccounts, MemoryStore};
use crate::repository::Repository;

/// The repositories one case runs against: all from one fresh, empty store, so references
/// between kinds resolve.
#[derive(Clone)]
pub struct Fixture {
    /// Departments.
    pub departments: Arc<dyn Repository<Department>>,
    /// Students.
    pub students: Arc<dyn Repository<Student>>,
    /// Faculty members.
    pub faculty: Arc<dyn Repository<Faculty>>,
    /// Custom-field definitions.
    pub custom_fields: Arc<dyn Repository<CustomFieldDef>>,
    /// User accounts.
    pub users: Arc<dyn Repository<User>>,
    /// The accounts' secrets (over the same store as `users`).
    pub accounts: Arc<dyn AccountStore>,
    /// The audit log the repositories' audited writes store their entries in.
    pub audit: Arc<dyn AuditLog>,
}

impl std::fmt::Debug for Fixture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fixture").finish_non_exhaustive()
    }
}

/// A fixture over a new [`MemoryStore`].
pub async fn memory_fixture() -> Fixture {
    let store = MemoryStore::new();
    let accounts = MemoryAccounts::beside(&store);
    Fixture {
        departments: Arc::new(store.repository()),
        students: Arc::new(store.repository()),
        faculty: Arc::new(store.repository()),
        custom_fields: Arc::new(store.repository()),
        users: Arc::new(store.repository()),
        accounts: Arc::new(accounts),
        audit: Arc::new(store),
    }
}

/// Expands to one `#[tokio::test]` per conformance case, each awaiting `$fixture` (an
/// expression whose value is a future of a fresh [`Fixture`]) and running the case on it.
#[macro_export]
macro_rules! conformance_suite {
    ($fixture:expr) => {
        $crate::conformance_suite!(@cases $fixture;
            crud::department_crud,
            crud::student_crud,
            crud::faculty_crud,
            crud::custom_field_crud,
            crud::unknown_writers_read_as_null,
            crud::get_missing_is_none,
            crud::update_missing_is_not_found,
            crud::delete_missing_is_not_found,
            unique::department_code_is_unique,
            unique::department_name_is_unique,
            unique::student_roll_number_is_unique,
            unique::student_email_is_unique,
            unique::faculty_employee_id_is_unique,
            unique::faculty_email_is_unique,
            unique::custom_field_name_is_unique_per_kind,
            unique::update_into_taken_value_conflicts,
            unique::freed_unique_values_can_be_reused,
            versions::stale_update_is_precondition_failed,
            versions::stale_delete_is_precondition_failed,
            versions::versions_advance_on_every_update,
            versions::tokens_increase_on_every_write,
            filters::filter_eq,
            filters::filter_in,
            filters::filter_gt,
            filters::filter_gte,
            filters::filter_lt,
            filters::filter_lte,
            filters::filter_icontains,
            filters::icontains_and_search_fold_unicode_case,
            filters::filter_startswith,
            filters::filter_isnull_true,
            filters::filter_isnull_false,
            filters::filter_choice,
            filters::filter_uuid,
            filters::filter_date,
            filters::filter_datetime,
            filters::filters_combine,
            filters::search_matches_any_search_field,
            filters::count_ignores_pagination,
            search::search_terms_are_literal,
            search::search_short_terms,
            search::search_long_terms_fold_unicode_case,
            search::search_follows_writes,
            custom::custom_text_eq,
            custom::custom_text_startswith,
            custom::custom_text_icontains,
            custom::custom_number_range,
            custom::custom_boolean,
            custom::custom_select,
            custom::custom_multiselect_contains,
            custom::custom_multiselect_contains_any,
            custom::custom_date_range,
            custom::custom_isnull,
            ordering::ordering_ascending,
            ordering::ordering_descending,
            ordering::ordering_multi_key,
            ordering::ordering_ties_break_by_id,
            ordering::default_ordering_is_newest_first,
            paging::cursor_walk_default_ordering,
            paging::cursor_walk_with_ties,
            paging::cursor_walk_multi_key,
            paging::cursor_walk_with_inserts,
            paging::previous_cursor_walks_back,
            paging::page_number_pages,
            paging::page_past_the_end_is_empty,
            counts::count_at_most_stops_at_the_bound,
            counts::capped_count_pages_link_and_end_exactly,
            counts::cap_at_the_total_counts_exactly,
            lookups::natural_key_lookups,
            lookups::get_many_returns_existing,
            lookups::group_counts_by_field,
            lookups::group_counts_honour_filters,
            references::missing_department_is_invalid,
            references::missing_parent_department_is_invalid,
            references::deleting_referenced_department_conflicts,
            references::department_summary_on_get,
            references::department_summary_on_list,
            users::user_crud,
            users::user_email_is_unique_case_insensitively,
            users::user_linked_record_must_exist,
            accounts::password_hash_is_set_and_replaced,
            accounts::a_password_set_with_an_entry_is_in_the_audit_log,
            accounts::rotation_and_reuse_revoke_the_family,
            accounts::unknown_and_expired_tokens_are_refused,
            accounts::revocation_by_family_and_by_user,
            accounts::concurrent_rotations_rotate_once,
            audit::every_write_path_logs_one_entry_with_its_diff,
            audit::failed_and_rolled_back_writes_log_nothing,
            audit::audit_reads_filter_and_page_newest_first,
            audit::seeded_random_writes_replay_to_the_final_state,
        );
    };
    (@cases $fixture:expr; $($module:ident :: $case:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let fixture = $fixture.await;
                $crate::conformance::$module::$case(fixture).await;
            }
        )+
    };
}
