//! Building blocks of the document: operations with their standard problem responses,
//! parameters, bodies and shared schemas.

use campushub_core::service::RowError;
use utoipa::openapi::path::OperationBuilder;
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{
    AdditionalProperties, AllOfBuilder, ArrayBuilder, KnownFormat, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, ObjectBuilder, Ref, RefOr, Required, ResponseBuilder};
use utoipa::ToSchema;

use super::params::{atomic, consistency_token};
use crate::problem::{Problem, PROBLEM_JSON};

/// An authenticated operation with the problems every one may answer plus `errors`.
pub(super) fn op(tag: &str, summary: &str, errors: &[u16]) -> OperationBuilder {
    let mut operation = OperationBuilder::new().tag(tag).summary(Some(summary));
    for status in [401, 403, 503].iter().chain(errors) {
        operation = operation.response(status.to_string(), problem());
    }
    operation
}

/// The `{id}` path parameter of a record's routes (a UUID), for an application's own routes
/// too ([`crate::ApiState::routes`]).
pub fn id_parameter() -> utoipa::openapi::path::Parameter {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    ParameterBuilder::new()
        .name("id")
        .parameter_in(ParameterIn::Path)
        .required(utoipa::openapi::Required::True)
        .schema(Some(super::entity::typed(
            campushub_core::FieldType::Uuid,
            false,
        )))
        .build()
}

/// An operation open to anyone.
pub(super) fn open(tag: &str, summary: &str) -> OperationBuilder {
    OperationBuilder::new()
        .tag(tag)
        .summary(Some(summary))
        .security(SecurityRequirement::default())
}

/// A statistics operation answering `stats` (a named schema).
pub(super) fn stats_op(tag: &str, stats: Ref) -> OperationBuilder {
    op(tag, "Statistics (the list's filters narrow them)", &[400, 422])
        .parameter(consistency_token())
        .response(
            "200",
            json("`{total, by_<field>: {value: count}, suppressed_below?}`: groups under `suppressed_below` are withheld from callers who may not list the kind", stats),
        )
}

/// The bulk reports by their count member, with their component names: each bulk route
/// answers one, whatever the kind.
pub(super) const BULK_REPORTS: [(&str, &str); 3] = [
    ("created_count", "BulkCreateReport"),
    ("updated_count", "BulkUpdateReport"),
    ("deleted_count", "BulkDeleteReport"),
];

/// The bulk report that counts successes under `count`: how many rows failed, and why.
pub(super) fn bulk_report(count: &str) -> RefOr<utoipa::openapi::Schema> {
    let number = || {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(0))
    };
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property(count, number())
        .property("error_count", number())
        .property(
            "errors",
            ArrayBuilder::new().items(Ref::from_schema_name(RowError::name())),
        )
        .required(count)
        .required("error_count")
        .required("errors")
        .into()
}

/// A bulk operation taking `{"<key>": rows}`: its report (`200`), and the same report as a
/// problem when no row was applied (`422`).
pub(super) fn bulk_op(
    tag: &str,
    key: &str,
    count: &str,
    rows: RefOr<utoipa::openapi::Schema>,
) -> OperationBuilder {
    let request = ObjectBuilder::new()
        .property(key, rows)
        .required(key)
        .additional_properties(Some(AdditionalProperties::FreeForm(false)));
    let report = BULK_REPORTS
        .iter()
        .find(|(counted, _)| *counted == count)
        .map_or_else(
            || bulk_report(count),
            |(_, name)| Ref::from_schema_name(*name).into(),
        );
    let text = || ObjectBuilder::new().schema_type(Type::String);
    let problem_members = ObjectBuilder::new()
        .property("type", text())
        .property("title", text())
        .property("status", ObjectBuilder::new().schema_type(Type::Integer))
        .property("detail", text())
        .required("type")
        .required("status");
    let rejection = AllOfBuilder::new()
        .item(report.clone())
        .item(problem_members);
    op(
        tag,
        &format!("Bulk: `{{\"{key}\": [...]}}`, all or nothing unless `atomic=false`"),
        &[400, 413, 415],
    )
    .parameter(atomic())
    .request_body(Some(body(request)))
    .response("200", json("Per-row outcome", report))
    .response(
        "422",
        ResponseBuilder::new()
            .description(
                "No row applied (all or nothing: a row failed; or every row failed): the \
                 per-row report as a problem, `type` `urn:campushub:problem:bulk-rejected`",
            )
            .content(
                PROBLEM_JSON,
                ContentBuilder::new().schema(Some(rejection)).build(),
            )
            .build(),
    )
}

/// A list page of `record`s: the cursor form `{next, previous, results}`, and the numbered
/// form (`page=`), which adds `count` and `count_exact`. One schema for both, so that a client
/// has one page type.
pub(super) fn list_page(record: Ref) -> RefOr<utoipa::openapi::Schema> {
    let link =
        || ObjectBuilder::new().schema_type(SchemaType::Array(vec![Type::String, Type::Null]));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "A page of records: `next` and `previous` are links to the pages around it \
             (`null` at either end); `count`, every matching record, is there on numbered \
             pages (`page=`) only, with `count_exact`: `false` when the server counted no \
             further than its count cap and at least `count` records match.",
        ))
        .property(
            "count",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .minimum(Some(0)),
        )
        .property(
            "count_exact",
            ObjectBuilder::new()
                .schema_type(Type::Boolean)
                .description(Some(
                    "With `count`: `true` when it is the total, `false` when it is a lower bound \
                 (the count stopped at the server's count cap).",
                )),
        )
        .property("next", link())
        .property("previous", link())
        .property("results", ArrayBuilder::new().items(record))
        .required("next")
        .required("previous")
        .required("results")
        .into()
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

/// A PATCH body: a JSON merge patch (RFC 7396), sent as `application/merge-patch+json` or
/// plain `application/json`.
pub(super) fn merge_patch(
    schema: impl Into<RefOr<utoipa::openapi::Schema>>,
) -> utoipa::openapi::request_body::RequestBody {
    let schema = schema.into();
    RequestBodyBuilder::new()
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(schema.clone())).build(),
        )
        .content(
            "application/merge-patch+json",
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
