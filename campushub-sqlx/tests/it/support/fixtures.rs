//! Entity fixtures built through the entities' own input path.

use campushub_core::{Department, Entity, Faculty, RecordMeta, Student};
use serde_json::{json, Value};
use uuid::Uuid;

/// A record of `E` from its JSON create input.
pub fn make<E: Entity>(input: Value) -> E {
    let input: E::Create = serde_json::from_value(input).expect("a valid create input");
    E::from_input(input, RecordMeta::new(), "tester")
}

/// A department with code `code`.
pub fn department(code: &str) -> Department {
    make(json!({ "code": code, "name": format!("Department {code}") }))
}

/// A student with roll number `roll` in `department`, with extra JSON fields merged in.
pub fn student(roll: &str, department: Option<Uuid>, extra: Value) -> Student {
    let mut input = json!({
        "first_name": "Ada",
        "last_name": "Lovelace",
        "date_of_birth": "2003-04-05",
        "gender": "F",
        "email": format!("{}@uni.test", roll.to_lowercase()),
        "roll_number": roll,
        "department_id": department,
        "program": "B.Tech",
        "admission_date": "2022-08-01",
    });
    if let (Some(input), Value::Object(extra)) = (input.as_object_mut(), extra) {
        input.extend(extra);
    }
    make(input)
}

/// A faculty member with employee id `id` in `department`.
pub fn faculty(id: &str, department: Option<Uuid>) -> Faculty {
    make(json!({
        "first_name": "Alan",
        "last_name": "Turing",
        "date_of_birth": "1970-06-23",
        "gender": "M",
        "email": format!("{}@staff.test", id.to_lowercase()),
        "employee_id": id,
        "department_id": department,
        "designation": "PROFESSOR",
        "qualification": "PhD",
        "date_of_joining": "2001-01-01",
    }))
}

/// A conformance fixture over a fresh in-memory SQLite database.
pub async fn sqlite_fixture() -> campushub_core::conformance::Fixture {
    fixture(campushub_sqlx::SqliteStore::memory().await.expect("sqlite"))
}

/// A conformance fixture over a fresh Postgres database, through a router without replicas;
/// the database is dropped with the fixture's last repository.
pub async fn pg_fixture() -> campushub_core::conformance::Fixture {
    let db = std::sync::Arc::new(super::pgdb::TestDb::shared().await);
    let router = db.primary_router().await;
    let mut fixture = fixture(router);
    fixture.departments =
        std::sync::Arc::new(super::keep::Keep::new(fixture.departments, db.clone()));
    fixture.students = std::sync::Arc::new(super::keep::Keep::new(fixture.students, db.clone()));
    fixture.faculty = std::sync::Arc::new(super::keep::Keep::new(fixture.faculty, db.clone()));
    fixture.custom_fields =
        std::sync::Arc::new(super::keep::Keep::new(fixture.custom_fields, db.clone()));
    fixture.users = std::sync::Arc::new(super::keep::Keep::new(fixture.users, db));
    fixture
}

fn fixture<B: campushub_sqlx::Backend>(backend: B) -> campushub_core::conformance::Fixture {
    use std::sync::Arc;

    use campushub_sqlx::SqlRepository;
    campushub_core::conformance::Fixture {
        departments: Arc::new(SqlRepository::new(backend.clone())),
        students: Arc::new(SqlRepository::new(backend.clone())),
        faculty: Arc::new(SqlRepository::new(backend.clone())),
        custom_fields: Arc::new(SqlRepository::new(backend.clone())),
        users: Arc::new(SqlRepository::new(backend.clone())),
        accounts: Arc::new(campushub_sqlx::SqlAccounts::new(backend.clone())),
        audit: Arc::new(campushub_sqlx::SqlAuditLog::new(backend)),
    }
}
