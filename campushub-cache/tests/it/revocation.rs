//! Revoked access tokens across instances of one namespace: refused by another instance
//! within a second, by one that connects later (from the Redis set), never by another
//! namespace, and forgotten once expired.

use std::time::Duration;

use campushub_core::accounts::{unix_now, TokenRevoker};

use crate::support::{connect, eventually, namespace};

#[tokio::test]
async fn a_revocation_reaches_every_instance_of_the_namespace_and_no_other() {
    let ns = namespace();
    let a = connect(&ns).await;
    let b = connect(&ns).await;
    let elsewhere = connect(&namespace()).await;
    assert!(!b.is_revoked("jti-1"));

    a.revoke("jti-1", unix_now() + 60).await.expect("revoked");
    assert!(
        a.is_revoked("jti-1"),
        "at once on the instance that revoked it"
    );
    assert!(
        eventually(Duration::from_secs(1), || b.is_revoked("jti-1")).await,
        "within a second on the other"
    );
    let later = connect(&ns).await;
    assert!(
        later.is_revoked("jti-1"),
        "an instance connected later loads it"
    );
    assert!(
        !elsewhere.is_revoked("jti-1"),
        "another namespace is another deployment"
    );
    assert!(!b.is_revoked("jti-2"));

    // An expired revocation is not loaded (the token it named is refused for its expiry).
    a.revoke("jti-old", unix_now() - 1).await.expect("revoked");
    let fresh = connect(&ns).await;
    assert!(!fresh.is_revoked("jti-old"));
    assert!(fresh.is_revoked("jti-1"));
}
