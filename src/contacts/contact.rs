//! The `Contact` record: a person related to a student or a faculty member, described once
//! with `#[derive(Entity, SqlEntity)]`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::core::schema::constraints::{EMAIL, PHONE};
use crate::core::{Audit, RecordMeta};
use crate::{Entity, SqlEntity};

/// A guardian, emergency contact or reference of a student or faculty member. Its phones,
/// email and address are personal: only callers the policy grants personal fields see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Entity, SqlEntity)]
#[entity(kind = "contact", table = "contacts")]
pub struct Contact {
    /// Id, timestamps and version.
    #[serde(flatten)]
    pub meta: RecordMeta,
    /// The contact's unique reference (`GUARD-2024-0001`): the key bulk writes and imports
    /// address contacts by.
    #[field(filter, order, search, natural_key, text = 40)]
    pub reference: String,
    /// Whose contact it is: a student or a faculty member.
    #[field(filter, stats, choice)]
    pub owner_kind: OwnerKind,
    /// The id of the student or faculty member (`owner_kind`) whose contact it is.
    #[field(filter = "exact")]
    pub owner_id: Uuid,
    /// How the contact relates to the owner.
    #[field(filter, stats, choice)]
    pub relation: Relation,
    /// Given name.
    #[field(filter, order, search, text = 100)]
    pub first_name: String,
    /// Family name.
    #[field(filter, order, search, text = 100)]
    pub last_name: String,
    /// The phone to call first: an optional `+` and 9 to 15 digits.
    #[field(sensitive, pattern = PHONE)]
    pub phone: String,
    /// Another phone, if any.
    #[field(sensitive, pattern = PHONE)]
    pub alternate_phone: Option<String>,
    /// Email address, if any.
    #[field(filter, sensitive, pattern = EMAIL, text = 254)]
    pub email: Option<String>,
    /// Postal address, if any.
    #[field(sensitive, text = 500)]
    pub address: Option<String>,
    /// Which contact to call first among the owner's (1 first).
    #[field(filter, order, range(1, 99))]
    pub priority: i64,
    /// Custom-field values, checked against the definitions made for `contact`.
    #[serde(default)]
    pub custom_fields: Map<String, Value>,
    /// Who created and last updated the contact.
    #[serde(flatten)]
    pub audit: Audit,
}

/// Whose contact a [`Contact`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OwnerKind {
    /// A student (`/api/v1/students/{id}`).
    #[serde(rename = "STUDENT")]
    Student,
    /// A faculty member (`/api/v1/faculty/{id}`).
    #[serde(rename = "FACULTY")]
    Faculty,
}

impl OwnerKind {
    /// Every value's string form, as the API reads and writes it.
    pub const ALL: &'static [&'static str] = &["STUDENT", "FACULTY"];

    /// The value's string form.
    pub const fn as_str(self) -> &'static str {
        match self {
            OwnerKind::Student => "STUDENT",
            OwnerKind::Faculty => "FACULTY",
        }
    }
}

/// How a [`Contact`] relates to its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Relation {
    /// A parent or legal guardian.
    #[serde(rename = "GUARDIAN")]
    Guardian,
    /// Whom to call in an emergency.
    #[serde(rename = "EMERGENCY")]
    Emergency,
    /// A professional or academic reference.
    #[serde(rename = "REFERENCE")]
    Reference,
    /// Any other relation.
    #[serde(rename = "OTHER")]
    Other,
}

impl Relation {
    /// Every value's string form, as the API reads and writes it.
    pub const ALL: &'static [&'static str] = &["GUARDIAN", "EMERGENCY", "REFERENCE", "OTHER"];

    /// The value's string form.
    pub const fn as_str(self) -> &'static str {
        match self {
            Relation::Guardian => "GUARDIAN",
            Relation::Emergency => "EMERGENCY",
            Relation::Reference => "REFERENCE",
            Relation::Other => "OTHER",
        }
    }
}
