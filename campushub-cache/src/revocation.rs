//! Revoked access tokens shared by every instance: the deny list in this process
//! ([`DenyList`]), a sorted set in Redis (`<ns>:revoked`, scored by each token's expiry) that
//! an instance loads whenever it (re)subscribes, and a message on the invalidation channel
//! that every subscribed instance applies on arrival (within milliseconds; the subscriber
//! reconnects within a second of losing the channel, and then reloads the set).
//!
//! The message is `<instance>|!revoke|<expiry>|<jti>`: the token id last, so it may hold any
//! character. Invalidation messages never have `!revoke` as their kind.

use campushub_core::accounts::DenyList;

use crate::error::Result;
use crate::l2::L2;

/// The kind field that marks a revocation message.
pub(crate) const REVOKE: &str = "!revoke";

/// A revocation message of the channel: `(sender instance, expiry, jti)`.
pub(crate) fn parse(payload: &str) -> Option<(&str, u64, &str)> {
    let mut parts = payload.splitn(4, '|');
    let instance = parts.next()?;
    if parts.next()? != REVOKE {
        return None;
    }
    let expiry = parts.next()?.parse().ok()?;
    let jti = parts.next()?;
    Some((instance, expiry, jti))
}

impl L2 {
    /// Records `jti` as revoked until `expires_at` in Redis, drops the ids that expired (so
    /// the set holds at most one access-token lifetime of revocations), and tells the other
    /// instances.
    pub(crate) async fn revoke_token(&self, jti: &str, expires_at: u64, now: u64) -> Result<()> {
        let key = self.keys().revoked();
        let channel = self.keys().channel();
        let message = format!("{}|{REVOKE}|{expires_at}|{jti}", self.instance());
        let publish = self.publish_command();
        // Two round trips: on a cluster the set and the channel live in different slots,
        // which one pipeline cannot span. Stored first, so an instance that subscribes
        // between the two finds the id in the set.
        self.run("revoke", |mut conn| async move {
            redis::pipe()
                .cmd("ZADD")
                .arg(&key)
                .arg(expires_at)
                .arg(jti)
                .ignore()
                .cmd("ZREMRANGEBYSCORE")
                .arg(&key)
                .arg("-inf")
                .arg(format!("({now}"))
                .ignore()
                .query_async::<()>(&mut conn)
                .await?;
            redis::cmd(publish)
                .arg(&channel)
                .arg(&message)
                .query_async::<()>(&mut conn)
                .await
        })
        .await
    }
}

/// Loads every id of `key` that has not expired by `now` into `deny` (on (re)subscription:
/// messages sent while this instance was not listening are in the set).
pub(crate) async fn load(
    conn: &mut impl redis::aio::ConnectionLike,
    key: &str,
    now: u64,
    deny: &DenyList,
) -> redis::RedisResult<usize> {
    let entries: Vec<(String, u64)> = redis::cmd("ZRANGEBYSCORE")
        .arg(key)
        .arg(now)
        .arg("+inf")
        .arg("WITHSCORES")
        .query_async(conn)
        .await?;
    for (jti, expiry) in &entries {
        deny.deny(jti, *expiry);
    }
    Ok(entries.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revocation_messages_parse_and_invalidations_do_not() {
        assert_eq!(
            parse("i1|!revoke|1700000000|a|b"),
            Some(("i1", 1_700_000_000, "a|b"))
        );
        assert_eq!(parse("i1|!revoke|soon|a"), None);
        assert_eq!(
            parse("i1|student|0191c6a2-5b1e-7cc3-8d1e-5f0a2b3c4d5e|student,|3|"),
            None
        );
        assert_eq!(parse("i1|!revoke|1"), None);
    }
}
