//! The invalidation channel on a Redis Cluster: sharded pub/sub (`SSUBSCRIBE`/`SPUBLISH`,
//! Redis 7).
//!
//! The channel `<ns>:invalidations` hashes to one slot, so one shard (its master and
//! replicas) carries every message, rather than the cluster bus copying each message to every
//! node as classic `PUBLISH` does. The subscriber has a cluster connection of its own on RESP3,
//! whose pushes (messages, subscription changes, disconnections of any node's connection)
//! arrive on one channel.
//!
//! The subscription is lost when the channel's master goes away (killed, failed over) or the
//! slot moves (resharding: the server sends `sunsubscribe`). Either way the subscriber marks
//! L1 untrusted, subscribes again (the cluster connection finds the slot's new owner) and,
//! once subscribed, flushes L1, since messages may have been missed in between. A
//! disconnection push does not say which node it came from, so the loss of any master's
//! connection counts: a flush more than strictly needed, never a missed one.

use std::time::Duration;

use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{PushInfo, PushKind, Value};
use tokio::sync::mpsc;

use crate::backend::ClusterTarget;
use crate::pubsub::{Subscriber, MAX_BACKOFF, MIN_BACKOFF};

impl Subscriber {
    /// Subscribes to the sharded channel, applies messages, and subscribes again whenever
    /// the subscription is lost, forever.
    pub(crate) async fn run_sharded(self, cluster: ClusterTarget) {
        let (push, mut pushes) = mpsc::unbounded_channel();
        let client = match cluster.client(self.connect_timeout, Some(push)) {
            Ok(client) => client,
            Err(error) => {
                // The URL was checked when the cache was built; this is not expected.
                tracing::error!(%error, "cannot build the Redis Cluster subscriber");
                return;
            }
        };
        let mut backoff = MIN_BACKOFF;
        let mut conn = self.connect_cluster(&client, &mut backoff, false).await;
        backoff = MIN_BACKOFF;
        loop {
            // What arrived before this subscription is superseded by the flush that follows it.
            while pushes.try_recv().is_ok() {}
            let subscribe =
                tokio::time::timeout(self.connect_timeout, conn.ssubscribe(&self.channel));
            match subscribe.await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    tracing::debug!(%error, "cache invalidation channel: cannot subscribe yet");
                    // A new connection reads the slot map afresh (see `L2::reconnect_cluster`).
                    conn = self.connect_cluster(&client, &mut backoff, true).await;
                    continue;
                }
                Err(_) => {
                    tracing::debug!("cache invalidation channel: subscribing timed out");
                    conn = self.connect_cluster(&client, &mut backoff, true).await;
                    continue;
                }
            }
            if !self.subscribed(&mut conn).await {
                backoff = pause(backoff).await;
                continue;
            }
            backoff = MIN_BACKOFF;
            while let Some(push) = pushes.recv().await {
                match self.on_push(push) {
                    Flow::Continue => {}
                    Flow::Lost => break,
                }
            }
            self.lost();
            backoff = pause(backoff).await;
        }
    }

    /// A new connection to the cluster (after a pause of `backoff` when `pause_first`, so that a
    /// failing subscription is not retried in a tight loop); pauses, doubling `backoff`, and
    /// retries until the cluster answers.
    async fn connect_cluster(
        &self,
        client: &ClusterClient,
        backoff: &mut Duration,
        pause_first: bool,
    ) -> ClusterConnection {
        if pause_first {
            *backoff = pause(*backoff).await;
        }
        loop {
            match tokio::time::timeout(self.connect_timeout, client.get_async_connection()).await {
                Ok(Ok(conn)) => return conn,
                Ok(Err(error)) => {
                    tracing::debug!(%error, "cache invalidation channel: cannot reach the cluster yet");
                }
                Err(_) => tracing::debug!("cache invalidation channel: the cluster did not answer"),
            }
            *backoff = pause(*backoff).await;
        }
    }

    /// Applies a message of the channel; [`Flow::Lost`] when the subscription may be gone.
    fn on_push(&self, push: PushInfo) -> Flow {
        match push.kind {
            PushKind::SMessage => {
                if let [channel, payload] = push.data.as_slice() {
                    if bytes(channel).is_some_and(|c| c == self.channel.as_bytes()) {
                        if let Some(payload) = bytes(payload) {
                            self.apply(payload);
                        }
                    }
                }
                Flow::Continue
            }
            PushKind::Disconnection | PushKind::SUnsubscribe => Flow::Lost,
            _ => Flow::Continue,
        }
    }
}

/// What the subscriber does after a push.
enum Flow {
    Continue,
    Lost,
}

/// The bytes of a string value.
fn bytes(value: &Value) -> Option<&[u8]> {
    match value {
        Value::BulkString(bytes) => Some(bytes),
        Value::SimpleString(text) => Some(text.as_bytes()),
        _ => None,
    }
}

/// Sleeps `backoff`; the next, doubled up to [`MAX_BACKOFF`].
async fn pause(backoff: Duration) -> Duration {
    tokio::time::sleep(backoff).await;
    (backoff * 2).min(MAX_BACKOFF)
}
