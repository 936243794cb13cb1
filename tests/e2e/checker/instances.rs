//! Server processes the checker can restart: started like `support::process::ProcessInstance`
//! (the test binary running `child_server`), stopped with `SIGTERM` as an orchestrator stops
//! them, and started again on the same port, so that clients find them where they were.
//!
//! Unlike `ProcessInstance`, whose `terminate` blocks its thread, a node is stopped without
//! blocking the runtime that is driving the workload meanwhile, and keeps each server's output
//! in a log file for the report.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use campushub::core::Role;
use campushub::http::TokenMinter;

use crate::support::instance::JWT_SECRET;
use crate::support::process::{child_command, free_port, sigterm, wait_healthy, EXIT_LIMIT};
use crate::support::Http;

/// A server process on a port of its own.
pub struct Node {
    /// `A` or `B`.
    pub name: &'static str,
    /// A client with an `admin` token (the same across restarts: the port stays).
    pub http: Http,
    port: u16,
    vars: Vec<(String, String)>,
    log: PathBuf,
    child: Option<Child>,
}

impl Node {
    /// Starts `name` on a free loopback port with the variables `vars`, its output appended
    /// to `log`, and waits until it answers `/healthz`.
    pub async fn spawn(name: &'static str, vars: &[(&str, String)], log: &Path) -> Node {
        let port = free_port();
        let token = TokenMinter::hs256(JWT_SECRET)
            .expect("secret")
            .mint("checker", &[Role::ADMIN], Duration::from_secs(24 * 3600))
            .expect("a token");
        let mut node = Node {
            name,
            http: Http::new(&format!("http://127.0.0.1:{port}"), Some(token)),
            port,
            vars: vars
                .iter()
                .map(|(name, value)| ((*name).to_owned(), value.clone()))
                .collect(),
            log: log.to_owned(),
            child: None,
        };
        node.start().await;
        node
    }

    async fn start(&mut self) {
        let output = || -> File {
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.log)
                .unwrap_or_else(|e| panic!("{}: {e}", self.log.display()))
        };
        let mut child = child_command(self.port, &self.vars)
            .stdout(Stdio::from(output()))
            .stderr(Stdio::from(output()))
            .spawn()
            .expect("the child server process starts");
        wait_healthy(&self.http, &mut child).await;
        self.child = Some(child);
    }

    /// Sends `SIGTERM` (`kill -TERM <pid>`, as an orchestrator stops an instance) and waits
    /// until the process has exited (killing it after a minute); returns how it exited and
    /// how long that took.
    pub async fn terminate(&mut self) -> (Option<ExitStatus>, Duration) {
        let started = Instant::now();
        let Some(mut child) = self.child.take() else {
            return (None, Duration::ZERO);
        };
        sigterm(child.id());
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return (Some(status), started.elapsed()),
                Ok(None) if started.elapsed() > EXIT_LIMIT => {
                    let _ = child.kill();
                    return (child.wait().ok(), started.elapsed());
                }
                Ok(None) => tokio::time::sleep(Duration::from_millis(20)).await,
                Err(e) => panic!("waiting for instance {}: {e}", self.name),
            }
        }
    }

    /// Starts the instance again on its port, after [`Node::terminate`].
    pub async fn respawn(&mut self) {
        assert!(self.child.is_none(), "instance {} still runs", self.name);
        self.start().await;
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
