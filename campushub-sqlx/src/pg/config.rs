//! How a [`super::PgRouter`] is configured: URLs, pool sizes, health-check interval and
//! lag bound.

use std::time::Duration;

/// The router's configuration. Build it with [`PgRouterConfig::new`] and the `with_*`
/// methods.
#[derive(Debug, Clone, PartialEq)]
pub struct PgRouterConfig {
    /// The primary's URL: writes, transactions, `ReadRoute::Primary` reads.
    pub primary: String,
    /// Replica URLs: ordinary reads, round-robin over the healthy ones.
    pub replicas: Vec<String>,
    /// The analytics database's URL: `ReadRoute::Analytics` reads (else replicas, else primary).
    pub analytics: Option<String>,
    /// Connections per pool (default 10).
    pub max_connections: u32,
    /// How often replicas are probed (default 1 s).
    pub health_interval: Duration,
    /// A replica lagging more than this is ejected (default 10 s).
    pub max_lag: Duration,
    /// A replica more than this many WAL bytes behind is ejected (default: no byte bound).
    pub max_lag_bytes: Option<u64>,
    /// How long a read waits for a replica connection before trying the primary (default 2 s).
    pub replica_acquire_timeout: Duration,
    /// How long a statement waits for a primary connection (including connecting) before it
    /// fails as unavailable (default 5 s). Also bounds the first connection in
    /// [`super::PgRouter::connect`], so a server pointed at a dead primary says so promptly.
    pub primary_acquire_timeout: Duration,
}

impl PgRouterConfig {
    /// A router with only a primary at `primary_url`.
    pub fn new(primary_url: impl Into<String>) -> Self {
        PgRouterConfig {
            primary: primary_url.into(),
            replicas: Vec::new(),
            analytics: None,
            max_connections: 10,
            health_interval: Duration::from_secs(1),
            max_lag: Duration::from_secs(10),
            max_lag_bytes: None,
            replica_acquire_timeout: Duration::from_secs(2),
            primary_acquire_timeout: Duration::from_secs(5),
        }
    }

    /// Adds a replica.
    pub fn with_replica(mut self, url: impl Into<String>) -> Self {
        self.replicas.push(url.into());
        self
    }

    /// Sets the analytics database.
    pub fn with_analytics(mut self, url: impl Into<String>) -> Self {
        self.analytics = Some(url.into());
        self
    }

    /// Sets the health-check interval.
    pub fn with_health_interval(mut self, interval: Duration) -> Self {
        self.health_interval = interval;
        self
    }

    /// Sets the lag bound.
    pub fn with_max_lag(mut self, lag: Duration) -> Self {
        self.max_lag = lag;
        self
    }

    /// Sets the byte lag bound.
    pub fn with_max_lag_bytes(mut self, bytes: u64) -> Self {
        self.max_lag_bytes = Some(bytes);
        self
    }

    /// Sets how long a read waits for a replica connection before trying the primary.
    pub fn with_replica_acquire_timeout(mut self, timeout: Duration) -> Self {
        self.replica_acquire_timeout = timeout;
        self
    }

    /// Sets how long a statement waits for a primary connection.
    pub fn with_primary_acquire_timeout(mut self, timeout: Duration) -> Self {
        self.primary_acquire_timeout = timeout;
        self
    }

    /// Sets the connections per pool.
    pub fn with_max_connections(mut self, connections: u32) -> Self {
        self.max_connections = connections;
        self
    }
}
