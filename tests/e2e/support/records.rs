//! Records the scenarios create through the API.

use serde_json::{json, Value};

use super::client::{Http, Reply};

/// Creates a department `code` and returns its JSON.
pub async fn department(http: &Http, code: &str) -> Value {
    http.create(
        "/api/v1/departments",
        json!({"code": code, "name": format!("Department {code}")}),
    )
    .await
    .json()
}

/// Creates a student `roll` in `department` and returns the `201` reply (ETag, token).
pub async fn student(http: &Http, department: &Value, roll: &str) -> Reply {
    http.create("/api/v1/students", student_body(&department["id"], roll))
        .await
}

/// The create body of a student `roll` in the department whose id is `department_id`.
pub fn student_body(department_id: &Value, roll: &str) -> Value {
    json!({
        "first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "2004-12-10",
        "gender": "F", "roll_number": roll, "department_id": department_id,
        "program": "B.Sc", "admission_date": "2023-08-01", "year_of_study": 2,
    })
}

/// The `id` of a record's JSON.
pub fn id(record: &Value) -> String {
    record["id"]
        .as_str()
        .expect("the record has an id")
        .to_owned()
}
