//! `rediss://` against the test Redis's TLS port, whose certificate the test CA signed
//! (`scripts/services.sh`), and against its plaintext port.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use campushub_cache::{ClientIdentity, RedisTls, TieredCache};
use campushub_core::{Cache, ChangeOp, EntityKind};
use uuid::Uuid;

use crate::support::{config, counting, event, eventually, namespace, record, redis_url, value};

/// A file the test services wrote beside their certificates.
fn tls_file(name: &str) -> Vec<u8> {
    let dir = std::env::var("CAMPUSHUB_TEST_TLS_DIR")
        .expect("CAMPUSHUB_TEST_TLS_DIR is not set: run `scripts/services.sh start`");
    std::fs::read(PathBuf::from(dir).join(name)).expect("test certificate")
}

/// The test CA, and the client certificate it signed.
fn test_tls() -> RedisTls {
    RedisTls {
        root_certificates: Some(tls_file("ca.crt")),
        client_identity: Some(ClientIdentity {
            certificate: tls_file("client.crt"),
            key: tls_file("client.key"),
        }),
    }
}

/// A cache on `url` with the test CA, TLS required.
async fn connect_tls(url: &str, namespace: &str) -> TieredCache {
    let mut settings = config(namespace);
    settings.redis_tls = test_tls();
    settings.require_tls = true;
    TieredCache::connect(settings, url, Duration::from_secs(5))
        .await
        .expect("the configuration is valid")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_entries_and_invalidations_over_tls() {
    let url = std::env::var("CAMPUSHUB_TEST_REDIS_TLS")
        .expect("CAMPUSHUB_TEST_REDIS_TLS is not set: run `scripts/services.sh start`");
    let ns = namespace();
    let (a, b) = (connect_tls(&url, &ns).await, connect_tls(&url, &ns).await);
    assert!(
        a.metrics().subscribed && b.metrics().subscribed,
        "both subscribe to invalidations over TLS"
    );

    let id = Uuid::new_v4();
    let key = record(EntityKind::STUDENT, id);
    let loads = Arc::new(AtomicUsize::new(0));
    let filled = a
        .get_or_load(&key, None, counting(&loads, Some(value(1))))
        .await
        .expect("load through A");
    assert_eq!(filled.map(|v| v.version), Some(1));
    let shared = b
        .get_or_load(&key, None, counting(&loads, Some(value(1))))
        .await
        .expect("read through B");
    assert_eq!(shared.map(|v| v.version), Some(1));
    assert_eq!(
        loads.load(Ordering::SeqCst),
        1,
        "B read A's fill from Redis"
    );
    assert_eq!(b.metrics().l2_hits, 1);

    a.invalidate(&event(EntityKind::STUDENT, id, ChangeOp::Updated, 2, 10))
        .await;
    let received = eventually(Duration::from_secs(5), || {
        b.metrics().invalidations_received >= 1
    })
    .await;
    assert!(received, "B heard A's invalidation over TLS");
    assert_eq!(a.metrics().redis_errors + b.metrics().redis_errors, 0);
}

#[tokio::test]
async fn a_plaintext_port_is_never_used_in_clear_by_a_tls_url() {
    // The plaintext port, asked for TLS: the handshake fails, and the cache runs on L1 and
    // the loader rather than talking to Redis unencrypted.
    let plaintext = redis_url().replacen("redis://", "rediss://", 1);
    let cache = connect_tls(&plaintext, &namespace()).await;
    assert!(!cache.metrics().subscribed);
    let loads = Arc::new(AtomicUsize::new(0));
    let id = Uuid::new_v4();
    let key = record(EntityKind::STUDENT, id);
    let got = cache
        .get_or_load(&key, None, counting(&loads, Some(value(3))))
        .await
        .expect("served by the loader");
    assert_eq!(got.map(|v| v.version), Some(3));
    assert_eq!(cache.metrics().l2_hits, 0);
    // Lookups skip Redis while the channel is down; a write's invalidation is still tried.
    cache
        .invalidate(&event(EntityKind::STUDENT, id, ChangeOp::Updated, 4, 10))
        .await;
    assert!(cache.metrics().redis_errors > 0, "the TLS handshake failed");
    assert!(cache.replay_pending(), "the invalidation waits for Redis");
}
