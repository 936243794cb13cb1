//! Change events: what every committed write announces, to the cache and to the application.

use async_trait::async_trait;
use uuid::Uuid;

use crate::consistency::ConsistencyToken;
use crate::kind::EntityKind;

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOp {
    /// A record was created.
    Created,
    /// A record was updated.
    Updated,
    /// A record was deleted.
    Deleted,
}

/// One committed change to one record.
///
/// Emitted only after the write committed; a bulk operation emits one event per changed row.
/// For a deletion `version` is the deleted version + 1, so that it orders after every version
/// the record ever had (the cache's tombstones rely on this).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChangeEvent {
    /// The record's kind.
    pub kind: EntityKind,
    /// The record's id.
    pub id: Uuid,
    /// What happened.
    pub op: ChangeOp,
    /// The record's version after the write.
    pub version: i64,
    /// The commit's position, if the store reports one.
    pub token: Option<ConsistencyToken>,
    /// Kinds whose cached results embed this kind (from its schema).
    pub embedded_in: &'static [EntityKind],
    /// The subject of the principal that made the change (`None` where the emitter does not
    /// know it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The id of the request that made the change, if it came through one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl ChangeEvent {
    /// The change `op` to record `id` of `kind`, leaving it at `version`; with no token, no
    /// embedding kinds and no actor or request yet (set them by field as the emitter knows
    /// them).
    pub fn new(kind: EntityKind, id: Uuid, op: ChangeOp, version: i64) -> Self {
        ChangeEvent {
            kind,
            id,
            op,
            version,
            token: None,
            embedded_in: &[],
            actor: None,
            request_id: None,
        }
    }
}

/// Something that reacts to committed changes: the cache, an audit log, a search indexer.
///
/// Hooks run in registration order after the write committed and before the write is
/// acknowledged to the caller; they cannot undo it, so they report their own failures.
#[async_trait]
pub trait ChangeHook: Send + Sync {
    /// Called once per committed change.
    async fn on_change(&self, event: &ChangeEvent);
}

#[async_trait]
impl<H: ChangeHook + ?Sized> ChangeHook for std::sync::Arc<H> {
    async fn on_change(&self, event: &ChangeEvent) {
        (**self).on_change(event).await
    }
}
