//! `GET /metrics`: open when configured so, else for principals the policy lets read the
//! `metrics` resource (by default `admin`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use campushub_core::{Action, EntityKind, Error, Principal};

use crate::problem::{ApiResult, Problem};
use crate::state::ApiState;

/// The resource `/metrics` is authorized as (`Retrieve`).
pub(crate) const METRICS_KIND: EntityKind = EntityKind::new("metrics");

pub(crate) async fn metrics(
    State(state): State<Arc<ApiState>>,
    principal: Option<Extension<Principal>>,
) -> ApiResult<Response> {
    if !state.config.metrics_public {
        let Some(Extension(principal)) = principal else {
            return Err(Problem::from(Error::Unauthenticated(
                "no credentials".into(),
            )));
        };
        state
            .policy
            .authorize(&principal, METRICS_KIND, Action::Retrieve)?;
    }
    let mut response = (StatusCode::OK, state.metrics.render()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}
