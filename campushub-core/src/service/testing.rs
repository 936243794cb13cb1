//! Fixtures for the service's unit tests.

use crate::entities::StudentInput;
use crate::entity::Entity;
use crate::meta::RecordMeta;
use crate::Student;

/// A valid student input with roll number `roll` (the input's defaults fill the rest).
pub(crate) fn student_input(roll: &str) -> StudentInput {
    let body = serde_json::json!({
        "first_name": "Asha", "last_name": "Rao", "date_of_birth": "2004-05-06",
        "gender": "F", "roll_number": roll, "program": "B.Tech", "admission_date": "2022-08-01",
    });
    serde_json::from_value(body).expect("a valid student input")
}

/// A valid, unsaved student with roll number `roll`.
pub(crate) fn student(roll: &str) -> Student {
    Student::from_input(student_input(roll), RecordMeta::new(), "tester")
}
