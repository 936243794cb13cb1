//! A Prometheus server of one test's own (Debian's `prometheus` package, which
//! `scripts/test-tools.sh` installs) configured from `deploy/prometheus/`, and its query API.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use super::client::Http;
use super::process::free_port;

/// The repository's `deploy/prometheus/` directory.
pub fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/prometheus")
}

/// A running `prometheus`, killed (by its PID) when dropped.
pub struct Prometheus {
    child: Child,
    /// A client of its HTTP API.
    pub http: Http,
}

/// `prometheus.yml` as `deploy/prometheus/` ships it, made to scrape `targets` every second
/// with the bearer key in `key_file`, evaluating the rules every second; each replaced part
/// must be there, so that a change to the file fails here rather than going untested.
pub fn configuration(targets: &[String], key_file: &Path) -> String {
    let shipped = std::fs::read_to_string(deploy_dir().join("prometheus.yml"))
        .expect("deploy/prometheus/prometheus.yml");
    let quoted: Vec<String> = targets.iter().map(|t| format!("\"{t}\"")).collect();
    let mut text = shipped;
    for (from, to) in [
        ("scrape_interval: 15s", "scrape_interval: 1s".to_owned()),
        (
            "evaluation_interval: 15s",
            "evaluation_interval: 1s".to_owned(),
        ),
        (
            "/etc/prometheus/campushub-metrics-key",
            key_file.display().to_string(),
        ),
        (
            "[\"campushub-1:8080\", \"campushub-2:8080\"]",
            format!("[{}]", quoted.join(", ")),
        ),
    ] {
        assert!(text.contains(from), "prometheus.yml no longer has `{from}`");
        text = text.replace(from, &to);
    }
    text
}

impl Prometheus {
    /// Starts one in `dir` with `config` (its rule files copied beside it) and waits until
    /// it is ready. Its port: `CAMPUSHUB_TEST_PROMETHEUS_PORT` if set, else a free one.
    pub async fn start(dir: &Path, config: &str) -> Prometheus {
        for rules in ["recording.yml", "alerts.yml"] {
            std::fs::copy(deploy_dir().join(rules), dir.join(rules)).expect("the rule files");
        }
        let config_file = dir.join("prometheus.yml");
        std::fs::write(&config_file, config).expect("the configuration");
        let port = std::env::var("CAMPUSHUB_TEST_PROMETHEUS_PORT")
            .ok()
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(free_port);
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config_file.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus is installed (scripts/test-tools.sh installs it)");
        let prometheus = Prometheus {
            child,
            http: Http::new(&format!("http://127.0.0.1:{port}"), None),
        };
        super::wait::until(
            "prometheus ready",
            std::time::Duration::from_secs(30),
            || async {
                match prometheus.http.try_get("/-/ready").await {
                    Some(200) => Ok(()),
                    other => Err(format!("{other:?}")),
                }
            },
        )
        .await;
        prometheus
    }

    /// The answer of the query API to `promql` (instant, now): `Err` with Prometheus's
    /// error when the query fails.
    pub async fn query(&self, promql: &str) -> Result<Vec<Value>, String> {
        let reply = self
            .http
            .get(&format!("/api/v1/query?query={}", encode(promql)))
            .await;
        let body = reply.json();
        if body["status"] != "success" {
            return Err(format!("{promql}: {} {}", reply.status, reply.text()));
        }
        Ok(body["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }

    /// `/api/v1/rules`: every rule group as Prometheus evaluates them.
    pub async fn rules(&self) -> Value {
        self.http.get("/api/v1/rules").await.json()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `text` percent-encoded for a query string (every byte but the unreserved ones).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}
