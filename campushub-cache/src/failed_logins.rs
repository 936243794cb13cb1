//! [`SharedFailedLogins`]: failed logins counted in Redis, so that every instance behind a
//! load balancer locks an account (or a client address) after the same number of failures
//! in total, however an attacker spreads the guesses over the instances.
//!
//! Per key (an account's email, a client address; stored as SHA-256 digests, so no email or
//! address appears in Redis): a counter `INCR`ed by each failure and expiring after
//! `forget_after`, and a lock key set with the lockout as its time to live, which
//! [`ThrottleConfig::lockout`] computes from the counter exactly as the in-process throttle
//! does. A check reads the locks' remaining lives (`PTTL`).
//!
//! Every failure is counted in this process's [`LoginThrottle`] too, and a check asks both:
//! when Redis cannot answer (down, the breaker open), the instance still locks out on what it
//! saw itself, never fails open to unlimited guessing.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use campushub_core::accounts::{FailedLogins, LoginThrottle, ThrottleConfig};

use crate::keys::digest;
use crate::l2::L2;
use crate::TieredCache;

/// Failed logins shared through Redis, with this process's count beside them.
pub struct SharedFailedLogins {
    l2: Option<Arc<L2>>,
    local: LoginThrottle,
    config: ThrottleConfig,
}

impl std::fmt::Debug for SharedFailedLogins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedFailedLogins")
            .field("redis", &self.l2.is_some())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Which counter a key belongs to.
#[derive(Debug, Clone, Copy)]
enum Counter {
    Account,
    Address,
}

impl Counter {
    fn name(self) -> &'static str {
        match self {
            Counter::Account => "account",
            Counter::Address => "address",
        }
    }
}

impl TieredCache {
    /// Failed logins counted in this cache's Redis (in this process only without one),
    /// under `config`.
    pub fn failed_logins(&self, config: ThrottleConfig) -> SharedFailedLogins {
        SharedFailedLogins {
            l2: self.l2().cloned(),
            local: LoginThrottle::new(config),
            config,
        }
    }
}

impl SharedFailedLogins {
    /// The counter and lock keys of `key` in `counter`.
    fn keys(l2: &L2, counter: Counter, key: &str) -> (String, String) {
        l2.keys().login_failures(counter.name(), &digest(key))
    }

    /// The time left on the lock of `key`, per Redis.
    async fn locked(&self, l2: &L2, counter: Counter, key: &str) -> Option<Duration> {
        let (_, lock) = Self::keys(l2, counter, key);
        let left: i64 = l2
            .run("login check", |mut conn| async move {
                redis::cmd("PTTL").arg(&lock).query_async(&mut conn).await
            })
            .await
            .ok()?;
        u64::try_from(left)
            .ok()
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis)
    }

    /// Counts one failure of `key` in Redis; the lockout it starts.
    async fn count(&self, l2: &L2, counter: Counter, key: &str, free: u32) -> Option<Duration> {
        let (failures, lock) = Self::keys(l2, counter, key);
        let forget = millis(self.config.forget_after);
        let failures_key = failures.clone();
        let (count,): (u32,) = l2
            .run("login failure", |mut conn| async move {
                redis::pipe()
                    .cmd("INCR")
                    .arg(&failures_key)
                    .cmd("PEXPIRE")
                    .arg(&failures_key)
                    .arg(forget)
                    .ignore()
                    .query_async(&mut conn)
                    .await
            })
            .await
            .ok()?;
        let lockout = self.config.lockout(count, free)?;
        let ttl = millis(lockout).max(1);
        let _ = l2
            .run("login lockout", |mut conn| async move {
                redis::cmd("SET")
                    .arg(&lock)
                    .arg(1)
                    .arg("PX")
                    .arg(ttl)
                    .query_async::<()>(&mut conn)
                    .await
            })
            .await;
        Some(lockout)
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[async_trait]
impl FailedLogins for SharedFailedLogins {
    async fn check(&self, account: &str, address: Option<&str>) -> Result<(), Duration> {
        let mut wait = self.local.check(account, address).err();
        if let Some(l2) = &self.l2 {
            wait = wait.max(self.locked(l2, Counter::Account, account).await);
            if let Some(address) = address {
                wait = wait.max(self.locked(l2, Counter::Address, address).await);
            }
        }
        match wait {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    async fn failed(&self, account: &str, address: Option<&str>) -> Option<Duration> {
        let mut lockout = self.local.failed(account, address);
        if let Some(l2) = &self.l2 {
            let config = self.config;
            lockout = lockout.max(
                self.count(l2, Counter::Account, account, config.account_free)
                    .await,
            );
            if let Some(address) = address {
                lockout = lockout.max(
                    self.count(l2, Counter::Address, address, config.address_free)
                        .await,
                );
            }
        }
        lockout
    }

    async fn succeeded(&self, account: &str) {
        self.local.succeeded(account);
        if let Some(l2) = &self.l2 {
            let (failures, lock) = Self::keys(l2, Counter::Account, account);
            let _ = l2
                .run("login success", |mut conn| async move {
                    redis::cmd("DEL")
                        .arg(&failures)
                        .arg(&lock)
                        .query_async::<()>(&mut conn)
                        .await
                })
                .await;
        }
    }
}
