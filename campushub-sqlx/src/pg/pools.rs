//! The router's pools: the primary, the replicas and the analytics database, each with its
//! counters. The router reads through them and the health probe measures them; neither
//! module knows the other.

use std::sync::Arc;

use sqlx::postgres::PgPool;

use super::floor::ReplayFloor;
use crate::counter::PoolCounters;

/// One pool with its counters (statements, errors, health, replay position).
#[derive(Debug)]
pub(super) struct PgPoolHandle {
    pub(super) pool: PgPool,
    pub(super) counters: PoolCounters,
    /// The highest replay position the pool's server has shown; a replica pool refuses new
    /// connections below it (see [`ReplayFloor`]).
    pub(super) floor: Arc<ReplayFloor>,
}

impl PgPoolHandle {
    /// The handle of `pool`, counted under `name`.
    pub(super) fn new(pool: PgPool, name: impl Into<String>, floor: Arc<ReplayFloor>) -> Self {
        PgPoolHandle {
            pool,
            counters: PoolCounters::new(name),
            floor,
        }
    }
}

/// Every pool a router routes over.
#[derive(Debug)]
pub(super) struct PgPools {
    pub(super) primary: PgPoolHandle,
    pub(super) replicas: Vec<PgPoolHandle>,
    pub(super) analytics: Option<PgPoolHandle>,
}

impl PgPools {
    /// The primary, then the replicas, then the analytics pool.
    pub(super) fn all(&self) -> impl Iterator<Item = &PgPoolHandle> {
        std::iter::once(&self.primary)
            .chain(&self.replicas)
            .chain(&self.analytics)
    }
}
