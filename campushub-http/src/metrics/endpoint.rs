//! `GET /metrics`: open when configured so, else for principals the policy lets read the
//! `metrics` resource (by default `admin` and the `metrics` role, a scraper's).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use campushub_core::{Action, EntityKind, Error, Policy, Principal};

use super::{Exposition, HttpMetrics};
use crate::problem::{ApiResult, Problem};

/// The resource `/metrics` is authorized as (`Retrieve`).
pub(crate) const METRICS_KIND: EntityKind = EntityKind::METRICS;

/// What `/metrics` needs, and no more of the router's state.
pub(crate) struct MetricsEndpoint {
    /// The registry it renders.
    pub(crate) metrics: Arc<HttpMetrics>,
    /// Whether anyone may read it ([`crate::HttpConfig::metrics_public`]).
    pub(crate) public: bool,
    /// Who else may: principals it lets `Retrieve` [`METRICS_KIND`].
    pub(crate) policy: Arc<dyn Policy>,
}

/// The registry, in the format `Accept` asks for ([`Exposition::negotiate`]).
pub(crate) async fn metrics(
    State(state): State<Arc<MetricsEndpoint>>,
    principal: Option<Extension<Principal>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if !state.public {
        let Some(Extension(principal)) = principal else {
            return Err(Problem::from(Error::Unauthenticated(
                "no credentials".into(),
            )));
        };
        state
            .policy
            .authorize(&principal, METRICS_KIND, Action::Retrieve)?;
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok());
    let format = Exposition::negotiate(accept);
    let mut response = (StatusCode::OK, state.metrics.encode(format)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    Ok(response)
}
