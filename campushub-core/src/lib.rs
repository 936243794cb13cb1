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
//! ## Example
//!
//! Raw list parameters become a typed query checked against the kind's schema, a mistake
//! names the parameter at fault, and the default policy says who may do what:
//!
//! ```
//! use campushub_core::query::{CursorCodec, ListQuery, Op};
//! use campushub_core::{Action, Entity, EntityKind, Policy, Principal, Role, RolePolicy, Student};
//!
//! let cursors = CursorCodec::new(b"a key shared by every instance");
//! let params = [
//!     ("year_of_study__gte", "2"),
//!     ("status__in", "ACTIVE,SUSPENDED"),
//!     ("ordering", "-admission_date,last_name"),
//!     ("page_size", "20"),
//! ];
//! let query = ListQuery::parse(Student::schema(), params, &[], &cursors)?;
//! assert_eq!(query.filters.len(), 2);
//! assert!(query.filters.iter().any(|f| f.op == Op::In));
//! assert_eq!(query.page_size, 20);
//!
//! // Nothing unvalidated reaches storage: a typo is an error naming the parameter.
//! let typo = ListQuery::parse(Student::schema(), [("year_of_studdy", "2")], &[], &cursors);
//! let errors = typo.expect_err("unknown field").validation_errors().cloned();
//! assert!(errors.is_some_and(|errors| errors.contains("year_of_studdy")));
//!
//! let policy = RolePolicy::defaults();
//! let registrar = Principal::new("registrar@uni.example", [Role::REGISTRAR]);
//! assert!(policy.allows(&registrar, EntityKind::STUDENT, Action::Update));
//! assert!(!policy.allows(&registrar, EntityKind::CUSTOM_FIELD, Action::Create));
//! # Ok::<(), campushub_core::Error>(())
//! ```
//!
//! `examples/quickstart.rs` in the repository runs the services end to end on the in-memory
//! store (`cargo run --example quickstart`).
//!
//! ## Features
//!
//! | feature | what it adds |
//! |---|---|
//! | `memory` | `memory`: a thread-safe in-memory repository for tests and examples |
//! | `conformance` | `conformance`: the repository behaviour suite every store runs |
//! | `openapi` | `utoipa::ToSchema` for the analytics reports, for OpenAPI documents |

// docs.rs (`--cfg docsrs`, see `[package.metadata.docs.rs]`) labels feature-gated items.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod accounts;
pub mod analytics;
pub mod audit;
pub mod audit_log;
pub mod auth;
pub mod cache;
pub mod consistency;
pub mod custom_fields;
pub mod entities;
pub mod entity;
pub mod error;
pub mod event;
pub mod exchange;
pub mod kind;
pub mod meta;
pub mod password;
pub mod precondition;
pub mod query;
pub mod rate_limit;
mod regex_cache;
pub mod relation;
pub mod repository;
pub mod schema;
pub mod scope;
pub mod service;
pub mod value;

#[cfg(feature = "memory")]
#[cfg_attr(docsrs, doc(cfg(feature = "memory")))]
pub mod memory;

#[cfg(feature = "conformance")]
#[cfg_attr(docsrs, doc(cfg(feature = "conformance")))]
pub mod conformance;

pub use analytics::{
    Analytics, AnalyticsSummary, CachedAnalytics, DepartmentAnalytics, ServiceAnalytics,
};
pub use audit::Audit;
pub use audit_log::{AuditEntry, AuditLog, AuditService, AuditSettings};
pub use auth::{Action, Policy, Principal, RequestOrigin, Role, RolePolicy};
pub use cache::{Cache, CacheKey, CachedValue, FillTicket, NoCache};
pub use consistency::ConsistencyToken;
pub use custom_fields::{CustomFieldDef, CustomFieldInput, CustomFieldType};
pub use entities::{
    Department, DepartmentInput, DepartmentSummary, Faculty, FacultyInput, Student, StudentInput,
    User, UserInput,
};
pub use entity::{Entity, Reference};
pub use error::{Error, Result, ValidationErrors};
pub use event::{ChangeEvent, ChangeHook, ChangeOp};
pub use kind::EntityKind;
pub use meta::RecordMeta;
pub use precondition::Precondition;
pub use query::{ListQuery, Page};
pub use relation::{Embed, Embedded, Relation};
pub use repository::{BatchMode, ReadOptions, ReadRoute, Repository, Written};
pub use schema::{FieldSpec, FieldType, Schema};
pub use service::{AppServices, EntityService};
pub use value::Scalar;
