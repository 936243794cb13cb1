//! Server instances as separate processes, as they run behind a load balancer: the test
//! binary starts itself again to run [`child_server`], which serves `campushub::server`
//! configured by its environment, with the example server's contacts, until SIGTERM or SIGINT (shutting down as the server does).
//! An instance can be terminated gracefully and started again on the same port, as in a
//! rolling restart; it is killed when dropped.

use std::net::{SocketAddr, TcpListener as StdListener};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use campushub::core::Role;
use campushub::http::TokenMinter;
use campushub::server::{shutdown_signal, Config, Server};
use tokio::net::TcpListener;

use super::client::Http;
use super::instance::JWT_SECRET;

/// Set in a child's environment: only then does [`child_server`] serve.
const CHILD_MARKER: &str = "CAMPUSHUB_E2E_CHILD_SERVER";

/// The test this binary runs in a child process.
const CHILD_TEST: &str = "support::process::child_server";

/// How long a terminated server may take to exit: above the default grace period (35 s) and
/// the lingering close after it, the longest a graceful shutdown takes without a drain delay.
pub const EXIT_LIMIT: Duration = Duration::from_secs(60);

/// A server running in a child process.
pub struct ProcessInstance {
    /// A client with an `admin` token.
    pub http: Http,
    port: u16,
    vars: Vec<(String, String)>,
    child: Child,
}

impl ProcessInstance {
    /// Starts a child process serving with the variables `vars` (plus the shared JWT secret,
    /// no demo data, a free loopback port), and waits until it answers `/healthz`.
    pub async fn spawn(vars: &[(&str, String)]) -> ProcessInstance {
        let port = free_port();
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone()))
            .collect();
        let mut instance = ProcessInstance {
            http: Http::new(&format!("http://127.0.0.1:{port}"), Some(admin_token())),
            child: start_child(port, &vars),
            port,
            vars,
        };
        instance.wait_healthy().await;
        instance
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The address it listens on (the same across [`ProcessInstance::respawn`]).
    pub fn address(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Sends SIGTERM (a graceful shutdown) and returns at once; see
    /// [`ProcessInstance::wait_exit`].
    pub fn signal_terminate(&self) {
        sigterm(self.pid());
    }

    /// Waits until the process exits, at most `limit` (then kills it and panics), and returns
    /// how it exited. Blocks the calling thread: call it from the test's own body, not from a
    /// spawned task.
    pub fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("the child's status") {
                return status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("the server process did not exit within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Shuts the server down gracefully (SIGTERM) and waits until the process exits (at most
    /// 60 s); returns its exit status, success after a clean shutdown. Blocks the calling
    /// thread, like [`ProcessInstance::wait_exit`].
    pub fn terminate(&mut self) -> ExitStatus {
        self.signal_terminate();
        self.wait_exit(EXIT_LIMIT)
    }

    /// Starts the server again, on the same port with the same variables (a restarted
    /// instance behind the same load balancer entry), and waits until it answers `/healthz`.
    /// A process still running is killed first; after [`ProcessInstance::terminate`] there is
    /// none.
    pub async fn respawn(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = start_child(self.port, &self.vars);
        self.wait_healthy().await;
    }

    async fn wait_healthy(&mut self) {
        wait_healthy(&self.http, &mut self.child).await;
    }
}

/// Sends SIGTERM to process `pid` (`kill -TERM`, as an orchestrator stops an instance).
pub fn sigterm(pid: u32) {
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -TERM {pid}: {status}");
}

/// Waits until the server `child` answers `/healthz` through `http` (at most 60 s), failing
/// at once if the process exits meanwhile (it could not bind its port, say).
pub async fn wait_healthy(http: &Http, child: &mut Child) {
    let health = http.anonymous();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let seen = health.try_get("/healthz").await;
        if seen == Some(200) {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the child server exited ({status}) before answering /healthz");
        }
        assert!(
            Instant::now() < deadline,
            "the child server does not answer /healthz within 60 s; last seen: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Drop for ProcessInstance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the test binary again as a server on `port` configured by `vars`.
fn start_child(port: u16, vars: &[(String, String)]) -> Child {
    child_command(port, vars)
        .stdout(Stdio::null())
        .spawn()
        .expect("the child server process starts")
}

/// The command that runs the test binary again as a server on `port` configured by `vars`
/// (plus the shared JWT secret and no demo data); the caller chooses where its output goes.
pub fn child_command(port: u16, vars: &[(String, String)]) -> Command {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut command = Command::new(exe);
    command
        .args(["--exact", CHILD_TEST, "--ignored", "--nocapture"])
        .env(CHILD_MARKER, "1")
        .env("CAMPUSHUB_JWT_SECRET", JWT_SECRET)
        .env("CAMPUSHUB_DEMO_DATA", "false")
        .env("CAMPUSHUB_BIND", format!("127.0.0.1:{port}"))
        .envs(vars.iter().map(|(name, value)| (name, value)));
    command
}

/// The test binary again, running only the ignored test `test`, with none of the
/// `CAMPUSHUB_*` variables (nor their `*_FILE`s) of this process: the caller sets the ones the
/// child should see.
pub fn rerun_clean(test: &str) -> Command {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut command = Command::new(exe);
    command.args(["--exact", test, "--ignored", "--nocapture"]);
    for variable in campushub::server::VARIABLES {
        command
            .env_remove(variable)
            .env_remove(format!("{variable}_FILE"));
    }
    command
}

/// An `admin` token every instance accepts (they share the JWT secret).
pub fn admin_token() -> String {
    TokenMinter::hs256(JWT_SECRET)
        .expect("secret")
        .mint("e2e-admin", &[Role::ADMIN], Duration::from_secs(3600))
        .expect("a token")
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

/// The server side of [`ProcessInstance::spawn`], run in a child process until SIGTERM or
/// SIGINT (then it shuts down as the server does, and the process exits with success); it is
/// not a test of its own, hence ignored (a run that includes ignored tests finds no marker and
/// returns).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the server of ProcessInstance::spawn, run in a child process"]
async fn child_server() {
    if std::env::var_os(CHILD_MARKER).is_none() {
        return;
    }
    let config = Config::load(|name| std::env::var(name).ok()).expect("a valid configuration");
    // The example server's kinds: the built-in ones and contacts (its table migrated as the
    // core opens).
    let server = campushub::contacts::serve(Server::new());
    let core = server
        .open(&config)
        .await
        .expect("the child server opens its stores");
    let app = server.app(core, &config);
    let listener = TcpListener::bind(config.bind)
        .await
        .expect("the child server binds its port");
    app.serve(listener, shutdown_signal(), config.shutdown_grace)
        .await
        .expect("the child server serves until SIGTERM");
}
