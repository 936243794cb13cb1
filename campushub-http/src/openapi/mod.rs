//! The OpenAPI 3 document of the router, built with utoipa from the same resource list the
//! router is built from, and served at `/api/v1/openapi.json`.

mod entity;

use campushub_core::schema::Schema;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, SchemaType, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, ObjectBuilder, OpenApi, OpenApiBuilder, Paths,
    Ref, RefOr, Required, ResponseBuilder,
};
use utoipa::ToSchema;

use crate::analytics::{DepartmentFigures, Summary};
use crate::bulk::{BulkKeys, UPDATES};
use crate::health::{ProbeStatus, Readiness};
use crate::problem::{Problem, PROBLEM_JSON};
use crate::resource::API_PREFIX;

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
}

/// The document for a router serving `resources` (plus analytics, health and metrics).
pub fn document(resources: &[ResourceDoc]) -> OpenApi {
    let mut paths = Paths::new();
    let mut components = ComponentsBuilder::new()
        .schema_from::<Problem>()
        .schema_from::<Summary>()
        .schema_from::<DepartmentFigures>()
        .schema_from::<Readiness>()
        .schema_from::<ProbeStatus>()
        .security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        )
        .security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Api-Key"))),
        );
    for resource in resources {
        let name = schema_name(resource.schema.kind.as_str());
        components = components
            .schema(name.clone(), entity::record(resource.schema))
            .schema(format!("{name}Input"), entity::input(resource.schema));
        add_resource(&mut paths, resource, &name);
    }
    add_fixed(&mut paths);
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

/// `custom_field` → `CustomField`.
fn schema_name(kind: &str) -> String {
    kind.split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn add(paths: &mut Paths, path: &str, method: HttpMethod, operation: OperationBuilder) {
    paths.add_path_operation(path, vec![method], operation.build());
}

fn add_resource(paths: &mut Paths, resource: &ResourceDoc, name: &str) {
    let base = format!("{API_PREFIX}/{}", resource.segment);
    let item = format!("{base}/{{id}}");
    let tag = resource.segment;
    let record = || Ref::from_schema_name(name);
    let input = || Ref::from_schema_name(format!("{name}Input"));

    let mut list = op(tag, &format!("List {}", resource.segment), &[400]).response(
        "200",
        json("A page: `{next, previous, results}` (cursor) or `{count, next, previous, results}` (`page=`)", list_page(record())),
    );
    for parameter in list_parameters(resource.schema) {
        list = list.parameter(parameter);
    }
    add(paths, &base, HttpMethod::Get, list);
    add(
        paths,
        &base,
        HttpMethod::Post,
        op(tag, "Create", &[400, 409, 413, 415])
            .request_body(Some(body(input())))
            .response(
                "201",
                json(
                    "Created; `Location`, `ETag` and `Consistency-Token` headers",
                    record(),
                ),
            ),
    );
    let by_id = |summary: &str, errors: &[u16]| {
        op(tag, summary, errors).parameter(
            ParameterBuilder::new()
                .name("id")
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .schema(Some(ObjectBuilder::new().schema_type(Type::String).format(
                    Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Uuid,
                    )),
                ))),
        )
    };
    add(
        paths,
        &item,
        HttpMethod::Get,
        by_id("Retrieve", &[400, 404])
            .parameter(header_parameter(
                "If-None-Match",
                "An ETag: 304 when it is current",
            ))
            .parameter(header_parameter(
                "Consistency-Token",
                "Read at least this write",
            ))
            .response("200", json("The record, with its `ETag`", record()))
            .response(
                "304",
                ResponseBuilder::new().description("Not modified").build(),
            ),
    );
    for (method, summary, request) in [
        (HttpMethod::Put, "Replace", input()),
        (HttpMethod::Patch, "Patch (JSON merge patch)", record()),
    ] {
        add(
            paths,
            &item,
            method,
            by_id(summary, &[400, 404, 409, 412, 413, 415])
                .parameter(if_match())
                .request_body(Some(body(request)))
                .response("200", json("The record after the write", record())),
        );
    }
    add(
        paths,
        &item,
        HttpMethod::Delete,
        by_id("Delete", &[400, 404, 409, 412])
            .parameter(if_match())
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
            stats_op(tag),
        );
    }
    if let Some(keys) = resource.bulk {
        for (route, key, count, items) in [
            ("bulk-create", keys.rows, "created_count", input()),
            ("bulk-update", UPDATES, "updated_count", record()),
        ] {
            add(
                paths,
                &format!("{base}/{route}"),
                HttpMethod::Post,
                bulk_op(tag, key, count, ArrayBuilder::new().items(items).into()),
            );
        }
        let strings = ArrayBuilder::new()
            .items(ObjectBuilder::new().schema_type(Type::String))
            .into();
        add(
            paths,
            &format!("{base}/bulk-delete"),
            HttpMethod::Post,
            bulk_op(tag, keys.keys, "deleted_count", strings),
        );
    }
}

fn add_fixed(paths: &mut Paths) {
    add(
        paths,
        &format!("{API_PREFIX}/departments/stats"),
        HttpMethod::Get,
        stats_op("departments").description(Some("Department statistics plus `departments`: each department's student and faculty counts.")),
    );
    add(
        paths,
        &format!("{API_PREFIX}/analytics/summary"),
        HttpMethod::Get,
        op("analytics", "Institution summary", &[])
            .response("200", json("The summary", Ref::from_schema_name("Summary"))),
    );
    add(
        paths,
        &format!("{API_PREFIX}/analytics/departments"),
        HttpMethod::Get,
        op("analytics", "Per-department figures", &[]).response(
            "200",
            json(
                "Every department",
                ArrayBuilder::new().items(Ref::from_schema_name("DepartmentFigures")),
            ),
        ),
    );
    add(
        paths,
        &format!("{API_PREFIX}/openapi.json"),
        HttpMethod::Get,
        op("meta", "This document", &[]).response("200", json("OpenAPI 3", any_object())),
    );
    add(
        paths,
        "/healthz",
        HttpMethod::Get,
        open("health", "Liveness").response("200", json("Alive", any_object())),
    );
    add(
        paths,
        "/readyz",
        HttpMethod::Get,
        open("health", "Readiness: 200 only when the primary answers")
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
        .response(
            "200",
            ResponseBuilder::new()
                .description("Prometheus text")
                .content("text/plain", text)
                .build(),
        ),
    );
}

/// An authenticated operation with the problems every one may answer plus `errors`.
fn op(tag: &str, summary: &str, errors: &[u16]) -> OperationBuilder {
    let mut operation = OperationBuilder::new().tag(tag).summary(Some(summary));
    for status in [401, 403, 503].iter().chain(errors) {
        operation = operation.response(status.to_string(), problem());
    }
    operation
}

/// An operation open to anyone.
fn open(tag: &str, summary: &str) -> OperationBuilder {
    OperationBuilder::new()
        .tag(tag)
        .summary(Some(summary))
        .security(SecurityRequirement::default())
}

fn stats_op(tag: &str) -> OperationBuilder {
    op(tag, "Statistics (the list's filters narrow them)", &[400]).response(
        "200",
        json("`{total, by_<field>: {value: count}}`", any_object()),
    )
}

fn bulk_op(
    tag: &str,
    key: &str,
    count: &str,
    rows: RefOr<utoipa::openapi::Schema>,
) -> OperationBuilder {
    let request = ObjectBuilder::new().property(key, rows).required(key);
    let row_error = ObjectBuilder::new()
        .property("index", ObjectBuilder::new().schema_type(Type::Integer))
        .property("errors", any_object());
    let report = ObjectBuilder::new()
        .property(count, ObjectBuilder::new().schema_type(Type::Integer))
        .property(
            "error_count",
            ObjectBuilder::new().schema_type(Type::Integer),
        )
        .property("errors", ArrayBuilder::new().items(row_error));
    op(
        tag,
        &format!("Bulk: `{{\"{key}\": [...]}}`"),
        &[400, 413, 415],
    )
    .request_body(Some(body(request)))
    .response("200", json("Per-row outcome", report))
}

fn list_page(record: Ref) -> RefOr<utoipa::openapi::Schema> {
    let link =
        || ObjectBuilder::new().schema_type(SchemaType::Array(vec![Type::String, Type::Null]));
    ObjectBuilder::new()
        .property("count", ObjectBuilder::new().schema_type(Type::Integer))
        .property("next", link())
        .property("previous", link())
        .property("results", ArrayBuilder::new().items(record))
        .required("next")
        .required("previous")
        .required("results")
        .into()
}

fn list_parameters(schema: &Schema) -> Vec<utoipa::openapi::path::Parameter> {
    let mut parameters: Vec<_> = [
        ("cursor", "Keyset page (from `next`/`previous`)"),
        ("page", "Page number (switches to `{count, ...}` pages)"),
        ("page_size", "Rows per page"),
        (
            "search",
            "Case-insensitive substring over the search fields",
        ),
        ("ordering", "Sort keys, `-` for descending"),
    ]
    .into_iter()
    .map(|(name, description)| query_parameter(name, description))
    .collect();
    for field in schema
        .fields
        .iter()
        .filter(|f| f.ops != campushub_core::schema::Ops::NONE)
    {
        parameters.push(query_parameter(
            field.name,
            "Filter; also `<field>__<op>` (`in`, `gt`, `gte`, `lt`, `lte`, `icontains`, `startswith`, `isnull`) as the field allows",
        ));
    }
    parameters
}

fn query_parameter(name: &str, description: &str) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

fn header_parameter(name: &str, description: &str) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

fn if_match() -> utoipa::openapi::path::Parameter {
    header_parameter(
        "If-Match",
        "`*` or the ETag read: 412 when the record changed since",
    )
}

fn any_object() -> RefOr<utoipa::openapi::Schema> {
    ObjectBuilder::new().schema_type(Type::Object).into()
}

fn body(
    schema: impl Into<RefOr<utoipa::openapi::Schema>>,
) -> utoipa::openapi::request_body::RequestBody {
    RequestBodyBuilder::new()
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(schema)).build(),
        )
        .required(Some(Required::True))
        .build()
}

fn json(
    description: &str,
    schema: impl Into<RefOr<utoipa::openapi::Schema>>,
) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(schema)).build(),
        )
        .build()
}

fn problem() -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description("A problem (RFC 9457)")
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(Problem::name())))
                .build(),
        )
        .build()
}

/// The document's paths with a `{id}` parameter written as axum writes it, for tests.
pub fn paths(document: &OpenApi) -> Vec<String> {
    document.paths.paths.keys().cloned().collect()
}
