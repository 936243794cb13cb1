//! The relay's rounds on SQLite: read the oldest rows, deliver them, delete them. SQLite has one
//! writer at a time and no session-wide lock to elect a relay by, so the round holds no lock
//! while it delivers (a writer is never kept waiting for the cache).

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use sqlx::Row;
use uuid::Uuid;

use super::rows::{audit_column, oldest_age_micros, Pending};
use super::{OutboxRelay, Round};
use crate::error::Result;
use crate::SqliteStore;

/// The oldest pending rows, with their audit entries' actor and request id.
static PENDING: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT o.id, o.at, o.kind, o.record_id, o.op, o.version, o.db_user, {}, {} \
         FROM campushub_outbox o ORDER BY o.id LIMIT ?",
        audit_column("actor"),
        audit_column("request_id"),
    )
});

pub(super) async fn round(store: &SqliteStore, relay: &OutboxRelay) -> Result<Round> {
    let limit = i64::try_from(relay.batch).unwrap_or(i64::MAX);
    let rows = sqlx::query(PENDING.as_str())
        .bind(limit)
        .fetch_all(store.pool())
        .await?;
    if rows.is_empty() {
        return Ok(Round::default());
    }
    let mut pending = Vec::with_capacity(rows.len());
    for row in &rows {
        let id: i64 = row.try_get(0)?;
        let at: i64 = row.try_get(1)?;
        let record_id: String = row.try_get(3)?;
        let Ok(record_id) = Uuid::parse_str(&record_id) else {
            tracing::warn!(
                id,
                record_id,
                "an outbox row whose record id is not a UUID; dropped"
            );
            delete(store, &[id]).await?;
            continue;
        };
        pending.push(Pending {
            id,
            at: DateTime::from_timestamp_micros(at).unwrap_or_else(Utc::now),
            kind: row.try_get(2)?,
            record_id,
            op: row.try_get(4)?,
            version: row.try_get(5)?,
            db_user: row.try_get(6)?,
            actor: row.try_get(7)?,
            request_id: row.try_get(8)?,
        });
    }
    // One copy of the data: any read after this one sees these rows, no token needed.
    let ids = relay.deliver_rows(&pending, None).await;
    delete(store, &ids).await?;
    Ok(Round {
        delivered: rows.len(),
        standing_by: false,
        oldest_pending_micros: oldest_age_micros(&pending),
    })
}

/// Deletes the delivered rows `ids`.
async fn delete(store: &SqliteStore, ids: &[i64]) -> Result<()> {
    let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".to_owned());
    sqlx::query("DELETE FROM campushub_outbox WHERE id IN (SELECT value FROM json_each(?))")
        .bind(list)
        .execute(store.pool())
        .await?;
    Ok(())
}
