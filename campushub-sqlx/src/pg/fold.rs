//! Folding the count deltas writes append (`campushub_count_deltas`, see the `count_deltas`
//! migration) into the counter rows, on the primary, every
//! [`PgRouterConfig::fold_interval`](super::PgRouterConfig::fold_interval). Readers sum both
//! tables, so a fold changes no count: it only keeps the deltas a read sums few.

use std::sync::Weak;
use std::time::Duration;

use sqlx::PgPool;

use super::pools::PgPools;
use crate::Result;

/// Folds every `interval` until the router (the pools' owner) is dropped. A failed fold
/// (the migrations not applied yet, the primary unreachable or read-only) is retried at the
/// next tick; the deltas wait, and stay counted, meanwhile.
pub(super) async fn run(pools: Weak<PgPools>, interval: Duration) {
    let mut ticker = tokio::time::interval(interval.max(Duration::from_millis(10)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let Some(pools) = pools.upgrade() else {
            return;
        };
        if let Err(error) = fold(&pools.primary.pool).await {
            tracing::debug!(%error, "the count deltas were not folded this time");
        }
    }
}

/// Moves every delta committed so far into the counter rows, in one transaction; returns how
/// many deltas it moved.
pub(super) async fn fold(primary: &PgPool) -> Result<u64> {
    let moved: i64 = sqlx::query_scalar("SELECT campushub_fold_counts()")
        .fetch_one(primary)
        .await?;
    Ok(u64::try_from(moved).unwrap_or(0))
}
