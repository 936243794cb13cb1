//! Logs and traces of a request, as an operator collects them (no service needed: the server
//! runs on SQLite in a child process, which installs logging and tracing as `Server::main`
//! does). The child writes JSON lines to stderr and exports its spans to an OTLP receiver this
//! test runs; one request with a caller's `traceparent` must appear in both, joined to the
//! caller's trace.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use axum::Router;
use campushub::server::{shutdown_signal, App, Config, Core, Telemetry};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use serde_json::{json, Value};
use tokio::net::TcpListener;

use crate::support::process::{admin_token, free_port, wait_healthy, EXIT_LIMIT};
use crate::support::Http;

/// Set in the child's environment: only then does [`telemetry_child`] serve.
const MARKER: &str = "CAMPUSHUB_E2E_TELEMETRY_CHILD";

/// The caller's trace and span, as an upstream proxy would send them.
const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_is_one_trace_in_the_logs_and_the_exported_spans() {
    let (endpoint, received) = otlp_receiver().await;
    let dir = std::env::temp_dir().join(format!("campushub-e2e-telemetry-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let port = free_port();
    let mut child = spawn_child(
        port,
        &[
            (
                "CAMPUSHUB_DATABASE_URL",
                format!("sqlite://{}", dir.join("telemetry.db").display()),
            ),
            ("CAMPUSHUB_LOG_FORMAT", "json".into()),
            ("CAMPUSHUB_LOG", "info".into()),
            // Every statement is "slow": its warning must carry the request's fields.
            ("CAMPUSHUB_SLOW_STATEMENT", "0s".into()),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
            ("OTEL_SERVICE_NAME", "campushub-e2e".into()),
        ],
    );
    let lines = collect_stderr(&mut child.process);
    let http = Http::new(&format!("http://127.0.0.1:{port}"), Some(admin_token()));
    wait_healthy(&http, &mut child.process).await;

    let traceparent = format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01");
    let reply = http
        .get_with("/api/v1/departments", &[("traceparent", &traceparent)])
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let request_id = reply.header("x-request-id").expect("a request id");
    // The response names the request span, in the caller's trace.
    let answered = reply
        .header("traceparent")
        .expect("a traceparent on the response");
    let parts: Vec<&str> = answered.split('-').collect();
    assert_eq!(parts.len(), 4, "{answered}");
    assert_eq!((parts[0], parts[1], parts[3]), ("00", CALLER_TRACE, "01"));
    let request_span = parts[2].to_owned();
    assert_ne!(request_span, CALLER_SPAN);

    // A graceful exit flushes the spans still queued (the batch delay is 5 s).
    child.terminate();
    let _ = std::fs::remove_dir_all(&dir);

    check_spans(&received.lock().expect("spans").clone(), &request_span);
    let lines = lines.join().expect("the stderr reader");
    check_log_lines(&lines, &request_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_exporter_log_lines_still_carry_the_callers_trace_id() {
    let dir = std::env::temp_dir().join(format!("campushub-e2e-logs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let port = free_port();
    let mut child = spawn_child(
        port,
        &[
            (
                "CAMPUSHUB_DATABASE_URL",
                format!("sqlite://{}", dir.join("logs.db").display()),
            ),
            ("CAMPUSHUB_LOG_FORMAT", "json".into()),
        ],
    );
    let lines = collect_stderr(&mut child.process);
    let http = Http::new(&format!("http://127.0.0.1:{port}"), Some(admin_token()));
    wait_healthy(&http, &mut child.process).await;
    let traceparent = format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01");
    let reply = http
        .get_with("/api/v1/departments", &[("traceparent", &traceparent)])
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("traceparent"), None, "no span of ours to name");
    let request_id = reply.header("x-request-id").expect("a request id");
    child.terminate();
    let _ = std::fs::remove_dir_all(&dir);

    let lines = lines.join().expect("the stderr reader");
    let completed = lines
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|o| o["span"]["request_id"] == request_id.as_str())
        .unwrap_or_else(|| panic!("the request's line among {lines:?}"));
    assert_eq!(completed["message"], "request completed");
    assert_eq!(completed["span"]["trace_id"], CALLER_TRACE, "{completed}");
}

/// request span → service action → cache tier and statement spans, all in the caller's trace.
fn check_spans(spans: &[Span], request_span: &str) {
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    let in_trace: Vec<&Span> = spans
        .iter()
        .filter(|s| hex(&s.trace_id) == CALLER_TRACE)
        .collect();
    let request = in_trace
        .iter()
        .find(|s| hex(&s.span_id) == request_span)
        .unwrap_or_else(|| panic!("the request span among {names:?}"));
    assert_eq!(request.name, "GET /api/v1/departments");
    assert_eq!(request.kind, SpanKind::Server as i32);
    assert_eq!(
        hex(&request.parent_span_id),
        CALLER_SPAN,
        "the caller's span is the parent"
    );
    assert_eq!(
        attribute(request, "http.route"),
        Some(json!("/api/v1/departments"))
    );
    assert_eq!(
        attribute(request, "http.request.method"),
        Some(json!("GET"))
    );
    assert_eq!(
        attribute(request, "http.response.status_code"),
        Some(json!(200))
    );

    let children = |parent: &Span| -> Vec<&Span> {
        in_trace
            .iter()
            .copied()
            .filter(|s| s.parent_span_id == parent.span_id)
            .collect()
    };
    let action = children(request)
        .into_iter()
        .find(|s| s.name == "service.list")
        .unwrap_or_else(|| panic!("service.list under the request span among {names:?}"));
    assert_eq!(attribute(action, "entity.kind"), Some(json!("department")));
    let below: Vec<&Span> = children(action);
    let l1 = below
        .iter()
        .find(|s| s.name == "cache.l1.get")
        .unwrap_or_else(|| panic!("cache.l1.get under service.list among {names:?}"));
    assert_eq!(
        attribute(l1, "cache.hit"),
        Some(json!(false)),
        "a cold cache"
    );
    let statement = below
        .iter()
        .find(|s| attribute(s, "db.query.text").is_some())
        .unwrap_or_else(|| panic!("a statement span under service.list among {names:?}"));
    assert_eq!(statement.kind, SpanKind::Client as i32);
    let text = attribute(statement, "db.query.text").unwrap_or_default();
    assert!(
        text.as_str().is_some_and(|t| t.contains("SELECT")),
        "{text}"
    );
}

/// The completion line and the slow-statement warning of the request carry its request id,
/// trace id and route.
fn check_log_lines(lines: &[String], request_id: &str) {
    let objects: Vec<Value> = lines
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .collect();
    assert!(!objects.is_empty(), "JSON lines on stderr: {lines:?}");
    let of_request: Vec<&Value> = objects
        .iter()
        .filter(|o| o["span"]["request_id"] == request_id)
        .collect();
    let completed = of_request
        .iter()
        .find(|o| o["message"] == "request completed")
        .unwrap_or_else(|| panic!("the completion line among {lines:?}"));
    assert_eq!(completed["level"], "INFO");
    assert_eq!(completed["status"], 200);
    assert!(
        completed["latency_ms"].as_f64().is_some_and(|ms| ms > 0.0),
        "{completed}"
    );
    let slow = of_request
        .iter()
        .find(|o| o["message"] == "slow statement")
        .unwrap_or_else(|| panic!("a slow-statement warning among {lines:?}"));
    assert_eq!(slow["level"], "WARN");
    for line in [completed, slow] {
        assert_eq!(line["span"]["trace_id"], CALLER_TRACE, "{line}");
        assert_eq!(line["span"]["http.route"], "/api/v1/departments", "{line}");
        assert_eq!(line["span"]["http.request.method"], "GET", "{line}");
    }
}

/// The child server of this test: logging and tracing from its environment, then serving
/// until SIGTERM, then the exporter's flush, as `Server::main` runs them. Not a test of its
/// own, hence ignored.
#[test]
#[ignore = "the server of a_request_is_one_trace_in_the_logs_and_the_exported_spans, run in a child process"]
fn telemetry_child() {
    if std::env::var_os(MARKER).is_none() {
        return;
    }
    let config = Config::load(|name| std::env::var(name).ok()).expect("a valid configuration");
    let telemetry = Telemetry::init(&config).expect("logging and tracing start");
    let endpoint = std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some();
    assert_eq!(telemetry.traces_exported(), endpoint);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let core = Core::open(&config).await.expect("the stores open");
        let app = App::new(core, &config);
        let listener = TcpListener::bind(config.bind).await.expect("the port");
        app.serve(listener, shutdown_signal(), config.shutdown_grace)
            .await
            .expect("serves until SIGTERM");
    });
    drop(runtime);
    telemetry.shutdown();
}

/// The child process, killed when dropped.
struct ChildServer {
    process: Child,
}

impl ChildServer {
    fn terminate(&mut self) {
        crate::support::process::sigterm(self.process.id());
        let deadline = std::time::Instant::now() + EXIT_LIMIT;
        loop {
            if let Some(status) = self.process.try_wait().expect("the child's status") {
                assert!(status.success(), "the server exits cleanly: {status}");
                return;
            }
            assert!(std::time::Instant::now() < deadline, "the server exits");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn spawn_child(port: u16, vars: &[(&str, String)]) -> ChildServer {
    let exe = std::env::current_exe().expect("the test binary's path");
    let process = Command::new(exe)
        .args([
            "--exact",
            "observability::telemetry_child",
            "--ignored",
            "--nocapture",
        ])
        .env(MARKER, "1")
        // Only what the test sets: none of the runner's own logging or tracing settings.
        .env_remove("CAMPUSHUB_LOG")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .env_remove("OTEL_TRACES_EXPORTER")
        .env_remove("OTEL_SDK_DISABLED")
        .env("CAMPUSHUB_JWT_SECRET", crate::support::instance::JWT_SECRET)
        .env("CAMPUSHUB_DEMO_DATA", "false")
        .env("CAMPUSHUB_BIND", format!("127.0.0.1:{port}"))
        .envs(vars.iter().map(|(name, value)| (*name, value)))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the child server starts");
    ChildServer { process }
}

/// Reads the child's stderr lines on a thread (so that the pipe never fills) until it closes.
fn collect_stderr(child: &mut Child) -> std::thread::JoinHandle<Vec<String>> {
    let stderr = child.stderr.take().expect("a piped stderr");
    std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .collect()
    })
}

/// An OTLP/HTTP receiver on a loopback port: its endpoint and the spans it got.
async fn otlp_receiver() -> (String, Arc<Mutex<Vec<Span>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new()
        .route("/v1/traces", post(receive))
        .with_state(Arc::clone(&received));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let address = listener.local_addr().expect("its address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}"), received)
}

async fn receive(State(received): State<Arc<Mutex<Vec<Span>>>>, body: Bytes) -> &'static str {
    let request = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf request");
    let spans = request
        .resource_spans
        .into_iter()
        .flat_map(|r| r.scope_spans)
        .flat_map(|s| s.spans);
    received.lock().expect("spans").extend(spans);
    ""
}

/// An attribute's value as JSON (strings, integers and booleans are all the spans use).
fn attribute(span: &Span, key: &str) -> Option<Value> {
    let value = span
        .attributes
        .iter()
        .find(|kv| kv.key == key)?
        .value
        .as_ref()?
        .value
        .as_ref()?;
    Some(match value {
        AnyValue::StringValue(s) => json!(s),
        AnyValue::IntValue(i) => json!(i),
        AnyValue::BoolValue(b) => json!(b),
        AnyValue::DoubleValue(d) => json!(d),
        other => json!(format!("{other:?}")),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
