//! [`LocalRateBudget`]: GCRA budgets kept in this process, what an instance limits with on
//! its own (and what the shared budget falls back to while its store cannot answer).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use async_trait::async_trait;

use super::{Decision, Gcra, Quota, RateBudget};

/// Keys kept at most by default; beyond it, keys whose budget is whole again are dropped.
const DEFAULT_MAX_KEYS: usize = 100_000;

/// Budgets per key in this process, each one instant (see [`Gcra`]).
#[derive(Debug)]
pub struct LocalRateBudget {
    epoch: Instant,
    max_keys: usize,
    tats: Mutex<HashMap<String, u64>>,
}

impl Default for LocalRateBudget {
    fn default() -> Self {
        LocalRateBudget::new(DEFAULT_MAX_KEYS)
    }
}

impl LocalRateBudget {
    /// Budgets for at most about `max_keys` keys at once: when a new key would go over, the
    /// keys whose budgets are whole (they owe nothing) are forgotten, which changes no
    /// decision; if every key still owes, the new key is refused rather than memory growing.
    pub fn new(max_keys: usize) -> Self {
        LocalRateBudget {
            epoch: Instant::now(),
            max_keys: max_keys.max(1),
            tats: Mutex::default(),
        }
    }

    /// [`RateBudget::spend`] at `now`, without waiting.
    pub fn spend_at(&self, key: &str, quota: Quota, now: Instant) -> Decision {
        let now = u64::try_from(now.saturating_duration_since(self.epoch).as_micros())
            .unwrap_or(u64::MAX);
        let mut tats = self.tats.lock().unwrap_or_else(PoisonError::into_inner);
        let known = tats.get(key).copied();
        if known.is_none() && tats.len() >= self.max_keys {
            tats.retain(|_, tat| *tat > now);
            if tats.len() >= self.max_keys {
                return Gcra::limited(quota.interval_micros());
            }
        }
        let (decision, next) = Gcra::decide(known, now, quota);
        if let Some(next) = next {
            tats.insert(key.to_owned(), next);
        }
        decision
    }

    /// Keys held now.
    pub fn len(&self) -> usize {
        self.tats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl RateBudget for LocalRateBudget {
    async fn spend(&self, key: &str, quota: Quota) -> Decision {
        self.spend_at(key, quota, Instant::now())
    }
}
