//! Fixtures for the service's unit tests.

use chrono::NaiveDate;

use crate::entities::{Gender, Person, StudentInput, StudentStatus};
use crate::entity::Entity;
use crate::meta::RecordMeta;
use crate::Student;

/// A valid student input with roll number `roll`.
pub(crate) fn student_input(roll: &str) -> StudentInput {
    StudentInput {
        person: Person {
            first_name: "Asha".to_owned(),
            middle_name: None,
            last_name: "Rao".to_owned(),
            date_of_birth: NaiveDate::from_ymd_opt(2004, 5, 6).unwrap_or_default(),
            gender: Gender::Female,
            email: None,
            mobile: None,
            address_line1: None,
            address_line2: None,
            city: None,
            state: None,
            postal_code: None,
            country: None,
        },
        roll_number: roll.to_owned(),
        department_id: None,
        program: "B.Tech".to_owned(),
        admission_date: NaiveDate::from_ymd_opt(2022, 8, 1).unwrap_or_default(),
        year_of_study: 1,
        semester: 1,
        section: "A".to_owned(),
        status: StudentStatus::Active,
        custom_fields: Default::default(),
    }
}

/// A valid, unsaved student with roll number `roll`.
pub(crate) fn student(roll: &str) -> Student {
    Student::from_input(student_input(roll), RecordMeta::new(), "tester")
}
