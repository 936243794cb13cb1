//! Accounts and sign-in over real sockets, on SQLite and on Postgres: the first admin made by
//! `user create` (a weak password refused), login, refresh rotation, reuse revoking the whole
//! sign-in, logout revoking the access token (on a second instance within a second, through
//! Redis), and the lockout after repeated failures.

use std::time::{Duration, Instant};

use hyper::Method;
use serde_json::{json, Value};

use crate::support::client::{Http, Reply};
use crate::support::commands::{command, TempDir};
use crate::support::db::TestDb;
use crate::support::env::Services;
use crate::support::instance::{namespace, replicated, Instance};
use crate::support::process::ProcessInstance;

const EMAIL: &str = "Registry.Admin@uni.example";
const PASSWORD: &str = "correct horse battery staple";

/// The first admin, made with `user create`: a password the policy refuses is refused (and
/// makes no account), the email taken is refused the second time.
async fn first_admin(temp: &TempDir, vars: &[(&str, String)]) {
    let create = |file: &str| {
        let argv = [
            "user",
            "create",
            "--email",
            EMAIL,
            "--role",
            "admin",
            "--password-file",
            file,
        ];
        let argv: Vec<String> = argv.iter().map(|arg| (*arg).to_owned()).collect();
        async move {
            let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
            command(&argv, vars).await
        }
    };
    let refused = create(&temp.file("weak", "short\n"))
        .await
        .expect_err("a password under 12 characters");
    assert!(refused.contains("at least 12"), "{refused}");
    let file = temp.file("password", &format!("{PASSWORD}\n"));
    create(&file).await.expect("the first admin");
    let again = create(&file).await.expect_err("the email is taken");
    assert!(again.contains("exists already"), "{again}");
}

async fn post(http: &Http, path: &str, body: Value) -> Reply {
    http.send(Method::POST, path, &[], Some(&body)).await
}

async fn login(http: &Http, email: &str, password: &str) -> Reply {
    post(
        &http.anonymous(),
        "/api/v1/auth/login",
        json!({"email": email, "password": password}),
    )
    .await
}

async fn refresh(http: &Http, token: &str) -> Reply {
    post(
        &http.anonymous(),
        "/api/v1/auth/refresh",
        json!({"refresh_token": token}),
    )
    .await
}

/// `(access, refresh)` of a `200` token response.
fn tokens(reply: &Reply) -> (String, String) {
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("cache-control").as_deref(), Some("no-store"));
    let body = reply.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900, "15 minutes by default");
    let refresh_ttl = body["refresh_expires_in"]
        .as_u64()
        .expect("a refresh lifetime");
    assert!(
        (14 * 86_400 - 60..=14 * 86_400).contains(&refresh_ttl),
        "{refresh_ttl}"
    );
    let text = |name: &str| body[name].as_str().expect(name).to_owned();
    (text("access_token"), text("refresh_token"))
}

fn with_token(http: &Http, token: &str) -> Http {
    Http::new(&http.base(), Some(token.to_owned()))
}

/// Login, `me`, the users resource, refresh rotation, reuse, logout: on the server `http`
/// reaches.
async fn flows(http: &Http) {
    let wrong = login(http, EMAIL, "not the password at all").await;
    let unknown = login(http, "nobody@uni.example", PASSWORD).await;
    assert_eq!((wrong.status, unknown.status), (401, 401));
    assert_eq!(
        wrong.json()["detail"],
        unknown.json()["detail"],
        "a refusal tells nothing more"
    );

    let (access, first_refresh) = tokens(&login(http, &EMAIL.to_uppercase(), PASSWORD).await);
    let me = with_token(http, &access).get("/api/v1/auth/me").await;
    assert_eq!(me.status, 200, "{}", me.text());
    let me = me.json();
    assert_eq!(me["roles"], json!(["admin"]));
    assert_eq!(me["user"]["email"], EMAIL.to_lowercase());
    assert_eq!(me["subject"], me["user"]["id"]);
    let users = with_token(http, &access)
        .get("/api/v1/users?email__icontains=registry")
        .await;
    assert_eq!(users.status, 200, "{}", users.text());
    let listed = users.json();
    assert_eq!(listed["results"].as_array().map(Vec::len), Some(1));
    assert!(
        !users.text().contains("argon2") && !users.text().contains("password"),
        "no secret in a user: {}",
        users.text()
    );

    let (second_access, second_refresh) = tokens(&refresh(http, &first_refresh).await);
    assert_ne!(second_refresh, first_refresh);
    assert_eq!(
        with_token(http, &second_access)
            .get("/api/v1/auth/me")
            .await
            .status,
        200
    );
    let reuse = refresh(http, &first_refresh).await;
    assert_eq!(reuse.status, 401, "{}", reuse.text());
    assert!(reuse.text().contains("used before"), "{}", reuse.text());
    let revoked = refresh(http, &second_refresh).await;
    assert_eq!(
        revoked.status,
        401,
        "reuse revoked the whole sign-in: {}",
        revoked.text()
    );

    let (access, refresh_token) = tokens(&login(http, EMAIL, PASSWORD).await);
    let signed_in = with_token(http, &access);
    assert_eq!(signed_in.get("/api/v1/auth/me").await.status, 200);
    let out = post(&signed_in, "/api/v1/auth/logout", json!({})).await;
    assert_eq!(out.status, 204, "{}", out.text());
    let after = signed_in.get("/api/v1/auth/me").await;
    assert_eq!(after.status, 401, "{}", after.text());
    assert!(after.text().contains("revoked"), "{}", after.text());
    assert_eq!(
        refresh(http, &refresh_token).await.status,
        401,
        "the sign-in is revoked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_and_sign_in_on_sqlite() {
    let temp = TempDir::new();
    let vars = temp.sqlite();
    first_admin(&temp, &vars).await;
    let server = Instance::start(&vars).await;
    flows(&server.http).await;
    server.stop().await.expect("a clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_and_sign_in_on_postgres() {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let temp = TempDir::new();
    let vars = replicated(&services, &db, &namespace());
    first_admin(&temp, &vars).await;
    let server = Instance::start(&vars).await;
    flows(&server.http).await;
    server.stop().await.expect("a clean stop");
    db.drop_database().await;
}

/// A database of its own with the first admin, and two server processes on it sharing
/// Postgres and Redis (as behind a load balancer); the instances' variables too.
async fn admin_on_two_processes() -> (
    TestDb,
    Vec<(&'static str, String)>,
    ProcessInstance,
    ProcessInstance,
) {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let temp = TempDir::new();
    let vars = replicated(&services, &db, &namespace());
    first_admin(&temp, &vars).await;
    let (a, b) = tokio::join!(ProcessInstance::spawn(&vars), ProcessInstance::spawn(&vars));
    (db, vars, a, b)
}

/// Waits until `http`'s token is refused (`401`) on `/auth/me`, which it must answer `200`
/// until then, failing if that takes a second or more after `what` was acknowledged.
async fn refused_within_a_second(http: &Http, what: &str) {
    let acknowledged = Instant::now();
    loop {
        let status = http.get("/api/v1/auth/me").await.status;
        if status == 401 {
            break;
        }
        assert_eq!(status, 200);
        assert!(
            acknowledged.elapsed() < Duration::from_secs(1),
            "the other instance still accepts the token a second after the {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    println!(
        "the {what} was honoured by the other instance after {:?}",
        acknowledged.elapsed()
    );
}

/// Two server processes sharing Postgres and Redis: a logout through one is refused by the
/// other within a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_on_one_instance_revokes_the_token_on_another_within_a_second() {
    let (db, vars, a, b) = admin_on_two_processes().await;
    let (access, _) = tokens(&login(&a.http, EMAIL, PASSWORD).await);
    let on_a = with_token(&a.http, &access);
    let on_b = with_token(&b.http, &access);
    // B has verified (and remembered) the token before the logout.
    assert_eq!(on_b.get("/api/v1/auth/me").await.status, 200);
    let out = post(&on_a, "/api/v1/auth/logout", json!({})).await;
    assert_eq!(out.status, 204, "{}", out.text());
    refused_within_a_second(&on_b, "logout").await;

    // An instance started after the logout learns of it from Redis.
    let c = ProcessInstance::spawn(&vars).await;
    assert_eq!(
        with_token(&c.http, &access)
            .get("/api/v1/auth/me")
            .await
            .status,
        401
    );
    drop((a, b, c));
    db.drop_database().await;
}

/// Repeated failures lock the account (`429`, `Retry-After`), even for the right password,
/// until the lockout ends; an address that fails across accounts is locked too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_lock_the_account_and_the_address() {
    let temp = TempDir::new();
    let mut vars = temp.sqlite();
    vars.push(("CAMPUSHUB_LOGIN_ACCOUNT_FAILURES", "2".to_owned()));
    vars.push(("CAMPUSHUB_LOGIN_ADDRESS_FAILURES", "6".to_owned()));
    first_admin(&temp, &vars).await;
    let server = Instance::start(&vars).await;
    let http = &server.http;

    for _ in 0..3 {
        assert_eq!(
            login(http, EMAIL, "not the password at all").await.status,
            401
        );
    }
    let locked = login(http, EMAIL, PASSWORD).await;
    assert_eq!(locked.status, 429, "{}", locked.text());
    assert_eq!(
        locked.header("content-type").as_deref(),
        Some("application/problem+json")
    );
    let wait: u64 = locked
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After in seconds");
    assert!((1..=2).contains(&wait), "{wait}");
    tokio::time::sleep(Duration::from_secs(wait)).await;
    tokens(&login(http, EMAIL, PASSWORD).await);

    // The address: 6 free failures over any accounts, then each one locks it.
    for n in 0..4 {
        let email = format!("guess{n}@uni.example");
        assert_eq!(
            login(http, &email, "not the password at all").await.status,
            401
        );
    }
    let elsewhere = login(http, "someone.else@uni.example", "not the password at all").await;
    assert_eq!(
        elsewhere.status,
        429,
        "the address is locked: {}",
        elsewhere.text()
    );
    server.stop().await.expect("a clean stop");
}

/// Two instances sharing Postgres and Redis count failed logins together: guesses
/// alternated between them lock the account on both after the free failures in all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_spread_over_two_instances_lock_the_account_on_both() {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let mut vars = replicated(&services, &db, &namespace());
    vars.push(("CAMPUSHUB_LOGIN_ACCOUNT_FAILURES", "4".to_owned()));
    let (a, b) = (Instance::start(&vars).await, Instance::start(&vars).await);
    let guess = "not the password at all";
    for http in [&a.http, &b.http, &a.http, &b.http] {
        assert_eq!(login(http, EMAIL, guess).await.status, 401);
    }
    // Each instance has seen two failures; together they have seen the four free ones.
    assert_eq!(login(&a.http, EMAIL, guess).await.status, 401);
    for http in [&a.http, &b.http] {
        let locked = login(http, EMAIL, guess).await;
        assert_eq!(locked.status, 429, "{}", locked.text());
    }
    a.stop().await.expect("a clean stop");
    b.stop().await.expect("a clean stop");
    db.drop_database().await;
}

/// Two server processes sharing Postgres and Redis: deactivating an account through one
/// makes the other refuse its access token within a second, and no refresh brings it back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivating_an_account_revokes_its_token_on_another_instance_within_a_second() {
    let (db, _, a, b) = admin_on_two_processes().await;
    let (access, refresh_token) = tokens(&login(&a.http, EMAIL, PASSWORD).await);
    let on_b = with_token(&b.http, &access);
    let me = on_b.get("/api/v1/auth/me").await;
    assert_eq!(me.status, 200, "{}", me.text());
    let id = me.json()["user"]["id"].as_str().expect("an id").to_owned();

    let off = a
        .http
        .patch(
            &format!("/api/v1/users/{id}"),
            &[],
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.text());
    refused_within_a_second(&on_b, "deactivation").await;
    assert_eq!(refresh(&b.http, &refresh_token).await.status, 401);
    drop((a, b));
    db.drop_database().await;
}

/// An account deactivated behind CampusHub's back (`psql` on the primary) has its access
/// token refused by both instances within a second: the outbox relay delivers the change to
/// the same revocation hook the users service runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivating_an_account_with_psql_revokes_its_token_within_a_second() {
    let (db, _, a, b) = admin_on_two_processes().await;
    let (access, _) = tokens(&login(&a.http, EMAIL, PASSWORD).await);
    let on_a = with_token(&a.http, &access);
    let on_b = with_token(&b.http, &access);
    let me = on_b.get("/api/v1/auth/me").await;
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(on_a.get("/api/v1/auth/me").await.status, 200);
    let id = me.json()["user"]["id"].as_str().expect("an id").to_owned();

    crate::support::db::psql(
        &db.primary,
        &format!("UPDATE users SET is_active = false WHERE id = '{id}'"),
    );
    refused_within_a_second(&on_b, "deactivation made with psql").await;
    assert_eq!(on_a.get("/api/v1/auth/me").await.status, 401);
    drop((a, b));
    db.drop_database().await;
}
