//! A primary + replica + Redis of a test's own, started with the services script in a folder
//! and on ports of its own and stopped when dropped: for tests that pause replication, which
//! must not disturb tests sharing the common services.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;

use super::env::Services;

/// Services started for one test.
pub struct Dedicated {
    /// Their URLs.
    pub services: Services,
    dir: PathBuf,
    ports: [u16; 3],
}

fn free_ports() -> [u16; 3] {
    let listeners: Vec<TcpListener> = (0..3)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("a free port"))
        .collect();
    let port = |i: usize| listeners[i].local_addr().expect("bound").port();
    [port(0), port(1), port(2)]
}

impl Dedicated {
    /// Starts them (initdb, pg_basebackup, redis-server: a few seconds).
    pub fn start() -> Dedicated {
        let dir =
            std::env::temp_dir().join(format!("campushub-e2e-{}", uuid::Uuid::new_v4().simple()));
        let ports = free_ports();
        let dedicated = Dedicated {
            services: Services {
                primary: format!("postgres://postgres@127.0.0.1:{}/postgres", ports[0]),
                replica: format!("postgres://postgres@127.0.0.1:{}/postgres", ports[1]),
                redis: format!("redis://127.0.0.1:{}/", ports[2]),
            },
            dir,
            ports,
        };
        let status = dedicated.script("start");
        assert!(
            status,
            "`{} start` failed for dedicated services",
            Services::script()
        );
        dedicated
    }

    /// The services script running `action` on these services (`replica-stop`, `redis-start`,
    /// …: the fault injections), for a caller to run (and await) as it needs.
    pub fn command(&self, action: &str) -> Command {
        let mut command = Command::new("bash");
        command
            .arg(Services::script())
            .arg(action)
            .env("CAMPUSHUB_SERVICES_DIR", &self.dir)
            .env("CAMPUSHUB_PG_PRIMARY_PORT", self.ports[0].to_string())
            .env("CAMPUSHUB_PG_REPLICA_PORT", self.ports[1].to_string())
            .env("CAMPUSHUB_REDIS_PORT", self.ports[2].to_string())
            // No Redis Cluster: these tests inject faults into the single Redis. No S3 store:
            // they store no objects.
            .env("CAMPUSHUB_REDIS_CLUSTER", "off")
            .env("CAMPUSHUB_S3", "off");
        command
    }

    fn script(&self, action: &str) -> bool {
        self.command(action)
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }
}

impl Drop for Dedicated {
    fn drop(&mut self) {
        self.script("stop");
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
