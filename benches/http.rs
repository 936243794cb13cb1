//! Criterion benches of the whole router in process (`tower::ServiceExt::oneshot`, body
//! collected) over in-memory services behind an L1 cache: `/healthz` (the floor), a cached
//! retrieve with a real HS256 JWT (as an admin, a registrar, and a faculty member, who gets
//! the record without its personal fields), a cached list page of 50, and a login (an Argon2id check
//! at the default parameters, a refresh token stored, an access token signed).
//!
//! Run: `cargo bench --bench http --features full`.

mod support;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use campushub::cache::{CacheConfig, TieredCache};
use campushub::core::Role;
use campushub::http::{router, ApiState, AppServices, Credentials, JwtVerifier, TokenMinter};
use criterion::{criterion_main, Criterion};
use support::{runtime, timed, Campus};
use tower::ServiceExt;

/// The HS256 secret of the bench router.
const SECRET: &str = "bench-secret-that-is-long-enough-for-hs256";

/// Sends `GET uri` (with `token` as bearer, if any) and collects the body; panics unless 200.
async fn get(app: &Router, uri: &str, token: Option<&str>) {
    let mut request = Request::get(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, token);
    }
    let request = request.body(Body::empty()).expect("a request");
    let response = app.clone().oneshot(request).await.expect("infallible");
    assert_eq!(response.status(), StatusCode::OK, "GET {uri}");
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("a body");
    black_box(body);
}

fn http(c: &mut Criterion) {
    let rt = runtime();
    let cache = TieredCache::l1_only(CacheConfig::default()).expect("config");
    let campus = rt.block_on(Campus::seed(Arc::new(cache)));
    let ids: Vec<String> = campus
        .student_ids
        .iter()
        .map(|id| format!("/api/v1/students/{id}"))
        .collect();
    let services = AppServices {
        departments: campus.departments.clone(),
        students: campus.students.clone(),
        faculty: campus.faculty.clone(),
        custom_fields: campus.custom_fields.clone(),
    };
    let credentials = Credentials::new().jwt(JwtVerifier::hs256(SECRET).expect("secret"));
    let app = router(ApiState::new(services.clone(), Arc::new(credentials)));
    let verifying = Credentials::new().jwt(
        JwtVerifier::hs256(SECRET)
            .expect("secret")
            .remember_verified(false),
    );
    let verifying = router(ApiState::new(services, Arc::new(verifying)));
    let bearer_of = |role: Role| {
        let token = TokenMinter::hs256(SECRET)
            .expect("secret")
            .mint("bench", &[role], Duration::from_secs(3600))
            .expect("a token");
        format!("Bearer {token}")
    };
    let admin = bearer_of(Role::ADMIN);
    let bearer = Some(admin.as_str());
    let registrar = bearer_of(Role::REGISTRAR);
    let faculty = bearer_of(Role::FACULTY);

    c.bench_function("http/healthz", |b| {
        b.iter_custom(|iters| timed(&rt, iters, |_| get(&app, "/healthz", None)))
    });
    c.bench_function("http/retrieve_cached", |b| {
        b.iter_custom(|iters| {
            timed(&rt, iters, |i| {
                get(&app, &ids[(i as usize) % ids.len()], bearer)
            })
        })
    });
    // Unscoped, but not a superuser: the policy looks its grants up.
    c.bench_function("http/retrieve_cached_registrar", |b| {
        b.iter_custom(|iters| {
            timed(&rt, iters, |i| {
                get(&app, &ids[(i as usize) % ids.len()], Some(&registrar))
            })
        })
    });
    // Not granted personal fields: the cached record is redacted on the way out.
    c.bench_function("http/retrieve_cached_faculty", |b| {
        b.iter_custom(|iters| {
            timed(&rt, iters, |i| {
                get(&app, &ids[(i as usize) % ids.len()], Some(&faculty))
            })
        })
    });
    c.bench_function("http/retrieve_cached_verify_every_token", |b| {
        b.iter_custom(|iters| {
            timed(&rt, iters, |i| {
                get(&verifying, &ids[(i as usize) % ids.len()], bearer)
            })
        })
    });
    c.bench_function("http/list_50_cached", |b| {
        b.iter_custom(|iters| {
            timed(&rt, iters, |_| {
                get(&app, "/api/v1/students?page_size=50", bearer)
            })
        })
    });
}

/// `POST /api/v1/auth/login` with the right password, over in-memory accounts, the password
/// hashed at the default parameters (19 MiB, 2 passes, 1 lane), checked in place.
fn login(c: &mut Criterion) {
    use campushub::core::accounts::{AccountStore, DenyList, SignIn, SignInConfig};
    use campushub::core::memory::{MemoryAccounts, MemoryStore};
    use campushub::core::password::{HashParams, Password, PasswordHasher};
    use campushub::core::{Entity, EntityService, RecordMeta, Repository, User, UserInput};
    use campushub::http::Identity;

    let rt = runtime();
    let store = MemoryStore::new();
    let users: Arc<dyn Repository<User>> = Arc::new(store.repository::<User>());
    let accounts = MemoryAccounts::new();
    let hasher = Arc::new(PasswordHasher::new(HashParams::default()).expect("parameters"));
    let input = UserInput {
        email: "bench@uni.example".into(),
        display_name: "Bench".into(),
        roles: vec!["admin".into()],
        student_id: None,
        faculty_id: None,
        is_active: true,
    };
    let user = User::from_input(input, RecordMeta::new(), "bench");
    let password = Password::new("correct horse battery staple");
    let hash = hasher.hash(&password).expect("a hash");
    rt.block_on(async {
        users.insert(&user).await.expect("a user");
        accounts
            .set_password_hash(user.meta.id, &hash, None)
            .await
            .expect("its hash");
    });
    let sign_in = SignIn::new(
        Arc::clone(&users),
        Arc::new(accounts),
        hasher,
        SignInConfig::default(),
    );
    let revoked = Arc::new(DenyList::new());
    let credentials = Credentials::new()
        .jwt(JwtVerifier::hs256(SECRET).expect("secret"))
        .revocations(revoked.clone());
    let identity = Identity::new(
        EntityService::builder(users).build(),
        sign_in,
        TokenMinter::hs256(SECRET).expect("secret"),
        JwtVerifier::hs256(SECRET).expect("secret"),
        revoked,
    );
    let campus = rt.block_on(Campus::seed(Arc::new(campushub::core::NoCache)));
    let services = AppServices {
        departments: campus.departments.clone(),
        students: campus.students.clone(),
        faculty: campus.faculty.clone(),
        custom_fields: campus.custom_fields.clone(),
    };
    let app = router(ApiState::new(services, Arc::new(credentials)).identity(identity));
    let body = r#"{"email":"bench@uni.example","password":"correct horse battery staple"}"#;
    let mut group = c.benchmark_group("http");
    group.sample_size(20);
    group.bench_function("login", |b| {
        b.iter_custom(|iters| {
            timed(&rt, iters, |_| async {
                let request = Request::post("/api/v1/auth/login")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(body))
                    .expect("a request");
                let response = app.clone().oneshot(request).await.expect("infallible");
                assert_eq!(response.status(), StatusCode::OK);
                let body = axum::body::to_bytes(response.into_body(), usize::MAX).await;
                black_box(body.expect("a body"));
            })
        })
    });
    group.finish();
}

/// Every suite of this bench (what `criterion_group!` would generate, documented).
fn benches() {
    let mut criterion = Criterion::default().configure_from_args();
    http(&mut criterion);
    login(&mut criterion);
}

criterion_main!(benches);
