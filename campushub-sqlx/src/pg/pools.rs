//! The router's pools: the primary, the replicas and the analytics database, each with its
//! counters. The router reads through them and the health probe measures them; neither
//! module knows the other.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::floor::ReplayFloor;
use crate::backend::{Statement, StatementResult};
use crate::counter::PoolCounters;
use crate::error::Result;
use crate::exec::pg::run;

/// One pool with its counters (statements, errors, health, replay position).
#[derive(Debug)]
pub(super) struct PgPoolHandle {
    pub(super) pool: PgPool,
    pub(super) counters: PoolCounters,
    /// A replica's highest replay position shown; its pool refuses new connections below it
    /// while it is kept (see [`ReplayFloor`]). The primary has none.
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

    /// The handle of a lazily connected pool to a server that follows the primary (a
    /// replica; the analytics database once the probe finds it a standby), whose new
    /// connections must reach `floor` while it is kept.
    pub(super) fn following(
        options: PgPoolOptions,
        connect: PgConnectOptions,
        name: &str,
        floor: ReplayFloor,
    ) -> Self {
        let floor = Arc::new(floor);
        let admit = Arc::clone(&floor);
        let pool = options
            .after_connect(move |connection, _| {
                let admit = Arc::clone(&admit);
                Box::pin(async move { admit.admit(connection).await })
            })
            .connect_lazy_with(connect);
        PgPoolHandle::new(pool, name, Some(floor))
    }

    /// Whether this pool's server replays the primary's WAL, so that its replay position
    /// tells which tokens it can serve: always for a replica, for the analytics database when
    /// the probe found it a standby of the primary.
    pub(super) fn follows_primary(&self) -> bool {
        self.floor.as_ref().is_some_and(|floor| floor.is_kept())
    }

    /// The last replay position measured on this pool's server.
    pub(super) fn replayed(&self) -> u64 {
        self.counters.replay_position.load(Ordering::Acquire)
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
