//! Record metadata shared by every entity: identity, timestamps and the optimistic-concurrency
//! version.

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::value::Scalar;

/// Identity, timestamps and version of a stored record.
///
/// Ids are UUID v7: time-ordered, so B-tree inserts stay local. `version` starts at 1 and grows
/// by one on every update; writes name the version they read, and a stale one is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordMeta {
    /// The record's id.
    pub id: Uuid,
    /// When the record was created (UTC, microsecond precision).
    pub created_at: DateTime<Utc>,
    /// When the record was last written (UTC, microsecond precision).
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version: 1 on create, +1 on every update.
    pub version: i64,
}

impl RecordMeta {
    /// Metadata for a record created now.
    ///
    /// Timestamps are truncated to microseconds, the precision every backend stores, so a value
    /// read back equals the value written.
    pub fn new() -> Self {
        let now = now_micros();
        RecordMeta {
            id: Uuid::now_v7(),
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// The metadata after one more write: same id and creation time, new `updated_at`,
    /// version + 1.
    pub fn next(&self) -> Self {
        RecordMeta {
            id: self.id,
            created_at: self.created_at,
            updated_at: now_micros().max(self.updated_at),
            version: self.version + 1,
        }
    }
}

impl RecordMeta {
    /// The value of metadata field `name` (`id`, `created_at`, `updated_at`), or `None` when
    /// `name` is not a metadata field.
    pub fn field(&self, name: &str) -> Option<Option<Scalar>> {
        match name {
            "id" => Some(Some(Scalar::Uuid(self.id))),
            "created_at" => Some(Some(Scalar::DateTime(self.created_at))),
            "updated_at" => Some(Some(Scalar::DateTime(self.updated_at))),
            _ => None,
        }
    }
}

impl Default for RecordMeta {
    fn default() -> Self {
        Self::new()
    }
}

/// The current time truncated to microseconds.
pub fn now_micros() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
