//! The replica health check: replay position and lag of every replica, ejection beyond the
//! bound, readmission on recovery; and of the analytics database, which is probed the same
//! way once it shows itself a standby of the primary (in recovery, with the primary's system
//! identifier), and is otherwise only checked to be up.

use std::sync::Weak;
use std::time::Duration;

use sqlx::postgres::PgRow;
use sqlx::Row;

use super::config::PgRouterConfig;
use super::pools::{PgPoolHandle, PgPools};
use super::positions::{ANALYTICS_STATE, REPLICA_STATE, SYSTEM_IDENTIFIER, WRITE_POSITION};

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
    let primary = &pools.primary.pool;
    let position = tokio::time::timeout(timeout, position(primary))
        .await
        .ok()
        .flatten();
    for replica in &pools.replicas {
        probe(config, replica, position, timeout).await;
    }
    if let Some(analytics) = &pools.analytics {
        let system = tokio::time::timeout(timeout, system_identifier(primary))
            .await
            .ok()
            .flatten();
        let primary = position.zip(system);
        probe_analytics(config, analytics, primary, timeout).await;
    }
}

async fn position(pool: &sqlx::PgPool) -> Option<u64> {
    let row = sqlx::query(WRITE_POSITION).fetch_one(pool).await.ok()?;
    u64::try_from(row.try_get::<i64, _>(0).ok()?).ok()
}

/// The cluster's system identifier, `None` when it cannot be read (a role the function is
/// revoked from), asked apart from the positions so that such a role only loses routing by
/// position on the analytics database.
async fn system_identifier(pool: &sqlx::PgPool) -> Option<i64> {
    let row = sqlx::query(SYSTEM_IDENTIFIER).fetch_one(pool).await.ok()?;
    row.try_get(0).ok()
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
    judge(config, replica, &row, primary);
}

/// The analytics database: a standby of the primary is judged like a replica (and its
/// positions route token reads); another server only has to answer. `primary` is the
/// primary's write position and system identifier, when both could be read.
async fn probe_analytics(
    config: &PgRouterConfig,
    analytics: &PgPoolHandle,
    primary: Option<(u64, i64)>,
    timeout: Duration,
) {
    let query = sqlx::query(ANALYTICS_STATE).fetch_one(&analytics.pool);
    let Ok(Ok(row)) = tokio::time::timeout(timeout, query).await else {
        analytics.counters.set_healthy(false);
        return;
    };
    let in_recovery: bool = row.try_get(2).unwrap_or(false);
    // Without the primary's figures this round, what the last round found stands.
    let follows = match primary {
        Some((_, system)) if in_recovery => {
            let own = tokio::time::timeout(timeout, system_identifier(&analytics.pool)).await;
            own.ok().flatten() == Some(system)
        }
        Some(_) => false,
        None => analytics.follows_primary(),
    };
    if let Some(floor) = &analytics.floor {
        if floor.keep(follows) {
            tracing::info!(
                follows_primary = follows,
                "the analytics database {}",
                if follows {
                    "is now a standby of the primary: aggregates are routed to it by position"
                } else {
                    "is no longer a standby of the primary: only aggregates without a \
                     consistency token go there"
                },
            );
        }
    }
    if follows {
        judge(
            config,
            analytics,
            &row,
            primary.map(|(position, _)| position),
        );
    } else {
        analytics.counters.set_healthy(true);
    }
}

/// Records a standby's replayed position and lag from its probe `row` (replayed position,
/// age of the last replayed transaction) and takes it out of rotation beyond the bound.
fn judge(config: &PgRouterConfig, standby: &PgPoolHandle, row: &PgRow, primary: Option<u64>) {
    let replayed = row
        .try_get::<i64, _>(0)
        .ok()
        .and_then(|p| u64::try_from(p).ok());
    let age: Option<f64> = row.try_get(1).ok().flatten();
    let Some(replayed) = replayed else {
        standby.counters.set_healthy(false);
        return;
    };
    standby.observe_replay(replayed);
    // Without the primary's position the standby's lag is unknown, not zero: out of rotation
    // until it can be measured.
    let behind = primary.map(|p| p.saturating_sub(replayed));
    let lag = match behind {
        Some(0) => 0.0,
        Some(_) => age.unwrap_or(f64::INFINITY),
        None => f64::INFINITY,
    };
    standby.counters.lag((lag.min(1e9) * 1e6) as u64);
    let healthy = lag <= config.max_lag.as_secs_f64()
        && config
            .max_lag_bytes
            .is_none_or(|bound| behind.is_some_and(|behind| behind <= bound));
    standby.counters.set_healthy(healthy);
}
