//! L2: Redis (one server or a cluster, see [`crate::backend`]) through a reconnecting
//! connection, every command bounded by a timeout and gated by the circuit breaker. Invalidations that cannot reach Redis are queued; a
//! background task ([`crate::replay`]) replays them, and until it has, Redis serves no lookup
//! or fill of this instance. New invalidations never wait behind the queue: every step of an
//! invalidation keeps the highest version and token it is given, so their order is free.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use campushub_core::{CacheKey, CachedValue, ConsistencyToken, EntityKind};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::backend::{Connection, Target};
use crate::breaker::{Breaker, Tripped};
use crate::codec::{decode_record, parse_token, token_text, RecordEntry};
use crate::config::CacheConfig;
use crate::error::{Error, Result};
use crate::keys::KeySpace;
use crate::metrics::Metrics;
use crate::scripts::Scripts;

/// A query key's generation and, when filled under it, its value.
#[derive(Debug, Clone)]
pub(crate) struct QueryLookup {
    /// The kind's generation (0: never bumped).
    pub(crate) generation: u64,
    /// The token of the write that last bumped it.
    pub(crate) token: Option<ConsistencyToken>,
    /// The value, if filled under this generation.
    pub(crate) json: Option<Bytes>,
    /// The position the value was read at.
    pub(crate) read_at: Option<ConsistencyToken>,
}

/// What a fill did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FillOutcome {
    /// Stored.
    Stored,
    /// Refused: a newer tombstone, value or generation was recorded since the miss, or the
    /// fill's token is older than the write recorded there.
    Refused,
}

/// One committed change, as the cache applies it.
#[derive(Debug, Clone)]
pub(crate) struct Invalidation {
    /// The record's kind.
    pub(crate) kind: EntityKind,
    /// The record's id.
    pub(crate) id: Uuid,
    /// The record's version after the write.
    pub(crate) version: i64,
    /// The commit's position.
    pub(crate) token: Option<ConsistencyToken>,
    /// The kinds whose generations it bumps (its own, the embedding ones, analytics).
    pub(crate) generations: Vec<EntityKind>,
}

/// Invalidations that could not reach Redis.
#[derive(Default)]
struct Backlog {
    /// Waiting for the replay task, oldest first.
    queue: VecDeque<Invalidation>,
    /// Whether the replay task holds some it has taken and not yet applied.
    replaying: bool,
}

/// Whether this instance hears the invalidation channel, for [`L2::ready`].
#[derive(Debug, Clone, Copy)]
enum Hearing {
    /// Subscribed, and the grace after the last loss has run.
    Heard,
    /// Not subscribed (also before the first subscription).
    Lost,
    /// Subscribed again after a loss; deaf until then.
    Settling(std::time::Instant),
}

/// The Redis tier.
pub(crate) struct L2 {
    target: Target,
    /// The shared connection, made on first use (again after [`L2::run`] drops a cluster's).
    connection: tokio::sync::RwLock<Option<Connection>>,
    keys: KeySpace,
    scripts: Scripts,
    breaker: Breaker,
    metrics: Arc<Metrics>,
    pending: Mutex<Backlog>,
    /// Whether this instance hears the invalidation channel (see [`L2::channel_lost`]).
    hearing: Mutex<Hearing>,
    /// Wakes the replay task when an invalidation is queued.
    queued: Notify,
    config: CacheConfig,
    instance: String,
}

impl L2 {
    /// The tier for `client`; connects on first use.
    pub(crate) fn new(
        target: Target,
        config: &CacheConfig,
        metrics: Arc<Metrics>,
        instance: String,
    ) -> Self {
        L2 {
            target,
            connection: tokio::sync::RwLock::new(None),
            keys: KeySpace::new(&config.namespace),
            scripts: Scripts::new(),
            breaker: Breaker::new(config.breaker_threshold, config.breaker_cool_down),
            metrics,
            pending: Mutex::new(Backlog::default()),
            hearing: Mutex::new(Hearing::Lost),
            queued: Notify::new(),
            config: config.clone(),
            instance,
        }
    }

    /// This instance's id: the sender named in its messages.
    pub(crate) fn instance(&self) -> &str {
        &self.instance
    }

    /// The key layout.
    pub(crate) fn keys(&self) -> &KeySpace {
        &self.keys
    }

    /// The breaker, for metrics.
    pub(crate) fn breaker(&self) -> &Breaker {
        &self.breaker
    }

    /// Reads a record key.
    pub(crate) async fn lookup_record(&self, key: &CacheKey) -> Result<RecordEntry> {
        let redis_key = self.keys.value(key);
        self.ready()?;
        let raw: Option<Vec<u8>> = self
            .run("get", |mut conn| {
                let redis_key = &redis_key;
                async move {
                    redis::cmd("GET")
                        .arg(redis_key)
                        .query_async(&mut conn)
                        .await
                }
            })
            .await?;
        match raw {
            None => Ok(RecordEntry::Absent),
            Some(raw) => decode_record(Bytes::from(raw)).ok_or(Error::Corrupt { key: redis_key }),
        }
    }

    /// Reads a query key with its kind's generation.
    pub(crate) async fn lookup_query(&self, key: &CacheKey) -> Result<QueryLookup> {
        let generation_key = self.keys.generation(key.kind().as_str());
        let redis_key = self.keys.value(key);
        self.ready()?;
        let (generation, token, json, read_at): (String, Vec<u8>, Option<Vec<u8>>, Vec<u8>) = self
            .run("lookup", |mut conn| {
                let mut call = self.scripts.lookup_query.prepare_invoke();
                call.key(&generation_key).key(&redis_key);
                async move { call.invoke_async(&mut conn).await }
            })
            .await?;
        Ok(QueryLookup {
            generation: generation.parse().map_err(|_| Error::Corrupt {
                key: generation_key,
            })?,
            token: parse_token(&token),
            json: json.map(Bytes::from),
            read_at: parse_token(&read_at),
        })
    }

    /// Spends one request of the rate-limit key `digest` (`SPEND_RATE`): `Ok((true, ahead))`
    /// when allowed, `Ok((false, retry_after))` when refused, both in µs. Fails at once while
    /// the breaker is open.
    pub(crate) async fn spend_rate(
        &self,
        digest: &str,
        interval_micros: u64,
        span_micros: u64,
    ) -> Result<(bool, u64)> {
        if !self.breaker.allow() {
            return Err(Error::CircuitOpen);
        }
        let key = self.keys.rate(digest);
        let (allowed, micros): (i64, i64) = self
            .run("rate limit", |mut conn| {
                let mut call = self.scripts.spend_rate.prepare_invoke();
                call.key(&key).arg(interval_micros).arg(span_micros);
                async move { call.invoke_async(&mut conn).await }
            })
            .await?;
        Ok((allowed == 1, u64::try_from(micros).unwrap_or(0)))
    }

    /// Stores a record (or "not found") unless something newer is there.
    pub(crate) async fn fill_record(
        &self,
        key: &CacheKey,
        value: Option<&CachedValue>,
        token: Option<ConsistencyToken>,
    ) -> Result<FillOutcome> {
        let redis_key = self.keys.value(key);
        let (tag, version, json, ttl) = match value {
            Some(v) => ("V", v.version, v.json.clone(), self.config.l2_ttl),
            None => ("N", 0, Bytes::new(), self.config.negative_ttl),
        };
        let token = token_text(token);
        self.ready()?;
        let code: i64 = self
            .run("fill", |mut conn| {
                let mut call = self.scripts.fill_record.prepare_invoke();
                call.key(&redis_key)
                    .arg(tag)
                    .arg(version)
                    .arg(&token)
                    .arg(millis(ttl))
                    .arg(&json[..]);
                async move { call.invoke_async(&mut conn).await }
            })
            .await?;
        Ok(outcome(code))
    }

    /// Stores a query value if its generation is still `generation` and `token` is not older
    /// than the generation's, and deletes the kind's entries expiring first while it has more
    /// than `max_query_entries_per_kind` (counted in `l2_evictions`).
    pub(crate) async fn fill_query(
        &self,
        key: &CacheKey,
        value: &CachedValue,
        generation: u64,
        token: Option<ConsistencyToken>,
    ) -> Result<FillOutcome> {
        let kind = key.kind().as_str();
        let (generation_key, index_key) = (self.keys.generation(kind), self.keys.query_index(kind));
        let redis_key = self.keys.value(key);
        let token = token_text(token);
        self.ready()?;
        let (code, evicted): (i64, u64) = self
            .run("fill", |mut conn| {
                let mut call = self.scripts.fill_query.prepare_invoke();
                call.key(&generation_key)
                    .key(&redis_key)
                    .key(&index_key)
                    .arg(generation.to_string())
                    .arg(&token)
                    .arg(millis(self.config.l2_ttl))
                    .arg(&value.json[..])
                    .arg(self.config.max_query_entries_per_kind);
                async move { call.invoke_async(&mut conn).await }
            })
            .await?;
        self.metrics.l2_evictions.add(evicted);
        Ok(outcome(code))
    }

    /// Tombstones the records, bumps the generations (once each) and publishes, in one
    /// pipeline, whether or not older invalidations await replay; when Redis is skipped or
    /// fails the invalidations are queued for the replay task (and the error returned).
    ///
    /// On a cluster the breaker does not skip a write's invalidation: it opens on failures of
    /// any master, and while one master is down the others still serve lookups to every
    /// instance, so a tombstone they should hold must not wait for the replay.
    pub(crate) async fn invalidate_many(&self, invalidations: Vec<Invalidation>) -> Result<()> {
        let outcome = if self.breaker.allow() || self.target.is_cluster() {
            self.apply_many(&invalidations).await
        } else {
            Err(Error::CircuitOpen)
        };
        if outcome.is_err() {
            for invalidation in invalidations {
                self.queue(invalidation);
            }
        }
        outcome
    }

    /// Writes invalidations to Redis: every tombstone and one bump per generation (with the
    /// highest token among them), pipelined, then the messages, so that an instance applying
    /// a message and refilling finds the tombstone and the new generation already there.
    ///
    /// The messages go out even when some writes failed or did not answer within half the
    /// timeout (on a cluster: a master is down): receivers then drop the records from their
    /// L1 at once, and a record whose tombstone is missing lives on the master that cannot
    /// serve its lookups either. The error still queues every invalidation for the replay.
    pub(crate) async fn apply_many(&self, invalidations: &[Invalidation]) -> Result<()> {
        let ttl = millis(self.config.tombstone_ttl);
        let mut bumps: Vec<(EntityKind, Option<ConsistencyToken>)> = Vec::new();
        for invalidation in invalidations {
            for kind in &invalidation.generations {
                match bumps.iter_mut().find(|(k, _)| k == kind) {
                    Some((_, token)) => *token = (*token).max(invalidation.token),
                    None => bumps.push((*kind, invalidation.token)),
                }
            }
        }
        let mut writes = Vec::with_capacity(invalidations.len() + bumps.len());
        for invalidation in invalidations {
            let key = self.keys.value(&CacheKey::Entity {
                kind: invalidation.kind,
                id: invalidation.id,
            });
            let mut tomb = self.scripts.tombstone.prepare_invoke();
            tomb.key(key)
                .arg(invalidation.version)
                .arg(token_text(invalidation.token))
                .arg(ttl);
            writes.push(tomb);
        }
        for (kind, token) in &bumps {
            let key = self.keys.generation(kind.as_str());
            let mut bump = self.scripts.bump.prepare_invoke();
            bump.key(key).arg(token_text(*token));
            writes.push(bump);
        }
        let messages: Vec<String> = invalidations.iter().map(|i| self.message(i)).collect();
        let channel = self.keys.channel();
        let publish = self.publish_command();
        let half = self.config.redis_timeout / 2;
        self.run("invalidate", |conn| {
            let (writes, messages, channel) = (&writes, &messages, &channel);
            async move {
                // Sent together: the multiplexed connection pipelines them.
                let written = tokio::time::timeout(
                    half,
                    futures::future::join_all(writes.iter().map(|call| {
                        let mut conn = conn.clone();
                        async move { call.invoke_async::<redis::Value>(&mut conn).await }
                    })),
                )
                .await;
                let published = futures::future::try_join_all(messages.iter().map(|message| {
                    let mut conn = conn.clone();
                    async move {
                        redis::cmd(publish)
                            .arg(channel)
                            .arg(message)
                            .query_async::<i64>(&mut conn)
                            .await
                    }
                }))
                .await;
                match written {
                    Ok(results) => {
                        results
                            .into_iter()
                            .collect::<redis::RedisResult<Vec<_>>>()?;
                    }
                    Err(_) => {
                        return Err(redis::RedisError::from((
                            redis::ErrorKind::IoError,
                            "invalidation writes did not answer in time",
                        )))
                    }
                }
                published
            }
        })
        .await?;
        self.metrics
            .invalidations_sent
            .add(invalidations.len() as u64);
        Ok(())
    }

    /// How messages reach every instance: `SPUBLISH` on a cluster (sharded pub/sub: the
    /// channel's shard alone carries it, instead of every node of the cluster bus), `PUBLISH`
    /// on one server (any Redis version).
    pub(crate) fn publish_command(&self) -> &'static str {
        if self.target.is_cluster() {
            "SPUBLISH"
        } else {
            "PUBLISH"
        }
    }

    /// The pub/sub message for an invalidation:
    /// `<instance>|<kind>|<id>|<generation kinds, comma-separated>,|<version>|<token>`, the
    /// token in the cache's hex form (empty when unknown), so that a receiver's fill after it
    /// reads at least there.
    fn message(&self, invalidation: &Invalidation) -> String {
        let kinds: Vec<&str> = invalidation
            .generations
            .iter()
            .map(|k| k.as_str())
            .collect();
        format!(
            "{}|{}|{}|{},|{}|{}",
            self.instance,
            invalidation.kind,
            invalidation.id,
            kinds.join(","),
            invalidation.version,
            token_text(invalidation.token),
        )
    }

    /// Queues an invalidation for the replay task. A full queue drops its oldest entry; the
    /// replay then also bumps every generation it names, and the tombstone TTL bounds what
    /// the dropped record's stale value can cost.
    fn queue(&self, invalidation: Invalidation) {
        {
            let mut backlog = self.lock_pending();
            if backlog.queue.len() >= self.config.max_pending_invalidations {
                backlog.queue.pop_front();
                self.metrics.invalidations_dropped.incr();
            }
            backlog.queue.push_back(invalidation);
        }
        self.metrics.invalidations_queued.incr();
        self.queued.notify_one();
    }

    /// Takes every queued invalidation for the replay task, which must then call
    /// [`L2::replayed`] or [`L2::requeue`]; until then Redis stays skipped.
    pub(crate) fn take_pending(&self) -> Vec<Invalidation> {
        let mut backlog = self.lock_pending();
        backlog.replaying = true;
        backlog.queue.drain(..).collect()
    }

    /// The taken invalidations are in Redis and published.
    pub(crate) fn replayed(&self, count: usize) {
        self.lock_pending().replaying = false;
        self.metrics.invalidations_replayed.add(count as u64);
    }

    /// Puts invalidations the replay could not apply back in front of the queue.
    pub(crate) fn requeue(&self, invalidations: Vec<Invalidation>) {
        let mut backlog = self.lock_pending();
        backlog.replaying = false;
        for invalidation in invalidations.into_iter().rev() {
            backlog.queue.push_front(invalidation);
        }
    }

    /// Waits until an invalidation is queued (returns at once if one was queued since the
    /// last wait).
    pub(crate) async fn wait_queued(&self) {
        self.queued.notified().await;
    }

    /// Whether invalidations await replay (queued, or taken by a replay not yet finished).
    pub(crate) fn has_pending(&self) -> bool {
        let backlog = self.lock_pending();
        backlog.replaying || !backlog.queue.is_empty()
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, Backlog> {
        // A queue of plain data: a panic cannot leave it half-written.
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The invalidation channel is lost: until it is back (and [`L2::channel_back`]'s grace
    /// has run), lookups and fills skip Redis. The failure that cut this instance off the
    /// channel (on a cluster: its master failing over) may also have kept other instances'
    /// invalidations from Redis, and this instance cannot hear that either. Seen in a
    /// failover: this instance's data connection reached the promoted replica before its
    /// subscriber did, and read values whose tombstones the writer still had queued.
    pub(crate) fn channel_lost(&self) {
        *self.lock_hearing() = Hearing::Lost;
    }

    /// The invalidation channel is subscribed. After a loss (`grace` given), lookups and fills
    /// skip Redis for `grace` more: other instances' invalidations queued while the channel
    /// was down (on a cluster: to a master that was failing over, whose promoted replica
    /// still holds the values they replace) are replayed at least every
    /// `replay::MAX_BACKOFF`, and until they land their messages do not arrive either.
    pub(crate) fn channel_back(&self, grace: Option<std::time::Duration>) {
        *self.lock_hearing() = match grace {
            Some(grace) => Hearing::Settling(std::time::Instant::now() + grace),
            None => Hearing::Heard,
        };
    }

    /// Whether the channel is down or its grace after a loss still runs.
    fn deaf(&self) -> bool {
        match *self.lock_hearing() {
            Hearing::Heard => false,
            Hearing::Lost => true,
            Hearing::Settling(until) => std::time::Instant::now() < until,
        }
    }

    fn lock_hearing(&self) -> std::sync::MutexGuard<'_, Hearing> {
        // One plain value: a panic cannot leave it half-written.
        self.hearing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether Redis may serve a lookup or fill: no invalidation of this instance awaits
    /// replay (what Redis holds may predate it), the invalidation channel is heard (see
    /// [`L2::channel_lost`]) and the breaker allows it. Never waits.
    fn ready(&self) -> Result<()> {
        if self.has_pending() {
            return Err(Error::Replaying);
        }
        if self.deaf() {
            return Err(Error::ChannelDown);
        }
        if !self.breaker.allow() {
            return Err(Error::CircuitOpen);
        }
        Ok(())
    }

    /// Runs one Redis operation under the timeout, feeding the breaker and the metrics.
    pub(crate) async fn run<T, F, Fut>(&self, operation: &'static str, command: F) -> Result<T>
    where
        F: FnOnce(Connection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let attempt = async {
            let conn = self.connection().await?;
            command(conn).await.map_err(Error::from)
        };
        let outcome = match tokio::time::timeout(self.config.redis_timeout, attempt).await {
            Ok(outcome) => outcome,
            Err(_) => Err(Error::Timeout { operation }),
        };
        match &outcome {
            Ok(_) => self.breaker.success(),
            Err(error) => {
                self.metrics.redis_errors.incr();
                tracing::debug!(%error, operation, "redis operation failed");
                if self.breaker.failure() == Tripped::Yes {
                    self.reconnect_cluster().await;
                    self.metrics.circuit_opens.incr();
                    tracing::warn!(%error, "redis circuit breaker opened: serving from L1 and loaders");
                }
            }
        }
        outcome
    }

    /// The shared connection, connecting on first use.
    async fn connection(&self) -> Result<Connection> {
        if let Some(connection) = self.connection.read().await.as_ref() {
            return Ok(connection.clone());
        }
        let mut slot = self.connection.write().await;
        if let Some(connection) = slot.as_ref() {
            return Ok(connection.clone());
        }
        let connection = self.target.connect(self.config.redis_timeout).await?;
        *slot = Some(connection.clone());
        Ok(connection)
    }

    /// Drops a cluster connection so that the next operation makes a new one. redis-rs's
    /// cluster connection refreshes its slot map after errors, but under load, with every
    /// request cut short by the cache's timeout, it was seen failing for as long as a test
    /// ran after a failover; a new connection reads the map afresh. Called when the breaker
    /// opens, so at most once per cool-down.
    async fn reconnect_cluster(&self) {
        if self.target.is_cluster() {
            *self.connection.write().await = None;
        }
    }
}

fn outcome(code: i64) -> FillOutcome {
    if code == 1 {
        FillOutcome::Stored
    } else {
        FillOutcome::Refused
    }
}

fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}
