//! [`SharedRateBudget`]: GCRA rate-limit budgets kept in Redis, so that every instance behind
//! a load balancer holds a client to one budget in total, however its requests are spread.
//!
//! One script (`SPEND_RATE` in `scripts.rs`) decides and stores in one step on Redis's clock,
//! so instances need not agree on the time. Keys are SHA-256 digests under the cache's
//! namespace (no subject or address appears in Redis). While Redis cannot answer (down, the
//! breaker open) each instance limits on its own with a [`LocalRateBudget`]: a client may
//! then get up to the limit from each instance, never an unlimited rate.

use std::sync::Arc;

use async_trait::async_trait;
use campushub_core::rate_limit::{Decision, Gcra, LocalRateBudget, Quota, RateBudget};

use crate::keys::digest;
use crate::l2::L2;
use crate::TieredCache;

/// Rate budgets in this cache's Redis, with this process's budgets as the fallback.
pub struct SharedRateBudget {
    l2: Option<Arc<L2>>,
    local: LocalRateBudget,
}

impl std::fmt::Debug for SharedRateBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedRateBudget")
            .field("redis", &self.l2.is_some())
            .finish_non_exhaustive()
    }
}

impl TieredCache {
    /// Rate budgets kept in this cache's Redis (in this process only without one).
    pub fn rate_budget(&self) -> SharedRateBudget {
        SharedRateBudget {
            l2: self.l2().cloned(),
            local: LocalRateBudget::default(),
        }
    }
}

#[async_trait]
impl RateBudget for SharedRateBudget {
    async fn spend(&self, key: &str, quota: Quota) -> Decision {
        if let Some(l2) = &self.l2 {
            let shared = l2
                .spend_rate(&digest(key), quota.interval_micros(), quota.span_micros())
                .await;
            match shared {
                Ok((true, ahead)) => return Gcra::allowed(quota, ahead),
                Ok((false, retry_after)) => return Gcra::limited(retry_after),
                Err(error) => {
                    tracing::debug!(%error, "rate limit from this instance's budget: Redis did not answer");
                }
            }
        }
        self.local.spend(key, quota).await
    }
}
