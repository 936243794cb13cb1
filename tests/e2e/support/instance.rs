//! One server instance in this process: configured from variables exactly as the binary is,
//! bound to a free loopback port, with its own pools, health task and cache, and stopped
//! (gracefully) when dropped or by [`Instance::stop`].

use std::collections::HashMap;
use std::time::Duration;

use campushub::server::{Config, Core, Server};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::client::Http;
use super::db::TestDb;
use super::env::Services;
use super::process::ProcessInstance;

/// A secret every test instance shares, as instances behind one load balancer do.
pub const JWT_SECRET: &str = "e2e-tests-shared-secret-of-at-least-32-characters";

/// A running instance.
pub struct Instance {
    /// A client with an `admin` token.
    pub http: Http,
    /// `http://127.0.0.1:port`.
    pub base: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), String>>>,
}

/// The variables of an instance on `db` (primary + replica) with Redis under `namespace`.
pub fn replicated(
    services: &Services,
    db: &TestDb,
    namespace: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("CAMPUSHUB_DATABASE_URL", db.primary.clone()),
        ("CAMPUSHUB_REPLICA_URLS", db.replica.clone()),
        ("CAMPUSHUB_REDIS_URL", services.redis.clone()),
        ("CAMPUSHUB_CACHE_NAMESPACE", namespace.to_owned()),
    ]
}

/// A database of its own on the shared services and two server processes on it (primary +
/// replica, Redis under a namespace of their own), as two servers behind a load balancer.
pub async fn pair() -> (TestDb, ProcessInstance, ProcessInstance) {
    pair_on(Services::shared()).await
}

/// [`pair`] with both processes on the shared Redis Cluster (`CAMPUSHUB_TEST_REDIS_CLUSTER`).
pub async fn pair_on_cluster() -> (TestDb, ProcessInstance, ProcessInstance) {
    let redis = std::env::var("CAMPUSHUB_TEST_REDIS_CLUSTER")
        .expect("CAMPUSHUB_TEST_REDIS_CLUSTER is not set: run `scripts/services.sh start`");
    pair_on(Services {
        redis,
        ..Services::shared()
    })
    .await
}

async fn pair_on(services: Services) -> (TestDb, ProcessInstance, ProcessInstance) {
    let db = TestDb::create(&services.primary, &services.replica).await;
    let vars = replicated(&services, &db, &namespace());
    let (a, b) = tokio::join!(ProcessInstance::spawn(&vars), ProcessInstance::spawn(&vars));
    assert_ne!(a.pid(), b.pid(), "two processes");
    (db, a, b)
}

/// A namespace of one test's own in the shared Redis.
pub fn namespace() -> String {
    format!("e2e-{}", uuid::Uuid::new_v4().simple())
}

impl Instance {
    /// Starts an instance configured by `vars` (plus the shared JWT secret, no demo data,
    /// port 0), and waits until it listens.
    pub async fn start(vars: &[(&str, String)]) -> Instance {
        Instance::start_with(&Server::new(), vars).await
    }

    /// [`Instance::start`] serving what `server` wires (the built-in kinds and what its
    /// hooks add).
    pub async fn start_with(server: &Server, vars: &[(&str, String)]) -> Instance {
        let mut all: HashMap<String, String> = HashMap::from([
            ("CAMPUSHUB_JWT_SECRET".to_owned(), JWT_SECRET.to_owned()),
            ("CAMPUSHUB_DEMO_DATA".to_owned(), "false".to_owned()),
            ("CAMPUSHUB_BIND".to_owned(), "127.0.0.1:0".to_owned()),
        ]);
        all.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        let config = Config::load(|name| all.get(name).cloned()).expect("a valid configuration");
        let core = Core::open(&config)
            .await
            .unwrap_or_else(|e| panic!("the instance does not start: {e}"));
        server
            .migrate_kinds(&core.storage)
            .await
            .unwrap_or_else(|e| panic!("the application's tables do not migrate: {e}"));
        let app = server.app(core, &config);
        let token = app
            .minter
            .as_ref()
            .expect("an HS256 minter")
            .mint(
                "e2e-admin",
                &[campushub::core::Role::ADMIN],
                Duration::from_secs(3600),
            )
            .expect("a token");
        let listener = TcpListener::bind(config.bind).await.expect("a free port");
        let base = format!("http://{}", listener.local_addr().expect("bound"));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            app.serve(listener, shutdown, Duration::from_secs(10))
                .await
                .map_err(|e| e.to_string())
        });
        Instance {
            http: Http::new(&base, Some(token)),
            base,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops the instance gracefully and returns how serving ended.
    pub async fn stop(mut self) -> Result<(), String> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(|e| e.to_string())?,
            None => Ok(()),
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
