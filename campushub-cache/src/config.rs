//! Settings of the cache: sizes, lifetimes, the Redis namespace, timeouts and breaker.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::tls::RedisTls;

/// How the cache behaves. Start from [`CacheConfig::default`] and change what you need.
#[derive(Debug, Clone)]
pub struct CacheConfig {
    /// Prefix of every Redis key and of the invalidation channel, so several deployments can
    /// share one Redis. Must be non-empty and must not contain `{` or `}` (hash tags).
    pub namespace: String,
    /// The L1 bound, in bytes (value bytes + key bytes + a fixed per-entry overhead).
    pub l1_max_bytes: u64,
    /// How long an L1 entry lives.
    pub l1_ttl: Duration,
    /// How long an L2 entry lives.
    pub l2_ttl: Duration,
    /// How long a "not found" entry lives, in both tiers.
    pub negative_ttl: Duration,
    /// How long a tombstone lives in Redis. It must exceed the slowest load, or a slow
    /// reader could fill after the tombstone expired.
    pub tombstone_ttl: Duration,
    /// The longest any Redis operation may take before it counts as failed.
    pub redis_timeout: Duration,
    /// Consecutive Redis failures that open the circuit breaker.
    pub breaker_threshold: u32,
    /// How long an open breaker skips Redis before one request probes it again.
    pub breaker_cool_down: Duration,
    /// While the invalidation channel is disconnected, L1 entries older than this are not
    /// trusted (they may have missed an invalidation from another instance).
    pub disconnected_trust: Duration,
    /// The most invalidations kept for replay while Redis is unreachable.
    pub max_pending_invalidations: usize,
    /// Certificates for a `rediss://` URL beyond the system's trust store (none by default).
    pub redis_tls: RedisTls,
    /// Refuse a `redis://` URL to another host: its traffic (student records in cached
    /// pages, the password) would cross the network in clear. Loopback hosts and Unix
    /// sockets are exempt. Default `false`.
    pub require_tls: bool,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            namespace: "campushub".to_owned(),
            l1_max_bytes: 64 * 1024 * 1024,
            l1_ttl: Duration::from_secs(300),
            l2_ttl: Duration::from_secs(3600),
            negative_ttl: Duration::from_secs(30),
            tombstone_ttl: Duration::from_secs(600),
            redis_timeout: Duration::from_millis(250),
            breaker_threshold: 3,
            breaker_cool_down: Duration::from_secs(2),
            disconnected_trust: Duration::from_secs(3),
            max_pending_invalidations: 10_000,
            redis_tls: RedisTls::default(),
            require_tls: false,
        }
    }
}

impl CacheConfig {
    /// The default configuration under `namespace`.
    pub fn with_namespace(namespace: impl Into<String>) -> Self {
        CacheConfig {
            namespace: namespace.into(),
            ..CacheConfig::default()
        }
    }

    /// Checks the settings that would break the cache.
    pub fn validate(&self) -> Result<()> {
        if self.namespace.is_empty() {
            return Err(Error::Config("`namespace` is empty".to_owned()));
        }
        if self.namespace.contains(['{', '}']) {
            return Err(Error::Config(format!(
                "`namespace` `{}` contains a brace, which would break the Redis hash tags",
                self.namespace
            )));
        }
        if self.l1_max_bytes == 0 {
            return Err(Error::Config("`l1_max_bytes` is 0".to_owned()));
        }
        if self.redis_timeout.is_zero() {
            return Err(Error::Config("`redis_timeout` is 0".to_owned()));
        }
        Ok(())
    }
}
