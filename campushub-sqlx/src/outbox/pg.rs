//! The relay's rounds on Postgres: one instance at a time (a transaction-scoped advisory lock),
//! after a look that costs one index probe when the outbox is empty.

use sqlx::Row;
use std::sync::LazyLock;

use super::rows::{audit_column, oldest_age_micros, Pending};
use super::{OutboxRelay, Round};
use crate::error::Result;
use crate::PgRouter;

/// The advisory lock a delivering relay holds ("outbox" in ASCII).
const RELAY_LOCK: i64 = 0x6f75_7462_6f78;

/// The oldest pending rows, with their audit entries' actor and request id.
static PENDING: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT o.id, o.at, o.kind, o.record_id, o.op, o.version, o.db_user, {}, {} \
         FROM campushub_outbox o ORDER BY o.id LIMIT $1",
        audit_column("actor"),
        audit_column("request_id"),
    )
});

/// Delivers one batch while holding the relay lock, and deletes it in the same transaction:
/// a relay that dies mid-batch rolls the deletion back and releases the lock.
pub(super) async fn round(router: &PgRouter, relay: &OutboxRelay) -> Result<Round> {
    // The common case, an empty outbox, costs one statement and no transaction.
    let pending: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM campushub_outbox)")
        .fetch_one(router.primary_pool())
        .await?;
    if !pending {
        return Ok(Round::default());
    }
    let mut tx = router.begin().await?;
    let leader: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
        .bind(RELAY_LOCK)
        .fetch_one(&mut *tx)
        .await?;
    if !leader {
        tx.rollback().await?;
        return Ok(Round {
            standing_by: true,
            ..Round::default()
        });
    }
    let limit = i64::try_from(relay.batch).unwrap_or(i64::MAX);
    let rows = sqlx::query(PENDING.as_str())
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
    if rows.is_empty() {
        tx.rollback().await?;
        return Ok(Round::default());
    }
    let pending = rows
        .iter()
        .map(|row| {
            Ok(Pending {
                id: row.try_get(0)?,
                at: row.try_get(1)?,
                kind: row.try_get(2)?,
                record_id: row.try_get(3)?,
                op: row.try_get(4)?,
                version: row.try_get(5)?,
                db_user: row.try_get(6)?,
                actor: row.try_get(7)?,
                request_id: row.try_get(8)?,
            })
        })
        .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?;
    // Every row this transaction sees was committed before this read: the position read now is
    // at or past each one's commit, so a cache fill at the token reads them.
    let token = router.write_token().await.ok();
    let ids = relay.deliver_rows(&pending, token).await;
    sqlx::query("DELETE FROM campushub_outbox WHERE id = ANY($1)")
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Round {
        delivered: pending.len(),
        standing_by: false,
        oldest_pending_micros: oldest_age_micros(&pending),
    })
}
