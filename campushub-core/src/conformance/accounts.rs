//! Cases: an [`AccountStore`](crate::accounts::AccountStore): password hashes, refresh-token
//! rotation, reuse revoking the family, expiry and revocation.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::data::create;
use super::users::user_input;
use super::Fixture;
use crate::accounts::{RefreshSecret, RefreshSession, Rotation};
use crate::audit_log::{AuditAction, AuditEntry, AuditFilter};
use crate::auth::{Principal, Role};
use crate::entities::User;
use crate::password::StoredHash;

/// A stored user (secrets reference their account).
async fn account(f: &Fixture, email: &str) -> Uuid {
    let user: User = create(user_input(email));
    f.users.insert(&user).await.expect("insert user");
    user.meta.id
}

/// A session of `user_id` in `family`, expiring in `ttl`; and its secret.
fn session(user_id: Uuid, family: Uuid, ttl: Duration) -> (RefreshSecret, RefreshSession) {
    let secret = RefreshSecret::generate();
    let issued_at = crate::meta::now_micros();
    let session = RefreshSession {
        token: secret.hash(),
        family,
        user_id,
        issued_at,
        expires_at: issued_at + ttl,
    };
    (secret, session)
}

/// Presents `presented` for rotation into a fresh token; what the store found, and the fresh
/// token.
async fn rotate(
    f: &Fixture,
    presented: &RefreshSecret,
    now: DateTime<Utc>,
) -> (Rotation, RefreshSecret) {
    let (next, session) = session(Uuid::nil(), Uuid::nil(), Duration::days(1));
    let outcome = f
        .accounts
        .rotate_refresh(&presented.hash(), &session, now)
        .await
        .expect("the store answers");
    (outcome, next)
}

/// A password hash is stored, replaced and kept per user.
pub async fn password_hash_is_set_and_replaced(f: Fixture) {
    let ada = account(&f, "ada@uni.example").await;
    let bob = account(&f, "bob@uni.example").await;
    assert_eq!(f.accounts.password_hash(ada).await.expect("read"), None);
    let first = StoredHash::new("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$first");
    let second = StoredHash::new("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$second");
    f.accounts
        .set_password_hash(ada, &first, None)
        .await
        .expect("set");
    f.accounts
        .set_password_hash(ada, &second, None)
        .await
        .expect("replace");
    let read = f.accounts.password_hash(ada).await.expect("read");
    assert_eq!(read.as_ref().map(StoredHash::as_str), Some(second.as_str()));
    assert_eq!(f.accounts.password_hash(bob).await.expect("read"), None);
}

/// A password set with an audit entry stores the entry with it (the log then reads it, with
/// the field `password` changed and no value); one set without an entry stores none.
pub async fn a_password_set_with_an_entry_is_in_the_audit_log(f: Fixture) {
    let ada = account(&f, "ada@uni.example").await;
    let hash = StoredHash::new("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$audited");
    let registrar = Principal::new("registrar-9", [Role::ADMIN]);
    let entry = AuditEntry::password(&registrar, AuditAction::PasswordReset, ada);
    f.accounts
        .set_password_hash(ada, &hash, Some(&entry))
        .await
        .expect("set");
    f.accounts
        .set_password_hash(ada, &hash, None)
        .await
        .expect("set again, unrecorded");
    let filter = AuditFilter {
        record_id: Some(ada),
        ..AuditFilter::default()
    };
    let logged = f.audit.entries(&filter, 10).await.expect("read the log");
    let passwords: Vec<&AuditEntry> = logged
        .iter()
        .filter(|e| e.action == AuditAction::PasswordReset)
        .collect();
    assert_eq!(passwords.len(), 1, "{logged:?}");
    assert_eq!(passwords[0].actor.subject, "registrar-9");
    assert_eq!(
        passwords[0].changes_json(),
        serde_json::json!({"password": {"redacted": true}})
    );
}

/// A token rotates once; the next token rotates in turn; using a rotated token again revokes
/// every token of its family, the newest included.
pub async fn rotation_and_reuse_revoke_the_family(f: Fixture) {
    let ada = account(&f, "ada@uni.example").await;
    let family = Uuid::now_v7();
    let (first, stored) = session(ada, family, Duration::days(1));
    f.accounts.store_refresh(&stored).await.expect("store");
    let (rotated, second) = rotate(&f, &first, Utc::now()).await;
    assert_eq!(
        rotated,
        Rotation::Rotated {
            user_id: ada,
            family
        }
    );
    let joined = f.accounts.family_of(&second.hash()).await.expect("family");
    assert_eq!(
        joined,
        Some((ada, family)),
        "the next token joins the family"
    );
    let (reused, third) = rotate(&f, &first, Utc::now()).await;
    assert_eq!(
        reused,
        Rotation::Reused {
            user_id: ada,
            family
        }
    );
    let stored = f.accounts.family_of(&third.hash()).await.expect("family");
    assert_eq!(stored, None, "not stored");
    let (newest, _) = rotate(&f, &second, Utc::now()).await;
    assert_eq!(newest, Rotation::Refused, "the family is revoked");
}

/// Unknown and expired tokens are refused and change nothing.
pub async fn unknown_and_expired_tokens_are_refused(f: Fixture) {
    let ada = account(&f, "ada@uni.example").await;
    let (unknown, next) = rotate(&f, &RefreshSecret::generate(), Utc::now()).await;
    assert_eq!(unknown, Rotation::Refused);
    let (expired, stored) = session(ada, Uuid::now_v7(), Duration::seconds(1));
    f.accounts.store_refresh(&stored).await.expect("store");
    let (outcome, _) = rotate(&f, &expired, Utc::now() + Duration::seconds(5)).await;
    assert_eq!(outcome, Rotation::Refused);
    let stored = f.accounts.family_of(&next.hash()).await.expect("family");
    assert_eq!(stored, None);
}

/// Revoking a family refuses its tokens and leaves other families alone; revoking a user
/// refuses all of theirs.
pub async fn revocation_by_family_and_by_user(f: Fixture) {
    let ada = account(&f, "ada@uni.example").await;
    let (laptop, first) = session(ada, Uuid::now_v7(), Duration::days(1));
    let (phone, second) = session(ada, Uuid::now_v7(), Duration::days(1));
    let (tablet, third) = session(ada, Uuid::now_v7(), Duration::days(1));
    for stored in [&first, &second, &third] {
        f.accounts.store_refresh(stored).await.expect("store");
    }
    let now = Utc::now();
    f.accounts
        .revoke_family(first.family, now)
        .await
        .expect("revoke");
    assert_eq!(rotate(&f, &laptop, now).await.0, Rotation::Refused);
    let (kept, _) = rotate(&f, &tablet, now).await;
    assert!(
        matches!(kept, Rotation::Rotated { .. }),
        "another family stays: {kept:?}"
    );
    f.accounts.revoke_user(ada, now).await.expect("revoke user");
    assert_eq!(rotate(&f, &phone, now).await.0, Rotation::Refused);
}

/// Of concurrent rotations of one token, exactly one rotates; the others see a reuse (which
/// revokes the family) or, after that, a refusal.
pub async fn concurrent_rotations_rotate_once(f: Fixture) {
    let ada = account(&f, "ada@uni.example").await;
    let family = Uuid::now_v7();
    let (token, stored) = session(ada, family, Duration::days(1));
    f.accounts.store_refresh(&stored).await.expect("store");
    let attempts = (0..8).map(|_| {
        let accounts = f.accounts.clone();
        let presented = token.hash();
        async move {
            let (_, next) = session(Uuid::nil(), Uuid::nil(), Duration::days(1));
            accounts.rotate_refresh(&presented, &next, Utc::now()).await
        }
    });
    let outcomes = futures_join(attempts).await;
    let rotated = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(Rotation::Rotated { .. })))
        .count();
    assert_eq!(rotated, 1, "{outcomes:?}");
    let reused = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(Rotation::Reused { .. })))
        .count();
    assert!(
        reused >= 1,
        "the first attempt after the rotation is a reuse: {outcomes:?}"
    );
    assert!(
        outcomes.iter().all(|o| o.is_ok()),
        "the others are reuses, or refused once the family is revoked: {outcomes:?}"
    );
}

/// Polls `futures` together on the calling task until all are done (no runtime needed):
/// their statements are in flight at once, on as many connections as the store gives them.
async fn futures_join<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pending: Vec<std::pin::Pin<Box<F>>> = futures.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (future, output) in pending.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}
