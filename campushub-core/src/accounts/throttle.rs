//! [`LoginThrottle`]: backoff and lockout after failed logins, per account and per client
//! address, in this process; [`FailedLogins`], what sign-in asks, which a store shared by
//! every instance implements too (the cache crate's, on Redis).
//!
//! Each key (an account's email as typed, lowercased; a client address) counts its failures.
//! The first `free` failures cost nothing; each one after them locks the key for a time that
//! doubles from `base_lockout` up to `max_lockout`. A locked key is refused before the
//! password is looked at, with the time left. A successful login clears its account's count
//! (not its address's: an attacker with one valid account must not reset the address count
//! that way); a key idle for `forget_after` starts over. Unknown accounts are counted like
//! known ones, so a lockout does not tell whether an account exists.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;

/// Where failed logins are counted: what [`SignIn`](super::SignIn) asks before a password
/// check and tells after one. [`LoginThrottle`] counts in this process; a deployment of
/// several instances counts in a store they share, so that an attacker spreading guesses
/// over the instances is locked out as soon as on one.
#[async_trait]
pub trait FailedLogins: Send + Sync + std::fmt::Debug {
    /// `Err(wait)` if the account or the address is locked now, `wait` being the longer
    /// time left.
    async fn check(&self, account: &str, address: Option<&str>) -> Result<(), Duration>;

    /// Counts a failed login; the lockout it starts, if any.
    async fn failed(&self, account: &str, address: Option<&str>) -> Option<Duration>;

    /// Clears the account's failures after a successful login (never the address's).
    async fn succeeded(&self, account: &str);
}

/// The throttle's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// Failures per account before the lockouts start (default 5).
    pub account_free: u32,
    /// Failures per client address before the lockouts start (default 20: several people
    /// may share an address behind a NAT).
    pub address_free: u32,
    /// The first lockout (default 1 s); each further failure doubles it.
    pub base_lockout: Duration,
    /// The longest lockout (default 15 min).
    pub max_lockout: Duration,
    /// A key without failures for this long starts over (default 1 h).
    pub forget_after: Duration,
    /// Keys kept at most per kind (default 100,000); beyond it the oldest are dropped.
    pub max_keys: usize,
}

impl ThrottleConfig {
    /// The lockout the `failures`-th failure of a key allowed `free` ones starts: none
    /// within the free ones, then `base_lockout` doubling with each failure up to
    /// `max_lockout`.
    pub fn lockout(&self, failures: u32, free: u32) -> Option<Duration> {
        let beyond = failures.checked_sub(free).filter(|n| *n > 0)?;
        let doublings = (beyond - 1).min(31);
        Some(
            self.base_lockout
                .checked_mul(1u32 << doublings)
                .map_or(self.max_lockout, |d| d.min(self.max_lockout)),
        )
    }
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            account_free: 5,
            address_free: 20,
            base_lockout: Duration::from_secs(1),
            max_lockout: Duration::from_secs(15 * 60),
            forget_after: Duration::from_secs(60 * 60),
            max_keys: 100_000,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Count {
    failures: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

/// Failure counts per account and per client address (see the module docs).
#[derive(Debug, Default)]
pub struct LoginThrottle {
    config: ThrottleConfig,
    accounts: Mutex<HashMap<String, Count>>,
    addresses: Mutex<HashMap<String, Count>>,
}

impl LoginThrottle {
    /// A throttle with `config`.
    pub fn new(config: ThrottleConfig) -> Self {
        LoginThrottle {
            config,
            accounts: Mutex::default(),
            addresses: Mutex::default(),
        }
    }

    /// The settings.
    pub fn config(&self) -> ThrottleConfig {
        self.config
    }

    /// `Err(wait)` if the account or the address is locked now, `wait` being the longer time
    /// left.
    pub fn check(&self, account: &str, address: Option<&str>) -> Result<(), Duration> {
        self.check_at(account, address, Instant::now())
    }

    /// Counts a failed login; the lockout it starts, if any.
    pub fn failed(&self, account: &str, address: Option<&str>) -> Option<Duration> {
        self.failed_at(account, address, Instant::now())
    }

    /// Clears the account's failures after a successful login.
    pub fn succeeded(&self, account: &str) {
        lock(&self.accounts).remove(account);
    }

    fn check_at(&self, account: &str, address: Option<&str>, now: Instant) -> Result<(), Duration> {
        let account_wait = locked(&lock(&self.accounts), account, now);
        let address_wait = address.and_then(|a| locked(&lock(&self.addresses), a, now));
        match account_wait.max(address_wait) {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    fn failed_at(&self, account: &str, address: Option<&str>, now: Instant) -> Option<Duration> {
        let config = &self.config;
        let account_lock = count(
            &mut lock(&self.accounts),
            account,
            config.account_free,
            config,
            now,
        );
        let address_lock = address.and_then(|a| {
            count(
                &mut lock(&self.addresses),
                a,
                config.address_free,
                config,
                now,
            )
        });
        account_lock.max(address_lock)
    }
}

#[async_trait]
impl FailedLogins for LoginThrottle {
    async fn check(&self, account: &str, address: Option<&str>) -> Result<(), Duration> {
        LoginThrottle::check(self, account, address)
    }

    async fn failed(&self, account: &str, address: Option<&str>) -> Option<Duration> {
        LoginThrottle::failed(self, account, address)
    }

    async fn succeeded(&self, account: &str) {
        LoginThrottle::succeeded(self, account)
    }
}

fn lock(map: &Mutex<HashMap<String, Count>>) -> std::sync::MutexGuard<'_, HashMap<String, Count>> {
    map.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The time `key` stays locked after `now`, if it is locked.
fn locked(map: &HashMap<String, Count>, key: &str, now: Instant) -> Option<Duration> {
    let until = map.get(key)?.locked_until?;
    (until > now).then(|| until - now)
}

/// Counts one failure of `key`; the lockout it starts.
fn count(
    map: &mut HashMap<String, Count>,
    key: &str,
    free: u32,
    config: &ThrottleConfig,
    now: Instant,
) -> Option<Duration> {
    if map.len() >= config.max_keys && !map.contains_key(key) {
        forget(map, config, now);
    }
    let entry = map.entry(key.to_owned()).or_insert(Count {
        failures: 0,
        last: now,
        locked_until: None,
    });
    if now.saturating_duration_since(entry.last) >= config.forget_after {
        entry.failures = 0;
    }
    entry.failures = entry.failures.saturating_add(1);
    entry.last = now;
    let lockout = config.lockout(entry.failures, free)?;
    entry.locked_until = Some(now + lockout);
    Some(lockout)
}

/// Drops keys idle for `forget_after`; if that frees nothing, the oldest half.
fn forget(map: &mut HashMap<String, Count>, config: &ThrottleConfig, now: Instant) {
    map.retain(|_, count| now.saturating_duration_since(count.last) < config.forget_after);
    if map.len() >= config.max_keys {
        let mut lasts: Vec<Instant> = map.values().map(|count| count.last).collect();
        lasts.sort_unstable();
        if let Some(median) = lasts.get(lasts.len() / 2).copied() {
            map.retain(|_, count| count.last > median);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle() -> LoginThrottle {
        LoginThrottle::new(ThrottleConfig {
            account_free: 3,
            address_free: 5,
            ..ThrottleConfig::default()
        })
    }

    #[test]
    fn an_account_locks_after_its_free_failures_with_doubling_lockouts() {
        let throttle = throttle();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(throttle.failed_at("a@b.co", None, t0), None);
            assert_eq!(throttle.check_at("a@b.co", None, t0), Ok(()));
        }
        assert_eq!(
            throttle.failed_at("a@b.co", None, t0),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            throttle.check_at("a@b.co", None, t0),
            Err(Duration::from_secs(1))
        );
        assert_eq!(
            throttle.check_at("c@d.co", None, t0),
            Ok(()),
            "other accounts are free"
        );
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(
            throttle.check_at("a@b.co", None, t1),
            Ok(()),
            "the lockout ends"
        );
        assert_eq!(
            throttle.failed_at("a@b.co", None, t1),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            throttle.failed_at("a@b.co", None, t1),
            Some(Duration::from_secs(4))
        );
        throttle.succeeded("a@b.co");
        assert_eq!(
            throttle.check_at("a@b.co", None, t1),
            Ok(()),
            "a success clears it"
        );
        assert_eq!(throttle.failed_at("a@b.co", None, t1), None);
    }

    #[test]
    fn lockouts_stop_at_the_maximum_and_idle_keys_start_over() {
        let throttle = throttle();
        let t0 = Instant::now();
        let mut last = None;
        for _ in 0..60 {
            last = throttle.failed_at("a@b.co", None, t0);
        }
        assert_eq!(last, Some(Duration::from_secs(15 * 60)));
        let later = t0 + Duration::from_secs(2 * 60 * 60);
        assert_eq!(throttle.check_at("a@b.co", None, later), Ok(()));
        assert_eq!(
            throttle.failed_at("a@b.co", None, later),
            None,
            "counted afresh"
        );
    }

    #[test]
    fn an_address_locks_across_accounts_and_success_does_not_clear_it() {
        let throttle = throttle();
        let t0 = Instant::now();
        for n in 0..5 {
            let account = format!("user{n}@b.co");
            assert_eq!(throttle.failed_at(&account, Some("10.0.0.1"), t0), None);
        }
        throttle.succeeded("user0@b.co");
        assert!(throttle
            .failed_at("new@b.co", Some("10.0.0.1"), t0)
            .is_some());
        assert!(throttle
            .check_at("fresh@b.co", Some("10.0.0.1"), t0)
            .is_err());
        assert_eq!(
            throttle.check_at("fresh@b.co", Some("10.0.0.2"), t0),
            Ok(())
        );
    }

    #[test]
    fn keys_stay_bounded() {
        let throttle = LoginThrottle::new(ThrottleConfig {
            max_keys: 100,
            ..ThrottleConfig::default()
        });
        let t0 = Instant::now();
        for n in 0..1_000u64 {
            throttle.failed_at(&format!("u{n}"), None, t0 + Duration::from_millis(n));
        }
        assert!(lock(&throttle.accounts).len() <= 100);
    }
}
