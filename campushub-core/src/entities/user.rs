//! User accounts: who may sign in, with which roles, and which student or faculty record is
//! theirs. The password hash is not part of the record: it lives in the
//! [`AccountStore`](crate::accounts::AccountStore), which no read route shows.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{checks, meta_accessors};
use crate::audit::{Audit, AUDIT_FIELDS};
use crate::entity::Entity;
use crate::error::ValidationErrors;
use crate::kind::EntityKind;
use crate::meta::RecordMeta;
use crate::relation::Relation;
use crate::schema::constraints::{EMAIL, EMAIL_MAX_CHARS};
use crate::schema::{join_fields, FieldSpec, FieldType, Ops, Pattern, Schema, META_FIELDS};
use crate::value::Scalar;

/// A role name: a lowercase letter, then up to 39 lowercase letters, digits or underscores.
pub const ROLE_NAME: Pattern = Pattern::new(
    "^[a-z][a-z0-9_]{0,39}$",
    "A role is a lowercase letter followed by up to 39 lowercase letters, digits or underscores.",
);

/// A user account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Id, timestamps, version.
    #[serde(flatten)]
    pub meta: RecordMeta,
    /// The sign-in name: unique, compared and stored lowercase.
    pub email: String,
    /// The name shown for the account.
    pub display_name: String,
    /// Role names ([`crate::Role`]); the roles of the access tokens the account signs in to.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The student record that is this account's own, if any.
    #[serde(default)]
    pub student_id: Option<Uuid>,
    /// The faculty record that is this account's own, if any.
    #[serde(default)]
    pub faculty_id: Option<Uuid>,
    /// Whether the account may sign in; an inactive account's refresh tokens stop working.
    pub is_active: bool,
    /// Who created and last updated the record.
    #[serde(flatten)]
    pub audit: Audit,
}

/// What a client sends to create or replace a user account (never a password: see
/// `server user create` and the password routes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserInput {
    /// The sign-in name.
    pub email: String,
    /// The name shown for the account.
    pub display_name: String,
    /// Role names.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The account's own student record.
    #[serde(default)]
    pub student_id: Option<Uuid>,
    /// The account's own faculty record.
    #[serde(default)]
    pub faculty_id: Option<Uuid>,
    /// Whether the account may sign in (default `true`).
    #[serde(default = "active")]
    pub is_active: bool,
}

fn active() -> bool {
    true
}

/// The linked records, checked to exist and not embedded. By kind, so that this module does
/// not import the student and faculty modules.
const RELATIONS: &[Relation] = &[
    Relation::to_kind(EntityKind::STUDENT, "student_id"),
    Relation::to_kind(EntityKind::FACULTY, "faculty_id"),
];

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| Schema {
    kind: EntityKind::USER,
    fields: join_fields(&[
        &META_FIELDS,
        &[
            FieldSpec::new("email", FieldType::Text)
                .filter(Ops::STRING)
                .order()
                .max_chars(EMAIL_MAX_CHARS)
                .pattern(EMAIL),
            FieldSpec::new("display_name", FieldType::Text)
                .filter(Ops::STRING)
                .order()
                .text(200),
            FieldSpec::new("roles", FieldType::TextList)
                .pattern(ROLE_NAME)
                .unique_items(),
            FieldSpec::new("student_id", FieldType::Uuid)
                .filter(Ops::EXACT)
                .nullable(),
            FieldSpec::new("faculty_id", FieldType::Uuid)
                .filter(Ops::EXACT)
                .nullable(),
            FieldSpec::new("is_active", FieldType::Bool).filter(Ops::EQ),
        ],
    ]),
    search: &["email", "display_name"],
    natural_key: Some("email"),
    stats: &[],
    relations: RELATIONS,
    embedded_in: &[],
    writable: &[&[
        "email",
        "display_name",
        "roles",
        "student_id",
        "faculty_id",
        "is_active",
    ]],
    required: &[&["email", "display_name"]],
    read_only: &AUDIT_FIELDS,
});

impl User {
    /// The account's roles as [`crate::Role`]s.
    pub fn role_list(&self) -> Vec<crate::auth::Role> {
        self.roles
            .iter()
            .map(|role| crate::auth::Role::new(role.clone()))
            .collect()
    }

    /// `email` in the form accounts store and look it up by: trimmed, lowercase.
    pub fn normalize_email(email: &str) -> String {
        email.trim().to_lowercase()
    }
}

impl Entity for User {
    type Create = UserInput;
    const KIND: EntityKind = EntityKind::USER;

    fn schema() -> &'static Schema {
        &SCHEMA
    }

    meta_accessors!();

    fn from_input(input: UserInput, meta: RecordMeta, actor: &str) -> Self {
        let mut user = User {
            meta,
            email: String::new(),
            display_name: String::new(),
            roles: Vec::new(),
            student_id: None,
            faculty_id: None,
            is_active: input.is_active,
            audit: Audit::created(actor),
        };
        user.apply_input(input, actor);
        user
    }

    fn to_input(&self) -> UserInput {
        UserInput {
            email: self.email.clone(),
            display_name: self.display_name.clone(),
            roles: self.roles.clone(),
            student_id: self.student_id,
            faculty_id: self.faculty_id,
            is_active: self.is_active,
        }
    }

    fn apply_input(&mut self, input: UserInput, actor: &str) {
        self.email = checks::normalize_email(Some(input.email)).unwrap_or_default();
        self.display_name = input.display_name.trim().to_owned();
        self.roles = input.roles;
        self.student_id = input.student_id;
        self.faculty_id = input.faculty_id;
        self.is_active = input.is_active;
        self.audit.written(actor);
    }

    /// The email's form, the name's length and the role names are declared on the schema's
    /// fields; what is left: an account is one person, so it links at most one record.
    fn validate(&self, errors: &mut ValidationErrors) {
        if self.email.is_empty() {
            errors.add("email", "This field may not be blank.");
        }
        if self.display_name.is_empty() {
            errors.add("display_name", "This field may not be blank.");
        }
        if self.student_id.is_some() && self.faculty_id.is_some() {
            errors.add(
                "faculty_id",
                "An account links a student record or a faculty record, not both.",
            );
        }
    }

    fn field(&self, name: &str) -> Option<Scalar> {
        if let Some(value) = self.meta.field(name) {
            return value;
        }
        match name {
            "email" => Some(Scalar::Text(self.email.clone())),
            "display_name" => Some(Scalar::Text(self.display_name.clone())),
            "student_id" => self.student_id.map(Scalar::Uuid),
            "faculty_id" => self.faculty_id.map(Scalar::Uuid),
            "is_active" => Some(Scalar::Bool(self.is_active)),
            _ => None,
        }
    }

    fn natural_key(&self) -> Option<String> {
        Some(self.email.clone())
    }

    fn unique_values(&self) -> Vec<(&'static str, String)> {
        vec![("email", self.email.clone())]
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn user(input: serde_json::Value) -> User {
        let input: UserInput = serde_json::from_value(input).expect("a user input");
        User::from_input(input, RecordMeta::new(), "tester")
    }

    #[test]
    fn email_is_stored_lowercase_and_active_by_default() {
        let user = user(json!({"email": "  Ada@Uni.Example ", "display_name": " Ada "}));
        assert_eq!(user.email, "ada@uni.example");
        assert_eq!(user.display_name, "Ada");
        assert!(user.is_active);
        assert_eq!(
            user.unique_values(),
            vec![("email", "ada@uni.example".into())]
        );
    }

    #[test]
    fn an_account_links_one_record_at_most() {
        let both = user(json!({
            "email": "a@b.co", "display_name": "A",
            "student_id": Uuid::new_v4(), "faculty_id": Uuid::new_v4(),
        }));
        let mut errors = ValidationErrors::default();
        both.validate(&mut errors);
        assert!(format!("{errors:?}").contains("faculty_id"), "{errors:?}");
        let one =
            user(json!({"email": "a@b.co", "display_name": "A", "student_id": Uuid::new_v4()}));
        let mut errors = ValidationErrors::default();
        one.validate(&mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(one.references().len(), 1);
    }

    #[test]
    fn the_record_carries_no_password() {
        let value = serde_json::to_value(user(json!({"email": "a@b.co", "display_name": "A"})))
            .expect("serializes");
        let keys: Vec<&String> = value.as_object().expect("an object").keys().collect();
        assert!(
            keys.iter()
                .all(|key| !key.contains("password") && !key.contains("hash")),
            "{keys:?}"
        );
    }
}
