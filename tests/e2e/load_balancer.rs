//! nginx in the loop (`deploy/nginx/campushub.conf`): the shipped configuration passes
//! `nginx -t`; in front of two server processes it spreads requests over both, a client
//! over its limit through it is held to its one budget within 10 %, and a stopped instance is
//! passed over without a failed request, then taken back once it serves again.

use std::time::{Duration, Instant};

use crate::rate_limits::{assert_held_to, flat_out, token, FlatOut, PATH, RATE};
use crate::support::instance::{namespace, replicated};
use crate::support::metrics::sample;
use crate::support::nginx::{check, Nginx};
use crate::support::process::ProcessInstance;
use crate::support::tools::{shown, Scratch};
use crate::support::wait::until;
use crate::support::{Http, Services, TestDb};

#[test]
fn the_shipped_configuration_passes_nginx_t() {
    let scratch = Scratch::new("nginx-t");
    let output = check(
        scratch.path(),
        &["127.0.0.1:1".to_owned(), "127.0.0.1:2".to_owned()],
    );
    assert!(output.status.success(), "nginx -t:\n{}", shown(&output));
}

/// Requests `instance` has answered 200 on [`PATH`]'s route.
async fn served(instance: &ProcessInstance) -> f64 {
    let text = instance.http.get("/metrics").await.text();
    sample(
        &text,
        "http_requests_total",
        "route=\"/api/v1/departments\",status=\"200\"",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn through_nginx_two_instances_share_one_budget_and_a_stopped_instance_is_passed_over() {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let mut vars = replicated(&services, &db, &namespace());
    vars.push(("CAMPUSHUB_RATE_LIMIT", format!("{RATE}/1s")));
    vars.push(("CAMPUSHUB_RATE_LIMIT_ROLES", "admin=100000/1s".to_owned()));
    vars.push(("CAMPUSHUB_TRUST_FORWARDED_FOR", "true".to_owned()));
    let (mut a, b) = tokio::join!(ProcessInstance::spawn(&vars), ProcessInstance::spawn(&vars));
    let scratch = Scratch::new("nginx");
    let upstreams = [a.address().to_string(), b.address().to_string()];
    let nginx = Nginx::start(scratch.path(), &upstreams).await;
    let heavy = Http::new(&nginx.base, Some(token("heavy")));
    let admin = Http::new(&nginx.base, a.http.token().map(str::to_owned));

    let started = Instant::now();
    let FlatOut {
        allowed, limited, ..
    } = flat_out(vec![heavy], Duration::from_secs(3)).await;
    assert_held_to(RATE, started, allowed, limited);
    let (on_a, on_b) = (served(&a).await, served(&b).await);
    assert!(
        on_a > 0.0 && on_b > 0.0,
        "both instances served: {on_a}, {on_b}"
    );

    // An instance stops: nginx passes it over, and no request fails.
    a.terminate();
    for n in 0..40 {
        let reply = admin.get(PATH).await;
        assert_eq!(
            reply.status,
            200,
            "request {n} with one instance down: {}",
            reply.text()
        );
    }
    // Started again, it is back in rotation once nginx's fail_timeout (5 s) has passed.
    a.respawn().await;
    let before = served(&a).await;
    until(
        "the restarted instance serves again",
        Duration::from_secs(20),
        || async {
            for _ in 0..10 {
                assert_eq!(admin.get(PATH).await.status, 200);
            }
            let now = served(&a).await;
            if now > before {
                Ok(())
            } else {
                Err(format!("{now} requests served"))
            }
        },
    )
    .await;
    drop(nginx);
    drop((a, b));
    db.drop_database().await;
}
