//! Departments: the organisational tree students and faculty belong to.

use campushub_derive::Entity;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{checks, string_enum};
use crate::audit::Audit;
use crate::error::ValidationErrors;
use crate::meta::RecordMeta;
use crate::schema::constraints::{EMAIL, EMAIL_MAX_CHARS, PHONE};
use crate::schema::Pattern;

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

/// A department: described once, with `#[derive(Entity)]` as an application's kind is (its
/// SQL description is in `campushub-sqlx`, which the trait's crate must hold). The head is a
/// faculty member referenced by kind: naming the type would make this module and faculty's
/// import each other (`tests/module_cycles` refuses that); it is checked, not embedded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Entity)]
#[entity(
    kind = "department",
    input = DepartmentInput,
    validate = not_its_own_parent,
    embedded_in(student, faculty),
    core = crate
)]
pub struct Department {
    /// Id, timestamps, version.
    #[serde(flatten)]
    pub meta: RecordMeta,
    /// Unique code: 2 to 10 uppercase letters or digits (`CSE`).
    #[field(filter, order, search, natural_key, pattern = CODE, normalize = checks::trimmed)]
    pub code: String,
    /// Unique name.
    #[field(filter, order, search, unique, text = 200, normalize = checks::trimmed)]
    pub name: String,
    /// What the department does (default `ACADEMIC`).
    #[field(filter, stats, choice, choices_named = "DepartmentCategory", default)]
    #[serde(default = "academic")]
    pub kind: DepartmentCategory,
    /// Operating status (default `ACTIVE`).
    #[field(filter, stats, choice, default)]
    #[serde(default = "active")]
    pub status: DepartmentStatus,
    /// The parent department (no cycles, not itself).
    #[field(filter, references = Department)]
    pub parent_id: Option<Uuid>,
    /// The head of department, a faculty member.
    #[field(filter, references_kind = "faculty")]
    pub head_id: Option<Uuid>,
    /// Contact email.
    #[field(max_chars = EMAIL_MAX_CHARS, pattern = EMAIL, normalize = checks::normalize_email)]
    pub email: Option<String>,
    /// Contact phone.
    #[field(pattern = PHONE)]
    pub phone: Option<String>,
    /// Custom-field values, validated against the active definitions for departments.
    #[serde(default)]
    pub custom_fields: Map<String, Value>,
    /// Who created and last updated the record.
    #[serde(flatten)]
    pub audit: Audit,
}

fn academic() -> DepartmentCategory {
    DepartmentCategory::Academic
}

fn active() -> DepartmentStatus {
    DepartmentStatus::Active
}

/// The code's form, lengths, the email and the phone are declared on the fields and checked
/// with the body; what is left relates the record to itself.
fn not_its_own_parent(department: &Department, errors: &mut ValidationErrors) {
    if department.parent_id == Some(department.meta.id) {
        errors.add("parent_id", "A department cannot be its own parent.");
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::entity::Entity;

    fn input(body: Value) -> DepartmentInput {
        serde_json::from_value(body).expect("a department input")
    }

    #[test]
    fn writes_trim_the_code_and_name_fold_the_email_and_record_the_writer() {
        let body = json!({"code": " CSE ", "name": "Computing\n", "email": " Office@CSE.edu "});
        let mut department = Department::from_input(input(body), RecordMeta::new(), "alice");
        assert_eq!(
            (department.code.as_str(), department.name.as_str()),
            ("CSE", "Computing")
        );
        assert_eq!(department.email.as_deref(), Some("office@cse.edu"));
        assert_eq!(
            (department.kind, department.status),
            (DepartmentCategory::Academic, DepartmentStatus::Active)
        );
        assert_eq!(department.audit.created_by.as_deref(), Some("alice"));

        let mut replaced = department.to_input();
        replaced.name = "  Computer Science ".to_owned();
        replaced.email = Some("   ".to_owned());
        department.apply_input(replaced, "bob");
        assert_eq!(department.name, "Computer Science");
        assert_eq!(department.email, None, "a blank email is no email");
        assert_eq!(
            (
                department.audit.created_by.as_deref(),
                department.audit.updated_by.as_deref()
            ),
            (Some("alice"), Some("bob"))
        );
    }

    #[test]
    fn a_department_cannot_be_its_own_parent() {
        let mut department = Department::from_input(
            input(json!({"code": "CSE", "name": "C"})),
            RecordMeta::new(),
            "a",
        );
        let mut errors = ValidationErrors::default();
        department.validate(&mut errors);
        assert!(errors.is_empty());
        department.parent_id = Some(department.meta.id);
        department.validate(&mut errors);
        assert!(!errors.is_empty(), "its own parent is refused");
    }

    #[test]
    fn the_schema_declares_what_the_record_was_described_with() {
        let schema = Department::schema();
        assert_eq!(Department::KIND, crate::EntityKind::DEPARTMENT);
        assert_eq!(schema.natural_key, Some("code"));
        assert_eq!(schema.search, ["code", "name"]);
        assert_eq!(
            schema.embedded_in,
            [crate::EntityKind::STUDENT, crate::EntityKind::FACULTY]
        );
        let relations: Vec<(&str, &str)> = schema
            .relations
            .iter()
            .map(|r| (r.field, r.kind.as_str()))
            .collect();
        assert_eq!(
            relations,
            [("parent_id", "department"), ("head_id", "faculty")]
        );
        assert_eq!(
            schema.required_fields().collect::<Vec<_>>(),
            ["code", "name"]
        );
        let department = Department::from_input(
            input(json!({"code": "CSE", "name": "C"})),
            RecordMeta::new(),
            "a",
        );
        assert_eq!(
            department.unique_values(),
            [("code", "CSE".to_owned()), ("name", "C".to_owned())]
        );
    }
}
