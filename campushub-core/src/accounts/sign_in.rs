//! [`SignIn`]: login, refresh-token rotation and logout over the user records and the
//! [`AccountStore`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::refresh::{RefreshSecret, RefreshSession};
use super::store::{AccountStore, Rotation};
use super::throttle::{FailedLogins, LoginThrottle, ThrottleConfig};
use crate::audit_log::{AuditAction, AuditEntry};
use crate::auth::Principal;
use crate::entities::User;
use crate::error::{Error, Result};
use crate::meta::now_micros;
use crate::password::{Password, PasswordHasher, PasswordPolicy, StoredHash, Verification};
use crate::repository::{ReadOptions, ReadRoute, Repository};

/// A password check, run where blocking work may run ([`Offload`]).
pub type PasswordJob = Box<dyn FnOnce() -> PasswordCheck + Send>;

/// Runs a [`PasswordJob`] (an Argon2id verification takes tens of milliseconds of CPU): an
/// async runtime's blocking pool (`tokio::task::spawn_blocking`); by default, in place.
pub type Offload = Arc<
    dyn Fn(PasswordJob) -> Pin<Box<dyn Future<Output = Result<PasswordCheck>> + Send>>
        + Send
        + Sync,
>;

/// What a password check found.
#[derive(Debug)]
pub struct PasswordCheck {
    /// The verification's outcome.
    pub verification: Verification,
    /// A hash at the current parameters, made when the stored one was older.
    pub rehash: Option<StoredHash>,
}

/// The settings of [`SignIn`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInConfig {
    /// How long a refresh token may be used (default 14 days); each rotation starts anew.
    pub refresh_ttl: Duration,
    /// Backoff and lockout after failed logins.
    pub throttle: ThrottleConfig,
}

impl Default for SignInConfig {
    fn default() -> Self {
        SignInConfig {
            refresh_ttl: Duration::from_secs(14 * 24 * 60 * 60),
            throttle: ThrottleConfig::default(),
        }
    }
}

/// A successful login or refresh: the account and its new refresh token.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The account, as stored now.
    pub user: User,
    /// The refresh token to hand to the client (shown once, stored only hashed).
    pub refresh: RefreshSecret,
    /// The sign-in the token belongs to; access tokens name it, so logout revokes it.
    pub family: Uuid,
    /// When the refresh token expires.
    pub refresh_expires_at: DateTime<Utc>,
}

/// The message of every refused login, whatever the reason (unknown account, wrong
/// password, inactive account, no password set), so a refusal tells nothing more.
pub const WRONG_CREDENTIALS: &str = "the email or password is not correct";

/// Login, refresh and logout (see the crate's `accounts` module docs).
#[derive(Clone)]
pub struct SignIn {
    users: Arc<dyn Repository<User>>,
    store: Arc<dyn AccountStore>,
    hasher: Arc<PasswordHasher>,
    throttle: Arc<dyn FailedLogins>,
    config: SignInConfig,
    policy: PasswordPolicy,
    offload: Offload,
    /// Whether password changes and resets are recorded in the audit log.
    audit: bool,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn")
            .field("hasher", &self.hasher)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl SignIn {
    /// Sign-in over `users` and `store`, checking passwords with `hasher`.
    pub fn new(
        users: Arc<dyn Repository<User>>,
        store: Arc<dyn AccountStore>,
        hasher: Arc<PasswordHasher>,
        config: SignInConfig,
    ) -> Self {
        SignIn {
            users,
            store,
            hasher,
            throttle: Arc::new(LoginThrottle::new(config.throttle)),
            config,
            policy: PasswordPolicy::default(),
            offload: Arc::new(|job: PasswordJob| Box::pin(async move { Ok(job()) })),
            audit: true,
        }
    }

    /// Records no audit entry for password changes and resets (as
    /// [`EntityServiceBuilder::without_audit`](crate::service::EntityServiceBuilder::without_audit)
    /// for the services): for a store that keeps no audit log.
    pub fn without_audit(mut self) -> Self {
        self.audit = false;
        self
    }

    /// Runs password checks with `offload` (see [`Offload`]).
    pub fn offload(mut self, offload: Offload) -> Self {
        self.offload = offload;
        self
    }

    /// Counts failed logins in `failed` instead of this process's [`LoginThrottle`] (a store
    /// every instance shares); it should apply [`SignInConfig::throttle`].
    pub fn failed_logins(mut self, failed: Arc<dyn FailedLogins>) -> Self {
        self.throttle = failed;
        self
    }

    /// New passwords must satisfy `policy` (default [`PasswordPolicy::default`]).
    pub fn password_policy(mut self, policy: PasswordPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The settings.
    pub fn config(&self) -> SignInConfig {
        self.config
    }

    /// The store of secrets.
    pub fn store(&self) -> &Arc<dyn AccountStore> {
        &self.store
    }

    /// Checks `email` and `password` and starts a sign-in, or says why not: a locked account
    /// or address is [`Error::TooManyAttempts`] before anything else is looked at; every
    /// other refusal is [`Error::Unauthenticated`] with [`WRONG_CREDENTIALS`] and costs one
    /// password verification, whether or not the account exists.
    pub async fn login(
        &self,
        email: &str,
        password: Password,
        address: Option<&str>,
    ) -> Result<SignedIn> {
        let email = User::normalize_email(email);
        if let Err(wait) = self.throttle.check(&email, address).await {
            return Err(Error::TooManyAttempts { retry_after: wait });
        }
        let primary = ReadOptions::default().on(ReadRoute::Primary);
        let user = self.users.find_by_natural_key(&email, &primary).await?;
        let stored = match &user {
            Some(user) => self.store.password_hash(user.meta.id).await?,
            None => None,
        };
        let hasher = Arc::clone(&self.hasher);
        let check =
            (self.offload)(Box::new(move || check_password(&hasher, &password, stored))).await?;
        let user = match user {
            Some(user) if check.verification.is_valid() && user.is_active => user,
            _ => {
                if let Some(wait) = self.throttle.failed(&email, address).await {
                    tracing::info!(
                        lockout_ms = wait.as_millis() as u64,
                        "login locked out after repeated failures"
                    );
                }
                return Err(Error::Unauthenticated(WRONG_CREDENTIALS.into()));
            }
        };
        self.throttle.succeeded(&email).await;
        if let Some(rehash) = check.rehash {
            // The login stands even if the upgrade cannot be stored; the next one retries.
            if let Err(error) = self
                .store
                .set_password_hash(user.meta.id, &rehash, None)
                .await
            {
                tracing::warn!(%error, "cannot store the upgraded password hash");
            }
        }
        let family = Uuid::now_v7();
        let (refresh, session) = self.session(user.meta.id, family);
        self.store.store_refresh(&session).await?;
        Ok(SignedIn {
            user,
            refresh,
            family,
            refresh_expires_at: session.expires_at,
        })
    }

    /// Exchanges `presented` for a new refresh token of the same sign-in. A token used
    /// before revokes its whole sign-in; an unknown, expired or revoked token, or one whose
    /// account is gone or inactive, is [`Error::Unauthenticated`].
    pub async fn refresh(&self, presented: &RefreshSecret) -> Result<SignedIn> {
        let (refresh, mut next) = self.session(Uuid::nil(), Uuid::nil());
        let now = now_micros();
        let refused =
            || Error::Unauthenticated("the refresh token is not valid; sign in again".into());
        let (user_id, family) = match self
            .store
            .rotate_refresh(&presented.hash(), &next, now)
            .await?
        {
            Rotation::Rotated { user_id, family } => (user_id, family),
            Rotation::Reused { family, .. } => {
                tracing::warn!(%family, "a rotated refresh token was used again: its sign-in is revoked");
                return Err(Error::Unauthenticated(
                    "the refresh token was used before; every token of its sign-in is revoked"
                        .into(),
                ));
            }
            Rotation::Refused => return Err(refused()),
        };
        next.user_id = user_id;
        next.family = family;
        let primary = ReadOptions::default().on(ReadRoute::Primary);
        match self.users.get(user_id, &primary).await? {
            Some(user) if user.is_active => Ok(SignedIn {
                user,
                refresh,
                family,
                refresh_expires_at: next.expires_at,
            }),
            _ => {
                self.store.revoke_family(family, now).await?;
                Err(refused())
            }
        }
    }

    /// Ends the sign-in `family` (named by the caller's access token): none of its refresh
    /// tokens is accepted again.
    pub async fn logout(&self, family: Uuid) -> Result<()> {
        self.store.revoke_family(family, now_micros()).await
    }

    /// The account `user_id` (from an access token's subject), as stored now.
    pub async fn user(&self, user_id: Uuid) -> Result<Option<User>> {
        let primary = ReadOptions::default().on(ReadRoute::Primary);
        self.users.get(user_id, &primary).await
    }

    /// Changes the password of the signed-in account `user_id`, which proves it knows the
    /// current one, and revokes every sign-in of the account (the caller signs in again).
    ///
    /// A wrong current password counts as a failed login of the account (and address), so
    /// this route is no way around the lockout.
    ///
    /// # Errors
    /// [`Error::TooManyAttempts`] while the account or address is locked;
    /// [`Error::Unauthenticated`] for a wrong current password or an account that is gone or
    /// inactive; [`Error::Validation`] on `new_password` when the policy refuses it.
    pub async fn change_password(
        &self,
        actor: &Principal,
        user_id: Uuid,
        current: Password,
        new: Password,
        address: Option<&str>,
    ) -> Result<()> {
        let refused = || Error::Unauthenticated("the current password is not correct".into());
        let Some(user) = self.user(user_id).await?.filter(|user| user.is_active) else {
            return Err(refused());
        };
        if let Err(wait) = self.throttle.check(&user.email, address).await {
            return Err(Error::TooManyAttempts { retry_after: wait });
        }
        self.policy
            .check(&new, &user.email)
            .map_err(|violation| Error::invalid("new_password", violation.to_string()))?;
        let stored = self.store.password_hash(user_id).await?;
        let hasher = Arc::clone(&self.hasher);
        let check =
            (self.offload)(Box::new(move || check_password(&hasher, &current, stored))).await?;
        if !check.verification.is_valid() {
            self.throttle.failed(&user.email, address).await;
            return Err(refused());
        }
        self.throttle.succeeded(&user.email).await;
        let entry = self.entry(actor, AuditAction::PasswordChange, user_id);
        self.store_password(user_id, new, entry.as_ref()).await
    }

    /// Sets a new password for the account `user_id` on an administrator's behalf (who then
    /// hands it to the account's owner by a channel of their own: CampusHub never sends or
    /// logs a password), and revokes every sign-in of the account.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown account; [`Error::Validation`] on `password` when
    /// the policy refuses it.
    pub async fn reset_password(
        &self,
        actor: &Principal,
        user_id: Uuid,
        password: Password,
    ) -> Result<()> {
        let Some(user) = self.user(user_id).await? else {
            return Err(Error::not_found(crate::EntityKind::USER, user_id));
        };
        self.policy
            .check(&password, &user.email)
            .map_err(|violation| Error::invalid("password", violation.to_string()))?;
        let entry = self.entry(actor, AuditAction::PasswordReset, user_id);
        self.store_password(user_id, password, entry.as_ref()).await
    }

    /// The audit entry of a password set by `actor`, when auditing.
    fn entry(&self, actor: &Principal, action: AuditAction, user_id: Uuid) -> Option<AuditEntry> {
        self.audit
            .then(|| AuditEntry::password(actor, action, user_id))
    }

    /// Hashes `password` and sets it as `user_id`'s, revoking the account's sign-ins, with no
    /// audit entry (an account's first password, set with the account, whose creation is
    /// recorded). The caller has checked it against the password policy.
    pub async fn set_password(&self, user_id: Uuid, password: Password) -> Result<()> {
        self.store_password(user_id, password, None).await
    }

    /// [`SignIn::set_password`], storing `entry` with the hash.
    async fn store_password(
        &self,
        user_id: Uuid,
        password: Password,
        entry: Option<&AuditEntry>,
    ) -> Result<()> {
        let hasher = Arc::clone(&self.hasher);
        let hashed = (self.offload)(Box::new(move || {
            let rehash = hasher.hash(&password).ok();
            PasswordCheck {
                verification: Verification::Valid,
                rehash,
            }
        }))
        .await?;
        let hash = hashed.rehash.ok_or_else(|| Error::Internal {
            message: "cannot hash the password".into(),
            source: None,
        })?;
        self.store.set_password_hash(user_id, &hash, entry).await?;
        self.store.revoke_user(user_id, now_micros()).await
    }

    /// A new refresh token and its session for `user_id` in `family`.
    fn session(&self, user_id: Uuid, family: Uuid) -> (RefreshSecret, RefreshSession) {
        let refresh = RefreshSecret::generate();
        let issued_at = now_micros();
        let ttl = chrono::Duration::from_std(self.config.refresh_ttl)
            .unwrap_or(chrono::Duration::days(14));
        let session = RefreshSession {
            token: refresh.hash(),
            family,
            user_id,
            issued_at,
            expires_at: issued_at + ttl,
        };
        (refresh, session)
    }
}

/// Verifies `password` against `stored`, or against the dummy hash when there is none (an
/// unknown account, or one without a password), so that both cost the same; an older hash
/// that verifies is rehashed at the current parameters.
fn check_password(
    hasher: &PasswordHasher,
    password: &Password,
    stored: Option<StoredHash>,
) -> PasswordCheck {
    let verification = match &stored {
        Some(stored) => hasher.verify(password, stored).unwrap_or_else(|error| {
            tracing::warn!(%error, "a stored password hash cannot be read");
            Verification::Invalid
        }),
        None => hasher.verify_dummy(password),
    };
    let rehash = match verification {
        Verification::ValidNeedsRehash => hasher.hash(password).ok(),
        _ => None,
    };
    PasswordCheck {
        verification,
        rehash,
    }
}
