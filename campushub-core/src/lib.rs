//! # campushub-core
//!
//! Storage-agnostic domain types and traits for university ERP back ends: record metadata,
//! entities (departments, students, faculty) sharing a person block, one custom-field system
//! for every kind, typed list queries, repository and service ("viewset") traits, change
//! events with cache-invalidation hooks, and authorization.
//!
//! This crate does no I/O and depends on no runtime, database or HTTP crate; the adapters
//! (`campushub-sqlx`, `campushub-cache`, `campushub-http`) plug into its traits.
//!
//! ## Features
//!
//! | feature | what it adds |
//! |---|---|
//! | `memory` | [`memory`]: a thread-safe in-memory repository for tests and examples |
//! | `conformance` | `conformance`: the repository behaviour suite every store runs |

pub mod auth;
pub mod cache;
pub mod consistency;
pub mod custom_fields;
pub mod entities;
pub mod entity;
pub mod error;
pub mod event;
pub mod kind;
pub mod meta;
pub mod query;
pub mod repository;
pub mod schema;
pub mod service;
pub mod value;

#[cfg(feature = "memory")]
pub mod memory;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use auth::{Action, Policy, Principal, Role, RolePolicy};
pub use cache::{Cache, CacheKey, CachedValue, FillTicket, NoCache};
pub use consistency::ConsistencyToken;
pub use custom_fields::{CustomFieldDef, CustomFieldInput, CustomFieldType};
pub use entities::{Department, DepartmentInput, Faculty, FacultyInput, Student, StudentInput};
pub use entity::{DepartmentSummary, Entity, Reference};
pub use error::{Error, Result, ValidationErrors};
pub use event::{ChangeEvent, ChangeHook, ChangeOp};
pub use kind::EntityKind;
pub use meta::RecordMeta;
pub use query::{ListQuery, Page};
pub use repository::{ReadOptions, ReadRoute, Repository, Written};
pub use schema::{FieldSpec, FieldType, Schema};
pub use service::EntityService;
pub use value::Scalar;
