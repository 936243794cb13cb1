//! L2: Redis through a reconnecting connection manager, every command bounded by a timeout
//! and gated by the circuit breaker. Invalidations that cannot reach Redis are queued and
//! replayed before Redis serves anything again.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use campushub_core::{CacheKey, CachedValue, ConsistencyToken, EntityKind};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;
use uuid::Uuid;

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

/// The Redis tier.
pub(crate) struct L2 {
    client: redis::Client,
    connection: OnceCell<ConnectionManager>,
    keys: KeySpace,
    scripts: Scripts,
    breaker: Breaker,
    metrics: Arc<Metrics>,
    pending: Mutex<VecDeque<Invalidation>>,
    replaying: tokio::sync::Mutex<()>,
    config: CacheConfig,
    instance: String,
}

impl L2 {
    /// The tier for `client`; connects on first use.
    pub(crate) fn new(
        client: redis::Client,
        config: &CacheConfig,
        metrics: Arc<Metrics>,
        instance: String,
    ) -> Self {
        L2 {
            client,
            connection: OnceCell::new(),
            keys: KeySpace::new(&config.namespace),
            scripts: Scripts::new(),
            breaker: Breaker::new(config.breaker_threshold, config.breaker_cool_down),
            metrics,
            pending: Mutex::new(VecDeque::new()),
            replaying: tokio::sync::Mutex::new(()),
            config: config.clone(),
            instance,
        }
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
        self.ready().await?;
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
        self.ready().await?;
        let (generation, token, json): (String, Vec<u8>, Option<Vec<u8>>) = self
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
        })
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
        self.ready().await?;
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
    /// than the generation's.
    pub(crate) async fn fill_query(
        &self,
        key: &CacheKey,
        value: &CachedValue,
        generation: u64,
        token: Option<ConsistencyToken>,
    ) -> Result<FillOutcome> {
        let generation_key = self.keys.generation(key.kind().as_str());
        let redis_key = self.keys.value(key);
        let token = token_text(token);
        self.ready().await?;
        let code: i64 = self
            .run("fill", |mut conn| {
                let mut call = self.scripts.fill_query.prepare_invoke();
                call.key(&generation_key)
                    .key(&redis_key)
                    .arg(generation.to_string())
                    .arg(&token)
                    .arg(millis(self.config.l2_ttl))
                    .arg(&value.json[..]);
                async move { call.invoke_async(&mut conn).await }
            })
            .await?;
        Ok(outcome(code))
    }

    /// Tombstones the record, bumps the generations and publishes; on failure the
    /// invalidation is queued for replay (and the error returned).
    pub(crate) async fn invalidate(&self, invalidation: Invalidation) -> Result<()> {
        let outcome = match self.ready().await {
            Ok(()) => self.apply(&invalidation).await,
            Err(error) => Err(error),
        };
        if outcome.is_err() {
            self.queue(invalidation);
        }
        outcome
    }

    /// Writes one invalidation to Redis: one atomic script per slot, then the message.
    async fn apply(&self, invalidation: &Invalidation) -> Result<()> {
        let record_key = self.keys.value(&CacheKey::Entity {
            kind: invalidation.kind,
            id: invalidation.id,
        });
        let token = token_text(invalidation.token);
        let ttl = millis(self.config.tombstone_ttl);
        let message = self.message(invalidation);
        let channel = self.keys.channel();
        let generation_keys: Vec<String> = invalidation
            .generations
            .iter()
            .map(|kind| self.keys.generation(kind.as_str()))
            .collect();
        self.run("invalidate", |conn| {
            let scripts = &self.scripts;
            let (record_key, token, message, channel) = (&record_key, &token, &message, &channel);
            let generation_keys = &generation_keys;
            async move {
                let mut tomb = scripts.tombstone.prepare_invoke();
                tomb.key(record_key)
                    .arg(invalidation.version)
                    .arg(token)
                    .arg(ttl);
                let mut writes = vec![tomb];
                for key in generation_keys {
                    let mut bump = scripts.bump.prepare_invoke();
                    bump.key(key).arg(token);
                    writes.push(bump);
                }
                // Sent together: the multiplexed connection pipelines them.
                futures::future::try_join_all(writes.iter().map(|call| {
                    let mut conn = conn.clone();
                    async move { call.invoke_async::<redis::Value>(&mut conn).await }
                }))
                .await?;
                let mut conn = conn;
                redis::cmd("PUBLISH")
                    .arg(channel)
                    .arg(message)
                    .query_async::<i64>(&mut conn)
                    .await
            }
        })
        .await?;
        self.metrics.invalidations_sent.incr();
        Ok(())
    }

    /// The pub/sub message for an invalidation:
    /// `<instance>|<kind>|<id>|<generation kinds, comma-separated>,|<version>`. The comma
    /// before the version keeps older receivers (which read everything after the third `|`
    /// as kinds) bumping every real kind; they only bump one meaningless stripe more.
    fn message(&self, invalidation: &Invalidation) -> String {
        let kinds: Vec<&str> = invalidation
            .generations
            .iter()
            .map(|k| k.as_str())
            .collect();
        format!(
            "{}|{}|{}|{},|{}",
            self.instance,
            invalidation.kind,
            invalidation.id,
            kinds.join(","),
            invalidation.version
        )
    }

    fn queue(&self, invalidation: Invalidation) {
        let mut pending = self.lock_pending();
        if pending.len() >= self.config.max_pending_invalidations {
            pending.pop_front();
            self.metrics.invalidations_dropped.incr();
        }
        pending.push_back(invalidation);
        self.metrics.invalidations_queued.incr();
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, VecDeque<Invalidation>> {
        // A queue of plain data: a panic cannot leave it half-written.
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether Redis may serve: the breaker allows it and no invalidation awaits replay
    /// (replaying them first, in order; a caller that finds a replay running skips Redis).
    async fn ready(&self) -> Result<()> {
        if !self.breaker.allow() {
            return Err(Error::CircuitOpen);
        }
        if self.lock_pending().is_empty() {
            return Ok(());
        }
        let Ok(_replaying) = self.replaying.try_lock() else {
            return Err(Error::CircuitOpen);
        };
        loop {
            let next = self.lock_pending().front().cloned();
            let Some(invalidation) = next else {
                return Ok(());
            };
            self.apply(&invalidation).await?;
            self.lock_pending().pop_front();
        }
    }

    /// Runs one Redis operation under the timeout, feeding the breaker and the metrics.
    async fn run<T, F, Fut>(&self, operation: &'static str, command: F) -> Result<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
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
                    self.metrics.circuit_opens.incr();
                    tracing::warn!(%error, "redis circuit breaker opened: serving from L1 and loaders");
                }
            }
        }
        outcome
    }

    /// The shared connection, connecting on first use.
    async fn connection(&self) -> Result<ConnectionManager> {
        let manager = self
            .connection
            .get_or_try_init(|| {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(self.config.redis_timeout)
                    .set_response_timeout(self.config.redis_timeout)
                    .set_number_of_retries(1)
                    .set_max_delay(self.config.redis_timeout.as_millis() as u64);
                ConnectionManager::new_with_config(self.client.clone(), config)
            })
            .await?;
        Ok(manager.clone())
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
