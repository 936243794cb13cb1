//! The outbox relay: delivers the changes the tables' triggers recorded in `campushub_outbox`
//! (see the `outbox` migrations) to the cache's invalidation and to the application's outbox
//! hooks, at least once, then deletes them.
//!
//! Why a relay when the services already announce their writes: an announcement made in
//! process after the commit is lost when the process dies between the two, and a write made
//! outside CampusHub (`psql`, another application, a migration script) announces nothing. The
//! triggers record every committed change in the transaction that makes it, whoever makes
//! it, so the relay of any instance finds it: a crash delays an invalidation until a relay
//! runs, it never loses it.
//!
//! Delivery:
//! - **At least once.** A batch is deleted only after every event in it was delivered; a relay
//!   that dies mid-batch leaves it to the next round (its own after a restart, or another
//!   instance's). Consumers must be idempotent: the cache's tombstones keep the highest
//!   version, so an invalidation applied twice serves nothing different (a second generation
//!   bump costs the kind's list entries one more miss).
//! - **In commit order per record.** On Postgres one relay delivers at a time (the round holds
//!   a transaction-scoped advisory lock; the other instances' rounds stand by), in outbox id
//!   order; two changes of one record are serialized by its row lock, so their ids follow
//!   their commits. On SQLite a relay per process polls the file; a deployment of several
//!   processes on one file may see an event twice.
//! - **Promptly.** Every relay polls (every quarter second by default; an empty outbox costs
//!   one index probe). A `NOTIFY` at commit would wake it sooner, but measured it cost a
//!   single-row write more Postgres CPU than the rest of the capture, and Postgres serializes
//!   the commits of transactions that notify.
//!
//! Events carry the actor and request id of the audit entry stored with the change (when
//! auditing is on); a change made outside CampusHub has none, and its actor reads
//! `database:<role>`, the database role that made it.

mod rows;
mod stats;

#[cfg(feature = "postgres")]
mod pg;
#[cfg(feature = "sqlite")]
mod sqlite;

use std::sync::Arc;
use std::time::Duration;

use campushub_core::{Cache, ChangeEvent, ChangeHook, EntityKind};

use crate::error::Result;
use rows::Kinds;
pub use stats::{RelaySnapshot, RelayStats};

/// How many outbox rows one round delivers at most.
const DEFAULT_BATCH: usize = 500;

/// How often a relay looks for rows.
const DEFAULT_POLL: Duration = Duration::from_millis(250);

/// Delivers the outbox of one database (see the module documentation).
///
/// ```no_run
/// # async fn run(router: campushub_sqlx::PgRouter, cache: std::sync::Arc<dyn campushub_core::Cache>) {
/// use campushub_core::{EntityKind, Student};
/// use campushub_sqlx::OutboxRelay;
///
/// let relay = OutboxRelay::postgres(router)
///     .kind(EntityKind::STUDENT, &[])
///     .cache(cache)
///     .spawn(); // runs until `relay` is dropped
/// # drop(relay);
/// # }
/// ```
pub struct OutboxRelay {
    source: Source,
    kinds: Kinds,
    cache: Option<Arc<dyn Cache>>,
    hooks: Vec<Arc<dyn ChangeHook>>,
    batch: usize,
    poll: Duration,
    stats: Arc<RelayStats>,
}

/// The database whose outbox a relay delivers.
#[derive(Clone)]
enum Source {
    #[cfg(feature = "postgres")]
    Postgres(crate::PgRouter),
    #[cfg(feature = "sqlite")]
    Sqlite(crate::SqliteStore),
}

/// What one round of a relay did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    /// Outbox rows delivered and deleted.
    pub delivered: usize,
    /// Another instance's relay was delivering (Postgres): this round did nothing.
    pub standing_by: bool,
    /// The age, in microseconds, of the oldest change the round found (0 when none).
    pub oldest_pending_micros: u64,
}

impl std::fmt::Debug for OutboxRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxRelay")
            .field("kinds", &self.kinds)
            .field("cache", &self.cache.is_some())
            .field("hooks", &self.hooks.len())
            .field("batch", &self.batch)
            .field("poll", &self.poll)
            .finish_non_exhaustive()
    }
}

impl OutboxRelay {
    /// A relay of the outbox on `router`'s primary.
    #[cfg(feature = "postgres")]
    pub fn postgres(router: crate::PgRouter) -> Self {
        Self::new(Source::Postgres(router))
    }

    /// A relay of the outbox in `store`'s database.
    #[cfg(feature = "sqlite")]
    pub fn sqlite(store: crate::SqliteStore) -> Self {
        Self::new(Source::Sqlite(store))
    }

    fn new(source: Source) -> Self {
        OutboxRelay {
            source,
            kinds: Kinds::default(),
            cache: None,
            hooks: Vec::new(),
            batch: DEFAULT_BATCH,
            poll: DEFAULT_POLL,
            stats: Arc::default(),
        }
    }

    /// Delivers the changes of `kind`, whose cached results `embedded_in` kinds embed (what
    /// its service's events carry: `EntityService::embedded_in`). Rows of a kind the relay
    /// was not told about are deleted undelivered, with a warning.
    pub fn kind(mut self, kind: EntityKind, embedded_in: &'static [EntityKind]) -> Self {
        self.kinds.add(kind, embedded_in);
        self
    }

    /// Invalidates `cache` for every change, before the hooks run.
    pub fn cache(mut self, cache: Arc<dyn Cache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Delivers every change to `hook`, at least once and in commit order per record, after
    /// the cache (in registration order).
    pub fn hook(mut self, hook: Arc<dyn ChangeHook>) -> Self {
        self.hooks.push(hook);
        self
    }

    /// Rows per round (at least one).
    pub fn batch_size(mut self, rows: usize) -> Self {
        self.batch = rows.max(1);
        self
    }

    /// How often the relay looks for changes (default a quarter second).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll = interval.max(Duration::from_millis(10));
        self
    }

    /// Records what the relay does in `stats` (shared with a metrics endpoint, say).
    pub fn report_to(mut self, stats: Arc<RelayStats>) -> Self {
        self.stats = stats;
        self
    }

    /// What the relay has done so far.
    pub fn stats(&self) -> RelaySnapshot {
        self.stats.snapshot()
    }

    /// One round: delivers up to a batch of pending changes, oldest first, and deletes them.
    ///
    /// # Errors
    /// The database's: nothing was deleted, and the same rows are delivered again next time.
    pub async fn deliver_pending(&self) -> Result<Round> {
        let round = match &self.source {
            #[cfg(feature = "postgres")]
            Source::Postgres(router) => pg::round(router, self).await,
            #[cfg(feature = "sqlite")]
            Source::Sqlite(store) => sqlite::round(store, self).await,
        };
        match &round {
            Ok(done) => self
                .stats
                .delivered(done.delivered, done.oldest_pending_micros),
            Err(_) => self.stats.failed(),
        }
        round
    }

    /// Delivers until the outbox is empty (or another instance delivers it); returns how many
    /// rows this relay delivered.
    ///
    /// # Errors
    /// As [`OutboxRelay::deliver_pending`].
    pub async fn drain(&self) -> Result<usize> {
        let mut delivered = 0;
        loop {
            let round = self.deliver_pending().await?;
            delivered += round.delivered;
            if round.delivered < self.batch {
                return Ok(delivered);
            }
        }
    }

    /// Runs the relay in a task until the handle is dropped: a round at once, then one every
    /// poll interval (at once again while a round finds a full batch).
    pub fn spawn(self) -> RelayHandle {
        let task = tokio::spawn(self.run());
        RelayHandle { task }
    }

    async fn run(self) {
        loop {
            if let Err(error) = self.drain().await {
                tracing::warn!(%error, "the outbox was not delivered this round; retrying");
            }
            tokio::time::sleep(self.poll).await;
        }
    }

    /// Delivers the events of `pending` at `token` (see [`OutboxRelay::deliver`]); the ids of
    /// the rows, to delete.
    async fn deliver_rows(
        &self,
        pending: &[rows::Pending],
        token: Option<campushub_core::ConsistencyToken>,
    ) -> Vec<i64> {
        let events: Vec<ChangeEvent> = pending
            .iter()
            .filter_map(|row| row.event(&self.kinds, token))
            .collect();
        self.deliver(&events).await;
        pending.iter().map(|row| row.id).collect()
    }

    /// Delivers `events`: the cache first (as one batch), then every hook, in order.
    async fn deliver(&self, events: &[ChangeEvent]) {
        if let Some(cache) = &self.cache {
            cache.invalidate_many(events).await;
        }
        for event in events {
            for hook in &self.hooks {
                hook.on_change(event).await;
            }
        }
    }
}

/// A running relay ([`OutboxRelay::spawn`]); dropping it stops the relay.
#[derive(Debug)]
pub struct RelayHandle {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RelayHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}
