//! Shared fixtures of the service tests: a campus of services over one memory store, a map
//! cache that counts loads, a hook that records events, principals and request bodies.
#![cfg(feature = "memory")]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use campushub_core::cache::Loader;
use campushub_core::memory::MemoryStore;
use campushub_core::service::WrittenRecord;
use campushub_core::service::{DepartmentHierarchy, KnownKinds};
use campushub_core::{
    Cache, CacheKey, CachedValue, ChangeEvent, ChangeHook, ConsistencyToken, CustomFieldDef,
    Department, EntityService, Faculty, FillTicket, Principal, Result, Role, Student,
};
use serde_json::{json, Value};
use uuid::Uuid;

/// A cache in a map: hits serve the stored value, misses run the loader once and keep its
/// value; an invalidation drops the record and every list and statistics entry of the kinds
/// concerned. Counts loads and hits.
#[derive(Default)]
pub struct MapCache {
    entries: Mutex<HashMap<CacheKey, CachedValue>>,
    counts: Mutex<(usize, usize)>,
}

impl MapCache {
    /// Loader runs so far.
    pub fn loads(&self) -> usize {
        lock(&self.counts).0
    }

    /// Hits so far.
    pub fn hits(&self) -> usize {
        lock(&self.counts).1
    }

    /// Whether `key` is cached.
    pub fn holds(&self, key: &CacheKey) -> bool {
        lock(&self.entries).contains_key(key)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[async_trait]
impl Cache for MapCache {
    async fn get_or_load(
        &self,
        key: &CacheKey,
        need: Option<ConsistencyToken>,
        load: Loader<'_>,
    ) -> Result<Option<CachedValue>> {
        // A hit answers only a read that needs no later position than the entry's.
        let held = lock(&self.entries).get(key).cloned();
        if let Some(value) = held.filter(|value| value.token >= need) {
            lock(&self.counts).1 += 1;
            return Ok(Some(value));
        }
        lock(&self.counts).0 += 1;
        let ticket = FillTicket {
            min_token: need,
            stamp: 0,
        };
        let loaded = load(ticket).await?;
        if let Some(value) = &loaded {
            let read_at = value.token.max(need);
            lock(&self.entries).insert(key.clone(), value.clone().with_token(read_at));
        }
        Ok(loaded)
    }

    async fn invalidate(&self, event: &ChangeEvent) {
        lock(&self.entries).retain(|key, _| match key {
            CacheKey::Entity { kind, id } => !(*kind == event.kind && *id == event.id),
            other => other.kind() != event.kind && !event.embedded_in.contains(&other.kind()),
        });
    }
}

/// A hook that records every event it is told about.
#[derive(Default)]
pub struct Recorder {
    events: Mutex<Vec<ChangeEvent>>,
}

impl Recorder {
    /// The events so far.
    pub fn events(&self) -> Vec<ChangeEvent> {
        lock(&self.events).clone()
    }

    /// Forgets the events so far.
    pub fn clear(&self) {
        lock(&self.events).clear();
    }
}

#[async_trait]
impl ChangeHook for Recorder {
    async fn on_change(&self, event: &ChangeEvent) {
        lock(&self.events).push(event.clone());
    }
}

/// Services for the built-in kinds over one memory store, sharing a cache and a recorder.
pub struct Campus {
    pub store: MemoryStore,
    pub cache: Arc<MapCache>,
    pub events: Arc<Recorder>,
    pub departments: EntityService<Department>,
    pub students: EntityService<Student>,
    pub faculty: EntityService<Faculty>,
    pub definitions: EntityService<CustomFieldDef>,
}

impl Campus {
    /// A fresh, empty campus.
    pub fn new() -> Self {
        let store = MemoryStore::new();
        let cache = Arc::new(MapCache::default());
        let events = Arc::new(Recorder::default());
        let definitions_repo = Arc::new(store.repository::<CustomFieldDef>());
        let departments_repo = Arc::new(store.repository::<Department>());
        let departments = EntityService::builder(departments_repo.clone())
            .custom_fields(definitions_repo.clone())
            .cache(cache.clone())
            .hook(events.clone())
            .rules(Arc::new(DepartmentHierarchy::new(departments_repo)))
            .cursor_key("test")
            .build();
        let students = EntityService::builder(Arc::new(store.repository::<Student>()))
            .custom_fields(definitions_repo.clone())
            .cache(cache.clone())
            .hook(events.clone())
            .cursor_key("test")
            .build();
        let faculty = EntityService::builder(Arc::new(store.repository::<Faculty>()))
            .custom_fields(definitions_repo.clone())
            .cache(cache.clone())
            .hook(events.clone())
            .cursor_key("test")
            .build();
        let definitions = EntityService::builder(definitions_repo)
            .cache(cache.clone())
            .hook(events.clone())
            .rules(Arc::new(KnownKinds::default()))
            .cursor_key("test")
            .build();
        Campus {
            store,
            cache,
            events,
            departments,
            students,
            faculty,
            definitions,
        }
    }

    /// Creates a department as admin.
    pub async fn department(&self, code: &str) -> Department {
        let saved = self
            .departments
            .create_json(&admin(), department_body(code))
            .await;
        saved.expect("department created").record
    }

    /// Creates a student as admin.
    pub async fn student(&self, roll: &str) -> Student {
        self.student_from(student_body(roll)).await
    }

    /// Creates a student from `body` as admin.
    pub async fn student_from(&self, body: Value) -> Student {
        let saved = self.students.create_json(&admin(), body).await;
        saved.expect("student created").record
    }

    /// Applies the merge patch `patch` (an object) to student `id` as admin.
    pub async fn patch_student(&self, id: Uuid, patch: Value) -> Result<WrittenRecord<Student>> {
        let Value::Object(patch) = patch else {
            panic!("a patch is an object: {patch}");
        };
        self.students
            .partial_update(&admin(), id, patch, None)
            .await
    }

    /// Creates a custom-field definition as admin.
    pub async fn define(&self, body: Value) -> CustomFieldDef {
        let saved = self.definitions.create_json(&admin(), body).await;
        saved.expect("definition created").record
    }
}

/// A principal holding `role`.
pub fn with_role(role: Role) -> Principal {
    Principal::new(format!("{role}-user"), [role])
}

/// An administrator.
pub fn admin() -> Principal {
    with_role(Role::ADMIN)
}

/// A registrar.
pub fn registrar() -> Principal {
    with_role(Role::REGISTRAR)
}

/// A department body with `code`, named after it.
pub fn department_body(code: &str) -> Value {
    json!({"code": code, "name": format!("Department {code}")})
}

/// A student body with roll number `roll`.
pub fn student_body(roll: &str) -> Value {
    json!({
        "first_name": "Asha", "last_name": format!("Rao {roll}"), "date_of_birth": "2004-05-06",
        "gender": "F", "roll_number": roll, "program": "B.Tech", "admission_date": "2022-08-01"
    })
}

/// A faculty body with employee id `id`.
pub fn faculty_body(id: &str) -> Value {
    json!({
        "first_name": "Ravi", "last_name": format!("Iyer {id}"), "date_of_birth": "1980-01-02",
        "gender": "M", "employee_id": id, "designation": "PROFESSOR",
        "qualification": "PhD", "date_of_joining": "2010-07-01"
    })
}

/// A custom-field definition body for `entity`, named `name`, of `field_type`.
pub fn definition_body(entity: &str, name: &str, field_type: &str) -> Value {
    json!({"entity": entity, "name": name, "field_type": field_type})
}

/// `body` with `key` set to `value`.
pub fn with(mut body: Value, key: &str, value: Value) -> Value {
    body[key] = value;
    body
}
