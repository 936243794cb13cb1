//! Failed logins counted across the instances of one namespace in Redis: guesses spread over
//! two instances lock the account after the same total as on one; a success on either clears
//! the account (never the address); no email reaches a Redis key; and with Redis gone an
//! instance still locks out on its own count.

use std::time::Duration;

use campushub_core::accounts::{FailedLogins, ThrottleConfig};

use crate::support::{connect, connect_to, namespace, raw_redis, redis_url, scan, RedisChild};

fn config() -> ThrottleConfig {
    ThrottleConfig {
        account_free: 4,
        address_free: 6,
        base_lockout: Duration::from_secs(30),
        ..ThrottleConfig::default()
    }
}

const EMAIL: &str = "ada@uni.example";

#[tokio::test]
async fn failures_spread_over_two_instances_lock_the_account_for_both() {
    let ns = namespace();
    let (a, b) = (connect(&ns).await, connect(&ns).await);
    let (a, b) = (a.failed_logins(config()), b.failed_logins(config()));
    // Four free failures in all, two on each instance: neither alone has seen enough.
    for instance in [&a, &b, &a, &b] {
        assert_eq!(instance.failed(EMAIL, None).await, None);
    }
    assert_eq!(b.check(EMAIL, None).await, Ok(()));
    assert_eq!(
        a.failed(EMAIL, None).await,
        Some(Duration::from_secs(30)),
        "the fifth failure in all locks"
    );
    for instance in [&a, &b] {
        let wait = instance.check(EMAIL, None).await.expect_err("locked");
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
    }
    assert_eq!(b.check("grace@uni.example", None).await, Ok(()));

    let mut redis = raw_redis(&redis_url()).await;
    let keys = scan(&mut redis, &format!("{ns}:*")).await;
    assert_eq!(keys.len(), 2, "a counter and a lock: {keys:?}");
    assert!(
        keys.iter()
            .all(|key| !key.contains("ada") && !key.contains('@')),
        "{keys:?}"
    );

    // A success on one instance clears the account on the other as well.
    b.succeeded(EMAIL).await;
    let fresh = connect(&ns).await.failed_logins(config());
    assert_eq!(fresh.check(EMAIL, None).await, Ok(()));
}

#[tokio::test]
async fn an_address_locks_across_accounts_and_instances_and_success_does_not_clear_it() {
    let ns = namespace();
    let (a, b) = (connect(&ns).await, connect(&ns).await);
    let (a, b) = (a.failed_logins(config()), b.failed_logins(config()));
    let address = Some("203.0.113.7");
    for n in 0..6 {
        let instance = if n % 2 == 0 { &a } else { &b };
        instance
            .failed(&format!("user{n}@uni.example"), address)
            .await;
    }
    a.succeeded("user0@uni.example").await;
    assert!(b.failed("new@uni.example", address).await.is_some());
    assert!(a.check("fresh@uni.example", address).await.is_err());
    assert_eq!(
        a.check("fresh@uni.example", Some("203.0.113.8")).await,
        Ok(())
    );
}

#[tokio::test]
async fn without_redis_an_instance_still_locks_out_on_its_own_count() {
    let mut redis = RedisChild::start();
    let cache = connect_to(&redis.url(), &namespace()).await;
    let failed = cache.failed_logins(config());
    redis.kill();
    for _ in 0..4 {
        assert_eq!(failed.failed(EMAIL, None).await, None);
    }
    assert!(failed.failed(EMAIL, None).await.is_some());
    assert!(failed.check(EMAIL, None).await.is_err());
}
