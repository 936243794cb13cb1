//! The outbox relay of this instance: the kinds it delivers (the built-in ones and every kind
//! an application builds a service for through [`Core::service`](super::Core::service)) and the
//! application's outbox hooks, started with the server and stopped after it drains.

use std::sync::{Arc, Mutex, PoisonError};

use super::storage::Storage;
use crate::core::{Cache, ChangeHook, EntityKind};
use crate::sqlx::{OutboxRelay, RelayHandle, RelayStats};

/// What the relay will deliver, gathered while the application is wired.
#[derive(Default)]
pub(super) struct OutboxPlan {
    kinds: Mutex<Vec<(EntityKind, &'static [EntityKind])>>,
    hooks: Mutex<Vec<Arc<dyn ChangeHook>>>,
    /// What the relay reports, read by `/metrics`.
    pub(super) stats: Arc<RelayStats>,
}

impl std::fmt::Debug for OutboxPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxPlan").finish_non_exhaustive()
    }
}

impl OutboxPlan {
    /// Delivers the changes of `kind`, which `embedded_in` kinds embed.
    pub(super) fn kind(&self, kind: EntityKind, embedded_in: &'static [EntityKind]) {
        self.kinds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((kind, embedded_in));
    }

    /// Delivers every change to `hook` as well, at least once.
    pub(super) fn hook(&self, hook: Arc<dyn ChangeHook>) {
        self.hooks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(hook);
    }

    /// Starts the relay of `storage`'s outbox, invalidating `cache`.
    pub(super) fn start(&self, storage: &Storage, cache: Option<Arc<dyn Cache>>) -> RelayHandle {
        let mut relay = match storage {
            Storage::Sqlite(store) => OutboxRelay::sqlite(store.clone()),
            Storage::Postgres(router) => OutboxRelay::postgres(router.clone()),
        }
        .report_to(Arc::clone(&self.stats));
        for (kind, embedded_in) in self
            .kinds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            relay = relay.kind(*kind, embedded_in);
        }
        if let Some(cache) = cache {
            relay = relay.cache(cache);
        }
        for hook in self
            .hooks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            relay = relay.hook(Arc::clone(hook));
        }
        relay.spawn()
    }
}
