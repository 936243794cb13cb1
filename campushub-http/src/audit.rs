//! The audit log's routes: `GET /api/v1/audit` (filters: `kind`, `record_id`, `actor`,
//! `action`, `since`, `until`; cursor pages, newest first) and `GET /api/v1/{kind}/{id}/history`
//! for every resource served, and with feature `exchange` `GET /api/v1/audit/export` (CSV or
//! XLSX, one row per changed field). Read only: no route writes or deletes an entry, and any other
//! method is a 405 like everywhere else.

use std::sync::Arc;

use axum::extract::{OriginalUri, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use campushub_core::audit_log::{AuditPage, AuditService};
use campushub_core::query::PageLink;
use campushub_core::EntityKind;

use crate::auth::Caller;
use crate::extract::{EntityId, QueryParams};
use crate::list::{json_ok, page_url};
use crate::problem::ApiResult;
use crate::routing::{method_not_allowed, route_with_trailing_slash, API_PREFIX};

/// The routes over `audit`: the log, and the history of each of `kinds` (path segment,
/// kind).
pub(crate) fn routes(
    audit: Arc<AuditService>,
    kinds: impl IntoIterator<Item = (&'static str, EntityKind)>,
) -> Router {
    let mut router =
        route_with_trailing_slash(Router::new(), &format!("{API_PREFIX}/audit"), get(log));
    #[cfg(feature = "exchange")]
    {
        router = route_with_trailing_slash(
            router,
            &format!("{API_PREFIX}/audit/export"),
            get(crate::exchange::audit_export),
        );
    }
    for (segment, kind) in kinds {
        router = route_with_trailing_slash(
            router,
            &format!("{API_PREFIX}/{segment}/{{id}}/history"),
            get(move |state, caller, id, uri, params| {
                history(state, caller, id, uri, params, kind)
            }),
        );
    }
    router
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(audit)
}

async fn log(
    State(audit): State<Arc<AuditService>>,
    Caller(principal): Caller,
    OriginalUri(uri): OriginalUri,
    QueryParams(params): QueryParams,
) -> ApiResult<Response> {
    let page = audit.list(&principal, &params).await?;
    json_ok(&body(page, uri.path(), &params))
}

async fn history(
    State(audit): State<Arc<AuditService>>,
    Caller(principal): Caller,
    EntityId(id): EntityId,
    OriginalUri(uri): OriginalUri,
    QueryParams(params): QueryParams,
    kind: EntityKind,
) -> ApiResult<Response> {
    let page = audit.history(&principal, kind, id, &params).await?;
    json_ok(&body(page, uri.path(), &params))
}

/// A page as the API answers it: `{"next": <url or null>, "results": [...]}`.
fn body(page: AuditPage, path: &str, params: &[(String, String)]) -> serde_json::Value {
    let next = page
        .next
        .map(|cursor| page_url(path, params, &PageLink::Cursor(cursor)));
    serde_json::json!({ "next": next, "results": page.results })
}
