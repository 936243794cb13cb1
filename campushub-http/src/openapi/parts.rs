//! Building blocks of the document: operations with their standard problem responses,
//! parameters, bodies and shared schemas.

use campushub_core::schema::{Ops, Schema};
use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, SchemaType, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, ObjectBuilder, Ref, RefOr, Required, ResponseBuilder};
use utoipa::ToSchema;

use crate::problem::{Problem, PROBLEM_JSON};

/// An authenticated operation with the problems every one may answer plus `errors`.
pub(super) fn op(tag: &str, summary: &str, errors: &[u16]) -> OperationBuilder {
    let mut operation = OperationBuilder::new().tag(tag).summary(Some(summary));
    for status in [401, 403, 503].iter().chain(errors) {
        operation = operation.response(status.to_string(), problem());
    }
    operation
}

/// An operation open to anyone.
pub(super) fn open(tag: &str, summary: &str) -> OperationBuilder {
    OperationBuilder::new()
        .tag(tag)
        .summary(Some(summary))
        .security(SecurityRequirement::default())
}

pub(super) fn stats_op(tag: &str) -> OperationBuilder {
    op(tag, "Statistics (the list's filters narrow them)", &[400]).response(
        "200",
        json("`{total, by_<field>: {value: count}}`", any_object()),
    )
}

pub(super) fn bulk_op(
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

pub(super) fn list_page(record: Ref) -> RefOr<utoipa::openapi::Schema> {
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

pub(super) fn list_parameters(schema: &Schema) -> Vec<utoipa::openapi::path::Parameter> {
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
    for field in schema.fields.iter().filter(|f| f.ops != Ops::NONE) {
        parameters.push(query_parameter(
            field.name,
            "Filter; also `<field>__<op>` (`in`, `gt`, `gte`, `lt`, `lte`, `icontains`, `startswith`, `isnull`) as the field allows",
        ));
    }
    parameters
}

pub(super) fn query_parameter(name: &str, description: &str) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

pub(super) fn header_parameter(name: &str, description: &str) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

pub(super) fn if_match() -> utoipa::openapi::path::Parameter {
    header_parameter(
        "If-Match",
        "`*` or the ETag read: 412 when the record changed since",
    )
}

pub(super) fn any_object() -> RefOr<utoipa::openapi::Schema> {
    ObjectBuilder::new().schema_type(Type::Object).into()
}

pub(super) fn body(
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

pub(super) fn json(
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

pub(super) fn problem() -> utoipa::openapi::Response {
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
