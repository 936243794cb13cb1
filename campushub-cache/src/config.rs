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
    /// The most list and statistics entries Redis keeps per kind. Every distinct filter,
    /// search or page is an entry of its own, so without a cap a caller sending distinct
    /// queries grows Redis until `maxmemory`; beyond it a fill deletes the entries that expire
    /// first (the oldest fills). Budget about this many times a kind's largest page, per kind.
    /// Must be at least 1.
    pub max_query_entries_per_kind: usize,
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
            max_query_entries_per_kind: 10_000,
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
        if self.max_query_entries_per_kind == 0 {
            return Err(Error::Config(
                "`max_query_entries_per_kind` is 0: no list or statistics entry could be kept"
                    .to_owned(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cap_of_no_query_entries_is_refused_by_name() {
        let config = CacheConfig {
            max_query_entries_per_kind: 0,
            ..CacheConfig::default()
        };
        let error = config.validate().expect_err("a cap of 0");
        assert!(
            error.to_string().contains("max_query_entries_per_kind"),
            "{error}"
        );
        let one = CacheConfig {
            max_query_entries_per_kind: 1,
            ..CacheConfig::default()
        };
        assert!(one.validate().is_ok());
    }
}
