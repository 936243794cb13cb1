//! # campushub-cache
//!
//! The multi-tier cache for CampusHub: moka L1, Redis L2, cross-instance invalidation without
//! stale sets, single flight, warming and metrics.

mod breaker;
mod codec;
mod config;
mod error;
mod flight;
mod keys;
mod l1;
mod l2;
mod metrics;
mod pubsub;
mod scripts;
mod tiered;
mod warmer;

pub use breaker::CircuitState;
pub use config::CacheConfig;
pub use error::{Error, Result};
pub use metrics::MetricsSnapshot;
pub use tiered::TieredCache;
pub use warmer::{WarmJob, Warmer, WarmerHandle};
