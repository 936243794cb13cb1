//! Criterion benches of the whole router in process (`tower::ServiceExt::oneshot`, body
//! collected) over in-memory services behind an L1 cache: `/healthz` (the floor), a cached
//! retrieve with a real HS256 JWT, and a cached list page of 50.
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
    let token = TokenMinter::hs256(SECRET)
        .expect("secret")
        .mint("bench", &[Role::ADMIN], Duration::from_secs(3600))
        .expect("a token");
    let bearer = format!("Bearer {token}");
    let bearer = Some(bearer.as_str());

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

/// Every suite of this bench (what `criterion_group!` would generate, documented).
fn benches() {
    let mut criterion = Criterion::default().configure_from_args();
    http(&mut criterion);
}

criterion_main!(benches);
