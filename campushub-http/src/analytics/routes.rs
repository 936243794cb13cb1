//! The analytics routes and `/api/v1/departments/stats` (department statistics with each
//! department's student and faculty counts).

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use campushub_core::analytics::{department_counts, withhold_small_groups};
use campushub_core::{Action, EntityKind, Error, Principal};

use crate::auth::Caller;
use crate::consistency::ReadConsistency;
use crate::extract::QueryParams;
use crate::list::json_ok;
use crate::problem::ApiResult;
use crate::routing::{method_not_allowed, route_with_trailing_slash, API_PREFIX};
use crate::state::ApiState;

/// The routes, over the shared state.
pub(crate) fn routes(state: Arc<ApiState>) -> Router {
    let mut router = Router::new();
    for (name, report) in [
        ("summary", Report::Summary),
        ("departments", Report::Departments),
    ] {
        router = route_with_trailing_slash(
            router,
            &format!("{API_PREFIX}/analytics/{name}"),
            get(move |state, caller, read| analytics(state, caller, read, report)),
        );
    }
    router = route_with_trailing_slash(
        router,
        &format!("{API_PREFIX}/departments/stats"),
        get(department_stats),
    );
    router
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// Which analytics report a route serves.
#[derive(Debug, Clone, Copy)]
enum Report {
    Summary,
    Departments,
}

async fn analytics(
    State(state): State<Arc<ApiState>>,
    Caller(principal): Caller,
    ReadConsistency(read): ReadConsistency,
    report: Report,
) -> ApiResult<Response> {
    state
        .policy
        .authorize(&principal, EntityKind::ANALYTICS, Action::Statistics)?;
    match report {
        Report::Summary => json_ok(&state.analytics.summary(&read).await?),
        Report::Departments => {
            let mut figures = state.analytics.departments(&read).await?;
            if let Some(min) = withheld_below(&state, &principal) {
                withhold_small_groups(&mut figures, min);
            }
            json_ok(&figures)
        }
    }
}

async fn department_stats(
    State(state): State<Arc<ApiState>>,
    Caller(principal): Caller,
    ReadConsistency(read): ReadConsistency,
    QueryParams(params): QueryParams,
) -> ApiResult<Response> {
    let services = &state.services;
    let statistics = services
        .departments
        .statistics(&principal, &params, &read)
        .await?;
    for kind in [EntityKind::STUDENT, EntityKind::FACULTY] {
        state
            .policy
            .authorize(&principal, kind, Action::Statistics)?;
    }
    let mut figures = department_counts(services, &params, &read).await?;
    if let Some(min) = withheld_below(&state, &principal) {
        withhold_small_groups(&mut figures, min);
    }
    let mut body = serde_json::to_value(&statistics)
        .map_err(|error| Error::internal("statistics do not serialize", error))?;
    if let Some(object) = body.as_object_mut() {
        let rows = figures.into_iter().map(|f| {
            let mut row = serde_json::json!({
                "id": f.id, "code": f.code, "name": f.name,
                "students": f.students, "faculty": f.faculty,
            });
            if let Some(min) = f.suppressed_below {
                row["suppressed_below"] = min.into();
            }
            row
        });
        object.insert("departments".into(), rows.collect());
    }
    json_ok(&body)
}

/// The smallest count of people `principal` may see in a department's figures: the larger of
/// the students' and the faculty's rules, when either applies to them.
fn withheld_below(state: &ApiState, principal: &Principal) -> Option<u64> {
    let services = &state.services;
    let students = services.students.withheld_below(principal);
    let faculty = services.faculty.withheld_below(principal);
    students.into_iter().chain(faculty).max()
}
