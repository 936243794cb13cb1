//! The OpenAPI 3 document of the router, built with utoipa from the same resource list the
//! router is built from, and served at `/api/v1/openapi.json` with the `cf.` filters of the
//! custom-field definitions in force (`served.rs`).
//!
//! It is written for the clients generated from it: every operation has a stable
//! `operationId` (`<segment>_<action>`, `names.rs`), and every body a client holds in a
//! variable is a named schema (`components.rs`), so that a generated client reads like a
//! hand-written one (`tests/e2e/clients.rs` generates two).

mod added;
mod audit;
mod components;
mod custom;
mod entity;
mod exchange;
#[cfg(feature = "exchange")]
mod import_jobs;
mod names;
mod params;
mod parts;
mod rate_limits;
mod served;
mod sign_in;
mod stats;

pub use added::operation;
pub use audit::add_audit;
#[cfg(feature = "exchange")]
pub use import_jobs::add_import_jobs;
pub use params::if_match as if_match_parameter;
pub use parts::id_parameter;
pub use rate_limits::add_rate_limits;
pub(crate) use served::{serve, ServedDocument};
pub use sign_in::add_sign_in;

use campushub_core::analytics::{AnalyticsSummary, DepartmentAnalytics};
use campushub_core::schema::Schema;
use campushub_core::service::RowError;
use campushub_core::{Department, Entity, ValidationErrors};
use utoipa::openapi::path::{HttpMethod, OperationBuilder};
use utoipa::openapi::schema::{ArrayBuilder, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, ObjectBuilder, OpenApi, OpenApiBuilder, Paths,
    Ref, ResponseBuilder,
};

use components::Schemas;
use names::{operation_id, repeated_operation_ids, KindNames};
use params::{
    consistency_token, filter_parameters, if_match, if_none_match, if_none_match_on_create,
    if_none_match_on_write, list_parameters,
};
use parts::{any_object, body, bulk_op, bulk_report, json, merge_patch, op, open, stats_op};
use stats::department_stats;

use crate::bulk::{BulkKeys, UPDATES};
use crate::health::{ProbeStatus, Readiness};
use crate::problem::Problem;
use crate::routing::API_PREFIX;

/// What the document says about one resource.
#[derive(Debug, Clone, Copy)]
pub struct ResourceDoc {
    /// The path segment (`students`).
    pub segment: &'static str,
    /// The entity's schema.
    pub schema: &'static Schema,
    /// Whether `/stats` is routed.
    pub stats: bool,
    /// The bulk routes' body keys, if routed.
    pub bulk: Option<BulkKeys>,
    /// Whether updates and deletes need `If-Match` (`428` without it).
    pub require_if_match: bool,
    /// Whether `/export` and `/import` are routed (feature `exchange`).
    pub exchange: bool,
    /// The parents the list is also served under (`/api/v1/students/{id}/contacts`).
    pub nested: &'static [crate::Nested],
}

/// What the bearer scheme says of roles and scopes (the default policy).
const ROLES: &str = "A JWT whose `roles` claim names the caller's roles. Default roles: \
`admin` (everything), `registrar` (reads and writes departments, students and faculty; reads \
custom-field definitions; statistics), `faculty` (reads departments, students and faculty; an \
application may limit it to its department's students), `analyst` (statistics and analytics \
only), `student` (reads its own student record only: the `student_id` claim; any other id \
answers 404, lists hold that one row, statistics are refused). Personal fields (marked \
`x-campushub-personal`: date of birth, email, mobile, address lines, and sensitive custom \
fields) are returned only to `admin`, `registrar` and a student reading its own record; other \
callers get records without them, and filters, ordering and search on them answer 400.";

/// The name of the department statistics' schema (`/departments/stats`, not a generic
/// resource's).
const DEPARTMENT_STATS: &str = "DepartmentStats";

/// The document for a router serving `resources` (plus analytics, health and metrics).
pub fn document(resources: &[ResourceDoc]) -> OpenApi {
    let mut paths = Paths::new();
    let mut schemas = Schemas::default();
    for resource in resources {
        schemas.add_kind(resource);
        add_resource(&mut paths, resource, &KindNames::of(resource.schema));
    }
    let mut components_extra = Vec::new();
    if resources.iter().any(|resource| resource.exchange) {
        components_extra.extend(exchange::schemas());
    }
    if resources.iter().any(|resource| resource.bulk.is_some()) {
        for (count, name) in parts::BULK_REPORTS {
            schemas.add(name, bulk_report(count));
        }
    }
    schemas.add(DEPARTMENT_STATS, department_stats(Department::schema()));
    add_fixed(&mut paths);
    for id in repeated_operation_ids(&paths) {
        tracing::warn!(
            operation_id = %id,
            "two operations of the OpenAPI document have one id: serve the resource at \
             another segment"
        );
    }
    let components = ComponentsBuilder::new()
        .schemas_from_iter(schemas.into_named())
        .schemas_from_iter(components_extra)
        .schema_from::<Problem>()
        .schema_from::<ValidationErrors>()
        .schema_from::<RowError>()
        .schema_from::<AnalyticsSummary>()
        .schema_from::<DepartmentAnalytics>()
        .schema_from::<Readiness>()
        .schema_from::<ProbeStatus>()
        .security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(ROLES))
                    .build(),
            ),
        )
        .security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Api-Key"))),
        );
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("CampusHub API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some("University ERP back end: departments, students, faculty, custom fields, statistics, bulk operations and analytics."))
                .build(),
        )
        .paths(paths)
        .components(Some(components.build()))
        .security(Some([
            SecurityRequirement::new("bearer", Vec::<String>::new()),
            SecurityRequirement::new("api_key", Vec::<String>::new()),
        ]))
        .build()
}

fn add(paths: &mut Paths, path: &str, method: HttpMethod, operation: OperationBuilder) {
    paths.add_path_operation(path, vec![method], operation.build());
}

fn add_resource(paths: &mut Paths, resource: &ResourceDoc, names: &KindNames) {
    let base = format!("{API_PREFIX}/{}", resource.segment);
    let item = format!("{base}/{{id}}");
    let tag = resource.segment;
    let id = |action: &str| Some(operation_id(resource.segment, action));
    let record = || Ref::from_schema_name(names.record.as_str());
    let input = || Ref::from_schema_name(names.input());

    let list = |summary: &str, action: &str| {
        let mut list = op(tag, summary, &[400, 422])
            .operation_id(id(action))
            .response(
                "200",
                json("A page: `{next, previous, results}` (cursor) or `{count, count_exact, next, previous, results}` (`page=`)", Ref::from_schema_name(names.page())),
            );
        for parameter in list_parameters(resource.schema) {
            list = list.parameter(parameter);
        }
        list.parameter(consistency_token())
    };
    for nested in resource.nested {
        let summary = format!(
            "List the {} of one of {} (its id fixes `{}`)",
            resource.segment, nested.parent, nested.field
        );
        let by_parent = list(&summary, &format!("list_by_{}", nested.parent));
        let path = nested.path(resource.segment);
        add(
            paths,
            &path,
            HttpMethod::Get,
            by_parent.parameter(id_parameter()),
        );
    }
    let all = list(&format!("List {}", resource.segment), "list");
    add(paths, &base, HttpMethod::Get, all);
    add(
        paths,
        &base,
        HttpMethod::Post,
        op(tag, "Create", &[400, 409, 412, 413, 415, 422])
            .operation_id(id("create"))
            .parameter(if_none_match_on_create())
            .request_body(Some(body(input())))
            .response(
                "201",
                json(
                    "Created; `Location`, `ETag` and `Consistency-Token` headers",
                    record(),
                ),
            ),
    );
    let by_id = |summary: &str, errors: &[u16]| op(tag, summary, errors).parameter(id_parameter());
    add(
        paths,
        &item,
        HttpMethod::Get,
        by_id("Retrieve", &[400, 404])
            .operation_id(id("retrieve"))
            .parameter(if_none_match())
            .parameter(consistency_token())
            .response("200", json("The record, with its `ETag`", record()))
            .response(
                "304",
                ResponseBuilder::new().description("Not modified").build(),
            ),
    );
    // 409: a taken value, a record still referenced, or (without `If-Match`) a write
    // overtaken by concurrent writes on every attempt; 412: a condition that does not hold;
    // 428: no `If-Match` where the resource requires one.
    let required = resource.require_if_match;
    let conditional = |statuses: &[u16]| {
        let mut statuses = statuses.to_vec();
        if required {
            statuses.push(428);
        }
        statuses
    };
    for (method, action, summary, request) in [
        (HttpMethod::Put, "update", "Replace", body(input())),
        (
            HttpMethod::Patch,
            "partial_update",
            "Patch (JSON merge patch)",
            merge_patch(Ref::from_schema_name(names.patch())),
        ),
    ] {
        add(
            paths,
            &item,
            method,
            by_id(summary, &conditional(&[400, 404, 409, 412, 413, 415, 422]))
                .operation_id(id(action))
                .parameter(if_match(required))
                .parameter(if_none_match_on_write())
                .request_body(Some(request))
                .response("200", json("The record after the write", record())),
        );
    }
    add(
        paths,
        &item,
        HttpMethod::Delete,
        by_id("Delete", &conditional(&[400, 404, 409, 412]))
            .operation_id(id("destroy"))
            .parameter(if_match(required))
            .parameter(if_none_match_on_write())
            .response(
                "204",
                ResponseBuilder::new()
                    .description("Deleted; `Consistency-Token` header")
                    .build(),
            ),
    );
    if resource.stats {
        add(
            paths,
            &format!("{base}/stats"),
            HttpMethod::Get,
            filter_parameters(resource.schema).into_iter().fold(
                stats_op(tag, Ref::from_schema_name(names.stats())).operation_id(id("stats")),
                OperationBuilder::parameter,
            ),
        );
    }
    if resource.exchange {
        exchange::add_exchange(paths, resource, &base, id);
    }
    if let Some(keys) = resource.bulk {
        for (route, key, count, items) in [
            ("bulk-create", keys.rows, "created_count", input().into()),
            (
                "bulk-update",
                UPDATES,
                "updated_count",
                entity::keyed_patch(resource.schema),
            ),
        ] {
            add(
                paths,
                &format!("{base}/{route}"),
                HttpMethod::Post,
                bulk_op(tag, key, count, ArrayBuilder::new().items(items).into())
                    .operation_id(id(route)),
            );
        }
        let strings = ArrayBuilder::new()
            .items(ObjectBuilder::new().schema_type(Type::String))
            .into();
        add(
            paths,
            &format!("{base}/bulk-delete"),
            HttpMethod::Post,
            bulk_op(tag, keys.keys, "deleted_count", strings).operation_id(id("bulk-delete")),
        );
    }
}

fn add_fixed(paths: &mut Paths) {
    add(
        paths,
        &format!("{API_PREFIX}/departments/stats"),
        HttpMethod::Get,
        stats_op("departments", Ref::from_schema_name(DEPARTMENT_STATS))
            .operation_id(Some(operation_id("departments", "stats")))
            .description(Some("Department statistics plus `departments`: each department's student and faculty counts.")),
    );
    add(
        paths,
        &format!("{API_PREFIX}/analytics/summary"),
        HttpMethod::Get,
        op("analytics", "Institution summary", &[])
            .operation_id(Some(operation_id("analytics", "summary")))
            .response(
                "200",
                json("The summary", Ref::from_schema_name("AnalyticsSummary")),
            ),
    );
    add(
        paths,
        &format!("{API_PREFIX}/analytics/departments"),
        HttpMethod::Get,
        op("analytics", "Per-department figures", &[])
            .operation_id(Some(operation_id("analytics", "departments")))
            .response(
                "200",
                json(
                    "Every department",
                    ArrayBuilder::new().items(Ref::from_schema_name("DepartmentAnalytics")),
                ),
            ),
    );
    add(
        paths,
        &format!("{API_PREFIX}/openapi.json"),
        HttpMethod::Get,
        op(
            "meta",
            "This document, with the custom-field filters in force",
            &[400],
        )
        .operation_id(Some(operation_id("openapi", "retrieve")))
        .parameter(consistency_token())
        .response("200", json("OpenAPI 3", any_object())),
    );
    add(
        paths,
        "/healthz",
        HttpMethod::Get,
        open("health", "Liveness")
            .operation_id(Some(operation_id("health", "liveness")))
            .response("200", json("Alive", any_object())),
    );
    add(
        paths,
        "/readyz",
        HttpMethod::Get,
        open("health", "Readiness: 200 only when the primary answers")
            .operation_id(Some(operation_id("health", "readiness")))
            .response("200", json("Ready", Ref::from_schema_name("Readiness")))
            .response("503", json("Not ready", Ref::from_schema_name("Readiness"))),
    );
    let text = ContentBuilder::new()
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build();
    add(
        paths,
        "/metrics",
        HttpMethod::Get,
        op(
            "health",
            "Prometheus metrics (open when configured so, else `admin`)",
            &[],
        )
        .operation_id(Some(operation_id("metrics", "retrieve")))
        .response(
            "200",
            ResponseBuilder::new()
                .description("Prometheus text")
                .content("text/plain", text)
                .build(),
        ),
    );
}

/// The document's route templates (`/api/v1/students/{id}`), which are also axum's: the
/// metrics layer registers their counters up front from this list.
pub fn paths(document: &OpenApi) -> Vec<String> {
    document.paths.paths.keys().cloned().collect()
}
