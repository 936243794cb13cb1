//! `SignIn` on the memory store: one password check whatever the account, refusals that all
//! read the same, the throttle before the password, rehash on an old hash, refresh rotation
//! and reuse, and accounts that stop being usable.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use campushub_core::accounts::{
    AccountStore, Offload, PasswordJob, RefreshSecret, SignIn, SignInConfig, ThrottleConfig,
    WRONG_CREDENTIALS,
};
use campushub_core::audit_log::AuditAction;
use campushub_core::memory::{MemoryAccounts, MemoryStore};
use campushub_core::password::{HashParams, Password, PasswordHasher, Verification};
use campushub_core::{Entity, Error, Principal, RecordMeta, Repository, Role, User, UserInput};

const PASSWORD: &str = "correct horse battery staple";

fn cheap(memory_kib: u32) -> Arc<PasswordHasher> {
    let params = HashParams {
        memory_kib,
        iterations: 1,
        parallelism: 1,
    };
    Arc::new(PasswordHasher::new(params).expect("parameters"))
}

struct Setup {
    sign_in: SignIn,
    users: Arc<dyn Repository<User>>,
    accounts: MemoryAccounts,
    checks: Arc<AtomicUsize>,
}

fn setup(hasher: Arc<PasswordHasher>, account_free: u32) -> Setup {
    let store = MemoryStore::new();
    let users: Arc<dyn Repository<User>> = Arc::new(store.repository::<User>());
    let accounts = MemoryAccounts::new();
    let checks = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&checks);
    let offload: Offload = Arc::new(move |job: PasswordJob| {
        counted.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move { Ok(job()) })
    });
    let config = SignInConfig {
        throttle: ThrottleConfig {
            account_free,
            ..ThrottleConfig::default()
        },
        ..SignInConfig::default()
    };
    let sign_in = SignIn::new(
        Arc::clone(&users),
        Arc::new(accounts.clone()),
        hasher,
        config,
    )
    .offload(offload);
    Setup {
        sign_in,
        users,
        accounts,
        checks,
    }
}

async fn account(setup: &Setup, email: &str, active: bool, hasher: &PasswordHasher) -> User {
    let input = UserInput {
        email: email.into(),
        display_name: "Ada".into(),
        roles: vec!["registrar".into()],
        student_id: None,
        faculty_id: None,
        is_active: active,
    };
    let user = User::from_input(input, RecordMeta::new(), "test");
    setup.users.insert(&user).await.unwrap();
    let hash = hasher.hash(&Password::new(PASSWORD)).unwrap();
    setup
        .accounts
        .set_password_hash(user.meta.id, &hash, None)
        .await
        .unwrap();
    user
}

/// The account `id` itself, signed in.
fn owner(id: uuid::Uuid) -> Principal {
    Principal::new(id.to_string(), [Role::STUDENT])
}

/// Someone allowed to update accounts.
fn registrar() -> Principal {
    Principal::new("registrar-1", [Role::ADMIN])
}

fn refused_alike(outcome: Result<impl std::fmt::Debug, Error>) {
    match outcome {
        Err(Error::Unauthenticated(message)) => assert_eq!(message, WRONG_CREDENTIALS),
        other => panic!("expected the one refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn every_login_costs_one_password_check_and_refusals_read_the_same() {
    let hasher = cheap(8);
    let setup = setup(Arc::clone(&hasher), 100);
    account(&setup, "ada@uni.example", true, &hasher).await;
    account(&setup, "off@uni.example", false, &hasher).await;

    let signed = setup
        .sign_in
        .login(" ADA@uni.example", Password::new(PASSWORD), None)
        .await
        .expect("the right password signs in, whatever the email's case");
    assert_eq!(signed.user.email, "ada@uni.example");
    assert_eq!(setup.checks.load(Ordering::SeqCst), 1);

    for (email, password) in [
        ("ada@uni.example", "wrong password!"),
        ("nobody@uni.example", PASSWORD),
        ("off@uni.example", PASSWORD),
    ] {
        let before = setup.checks.load(Ordering::SeqCst);
        refused_alike(
            setup
                .sign_in
                .login(email, Password::new(password), None)
                .await,
        );
        assert_eq!(
            setup.checks.load(Ordering::SeqCst),
            before + 1,
            "{email}: one verification, as for an existing account"
        );
    }
}

#[tokio::test]
async fn a_locked_account_is_refused_before_its_password_is_checked() {
    let hasher = cheap(8);
    let setup = setup(Arc::clone(&hasher), 2);
    account(&setup, "ada@uni.example", true, &hasher).await;
    for _ in 0..3 {
        refused_alike(
            setup
                .sign_in
                .login("ada@uni.example", Password::new("nope nope nope"), None)
                .await,
        );
    }
    let checks = setup.checks.load(Ordering::SeqCst);
    let locked = setup
        .sign_in
        .login("ada@uni.example", Password::new(PASSWORD), None)
        .await;
    assert!(
        matches!(locked, Err(Error::TooManyAttempts { retry_after }) if !retry_after.is_zero()),
        "{locked:?}"
    );
    assert_eq!(
        setup.checks.load(Ordering::SeqCst),
        checks,
        "no password check while locked"
    );
}

#[tokio::test]
async fn an_older_hash_is_replaced_at_the_current_parameters_on_login() {
    let old = cheap(8);
    let current = cheap(16);
    let setup = setup(Arc::clone(&current), 100);
    let user = account(&setup, "ada@uni.example", true, &old).await;
    setup
        .sign_in
        .login("ada@uni.example", Password::new(PASSWORD), None)
        .await
        .expect("the old hash still verifies");
    let stored = setup
        .accounts
        .password_hash(user.meta.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        current.verify(&Password::new(PASSWORD), &stored).unwrap(),
        Verification::Valid,
        "rehashed at the current parameters"
    );
}

#[tokio::test]
async fn refresh_rotates_reuse_revokes_and_deactivation_stops_refreshing() {
    let hasher = cheap(8);
    let setup = setup(Arc::clone(&hasher), 100);
    let user = account(&setup, "ada@uni.example", true, &hasher).await;
    let first = setup
        .sign_in
        .login("ada@uni.example", Password::new(PASSWORD), None)
        .await
        .unwrap();
    let second = setup
        .sign_in
        .refresh(&first.refresh)
        .await
        .expect("rotates");
    assert_eq!(second.family, first.family);
    assert_ne!(second.refresh, first.refresh);
    let reuse = setup.sign_in.refresh(&first.refresh).await;
    assert!(
        matches!(reuse, Err(Error::Unauthenticated(ref m)) if m.contains("used before")),
        "{reuse:?}"
    );
    assert!(
        setup.sign_in.refresh(&second.refresh).await.is_err(),
        "the family is revoked"
    );
    assert!(setup
        .sign_in
        .refresh(&RefreshSecret::generate())
        .await
        .is_err());

    let third = setup
        .sign_in
        .login("ada@uni.example", Password::new(PASSWORD), None)
        .await
        .unwrap();
    let mut inactive = user.clone();
    inactive.is_active = false;
    inactive.meta = user.meta.next();
    setup.users.update(&inactive, 1).await.unwrap();
    assert!(
        setup.sign_in.refresh(&third.refresh).await.is_err(),
        "an inactive account"
    );
}

#[tokio::test]
async fn logout_revokes_the_sign_in_and_no_other() {
    let hasher = cheap(8);
    let setup = setup(Arc::clone(&hasher), 100);
    account(&setup, "ada@uni.example", true, &hasher).await;
    let login = || {
        setup
            .sign_in
            .login("ada@uni.example", Password::new(PASSWORD), None)
    };
    let (laptop, phone) = (login().await.unwrap(), login().await.unwrap());
    setup.sign_in.logout(laptop.family).await.unwrap();
    assert!(setup.sign_in.refresh(&laptop.refresh).await.is_err());
    assert!(
        setup.sign_in.refresh(&phone.refresh).await.is_ok(),
        "the other sign-in stays"
    );
}

#[tokio::test]
async fn a_password_change_needs_the_current_one_and_its_failures_lock_the_account() {
    let hasher = cheap(8);
    let setup = setup(Arc::clone(&hasher), 2);
    let user = account(&setup, "ada@uni.example", true, &hasher).await;
    let id = user.meta.id;
    let new = "a brand new passphrase";

    let weak = setup
        .sign_in
        .change_password(
            &owner(id),
            id,
            Password::new(PASSWORD),
            Password::new("short"),
            None,
        )
        .await;
    assert!(
        matches!(&weak, Err(Error::Validation(e)) if e.contains("new_password")),
        "{weak:?}"
    );
    for _ in 0..3 {
        let wrong = setup
            .sign_in
            .change_password(
                &owner(id),
                id,
                Password::new("not the one!"),
                Password::new(new),
                None,
            )
            .await;
        assert!(matches!(wrong, Err(Error::Unauthenticated(_))), "{wrong:?}");
    }
    // Wrong current passwords count as failed logins: the account is now locked.
    let locked = setup
        .sign_in
        .change_password(
            &owner(id),
            id,
            Password::new(PASSWORD),
            Password::new(new),
            None,
        )
        .await;
    assert!(
        matches!(locked, Err(Error::TooManyAttempts { .. })),
        "{locked:?}"
    );
    assert!(
        setup.accounts.audit_entries().is_empty(),
        "a refused change records nothing"
    );
}

#[tokio::test]
async fn a_password_change_ends_every_sign_in() {
    let hasher = cheap(8);
    let new = "a brand new passphrase";
    let fresh = setup(Arc::clone(&hasher), 100);
    let user = account(&fresh, "ada@uni.example", true, &hasher).await;
    let signed_before = fresh
        .sign_in
        .login("ada@uni.example", Password::new(PASSWORD), None)
        .await
        .expect("login");
    fresh
        .sign_in
        .change_password(
            &owner(user.meta.id),
            user.meta.id,
            Password::new(PASSWORD),
            Password::new(new),
            None,
        )
        .await
        .expect("changed");
    refused_alike(
        fresh
            .sign_in
            .login("ada@uni.example", Password::new(PASSWORD), None)
            .await,
    );
    fresh
        .sign_in
        .login("ada@uni.example", Password::new(new), None)
        .await
        .expect("the new password signs in");
    let entries = fresh.accounts.audit_entries();
    assert_eq!(
        entries
            .iter()
            .map(|e| (e.action, e.record_id, e.actor.subject.clone()))
            .collect::<Vec<_>>(),
        vec![(
            AuditAction::PasswordChange,
            user.meta.id,
            user.meta.id.to_string()
        )]
    );
    let stale = fresh.sign_in.refresh(&signed_before.refresh).await;
    assert!(matches!(stale, Err(Error::Unauthenticated(_))), "{stale:?}");
}

#[tokio::test]
async fn an_administrator_reset_follows_the_policy_and_ends_every_sign_in() {
    let hasher = cheap(8);
    let setup = setup(Arc::clone(&hasher), 100);
    let user = account(&setup, "ada@uni.example", true, &hasher).await;
    let signed = setup
        .sign_in
        .login("ada@uni.example", Password::new(PASSWORD), None)
        .await
        .expect("login");
    for (password, why) in [("short", "too short"), ("ADA@uni.example", "the email")] {
        let refused = setup
            .sign_in
            .reset_password(&registrar(), user.meta.id, Password::new(password))
            .await;
        assert!(
            matches!(&refused, Err(Error::Validation(e)) if e.contains("password")),
            "{why}: {refused:?}"
        );
    }
    let unknown = setup
        .sign_in
        .reset_password(
            &registrar(),
            uuid::Uuid::now_v7(),
            Password::new("a fine long password"),
        )
        .await;
    assert!(
        matches!(unknown, Err(Error::NotFound { .. })),
        "{unknown:?}"
    );
    setup
        .sign_in
        .reset_password(
            &registrar(),
            user.meta.id,
            Password::new("a fine long password"),
        )
        .await
        .expect("reset");
    let entries = setup.accounts.audit_entries();
    assert_eq!(
        entries.len(),
        1,
        "only the reset that took is recorded: {entries:?}"
    );
    assert_eq!(
        (
            entries[0].action,
            entries[0].record_id,
            entries[0].actor.subject.as_str()
        ),
        (AuditAction::PasswordReset, user.meta.id, "registrar-1")
    );
    assert_eq!(
        entries[0].changes_json(),
        serde_json::json!({"password": {"redacted": true}}),
        "that it changed, never a value"
    );
    let stale = setup.sign_in.refresh(&signed.refresh).await;
    assert!(matches!(stale, Err(Error::Unauthenticated(_))), "{stale:?}");
    setup
        .sign_in
        .login(
            "ada@uni.example",
            Password::new("a fine long password"),
            None,
        )
        .await
        .expect("the reset password signs in");
}
