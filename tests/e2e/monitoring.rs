//! Monitoring as shipped in `deploy/`: the alert rules' `promtool` unit tests; a real
//! Prometheus scraping a real server process with the `metrics` role's API key, evaluating
//! every recording and alert rule without error and recording the aggregates; and every
//! query of the Grafana dashboard run against it, failing on a query error or a panel
//! without data.

use std::process::Command;
use std::time::Duration;

use axum::http::Method;
use serde_json::Value;

use crate::support::instance::{namespace, replicated};
use crate::support::process::ProcessInstance;
use crate::support::prometheus::{configuration, deploy_dir, Prometheus};
use crate::support::tools::{shown, Scratch};
use crate::support::wait::until;
use crate::support::{records, Http, Services, TestDb};

/// The scraper's API key (role `metrics`).
const SCRAPE_KEY: &str = "prometheus-scrape-key-0123456789";

fn promtool(args: &[&str]) {
    let output = Command::new("promtool")
        .args(args)
        .current_dir(deploy_dir())
        .output()
        .expect("promtool is installed (scripts/test-tools.sh installs Debian's prometheus)");
    assert!(
        output.status.success(),
        "promtool {args:?}:\n{}",
        shown(&output)
    );
}

#[test]
fn the_rules_check_and_their_unit_tests_pass() {
    promtool(&["check", "rules", "recording.yml", "alerts.yml"]);
    promtool(&["test", "rules", "tests/alerts.test.yml"]);
}

/// Requests of every kind the dashboard shows: reads (cache lookups), writes, a 404.
async fn traffic(http: &Http) {
    let code = uuid::Uuid::new_v4().simple().to_string()[..8].to_uppercase();
    let department = records::department(http, &code).await;
    let id = records::id(&department);
    for _ in 0..5 {
        assert_eq!(
            http.get(&format!("/api/v1/departments/{id}")).await.status,
            200
        );
        assert_eq!(
            http.get("/api/v1/departments?page_size=5").await.status,
            200
        );
    }
    let missing = uuid::Uuid::new_v4();
    assert_eq!(
        http.get(&format!("/api/v1/departments/{missing}"))
            .await
            .status,
        404
    );
}

/// Each rule's health and last error, for every rule that is not healthy.
fn unhealthy(rules: &Value) -> Vec<String> {
    let groups = rules["data"]["groups"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut bad = Vec::new();
    let mut count = 0;
    for group in groups {
        for rule in group["rules"].as_array().cloned().unwrap_or_default() {
            count += 1;
            if rule["health"] != "ok" {
                bad.push(format!(
                    "{}: {} {}",
                    rule["name"], rule["health"], rule["lastError"]
                ));
            }
        }
    }
    assert!(
        count >= 20,
        "the recording and alert rules are loaded: {count}"
    );
    bad
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_a_server_evaluates_the_rules_and_runs_every_dashboard_query() {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let mut vars = replicated(&services, &db, &namespace());
    vars.push((
        "CAMPUSHUB_API_KEYS",
        format!("prometheus:metrics:{SCRAPE_KEY}"),
    ));
    // Rate limits on (never reached): the dashboard's refusals by scope have their series.
    vars.push(("CAMPUSHUB_RATE_LIMIT", "1000000/1s".to_owned()));
    let server = ProcessInstance::spawn(&vars).await;

    // The scraper's key reads the metrics, and nothing else.
    let scraper = Http::new(&server.http.base(), Some(SCRAPE_KEY.to_owned()));
    assert_eq!(scraper.get("/metrics").await.status, 200);
    let refused = scraper
        .send(Method::GET, "/api/v1/students", &[], None)
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    traffic(&server.http).await;

    let scratch = Scratch::new("prometheus");
    let key_file = scratch.path().join("metrics-key");
    std::fs::write(&key_file, SCRAPE_KEY).expect("the key file");
    let target = server.http.base().trim_start_matches("http://").to_owned();
    let prometheus = Prometheus::start(scratch.path(), &configuration(&[target], &key_file)).await;

    until("the server scraped", Duration::from_secs(30), || async {
        let up = prometheus.query("up{job=\"campushub\"}").await?;
        match up.first().map(|sample| sample["value"][1].clone()) {
            Some(Value::String(value)) if value == "1" => Ok(()),
            other => Err(format!("up: {other:?}")),
        }
    })
    .await;
    // Rates need two scrapes with traffic between them, then an evaluation.
    let recorded = [
        "campushub:http_requests:rate1m",
        "campushub:http_requests_by_status:rate5m",
        "campushub:http_errors:ratio_rate5m",
        "campushub:http_request_duration_seconds:p95_5m",
        "campushub:cache_lookups:rate5m",
        "campushub:cache_hit_ratio:rate5m",
        "campushub:cache_tier_hit_ratio:rate5m",
        "campushub:db_statements_per_request:rate5m",
        "campushub:db_pool_saturation:ratio",
        "campushub:replica_lag_seconds:max",
    ];
    until(
        "every aggregate recorded",
        Duration::from_secs(60),
        || async {
            traffic(&server.http).await;
            for record in recorded {
                let samples = prometheus.query(record).await?;
                let numbers = samples
                    .iter()
                    .filter(|s| s["value"][1].as_str().is_some_and(|v| v != "NaN"))
                    .count();
                if numbers == 0 {
                    return Err(format!("{record}: {samples:?}"));
                }
            }
            Ok(())
        },
    )
    .await;
    let bad = unhealthy(&prometheus.rules().await);
    assert!(bad.is_empty(), "rules failing to evaluate: {bad:?}");
    // Nothing is wrong with this server: no alert fires (the instance is up, Redis is there,
    // the replica keeps up). Pending or firing alerts would say a threshold is miswired.
    let alerts = prometheus.query("ALERTS{alertstate=\"firing\"}").await;
    assert_eq!(
        alerts.map(|a| a.len()),
        Ok(0),
        "no alert fires on a healthy server"
    );

    // Every dashboard query runs, and every panel shows something.
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/grafana/campushub.json"),
        )
        .expect("deploy/grafana/campushub.json"),
    )
    .expect("the dashboard is JSON");
    let panels = dashboard["panels"].as_array().expect("panels");
    assert!(panels.len() >= 6, "{} panels", panels.len());
    for panel in panels {
        let title = panel["title"].as_str().unwrap_or("?");
        let mut shown = 0;
        for target in panel["targets"].as_array().expect("targets") {
            let expr = target["expr"].as_str().expect("an expression");
            let expr = expr.replace("$__rate_interval", "1m");
            let samples = prometheus
                .query(&expr)
                .await
                .unwrap_or_else(|error| panic!("panel `{title}`: {error}"));
            if expr.contains("campushub_rate_limited_total") {
                assert_eq!(samples.len(), 3, "one series per scope: {expr}");
            }
            shown += samples.len();
        }
        assert!(shown > 0, "panel `{title}` shows no data");
    }
    drop(prometheus);
    drop(server);
    db.drop_database().await;
}
