//! Building valid records for the conformance cases (and for tests): inputs with sensible
//! defaults that a case adjusts, and metadata helpers.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Map;

use crate::custom_fields::{CustomFieldDef, CustomFieldInput, CustomFieldType};
use crate::entities::{
    DepartmentCategory, DepartmentInput, DepartmentStatus, Designation, EmploymentType,
    FacultyInput, FacultyStatus, Gender, Person, Student, StudentInput, StudentStatus,
};
use crate::entity::Entity;
use crate::kind::EntityKind;
use crate::meta::RecordMeta;

/// The principal subject the cases write as.
pub const ACTOR: &str = "conformance";

/// A new record from `input`, with fresh metadata.
pub fn create<E: Entity>(input: E::Create) -> E {
    E::from_input(input, RecordMeta::new(), ACTOR)
}

/// `entity` with its creation and update time set to `at` (ordering and date-time filters
/// need known instants).
pub fn created_at<E: Entity>(mut entity: E, at: DateTime<Utc>) -> E {
    let meta = entity.meta_mut();
    meta.created_at = at;
    meta.updated_at = at;
    entity
}

/// A calendar date; out-of-range parts give 2000-01-01.
pub fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

/// An academic department with `code` and `name`.
pub fn department_input(code: &str, name: &str) -> DepartmentInput {
    DepartmentInput {
        code: code.to_owned(),
        name: name.to_owned(),
        kind: DepartmentCategory::Academic,
        parent_id: None,
        head_id: None,
        email: None,
        phone: None,
        status: DepartmentStatus::Active,
        custom_fields: Map::new(),
    }
}

/// A person named `first_name last_name`, born 2004-01-15, male, without contact details.
pub fn person(first_name: &str, last_name: &str) -> Person {
    Person {
        first_name: first_name.to_owned(),
        middle_name: None,
        last_name: last_name.to_owned(),
        date_of_birth: date(2004, 1, 15),
        gender: Gender::Male,
        email: None,
        mobile: None,
        address_line1: None,
        address_line2: None,
        city: None,
        state: None,
        postal_code: None,
        country: None,
    }
}

/// An active first-year student with roll number `roll_number`, named `Student <roll>`.
pub fn student_input(roll_number: &str) -> StudentInput {
    StudentInput {
        person: person("Student", roll_number),
        roll_number: roll_number.to_owned(),
        department_id: None,
        program: "B.Tech".to_owned(),
        admission_date: date(2022, 8, 1),
        year_of_study: 1,
        semester: 1,
        section: "A".to_owned(),
        status: StudentStatus::Active,
        custom_fields: Map::new(),
    }
}

/// An active first-year student with roll number `roll_number`, named `first_name
/// last_name`.
pub fn named_student(roll_number: &str, first_name: &str, last_name: &str) -> Student {
    let mut student = create::<Student>(student_input(roll_number));
    student.person = person(first_name, last_name);
    student
}

/// An active full-time lecturer with employee id `employee_id`, named `Teacher <id>`.
pub fn faculty_input(employee_id: &str) -> FacultyInput {
    FacultyInput {
        person: person("Teacher", employee_id),
        employee_id: employee_id.to_owned(),
        department_id: None,
        designation: Designation::Lecturer,
        qualification: "PhD".to_owned(),
        specialization: None,
        date_of_joining: date(2015, 7, 1),
        employment_type: EmploymentType::FullTime,
        status: FacultyStatus::Active,
        custom_fields: Map::new(),
    }
}

/// An active, optional custom field `name` of `field_type` for `entity`, with `choices`.
pub fn custom_field_input(
    entity: EntityKind,
    name: &str,
    field_type: CustomFieldType,
    choices: &[&str],
) -> CustomFieldInput {
    CustomFieldInput {
        entity: entity.as_str().to_owned(),
        name: name.to_owned(),
        label: String::new(),
        field_type,
        required: false,
        help_text: String::new(),
        default_value: None,
        choices: choices.iter().map(|c| (*c).to_owned()).collect(),
        validation_regex: None,
        min_value: None,
        max_value: None,
        is_active: true,
        sensitive: false,
        order: 0,
    }
}

/// The student custom fields the filter cases use: `nickname` (text), `credits` (number),
/// `hostel` (boolean), `blood_group` (select), `clubs` (multiselect), `scholarship_on` (date).
pub fn student_custom_fields() -> Vec<CustomFieldDef> {
    use CustomFieldType as T;
    [
        ("nickname", T::Text, &[][..]),
        ("credits", T::Number, &[]),
        ("hostel", T::Boolean, &[]),
        ("blood_group", T::Select, &["A+", "B+", "O+", "AB-"]),
        ("clubs", T::Multiselect, &["chess", "music", "drama"]),
        ("scholarship_on", T::Date, &[]),
    ]
    .into_iter()
    .map(|(name, ty, choices)| create(custom_field_input(EntityKind::STUDENT, name, ty, choices)))
    .collect()
}
