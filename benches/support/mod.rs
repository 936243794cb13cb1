//! Fixtures shared by the benches: a runtime, a timing loop, and in-memory services seeded
//! with students (optionally behind a cache).
//!
//! Each bench binary includes this module with `mod support;`; a bench uses only part of it.
#![allow(dead_code)]

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use campushub::core::memory::MemoryStore;
use campushub::core::{
    Cache, CustomFieldDef, Department, Entity, EntityService, Faculty, Principal, Repository, Role,
    Student,
};
use serde_json::json;
use uuid::Uuid;

/// Students seeded by [`Campus::seed`].
pub const STUDENTS: usize = 1_000;

/// A Tokio runtime with one worker (the benches run one request at a time).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Times `iters` sequential runs of `op` inside the runtime.
pub fn timed<F, Fut>(rt: &tokio::runtime::Runtime, iters: u64, mut op: F) -> Duration
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = ()>,
{
    rt.block_on(async {
        let start = Instant::now();
        for i in 0..iters {
            op(i).await;
        }
        start.elapsed()
    })
}

/// The caller of every bench: an admin.
pub fn admin() -> Principal {
    Principal::new("bench", [Role::ADMIN])
}

/// The four entity services over one in-memory store, sharing `cache`, and the ids of the
/// seeded students.
pub struct Campus {
    /// Departments.
    pub departments: EntityService<Department>,
    /// Students.
    pub students: EntityService<Student>,
    /// Faculty.
    pub faculty: EntityService<Faculty>,
    /// Custom-field definitions.
    pub custom_fields: EntityService<CustomFieldDef>,
    /// The seeded students' ids, in creation order.
    pub student_ids: Vec<Uuid>,
}

impl Campus {
    /// Services over a fresh store behind `cache`, with one department and [`STUDENTS`]
    /// students created through the service.
    pub async fn seed(cache: Arc<dyn Cache>) -> Campus {
        let store = MemoryStore::new();
        let definitions: Arc<dyn Repository<CustomFieldDef>> =
            Arc::new(store.repository::<CustomFieldDef>());
        let departments = service::<Department>(&store, &definitions, &cache);
        let students = service::<Student>(&store, &definitions, &cache);
        let faculty = service::<Faculty>(&store, &definitions, &cache);
        let custom_fields = EntityService::builder(Arc::clone(&definitions))
            .cache(Arc::clone(&cache))
            .build();
        let admin = admin();
        let department = departments
            .create_json(&admin, json!({"code": "CSE", "name": "Computer Science"}))
            .await
            .expect("a department");
        let department_id = department.record.meta().id.to_string();
        let mut student_ids = Vec::with_capacity(STUDENTS);
        for n in 0..STUDENTS {
            let body = json!({
                "first_name": "Asha", "last_name": format!("Rao {n}"), "gender": "F",
                "date_of_birth": "2004-05-06", "roll_number": format!("CS{n:05}"),
                "department_id": department_id, "program": "B.Tech",
                "admission_date": "2022-08-01", "email": format!("s{n}@uni.example"),
            });
            let saved = students.create_json(&admin, body).await.expect("a student");
            student_ids.push(saved.record.meta().id);
        }
        Campus {
            departments,
            students,
            faculty,
            custom_fields,
            student_ids,
        }
    }
}

fn service<E: Entity>(
    store: &MemoryStore,
    definitions: &Arc<dyn Repository<CustomFieldDef>>,
    cache: &Arc<dyn Cache>,
) -> EntityService<E> {
    EntityService::builder(Arc::new(store.repository::<E>()))
        .custom_fields(Arc::clone(definitions))
        .cache(Arc::clone(cache))
        .build()
}
