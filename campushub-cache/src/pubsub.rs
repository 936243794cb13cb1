//! The invalidation channel: each instance subscribes, applies other instances' invalidations
//! to its L1, and flushes L1 whenever it (re)subscribes, since messages may have been missed.
//! On one server this is classic pub/sub, here; on a Redis Cluster, sharded pub/sub
//! (`sharded.rs`).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use campushub_core::accounts::DenyList;
use campushub_core::ConsistencyToken;
use futures::StreamExt;
use tokio::sync::watch;
use uuid::Uuid;

use crate::backend::Target;
use crate::codec::parse_token;
use crate::l1::L1;
use crate::metrics::Metrics;

/// Longest pause between reconnection attempts.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// The first pause after a failed attempt, doubled up to [`MAX_BACKOFF`].
pub(crate) const MIN_BACKOFF: Duration = Duration::from_millis(50);

/// What the subscriber needs; owns no reference to the cache itself, so dropping the cache
/// (which aborts the task) frees everything.
pub(crate) struct Subscriber {
    pub(crate) target: Target,
    pub(crate) channel: String,
    pub(crate) instance: String,
    pub(crate) l1: Arc<L1>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) connect_timeout: Duration,
    /// Set to `true` each time the subscription is established.
    pub(crate) subscribed: watch::Sender<bool>,
    /// Revoked access tokens: revocation messages go here, and the Redis set of them
    /// (`revoked_key`) is loaded on each subscription.
    pub(crate) deny: Arc<DenyList>,
    /// The key of the revoked tokens' sorted set.
    pub(crate) revoked_key: String,
    /// The Redis tier, told when the channel comes back after a loss.
    pub(crate) l2: Arc<crate::l2::L2>,
    /// Whether the channel was lost since the last subscription.
    pub(crate) was_lost: std::sync::atomic::AtomicBool,
}

impl Subscriber {
    /// Subscribes, applies messages, and reconnects with backoff, forever.
    pub(crate) async fn run(self) {
        match self.target.clone() {
            Target::Single(client) => self.run_single(client).await,
            Target::Cluster(cluster) => self.run_sharded(cluster).await,
        }
    }

    /// Classic pub/sub on one server: a connection of its own that ends when the server
    /// goes away.
    async fn run_single(self, client: redis::Client) {
        let mut backoff = MIN_BACKOFF;
        loop {
            match self.connect(&client).await {
                Ok(mut pubsub) => {
                    backoff = MIN_BACKOFF;
                    let subscribed = match client.get_multiplexed_async_connection().await {
                        Ok(mut conn) => self.subscribed(&mut conn).await,
                        Err(error) => {
                            tracing::warn!(%error, "cannot load the revoked access tokens; retrying");
                            false
                        }
                    };
                    if subscribed {
                        let mut messages = pubsub.on_message();
                        while let Some(message) = messages.next().await {
                            self.apply(message.get_payload_bytes());
                        }
                        self.lost();
                    }
                }
                Err(error) => {
                    tracing::debug!(%error, "cache invalidation channel: cannot subscribe yet");
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// Just subscribed (messages flow from now on): loads the revoked tokens through `conn`,
    /// flushes L1 (it may have missed messages) and reports the subscription. Subscribed
    /// first, loaded second: a revocation is either in the set read now or in a message that
    /// arrives after it. `false` when the set could not be read (the caller retries).
    pub(crate) async fn subscribed(&self, conn: &mut impl redis::aio::ConnectionLike) -> bool {
        let now = campushub_core::accounts::unix_now();
        let loaded = tokio::time::timeout(
            self.connect_timeout,
            crate::revocation::load(conn, &self.revoked_key, now, &self.deny),
        )
        .await;
        match loaded {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => {
                tracing::warn!(%error, "cannot load the revoked access tokens; retrying");
                return false;
            }
            Err(_) => {
                tracing::warn!("loading the revoked access tokens timed out; retrying");
                return false;
            }
        }
        let was_lost = self
            .was_lost
            .swap(false, std::sync::atomic::Ordering::SeqCst);
        // After a loss, twice the replay's longest pause: another instance's queued
        // invalidations land within it once Redis answers again.
        self.l2
            .channel_back(was_lost.then_some(crate::replay::MAX_BACKOFF * 2));
        self.l1.flush();
        self.l1.set_subscribed(true);
        self.subscribed.send_replace(true);
        tracing::info!(channel = %self.channel, "cache invalidation channel subscribed");
        true
    }

    /// The subscription is gone: until it is back (and L1 flushed), L1 entries are trusted
    /// only briefly and Redis is skipped.
    pub(crate) fn lost(&self) {
        self.was_lost
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.l2.channel_lost();
        self.l1.set_subscribed(false);
        self.subscribed.send_replace(false);
        tracing::warn!(channel = %self.channel, "cache invalidation channel lost: L1 trusted only briefly");
    }

    async fn connect(&self, client: &redis::Client) -> Result<redis::aio::PubSub, crate::Error> {
        let attempt = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(&self.channel).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        match tokio::time::timeout(self.connect_timeout, attempt).await {
            Ok(outcome) => Ok(outcome?),
            Err(_) => Err(crate::Error::Timeout {
                operation: "subscribe",
            }),
        }
    }

    /// Applies `<instance>|<kind>|<id>|<kinds>[|<version>[|<token>]]` unless this instance
    /// sent it: the record's L1 tombstone records the write's token, so the next fill of the
    /// record here reads at least there.
    pub(crate) fn apply(&self, payload: &[u8]) {
        if let Some((instance, expiry, jti)) = std::str::from_utf8(payload)
            .ok()
            .and_then(crate::revocation::parse)
        {
            if instance != self.instance {
                self.deny.deny(jti, expiry);
            }
            return;
        }
        let Some(message) = Message::parse(payload) else {
            tracing::warn!("ignoring a malformed cache invalidation message");
            return;
        };
        if message.instance == self.instance {
            return;
        }
        self.l1
            .bump(message.generations.split(',').filter(|k| !k.is_empty()));
        if let Some(kind) = self.l1.known_kind(message.kind) {
            self.l1
                .invalidate_record(kind, message.id, message.version, message.token);
        }
        self.metrics.invalidations_received.incr();
    }
}

/// A parsed invalidation message.
struct Message<'a> {
    instance: &'a str,
    kind: &'a str,
    id: Uuid,
    generations: &'a str,
    /// The record's version after the write (absent from older senders' messages).
    version: Option<i64>,
    /// The write's position (absent from older senders' messages, or unknown).
    token: Option<ConsistencyToken>,
}

impl<'a> Message<'a> {
    fn parse(payload: &'a [u8]) -> Option<Self> {
        let text = std::str::from_utf8(payload).ok()?;
        let mut parts = text.splitn(6, '|');
        Some(Message {
            instance: parts.next()?,
            kind: parts.next()?,
            id: Uuid::from_str(parts.next()?).ok()?,
            generations: parts.next()?,
            version: match parts.next() {
                Some(version) => Some(version.parse().ok()?),
                None => None,
            },
            token: match parts.next() {
                Some("") | None => None,
                Some(token) => Some(parse_token(token.as_bytes())?),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_messages_with_and_without_version_and_token() {
        let id = Uuid::from_u128(7);
        let full = format!("i|student|{id}|student,analytics,|3|00000000000000ff");
        let message = Message::parse(full.as_bytes()).expect("a full message");
        assert_eq!(
            (message.instance, message.kind, message.id),
            ("i", "student", id)
        );
        assert_eq!(message.version, Some(3));
        assert_eq!(message.token.map(ConsistencyToken::position), Some(255));
        let untokened = format!("i|student|{id}|student,|3|");
        let message = Message::parse(untokened.as_bytes()).expect("no token");
        assert_eq!((message.version, message.token), (Some(3), None));
        let old = format!("i|student|{id}|student");
        let message = Message::parse(old.as_bytes()).expect("an older sender's message");
        assert_eq!((message.version, message.token), (None, None));
        let bad = format!("i|student|{id}|student,|3|not-hex");
        assert!(Message::parse(bad.as_bytes()).is_none());
    }
}
