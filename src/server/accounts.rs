//! Accounts and sign-in: the users service, [`SignIn`] over the database's secrets (Argon2id
//! checks on tokio's blocking pool, failed logins counted in the cache's Redis for every
//! instance), and the revoked access tokens (shared through the cache's channel, or this
//! process's deny list without Redis).

use std::sync::Arc;

use super::config::SignInSettings;
use super::storage::Stores;
use super::BoxError;
use crate::cache::TieredCache;
use crate::core::accounts::{
    DenyList, Offload, PasswordJob, RevokeOnAccountChange, SignIn, TokenRevoker,
};
use crate::core::password::{HashParams, PasswordHasher};
use crate::core::{Cache, ChangeHook, EntityService, Error, NoCache, User};

/// The accounts part of the core.
#[derive(Debug, Clone)]
pub struct Accounts {
    /// User accounts (`/api/v1/users`; admins only under the default policy).
    pub users: EntityService<User>,
    /// Login, refresh and logout.
    pub sign_in: SignIn,
    /// The revoked access tokens the authenticator refuses.
    pub revoker: Arc<dyn TokenRevoker>,
    /// Revokes an account's access tokens when it changes: a hook of the users service, and
    /// of the outbox relay for changes made outside CampusHub (an account deactivated with
    /// `psql`).
    pub(super) revoke_on_change: Arc<RevokeOnAccountChange>,
}

impl Accounts {
    /// Builds them over `stores`, caching users in `cache`.
    pub(super) fn build(
        stores: &Stores,
        cache: Option<&TieredCache>,
        cursor_key: &[u8],
        settings: &SignInSettings,
        audit: bool,
    ) -> Result<Accounts, BoxError> {
        let shared: Arc<dyn Cache> = match cache {
            Some(cache) => Arc::new(cache.clone()),
            None => Arc::new(NoCache),
        };
        let revoker: Arc<dyn TokenRevoker> = match cache {
            Some(cache) => Arc::new(cache.clone()),
            None => Arc::new(DenyList::new()),
        };
        let revoke_on_change = Arc::new(RevokeOnAccountChange::new(
            Arc::clone(&revoker),
            settings.access_ttl,
        ));
        let users = EntityService::builder(Arc::clone(&stores.users))
            .cache(shared)
            .cursor_key(cursor_key)
            .hook(Arc::clone(&revoke_on_change) as Arc<dyn ChangeHook>);
        let users = super::services::audited(users, audit).build();
        let hasher = PasswordHasher::new(HashParams::default())
            .map_err(|e| format!("cannot set up password hashing: {e}"))?;
        let mut sign_in = SignIn::new(
            Arc::clone(&stores.users),
            Arc::clone(&stores.accounts),
            Arc::new(hasher),
            settings.sign_in,
        )
        .offload(blocking_pool());
        if !audit {
            sign_in = sign_in.without_audit();
        }
        if let Some(cache) = cache {
            sign_in =
                sign_in.failed_logins(Arc::new(cache.failed_logins(settings.sign_in.throttle)));
        }
        Ok(Accounts {
            users,
            sign_in,
            revoker,
            revoke_on_change,
        })
    }
}

/// Runs password checks on tokio's blocking pool: an Argon2id verification takes tens of
/// milliseconds of CPU, which must not stall the runtime's workers.
fn blocking_pool() -> Offload {
    Arc::new(|job: PasswordJob| {
        Box::pin(async move {
            tokio::task::spawn_blocking(job)
                .await
                .map_err(|error| Error::internal("the password check did not finish", error))
        })
    })
}
