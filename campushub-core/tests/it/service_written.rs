//! What a write answers: the record as a read of the version written returns it, byte for
//! byte, embedded summaries included; and when a newer version was committed before it could
//! be read back, the version written with the summaries it shares with the newer one.
#![cfg(feature = "memory")]

use std::sync::Arc;

use campushub_core::memory::MemoryStore;
use campushub_core::{Department, Entity, EntityService, ReadOptions, Student};
use serde_json::{json, Map, Value};

use crate::support::racing::Racing;
use crate::support::service::{admin, department_body, student_body, with, Campus};

fn patch(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("a patch is an object: {other}"),
    }
}

/// The JSON a retrieve of student `record`'s id answers, as bytes.
async fn read_bytes(students: &EntityService<Student>, record: &Student) -> Vec<u8> {
    let fetched = students
        .retrieve(&admin(), record.meta().id, &ReadOptions::default())
        .await
        .expect("readable");
    assert_eq!(fetched.version(), record.meta().version, "the same version");
    fetched.json().to_vec()
}

#[tokio::test]
async fn creates_and_updates_answer_the_bytes_a_read_answers() {
    let campus = Campus::new();
    let cse = campus.department("CSE").await;
    let body = with(student_body("R1"), "department_id", json!(cse.meta.id));
    let created = campus
        .students
        .create_json(&admin(), body)
        .await
        .expect("created");
    let summary = created.record.department.as_ref().map(|d| d.code.as_str());
    assert_eq!(summary, Some("CSE"), "the department is embedded");
    let answered = serde_json::to_vec(&created.record).expect("serializes");
    assert_eq!(
        String::from_utf8_lossy(&answered),
        String::from_utf8_lossy(&read_bytes(&campus.students, &created.record).await)
    );

    let ece = campus.department("ECE").await;
    let moved = campus
        .students
        .partial_update(
            &admin(),
            created.record.meta.id,
            patch(json!({"department_id": ece.meta.id})),
            None,
        )
        .await
        .expect("moved");
    let summary = moved.record.department.as_ref().map(|d| d.code.as_str());
    assert_eq!(summary, Some("ECE"), "the new department is embedded");
    let answered = serde_json::to_vec(&moved.record).expect("serializes");
    assert_eq!(
        String::from_utf8_lossy(&answered),
        String::from_utf8_lossy(&read_bytes(&campus.students, &moved.record).await)
    );

    let department = campus
        .departments
        .update_json(&admin(), ece.meta.id, department_body("ECE"), None)
        .await
        .expect("replaced");
    let read = campus
        .departments
        .retrieve(&admin(), ece.meta.id, &ReadOptions::default())
        .await
        .expect("readable");
    assert_eq!(
        serde_json::to_vec(&department.record).expect("serializes"),
        read.json().to_vec()
    );
}

#[tokio::test]
async fn a_write_overtaken_before_its_read_back_keeps_its_version_and_the_summary() {
    let store = MemoryStore::new();
    let departments = EntityService::builder(Arc::new(store.repository::<Department>())).build();
    let department = |code: &'static str| {
        let departments = departments.clone();
        async move {
            let created = departments
                .create_json(&admin(), department_body(code))
                .await;
            created.expect("department").record.meta.id
        }
    };
    let (cse, ece) = (department("CSE").await, department("ECE").await);
    // The rival commits version 3 right after our version 2.
    let racing = Arc::new(Racing::new(store.repository(), 0, 1));
    let students = EntityService::builder(racing).without_audit().build();
    let body = with(student_body("R1"), "department_id", json!(cse));
    let created = students.create_json(&admin(), body).await.expect("created");
    let written = students
        .partial_update(
            &admin(),
            created.record.meta.id,
            patch(json!({"department_id": ece})),
            None,
        )
        .await
        .expect("written");
    assert_eq!(
        written.record.meta.version, 2,
        "our version, not the rival's"
    );
    assert_eq!(written.record.program, "B.Tech", "not the rival's value");
    // Built in memory, version 2 knew only the department's id; version 3 references the
    // same department, so its summary is the one version 2 has.
    let summary = written.record.department.as_ref().map(|d| d.code.as_str());
    assert_eq!(summary, Some("ECE"), "the summary both versions share");
}
