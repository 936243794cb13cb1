//! The relay's rounds on Postgres: one instance at a time (a transaction-scoped advisory lock),
//! woken by `NOTIFY campushub_outbox`.

use std::sync::LazyLock;
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::Row;

use super::rows::{audit_column, oldest_age_micros, Pending};
use super::{OutboxRelay, Round};
use crate::error::Result;
use crate::PgRouter;

/// The advisory lock a delivering relay holds ("outbox" in ASCII).
const RELAY_LOCK: i64 = 0x6f75_7462_6f78;

/// The channel the capture triggers notify.
const CHANNEL: &str = "campushub_outbox";

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

/// The notifications that wake a relay, on a connection of their own (re-opened when lost).
pub(super) struct Notifications {
    router: PgRouter,
    listener: Option<PgListener>,
}

impl Notifications {
    pub(super) fn new(router: PgRouter) -> Self {
        Notifications {
            router,
            listener: None,
        }
    }

    /// Waits for a notification, or `poll` at most.
    pub(super) async fn next(&mut self, poll: Duration) {
        if self.listener.is_none() {
            self.listener = listen(&self.router).await;
        }
        let Some(listener) = &mut self.listener else {
            tokio::time::sleep(poll).await;
            return;
        };
        match tokio::time::timeout(poll, listener.recv()).await {
            Ok(Ok(_)) | Err(_) => {}
            Ok(Err(error)) => {
                tracing::debug!(%error, "the outbox notifications were lost; reconnecting");
                self.listener = None;
            }
        }
    }
}

async fn listen(router: &PgRouter) -> Option<PgListener> {
    let listening = async {
        let mut listener = PgListener::connect_with(router.primary_pool()).await?;
        listener.listen(CHANNEL).await?;
        Ok::<_, sqlx::Error>(listener)
    };
    listening
        .await
        .inspect_err(|error| tracing::debug!(%error, "cannot listen for outbox notifications"))
        .ok()
}
