//! [`PgRouter`]: writes to the primary, reads round-robin over healthy replicas (or to the
//! analytics pool), read-your-writes by WAL position, one retry on another pool.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use campushub_core::{ConsistencyToken, ReadOptions, ReadRoute};
use sqlx::postgres::{PgPool, PgPoolOptions};
use tokio::task::JoinHandle;

use super::config::PgRouterConfig;
use super::floor::ReplayFloor;
use super::pools::{PgPoolHandle, PgPools};
use super::positions::REPLAY_POSITION;
use super::write::{commit, commit_position, first_int, PgTx};
use super::{fold, health};
use crate::backend::{Backend, Dialect, Guarded, Statement, StatementResult, WriteGuard, WriteTx};
use crate::counter::PoolStats;
use crate::error::{is_connection_error, Error, Result};
use crate::pool_check::tested_when_idle;
use crate::value::{ColType, SqlValue};

/// How long [`PgRouter::migrate`] waits for the replicas to replay the migrations.
pub const MIGRATION_REPLAY_WAIT: Duration = Duration::from_secs(10);

/// Routes statements over a Postgres primary, its replicas and an analytics database.
///
/// Analytics reads go to the analytics database while it is in rotation; a read with a
/// token only when that database is a standby of the primary that has replayed the token
/// (see [`PgRouterConfig::analytics`]). Else they are routed like any read.
///
/// Cheap to clone (an `Arc` inside). A background task probes the replicas every
/// [`PgRouterConfig::health_interval`]; it stops when the last clone is dropped.
///
/// Reads without a token may be served by a replica that has not replayed the latest writes
/// (within the lag bound): pass the token a write returned to read your own writes.
#[derive(Clone, Debug)]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub struct PgRouter {
    pub(super) inner: Arc<RouterInner>,
}

#[derive(Debug)]
pub(super) struct RouterInner {
    /// The only strong handle: the health task holds a weak one and stops when it is gone.
    pools: Arc<PgPools>,
    config: PgRouterConfig,
    next: AtomicUsize,
    health: Mutex<Option<JoinHandle<()>>>,
    fold: Option<JoinHandle<()>>,
}

impl Drop for RouterInner {
    fn drop(&mut self) {
        if let Ok(mut task) = self.health.lock() {
            if let Some(task) = task.take() {
                task.abort();
            }
        }
        if let Some(task) = &self.fold {
            task.abort();
        }
    }
}

impl PgRouter {
    /// Connects the pools (the primary eagerly, replicas and analytics lazily), probes the
    /// replicas once, and starts the health task on the current tokio runtime.
    pub async fn connect(config: PgRouterConfig) -> Result<PgRouter> {
        let primary = tested_when_idle(PgPoolOptions::new())
            .max_connections(config.max_connections)
            .acquire_timeout(config.primary_acquire_timeout)
            .connect_with(config.connect_options(&config.primary)?)
            .await?;
        let secondary = || {
            tested_when_idle(PgPoolOptions::new())
                .max_connections(config.max_connections)
                .acquire_timeout(config.replica_acquire_timeout)
        };
        let mut replicas = Vec::new();
        for (i, url) in config.replicas.iter().enumerate() {
            replicas.push(PgPoolHandle::following(
                secondary(),
                config.connect_options(url)?,
                &format!("replica-{i}"),
                ReplayFloor::kept(),
            ));
        }
        // Routed by position like a replica once the probe finds it a standby of the primary;
        // until then (or if it is another server) only token-less reads go there.
        let analytics = match &config.analytics {
            Some(url) => Some(PgPoolHandle::following(
                secondary(),
                config.connect_options(url)?,
                "analytics",
                ReplayFloor::dormant(),
            )),
            None => None,
        };
        let pools = Arc::new(PgPools {
            primary: PgPoolHandle::new(primary, "primary", None),
            replicas,
            analytics,
        });
        health::probe_all(&pools, &config).await;
        if let Some(analytics) = &pools.analytics {
            // Later changes are logged by the health task.
            tracing::info!(
                follows_primary = analytics.follows_primary(),
                "the analytics database serves aggregates {}",
                if analytics.follows_primary() {
                    "by position, like a replica"
                } else {
                    "without a consistency token only (not a standby of the primary, or not \
                     reachable yet)"
                }
            );
        }
        let task = tokio::spawn(health::run(Arc::downgrade(&pools), config.clone()));
        let fold = config
            .fold_interval
            .map(|interval| tokio::spawn(fold::run(Arc::downgrade(&pools), interval)));
        let inner = Arc::new(RouterInner {
            pools,
            config,
            next: AtomicUsize::new(0),
            health: Mutex::new(None),
            fold,
        });
        if let Ok(mut slot) = inner.health.lock() {
            *slot = Some(task);
        }
        Ok(PgRouter { inner })
    }

    /// Folds the count deltas writes appended into the counter rows now, in one transaction,
    /// and returns how many it moved (the router also does so every
    /// [`PgRouterConfig::fold_interval`]). Counts read the same before and after.
    pub async fn fold_counts(&self) -> Result<u64> {
        fold::fold(&self.inner.pools.primary.pool).await
    }

    /// A router with only a primary at `url` (default settings).
    pub async fn primary_only(url: &str) -> Result<PgRouter> {
        Self::connect(PgRouterConfig::new(url)).await
    }

    /// The primary's pool (for migrations and administrative statements).
    pub fn primary_pool(&self) -> &PgPool {
        &self.inner.pools.primary.pool
    }

    /// Applies the crate's Postgres migrations on the primary.
    ///
    /// Then waits, up to [`MIGRATION_REPLAY_WAIT`], until every replica has replayed the
    /// migrations: reads without a token go to replicas, and one that still has the old
    /// schema would fail a statement naming a new column. A replica that does not catch up
    /// in time is left to the health checks (a warning is logged).
    pub async fn migrate(&self) -> Result<()> {
        crate::migrate::migrate_postgres(self.primary_pool()).await?;
        let target = self.write_token().await?.position();
        let deadline = tokio::time::Instant::now() + MIGRATION_REPLAY_WAIT;
        for replica in &self.inner.pools.replicas {
            loop {
                let replayed: Option<i64> = sqlx::query_scalar(REPLAY_POSITION)
                    .fetch_one(&replica.pool)
                    .await
                    .ok()
                    .flatten();
                if replayed.and_then(|p| u64::try_from(p).ok()) >= Some(target) {
                    break;
                }
                if tokio::time::Instant::now() >= deadline {
                    tracing::warn!(
                        pool = %replica.counters.name,
                        "a replica has not replayed the migrations yet; reads there may fail until it does"
                    );
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        Ok(())
    }

    /// Probes every replica now (the health task does so every interval).
    pub async fn check_health(&self) {
        health::probe_all(&self.inner.pools, &self.inner.config).await;
    }

    /// Begins a transaction on the primary, for `SELECT … FOR UPDATE` and other multi-statement
    /// work that the repositories do not cover (counted as one primary statement; the
    /// statements run inside it are the caller's and are not counted).
    ///
    /// After committing, [`PgRouter::write_token`] gives the token that makes later reads see
    /// the transaction's writes.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        let primary = &self.inner.pools.primary;
        let begin = primary.pool.begin();
        Ok(primary
            .counters
            .counted("BEGIN", Duration::ZERO, begin)
            .await?)
    }

    /// A consistency token at or past every write committed on the primary before this call:
    /// pass it to reads ([`ReadOptions::after`]) or return it to clients as the
    /// `Consistency-Token` after a transaction of your own ([`PgRouter::begin`]).
    pub async fn write_token(&self) -> Result<ConsistencyToken> {
        let primary = &self.inner.pools.primary;
        commit_position(primary, &primary.pool)
            .await?
            .ok_or_else(|| Error::Config("the primary reported no WAL position".into()))
    }

    /// The pool that serves `read`.
    async fn choose(&self, read: &ReadOptions) -> &PgPoolHandle {
        let inner = &*self.inner;
        match read.route {
            ReadRoute::Primary => return &inner.pools.primary,
            ReadRoute::Analytics => {
                if let Some(analytics) = self.analytics_for(read).await {
                    return analytics;
                }
            }
            ReadRoute::Replica => {}
        }
        let n = inner.pools.replicas.len();
        if n == 0 {
            return &inner.pools.primary;
        }
        let start = inner.next.fetch_add(1, Ordering::Relaxed);
        let healthy = (0..n)
            .map(|k| &inner.pools.replicas[(start + k) % n])
            .filter(|r| r.counters.is_healthy());
        let Some(token) = read.min_token else {
            return healthy.into_iter().next().unwrap_or(&inner.pools.primary);
        };
        let mut stale = None;
        for replica in healthy {
            if replica.replayed() >= token.position() {
                return replica;
            }
            stale.get_or_insert(replica);
        }
        // The last measurement may be old: ask the first healthy replica once.
        if let Some(replica) = stale {
            if self.has_replayed(replica, token).await {
                return replica;
            }
        }
        &inner.pools.primary
    }

    /// The analytics pool, if it may serve `read`: in rotation (up and, when it follows the
    /// primary, within the lag bound) and, for a read with a token, a standby of the primary
    /// that has replayed that far, routed like a replica. A database that is not a standby
    /// of the primary has positions of its own, which say nothing of tokens: it serves only
    /// token-less reads.
    async fn analytics_for(&self, read: &ReadOptions) -> Option<&PgPoolHandle> {
        let analytics = self.inner.pools.analytics.as_ref()?;
        if !analytics.counters.is_healthy() {
            return None;
        }
        let Some(token) = read.min_token else {
            return Some(analytics);
        };
        if !analytics.follows_primary() {
            return None;
        }
        let caught_up = analytics.replayed() >= token.position()
            // The last measurement may be old: ask once.
            || self.has_replayed(analytics, token).await;
        caught_up.then_some(analytics)
    }

    /// Whether `pool`'s server has replayed `token`, measured now.
    async fn has_replayed(&self, pool: &PgPoolHandle, token: ConsistencyToken) -> bool {
        self.replay_position(pool)
            .await
            .is_some_and(|position| position >= token.position())
    }

    /// The replay position of `pool`'s server, measured now (one counted statement).
    async fn replay_position(&self, pool: &PgPoolHandle) -> Option<u64> {
        let statement = Statement {
            sql: REPLAY_POSITION.into(),
            args: Vec::new(),
            returns: vec![ColType::Int],
        };
        let measured = pool.run(statement).await;
        let position = first_int(measured.ok()?)?;
        let position = u64::try_from(position).ok()?;
        pool.observe_replay(position);
        Some(position)
    }

    /// Sets the duration above which a statement on any of the router's pools is reported
    /// (a `warn` event with its text, duration and pool, inside the caller's span) and
    /// counted in [`PoolStats::slow_statements`]; `None` reports none. Every pool starts with
    /// [`DEFAULT_SLOW_STATEMENT`](crate::DEFAULT_SLOW_STATEMENT).
    pub fn set_slow_statement_threshold(&self, threshold: Option<Duration>) {
        for pool in self.inner.pools.all() {
            pool.counters.set_slow_threshold(threshold);
        }
    }

    /// Snapshots of every pool's counters: primary, replicas, analytics.
    pub fn stats(&self) -> Vec<PoolStats> {
        let inner = &*self.inner;
        let pools = inner.pools.all();
        pools
            .map(|p| PoolStats {
                follows_primary: p.follows_primary(),
                ..p.counters.snapshot(&p.pool)
            })
            .collect()
    }

    /// The snapshot of the pool named `name`.
    pub fn pool(&self, name: &str) -> Option<PoolStats> {
        self.stats().into_iter().find(|s| s.name == name)
    }
}

#[async_trait]
impl Backend for PgRouter {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn fetch(&self, statement: Statement, read: &ReadOptions) -> Result<Vec<Vec<SqlValue>>> {
        let handle = self.choose(read).await;
        let primary = &self.inner.pools.primary;
        let is_primary = std::ptr::eq(handle, primary);
        let retry = (!is_primary).then(|| statement.clone());
        let first = handle.run(statement).await;
        match first {
            Ok(result) => {
                handle.counters.read();
                Ok(result.rows)
            }
            Err(Error::Database(error)) if !is_primary && is_connection_error(&error) => {
                tracing::warn!(pool = %handle.counters.name, %error, "read failed; retrying on the primary");
                handle.counters.retry();
                handle.counters.set_healthy(false);
                let statement =
                    retry.ok_or_else(|| Error::Config("no statement to retry".into()))?;
                let result = primary.run(statement).await?;
                primary.counters.read();
                Ok(result.rows)
            }
            Err(error) => Err(error),
        }
    }

    async fn write(
        &self,
        statements: Vec<Statement>,
    ) -> Result<(Vec<StatementResult>, Option<ConsistencyToken>)> {
        match commit(&self.inner.pools.primary, None, statements).await? {
            Guarded::Written(results, token) => Ok((results, token)),
            Guarded::Refused(_) => Err(Error::Config("a write without a guard was refused".into())),
        }
    }

    async fn write_guarded(
        &self,
        guard: WriteGuard,
        statements: Vec<Statement>,
    ) -> Result<Guarded> {
        commit(&self.inner.pools.primary, Some(guard), statements).await
    }

    async fn begin(&self, lock: Option<i64>) -> Result<Box<dyn WriteTx>> {
        let tx = PgTx::begin(Arc::clone(&self.inner.pools), lock).await?;
        Ok(Box::new(tx))
    }

    fn pool_stats(&self) -> Vec<PoolStats> {
        self.stats()
    }
}
