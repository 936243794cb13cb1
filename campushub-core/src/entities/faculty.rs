//! Faculty members: the person block plus appointment details.

use std::sync::LazyLock;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::membership::{department_member, DEPARTMENT_MEMBERSHIP};
use super::person::{
    Person, PERSON_FIELDS, PERSON_READ_ONLY, PERSON_REQUIRED, PERSON_SEARCH, PERSON_SPECS,
};
use super::{custom_field_accessors, meta_accessors, string_enum, DepartmentSummary};
use crate::audit::Audit;
use crate::entity::Entity;
use crate::error::ValidationErrors;
use crate::kind::EntityKind;
use crate::meta::RecordMeta;
use crate::schema::{join_fields, FieldSpec, FieldType, Ops, Schema, META_FIELDS};
use crate::value::Scalar;

string_enum! {
    /// Academic rank.
    Designation {
        /// Professor.
        Professor => "PROFESSOR",
        /// Associate professor.
        AssociateProfessor => "ASSOCIATE_PROFESSOR",
        /// Assistant professor.
        AssistantProfessor => "ASSISTANT_PROFESSOR",
        /// Lecturer.
        Lecturer => "LECTURER",
        /// Adjunct faculty.
        Adjunct => "ADJUNCT",
        /// Visiting faculty.
        Visiting => "VISITING",
    }
}

string_enum! {
    /// Terms of employment.
    EmploymentType {
        /// Full time.
        FullTime => "FULL_TIME",
        /// Part time.
        PartTime => "PART_TIME",
        /// Fixed-term contract.
        Contract => "CONTRACT",
        /// Visiting appointment.
        Visiting => "VISITING",
    }
}

string_enum! {
    /// Where an appointment stands.
    FacultyStatus {
        /// Serving.
        Active => "ACTIVE",
        /// Not serving.
        Inactive => "INACTIVE",
        /// On leave.
        OnLeave => "ON_LEAVE",
        /// Retired.
        Retired => "RETIRED",
        /// Employment ended.
        Terminated => "TERMINATED",
    }
}

/// A faculty member's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Faculty {
    /// Id, timestamps, version.
    #[serde(flatten)]
    pub meta: RecordMeta,
    /// Names, contact and address.
    #[serde(flatten)]
    pub person: Person,
    /// Unique employee id (≤ 20 characters).
    pub employee_id: String,
    /// The member's department.
    pub department_id: Option<Uuid>,
    /// The department's summary, filled in by the store on read.
    #[serde(default)]
    pub department: Option<DepartmentSummary>,
    /// Academic rank.
    pub designation: Designation,
    /// Highest qualification (`PhD`).
    pub qualification: String,
    /// Field of specialization.
    pub specialization: Option<String>,
    /// Date of joining.
    pub date_of_joining: NaiveDate,
    /// Terms of employment.
    pub employment_type: EmploymentType,
    /// Appointment status.
    pub status: FacultyStatus,
    /// Custom-field values, validated against the active definitions for faculty.
    #[serde(default)]
    pub custom_fields: Map<String, Value>,
    /// Who created and last updated the record.
    #[serde(flatten)]
    pub audit: Audit,
}

/// What a client sends to create or replace a faculty member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FacultyInput {
    /// Names, contact and address.
    #[serde(flatten)]
    pub person: Person,
    /// Unique employee id.
    pub employee_id: String,
    /// The member's department.
    #[serde(default)]
    pub department_id: Option<Uuid>,
    /// Academic rank.
    pub designation: Designation,
    /// Highest qualification.
    pub qualification: String,
    /// Field of specialization.
    #[serde(default)]
    pub specialization: Option<String>,
    /// Date of joining.
    pub date_of_joining: NaiveDate,
    /// Terms of employment (default `FULL_TIME`).
    #[serde(default = "full_time")]
    pub employment_type: EmploymentType,
    /// Status (default `ACTIVE`).
    #[serde(default = "active")]
    pub status: FacultyStatus,
    /// Custom-field values.
    #[serde(default)]
    pub custom_fields: Map<String, Value>,
}

fn full_time() -> EmploymentType {
    EmploymentType::FullTime
}

fn active() -> FacultyStatus {
    FacultyStatus::Active
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| Schema {
    kind: EntityKind::FACULTY,
    fields: join_fields(&[
        &META_FIELDS,
        &PERSON_SPECS,
        &[
            FieldSpec::new("employee_id", FieldType::Text)
                .filter(Ops::STRING)
                .order()
                .text(20),
            FieldSpec::new("department_id", FieldType::Uuid)
                .filter(Ops::EXACT)
                .nullable(),
            FieldSpec::new("designation", FieldType::Choice(Designation::ALL))
                .filter(Ops::EXACT)
                .choices_named("Designation"),
            FieldSpec::new("qualification", FieldType::Text)
                .filter(Ops::STRING)
                .text(100),
            FieldSpec::new("specialization", FieldType::Text)
                .filter(Ops::STRING)
                .nullable()
                .max_chars(200),
            FieldSpec::new("date_of_joining", FieldType::Date)
                .filter(Ops::ORDERED)
                .order(),
            FieldSpec::new("employment_type", FieldType::Choice(EmploymentType::ALL))
                .filter(Ops::EXACT)
                .choices_named("EmploymentType"),
            FieldSpec::new("status", FieldType::Choice(FacultyStatus::ALL)).filter(Ops::EXACT),
            FieldSpec::new("custom_fields", FieldType::Object),
        ],
    ]),
    search: &[
        "employee_id",
        PERSON_SEARCH[0],
        PERSON_SEARCH[1],
        PERSON_SEARCH[2],
        PERSON_SEARCH[3],
    ],
    natural_key: Some("employee_id"),
    stats: &["status", "designation", "employment_type", "department_id"],
    relations: DEPARTMENT_MEMBERSHIP,
    embedded_in: &[],
    writable: &[
        PERSON_FIELDS,
        &[
            "employee_id",
            "department_id",
            "designation",
            "qualification",
            "specialization",
            "date_of_joining",
            "employment_type",
            "status",
            "custom_fields",
        ],
    ],
    required: &[
        PERSON_REQUIRED,
        &[
            "employee_id",
            "designation",
            "qualification",
            "date_of_joining",
        ],
    ],
    read_only: PERSON_READ_ONLY,
});

impl Entity for Faculty {
    type Create = FacultyInput;
    const KIND: EntityKind = EntityKind::FACULTY;

    fn schema() -> &'static Schema {
        &SCHEMA
    }

    meta_accessors!();

    fn from_input(input: FacultyInput, meta: RecordMeta, actor: &str) -> Self {
        let mut faculty = Faculty {
            meta,
            person: input.person.clone(),
            employee_id: String::new(),
            department_id: None,
            department: None,
            designation: input.designation,
            qualification: String::new(),
            specialization: None,
            date_of_joining: input.date_of_joining,
            employment_type: input.employment_type,
            status: input.status,
            custom_fields: Map::new(),
            audit: Audit::created(actor),
        };
        faculty.apply_input(input, actor);
        faculty
    }

    fn to_input(&self) -> FacultyInput {
        FacultyInput {
            person: self.person.clone(),
            employee_id: self.employee_id.clone(),
            department_id: self.department_id,
            designation: self.designation,
            qualification: self.qualification.clone(),
            specialization: self.specialization.clone(),
            date_of_joining: self.date_of_joining,
            employment_type: self.employment_type,
            status: self.status,
            custom_fields: self.custom_fields.clone(),
        }
    }

    fn apply_input(&mut self, input: FacultyInput, actor: &str) {
        self.person = input.person;
        self.person.normalize();
        self.employee_id = input.employee_id.trim().to_owned();
        if self.department_id != input.department_id {
            self.department = None;
        }
        self.department_id = input.department_id;
        self.designation = input.designation;
        self.qualification = input.qualification.trim().to_owned();
        self.specialization = input.specialization;
        self.date_of_joining = input.date_of_joining;
        self.employment_type = input.employment_type;
        self.status = input.status;
        self.custom_fields = input.custom_fields;
        self.audit.written(actor);
    }

    /// Lengths are declared on the schema's fields and checked with the body; what is left is
    /// the person block's date rule.
    fn validate(&self, errors: &mut ValidationErrors) {
        self.person.validate(errors);
    }

    fn field(&self, name: &str) -> Option<Scalar> {
        if let Some(value) = self.meta.field(name).or_else(|| self.person.field(name)) {
            return value;
        }
        match name {
            "employee_id" => Some(Scalar::Text(self.employee_id.clone())),
            "department_id" => self.department_id.map(Scalar::Uuid),
            "designation" => Some(Scalar::Text(self.designation.as_str().to_owned())),
            "qualification" => Some(Scalar::Text(self.qualification.clone())),
            "specialization" => self.specialization.clone().map(Scalar::Text),
            "date_of_joining" => Some(Scalar::Date(self.date_of_joining)),
            "employment_type" => Some(Scalar::Text(self.employment_type.as_str().to_owned())),
            "status" => Some(Scalar::Text(self.status.as_str().to_owned())),
            _ => None,
        }
    }

    custom_field_accessors!();

    fn natural_key(&self) -> Option<String> {
        Some(self.employee_id.clone())
    }

    fn unique_values(&self) -> Vec<(&'static str, String)> {
        self.person
            .unique_values(("employee_id", self.employee_id.clone()))
    }

    department_member!();
}
