//! The invalidation channel: each instance subscribes, applies other instances' invalidations
//! to its L1, and flushes L1 whenever it (re)subscribes, since messages may have been missed.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use campushub_core::accounts::DenyList;
use campushub_core::ConsistencyToken;
use futures::StreamExt;
use tokio::sync::watch;
use uuid::Uuid;

use crate::codec::parse_token;
use crate::l1::L1;
use crate::metrics::Metrics;

/// Longest pause between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// What the subscriber needs; owns no reference to the cache itself, so dropping the cache
/// (which aborts the task) frees everything.
pub(crate) struct Subscriber {
    pub(crate) client: redis::Client,
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
}

impl Subscriber {
    /// Subscribes, applies messages, and reconnects with backoff, forever.
    pub(crate) async fn run(self) {
        let mut backoff = Duration::from_millis(50);
        loop {
            match self.connect().await {
                Ok(mut pubsub) => {
                    backoff = Duration::from_millis(50);
                    // Subscribed first, loaded second: a revocation is either in the set
                    // read now or in a message that arrives after it.
                    let now = campushub_core::accounts::unix_now();
                    if let Err(error) =
                        crate::revocation::load(&self.client, &self.revoked_key, now, &self.deny)
                            .await
                    {
                        tracing::warn!(%error, "cannot load the revoked access tokens; retrying");
                        tokio::time::sleep(backoff).await;
                        continue;
                    }
                    self.l1.flush();
                    self.l1.set_subscribed(true);
                    self.subscribed.send_replace(true);
                    tracing::info!(channel = %self.channel, "cache invalidation channel subscribed");
                    let mut messages = pubsub.on_message();
                    while let Some(message) = messages.next().await {
                        self.apply(message.get_payload_bytes());
                    }
                    self.l1.set_subscribed(false);
                    self.subscribed.send_replace(false);
                    tracing::warn!(channel = %self.channel, "cache invalidation channel lost: L1 trusted only briefly");
                }
                Err(error) => {
                    tracing::debug!(%error, "cache invalidation channel: cannot subscribe yet");
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    async fn connect(&self) -> Result<redis::aio::PubSub, crate::Error> {
        let attempt = async {
            let mut pubsub = self.client.get_async_pubsub().await?;
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
    fn apply(&self, payload: &[u8]) {
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
