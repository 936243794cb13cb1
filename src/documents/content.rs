//! What the content routes (`/api/v1/documents/{id}/content`, served beside the metadata
//! resource with [`ApiState::routes`]) share: their template, state and limits, and the
//! answer of a failed store.
//!
//! [`ApiState::routes`]: crate::http::ApiState::routes

use std::sync::Arc;

use axum::http::StatusCode;

use super::document::Document;
use super::settings::DocumentSettings;
use super::store::DocumentStore;
use crate::core::EntityService;
use crate::http::Problem;

/// The content route's template.
pub(super) const PATH: &str = "/api/v1/documents/{id}/content";

/// What the content handlers share.
#[derive(Clone)]
pub(super) struct Content {
    pub(super) service: EntityService<Document>,
    pub(super) store: DocumentStore,
    pub(super) settings: Arc<DocumentSettings>,
    /// Whether an upload must carry `If-Match` (the server's
    /// [`RequireIfMatch`](crate::http::RequireIfMatch) names documents), as every other write
    /// of a document must.
    pub(super) require_if_match: bool,
}

/// The most a content upload's body may carry: the largest document, plus room for a form's
/// boundaries and part headers, and one byte, so that the upload's own check answers (and
/// aborts what it stored) before the router's cap cuts the body off.
pub(super) fn stream_limit(settings: &DocumentSettings) -> u64 {
    settings.max_bytes.saturating_add(FORM_OVERHEAD + 1)
}

/// Room for a form's boundaries and part headers around the file.
const FORM_OVERHEAD: u64 = 64 * 1024;

/// The `503` of a store that failed (logged; the client is told to retry).
pub(super) fn store_problem(error: &object_store::Error) -> Problem {
    tracing::error!(%error, "the document store failed");
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "the document store is unavailable; retry later",
    )
}
