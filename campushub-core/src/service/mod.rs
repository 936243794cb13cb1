//! The entity service (what Django REST Framework calls a viewset): list, retrieve, create, update,
//! partial_update, destroy, bulk operations and statistics for one kind.
//!
//! Every action authorizes the principal, validates its input (schema rules, custom fields,
//! application rules), talks to the repository, consults the cache, and emits change events
//! after the write committed.

mod actions;
mod app;
mod audit;
mod builder;
mod bulk;
mod cached;
mod count;
mod definitions;
mod input;
mod listing;
mod output;
mod privacy;
mod rules;
mod scoping;
mod server_fields;
mod stats;
#[cfg(test)]
mod testing;
mod walk;
mod write;
mod written;

use std::sync::Arc;

pub use app::AppServices;
pub use builder::EntityServiceBuilder;
pub(crate) use bulk::KeyRows;
pub use bulk::ROWS as BULK_ROWS;
pub use bulk::{
    ImportOptions, ImportOutcome, ImportProgress, ImportRun, NoProgress, IMPORT_BATCH_ROWS,
};
pub use input::NON_FIELD_ERRORS;
pub use output::{BulkReport, Fetched, Listed, RowError, Statistics, WrittenRecord};
pub use privacy::StatisticsPrivacy;
pub use rules::{DepartmentHierarchy, EntityRules, KnownKinds, MAX_HIERARCHY_DEPTH};
pub use walk::{Walk, WalkRows, WALK_PAGE_ROWS};

use crate::audit_log::AuditSettings;
use crate::auth::Policy;
use crate::cache::Cache;
use crate::custom_fields::CustomFieldDef;
use crate::entity::Entity;
use crate::event::ChangeHook;
use crate::kind::EntityKind;
use crate::query::CursorCodec;
use crate::repository::Repository;

/// The most rows one bulk call accepts.
pub const MAX_BULK_ROWS: usize = 1000;

/// How many times, by default, a write without a condition is applied before it gives up
/// with [`crate::Error::ConcurrentWrites`]: each attempt re-reads the record and applies the
/// write to it, and a new attempt is made only when another writer committed in between
/// (see [`EntityServiceBuilder::write_attempts`]). Ten, because with 24 concurrent writers of
/// one record five left about one write in four overtaken on every attempt, ten about one in
/// thirty (`tests/e2e/contention.rs`); an attempt that loses costs a few statements.
pub const WRITE_ATTEMPTS: u32 = 10;

/// A count cap for page-number pages that an application can start from (the example
/// server's default, `CAMPUSHUB_COUNT_CAP`), and a total above it reads as "1,000+" (see
/// [`EntityServiceBuilder::count_cap`]). Counting 1,001 of 100,000 students took 0.3–1.2 ms
/// on Postgres on a loaded 2-core machine, 10,001 took 2–34 ms: the smaller cap is what lets
/// a page-number page cost about what a cursor page does (docs/performance.md).
pub const DEFAULT_COUNT_CAP: u64 = 1_000;

/// The service for entity kind `E`. Cheap to clone: everything inside is shared.
pub struct EntityService<E: Entity> {
    inner: Arc<Inner<E>>,
}

struct Inner<E: Entity> {
    repository: Arc<dyn Repository<E>>,
    definitions: Option<Arc<dyn Repository<CustomFieldDef>>>,
    cache: Arc<dyn Cache>,
    policy: Arc<dyn Policy>,
    hooks: Vec<Arc<dyn ChangeHook>>,
    rules: Vec<Arc<dyn EntityRules<E>>>,
    cursors: CursorCodec,
    /// The kinds whose cached results embed this one: the schema's
    /// [`crate::Schema::embedded_in`] and the application's additions.
    embedded_in: &'static [EntityKind],
    /// What statistics show callers who may not list the kind.
    privacy: StatisticsPrivacy,
    /// How many times an unconditional write is applied before it gives up (at least 1).
    write_attempts: u32,
    /// Page-number pages count up to this many matching records (`None`: every one).
    count_cap: Option<u64>,
    /// What the audit log records of each write (`None`: writes are not audited).
    audit: Option<AuditSettings>,
}

impl<E: Entity> std::fmt::Debug for EntityService<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = &self.inner;
        f.debug_struct("EntityService")
            .field("kind", &E::KIND)
            .field("custom_fields", &inner.definitions.is_some())
            .field("hooks", &inner.hooks.len())
            .field("rules", &inner.rules.len())
            .field("cursors", &inner.cursors)
            .field("audit", &inner.audit)
            .finish_non_exhaustive()
    }
}

impl<E: Entity> Clone for EntityService<E> {
    fn clone(&self) -> Self {
        EntityService {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<E: Entity> EntityService<E> {
    /// Starts building a service over `repository`.
    pub fn builder(repository: Arc<dyn Repository<E>>) -> EntityServiceBuilder<E> {
        EntityServiceBuilder::new(repository)
    }

    /// The repository the service writes to.
    pub fn repository(&self) -> &Arc<dyn Repository<E>> {
        &self.inner.repository
    }

    /// The authorization policy.
    pub fn policy(&self) -> &Arc<dyn Policy> {
        &self.inner.policy
    }

    /// The kinds whose cached results embed this kind's records, as its change events name
    /// them (what an outbox relay needs to deliver the same events).
    pub fn embedded_in(&self) -> &'static [EntityKind] {
        self.inner.embedded_in
    }
}
