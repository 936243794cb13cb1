//! Outbox rows as change events: the kinds a relay knows, and the mapping of one row.

use campushub_core::{ChangeEvent, ChangeOp, ConsistencyToken, EntityKind};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The kinds a relay delivers, with the kinds that embed each (`ChangeEvent::embedded_in`).
#[derive(Debug, Default)]
pub(super) struct Kinds(Vec<(EntityKind, &'static [EntityKind])>);

impl Kinds {
    pub(super) fn add(&mut self, kind: EntityKind, embedded_in: &'static [EntityKind]) {
        self.0.retain(|(known, _)| *known != kind);
        self.0.push((kind, embedded_in));
    }

    fn find(&self, name: &str) -> Option<(EntityKind, &'static [EntityKind])> {
        self.0
            .iter()
            .copied()
            .find(|(kind, _)| kind.as_str() == name)
    }
}

/// One outbox row, as the relay's query reads it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Pending {
    pub(super) id: i64,
    /// When the change was captured.
    pub(super) at: DateTime<Utc>,
    pub(super) kind: String,
    pub(super) record_id: Uuid,
    pub(super) op: String,
    pub(super) version: i64,
    /// The database role that made the change.
    pub(super) db_user: String,
    /// The actor of the audit entry stored with the change, if any.
    pub(super) actor: Option<String>,
    /// The request id of that audit entry.
    pub(super) request_id: Option<String>,
}

impl Pending {
    /// The event this row announces, at `token` (a position at or past its commit); `None` for
    /// a kind not in `kinds` or an operation the triggers never write.
    pub(super) fn event(
        &self,
        kinds: &Kinds,
        token: Option<ConsistencyToken>,
    ) -> Option<ChangeEvent> {
        let Some((kind, embedded_in)) = kinds.find(&self.kind) else {
            tracing::warn!(kind = %self.kind, id = %self.record_id,
                "an outbox row of a kind the relay was not given; dropped");
            return None;
        };
        let op = match self.op.as_str() {
            "created" => ChangeOp::Created,
            "updated" => ChangeOp::Updated,
            "deleted" => ChangeOp::Deleted,
            other => {
                tracing::warn!(
                    op = other,
                    "an outbox row with an unknown operation; dropped"
                );
                return None;
            }
        };
        Some(ChangeEvent {
            kind,
            id: self.record_id,
            op,
            version: self.version,
            token,
            embedded_in,
            actor: Some(
                self.actor
                    .clone()
                    .unwrap_or_else(|| format!("database:{}", self.db_user)),
            ),
            request_id: self.request_id.clone(),
        })
    }
}

/// The audit entry's actor and request id of an outbox row: the entry of the same record whose
/// version after the change is the row's (for a deletion, whose version before it is the
/// deleted one). A correlated subquery over the audit log's per-record index.
pub(super) fn audit_column(column: &str) -> String {
    format!(
        "(SELECT a.{column} FROM campushub_audit_log a WHERE a.record_id = o.record_id \
         AND a.kind = o.kind AND (a.version_after = o.version \
         OR (a.version_after IS NULL AND a.version_before = o.version - 1)) \
         ORDER BY a.at DESC LIMIT 1)"
    )
}

/// The age in microseconds of the oldest of `pending` (0 when empty).
pub(super) fn oldest_age_micros(pending: &[Pending]) -> u64 {
    let now = Utc::now();
    pending
        .iter()
        .map(|row| (now - row.at).num_microseconds().unwrap_or(0))
        .max()
        .and_then(|age| u64::try_from(age).ok())
        .unwrap_or(0)
}
