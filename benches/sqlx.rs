//! SQLite repository benchmarks: retrieve by id and a 50-row list page over 1,000 seeded
//! students (in-memory database, seeded in setup).
//!
//! Run with `cargo bench --bench sqlx --features sqlx`.

use campushub_core::BatchMode;
use std::hint::black_box;

use campushub::core::{
    Department, Entity, ListQuery, ReadOptions, RecordMeta, Repository, Student,
};
use campushub::sqlx::{SqliteRepository, SqliteStore};
use criterion::{criterion_main, Criterion};
use serde_json::json;

fn make<E: Entity>(input: serde_json::Value) -> E {
    let input: E::Create = serde_json::from_value(input).expect("a valid input");
    E::from_input(input, RecordMeta::new(), "bench")
}

/// An in-memory store with 10 departments and 1,000 students; returns the students.
async fn seed(store: &SqliteStore) -> Vec<Student> {
    let departments: Vec<Department> = (0..10)
        .map(|i| make(json!({ "code": format!("D{i}"), "name": format!("Department {i}") })))
        .collect();
    SqliteRepository::<Department>::new(store.clone())
        .insert_many(&departments, BatchMode::AllOrNothing)
        .await
        .expect("seed departments");
    let students: Vec<Student> = (0..1_000)
        .map(|i| {
            make(json!({
                "first_name": format!("First{i}"), "last_name": format!("Last{i}"),
                "date_of_birth": "2003-04-05", "gender": "F",
                "roll_number": format!("R{i:05}"), "email": format!("r{i}@uni.test"),
                "department_id": departments[i % 10].meta.id,
                "program": "B.Tech", "admission_date": "2022-08-01",
            }))
        })
        .collect();
    SqliteRepository::<Student>::new(store.clone())
        .insert_many(&students, BatchMode::AllOrNothing)
        .await
        .expect("seed students");
    students
}

fn sqlite(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let store = runtime.block_on(SqliteStore::memory()).expect("sqlite");
    let students = runtime.block_on(seed(&store));
    let repo = SqliteRepository::<Student>::new(store);
    let read = ReadOptions::default();

    let mut next = 0;
    c.bench_function("sqlite/retrieve_by_id", |b| {
        b.iter(|| {
            next = (next + 7) % students.len();
            let found = runtime.block_on(repo.get(students[next].meta.id, &read));
            black_box(found.expect("get").expect("found"))
        })
    });

    let query = ListQuery::new(Student::schema());
    c.bench_function("sqlite/list_page_50", |b| {
        b.iter(|| {
            let page = runtime.block_on(repo.list(&query, &read)).expect("list");
            assert_eq!(page.len(), 51);
            black_box(page)
        })
    });
}

/// The criterion group (its generated function is undocumented).
mod group {
    #![allow(missing_docs)]
    criterion::criterion_group!(benches, super::sqlite);
}

criterion_main!(group::benches);
