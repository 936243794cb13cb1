//! [`TieredCache`]: L1 + L2 + single flight behind core's [`Cache`] trait.
//!
//! Each tier operation runs in a DEBUG span (`cache.l1.get`, `cache.l2.set`, ...): exported
//! as part of a request's trace when tracing asks for DEBUG spans, and otherwise disabled at
//! its callsite, so that an L1 hit pays one cached interest check and builds no span.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use campushub_core::accounts::{unix_now, DenyList, TokenRevoker};
use campushub_core::{
    Cache, CacheKey, CachedValue, ChangeEvent, ConsistencyToken, EntityKind, FillTicket,
    Result as CoreResult,
};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::field::Empty;
use tracing::Instrument;

use crate::backend::Target;
use crate::breaker::CircuitState;
use crate::codec::RecordEntry;
use crate::config::CacheConfig;
use crate::error::Result;
use crate::flight::{Flights, Role};
use crate::l1::{Floor, Found, Stamp, L1};
use crate::l2::{FillOutcome, Invalidation, L2};
use crate::metrics::{Gauges, Metrics, MetricsSnapshot};
use crate::pubsub::Subscriber;

/// The multi-tier cache. Cheap to clone: everything inside is shared.
///
/// Build it with [`TieredCache::l1_only`] (one process, no Redis) or
/// [`TieredCache::connect`] (L1 + Redis, invalidations shared with every instance using the
/// same namespace), then hand it to the entity service as its [`Cache`].
#[derive(Clone)]
pub struct TieredCache {
    inner: Arc<Inner>,
}

struct Inner {
    l1: Arc<L1>,
    l2: Option<Arc<L2>>,
    flights: Flights,
    metrics: Arc<Metrics>,
    /// Revoked access tokens (see `revocation.rs`).
    deny: Arc<DenyList>,
    /// The invalidation subscriber and the replay of queued invalidations.
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for TieredCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the Redis client: its connection info may hold a password.
        f.debug_struct("TieredCache")
            .field("redis", &self.inner.l2.is_some())
            .finish_non_exhaustive()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl TieredCache {
    /// An L1-only cache: for a single instance, tests and examples.
    pub fn l1_only(config: CacheConfig) -> Result<Self> {
        config.validate()?;
        let metrics = Arc::new(Metrics::default());
        let l1 = Arc::new(L1::new(&config, Arc::clone(&metrics), true));
        Ok(TieredCache {
            inner: Arc::new(Inner {
                l1,
                l2: None,
                flights: Flights::default(),
                metrics,
                deny: Arc::new(DenyList::new()),
                tasks: Vec::new(),
            }),
        })
    }

    /// An L1 + Redis cache on `redis_url`: one server (`redis://host:port/db`, or `rediss://`
    /// for TLS, with [`CacheConfig::redis_tls`] for a private CA or a client certificate), or
    /// a Redis Cluster (`redis+cluster://host:port,host:port/` naming some of its nodes, or
    /// `rediss+cluster://`; Redis 7 or later, for sharded pub/sub). Must run inside a Tokio
    /// runtime: it starts the invalidation subscriber and waits (at most `connect_timeout`)
    /// for its first subscription. An unreachable Redis is not an error: the cache starts
    /// degraded and recovers when Redis answers. Only a bad URL or configuration fails.
    pub async fn connect(
        config: CacheConfig,
        redis_url: &str,
        connect_timeout: Duration,
    ) -> Result<Self> {
        config.validate()?;
        let target = Target::open(redis_url, &config.redis_tls, config.require_tls)?;
        let metrics = Arc::new(Metrics::default());
        let l1 = Arc::new(L1::new(&config, Arc::clone(&metrics), false));
        let instance = uuid::Uuid::new_v4().simple().to_string();
        let l2 = Arc::new(L2::new(
            target.clone(),
            &config,
            Arc::clone(&metrics),
            instance.clone(),
        ));
        let (subscribed, mut on_subscribed) = watch::channel(false);
        let deny = Arc::new(DenyList::new());
        let subscriber = Subscriber {
            deny: Arc::clone(&deny),
            revoked_key: l2.keys().revoked(),
            l2: Arc::clone(&l2),
            was_lost: std::sync::atomic::AtomicBool::new(false),
            target,
            channel: l2.keys().channel(),
            instance,
            l1: Arc::clone(&l1),
            metrics: Arc::clone(&metrics),
            connect_timeout: connect_timeout.max(config.redis_timeout),
            subscribed,
        };
        let tasks = vec![
            tokio::spawn(subscriber.run()),
            tokio::spawn(crate::replay::run(Arc::clone(&l2))),
        ];
        // Not subscribed in time: start degraded; the subscriber keeps trying.
        let _ = tokio::time::timeout(connect_timeout, on_subscribed.wait_for(|up| *up)).await;
        Ok(TieredCache {
            inner: Arc::new(Inner {
                l1,
                l2: Some(l2),
                flights: Flights::default(),
                metrics,
                deny,
                tasks,
            }),
        })
    }

    /// The access-token ids revoked on any instance sharing this cache's namespace (see
    /// the [`TokenRevoker`] implementation).
    pub fn deny_list(&self) -> &Arc<DenyList> {
        &self.inner.deny
    }

    /// The Redis tier, if the cache has one.
    pub(crate) fn l2(&self) -> Option<&Arc<L2>> {
        self.inner.l2.as_ref()
    }

    /// The counters and gauges now.
    pub fn metrics(&self) -> MetricsSnapshot {
        let inner = &self.inner;
        inner.metrics.snapshot(Gauges {
            l1_entries: inner.l1.entry_count(),
            l1_bytes: inner.l1.weighted_size(),
            circuit: inner
                .l2
                .as_ref()
                .map_or(CircuitState::Closed, |l2| l2.breaker().state()),
            subscribed: inner.l1.subscribed(),
        })
    }

    /// Runs L1's pending maintenance (evictions, expirations) now; sizes are exact afterwards.
    pub async fn run_pending_tasks(&self) {
        self.inner.l1.run_pending_tasks();
    }

    /// L1's weighted size in bytes.
    pub fn l1_weighted_size(&self) -> u64 {
        self.inner.l1.weighted_size()
    }

    /// Drops every L1 entry (Redis keeps its own).
    pub fn flush_l1(&self) {
        self.inner.l1.flush();
    }

    /// Counts entries loaded by a warming run (used by [`crate::Warmer`]).
    pub(crate) fn record_warming(&self, loaded: u64) {
        self.inner.metrics.warm_runs.incr();
        self.inner.metrics.warmed.add(loaded);
    }

    /// Whether invalidations made while Redis was unreachable still await their background
    /// replay (while they do, this instance serves from L1 and the loaders only).
    pub fn replay_pending(&self) -> bool {
        self.inner.l2.as_ref().is_some_and(|l2| l2.has_pending())
    }

    /// Waits until no invalidation awaits replay, for at most `limit`; whether none does.
    ///
    /// For a graceful shutdown: invalidations queued while Redis was unreachable live in this
    /// process only, so an instance that stops with a backlog leaves other instances (and
    /// Redis) unaware of its last writes until their entries expire. Waiting here, once the
    /// last request has been answered, gives the background replay its chance to finish.
    pub async fn settle(&self, limit: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        while self.replay_pending() {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        true
    }

    /// The miss path of the single-flight leader for a read that needs position `need`: L2,
    /// then the loader, then the fills.
    async fn lead(
        &self,
        key: &CacheKey,
        need: Option<ConsistencyToken>,
        load: campushub_core::cache::Loader<'_>,
        floor: Option<Floor>,
    ) -> CoreResult<Option<CachedValue>> {
        let inner = &self.inner;
        let stamp = inner.l1.stamp(key, floor);
        inner.l1.register(key.kind());
        let mut ticket = FillTicket::default();
        let mut l2_usable = false;
        if let Some(l2) = &inner.l2 {
            let span = tracing::debug_span!("cache.l2.get", cache.kind = %key.kind());
            match self.lookup_l2(l2, key, need).instrument(span).await {
                // A value older than this instance's L1 tombstone: Redis missed that write
                // (it could not be written, or a failover lost it): load, and repair Redis.
                Lookup::Hit(Some(value), _)
                    if floor.is_some_and(|floor| value.version < floor.version) =>
                {
                    inner.metrics.l2_misses.incr();
                    l2_usable = true;
                }
                Lookup::Hit(value, read_at) => {
                    inner.metrics.l2_hits.incr();
                    self.fill_l1(key, value.clone(), stamp, read_at);
                    return Ok(value);
                }
                Lookup::Miss(seen) => {
                    inner.metrics.l2_misses.incr();
                    ticket = seen;
                    l2_usable = true;
                }
                Lookup::Unavailable => {}
            }
        }
        // L1's tombstone knows the write too (and is all there is without Redis), and the
        // caller's own token bounds the read from below.
        if let Some(floor) = floor {
            ticket.min_token = ticket.min_token.max(floor.token);
        }
        ticket.min_token = ticket.min_token.max(need);
        inner.metrics.loads.incr();
        let loaded = load(ticket).await?;
        // Where the loader says it read, else the ticket's position it was bound to read at
        // (a loader that says less than the ticket gets its fill refused, not trusted more).
        let token = loaded
            .as_ref()
            .and_then(|value| value.token)
            .or(ticket.min_token);
        let keep_in_l1 = match (&inner.l2, l2_usable) {
            (Some(l2), true) => {
                let span = tracing::debug_span!("cache.l2.set", cache.kind = %key.kind());
                let started = Instant::now();
                let filled = match key {
                    CacheKey::Entity { .. } => {
                        l2.fill_record(key, loaded.as_ref(), token)
                            .instrument(span)
                            .await
                    }
                    CacheKey::List { .. } | CacheKey::Stats { .. } => match &loaded {
                        Some(value) => {
                            l2.fill_query(key, value, ticket.stamp, token)
                                .instrument(span)
                                .await
                        }
                        // A query loader always has a page or a count; nothing to cache.
                        None => Ok(FillOutcome::Refused),
                    },
                };
                inner.metrics.latency.l2_set.since(started);
                self.may_keep_in_l1(filled)
            }
            _ => true,
        };
        let l1_set = tracing::debug_span!("cache.l1.set", cache.kind = %key.kind());
        if keep_in_l1 && !l1_set.in_scope(|| self.fill_l1(key, loaded.clone(), stamp, token)) {
            inner.metrics.fills_refused.incr();
        }
        Ok(loaded.map(|value| value.with_token(token)))
    }

    /// Whether L1 may keep a value whose L2 fill ended as `filled` (a refused fill means Redis
    /// knows a newer version: L1 must not keep it either); counts the outcome.
    fn may_keep_in_l1(&self, filled: Result<FillOutcome>) -> bool {
        match filled {
            Ok(FillOutcome::Stored) => {
                self.inner.metrics.fills.incr();
                true
            }
            Ok(FillOutcome::Refused) => {
                self.inner.metrics.fills_refused.incr();
                false
            }
            // Redis went away: L1's own check still guards the fill.
            Err(_) => true,
        }
    }

    /// [`L1::fill`], timed.
    fn fill_l1(
        &self,
        key: &CacheKey,
        value: Option<CachedValue>,
        stamp: Stamp,
        read_at: Option<ConsistencyToken>,
    ) -> bool {
        let started = Instant::now();
        let filled = self.inner.l1.fill(key, value, stamp, read_at);
        self.inner.metrics.latency.l1_set.since(started);
        filled
    }

    /// What L2 holds for `key` as of `need` (an entry read before `need` is a miss), timed.
    async fn lookup_l2(&self, l2: &L2, key: &CacheKey, need: Option<ConsistencyToken>) -> Lookup {
        let started = Instant::now();
        let found = self.lookup_l2_untimed(l2, key, need).await;
        self.inner.metrics.latency.l2_get.since(started);
        found
    }

    async fn lookup_l2_untimed(
        &self,
        l2: &L2,
        key: &CacheKey,
        need: Option<ConsistencyToken>,
    ) -> Lookup {
        match key {
            CacheKey::Entity { .. } => match l2.lookup_record(key).await {
                Ok(RecordEntry::Value(value)) if value.token >= need => {
                    let read_at = value.token;
                    Lookup::Hit(Some(value), read_at)
                }
                Ok(RecordEntry::Missing(read_at)) if read_at >= need => Lookup::Hit(None, read_at),
                Ok(RecordEntry::Tombstone { version, token }) => Lookup::Miss(FillTicket {
                    min_token: token,
                    stamp: u64::try_from(version).unwrap_or(0),
                }),
                Ok(RecordEntry::Value(_) | RecordEntry::Missing(_) | RecordEntry::Absent) => {
                    Lookup::Miss(FillTicket::default())
                }
                Err(_) => Lookup::Unavailable,
            },
            CacheKey::List { .. } | CacheKey::Stats { .. } => match l2.lookup_query(key).await {
                Ok(found) => match found.json {
                    Some(json) if found.read_at >= need => Lookup::Hit(
                        Some(CachedValue::from_json(json, 0).with_token(found.read_at)),
                        found.read_at,
                    ),
                    _ => Lookup::Miss(FillTicket {
                        min_token: found.token,
                        stamp: found.generation,
                    }),
                },
                Err(_) => Lookup::Unavailable,
            },
        }
    }
}

/// What L2 said about a miss.
enum Lookup {
    /// A value or a cached "not found", and the position it was read at.
    Hit(Option<CachedValue>, Option<ConsistencyToken>),
    /// Nothing usable; what was seen, for the fill.
    Miss(FillTicket),
    /// Redis skipped or failed.
    Unavailable,
}

/// The generations a change bumps: its kind's, the kinds embedding it, and analytics.
fn generations(event: &ChangeEvent) -> Vec<EntityKind> {
    let mut kinds = vec![event.kind];
    for kind in event
        .embedded_in
        .iter()
        .copied()
        .chain([EntityKind::ANALYTICS])
    {
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    kinds
}

#[async_trait]
impl Cache for TieredCache {
    async fn get_or_load(
        &self,
        key: &CacheKey,
        need: Option<ConsistencyToken>,
        load: campushub_core::cache::Loader<'_>,
    ) -> CoreResult<Option<CachedValue>> {
        let inner = &self.inner;
        let mut missed = false;
        loop {
            let span =
                tracing::debug_span!("cache.l1.get", cache.kind = %key.kind(), cache.hit = Empty);
            let started = Instant::now();
            let found = span.in_scope(|| inner.l1.lookup(key, need));
            inner.metrics.latency.l1_get.since(started);
            let floor = match found {
                Found::Hit(hit) => {
                    span.record("cache.hit", true);
                    inner.metrics.l1_hits.incr();
                    return Ok(hit);
                }
                Found::Miss(floor) => {
                    span.record("cache.hit", false);
                    floor
                }
            };
            if !missed {
                inner.metrics.l1_misses.incr();
                missed = true;
            }
            match inner.flights.join(key, need) {
                Role::Leader(leader) => {
                    let loaded = self.lead(key, need, load, floor).await?;
                    leader.finish(loaded.clone());
                    return Ok(loaded);
                }
                Role::Follower(follower) => {
                    if let Some(value) = follower.wait().await {
                        return Ok(value);
                    }
                    // The leader failed or was cancelled: look again, maybe lead.
                }
            }
        }
    }

    fn get_fresh(&self, key: &CacheKey, need: Option<ConsistencyToken>) -> Option<CachedValue> {
        // A cached "not found" is left to `get_or_load`, which counts it.
        let started = Instant::now();
        let found = self.inner.l1.get(key, need);
        self.inner.metrics.latency.l1_get.since(started);
        let value = found??;
        self.inner.metrics.l1_hits.incr();
        Some(value)
    }

    /// Write-through of entity keys: loads the written record and fills both tiers under the
    /// same rules as a miss's fill (stamp taken now, after the write's own invalidation, whose
    /// L1 tombstone then refuses only older versions).
    async fn offer(&self, key: &CacheKey, load: campushub_core::cache::Loader<'_>) {
        let inner = &self.inner;
        if !matches!(key, CacheKey::Entity { .. }) {
            return;
        }
        let stamp = inner.l1.stamp(key, None);
        inner.l1.register(key.kind());
        let Ok(Some(value)) = load(FillTicket::default()).await else {
            return;
        };
        let read_at = value.token;
        let keep = match &inner.l2 {
            Some(l2) => {
                let span = tracing::debug_span!("cache.l2.set", cache.kind = %key.kind());
                let started = Instant::now();
                let filled = l2
                    .fill_record(key, Some(&value), read_at)
                    .instrument(span)
                    .await;
                inner.metrics.latency.l2_set.since(started);
                self.may_keep_in_l1(filled)
            }
            None => true,
        };
        let l1_set = tracing::debug_span!("cache.l1.set", cache.kind = %key.kind());
        if keep && !l1_set.in_scope(|| self.fill_l1(key, Some(value), stamp, read_at)) {
            inner.metrics.fills_refused.incr();
        }
    }

    async fn invalidate(&self, event: &ChangeEvent) {
        self.invalidate_many(std::slice::from_ref(event)).await;
    }

    async fn invalidate_many(&self, events: &[ChangeEvent]) {
        let inner = &self.inner;
        let Some(first) = events.first() else {
            return;
        };
        let invalidations: Vec<Invalidation> = events
            .iter()
            .map(|event| Invalidation {
                kind: event.kind,
                id: event.id,
                version: event.version,
                token: event.token,
                generations: generations(event),
            })
            .collect();
        let mut kinds: Vec<&'static str> = Vec::new();
        for kind in invalidations.iter().flat_map(|i| &i.generations) {
            if !kinds.contains(&kind.as_str()) {
                kinds.push(kind.as_str());
            }
        }
        // Redis first: a local miss racing this call then either reads the tombstone, or
        // read before it and is refused by L1's tombstone (records) or epoch bump (queries).
        if let Some(l2) = &inner.l2 {
            let span = tracing::debug_span!("cache.l2.invalidate", cache.kind = %first.kind);
            let started = Instant::now();
            let sent = l2.invalidate_many(invalidations).instrument(span).await;
            inner.metrics.latency.l2_invalidate.since(started);
            if let Err(error) = sent {
                tracing::warn!(%error, kind = %first.kind, id = %first.id, count = events.len(), "invalidation queued: redis unavailable");
            }
        }
        tracing::debug_span!("cache.l1.invalidate", cache.kind = %first.kind).in_scope(|| {
            let started = Instant::now();
            inner.l1.bump(kinds);
            for event in events {
                inner
                    .l1
                    .invalidate_record(event.kind, event.id, Some(event.version), event.token);
            }
            inner.metrics.latency.l1_invalidate.since(started);
        });
    }
}

/// Revocations reach every instance of the namespace: this one at once, the others through
/// the invalidation channel (see `revocation.rs`). Without Redis, only this instance.
#[async_trait]
impl TokenRevoker for TieredCache {
    async fn revoke(&self, jti: &str, expires_at: u64) -> CoreResult<()> {
        self.inner.deny.deny(jti, expires_at);
        let Some(l2) = &self.inner.l2 else {
            return Ok(());
        };
        l2.revoke_token(jti, expires_at, unix_now())
            .await
            .map_err(|error| {
                campushub_core::Error::unavailable(
                    "cannot tell the other instances that the token is revoked; sign out again",
                    error,
                )
            })
    }

    fn is_revoked(&self, jti: &str) -> bool {
        self.inner.deny.is_denied(jti)
    }

    fn is_account_revoked(&self, subject: &str, version: i64) -> bool {
        self.inner.deny.is_account_revoked(subject, version)
    }
}
