//! Assembling the router: the resources, analytics, health, metrics and OpenAPI routes, the
//! auth layer in front of `/api/`, the problem fallbacks and the middleware stack.

use std::sync::Arc;

use axum::extract::OriginalUri;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use campushub_core::exchange::{NaturalKeys, References};
use campushub_core::{CustomFieldDef, Department, Entity, EntityService, Faculty, Student, User};
use tower::ServiceBuilder;

use crate::analytics;
use crate::audit;
use crate::auth::AuthLayer;
use crate::bulk::BulkKeys;
use crate::health::{healthz, readyz, ReadinessChecks};
use crate::identity;
use crate::metrics::endpoint::{metrics, MetricsEndpoint};
use crate::middleware;
use crate::openapi::{self, ResourceDoc, ServedDocument};
use crate::private_responses;
use crate::problem::Problem;
use crate::resource::Mounting;
use crate::resource::ResourceRoutes;
use crate::routing::{method_not_allowed, route_with_trailing_slash, API_PREFIX};
use crate::state::ApiState;

/// The whole API as an axum router, ready to serve or to `nest` under a prefix.
///
/// `/healthz` and `/readyz` are open; `/metrics` is open when
/// [`crate::HttpConfig::metrics_public`] says so; everything under `/api/` needs credentials.
/// The rate limits ([`ApiState::rate_limit`]) hold `/api/` and `/metrics`, never the probes.
pub fn router(mut state: ApiState) -> Router {
    let added = std::mem::take(&mut state.added);
    let added_routes = std::mem::take(&mut state.routes);
    let state = Arc::new(state);
    let config = Arc::new(state.config.clone());
    let mounting = Mounting {
        config: Arc::clone(&config),
        #[cfg(feature = "exchange")]
        import_jobs: state.import_jobs.clone(),
    };
    let services = &state.services;
    let references = references(services);
    let mut resources = vec![
        resource::<Department>(
            "departments",
            &services.departments,
            &mounting,
            Some(BulkKeys::DEPARTMENTS),
            false,
            &references,
        ),
        resource::<Student>(
            "students",
            &services.students,
            &mounting,
            Some(BulkKeys::STUDENTS),
            true,
            &references,
        ),
        resource::<Faculty>(
            "faculty",
            &services.faculty,
            &mounting,
            Some(BulkKeys::FACULTY),
            true,
            &references,
        ),
        resource::<CustomFieldDef>(
            "custom-fields",
            &services.custom_fields,
            &mounting,
            None,
            false,
            &references,
        ),
    ];
    if let Some(identity) = &state.identity {
        resources.push(resource::<User>(
            "users",
            &identity.users,
            &mounting,
            None,
            false,
            &references,
        ));
    }
    resources.extend(added.into_iter().map(|build| build(&mounting)));
    let docs: Vec<ResourceDoc> = resources.iter().map(|(doc, _)| *doc).collect();
    for segment in config.require_if_match.segments() {
        if !docs.iter().any(|doc| doc.segment == segment) {
            tracing::warn!(
                segment = %segment,
                "If-Match is required on a resource this router does not serve"
            );
        }
    }
    let mut document = openapi::document(&docs);
    for (_, paths) in &added_routes {
        document.paths.merge(paths.clone());
    }
    if state.identity.is_some() {
        openapi::add_sign_in(&mut document);
    }
    if state.audit.is_some() {
        openapi::add_audit(&mut document, &docs);
    }
    #[cfg(feature = "exchange")]
    if state.import_jobs.is_some() {
        openapi::add_import_jobs(&mut document);
    }
    if state.rate_limit.is_some() {
        openapi::add_rate_limits(&mut document);
    }
    let templates = openapi::paths(&document);
    let document = Arc::new(ServedDocument::new(
        document,
        &docs,
        services.custom_fields.clone(),
    ));

    let mut api = Router::new();
    for (_, routes) in resources {
        api = api.merge(routes);
    }
    for (routes, _) in added_routes {
        api = api.merge(routes);
    }
    let openapi_route: Router = route_with_trailing_slash(
        Router::new(),
        &format!("{API_PREFIX}/openapi.json"),
        get(move |read| openapi::serve(Arc::clone(&document), read)),
    )
    .method_not_allowed_fallback(method_not_allowed);
    let mut api = api
        .merge(analytics::routes(Arc::clone(&state)))
        .merge(openapi_route);
    if let Some(identity) = &state.identity {
        api = api.merge(identity::authenticated_routes(Arc::clone(identity)));
    }
    #[cfg(feature = "exchange")]
    if let Some(jobs) = &state.import_jobs {
        api = api.merge(jobs.routes());
    }
    if let Some(log) = &state.audit {
        let kinds = docs.iter().map(|doc| (doc.segment, doc.schema.kind));
        api = api.merge(audit::routes(Arc::clone(log), kinds));
    }
    let rate = state.rate_limit.clone();
    let mut api = private_responses::private(
        api,
        AuthLayer::new(Arc::clone(&state.authenticator)),
        rate.clone(),
    );
    if let Some(identity) = &state.identity {
        api = api.merge(private_responses::private_open(
            identity::open_routes(Arc::clone(identity)),
            rate.clone(),
        ));
    }

    let metrics_endpoint = MetricsEndpoint {
        metrics: Arc::clone(&state.metrics),
        public: state.config.metrics_public,
        policy: Arc::clone(&state.policy),
    };
    let mut metrics_route = route_with_trailing_slash(Router::new(), "/metrics", get(metrics))
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(Arc::new(metrics_endpoint));
    metrics_route = match (state.config.metrics_public, rate) {
        (true, rate) => metrics_route.layer(ServiceBuilder::new().option_layer(rate)),
        (false, rate) => metrics_route.layer(
            ServiceBuilder::new()
                .layer(AuthLayer::new(Arc::clone(&state.authenticator)))
                .option_layer(rate),
        ),
    };
    let mut health = Router::new();
    health = route_with_trailing_slash(health, "/healthz", get(healthz));
    health = route_with_trailing_slash(health, "/readyz", get(readyz));
    let readiness = ReadinessChecks::new(
        &state.probes,
        &state.services.departments,
        state.config.probe_timeout,
        Arc::clone(&state.authenticator),
        Arc::clone(&state.policy),
    );
    let health = health
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(Arc::new(readiness));

    let app = Router::new().merge(api).merge(metrics_route).merge(health);
    #[cfg(feature = "docs-ui")]
    let app = app.merge(crate::docs_ui::routes());
    let app = app.fallback(not_found);
    middleware::apply(app, &state, templates.iter().map(String::as_str))
}

/// A built-in resource's router and what the document says about it: bulk routes with
/// `bulk`'s body keys, and the generic `/stats` when `stats` (students, faculty; departments
/// have their own, with per-department counts, in [`crate::analytics`]).
fn resource<E: Entity>(
    segment: &'static str,
    service: &EntityService<E>,
    mounting: &Mounting,
    bulk: Option<BulkKeys>,
    stats: bool,
    references: &References,
) -> (ResourceDoc, Router) {
    #[cfg(not(feature = "exchange"))]
    let _ = references;
    let mut routes = ResourceRoutes::new(segment, service.clone(), Arc::clone(&mounting.config))
        .configured(mounting);
    if stats {
        routes = routes.with_stats();
    }
    if let Some(keys) = bulk {
        routes = routes.with_bulk(keys);
        #[cfg(feature = "exchange")]
        {
            routes = routes.with_exchange(references.clone());
        }
    }
    (routes.doc(), routes.build())
}

/// The kinds the built-in resources reference by natural key in imports: departments, by
/// `code`.
fn references(services: &campushub_core::service::AppServices) -> References {
    References::new().with(
        Department::KIND,
        Arc::new(services.departments.clone()) as Arc<dyn NaturalKeys>,
    )
}

/// The 404 answer for unknown routes.
async fn not_found(OriginalUri(uri): OriginalUri) -> Response {
    use axum::response::IntoResponse;
    Problem::new(
        StatusCode::NOT_FOUND,
        format!("no route for `{}`", uri.path()),
    )
    .into_response()
}
