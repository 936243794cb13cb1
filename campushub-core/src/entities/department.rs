//! Departments: the organisational tree students and faculty belong to.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{checks, custom_field_accessors, meta_accessors, string_enum};
use crate::audit::{Audit, AUDIT_FIELDS};
use crate::entity::Entity;
use crate::error::ValidationErrors;
use crate::kind::EntityKind;
use crate::meta::RecordMeta;
use crate::relation::Relation;
use crate::schema::constraints::{EMAIL, EMAIL_MAX_CHARS, PHONE};
use crate::schema::{join_fields, FieldSpec, FieldType, Ops, Pattern, Schema, META_FIELDS};
use crate::value::Scalar;

string_enum! {
    /// What a department does.
    DepartmentCategory {
        /// Teaching department.
        Academic => "ACADEMIC",
        /// Administrative office.
        Administrative => "ADMINISTRATIVE",
        /// Research unit.
        Research => "RESEARCH",
        /// Service unit (library, IT).
        Service => "SERVICE",
        /// Support unit.
        Support => "SUPPORT",
    }
}

string_enum! {
    /// Where a department stands.
    DepartmentStatus {
        /// Operating.
        Active => "ACTIVE",
        /// Not operating.
        Inactive => "INACTIVE",
        /// Temporarily suspended.
        Suspended => "SUSPENDED",
        /// Merged into another department.
        Merged => "MERGED",
        /// Closed.
        Dissolved => "DISSOLVED",
    }
}

/// A department code: 2 to 10 uppercase letters or digits.
const CODE: Pattern = Pattern::new(
    "^[A-Z0-9]{2,10}$",
    "Code must be 2 to 10 uppercase letters or digits.",
);

/// A department.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Department {
    /// Id, timestamps, version.
    #[serde(flatten)]
    pub meta: RecordMeta,
    /// Unique code: 2 to 10 uppercase letters or digits (`CSE`).
    pub code: String,
    /// Unique name.
    pub name: String,
    /// What the department does.
    pub kind: DepartmentCategory,
    /// The parent department (no cycles, not itself).
    pub parent_id: Option<Uuid>,
    /// The head of department, a faculty member.
    pub head_id: Option<Uuid>,
    /// Contact email.
    pub email: Option<String>,
    /// Contact phone.
    pub phone: Option<String>,
    /// Operating status.
    pub status: DepartmentStatus,
    /// Custom-field values, validated against the active definitions for departments.
    #[serde(default)]
    pub custom_fields: Map<String, Value>,
    /// Who created and last updated the record.
    #[serde(flatten)]
    pub audit: Audit,
}

/// What a client sends to create or replace a department.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepartmentInput {
    /// Unique code.
    pub code: String,
    /// Unique name.
    pub name: String,
    /// What the department does (default `ACADEMIC`).
    #[serde(default = "academic")]
    pub kind: DepartmentCategory,
    /// The parent department.
    #[serde(default)]
    pub parent_id: Option<Uuid>,
    /// The head of department.
    #[serde(default)]
    pub head_id: Option<Uuid>,
    /// Contact email.
    #[serde(default)]
    pub email: Option<String>,
    /// Contact phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// Status (default `ACTIVE`).
    #[serde(default = "active")]
    pub status: DepartmentStatus,
    /// Custom-field values.
    #[serde(default)]
    pub custom_fields: Map<String, Value>,
}

fn academic() -> DepartmentCategory {
    DepartmentCategory::Academic
}

fn active() -> DepartmentStatus {
    DepartmentStatus::Active
}

/// A department's parent department and its head (a faculty member), neither embedded.
const RELATIONS: &[Relation] = &[
    Relation::to::<Department>("parent_id"),
    // By kind: faculty members reference their department, so naming the type here would
    // make the two modules import each other (a module cycle, which `tests/module_cycles`
    // refuses). The head is checked, not embedded, which needs no more.
    Relation::to_kind(EntityKind::FACULTY, "head_id"),
];

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| Schema {
    kind: EntityKind::DEPARTMENT,
    fields: join_fields(&[
        &META_FIELDS,
        &[
            FieldSpec::new("code", FieldType::Text)
                .filter(Ops::STRING)
                .order()
                .pattern(CODE),
            FieldSpec::new("name", FieldType::Text)
                .filter(Ops::STRING)
                .order()
                .text(200),
            FieldSpec::new("kind", FieldType::Choice(DepartmentCategory::ALL))
                .filter(Ops::EXACT)
                .choices_named("DepartmentCategory"),
            FieldSpec::new("status", FieldType::Choice(DepartmentStatus::ALL)).filter(Ops::EXACT),
            FieldSpec::new("parent_id", FieldType::Uuid)
                .filter(Ops::EXACT)
                .nullable(),
            FieldSpec::new("head_id", FieldType::Uuid)
                .filter(Ops::EXACT)
                .nullable(),
            FieldSpec::new("email", FieldType::Text)
                .optional()
                .max_chars(EMAIL_MAX_CHARS)
                .pattern(EMAIL),
            FieldSpec::new("phone", FieldType::Text)
                .optional()
                .pattern(PHONE),
            FieldSpec::new("custom_fields", FieldType::Object),
        ],
    ]),
    search: &["code", "name"],
    natural_key: Some("code"),
    stats: &["status", "kind"],
    relations: RELATIONS,
    embedded_in: &[EntityKind::STUDENT, EntityKind::FACULTY],
    writable: &[&[
        "code",
        "name",
        "kind",
        "parent_id",
        "head_id",
        "email",
        "phone",
        "status",
        "custom_fields",
    ]],
    required: &[&["code", "name"]],
    read_only: &AUDIT_FIELDS,
});

impl Entity for Department {
    type Create = DepartmentInput;
    const KIND: EntityKind = EntityKind::DEPARTMENT;

    fn schema() -> &'static Schema {
        &SCHEMA
    }

    meta_accessors!();

    fn from_input(input: DepartmentInput, meta: RecordMeta, actor: &str) -> Self {
        let mut department = Department {
            meta,
            code: String::new(),
            name: String::new(),
            kind: input.kind,
            parent_id: None,
            head_id: None,
            email: None,
            phone: None,
            status: input.status,
            custom_fields: Map::new(),
            audit: Audit::created(actor),
        };
        department.apply_input(input, actor);
        department
    }

    fn to_input(&self) -> DepartmentInput {
        DepartmentInput {
            code: self.code.clone(),
            name: self.name.clone(),
            kind: self.kind,
            parent_id: self.parent_id,
            head_id: self.head_id,
            email: self.email.clone(),
            phone: self.phone.clone(),
            status: self.status,
            custom_fields: self.custom_fields.clone(),
        }
    }

    fn apply_input(&mut self, input: DepartmentInput, actor: &str) {
        self.code = input.code.trim().to_owned();
        self.name = input.name.trim().to_owned();
        self.kind = input.kind;
        self.parent_id = input.parent_id;
        self.head_id = input.head_id;
        self.email = checks::normalize_email(input.email);
        self.phone = input.phone;
        self.status = input.status;
        self.custom_fields = input.custom_fields;
        self.audit.written(actor);
    }

    /// The code's form, lengths, the email and the phone are declared on the schema's fields
    /// and checked with the body; what is left relates the record to itself.
    fn validate(&self, errors: &mut ValidationErrors) {
        if self.parent_id == Some(self.meta.id) {
            errors.add("parent_id", "A department cannot be its own parent.");
        }
    }

    fn field(&self, name: &str) -> Option<Scalar> {
        if let Some(value) = self.meta.field(name) {
            return value;
        }
        match name {
            "code" => Some(Scalar::Text(self.code.clone())),
            "name" => Some(Scalar::Text(self.name.clone())),
            "kind" => Some(Scalar::Text(self.kind.as_str().to_owned())),
            "status" => Some(Scalar::Text(self.status.as_str().to_owned())),
            "parent_id" => self.parent_id.map(Scalar::Uuid),
            "head_id" => self.head_id.map(Scalar::Uuid),
            "email" => self.email.clone().map(Scalar::Text),
            _ => None,
        }
    }

    custom_field_accessors!();

    fn natural_key(&self) -> Option<String> {
        Some(self.code.clone())
    }

    fn unique_values(&self) -> Vec<(&'static str, String)> {
        vec![("code", self.code.clone()), ("name", self.name.clone())]
    }
}
