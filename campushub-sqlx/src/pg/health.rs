//! The replica health check: replay position and lag of every replica, ejection beyond the
//! bound, readmission on recovery.

use std::sync::Weak;
use std::time::Duration;

use sqlx::Row;

use super::config::PgRouterConfig;
use super::pools::{PgPoolHandle, PgPools};
use super::positions::{REPLAY_POSITION, REPLICA_STATE, WRITE_POSITION};

/// Probes every `config.health_interval` until the router (the pools' owner) is dropped.
pub(super) async fn run(pools: Weak<PgPools>, config: PgRouterConfig) {
    let interval = config.health_interval;
    let mut ticker = tokio::time::interval(interval.max(Duration::from_millis(10)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let Some(pools) = pools.upgrade() else {
            return;
        };
        probe_all(&pools, &config).await;
    }
}

/// Probes every replica (and the analytics pool) once.
pub(super) async fn probe_all(pools: &PgPools, config: &PgRouterConfig) {
    let timeout = config.health_interval.max(Duration::from_millis(500));
    let primary = tokio::time::timeout(timeout, position(&pools.primary.pool, WRITE_POSITION))
        .await
        .ok()
        .flatten();
    for replica in &pools.replicas {
        probe(config, replica, primary, timeout).await;
    }
    if let Some(analytics) = &pools.analytics {
        let up = tokio::time::timeout(timeout, position(&analytics.pool, REPLAY_POSITION))
            .await
            .ok()
            .flatten()
            .is_some();
        analytics.counters.set_healthy(up);
    }
}

async fn position(pool: &sqlx::PgPool, sql: &str) -> Option<u64> {
    let row = sqlx::query(sql).fetch_one(pool).await.ok()?;
    u64::try_from(row.try_get::<i64, _>(0).ok()?).ok()
}

async fn probe(
    config: &PgRouterConfig,
    replica: &PgPoolHandle,
    primary: Option<u64>,
    timeout: Duration,
) {
    let state =
        tokio::time::timeout(timeout, sqlx::query(REPLICA_STATE).fetch_one(&replica.pool)).await;
    let Ok(Ok(row)) = state else {
        replica.counters.set_healthy(false);
        return;
    };
    let replayed = row
        .try_get::<i64, _>(0)
        .ok()
        .and_then(|p| u64::try_from(p).ok());
    let age: Option<f64> = row.try_get(1).ok().flatten();
    let Some(replayed) = replayed else {
        replica.counters.set_healthy(false);
        return;
    };
    replica.observe_replay(replayed);
    // Without the primary's position the replica's lag is unknown, not zero: out of rotation
    // until it can be measured.
    let behind = primary.map(|p| p.saturating_sub(replayed));
    let lag = match behind {
        Some(0) => 0.0,
        Some(_) => age.unwrap_or(f64::INFINITY),
        None => f64::INFINITY,
    };
    replica.counters.lag((lag.min(1e9) * 1e6) as u64);
    let healthy = lag <= config.max_lag.as_secs_f64()
        && config
            .max_lag_bytes
            .is_none_or(|bound| behind.is_some_and(|behind| behind <= bound));
    replica.counters.set_healthy(healthy);
}
