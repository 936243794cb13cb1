//! [`RevokeOnAccountChange`]: a write to an account revokes the access tokens issued before it.
//!
//! An access token names the version of the account it was issued for (the `ver` claim of
//! the HTTP adapter's tokens). When the account changes from version `v` to `v + 1`
//! (deactivated, its roles or links changed, deleted), this hook revokes the key
//! [`account_version_key`]`(account, v)` on every instance until the longest an access token
//! lives: every token issued for `v` is refused from then on, and the client's next refresh
//! (refused for a deactivated or deleted account) issues one for `v + 1` with the account as
//! it now is. A token for an older version `u < v` was issued before the change from `u`,
//! whose revocation outlives it, so one key per change suffices and each check is one exact
//! lookup in the deny list.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::deny::{account_version_key, unix_now, TokenRevoker};
use crate::event::{ChangeEvent, ChangeHook, ChangeOp};
use crate::kind::EntityKind;

/// The hook (see the module documentation); register it on the users service.
pub struct RevokeOnAccountChange {
    revoker: Arc<dyn TokenRevoker>,
    access_ttl: Duration,
}

impl RevokeOnAccountChange {
    /// Revokes through `revoker` for `access_ttl`, the longest an access token lives.
    pub fn new(revoker: Arc<dyn TokenRevoker>, access_ttl: Duration) -> Self {
        RevokeOnAccountChange {
            revoker,
            access_ttl,
        }
    }
}

impl std::fmt::Debug for RevokeOnAccountChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevokeOnAccountChange")
            .field("access_ttl", &self.access_ttl)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl ChangeHook for RevokeOnAccountChange {
    async fn on_change(&self, event: &ChangeEvent) {
        if event.kind != EntityKind::USER || event.op == ChangeOp::Created {
            return;
        }
        // An update's event names the new version, a deletion's the deleted one + 1: either
        // way the version the old tokens were issued for is the one before.
        let key = account_version_key(&event.id.to_string(), event.version - 1);
        let until = unix_now().saturating_add(self.access_ttl.as_secs());
        if let Err(error) = self.revoker.revoke(&key, until).await {
            tracing::warn!(account = %event.id, %error, "cannot revoke the access tokens of a changed account everywhere");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use uuid::Uuid;

    use super::RevokeOnAccountChange;
    use crate::accounts::account_version_key;
    use crate::accounts::{DenyList, TokenRevoker};
    use crate::event::{ChangeEvent, ChangeHook, ChangeOp};

    use crate::kind::EntityKind;

    #[tokio::test]
    async fn a_write_revokes_the_tokens_of_the_version_before_it_and_no_other() {
        let deny = Arc::new(DenyList::new());
        let hook = RevokeOnAccountChange::new(deny.clone(), Duration::from_secs(900));
        let id = Uuid::now_v7();
        let key = |v| account_version_key(&id.to_string(), v);
        hook.on_change(&ChangeEvent::new(
            EntityKind::USER,
            id,
            ChangeOp::Created,
            1,
        ))
        .await;
        assert!(!deny.is_revoked(&key(1)), "a creation revokes nothing");
        hook.on_change(&ChangeEvent::new(
            EntityKind::USER,
            id,
            ChangeOp::Updated,
            2,
        ))
        .await;
        assert!(deny.is_revoked(&key(1)));
        assert!(!deny.is_revoked(&key(2)), "tokens of the new version stand");
        hook.on_change(&ChangeEvent::new(
            EntityKind::USER,
            id,
            ChangeOp::Deleted,
            3,
        ))
        .await;
        assert!(
            deny.is_revoked(&key(2)),
            "a deletion revokes the last version"
        );
        let student = Uuid::now_v7();
        hook.on_change(&ChangeEvent::new(
            EntityKind::STUDENT,
            student,
            ChangeOp::Updated,
            2,
        ))
        .await;
        assert!(!deny.is_revoked(&account_version_key(&student.to_string(), 1)));
    }
}
