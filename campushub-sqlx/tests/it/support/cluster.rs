//! A dedicated primary + streaming replica for tests that pause replay, stop the replica or
//! create lag, so the shared replica is never disturbed. Stopped on drop, also on failure.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;

use super::env;

/// A running primary/replica pair started by the services script in a private directory.
pub struct Cluster {
    script: String,
    dir: PathBuf,
    primary_port: u16,
    replica_port: u16,
    redis_port: u16,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Cluster {
    /// Starts a new pair on free ports (blocking for a few seconds).
    pub async fn start() -> Cluster {
        let cluster = Cluster {
            script: env("CAMPUSHUB_TEST_SERVICES_SCRIPT"),
            dir: std::env::temp_dir()
                .join(format!("campushub-it-{}", uuid::Uuid::new_v4().simple())),
            primary_port: free_port(),
            replica_port: free_port(),
            redis_port: free_port(),
        };
        cluster.run("start").await;
        cluster
    }

    /// The primary's admin URL.
    pub fn primary(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres",
            self.primary_port
        )
    }

    /// The replica's admin URL.
    pub fn replica(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres",
            self.replica_port
        )
    }

    /// Stops the replica (immediate shutdown).
    pub async fn replica_stop(&self) {
        self.run("replica-stop").await;
    }

    /// Starts the replica again.
    pub async fn replica_start(&self) {
        self.run("replica-start").await;
    }

    fn command(&self, action: &str) -> Command {
        let mut command = Command::new("bash");
        command
            .arg(&self.script)
            .arg(action)
            .env("CAMPUSHUB_SERVICES_DIR", &self.dir)
            .env("CAMPUSHUB_PG_PRIMARY_PORT", self.primary_port.to_string())
            .env("CAMPUSHUB_PG_REPLICA_PORT", self.replica_port.to_string())
            .env("CAMPUSHUB_REDIS_PORT", self.redis_port.to_string())
            // These tests use Postgres alone: no Redis Cluster or S3 store on ports that
            // would only risk colliding with another test's (they are picked at random).
            .env("CAMPUSHUB_REDIS_CLUSTER", "off")
            .env("CAMPUSHUB_S3", "off");
        command
    }

    async fn run(&self, action: &str) {
        let mut command = self.command(action);
        let output = tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("join")
            .expect("run the services script");
        assert!(
            output.status.success(),
            "services.sh {action} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.command("stop").output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
