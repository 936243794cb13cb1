//! Building an [`EntityService`].

use std::sync::{Arc, Mutex, PoisonError};

use super::{EntityRules, EntityService, Inner, StatisticsPrivacy};
use crate::audit_log::AuditSettings;
use crate::auth::{Policy, RolePolicy};
use crate::cache::{Cache, NoCache};
use crate::custom_fields::CustomFieldDef;
use crate::entity::Entity;
use crate::event::ChangeHook;
use crate::kind::EntityKind;
use crate::query::CursorCodec;
use crate::repository::Repository;

/// Configures an [`EntityService`]. Defaults: no custom fields, no cache, the default role
/// policy, no hooks, no rules, and a cursor key that is random per process (set one shared
/// key for several instances).
pub struct EntityServiceBuilder<E: Entity> {
    repository: Arc<dyn Repository<E>>,
    definitions: Option<Arc<dyn Repository<CustomFieldDef>>>,
    cache: Arc<dyn Cache>,
    policy: Arc<dyn Policy>,
    hooks: Vec<Arc<dyn ChangeHook>>,
    rules: Vec<Arc<dyn EntityRules<E>>>,
    cursors: CursorCodec,
    also_embedded_in: Vec<EntityKind>,
    privacy: StatisticsPrivacy,
    write_attempts: u32,
    count_cap: Option<u64>,
    audit: Option<AuditSettings>,
}

impl<E: Entity> std::fmt::Debug for EntityServiceBuilder<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntityServiceBuilder")
            .field("kind", &E::KIND)
            .field("custom_fields", &self.definitions.is_some())
            .field("hooks", &self.hooks.len())
            .field("rules", &self.rules.len())
            .field("cursors", &self.cursors)
            .field("write_attempts", &self.write_attempts)
            .field("count_cap", &self.count_cap)
            .field("audit", &self.audit)
            .finish_non_exhaustive()
    }
}

impl<E: Entity> EntityServiceBuilder<E> {
    pub(super) fn new(repository: Arc<dyn Repository<E>>) -> Self {
        EntityServiceBuilder {
            repository,
            definitions: None,
            cache: Arc::new(NoCache),
            policy: Arc::new(RolePolicy::defaults()),
            hooks: Vec::new(),
            rules: Vec::new(),
            cursors: CursorCodec::new(uuid::Uuid::new_v4().as_bytes()),
            also_embedded_in: Vec::new(),
            privacy: StatisticsPrivacy::default(),
            write_attempts: super::WRITE_ATTEMPTS,
            count_cap: None,
            audit: Some(AuditSettings::default()),
        }
    }

    /// Validates custom fields against the definitions in `definitions`.
    pub fn custom_fields(mut self, definitions: Arc<dyn Repository<CustomFieldDef>>) -> Self {
        self.definitions = Some(definitions);
        self
    }

    /// Caches reads in `cache` and invalidates it on every write.
    pub fn cache(mut self, cache: Arc<dyn Cache>) -> Self {
        self.cache = cache;
        self
    }

    /// Authorizes with `policy`.
    pub fn policy(mut self, policy: Arc<dyn Policy>) -> Self {
        self.policy = policy;
        self
    }

    /// Calls `hook` after every committed write.
    pub fn hook(mut self, hook: Arc<dyn ChangeHook>) -> Self {
        self.hooks.push(hook);
        self
    }

    /// Adds application rules (validation and side effects).
    pub fn rules(mut self, rules: Arc<dyn EntityRules<E>>) -> Self {
        self.rules.push(rules);
        self
    }

    /// Signs cursors with `key` (share it between instances behind one load balancer).
    pub fn cursor_key(mut self, key: impl AsRef<[u8]>) -> Self {
        self.cursors = CursorCodec::new(key);
        self
    }

    /// Announces that `kinds` (application kinds, beyond the schema's
    /// [`crate::Schema::embedded_in`]) embed records of this kind through an embedding
    /// [`crate::Relation`], so that a write here also invalidates their cached results.
    ///
    /// An application kind that embeds a built-in one (a course embedding its department)
    /// names itself on the built-in kind's service:
    /// `EntityService::builder(departments).also_embedded_in([course])`.
    pub fn also_embedded_in(mut self, kinds: impl IntoIterator<Item = EntityKind>) -> Self {
        self.also_embedded_in.extend(kinds);
        self
    }

    /// What statistics show callers who may count the kind's records but not list them
    /// (default: [`StatisticsPrivacy::default`]; [`StatisticsPrivacy::off`] for kinds whose
    /// records are not about people).
    pub fn statistics_privacy(mut self, privacy: StatisticsPrivacy) -> Self {
        self.privacy = privacy;
        self
    }

    /// How many times a write without a condition (no `If-Match`) is applied before it gives
    /// up with [`crate::Error::ConcurrentWrites`] (default [`super::WRITE_ATTEMPTS`]; `0`
    /// counts as 1). Each attempt re-reads the record and applies the write to it; another
    /// attempt is made only when a concurrent writer committed between that read and the
    /// write, so a quiet record is written on the first.
    pub fn write_attempts(mut self, attempts: u32) -> Self {
        self.write_attempts = attempts.max(1);
        self
    }

    /// Caps the count of page-number pages at `cap` matching records (`None`, the default:
    /// every page counts every matching record).
    ///
    /// An exact `count(*)` reads every matching row, on every page when nothing caches it:
    /// over a large table it costs more than the page. With a cap the store counts no
    /// further than `cap + 1` rows ([`Repository::count_at_most`]); up to `cap` the count is
    /// exact, beyond it the page says `count: cap` with
    /// [`Page::count_exact`](crate::query::Page::count_exact) `false` ("10,000+"). `next`
    /// stays exact either way (the page's store read fetches one row more), and the last
    /// page, whose end is the total, reports it exactly. The cap applies whether or not a
    /// cache is set, so that the answer does not depend on the deployment's cache. `0`
    /// counts as 1. See [`super::DEFAULT_COUNT_CAP`].
    pub fn count_cap(mut self, cap: Option<u64>) -> Self {
        self.count_cap = cap.map(|cap| cap.max(1));
        self
    }

    /// Records every write in the store's audit log with `settings` (the default, with
    /// [`AuditSettings::default`]): the repository's audited writes store each entry in the
    /// write's transaction.
    pub fn audit(mut self, settings: AuditSettings) -> Self {
        self.audit = Some(settings);
        self
    }

    /// Writes without audit entries: for a store that keeps no audit log, a scratch
    /// database, or measuring what auditing costs.
    pub fn without_audit(mut self) -> Self {
        self.audit = None;
        self
    }

    /// The service.
    pub fn build(self) -> EntityService<E> {
        let embedded_in = embedded_in(E::schema().embedded_in, self.also_embedded_in);
        EntityService {
            inner: Arc::new(Inner {
                repository: self.repository,
                definitions: self.definitions,
                cache: self.cache,
                policy: self.policy,
                hooks: self.hooks,
                rules: self.rules,
                cursors: self.cursors,
                embedded_in,
                privacy: self.privacy,
                write_attempts: self.write_attempts,
                count_cap: self.count_cap,
                audit: self.audit,
            }),
        }
    }
}

/// The schema's embedding kinds followed by the `added` ones it lacks, as a `'static` list like
/// the schema's (change events carry it). A combined list is leaked once per distinct list, not
/// per service built: tests and rebuilt routers build the same service many times.
fn embedded_in(schema: &'static [EntityKind], added: Vec<EntityKind>) -> &'static [EntityKind] {
    static COMBINED: Mutex<Vec<&'static [EntityKind]>> = Mutex::new(Vec::new());
    let mut kinds = schema.to_vec();
    for kind in added {
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if kinds.len() == schema.len() {
        return schema;
    }
    // Only ever pushed to: a panic cannot leave it inconsistent.
    let mut combined = COMBINED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(known) = combined.iter().find(|known| **known == kinds.as_slice()) {
        return known;
    }
    let leaked: &'static [EntityKind] = kinds.leak();
    combined.push(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_combined_embedding_list_is_made_once_per_distinct_list() {
        const SCHEMA: &[EntityKind] = &[EntityKind::STUDENT];
        let course = EntityKind::new("course_for_builder_test");
        let first = embedded_in(SCHEMA, vec![course, EntityKind::STUDENT]);
        assert_eq!(first, &[EntityKind::STUDENT, course][..]);
        let again = embedded_in(SCHEMA, vec![course]);
        assert!(
            std::ptr::eq(first, again),
            "the same list is not leaked twice"
        );
        assert!(
            std::ptr::eq(embedded_in(SCHEMA, vec![EntityKind::STUDENT]), SCHEMA),
            "nothing added: the schema's own list"
        );
    }
}
