//! Where L2 lives: one Redis server, or a Redis Cluster, chosen by the URL.
//!
//! | URL | L2 |
//! |---|---|
//! | `redis://host:port/db`, `rediss://…` | one server, through a reconnecting [`ConnectionManager`] |
//! | `redis+cluster://[user:password@]host:port,host:port/`, `rediss+cluster://…` | a Redis Cluster: the listed nodes are the seeds, the cluster tells the rest |
//!
//! Both hand the protocol code one [`Connection`] that runs commands, pipelines and Lua
//! scripts alike, so lookups, fills and invalidations are the same code for both; only the
//! invalidation channel differs (classic pub/sub on one server, sharded pub/sub on a cluster,
//! see `pubsub.rs` and `sharded.rs`). The keys are laid out for the cluster in both cases
//! (`keys.rs`): every script's keys share one slot.

use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, PushInfo, RedisFuture, RedisResult, Value};
use tokio::sync::mpsc::UnboundedSender;

use crate::error::{Error, Result};
use crate::tls::RedisTls;

/// The scheme of a cluster URL, plaintext and TLS.
const CLUSTER_SCHEMES: [(&str, &str); 2] = [
    ("redis+cluster://", "redis://"),
    ("rediss+cluster://", "rediss://"),
];

/// The Redis an L2 talks to.
#[derive(Clone)]
pub(crate) enum Target {
    /// One server.
    Single(redis::Client),
    /// A Redis Cluster.
    Cluster(ClusterTarget),
}

/// A Redis Cluster's seed nodes and TLS certificates: what every client of it is built from
/// (the cache's connection, the subscriber's own, with its push channel).
#[derive(Clone)]
pub(crate) struct ClusterTarget {
    /// One `redis://` or `rediss://` URL per seed node, credentials included.
    nodes: Vec<String>,
    certificates: Option<redis::TlsCertificates>,
}

impl Target {
    /// The target of `url` (see the module table), with `tls`'s certificates; with
    /// `require_tls`, refuses plaintext to another host (every node is checked).
    pub(crate) fn open(url: &str, tls: &RedisTls, require_tls: bool) -> Result<Self> {
        let Some((nodes, tls_scheme)) = cluster_nodes(url)? else {
            return Ok(Target::Single(tls.client(url, require_tls)?));
        };
        for node in &nodes {
            tls.check(node, require_tls)?;
        }
        let certificates = tls.certificates();
        if certificates.is_some() && !tls_scheme {
            return Err(Error::Config(
                "TLS certificates are configured but the Redis URL is not `rediss+cluster://`"
                    .to_owned(),
            ));
        }
        Ok(Target::Cluster(ClusterTarget {
            nodes,
            certificates,
        }))
    }

    /// Whether this is a Redis Cluster.
    pub(crate) fn is_cluster(&self) -> bool {
        matches!(self, Target::Cluster(_))
    }

    /// A connection for commands, each bounded by `timeout`; reconnects by itself.
    pub(crate) async fn connect(&self, timeout: Duration) -> RedisResult<Connection> {
        match self {
            Target::Single(client) => {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(timeout)
                    .set_response_timeout(timeout)
                    .set_number_of_retries(1)
                    .set_max_delay(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX));
                let manager = ConnectionManager::new_with_config(client.clone(), config).await?;
                Ok(Connection::Single(manager))
            }
            Target::Cluster(cluster) => {
                let client = cluster.client(timeout, None)?;
                Ok(Connection::Cluster(client.get_async_connection().await?))
            }
        }
    }
}

impl ClusterTarget {
    /// A client of the cluster whose commands time out after `timeout`; with `push`, on RESP3
    /// with pushes (sharded messages, disconnections) sent there.
    pub(crate) fn client(
        &self,
        timeout: Duration,
        push: Option<UnboundedSender<PushInfo>>,
    ) -> RedisResult<ClusterClient> {
        // Few retries: a command the cluster cannot answer within the cache's timeout is
        // better answered by the database (the breaker counts it) than retried for seconds.
        let mut builder = ClusterClientBuilder::new(self.nodes.clone())
            .connection_timeout(timeout)
            .response_timeout(timeout)
            .retries(2)
            .min_retry_wait(10)
            .max_retry_wait(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX));
        if let Some(certificates) = &self.certificates {
            builder = builder.certs(certificates.clone());
        }
        if let Some(push) = push {
            builder = builder
                .use_protocol(redis::ProtocolVersion::RESP3)
                .push_sender(push);
        }
        builder.build()
    }
}

/// The seed nodes of a cluster URL as single-node URLs, and whether it asks for TLS; `None`
/// for any other URL.
fn cluster_nodes(url: &str) -> Result<Option<(Vec<String>, bool)>> {
    let Some((rest, scheme)) = CLUSTER_SCHEMES
        .iter()
        .find_map(|(cluster, node)| url.strip_prefix(cluster).map(|rest| (rest, *node)))
    else {
        return Ok(None);
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    // The password may hold a `,`: the credentials end at the last `@`.
    let (credentials, hosts) = match authority.rsplit_once('@') {
        Some((credentials, hosts)) => (format!("{credentials}@"), hosts),
        None => (String::new(), authority),
    };
    let nodes: Vec<String> = hosts
        .split(',')
        .map(str::trim)
        .filter(|host| !host.is_empty())
        .map(|host| format!("{scheme}{credentials}{host}/"))
        .collect();
    if nodes.is_empty() {
        return Err(Error::Config(
            "the Redis Cluster URL names no node: write `redis+cluster://host:port,host:port/`"
                .to_owned(),
        ));
    }
    for node in &nodes {
        // Reported without the URL, which may hold the password.
        redis::IntoConnectionInfo::into_connection_info(node.as_str()).map_err(|_| {
            Error::Config("a node of the Redis Cluster URL is not `host:port`".to_owned())
        })?;
    }
    Ok(Some((nodes, scheme == "rediss://")))
}

/// A connection to either kind of target, cheap to clone (both are multiplexed).
#[derive(Clone)]
pub(crate) enum Connection {
    /// One server.
    Single(ConnectionManager),
    /// A cluster: routes each command by its keys' slot, follows redirections, refreshes
    /// the slot map after a failover.
    Cluster(ClusterConnection),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Connection::Single(conn) => conn.req_packed_command(cmd),
            Connection::Cluster(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Connection::Single(conn) => conn.req_packed_commands(cmd, offset, count),
            Connection::Cluster(conn) => conn.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Connection::Single(conn) => conn.get_db(),
            Connection::Cluster(conn) => conn.get_db(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_urls_name_their_seed_nodes() {
        let (nodes, tls) = cluster_nodes("redis+cluster://127.0.0.1:7000,127.0.0.1:7001/")
            .expect("valid")
            .expect("a cluster URL");
        assert_eq!(
            nodes,
            ["redis://127.0.0.1:7000/", "redis://127.0.0.1:7001/"]
        );
        assert!(!tls);
        let (nodes, tls) = cluster_nodes("rediss+cluster://u:p,w@a:1, b:2")
            .expect("valid")
            .expect("a cluster URL");
        assert_eq!(nodes, ["rediss://u:p,w@a:1/", "rediss://u:p,w@b:2/"]);
        assert!(tls);
        assert!(cluster_nodes("redis://127.0.0.1:6379/")
            .expect("valid")
            .is_none());
    }

    #[test]
    fn cluster_urls_without_nodes_are_refused_by_name() {
        let error = cluster_nodes("redis+cluster:///")
            .expect_err("no node")
            .to_string();
        assert!(error.contains("names no node"), "{error}");
        let error = cluster_nodes("redis+cluster://:secret@a:notaport/")
            .expect_err("bad port")
            .to_string();
        assert!(error.contains("not `host:port`"), "{error}");
        assert!(!error.contains("secret"), "{error}");
    }

    #[test]
    fn certificates_need_a_tls_cluster_url() {
        let tls = RedisTls {
            root_certificates: Some(b"-----BEGIN CERTIFICATE-----".to_vec()),
            client_identity: None,
        };
        let error = Target::open("redis+cluster://127.0.0.1:7000/", &tls, false)
            .err()
            .expect("plaintext cluster URL")
            .to_string();
        assert!(error.contains("rediss+cluster://"), "{error}");
        let plaintext_remote = Target::open(
            "redis+cluster://127.0.0.1:7000,cache.example:7001/",
            &RedisTls::default(),
            true,
        );
        assert!(plaintext_remote.is_err());
        assert!(Target::open(
            "redis+cluster://127.0.0.1:7000/",
            &RedisTls::default(),
            true
        )
        .is_ok_and(|target| target.is_cluster()));
    }
}
