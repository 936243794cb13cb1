//! The deployment artifacts carry a server that starts: no image can be built here, so the
//! environment, arguments, user, port and probe paths are read from `deploy/Dockerfile`,
//! `deploy/compose.yaml` and `deploy/kubernetes/` (never copied by hand), the example
//! server's binary is started with exactly those as the image's non-root user, and the probes
//! the artifacts name are queried; then SIGTERM must turn readiness off while a request in
//! progress still finishes, and the process must exit within the grace the orchestrator
//! gives it. A misspelt `CAMPUSHUB_*` variable, a wrong probe path or port fails here.
//!
//! The service host names of the artifacts (`postgres-primary`, `redis`...) are replaced by
//! the test services' URLs, the secrets' placeholders by test values, and the port by a free
//! one (after checking that every artifact names the same port).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use campushub::core::Role;
use campushub::http::TokenMinter;
use campushub::server::reads_variable;
use serde_json::{json, Value};

use crate::support::artifacts::{deploy_path, string_map, yaml_documents, yaml_file, Dockerfile};
use crate::support::deployed::{server_log, Deployment};
use crate::support::process::{free_port, sigterm};
use crate::support::raw::{request, Outcome, RawConn};
use crate::support::tools::{shown, tool, Scratch};
use crate::support::{wait, Http, Services, TestDb};

/// The JWT secret the test gives where an artifact has a placeholder.
const TEST_SECRET: &str = "kX7pQ2vN9sLm4RtW8yBc3HdJ6FgZ1aE5uVo0iKqPxMnY";

/// The Prometheus scraper's key the test gives where an artifact has a placeholder.
const TEST_METRICS_KEY: &str = "e2e-metrics-key-0123456789";

/// Seconds of a duration setting such as `10s`, `2m`.
fn seconds(text: &str) -> u64 {
    let (number, unit) = text.split_at(text.len() - 1);
    let number: u64 = number
        .parse()
        .unwrap_or_else(|_| panic!("`{text}` is not a duration"));
    match unit {
        "s" => number,
        "m" => number * 60,
        _ => panic!("`{text}`: unknown unit"),
    }
}

/// The port of an address or URL naming `host:port` (after the last colon, up to a slash).
fn port_of(text: &str) -> u16 {
    let after = text.rsplit_once(':').map_or(text, |(_, port)| port);
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no port in `{text}`"))
}

/// The host of a URL (between `@` or `//` and the port or path).
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, rest)| rest);
    rest.split([':', '/']).next().unwrap_or(rest)
}

/// Every `CAMPUSHUB_*` variable of `env` is one the server reads.
fn assert_known(env: &BTreeMap<String, String>, what: &str) {
    for name in env.keys().filter(|n| n.starts_with("CAMPUSHUB_")) {
        assert!(
            reads_variable(name),
            "{what} sets {name}, which the server does not read (see `campushub --help`)"
        );
    }
}

/// The test services standing in for the artifacts' service hosts.
struct Backends {
    services: Services,
    db: TestDb,
}

impl Backends {
    async fn create() -> Backends {
        let services = Services::shared();
        let db = TestDb::create(&services.primary, &services.replica).await;
        Backends { services, db }
    }

    /// The test URL standing in for `url`, chosen by its host.
    fn url_for(&self, url: &str) -> String {
        match host_of(url) {
            "postgres-primary" => self.db.primary.clone(),
            "postgres-replica" => self.db.replica.clone(),
            "redis" => self.services.redis.clone(),
            other => panic!("`{url}`: no test service stands in for host `{other}`"),
        }
    }
}

/// What an orchestrator asks of the running server: the probes' paths, the metrics scrape,
/// and how long it waits after SIGTERM before killing it.
struct Expectations {
    /// The artifacts' port, which the test replaces by a free one.
    port: u16,
    startup: String,
    liveness: String,
    readiness: String,
    /// The image's HEALTHCHECK command.
    healthcheck: Vec<String>,
    /// The scrape path and the key the scraper sends.
    metrics_path: String,
    metrics_key: String,
    /// How long the orchestrator waits after SIGTERM.
    stop_limit: Duration,
}

/// Starts `deployment` (its bind port replaced by a free one), queries every probe and the
/// HEALTHCHECK as the orchestrator would, scrapes `/metrics`, then sends SIGTERM with a
/// request in progress: `/readyz` must answer 503 on a new connection before that request
/// finishes, and the process must exit with success within the orchestrator's limit.
async fn run(mut deployment: Deployment, expect: Expectations) {
    let bind = deployment
        .env
        .get("CAMPUSHUB_BIND")
        .expect("the artifacts set CAMPUSHUB_BIND")
        .clone();
    assert_eq!(port_of(&bind), expect.port, "CAMPUSHUB_BIND {bind}");
    let port = free_port();
    let (host, _) = bind.rsplit_once(':').expect("host:port");
    deployment
        .env
        .insert("CAMPUSHUB_BIND".to_owned(), format!("{host}:{port}"));
    let scratch = Scratch::new("deployed");
    let mut running = deployment.start(scratch.path());
    let child = &mut running.0;
    let base = format!("http://127.0.0.1:{port}");
    let http = Http::new(&base, None);

    let started = wait_for(&http, &expect.startup, child, scratch.path()).await;
    assert_eq!(started, 200, "startup probe {}", expect.startup);
    for path in [&expect.liveness, &expect.readiness] {
        let reply = http.get(path).await;
        assert_eq!(reply.status, 200, "probe {path}: {}", reply.text());
    }
    healthcheck(&expect.healthcheck, expect.port, port);
    let scraper = Http::new(&base, Some(expect.metrics_key.clone()));
    let scraped = scraper.get(&expect.metrics_path).await;
    assert_eq!(
        scraped.status,
        200,
        "{}: {}",
        expect.metrics_path,
        scraped.text()
    );
    assert!(scraped.text().contains("http_requests_total"));

    drains(&deployment, port, &expect.readiness, child).await;
    let deadline = Instant::now() + expect.stop_limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("the server's status") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "the server did not exit within the orchestrator's {:?}\n{}",
                expect.stop_limit,
                server_log(scratch.path())
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        status.success(),
        "exit: {status}\n{}",
        server_log(scratch.path())
    );
}

/// Polls `path` until it answers (at most 60 s), failing with the server's output if the
/// process exits first; the status it answered.
async fn wait_for(http: &Http, path: &str, child: &mut Child, scratch: &Path) -> u16 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = http.try_get(path).await {
            return status;
        }
        if let Ok(Some(exit)) = child.try_wait() {
            panic!("the server exited ({exit}):\n{}", server_log(scratch));
        }
        assert!(Instant::now() < deadline, "no answer on {path} within 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs the image's HEALTHCHECK command, its URL's port replaced by the server's.
fn healthcheck(command: &[String], artifact_port: u16, port: u16) {
    let from = format!("127.0.0.1:{artifact_port}/");
    let args: Vec<String> = command
        .iter()
        .map(|arg| arg.replace(&from, &format!("127.0.0.1:{port}/")))
        .collect();
    assert!(
        args != command,
        "the HEALTHCHECK {command:?} queries no http://127.0.0.1:{artifact_port}/ URL"
    );
    let output = Command::new(&args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("HEALTHCHECK {args:?}: {e}"));
    assert!(
        output.status.success(),
        "HEALTHCHECK {args:?}:\n{}",
        shown(&output)
    );
}

/// SIGTERM with a create in progress (its body held back): readiness turns 503 on a new
/// connection, then the body is sent and the create is answered 201.
async fn drains(deployment: &Deployment, port: u16, readiness: &str, child: &mut Child) {
    let address = ([127, 0, 0, 1], port).into();
    let secret = deployment_secret(deployment);
    let token = TokenMinter::hs256(&secret)
        .expect("the secret")
        .mint("e2e-admin", &[Role::ADMIN], Duration::from_secs(600))
        .expect("a token");
    let body = json!({"code": "DRAIN", "name": "Drained"});
    let create = request(
        "POST",
        "/api/v1/departments",
        Some(&token),
        Some(&body),
        &[("expect", "100-continue")],
    );
    let body_len = body.to_string().len();
    let (head, rest) = create.split_at(create.len() - body_len);
    let mut in_progress = RawConn::connect(address).await.expect("connect");
    in_progress.send(head).await.expect("send the head");
    assert!(
        matches!(in_progress.read_response().await, Outcome::Response(r) if r.status == 100),
        "the interim response"
    );

    sigterm(child.id());
    let probe = || async {
        let mut conn = RawConn::connect(address).await.map_err(|e| e.to_string())?;
        conn.send(&request("GET", readiness, None, None, &[]))
            .await
            .map_err(|e| e.to_string())?;
        match conn.read_response().await {
            Outcome::Response(response) if response.status == 503 => Ok(()),
            Outcome::Response(response) => Err(format!("{}", response.status)),
            other => Err(other.to_string()),
        }
    };
    wait::until(
        "readiness turns 503 on SIGTERM, before the request in progress finishes",
        Duration::from_secs(3),
        probe,
    )
    .await;
    in_progress.send(rest).await.expect("send the body");
    match in_progress.read_response().await {
        Outcome::Response(response) => assert_eq!(response.status, 201, "{response:?}"),
        other => panic!("the request in progress was not answered: {other}"),
    }
}

/// The JWT secret the deployment gives the server (its variable, or the file it names).
fn deployment_secret(deployment: &Deployment) -> String {
    if let Some(secret) = deployment.env.get("CAMPUSHUB_JWT_SECRET") {
        return secret.clone();
    }
    let path = deployment
        .env
        .get("CAMPUSHUB_JWT_SECRET_FILE")
        .expect("a JWT secret or its file");
    deployment
        .files
        .iter()
        .find(|(file, _, _)| file == path)
        .map(|(_, contents, _)| contents.clone())
        .expect("the JWT secret's file")
}

/// Replaces compose's `${NAME}`, `${NAME:?message}` and `${NAME:-default}` by test values.
fn interpolate(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("a closing brace") + start;
        let name = rest[start + 2..end]
            .split([':', '-', '?'])
            .next()
            .unwrap_or_default();
        out.push_str(match name {
            "CAMPUSHUB_JWT_SECRET" => TEST_SECRET,
            "CAMPUSHUB_METRICS_KEY" => TEST_METRICS_KEY,
            "POSTGRES_PASSWORD" | "REPLICATION_PASSWORD" | "GRAFANA_ADMIN_PASSWORD" => "unused",
            other => panic!("compose.yaml interpolates `{other}`, unknown to this test"),
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The compose instance `campushub-1`: the image's environment, then the service's, its URLs
/// replaced by the test services'.
fn compose_deployment(image: &Dockerfile, compose: &Value, backends: &Backends) -> Deployment {
    let service = &compose["services"]["campushub-1"];
    let mut deployment = Deployment::of_image(image);
    let environment = string_map(&service["environment"], "campushub-1.environment");
    assert_known(&environment, "compose.yaml (campushub-1)");
    for (name, value) in environment {
        let value = if value.contains("://") {
            backends.url_for(&value)
        } else {
            interpolate(&value)
        };
        deployment.env.insert(name, value);
    }
    deployment
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_image_runs_as_compose_configures_it() {
    let image = Dockerfile::shipped();
    let compose = yaml_file(&deploy_path("compose.yaml"));
    let backends = Backends::create().await;
    let deployment = compose_deployment(&image, &compose, &backends);
    let service = &compose["services"]["campushub-1"];
    assert_eq!(
        service["environment"], compose["services"]["campushub-2"]["environment"],
        "both instances are configured alike"
    );
    let stop_limit = Duration::from_secs(seconds(
        service["stop_grace_period"]
            .as_str()
            .expect("stop_grace_period"),
    ));
    let (startup, healthcheck) = (health_path(&image), image.healthcheck.clone());
    let prometheus = yaml_file(&deploy_path("prometheus/prometheus.yml"));
    let scrape = &prometheus["scrape_configs"][0];
    for target in scrape["static_configs"][0]["targets"]
        .as_array()
        .expect("targets")
    {
        let target = target.as_str().expect("a target");
        let (host, port) = target.split_once(':').expect("host:port");
        assert!(
            compose["services"][host].is_object(),
            "{target}: no such service"
        );
        assert_eq!(port.parse::<u16>().ok(), image.expose.first().copied());
    }
    run(
        deployment,
        Expectations {
            port: image.expose[0],
            liveness: startup.clone(),
            readiness: "/readyz".to_owned(),
            startup,
            healthcheck,
            metrics_path: scrape["metrics_path"].as_str().expect("path").to_owned(),
            metrics_key: TEST_METRICS_KEY.to_owned(),
            stop_limit,
        },
    )
    .await;
    backends.db.drop_database().await;
}

/// The path the image's HEALTHCHECK queries.
fn health_path(image: &Dockerfile) -> String {
    let url = image
        .healthcheck
        .iter()
        .find(|arg| arg.starts_with("http://"))
        .expect("the HEALTHCHECK queries a URL");
    let after_host = url.trim_start_matches("http://");
    let path = &after_host[after_host.find('/').expect("a path")..];
    path.to_owned()
}

/// A Kubernetes resource of `kind` among `documents`.
fn resource<'a>(documents: &'a [Value], kind: &str) -> &'a Value {
    documents
        .iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind}"))
}

/// The base's resources, in the kustomization's order.
fn kubernetes_base() -> Vec<Value> {
    let base = deploy_path("kubernetes/base");
    let kustomization = yaml_file(&base.join("kustomization.yaml"));
    kustomization["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .flat_map(|file| yaml_documents(&base.join(file.as_str().expect("a file"))))
        .collect()
}

/// The Deployment's container `campushub`: its environment (the ConfigMap's data, then
/// `env`), arguments and user; the Secret's keys written where its volume is mounted, each
/// placeholder replaced by a test value.
fn kubernetes_deployment(
    image: &Dockerfile,
    documents: &[Value],
    overlay_data: &BTreeMap<String, String>,
    backends: &Backends,
) -> Deployment {
    let pod = &resource(documents, "Deployment")["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let mut deployment = Deployment::of_image(image);
    if let Some(args) = container["args"].as_array() {
        let mut all: Vec<String> = image.entrypoint.iter().skip(1).cloned().collect();
        all.extend(
            args.iter()
                .map(|a| a.as_str().expect("an argument").to_owned()),
        );
        deployment.args = all;
    }
    let config_map = resource(documents, "ConfigMap");
    assert_eq!(
        container["envFrom"][0]["configMapRef"]["name"], config_map["metadata"]["name"],
        "the container reads the ConfigMap"
    );
    let mut data = string_map(&config_map["data"], "ConfigMap.data");
    data.extend(overlay_data.clone());
    assert_known(&data, "the ConfigMap");
    deployment.env.extend(data);

    let security = &pod["securityContext"];
    assert_eq!(security["runAsNonRoot"], true);
    let (uid, gid) = image.uid_gid();
    assert_eq!(security["runAsUser"], uid, "the image's user");
    assert_eq!(
        security["fsGroup"], gid,
        "the image's group reads the secrets"
    );
    deployment.uid_gid = (
        security["runAsUser"].as_u64().expect("uid") as u32,
        security["runAsGroup"].as_u64().expect("gid") as u32,
    );

    let secret = resource(documents, "Secret");
    let mount = &container["volumeMounts"][0];
    let volume = &pod["volumes"][0];
    assert_eq!(mount["name"], volume["name"]);
    assert_eq!(volume["secret"]["secretName"], secret["metadata"]["name"]);
    // YAML 1.1, as Kubernetes reads it: a leading zero is octal.
    let mode = volume["secret"]["defaultMode"].to_string();
    let mode = u32::from_str_radix(&mode, 8).expect("an octal mode");
    let dir = mount["mountPath"].as_str().expect("mountPath");
    for (key, value) in string_map(&secret["stringData"], "Secret.stringData") {
        let value = if value.contains("://") {
            backends.url_for(&value)
        } else if key == "jwt-secret" {
            TEST_SECRET.to_owned()
        } else {
            value.replace("REPLACE-ME", TEST_METRICS_KEY)
        };
        deployment.files.push((format!("{dir}/{key}"), value, mode));
    }
    for (name, path) in deployment.env.iter().filter(|(n, _)| n.ends_with("_FILE")) {
        assert!(
            deployment.files.iter().any(|(file, _, _)| file == path),
            "{name} names {path}, which the Secret's volume does not hold"
        );
    }
    deployment
}

/// The port and path of a probe, its named port resolved through the container's ports.
fn probe(container: &Value, which: &str) -> (u16, String) {
    let get = &container[which]["httpGet"];
    let port = match &get["port"] {
        Value::String(name) => container["ports"]
            .as_array()
            .expect("ports")
            .iter()
            .find(|p| &p["name"] == name)
            .and_then(|p| p["containerPort"].as_u64())
            .unwrap_or_else(|| panic!("{which}: no port named {name}")),
        other => other.as_u64().expect("a port"),
    };
    let path = get["path"].as_str().expect("a path").to_owned();
    (u16::try_from(port).expect("a port"), path)
}

/// The Kubernetes manifests, as the example overlay configures the base: probes, ports and
/// user agree with the image, the drain is seen by the readiness probe and fits in the
/// termination grace, and the server starts with that environment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_image_runs_as_the_kubernetes_manifests_configure_it() {
    let image = Dockerfile::shipped();
    let documents = kubernetes_base();
    let overlay = yaml_file(&deploy_path("kubernetes/overlays/example/configmap.yaml"));
    let overlay_data = string_map(&overlay["data"], "the overlay's ConfigMap");
    let backends = Backends::create().await;
    let deployment = kubernetes_deployment(&image, &documents, &overlay_data, &backends);

    let pod = &resource(&documents, "Deployment")["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let (startup_port, startup) = probe(container, "startupProbe");
    let (liveness_port, liveness) = probe(container, "livenessProbe");
    let (readiness_port, readiness) = probe(container, "readinessProbe");
    assert_eq!(startup_port, liveness_port);
    assert_eq!(liveness_port, readiness_port);
    assert!(
        image.expose.contains(&readiness_port),
        "the image exposes the probes' port"
    );

    // The readiness probe notices the drain before the listener closes, and the kubelet
    // waits for drain + grace before killing.
    let drain = seconds(&deployment.env["CAMPUSHUB_SHUTDOWN_DRAIN"]);
    let grace = seconds(&deployment.env["CAMPUSHUB_SHUTDOWN_GRACE"]);
    let readiness_probe = &container["readinessProbe"];
    let noticed = readiness_probe["periodSeconds"].as_u64().expect("period")
        * readiness_probe["failureThreshold"]
            .as_u64()
            .expect("threshold")
        + readiness_probe["timeoutSeconds"].as_u64().expect("timeout");
    assert!(
        noticed < drain,
        "readiness noticed after {noticed} s, drain {drain} s"
    );
    let termination = pod["terminationGracePeriodSeconds"]
        .as_u64()
        .expect("grace");
    assert!(
        termination > drain + grace,
        "terminationGracePeriodSeconds {termination} <= drain {drain} + grace {grace}"
    );

    // The Service, the ServiceMonitor and the Secret they name agree.
    let service = resource(&documents, "Service");
    let service_port = &service["spec"]["ports"][0];
    assert!(container["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .any(|p| p["name"] == service_port["targetPort"]));
    let monitor = resource(&documents, "ServiceMonitor");
    let endpoint = &monitor["spec"]["endpoints"][0];
    assert_eq!(endpoint["port"], service_port["name"]);
    let credentials = &endpoint["authorization"]["credentials"];
    let secret = resource(&documents, "Secret");
    assert_eq!(credentials["name"], secret["metadata"]["name"]);
    let key = credentials["key"].as_str().expect("a key");
    assert!(
        secret["stringData"][key].is_string(),
        "the Secret has {key}"
    );
    // The kustomization labels every resource, the Service included.
    let kustomization = yaml_file(&deploy_path("kubernetes/base/kustomization.yaml"));
    let labels = &kustomization["labels"][0]["pairs"];
    let selector = monitor["spec"]["selector"]["matchLabels"]
        .as_object()
        .expect("matchLabels");
    for (name, value) in selector {
        assert_eq!(
            &labels[name], value,
            "the ServiceMonitor selects the Service by {name}"
        );
    }

    run(
        deployment,
        Expectations {
            port: readiness_port,
            startup,
            liveness,
            readiness,
            healthcheck: image.healthcheck.clone(),
            metrics_path: endpoint["path"].as_str().expect("path").to_owned(),
            metrics_key: TEST_METRICS_KEY.to_owned(),
            stop_limit: Duration::from_secs(termination),
        },
    )
    .await;
    backends.db.drop_database().await;
}

/// The image's settings are real ones, it runs as a non-root user, and the port it binds is
/// the one it exposes and checks.
#[test]
fn the_image_runs_as_a_non_root_user_on_the_port_it_exposes() {
    let image = Dockerfile::shipped();
    assert_known(&image.env, "deploy/Dockerfile");
    let (uid, gid) = image.uid_gid();
    assert!(uid != 0 && gid != 0, "USER {}", image.user);
    let bind = &image.env["CAMPUSHUB_BIND"];
    assert!(
        bind.starts_with("0.0.0.0:"),
        "listens on every interface: {bind}"
    );
    assert_eq!(image.expose, [port_of(bind)]);
    assert!(image
        .healthcheck
        .iter()
        .any(|a| a.contains(&format!(":{}/", port_of(bind)))));
    assert_eq!(
        image.entrypoint.len(),
        1,
        "the binary alone: {:?}",
        image.entrypoint
    );
    assert_eq!(image.cmd, ["serve"]);
}

/// Every file of the base is a resource of its kustomization, the overlay's patches exist,
/// and every manifest (and, where `kubectl` is installed, the overlay as kustomize renders
/// it) passes `kubernetes-validate --strict` against the API's schemas; the ServiceMonitor
/// (a CRD, which it has no schema for) is checked by the test above.
#[test]
fn the_kubernetes_manifests_are_valid_and_complete() {
    let base = deploy_path("kubernetes/base");
    let overlay = deploy_path("kubernetes/overlays/example");
    let kustomization = yaml_file(&base.join("kustomization.yaml"));
    let mut listed: Vec<String> = kustomization["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|f| f.as_str().expect("a file").to_owned())
        .collect();
    listed.sort();
    let mut present: Vec<String> = std::fs::read_dir(&base)
        .expect("the base")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name != "kustomization.yaml")
        .collect();
    present.sort();
    assert_eq!(
        listed, present,
        "the kustomization lists every file of the base"
    );
    let example = yaml_file(&overlay.join("kustomization.yaml"));
    assert_eq!(example["resources"], json!(["../../base"]));
    let mut files: Vec<std::path::PathBuf> = present.iter().map(|f| base.join(f)).collect();
    for patch in example["patches"].as_array().expect("patches") {
        let path = overlay.join(patch["path"].as_str().expect("a path"));
        assert!(path.exists(), "{}", path.display());
        files.push(path);
    }

    let scratch = Scratch::new("kubernetes");
    if let Ok(rendered) = Command::new("kubectl")
        .arg("kustomize")
        .arg(&overlay)
        .output()
    {
        assert!(
            rendered.status.success(),
            "kubectl kustomize:\n{}",
            shown(&rendered)
        );
        let file = scratch.path().join("rendered.yaml");
        std::fs::write(&file, &rendered.stdout).expect("write the rendering");
        let kinds: Vec<Value> = yaml_documents(&file)
            .iter()
            .map(|d| d["kind"].clone())
            .collect();
        assert_eq!(kinds.len(), present.len(), "{kinds:?}");
        files.push(file);
    }
    let output = Command::new(tool("kubernetes-validate/bin/kubernetes-validate"))
        .arg("--strict")
        .args(&files)
        .output()
        .expect("kubernetes-validate runs");
    assert!(
        output.status.success(),
        "kubernetes-validate:\n{}",
        shown(&output)
    );
    let report = shown(&output);
    for file in &files {
        // Each file was read (a ServiceMonitor or Kustomization only warns: no schema).
        assert!(report.contains(&file.display().to_string()), "{report}");
    }
}
