//! `MemoryStore` specifics beyond the conformance suite: shared handles, the commit counter,
//! and use from many threads.
#![cfg(feature = "conformance")]

use std::sync::Arc;

use campushub_core::conformance::data::{create, department_input, student_input};
use campushub_core::memory::MemoryStore;
use campushub_core::{Department, ReadOptions, Repository, Student};

#[tokio::test]
async fn clones_and_repositories_share_one_store() {
    let store = MemoryStore::new();
    let departments = store.clone().repository::<Department>();
    let cse: Department = create(department_input("CSE", "Computing"));
    departments.insert(&cse).await.unwrap();
    let again = store.repository::<Department>();
    assert!(again
        .get(cse.meta.id, &ReadOptions::default())
        .await
        .unwrap()
        .is_some());
    assert_eq!(store.token().position(), 1);
}

#[tokio::test]
async fn reads_return_copies() {
    let store = MemoryStore::new();
    let students = store.repository::<Student>();
    let student: Student = create(student_input("R1"));
    students.insert(&student).await.unwrap();
    let mut read = students
        .get(student.meta.id, &ReadOptions::default())
        .await
        .unwrap()
        .unwrap();
    read.roll_number = "CHANGED".into();
    let again = students
        .get(student.meta.id, &ReadOptions::default())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.roll_number, "R1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_inserts_all_commit_with_distinct_tokens() {
    let store = MemoryStore::new();
    let students = Arc::new(store.repository::<Student>());
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let students = Arc::clone(&students);
            tokio::spawn(async move {
                let student: Student = create(student_input(&format!("R{i}")));
                students.insert(&student).await.unwrap().token.unwrap()
            })
        })
        .collect();
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await.unwrap());
    }
    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens.len(), 40);
    assert_eq!(store.token().position(), 40);
}
