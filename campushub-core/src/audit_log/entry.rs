//! One audit entry: who changed which record, how, from where, and which fields.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::auth::Principal;
use crate::kind::EntityKind;
use crate::meta::now_micros;

/// What a write did, as the audit log names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// A create (`POST`).
    Create,
    /// A full replacement (`PUT`).
    Replace,
    /// A JSON merge patch (`PATCH`).
    Patch,
    /// A deletion (`DELETE`).
    Delete,
    /// One row of a bulk create.
    BulkCreate,
    /// One row of a bulk update.
    BulkUpdate,
    /// One row of a bulk delete.
    BulkDelete,
    /// An account's owner changed its password (`POST /api/v1/auth/password`).
    PasswordChange,
    /// Someone allowed to update accounts set an account's password
    /// (`POST /api/v1/users/{id}/password`).
    PasswordReset,
}

impl AuditAction {
    /// Every action.
    pub const ALL: [AuditAction; 9] = [
        AuditAction::Create,
        AuditAction::Replace,
        AuditAction::Patch,
        AuditAction::Delete,
        AuditAction::BulkCreate,
        AuditAction::BulkUpdate,
        AuditAction::BulkDelete,
        AuditAction::PasswordChange,
        AuditAction::PasswordReset,
    ];

    /// The action's name, as stored and as the API shows it.
    pub const fn as_str(self) -> &'static str {
        match self {
            AuditAction::Create => "create",
            AuditAction::Replace => "replace",
            AuditAction::Patch => "patch",
            AuditAction::Delete => "delete",
            AuditAction::BulkCreate => "bulk_create",
            AuditAction::BulkUpdate => "bulk_update",
            AuditAction::BulkDelete => "bulk_delete",
            AuditAction::PasswordChange => "password_change",
            AuditAction::PasswordReset => "password_reset",
        }
    }

    /// The action named `name` ([`AuditAction::as_str`]).
    pub fn parse(name: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AuditActor {
    /// The principal's subject ([`Principal::subject`]).
    pub subject: String,
    /// The principal's roles at the time.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The name of the API key the caller used, if it used one.
    #[serde(default)]
    pub api_key: Option<String>,
}

impl AuditActor {
    /// The actor `principal` stands for.
    pub fn of(principal: &Principal) -> Self {
        AuditActor {
            subject: principal.subject.clone(),
            roles: principal
                .roles
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
            api_key: principal.api_key.clone(),
        }
    }
}

/// How one field changed: its old and new values, or only that it changed (a private field,
/// see [`crate::audit_log::AuditSettings`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldChange {
    /// The value before and after (`null` where the field had none: before a create, after a
    /// deletion).
    Values {
        /// Before the write.
        old: Value,
        /// After the write.
        new: Value,
    },
    /// The field changed; its values are not recorded. Always `{"redacted": true}`.
    Redacted {
        /// Always `true`.
        redacted: bool,
    },
}

impl FieldChange {
    /// A change of a private field.
    pub const REDACTED: FieldChange = FieldChange::Redacted { redacted: true };
}

/// One committed change to one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// The entry's id (UUID v7: time-ordered); with `at`, the order of the log.
    pub id: Uuid,
    /// When the change was made (UTC, microsecond precision).
    pub at: DateTime<Utc>,
    /// Who made it.
    pub actor: AuditActor,
    /// The id of the request that made it, if it came through one.
    pub request_id: Option<String>,
    /// The client's address, if known.
    pub client_address: Option<String>,
    /// What the write did.
    pub action: AuditAction,
    /// The record's kind.
    pub kind: String,
    /// The record's id.
    pub record_id: Uuid,
    /// The version the write replaced (`None` for a create).
    pub version_before: Option<i64>,
    /// The version the write stored (`None` for a deletion).
    pub version_after: Option<i64>,
    /// The fields that changed, by name (custom fields as `custom_fields.<name>`), in name
    /// order.
    pub changes: BTreeMap<String, FieldChange>,
}

impl AuditEntry {
    /// An entry made now by `principal`, with no changes yet.
    pub fn new(
        principal: &Principal,
        action: AuditAction,
        kind: EntityKind,
        record_id: Uuid,
        versions: (Option<i64>, Option<i64>),
    ) -> Self {
        AuditEntry {
            id: Uuid::now_v7(),
            at: now_micros(),
            actor: AuditActor::of(principal),
            request_id: principal.origin.request_id.clone(),
            client_address: principal.origin.client_address.clone(),
            action,
            kind: kind.as_str().to_owned(),
            record_id,
            version_before: versions.0,
            version_after: versions.1,
            changes: BTreeMap::new(),
        }
    }

    /// The entry of a password set on account `user_id` by `principal` (`action` is
    /// [`AuditAction::PasswordChange`] or [`AuditAction::PasswordReset`]): the field
    /// `password` changed, never with its values. The account's record keeps its version
    /// (the password lives apart from it), so the entry names none.
    pub fn password(principal: &Principal, action: AuditAction, user_id: Uuid) -> Self {
        let mut entry = AuditEntry::new(principal, action, EntityKind::USER, user_id, (None, None));
        entry
            .changes
            .insert("password".to_owned(), FieldChange::REDACTED);
        entry
    }

    /// The changes as one JSON object (what the SQL stores keep in one column).
    pub fn changes_json(&self) -> Value {
        serde_json::to_value(&self.changes).unwrap_or(Value::Null)
    }
}
