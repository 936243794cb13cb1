//! The audit log: who changed what, kept with the change.
//!
//! Every write the services make carries an [`AuditEntry`] to the store, which writes it in
//! the same transaction as the change: a write that commits leaves exactly one entry per
//! record it changed, one that fails or is rolled back leaves none. An entry names the actor
//! (subject, roles, API key), the request (id, client address), the action, the record and
//! its versions before and after, and the changed fields with their old and new values, or
//! only that they changed for the fields [`AuditSettings`] keeps private.
//!
//! Reading it: [`AuditLog`] (what a store implements) and [`AuditService`] (authorization,
//! filters and cursor pages over it, for the `auditor` role and admins).

mod diff;
mod entry;
mod fields;
mod reader;
mod service;
mod settings;

pub use diff::{changes, flatten, record_changes};
pub use entry::{AuditAction, AuditActor, AuditEntry, FieldChange};
pub use reader::{AuditFilter, AuditLog, AuditPosition};
pub use service::{AuditPage, AuditService, AUDIT_PAGE_SIZE, MAX_AUDIT_PAGE_SIZE};
pub use settings::{AuditSettings, DEFAULT_PRIVATE_FIELDS};
