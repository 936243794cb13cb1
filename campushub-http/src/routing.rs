//! What every group of routes shares: the API's base path, the registration of a path with
//! and without a trailing slash, and the 405 answer. A leaf module, so that the resources,
//! analytics and the router's assembly can all use it.

use axum::http::StatusCode;
use axum::routing::MethodRouter;
use axum::Router;

use crate::problem::Problem;

/// The base of every route of the REST API.
pub const API_PREFIX: &str = "/api/v1";

/// Routes `path` and `path/` to `handler`.
pub(crate) fn route_with_trailing_slash<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    path: &str,
    handler: MethodRouter<S>,
) -> Router<S> {
    router
        .route(path, handler.clone())
        .route(&format!("{path}/"), handler)
}

/// The 405 answer of every route.
pub(crate) async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "this route does not accept the method; see the `Allow` header",
    )
}
