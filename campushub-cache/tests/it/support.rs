//! Shared fixtures: Redis URLs, namespaces, values, events, loaders, a seeded generator and a
//! private Redis child.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use campushub_cache::{CacheConfig, TieredCache};
use campushub_core::cache::{LoadFuture, Loader};
use campushub_core::{CacheKey, CachedValue, ChangeEvent, ChangeOp, ConsistencyToken, EntityKind};
use uuid::Uuid;

/// The shared test Redis (a Redis Cluster when the test command runs the suite a second time
/// with `CAMPUSHUB_TEST_REDIS` set to `CAMPUSHUB_TEST_REDIS_CLUSTER`); fails (never skips)
/// when it is not configured.
pub fn redis_url() -> String {
    std::env::var("CAMPUSHUB_TEST_REDIS").unwrap_or_else(|_| {
        panic!(
            "CAMPUSHUB_TEST_REDIS is not set: run `scripts/services.sh start` and \
             `source` the env file it writes (default /tmp/campushub-services/env)"
        )
    })
}

/// A namespace no other test uses.
pub fn namespace() -> String {
    format!("test-{}", Uuid::new_v4().simple())
}

/// Test settings: short breaker cool-down, short trust bound.
pub fn config(namespace: &str) -> CacheConfig {
    CacheConfig {
        breaker_cool_down: Duration::from_millis(200),
        disconnected_trust: Duration::from_millis(300),
        ..CacheConfig::with_namespace(namespace)
    }
}

/// A cache on the shared Redis under `namespace`.
pub async fn connect(namespace: &str) -> TieredCache {
    connect_to(&redis_url(), namespace).await
}

/// A cache on `url` under `namespace`.
pub async fn connect_to(url: &str, namespace: &str) -> TieredCache {
    TieredCache::connect(config(namespace), url, Duration::from_secs(5))
        .await
        .expect("the configuration is valid")
}

/// A cache with `config` on the shared Redis.
pub async fn connect_with(config: CacheConfig) -> TieredCache {
    TieredCache::connect(config, &redis_url(), Duration::from_secs(5))
        .await
        .expect("the configuration is valid")
}

/// A plain connection to the Redis (or Redis Cluster) at `url`, to look at what the cache
/// left there.
pub async fn raw_redis(url: &str) -> RawRedis {
    if let Some(nodes) = cluster_nodes(url) {
        let client = redis::cluster::ClusterClient::new(nodes).expect("cluster node URLs");
        return RawRedis::Cluster(
            client
                .get_async_connection()
                .await
                .expect("the Redis Cluster answers"),
        );
    }
    RawRedis::Single(
        redis::Client::open(url)
            .expect("a redis:// URL")
            .get_multiplexed_async_connection()
            .await
            .expect("Redis answers"),
    )
}

/// The seed nodes of a `redis+cluster://a:1,b:2/` URL, as `redis://` URLs; `None` for
/// another URL.
pub fn cluster_nodes(url: &str) -> Option<Vec<String>> {
    let rest = url.strip_prefix("redis+cluster://")?;
    let hosts = rest.split('/').next().unwrap_or_default();
    Some(
        hosts
            .split(',')
            .map(|host| format!("redis://{host}/"))
            .collect(),
    )
}

/// A connection to one Redis or to a cluster (which routes each command by its key).
#[derive(Clone)]
pub enum RawRedis {
    /// One server.
    Single(redis::aio::MultiplexedConnection),
    /// A cluster.
    Cluster(redis::cluster_async::ClusterConnection),
}

impl redis::aio::ConnectionLike for RawRedis {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        match self {
            RawRedis::Single(conn) => conn.req_packed_command(cmd),
            RawRedis::Cluster(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        match self {
            RawRedis::Single(conn) => conn.req_packed_commands(cmd, offset, count),
            RawRedis::Cluster(conn) => conn.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            RawRedis::Single(conn) => conn.get_db(),
            RawRedis::Cluster(conn) => conn.get_db(),
        }
    }
}

/// Every key matching the glob `pattern`: by `SCAN` on one server (which never blocks it);
/// by `KEYS` on a cluster, which redis-rs sends to every master and whose answers it joins.
pub async fn scan(conn: &mut RawRedis, pattern: &str) -> BTreeSet<String> {
    if let RawRedis::Cluster(cluster) = conn {
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(pattern)
            .query_async(cluster)
            .await
            .expect("KEYS");
        return keys.into_iter().collect();
    }
    let mut keys = BTreeSet::new();
    let mut cursor = 0_u64;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(1_000)
            .query_async(conn)
            .await
            .expect("SCAN");
        keys.extend(batch);
        if next == 0 {
            return keys;
        }
        cursor = next;
    }
}

/// A record key of `kind`.
pub fn record(kind: EntityKind, id: Uuid) -> CacheKey {
    CacheKey::Entity { kind, id }
}

/// A record's value at `version`.
pub fn value(version: i64) -> CachedValue {
    CachedValue::from_json(Bytes::from(format!("{{\"version\":{version}}}")), version)
}

/// A change event of a department (embedded in students and faculty).
pub fn event(kind: EntityKind, id: Uuid, op: ChangeOp, version: i64, token: u64) -> ChangeEvent {
    const EMBEDDING: &[EntityKind] = &[EntityKind::STUDENT, EntityKind::FACULTY];
    ChangeEvent {
        kind,
        id,
        op,
        version,
        token: Some(ConsistencyToken::from_position(token)),
        embedded_in: if kind == EntityKind::DEPARTMENT {
            EMBEDDING
        } else {
            &[]
        },
        actor: None,
        request_id: None,
    }
}

/// A loader that counts its calls and returns `result`.
pub fn counting(calls: &Arc<AtomicUsize>, result: Option<CachedValue>) -> Loader<'static> {
    let calls = Arc::clone(calls);
    Box::new(move |_| -> LoadFuture<'static> {
        calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move { Ok(result) })
    })
}

/// A loader that returns the record at the "database" version `version` holds now.
pub fn from_db(version: &Arc<std::sync::atomic::AtomicI64>) -> Loader<'static> {
    let version = Arc::clone(version);
    Box::new(move |_| -> LoadFuture<'static> {
        Box::pin(async move { Ok(Some(value(version.load(Ordering::SeqCst)))) })
    })
}

/// A loader that must not run.
pub fn never() -> Loader<'static> {
    Box::new(|_| -> LoadFuture<'static> { panic!("the loader ran on what should be a hit") })
}

/// Polls `condition` every few milliseconds until it holds or `limit` passes.
pub async fn eventually(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    condition()
}

/// The seed of a randomized test: `CAMPUSHUB_TEST_SEED` (decimal or `0x` hex) to replay a
/// run, else `default`; printed, so that a failure's output says how to replay it.
pub fn seed(default: u64) -> u64 {
    let given = std::env::var("CAMPUSHUB_TEST_SEED").ok().map(|text| {
        let text = text.trim();
        let parsed = match text.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16),
            None => text.parse(),
        };
        parsed.unwrap_or_else(|_| panic!("CAMPUSHUB_TEST_SEED `{text}` is not a number"))
    });
    let seed = given.unwrap_or(default);
    println!("seed {seed:#x} (replay with CAMPUSHUB_TEST_SEED={seed:#x})");
    seed
}

/// splitmix64: a tiny seeded generator, enough for a reproducible workload.
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A number in [0, n).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A `redis-server` child of this test on its own port, killed on drop.
pub struct RedisChild {
    port: u16,
    child: Option<Child>,
}

impl RedisChild {
    /// Starts one on a free loopback port and waits until it accepts connections.
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let mut redis = RedisChild { port, child: None };
        redis.restart();
        redis
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills it (by its PID) and waits for it to exit.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, empty.
    pub fn restart(&mut self) {
        self.kill();
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed (scripts/services.sh start installs it)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for RedisChild {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A free loopback port.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// A Redis Cluster of this test's own (3 masters, 1 replica each; `redis-server` children in a
/// temporary directory, node timeout 1 s), for tests that kill nodes without disturbing the
/// shared cluster other tests use. Killed on drop.
pub struct ClusterChild {
    dir: std::path::PathBuf,
    nodes: Vec<(u16, Option<Child>)>,
}

impl ClusterChild {
    /// Starts six nodes, joins them with `redis-cli --cluster create` and waits until every
    /// node reports `cluster_state:ok`.
    pub fn start() -> Self {
        let dir =
            std::env::temp_dir().join(format!("campushub-cluster-{}", Uuid::new_v4().simple()));
        let mut cluster = ClusterChild {
            dir,
            nodes: Vec::new(),
        };
        for _ in 0..6 {
            cluster.spawn(free_port());
        }
        let status = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(
                cluster
                    .nodes
                    .iter()
                    .map(|(port, _)| format!("127.0.0.1:{port}")),
            )
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("redis-cli is installed");
        assert!(status.success(), "redis-cli --cluster create failed");
        cluster.wait_ok(Duration::from_secs(20));
        cluster
    }

    fn spawn(&mut self, port: u16) {
        let dir = self.dir.join(port.to_string());
        std::fs::create_dir_all(&dir).expect("a node directory");
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--cluster-enabled",
                "yes",
            ])
            .args([
                "--cluster-config-file",
                "nodes.conf",
                "--cluster-node-timeout",
                "1000",
            ])
            .args(["--cluster-replica-validity-factor", "0"])
            // The bus on a port of its own: port + 10,000 may not exist.
            .args(["--cluster-port", &free_port().to_string()])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed (scripts/services.sh start installs it)");
        // Kept before anything can panic: the drop kills and reaps it.
        match self.nodes.iter_mut().find(|(p, _)| *p == port) {
            Some(node) => node.1 = Some(child),
            None => self.nodes.push((port, Some(child))),
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Its `redis+cluster://` URL, naming every node as a seed.
    pub fn url(&self) -> String {
        let nodes: Vec<String> = self
            .nodes
            .iter()
            .map(|(port, _)| format!("127.0.0.1:{port}"))
            .collect();
        format!("redis+cluster://{}/", nodes.join(","))
    }

    /// Kills the node on `port` (SIGKILL, by its PID), as a crash would.
    pub fn kill(&mut self, port: u16) {
        if let Some((_, Some(mut child))) = self
            .nodes
            .iter_mut()
            .find(|(p, _)| *p == port)
            .map(|n| (n.0, n.1.take()))
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Waits until every running node reports `cluster_state:ok`.
    pub fn wait_ok(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            let ok = self
                .nodes
                .iter()
                .filter(|(_, child)| child.is_some())
                .all(|(port, _)| {
                    Command::new("redis-cli")
                        .args(["-p", &port.to_string(), "cluster", "info"])
                        .output()
                        .is_ok_and(|out| {
                            String::from_utf8_lossy(&out.stdout).contains("cluster_state:ok")
                        })
                });
            if ok {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the cluster did not reach cluster_state:ok"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for ClusterChild {
    fn drop(&mut self) {
        for (_, child) in &mut self.nodes {
            if let Some(mut child) = child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The masters that `port` knows as working, each with the slot ranges it serves, from
/// `CLUSTER NODES`.
pub fn masters(port: u16) -> Vec<(u16, Vec<(u16, u16)>)> {
    let Ok(out) = Command::new("redis-cli")
        .args(["-p", &port.to_string(), "cluster", "nodes"])
        .output()
    else {
        return Vec::new();
    };
    let nodes = String::from_utf8_lossy(&out.stdout).into_owned();
    nodes
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            if !fields.get(2)?.contains("master") || fields[2].contains("fail") {
                return None;
            }
            let port = fields[1].split([':', '@']).nth(1)?.parse().ok()?;
            let ranges = fields[8..]
                .iter()
                .filter_map(|range| {
                    let mut ends = range.splitn(2, '-').map(str::parse::<u16>);
                    match (ends.next(), ends.next()) {
                        (Some(Ok(first)), Some(Ok(last))) => Some((first, last)),
                        (Some(Ok(only)), None) => Some((only, only)),
                        _ => None,
                    }
                })
                .collect();
            Some((port, ranges))
        })
        .collect()
}

/// The port of the master serving `slot`, as `port` knows it.
pub fn master_of(port: u16, slot: u16) -> Option<u16> {
    masters(port).into_iter().find_map(|(master, ranges)| {
        ranges
            .iter()
            .any(|(first, last)| (*first..=*last).contains(&slot))
            .then_some(master)
    })
}

/// The slot of `key`, from `CLUSTER KEYSLOT` asked of `port`.
pub fn slot_of(port: u16, key: &str) -> u16 {
    let out = Command::new("redis-cli")
        .args(["-p", &port.to_string(), "cluster", "keyslot", key])
        .output()
        .expect("redis-cli runs");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("a slot number")
}

/// The ports of a `redis+cluster://` URL's nodes.
pub fn cluster_ports(url: &str) -> Vec<u16> {
    url.trim_start_matches("redis+cluster://")
        .trim_end_matches('/')
        .split(',')
        .filter_map(|node| node.rsplit(':').next()?.parse().ok())
        .collect()
}
