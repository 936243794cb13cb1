//! # campushub-cache
//!
//! The multi-tier cache for CampusHub: a moka **L1** in each process, a shared Redis **L2**,
//! cross-instance invalidation, no stale sets, single flight, graceful degradation, warming
//! and metrics. [`TieredCache`] implements core's [`campushub_core::Cache`], so the entity
//! service uses it for retrieve, list pages and statistics.
//!
//! ## Why
//!
//! A cache in front of replicas is only worth having if it is provably fresh: after a write is
//! acknowledged, no instance may serve the old value for longer than the invalidation takes to
//! propagate, and no slow reader may put old data back. It must also never turn a Redis
//! outage into failed requests.
//!
//! ## The protocol in short
//!
//! - **Values** are stored serialized with their version (`CachedValue::json`) and the position
//!   they were read at; hits hand the bytes back as they are. L1 also keeps the decoded value
//!   the service put there.
//! - **Token reads**: a read that carries a consistency token (`need`) is answered only by an
//!   entry read at or after it, in either tier, and joins a single flight only if the leader
//!   reads at or after it; otherwise it loads at its token and the fresher entry replaces the
//!   older.
//! - **Keys** (see the table in the `keys` module): a record key per (kind, id); list and
//!   statistics entries bound to their kind's **generation**, at most
//!   [`CacheConfig::max_query_entries_per_kind`] of them per kind in Redis (a fill beyond it
//!   deletes those expiring first, so distinct filters cannot grow Redis without bound);
//!   Redis Cluster hash tags keep the keys of each Lua script in one slot.
//! - **Redis Cluster**: a `redis+cluster://host:port,host:port/` URL (see
//!   [`TieredCache::connect`]) puts L2 on a cluster; invalidations then travel by sharded
//!   pub/sub, and the loss of any master's connection counts as a lost subscription.
//! - **Invalidation** ([`campushub_core::Cache::invalidate`]): atomically (Lua) replace the
//!   record with a **tombstone** carrying the new version and the write's token, bump the
//!   generations of the kind, of the kinds embedding it and of analytics (recording the
//!   token), publish on `<namespace>:invalidations`, then apply to this instance's L1. Other
//!   instances apply the message (which carries the version and token) to their L1.
//! - **No stale sets**: a miss hands the loader a [`campushub_core::FillTicket`] with what it
//!   saw (the tombstone's version or the generation) and `min_token` (the write's position),
//!   so a lagging replica cannot serve the read. The fill is a Lua check-and-set, refused when
//!   a newer tombstone, value or generation is present or when the fill's token is older than
//!   the one recorded. L1 applies the same rules under moka's per-key lock: an invalidation
//!   leaves an L1 tombstone (never a hit, weighed small) with the new version, which refuses
//!   older fills of that record and leaves fills of other records of the kind alone; if the
//!   tombstone was evicted, a per-record-stripe epoch (4,096 stripes) refuses fills begun
//!   before the write. Query entries and their fills use per-kind epochs.
//! - **Single flight**: concurrent misses on one key run one loader.
//! - **Degradation**: every Redis call has a timeout; a circuit breaker skips Redis after
//!   repeated failures and probes after a cool-down. Invalidations that cannot reach Redis
//!   are queued; a background task replays them (collapsed, newest first) as soon as Redis
//!   answers, and until it has, this instance's lookups and fills skip Redis, while new
//!   invalidations go to Redis directly. No request waits for a replay. While the
//!   invalidation channel is down, L1 entries older than a short bound are not trusted and
//!   Redis is skipped (the fault that cut the channel may have kept other instances'
//!   invalidations out of Redis); on resubscription L1 is flushed, and Redis is skipped for
//!   a second more while their queued invalidations land.
//! - **Revoked access tokens**: [`TieredCache`] is a [`campushub_core::accounts::TokenRevoker`]:
//!   a revocation goes into this process's deny list, a Redis sorted set and a message on
//!   the invalidation channel, which every instance applies on arrival; an instance loads
//!   the set whenever it (re)subscribes.
//! - **Warming**: a [`Warmer`] runs application-chosen loads at start and on an interval.
//! - **Metrics**: [`TieredCache::metrics`] returns a [`MetricsSnapshot`].
//!
//! ## Example
//!
//! ```
//!
//! use bytes::Bytes;
//! use campushub_cache::{CacheConfig, TieredCache};
//! use campushub_core::{Cache, CacheKey, CachedValue, EntityKind};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // L1 only: one process, no Redis. `TieredCache::connect` adds Redis.
//! let cache = TieredCache::l1_only(CacheConfig::with_namespace("docs"))?;
//! let key = CacheKey::Entity { kind: EntityKind::DEPARTMENT, id: uuid::Uuid::new_v4() };
//!
//! let load = |_ticket| -> campushub_core::cache::LoadFuture<'static> {
//!     Box::pin(async { Ok(Some(CachedValue::from_json(Bytes::from_static(b"{}"), 1))) })
//! };
//! cache.get_or_load(&key, None, Box::new(load)).await?; // a miss: loads and fills
//! let hit = cache.get_or_load(&key, None, Box::new(load)).await?; // served from L1
//! assert_eq!(hit.map(|v| v.version), Some(1));
//! assert_eq!(cache.metrics().l1_hits, 1);
//! # Ok(())
//! # }
//! ```
//!
//! ## Features
//!
//! The crate has no optional features; its tiers come from these dependencies:
//!
//! | dependency | features used | for |
//! |---|---|---|
//! | `moka` | `sync` | L1: a cache whose reads never wait, weigher, TTL, per-key compute |
//! | `redis` | `aio`, `tokio-comp`, `connection-manager`, `script`, `cluster-async` | L2 on one server or a Redis Cluster, Lua scripts, pub/sub (sharded on a cluster) |
//! | `tokio` | `rt`, `sync`, `time`, `macros` | timeouts, the subscriber and warmer tasks |
//!
//! ## Testing
//!
//! The integration tests need a Redis and a Redis Cluster: run `scripts/services.sh start` and
//! source the env file it writes (`CAMPUSHUB_TEST_REDIS`, `CAMPUSHUB_TEST_REDIS_CLUSTER`);
//! `scripts/test.sh` runs them a second time with `CAMPUSHUB_TEST_REDIS` set to the cluster.
//! Tests that kill Redis start their own `redis-server` (or cluster of six).

// docs.rs (`--cfg docsrs`, see `[package.metadata.docs.rs]`) labels feature-gated items.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod backend;
mod breaker;
mod codec;
mod config;
mod error;
mod failed_logins;
mod flight;
mod keys;
mod l1;
mod l2;
mod latency;
mod metrics;
mod pubsub;
mod rate_budget;
mod replay;
mod revocation;
mod scripts;
mod sharded;
mod tiered;
mod tls;
mod warmer;

pub use breaker::CircuitState;
pub use config::CacheConfig;
pub use error::{Error, Result};
pub use failed_logins::SharedFailedLogins;
pub use latency::{LatencySnapshot, OperationLatencies, LATENCY_BUCKETS};
pub use metrics::MetricsSnapshot;
pub use rate_budget::SharedRateBudget;
pub use tiered::TieredCache;
pub use tls::{ClientIdentity, RedisTls};
pub use warmer::{WarmFuture, WarmJob, Warmer, WarmerHandle};
