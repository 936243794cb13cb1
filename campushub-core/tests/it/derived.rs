//! The conformance cases of a derived kind (`#[derive(Entity)]`) against the in-memory store.
#![cfg(feature = "conformance")]

use std::sync::Arc;

use campushub_core::conformance::derived::DerivedFixture;
use campushub_core::memory::MemoryStore;
use campushub_core::{Audit, Department, Embedded, RecordMeta};
use campushub_derive::Entity;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// The course of `examples/custom_entity.rs`, derived against this crate.
#[derive(Debug, Clone, Serialize, Deserialize, Entity)]
#[entity(kind = "course", table = "courses", core = campushub_core)]
pub struct Course {
    #[serde(flatten)]
    meta: RecordMeta,
    #[field(filter, order, search, natural_key, text = 20)]
    code: String,
    #[field(filter = "eq", search, text = 200)]
    title: String,
    #[field(filter, references = Department)]
    department_id: Option<Uuid>,
    #[field(filter, order, stats, range(1, 12))]
    credits: i64,
    #[field(embed(from = department_id, fields(code, name)))]
    department: Option<Embedded>,
    #[serde(default)]
    custom_fields: Map<String, Value>,
    #[serde(flatten)]
    audit: Audit,
}

async fn fixture() -> DerivedFixture<Course> {
    let store = MemoryStore::new();
    DerivedFixture {
        courses: Arc::new(store.repository()),
        departments: Arc::new(store.repository()),
    }
}

campushub_core::derived_kind_suite!(crate::derived::Course, crate::derived::fixture());
