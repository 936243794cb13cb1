//! Rate limiting: [`RateBudget`], what the HTTP adapter asks before it serves a request ("may
//! this key spend one request now? if not, when"), [`Quota`], how much a key may spend, and
//! [`Gcra`], the arithmetic every budget shares.
//!
//! [`LocalRateBudget`] keeps the budgets in this process; a deployment of several instances
//! keeps them in a store they share (the cache crate's, on Redis), so that a client spreading
//! its requests over the instances is held to one budget in total.

mod gcra;
mod local;

use std::time::Duration;

use async_trait::async_trait;

pub use gcra::Gcra;
pub use local::LocalRateBudget;

/// How much a key may spend: `limit` requests per `window`, all of them at once if it has
/// spent nothing for a `window` (the burst is the whole quota).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quota {
    /// Requests per window (at least 1).
    pub limit: u32,
    /// The window (at least 1 µs).
    pub window: Duration,
}

impl Quota {
    /// `limit` requests per `window`; `None` if either is zero.
    pub fn new(limit: u32, window: Duration) -> Option<Quota> {
        (limit > 0 && window.as_micros() > 0).then_some(Quota { limit, window })
    }

    /// The window in whole microseconds, the unit budgets count in.
    pub fn window_micros(&self) -> u64 {
        u64::try_from(self.window.as_micros()).unwrap_or(u64::MAX)
    }

    /// The time one request costs, in microseconds (the window over the limit, at least 1).
    pub fn interval_micros(&self) -> u64 {
        (self.window_micros() / u64::from(self.limit.max(1))).max(1)
    }

    /// The limit's worth of intervals, in microseconds: the window rounded down to whole
    /// intervals, so that a burst is never more than `limit` requests.
    pub fn span_micros(&self) -> u64 {
        self.interval_micros()
            .saturating_mul(u64::from(self.limit.max(1)))
    }
}

/// A budget's answer to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Spent: the request may go on.
    Allowed {
        /// Requests the key may still make at once.
        remaining: u32,
        /// When the key's budget is whole again.
        reset: Duration,
    },
    /// Over the budget: nothing was spent.
    Limited {
        /// When one request will be allowed again.
        retry_after: Duration,
    },
}

impl Decision {
    /// Whether the request may go on.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allowed { .. })
    }
}

/// Where budgets are kept: what the HTTP adapter asks for each request it limits.
#[async_trait]
pub trait RateBudget: Send + Sync + std::fmt::Debug {
    /// Spends one request of `key`'s budget under `quota`, if the budget allows it.
    async fn spend(&self, key: &str, quota: Quota) -> Decision;
}
