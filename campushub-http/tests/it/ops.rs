//! Operations: health, readiness, metrics, the OpenAPI document, request ids, compression.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::http::{Method, StatusCode};
use campushub_core::Role;
use campushub_http::metrics::encode_counters;
use campushub_http::prometheus_client::encoding::DescriptorEncoder;
use campushub_http::prometheus_client::metrics::counter::Counter;
use campushub_http::{ApiState, HttpConfig, MetricsSource, ProbeStatus, ReadinessProbe};
use campushub_testkit::exposition::{parse, Scrape};
use serde_json::Value;

use crate::support::{credentials, department, App, Reply};

struct Probe {
    name: &'static str,
    critical: bool,
    status: ProbeStatus,
}

/// A probe that never answers, or panics.
struct Broken {
    panics: bool,
}

#[async_trait]
impl ReadinessProbe for Broken {
    fn name(&self) -> &str {
        "broken"
    }
    async fn check(&self) -> ProbeStatus {
        if self.panics {
            panic!("probe bug");
        }
        futures::future::pending().await
    }
}

fn with_broken_probe(panics: bool) -> App {
    App::with_state(move |services| {
        let config = HttpConfig {
            request_timeout: Duration::from_millis(50),
            probe_timeout: Duration::from_secs(3600),
            ..HttpConfig::default()
        };
        ApiState::new(services, Arc::new(credentials()))
            .config(config)
            .probe(Arc::new(Broken { panics }))
    })
}

#[tokio::test]
async fn a_request_over_the_timeout_is_a_408_problem() {
    let app = with_broken_probe(false);
    let reply = app.call(Method::GET, "/readyz", None, None).await;
    reply.problem(StatusCode::REQUEST_TIMEOUT);
    assert!(!reply.header("x-request-id").is_empty());
}

#[tokio::test]
async fn a_panic_is_a_500_problem_with_a_generic_detail() {
    let app = with_broken_probe(true);
    let reply = app.call(Method::GET, "/readyz", None, None).await;
    let body = reply.problem(StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!body["detail"].as_str().unwrap_or("").contains("probe bug"));
}

#[async_trait]
impl ReadinessProbe for Probe {
    fn name(&self) -> &str {
        self.name
    }
    fn critical(&self) -> bool {
        self.critical
    }
    async fn check(&self) -> ProbeStatus {
        self.status.clone()
    }
}

fn with_probes(probes: Vec<Probe>) -> App {
    App::with_state(move |services| {
        probes.into_iter().fold(
            ApiState::new(services, Arc::new(credentials())),
            |state, probe| state.probe(Arc::new(probe)),
        )
    })
}

#[tokio::test]
async fn healthz_is_open() {
    let app = App::new();
    let reply = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["status"], "ok");
}

#[tokio::test]
async fn readyz_probes_the_store_by_default() {
    let app = App::new();
    let reply = app
        .call(Method::GET, "/readyz", Some(&Role::ADMIN), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["components"]["primary"]["ok"], true);
}

#[tokio::test]
async fn readyz_shows_only_the_status_to_anyone_but_admins() {
    let app = with_probes(vec![Probe {
        name: "replica-1",
        critical: false,
        status: ProbeStatus::down("connection refused by 10.0.0.7:5432"),
    }]);
    for role in [None, Some(&Role::REGISTRAR), Some(&Role::ANALYST)] {
        let reply = app.call(Method::GET, "/readyz", role, None).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(
            reply.json(),
            serde_json::json!({"status": "ready"}),
            "{role:?}"
        );
    }
    let admin = app
        .call(Method::GET, "/readyz", Some(&Role::ADMIN), None)
        .await;
    let body = admin.json();
    assert_eq!(body["components"]["replica-1"]["ok"], false, "{body}");
}

/// A probe that counts how often it is asked.
struct Counting(Arc<std::sync::atomic::AtomicUsize>);

#[async_trait]
impl ReadinessProbe for Counting {
    fn name(&self) -> &str {
        "counted"
    }
    async fn check(&self) -> ProbeStatus {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        ProbeStatus::up()
    }
}

#[tokio::test]
async fn a_flood_of_readyz_calls_probes_once_a_second() {
    let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let probe = Counting(Arc::clone(&asked));
    let app = App::with_state(move |services| {
        ApiState::new(services, Arc::new(credentials())).probe(Arc::new(probe))
    });
    let calls = (0..50).map(|_| app.call(Method::GET, "/readyz", None, None));
    for reply in futures::future::join_all(calls).await {
        assert_eq!(reply.status, StatusCode::OK);
    }
    assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1);
    tokio::time::sleep(campushub_http::health::READINESS_TTL).await;
    app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test]
async fn readyz_is_503_only_when_a_critical_component_is_down() {
    let lagging = ProbeStatus {
        ok: false,
        lag_seconds: Some(42.0),
        detail: Some("too far behind".into()),
    };
    let app = with_probes(vec![
        Probe {
            name: "primary",
            critical: true,
            status: ProbeStatus::up(),
        },
        Probe {
            name: "replica-1",
            critical: false,
            status: lagging,
        },
        Probe {
            name: "redis",
            critical: false,
            status: ProbeStatus::down("refused"),
        },
    ]);
    let reply = app
        .call(Method::GET, "/readyz", Some(&Role::ADMIN), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(body["components"]["replica-1"]["lag_seconds"], 42.0);
    assert_eq!(body["components"]["redis"]["ok"], false);
    let app = with_probes(vec![Probe {
        name: "primary",
        critical: true,
        status: ProbeStatus::down("gone"),
    }]);
    let reply = app
        .call(Method::GET, "/readyz", Some(&Role::ADMIN), None)
        .await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.json()["status"], "unready");
    assert_eq!(reply.json()["components"]["primary"]["detail"], "gone");
}

#[tokio::test]
async fn metrics_need_admin_unless_public() {
    let app = App::new();
    app.call(Method::GET, "/metrics", Some(&Role::REGISTRAR), None)
        .await
        .problem(StatusCode::FORBIDDEN);
    assert_eq!(
        app.call(Method::GET, "/metrics", Some(&Role::ADMIN), None)
            .await
            .status,
        StatusCode::OK
    );
    let open = App::with_config(HttpConfig {
        metrics_public: true,
        ..HttpConfig::default()
    });
    assert_eq!(
        open.call(Method::GET, "/metrics", None, None).await.status,
        StatusCode::OK
    );
}

/// `/metrics` as an admin, with `accept` if given: the reply and its parsed body.
async fn scrape(app: &App, accept: Option<&str>) -> (Reply, Scrape) {
    let headers: Vec<(&str, &str)> = accept.map(|a| ("accept", a)).into_iter().collect();
    let reply = app
        .call_with(Method::GET, "/metrics", Some(&Role::ADMIN), None, &headers)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let text = String::from_utf8_lossy(&reply.body).into_owned();
    let parsed = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    (reply, parsed)
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_status_with_buckets() {
    let app = App::new();
    app.create("departments", department("CSE")).await;
    let id = uuid::Uuid::now_v7();
    app.get(&format!("/api/v1/departments/{id}")).await;
    app.get(&format!("/api/v1/departments/{id}/")).await;
    app.get("/no/such/route").await;
    let (reply, metrics) = scrape(&app, None).await;
    assert_eq!(
        reply.header("content-type"),
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert_eq!(metrics.types["http_requests_total"], "counter");
    let requests = |route, status| {
        metrics.sum(
            "http_requests_total",
            &[("route", route), ("status", status)],
        )
    };
    assert_eq!(requests("/api/v1/departments", "201"), 1.0);
    assert_eq!(requests("/api/v1/departments/{id}", "404"), 2.0);
    assert_eq!(requests("unmatched", "404"), 1.0);
    assert!(
        !metrics.has("http_requests_total", &[("status", "500")]),
        "statuses no request had have no series"
    );
    assert_eq!(metrics.types["http_request_duration_seconds"], "histogram");
    let retrieve = [("route", "/api/v1/departments/{id}"), ("status", "404")];
    let buckets: Vec<_> = metrics
        .matching("http_request_duration_seconds_bucket", &retrieve)
        .map(|b| b.labels["le"].clone())
        .collect();
    assert!(buckets.contains(&"0.005".to_owned()), "{buckets:?}");
    assert_eq!(buckets.last().map(String::as_str), Some("+Inf"));
    assert_eq!(
        metrics.sum("http_request_duration_seconds_count", &retrieve),
        2.0
    );
}

#[tokio::test]
async fn metrics_are_openmetrics_when_the_scraper_asks_for_it() {
    let app = App::new();
    app.get("/healthz").await;
    let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    let (reply, metrics) = scrape(&app, Some(prometheus)).await;
    assert_eq!(
        reply.header("content-type"),
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let text = String::from_utf8_lossy(&reply.body).into_owned();
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert!(
        text.contains("# UNIT http_request_duration_seconds seconds"),
        "{text}"
    );
    assert_eq!(
        metrics.types["http_requests"], "counter",
        "OpenMetrics names the family without _total"
    );
    assert_eq!(
        metrics.sum(
            "http_requests_total",
            &[("route", "/healthz"), ("status", "200")]
        ),
        1.0
    );
}

/// An application's source: counters read at scrape time.
#[derive(Debug)]
struct CacheStats;

impl MetricsSource for CacheStats {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> std::fmt::Result {
        let tiers = ["l1", "l2"].map(|tier| ([("tier", tier)], 7));
        encode_counters(&mut encoder, "cache_hits", "Cache hits.", tiers)
    }
}

#[tokio::test]
async fn extra_metric_sources_and_registered_metrics_are_encoded() {
    let jobs = Counter::<u64>::default();
    let registered = jobs.clone();
    let app = App::with_state(move |services| {
        let state = ApiState::new(services, Arc::new(credentials())).metrics_source(CacheStats);
        state
            .metrics
            .register(|registry| registry.register("app_jobs", "Jobs run", registered));
        state
    });
    jobs.inc_by(3);
    let (reply, metrics) = scrape(&app, None).await;
    let text = String::from_utf8_lossy(&reply.body).into_owned();
    assert_eq!(
        text.matches("# TYPE cache_hits_total counter").count(),
        1,
        "{text}"
    );
    assert_eq!(metrics.sum("cache_hits_total", &[("tier", "l2")]), 7.0);
    assert_eq!(metrics.sum("app_jobs_total", &[]), 3.0);
}

#[tokio::test]
async fn the_openapi_document_is_openapi_3_and_names_every_route() {
    let app = App::new();
    let reply = app.get("/api/v1/openapi.json").await;
    assert_eq!(reply.status, StatusCode::OK);
    let document: Value = serde_json::from_slice(&reply.body).expect("JSON");
    assert!(document["openapi"]
        .as_str()
        .is_some_and(|v| v.starts_with("3.")));
    let paths = document["paths"].as_object().cloned().unwrap_or_default();
    let mut expected = vec![
        "/healthz".to_owned(),
        "/readyz".to_owned(),
        "/metrics".to_owned(),
        "/api/v1/openapi.json".to_owned(),
        "/api/v1/analytics/summary".to_owned(),
        "/api/v1/analytics/departments".to_owned(),
        "/api/v1/departments/stats".to_owned(),
    ];
    for segment in ["departments", "students", "faculty", "custom-fields"] {
        expected.push(format!("/api/v1/{segment}"));
        expected.push(format!("/api/v1/{segment}/{{id}}"));
    }
    for segment in ["students", "faculty"] {
        expected.push(format!("/api/v1/{segment}/stats"));
    }
    for segment in ["departments", "students", "faculty"] {
        for route in ["bulk-create", "bulk-update", "bulk-delete"] {
            expected.push(format!("/api/v1/{segment}/{route}"));
        }
        // With the `exchange` feature, the kinds with bulk routes export and import.
        if cfg!(feature = "exchange") {
            for route in ["export", "import"] {
                expected.push(format!("/api/v1/{segment}/{route}"));
            }
        }
    }
    for path in &expected {
        assert!(paths.contains_key(path), "missing {path}");
    }
    assert_eq!(paths.len(), expected.len());
    let item = &paths["/api/v1/students/{id}"];
    for method in ["get", "put", "patch", "delete"] {
        assert!(item[method]["responses"].is_object(), "{method}");
    }
    let problem = &item["get"]["responses"]["404"]["content"]["application/problem+json"];
    assert!(problem.is_object());
    assert!(document["components"]["schemas"]["Problem"].is_object());
    assert!(document["components"]["schemas"]["Student"]["properties"]["roll_number"].is_object());
}

#[tokio::test]
async fn request_ids_are_generated_or_propagated() {
    let app = App::new();
    let generated = app
        .call(Method::GET, "/healthz", None, None)
        .await
        .header("x-request-id");
    assert_eq!(generated.len(), 36, "{generated}");
    let echoed = app
        .call_with(
            Method::GET,
            "/healthz",
            None,
            None,
            &[("x-request-id", "abc-123")],
        )
        .await;
    assert_eq!(echoed.header("x-request-id"), "abc-123");
    let problem = app.call(Method::GET, "/nowhere", None, None).await;
    assert!(!problem.header("x-request-id").is_empty());
}

#[tokio::test]
async fn responses_are_gzipped_when_asked() {
    let app = App::new();
    for index in 0..20 {
        app.create("departments", department(&format!("D{index:02}")))
            .await;
    }
    let reply = app
        .get_with("/api/v1/departments", &[("accept-encoding", "gzip")])
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-encoding"), "gzip");
}

#[tokio::test]
async fn bodies_under_a_kibibyte_are_not_compressed() {
    let app = App::new();
    let created = app.create("departments", department("SMALL")).await;
    let id = created["id"].as_str().unwrap_or_default().to_owned();
    let reply = app
        .get_with(
            &format!("/api/v1/departments/{id}"),
            &[("accept-encoding", "gzip")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.len() < 1024, "a single department is small");
    assert_eq!(reply.header("content-encoding"), "");
}
