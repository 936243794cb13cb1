//! `/readyz` components besides the primary: each replica (in rotation or not, with the lag the
//! health task last measured), Redis (subscribed to invalidations, circuit closed) and the
//! instance itself (down once a shutdown has begun).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;

use super::storage::Storage;
use crate::cache::{CircuitState, TieredCache};
use crate::http::{ApiState, ProbeStatus, ReadinessProbe, StoreProbe};

/// Adds the primary probe (critical), the instance's (critical: down once `draining` is set),
/// one per replica, and Redis when configured.
pub(super) fn register(
    mut state: ApiState,
    storage: &Storage,
    redis: Option<&TieredCache>,
    draining: &Arc<AtomicBool>,
) -> ApiState {
    let departments = state.services.departments.clone();
    state = state.probe(Arc::new(StoreProbe::new(departments)));
    state = state.probe(Arc::new(InstanceProbe(Arc::clone(draining))));
    for pool in storage.stats() {
        if pool.name.starts_with("replica") || pool.name == "analytics" {
            state = state.probe(Arc::new(PoolProbe {
                storage: storage.clone(),
                name: pool.name,
            }));
        }
    }
    if let Some(cache) = redis {
        state = state.probe(Arc::new(RedisProbe(cache.clone())));
    }
    state
}

/// A replica or analytics pool, as the router's health task last saw it.
struct PoolProbe {
    storage: Storage,
    name: String,
}

#[async_trait]
impl ReadinessProbe for PoolProbe {
    fn name(&self) -> &str {
        &self.name
    }

    async fn check(&self) -> ProbeStatus {
        let Some(pool) = self
            .storage
            .stats()
            .into_iter()
            .find(|p| p.name == self.name)
        else {
            return ProbeStatus::down("unknown pool");
        };
        let mut status = if pool.healthy {
            ProbeStatus::up()
        } else {
            ProbeStatus::down("out of rotation: down or lagging beyond the bound")
        };
        if pool.follows_primary {
            status.lag_seconds = Some(pool.lag_micros as f64 / 1e6);
        }
        status
    }
}

/// Redis: the invalidation subscription and the circuit breaker.
struct RedisProbe(TieredCache);

#[async_trait]
impl ReadinessProbe for RedisProbe {
    fn name(&self) -> &str {
        "redis"
    }

    async fn check(&self) -> ProbeStatus {
        let metrics = self.0.metrics();
        match (metrics.subscribed, metrics.circuit) {
            (true, CircuitState::Closed) => ProbeStatus::up(),
            (subscribed, circuit) => ProbeStatus::down(format!(
                "subscribed to invalidations: {subscribed}, circuit: {circuit:?}; serving from L1 and the database"
            )),
        }
    }
}

/// The instance: down once a shutdown signal arrived, so that a load balancer stops routing
/// here while requests in progress finish (`CAMPUSHUB_SHUTDOWN_DRAIN`).
struct InstanceProbe(Arc<AtomicBool>);

#[async_trait]
impl ReadinessProbe for InstanceProbe {
    fn name(&self) -> &str {
        "instance"
    }

    fn critical(&self) -> bool {
        true
    }

    async fn check(&self) -> ProbeStatus {
        if self.0.load(Ordering::Relaxed) {
            ProbeStatus::down("shutting down: finishing requests in progress")
        } else {
            ProbeStatus::up()
        }
    }
}
