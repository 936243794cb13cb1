//! Students: the person block plus enrolment details.

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
    /// Where a student stands.
    StudentStatus {
        /// Enrolled.
        Active => "ACTIVE",
        /// Enrolled but not attending.
        Inactive => "INACTIVE",
        /// Completed the programme.
        Graduated => "GRADUATED",
        /// Suspended.
        Suspended => "SUSPENDED",
        /// Left before completing.
        Dropped => "DROPPED",
    }
}

/// Sections run from A to T.
const SECTIONS: &[&str] = &[
    "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S",
    "T",
];

/// A student record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Student {
    /// Id, timestamps, version.
    #[serde(flatten)]
    pub meta: RecordMeta,
    /// Names, contact and address.
    #[serde(flatten)]
    pub person: Person,
    /// Unique roll number (≤ 20 characters).
    pub roll_number: String,
    /// The student's department.
    pub department_id: Option<Uuid>,
    /// The department's summary, filled in by the store on read.
    #[serde(default)]
    pub department: Option<DepartmentSummary>,
    /// Programme of study (`B.Tech CSE`).
    pub program: String,
    /// Date of admission.
    pub admission_date: NaiveDate,
    /// Year of study, 1 to 5.
    pub year_of_study: i32,
    /// Semester, 1 to 10.
    pub semester: i32,
    /// Section, `A` to `T`.
    pub section: String,
    /// Enrolment status.
    pub status: StudentStatus,
    /// Custom-field values, validated against the active definitions for students.
    #[serde(default)]
    pub custom_fields: Map<String, Value>,
    /// Who created and last updated the record.
    #[serde(flatten)]
    pub audit: Audit,
}

/// What a client sends to create or replace a student.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudentInput {
    /// Names, contact and address.
    #[serde(flatten)]
    pub person: Person,
    /// Unique roll number.
    pub roll_number: String,
    /// The student's department.
    #[serde(default)]
    pub department_id: Option<Uuid>,
    /// Programme of study.
    pub program: String,
    /// Date of admission.
    pub admission_date: NaiveDate,
    /// Year of study (default 1).
    #[serde(default = "one")]
    pub year_of_study: i32,
    /// Semester (default 1).
    #[serde(default = "one")]
    pub semester: i32,
    /// Section (default `A`).
    #[serde(default = "section_a")]
    pub section: String,
    /// Status (default `ACTIVE`).
    #[serde(default = "active")]
    pub status: StudentStatus,
    /// Custom-field values.
    #[serde(default)]
    pub custom_fields: Map<String, Value>,
}

fn one() -> i32 {
    1
}

fn section_a() -> String {
    "A".to_owned()
}

fn active() -> StudentStatus {
    StudentStatus::Active
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| Schema {
    kind: EntityKind::STUDENT,
    fields: join_fields(&[
        &META_FIELDS,
        &PERSON_SPECS,
        &[
            FieldSpec::new("roll_number", FieldType::Text)
                .filter(Ops::STRING)
                .order()
                .text(20),
            FieldSpec::new("department_id", FieldType::Uuid)
                .filter(Ops::EXACT)
                .nullable(),
            FieldSpec::new("program", FieldType::Text)
                .filter(Ops::STRING)
                .text(100),
            FieldSpec::new("admission_date", FieldType::Date)
                .filter(Ops::ORDERED)
                .order(),
            FieldSpec::new("year_of_study", FieldType::Int)
                .filter(Ops::ORDERED)
                .order()
                .range(1, 5),
            FieldSpec::new("semester", FieldType::Int)
                .filter(Ops::ORDERED)
                .range(1, 10),
            FieldSpec::new("section", FieldType::Choice(SECTIONS)).filter(Ops::EXACT),
            FieldSpec::new("status", FieldType::Choice(StudentStatus::ALL)).filter(Ops::EXACT),
            FieldSpec::new("custom_fields", FieldType::Object),
        ],
    ]),
    search: &[
        "roll_number",
        PERSON_SEARCH[0],
        PERSON_SEARCH[1],
        PERSON_SEARCH[2],
        PERSON_SEARCH[3],
    ],
    natural_key: Some("roll_number"),
    stats: &["status", "gender", "year_of_study", "department_id"],
    relations: DEPARTMENT_MEMBERSHIP,
    embedded_in: &[],
    writable: &[
        PERSON_FIELDS,
        &[
            "roll_number",
            "department_id",
            "program",
            "admission_date",
            "year_of_study",
            "semester",
            "section",
            "status",
            "custom_fields",
        ],
    ],
    required: &[
        PERSON_REQUIRED,
        &["roll_number", "program", "admission_date"],
    ],
    read_only: PERSON_READ_ONLY,
});

impl Entity for Student {
    type Create = StudentInput;
    const KIND: EntityKind = EntityKind::STUDENT;

    fn schema() -> &'static Schema {
        &SCHEMA
    }

    meta_accessors!();

    fn from_input(input: StudentInput, meta: RecordMeta, actor: &str) -> Self {
        let mut student = Student {
            meta,
            person: input.person.clone(),
            roll_number: String::new(),
            department_id: None,
            department: None,
            program: String::new(),
            admission_date: input.admission_date,
            year_of_study: 1,
            semester: 1,
            section: String::new(),
            status: StudentStatus::Active,
            custom_fields: Map::new(),
            audit: Audit::created(actor),
        };
        student.apply_input(input, actor);
        student
    }

    fn to_input(&self) -> StudentInput {
        StudentInput {
            person: self.person.clone(),
            roll_number: self.roll_number.clone(),
            department_id: self.department_id,
            program: self.program.clone(),
            admission_date: self.admission_date,
            year_of_study: self.year_of_study,
            semester: self.semester,
            section: self.section.clone(),
            status: self.status,
            custom_fields: self.custom_fields.clone(),
        }
    }

    fn apply_input(&mut self, input: StudentInput, actor: &str) {
        self.person = input.person;
        self.person.normalize();
        self.roll_number = input.roll_number.trim().to_owned();
        if self.department_id != input.department_id {
            self.department = None;
        }
        self.department_id = input.department_id;
        self.program = input.program.trim().to_owned();
        self.admission_date = input.admission_date;
        self.year_of_study = input.year_of_study;
        self.semester = input.semester;
        self.section = input.section;
        self.status = input.status;
        self.custom_fields = input.custom_fields;
        self.audit.written(actor);
    }

    /// Lengths, ranges and the section are declared on the schema's fields and checked with
    /// the body; what is left is the person block's date rule.
    fn validate(&self, errors: &mut ValidationErrors) {
        self.person.validate(errors);
    }

    fn field(&self, name: &str) -> Option<Scalar> {
        if let Some(value) = self.meta.field(name).or_else(|| self.person.field(name)) {
            return value;
        }
        match name {
            "roll_number" => Some(Scalar::Text(self.roll_number.clone())),
            "department_id" => self.department_id.map(Scalar::Uuid),
            "program" => Some(Scalar::Text(self.program.clone())),
            "admission_date" => Some(Scalar::Date(self.admission_date)),
            "year_of_study" => Some(Scalar::Int(self.year_of_study.into())),
            "semester" => Some(Scalar::Int(self.semester.into())),
            "section" => Some(Scalar::Text(self.section.clone())),
            "status" => Some(Scalar::Text(self.status.as_str().to_owned())),
            _ => None,
        }
    }

    custom_field_accessors!();

    fn natural_key(&self) -> Option<String> {
        Some(self.roll_number.clone())
    }

    fn unique_values(&self) -> Vec<(&'static str, String)> {
        self.person
            .unique_values(("roll_number", self.roll_number.clone()))
    }

    department_member!();
}
