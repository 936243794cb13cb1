//! nginx (Debian's package, which `scripts/test-tools.sh` installs) with
//! `deploy/nginx/campushub.conf` in front of given instances, in a scratch prefix of one
//! test's own.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::client::Http;
use super::process::free_port;

/// The nginx program: Debian installs it in `/usr/sbin`, which a non-root `PATH` may lack.
fn program() -> &'static str {
    if Path::new("/usr/sbin/nginx").exists() {
        "/usr/sbin/nginx"
    } else {
        "nginx"
    }
}

/// `deploy/nginx/campushub.conf`.
fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/nginx/campushub.conf")
}

/// The shipped configuration made to listen on `port` with `upstreams` as its instances;
/// each replaced part must be there, so that a change to the file fails here.
fn site(port: u16, upstreams: &[String]) -> String {
    let mut text = std::fs::read_to_string(shipped()).expect("deploy/nginx/campushub.conf");
    let servers: Vec<String> = upstreams
        .iter()
        .map(|address| format!("server {address} max_fails=1 fail_timeout=5s;"))
        .collect();
    for (from, to) in [
        (
            "server campushub-1:8080 max_fails=1 fail_timeout=5s;\n    server campushub-2:8080 max_fails=1 fail_timeout=5s;",
            servers.join("\n    "),
        ),
        ("listen 8080;", format!("listen 127.0.0.1:{port};")),
    ] {
        assert!(text.contains(from), "campushub.conf no longer has `{from}`");
        text = text.replace(from, &to);
    }
    text
}

/// A main `nginx.conf` for `prefix` (pid, logs and temporary files there, in the foreground)
/// including `site`.
fn main_conf(prefix: &Path, site: &Path) -> String {
    let p = prefix.display();
    format!(
        "daemon off;\nworker_processes 1;\npid {p}/nginx.pid;\nerror_log {p}/error.log warn;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {p}/body;\n  proxy_temp_path {p}/proxy;\n\
         fastcgi_temp_path {p}/fastcgi;\n  uwsgi_temp_path {p}/uwsgi;\n  scgi_temp_path {p}/scgi;\n\
         include {};\n}}\n",
        site.display()
    )
}

/// A running nginx, stopped (by its PID) when dropped.
pub struct Nginx {
    child: Child,
    /// A client of it, sending `token` as a bearer token.
    pub base: String,
}

/// Writes the configuration for `upstreams` into `prefix`; its main file and port.
fn write(prefix: &Path, upstreams: &[String]) -> (PathBuf, u16) {
    let port = std::env::var("CAMPUSHUB_TEST_NGINX_PORT")
        .ok()
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(free_port);
    let site_file = prefix.join("campushub.conf");
    std::fs::write(&site_file, site(port, upstreams)).expect("the site");
    let main = prefix.join("nginx.conf");
    std::fs::write(&main, main_conf(prefix, &site_file)).expect("nginx.conf");
    (main, port)
}

/// `nginx -t` on the shipped configuration (for `upstreams`).
pub fn check(prefix: &Path, upstreams: &[String]) -> Output {
    let (main, _) = write(prefix, upstreams);
    Command::new(program())
        .args(["-t", "-p"])
        .arg(prefix)
        .arg("-c")
        .arg(&main)
        .output()
        .expect("nginx is installed (scripts/test-tools.sh installs Debian's nginx-light)")
}

impl Nginx {
    /// Starts nginx in `prefix` in front of `upstreams` and waits until it accepts.
    pub async fn start(prefix: &Path, upstreams: &[String]) -> Nginx {
        let (main, port) = write(prefix, upstreams);
        let child = Command::new(program())
            .arg("-p")
            .arg(prefix)
            .arg("-c")
            .arg(&main)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx is installed (scripts/test-tools.sh installs Debian's nginx-light)");
        let mut child = child;
        let base = format!("http://127.0.0.1:{port}");
        let probe = Http::new(&base, None);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(prefix.join("error.log")).unwrap_or_default();
                panic!("nginx exited ({status}) on port {port}:\n{log}");
            }
            let answer = probe.try_get("/healthz").await;
            if answer == Some(200) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "nginx on port {port}: /healthz through it answered {answer:?} for 10 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Nginx { child, base }
    }
}

impl Drop for Nginx {
    /// SIGTERM, so that the master stops its workers (a SIGKILL would leave them running,
    /// orphaned); SIGKILL only if it has not exited after 5 s.
    fn drop(&mut self) {
        super::process::sigterm(self.child.id());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
