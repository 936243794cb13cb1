//! Server instances as separate processes, as they run behind a load balancer: the test
//! binary starts itself again to run [`child_server`], which serves the example server
//! configured by its environment, and kills the child when the instance is dropped.

use std::net::TcpListener as StdListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use campushub::core::Role;
use campushub::http::TokenMinter;
use tokio::net::TcpListener;

use super::client::Http;
use super::instance::JWT_SECRET;
use super::wait;
use crate::server::{App, Config, Core};

/// Set in a child's environment: only then does [`child_server`] serve.
const CHILD_MARKER: &str = "CAMPUSHUB_E2E_CHILD_SERVER";

/// The test this binary runs in a child process.
const CHILD_TEST: &str = "support::process::child_server";

/// A server running in a child process.
pub struct ProcessInstance {
    /// A client with an `admin` token.
    pub http: Http,
    child: Child,
}

impl ProcessInstance {
    /// Starts a child process serving with the variables `vars` (plus the shared JWT secret,
    /// no demo data, a free loopback port), and waits until it answers `/healthz`.
    pub async fn spawn(vars: &[(&str, String)]) -> ProcessInstance {
        let port = free_port();
        let exe = std::env::current_exe().expect("the test binary's path");
        let child = Command::new(exe)
            .args(["--exact", CHILD_TEST, "--ignored", "--nocapture"])
            .env(CHILD_MARKER, "1")
            .env("CAMPUSHUB_JWT_SECRET", JWT_SECRET)
            .env("CAMPUSHUB_DEMO_DATA", "false")
            .env("CAMPUSHUB_BIND", format!("127.0.0.1:{port}"))
            .envs(vars.iter().map(|(name, value)| (*name, value.as_str())))
            .stdout(Stdio::null())
            .spawn()
            .expect("the child server process starts");
        let token = TokenMinter::hs256(JWT_SECRET)
            .mint("e2e-admin", &[Role::ADMIN], Duration::from_secs(3600))
            .expect("a token");
        let instance = ProcessInstance {
            http: Http::new(&format!("http://127.0.0.1:{port}"), Some(token)),
            child,
        };
        let health = instance.http.anonymous();
        wait::until(
            "the child server answers /healthz",
            Duration::from_secs(60),
            || async {
                match health.try_get("/healthz").await {
                    Some(200) => Ok(()),
                    other => Err(format!("{other:?}")),
                }
            },
        )
        .await;
        instance
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ProcessInstance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on right now.
fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

/// The server side of [`ProcessInstance::spawn`], run in a child process; it is not a test
/// of its own, hence ignored (a run that includes ignored tests finds no marker and returns).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the server of ProcessInstance::spawn, run in a child process"]
async fn child_server() {
    if std::env::var_os(CHILD_MARKER).is_none() {
        return;
    }
    let config = Config::load(|name| std::env::var(name).ok()).expect("a valid configuration");
    let core = Core::open(&config)
        .await
        .expect("the child server opens its stores");
    let app = App::new(core, &config);
    let listener = TcpListener::bind(config.bind)
        .await
        .expect("the child server binds its port");
    app.serve(listener, std::future::pending(), Duration::from_secs(1))
        .await
        .expect("the child server serves until killed");
}
