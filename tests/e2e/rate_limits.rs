//! Rate limits across two server processes sharing Postgres and Redis: a client sending flat
//! out over both is held to its quota within 10 % while another client is unaffected; a
//! `429` is a problem with `Retry-After` and the `RateLimit` headers; the probes are never
//! limited; and with Redis stopped each instance holds the client to the quota on its own.
//! Refusals are counted (`campushub_rate_limited_total`) and documented (the `429` of the
//! OpenAPI document).

use std::time::{Duration, Instant};

use axum::http::Method;
use campushub::core::Role;
use campushub::http::TokenMinter;

use crate::support::client::Reply;
use crate::support::instance::{namespace, replicated, JWT_SECRET};
use crate::support::metrics::sample;
use crate::support::process::ProcessInstance;
use crate::support::redis::RedisProcess;
use crate::support::{Http, Services, TestDb};

/// The quota under test: 20 requests per second each, in all.
pub(crate) const RATE: u32 = 20;

pub(crate) fn token(subject: &str) -> String {
    TokenMinter::hs256(JWT_SECRET)
        .expect("secret")
        .mint(subject, &[Role::REGISTRAR], Duration::from_secs(3600))
        .expect("a token")
}

fn as_client(instance: &ProcessInstance, subject: &str) -> Http {
    Http::new(&instance.http.base(), Some(token(subject)))
}

/// A cheap limited route.
pub(crate) const PATH: &str = "/api/v1/departments?page_size=1";

/// What a client sending flat out got.
pub(crate) struct FlatOut {
    /// Requests answered 200.
    pub(crate) allowed: u32,
    /// Requests answered 429.
    pub(crate) limited: u32,
    /// One of the 429s.
    pub(crate) refusal: Option<Reply>,
}

/// Four connections sending [`PATH`] as fast as answered, over `clients` in turn, for `run`.
pub(crate) async fn flat_out(clients: Vec<Http>, run: Duration) -> FlatOut {
    let started = Instant::now();
    let senders: Vec<_> = (0..4)
        .map(|n| {
            let http = clients[n % clients.len()].clone();
            tokio::spawn(async move {
                let mut got = FlatOut {
                    allowed: 0,
                    limited: 0,
                    refusal: None,
                };
                while started.elapsed() < run {
                    let reply = http.get(PATH).await;
                    match reply.status {
                        200 => got.allowed += 1,
                        429 => {
                            got.limited += 1;
                            got.refusal.get_or_insert(reply);
                        }
                        other => panic!("flat-out client: {other} {}", reply.text()),
                    }
                }
                got
            })
        })
        .collect();
    let mut total = FlatOut {
        allowed: 0,
        limited: 0,
        refusal: None,
    };
    for sender in senders {
        let got = sender.await.expect("a sender");
        total.allowed += got.allowed;
        total.limited += got.limited;
        total.refusal = total.refusal.or(got.refusal);
    }
    total
}

/// `allowed` is within 10 % of the quota (`rate` per second, a second's burst) over the time
/// since `started`, and the client was over it.
pub(crate) fn assert_held_to(rate: u32, started: Instant, allowed: u32, limited: u32) {
    let elapsed = started.elapsed().as_secs_f64();
    let expected = f64::from(rate) * (1.0 + elapsed);
    eprintln!("rate limit: {allowed} allowed, {limited} refused over {elapsed:.2} s; {expected:.1} expected");
    assert!(
        (f64::from(allowed) - expected).abs() <= 0.1 * expected,
        "{allowed} allowed over {elapsed:.2} s, {expected:.0} expected (±10 %), {limited} refused"
    );
    assert!(
        limited > allowed,
        "the client was over its limit: {limited} refused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_over_its_limit_is_held_to_the_rate_across_two_instances_and_others_are_not() {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let mut vars = replicated(&services, &db, &namespace());
    vars.push(("CAMPUSHUB_RATE_LIMIT", format!("{RATE}/1s")));
    let (a, b) = tokio::join!(ProcessInstance::spawn(&vars), ProcessInstance::spawn(&vars));
    let heavy = [as_client(&a, "heavy"), as_client(&b, "heavy")];
    let light = [as_client(&a, "light"), as_client(&b, "light")];

    // An allowed response says the policy and what is left of it.
    let first = light[0].get(PATH).await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(
        first.header("ratelimit-policy").as_deref(),
        Some(format!("\"principal\";q={RATE};w=1").as_str())
    );
    assert_eq!(
        first.header("ratelimit").as_deref(),
        Some(format!("\"principal\";r={};t=1", RATE - 1).as_str())
    );

    // The heavy client: four connections flat out, alternating instances, for three seconds;
    // meanwhile the light client, at a quarter of the quota on both instances, and the probes.
    let started = Instant::now();
    let heavy_run = tokio::spawn(flat_out(heavy.to_vec(), Duration::from_secs(3)));
    let mut light_statuses = Vec::new();
    while started.elapsed() < Duration::from_secs(3) {
        for http in &light {
            light_statuses.push(http.get(PATH).await.status);
            light_statuses.push(http.anonymous().get("/healthz").await.status);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let FlatOut {
        allowed,
        limited,
        refusal,
    } = heavy_run.await.expect("the heavy client");
    assert_held_to(RATE, started, allowed, limited);
    assert!(
        light_statuses.iter().all(|status| *status == 200),
        "the light client and the probes: {light_statuses:?}"
    );

    let refusal = refusal.expect("a refusal");
    assert_eq!(
        refusal.header("content-type").as_deref(),
        Some("application/problem+json")
    );
    assert_eq!(refusal.json()["status"], 429);
    let retry: u64 = refusal
        .header("retry-after")
        .and_then(|value| value.parse().ok())
        .expect("Retry-After in seconds");
    assert_eq!(retry, 1, "a twentieth of a second, rounded up");
    let remaining = refusal.header("ratelimit").expect("RateLimit on a 429");
    assert!(remaining.starts_with("\"principal\";r=0;"), "{remaining}");
    drop((a, b));
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_stopped_each_instance_holds_the_client_to_the_quota_itself() {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let mut redis = RedisProcess::start();
    let vars = vec![
        ("CAMPUSHUB_DATABASE_URL", db.primary.clone()),
        ("CAMPUSHUB_REDIS_URL", redis.url()),
        ("CAMPUSHUB_CACHE_NAMESPACE", namespace()),
        ("CAMPUSHUB_RATE_LIMIT", "5/1m".to_owned()),
        ("CAMPUSHUB_RATE_LIMIT_ROLES", "admin=1000/1s".to_owned()),
    ];
    let (a, b) = tokio::join!(ProcessInstance::spawn(&vars), ProcessInstance::spawn(&vars));
    let clients = [as_client(&a, "client"), as_client(&b, "client")];
    // Shared while Redis is up: five in all over both instances.
    let mut statuses = Vec::new();
    for n in 0..6 {
        statuses.push(clients[n % 2].get(PATH).await.status);
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429]);

    redis.stop();
    for (n, http) in clients.iter().enumerate() {
        let mut statuses = Vec::new();
        for _ in 0..7 {
            statuses.push(http.get(PATH).await.status);
        }
        assert_eq!(
            statuses,
            [200, 200, 200, 200, 200, 429, 429],
            "instance {n} on its own budget"
        );
    }
    // A role's quota replaces the principal's: the admin is far from its own.
    let admin = a.http.send(Method::GET, PATH, &[], None).await;
    assert_eq!(admin.status, 200);
    assert_eq!(
        admin.header("ratelimit-policy").as_deref(),
        Some("\"admin\";q=1000;w=1")
    );
    // Each refusal is counted by the quota's scope: the shared one (the sixth request, on
    // b), then two per instance on its own.
    for (instance, refused) in [(&a, 2.0), (&b, 3.0)] {
        let text = instance.http.get("/metrics").await.text();
        let count = |scope: &str| {
            sample(
                &text,
                "campushub_rate_limited_total",
                &format!("scope=\"{scope}\""),
            )
        };
        assert_eq!(count("principal"), refused, "{text}");
        assert_eq!(count("role"), 0.0);
        assert!(text.contains("campushub_rate_limited_total{scope=\"address\"} 0"));
    }
    // The document says which operations may answer 429, and how.
    let document = a.http.get("/api/v1/openapi.json").await.json();
    let list = &document["paths"]["/api/v1/departments"]["get"]["responses"]["429"];
    assert_eq!(list["$ref"], "#/components/responses/TooManyRequests");
    assert!(document["paths"]["/healthz"]["get"]["responses"]["429"].is_null());
    let response = &document["components"]["responses"]["TooManyRequests"];
    for header in ["Retry-After", "RateLimit", "RateLimit-Policy"] {
        assert!(
            response["headers"][header].is_object(),
            "{header}: {response}"
        );
    }
    assert_eq!(
        response["content"]["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/Problem"
    );
    drop((a, b));
    db.drop_database().await;
}
