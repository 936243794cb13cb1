//! The router's pools: the primary, the replicas and the analytics database, each with its
//! counters. The router reads through them and the health probe measures them; neither
//! module knows the other.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use sqlx::postgres::PgPool;

use super::exec::run;
use super::floor::ReplayFloor;
use crate::backend::{Statement, StatementResult};
use crate::counter::PoolCounters;
use crate::error::Result;

/// One pool with its counters (statements, errors, health, replay position).
#[derive(Debug)]
pub(super) struct PgPoolHandle {
    pub(super) pool: PgPool,
    pub(super) counters: PoolCounters,
    /// A replica's highest replay position shown; its pool refuses new connections below it
    /// (see [`ReplayFloor`]). The primary and the analytics pool have none.
    pub(super) floor: Option<Arc<ReplayFloor>>,
}

impl PgPoolHandle {
    /// The handle of `pool`, counted under `name`.
    pub(super) fn new(pool: PgPool, name: &str, floor: Option<Arc<ReplayFloor>>) -> Self {
        PgPoolHandle {
            pool,
            counters: PoolCounters::new(name, "postgresql"),
            floor,
        }
    }

    /// Runs `statement` on a connection of this pool, observed (the wait for it included).
    pub(super) async fn run(&self, statement: Statement) -> Result<StatementResult> {
        let sql = Arc::clone(&statement.sql);
        self.counters
            .counted_on(&self.pool, &sql, |mut connection| async move {
                run(&mut *connection, statement).await
            })
            .await
    }

    /// Records a replay position measured on this pool's server: the figure token reads are
    /// routed by, stored as measured (a replica restarted after a crash resumes behind where
    /// it had replayed, and routing by an older, higher figure would read data older than a
    /// token), and the floor its new connections must reach, which only rises.
    pub(super) fn observe_replay(&self, position: u64) {
        self.counters
            .replay_position
            .store(position, Ordering::Release);
        if let Some(floor) = &self.floor {
            floor.raise(position);
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
