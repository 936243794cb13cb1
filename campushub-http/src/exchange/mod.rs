//! Spreadsheets in and out of every kind with a natural key: `GET <collection>/export` (CSV
//! or XLSX of a list query's every row) and `POST <collection>/import` (CSV or XLSX, a dry
//! run or an upsert by natural key through the bulk path).
//!
//! The columns, cells and the import's checks are core's ([`campushub_core::exchange`]);
//! this module reads and writes the formats, streams exports page by page, and holds
//! imports to [`crate::ImportLimits`]. Large imports run as jobs ([`ImportJobs`]). The audit log exports the same way
//! (`GET /api/v1/audit/export`), one row per changed field.

mod audit_export;
mod csv_format;
mod csv_read;
mod export;
mod format;
mod import;
mod jobs;
mod pages;
mod problems;
mod streamed;
mod xlsx;
mod xlsx_read;

use axum::routing::{get, post};
use axum::Router;
use campushub_core::exchange::References;
use campushub_core::{Entity, EntityService};

use crate::config::ImportLimits;
use crate::routing::{method_not_allowed, route_with_trailing_slash};

pub use format::Format;
pub use import::IMPORT_REJECTED;
pub use jobs::{ImportJobs, WorkerHandle, DEFAULT_LEASE, DEFAULT_POLL, IMPORT_JOBS_PATH};

/// The media type of CSV.
pub const TEXT_CSV: &str = "text/csv";
/// The media type of bytes of any kind: an import of it reads a zip archive as XLSX, and
/// anything else as CSV.
pub const OCTET_STREAM: &str = "application/octet-stream";
/// The media type of XLSX.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// What the export and import routes of one resource share.
struct ExchangeState<E: Entity> {
    service: EntityService<E>,
    references: References,
    limits: ImportLimits,
    /// The resource's segment (`students`), which names exported files.
    segment: &'static str,
    /// Where imports sent as jobs go, when the router runs them.
    jobs: Option<ImportJobs>,
}

impl<E: Entity> Clone for ExchangeState<E> {
    fn clone(&self) -> Self {
        ExchangeState {
            service: self.service.clone(),
            references: self.references.clone(),
            limits: self.limits,
            segment: self.segment,
            jobs: self.jobs.clone(),
        }
    }
}

/// The routes `<base>/export` and `<base>/import` over `service`; `references` resolves the
/// natural keys of the kinds its columns reference.
pub(crate) fn routes<E: Entity>(
    base: &str,
    segment: &'static str,
    service: EntityService<E>,
    references: References,
    config: &crate::HttpConfig,
    jobs: Option<ImportJobs>,
) -> Router {
    let mut router = Router::new();
    router = route_with_trailing_slash(router, &format!("{base}/export"), get(export::export::<E>));
    router =
        route_with_trailing_slash(router, &format!("{base}/import"), post(import::import::<E>));
    let state = ExchangeState {
        service,
        references,
        limits: config.imports,
        segment,
        jobs,
    };
    if let Some(jobs) = &state.jobs {
        jobs.register(segment, import::runner(state.clone()));
    }
    router
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

pub(crate) use audit_export::export as audit_export;
pub(crate) use export::csv_list;
pub use export::write_export;
pub use streamed::{open_sheet, StreamedSheet};
