//! Rate budgets shared through Redis: requests spread over two instances of one namespace
//! spend one budget; another key's budget is its own; no key a client chose appears in Redis;
//! and with Redis gone each instance limits on its own.

use std::time::Duration;

use campushub_core::rate_limit::{Decision, Quota, RateBudget};

use crate::support::{connect, connect_to, namespace, raw_redis, redis_url, scan, RedisChild};

fn quota(limit: u32) -> Quota {
    Quota::new(limit, Duration::from_secs(60)).expect("a quota")
}

#[tokio::test]
async fn two_instances_spend_one_budget() {
    let ns = namespace();
    let (a, b) = (connect(&ns).await, connect(&ns).await);
    let (a, b) = (a.rate_budget(), b.rate_budget());
    let key = "principal:ada@uni.example";
    for (n, instance) in [&a, &b, &a, &b, &a, &b].into_iter().enumerate() {
        match instance.spend(key, quota(6)).await {
            Decision::Allowed { remaining, reset } => {
                assert_eq!(remaining as usize, 5 - n, "request {n}");
                assert!(reset <= Duration::from_secs(60) && reset > Duration::ZERO);
            }
            other => panic!("request {n}: {other:?}"),
        }
    }
    for instance in [&a, &b] {
        match instance.spend(key, quota(6)).await {
            Decision::Limited { retry_after } => assert!(
                retry_after > Duration::from_secs(9) && retry_after <= Duration::from_secs(10),
                "{retry_after:?}"
            ),
            other => panic!("over the budget: {other:?}"),
        }
    }
    assert!(b.spend("principal:grace", quota(6)).await.is_allowed());

    let mut redis = raw_redis(&redis_url()).await;
    let keys = scan(&mut redis, &format!("{ns}:*")).await;
    assert_eq!(keys.len(), 2, "one key per budget: {keys:?}");
    assert!(keys.iter().all(|key| !key.contains("ada")), "{keys:?}");
}

#[tokio::test]
async fn without_redis_each_instance_limits_on_its_own() {
    let mut redis = RedisChild::start();
    let ns = namespace();
    let (a, b) = (
        connect_to(&redis.url(), &ns).await,
        connect_to(&redis.url(), &ns).await,
    );
    let (a, b) = (a.rate_budget(), b.rate_budget());
    redis.kill();
    for instance in [&a, &b] {
        for n in 0..3 {
            assert!(instance.spend("k", quota(3)).await.is_allowed(), "{n}");
        }
        assert!(!instance.spend("k", quota(3)).await.is_allowed());
    }
}
