//! The audit log's routes in the document (when the router serves them): `GET /audit` and
//! each resource's `GET /{segment}/{id}/history`, answering [`AUDIT_PAGE`] pages of
//! [`AUDIT_ENTRY`] entries. No other method is documented: none is served.

use campushub_core::audit_log::{AuditAction, MAX_AUDIT_PAGE_SIZE};
use campushub_core::schema::FieldType;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, Parameter, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder, Type};
use utoipa::openapi::{ObjectBuilder, OpenApi, Ref, Required};

use super::entity::typed;
use super::names::operation_id;
use super::params::query;
use super::parts::{any_object, json, op};
use super::{add, ResourceDoc};
use crate::routing::API_PREFIX;

/// The name of an entry's schema.
const AUDIT_ENTRY: &str = "AuditEntry";

/// The name of a page's schema.
const AUDIT_PAGE: &str = "AuditPage";

/// Adds the audit routes (the log, and the history of each of `resources`) and their
/// schemas to `document`.
pub fn add_audit(document: &mut OpenApi, resources: &[ResourceDoc]) {
    let paths = &mut document.paths;
    let mut log = reading("audit", "The audit log, newest first")
        .operation_id(Some(operation_id("audit", "list")))
        .description(Some(
            "Who changed what: one entry per record a committed write changed. For the \
             `auditor` role and admins. Entries are written only by the writes they record: \
             no route writes or deletes one.",
        ));
    for parameter in record_filters() {
        log = log.parameter(parameter);
    }
    log = with_page_parameters(log);
    add(paths, &format!("{API_PREFIX}/audit"), HttpMethod::Get, log);
    #[cfg(feature = "exchange")]
    add(
        paths,
        &format!("{API_PREFIX}/audit/export"),
        HttpMethod::Get,
        export(),
    );
    for resource in resources {
        let history = reading(resource.segment, "The record's history, newest first")
            .operation_id(Some(operation_id(resource.segment, "history")))
            .parameter(
                ParameterBuilder::new()
                    .name("id")
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(typed(FieldType::Uuid, false))),
            );
        add(
            paths,
            &format!("{API_PREFIX}/{}/{{id}}/history", resource.segment),
            HttpMethod::Get,
            with_page_parameters(history),
        );
    }
    let components = document.components.get_or_insert_with(Default::default);
    components
        .schemas
        .insert(AUDIT_ENTRY.into(), entry().into());
    components.schemas.insert(AUDIT_PAGE.into(), page().into());
}

/// A read of the log answering a page.
fn reading(tag: &str, summary: &str) -> OperationBuilder {
    op(tag, summary, &[400, 422]).response(
        "200",
        json(
            "A page: `{next, results}`, `next` the URL of the older entries or null",
            Ref::from_schema_name(AUDIT_PAGE),
        ),
    )
}

/// The actions an entry names, as a string enumeration.
fn action() -> ObjectBuilder {
    let actions: Vec<Option<&str>> = AuditAction::ALL.iter().map(|a| Some(a.as_str())).collect();
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(actions))
}

/// The filters of the whole log: which records, and whose changes.
fn record_filters() -> [Parameter; 3] {
    [
        query(
            "kind",
            "The record's kind (`student`)",
            typed(FieldType::Text, false),
        ),
        query(
            "record_id",
            "The record's id",
            typed(FieldType::Uuid, false),
        ),
        query(
            "actor",
            "The subject that made the change",
            typed(FieldType::Text, false),
        ),
    ]
}

/// The filters every read of the log takes.
fn change_filters() -> [Parameter; 3] {
    [
        query("action", "What the write did", action()),
        query(
            "since",
            "Entries at or after this time (RFC 3339)",
            typed(FieldType::DateTime, false),
        ),
        query(
            "until",
            "Entries before this time (RFC 3339)",
            typed(FieldType::DateTime, false),
        ),
    ]
}

/// The filters every read of the log takes, and its page parameters.
fn with_page_parameters(mut operation: OperationBuilder) -> OperationBuilder {
    let page_size = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
        .maximum(Some(MAX_AUDIT_PAGE_SIZE as f64));
    for parameter in change_filters() {
        operation = operation.parameter(parameter);
    }
    for parameter in [
        query(
            "cursor",
            "The cursor of a page's `next`",
            typed(FieldType::Text, false).min_length(Some(1)),
        ),
        query("page_size", "Entries per page (default 50)", page_size),
    ] {
        operation = operation.parameter(parameter);
    }
    operation
}

/// `GET /audit/export`: the log's filters, a format, and a file.
#[cfg(feature = "exchange")]
fn export() -> OperationBuilder {
    use campushub_core::exchange::AUDIT_HEADERS;
    use utoipa::openapi::schema::{KnownFormat, SchemaFormat};
    use utoipa::openapi::{ContentBuilder, ResponseBuilder};

    let text = || ObjectBuilder::new().schema_type(Type::String);
    let binary = text().format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)));
    let formats = text().enum_values(Some(["csv", "xlsx"]));
    let mut operation = op(
        "audit",
        "Export the audit log (its filters) as CSV or XLSX, one row per changed field",
        &[400, 422],
    )
    .operation_id(Some(operation_id("audit", "export")))
    .parameter(query("format", "`csv` (the default) or `xlsx`", formats))
    .response(
        "200",
        ResponseBuilder::new()
            .description(format!(
                "The file, newest entries first: a header row ({}), then one row per changed \
                 field of each entry (one row with an empty `field` for an entry naming \
                 none); a private field's row has `private` true and no values",
                AUDIT_HEADERS.join(", ")
            ))
            .content(
                "text/csv",
                ContentBuilder::new().schema(Some(text())).build(),
            )
            .content(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ContentBuilder::new().schema(Some(binary)).build(),
            )
            .build(),
    );
    for parameter in record_filters().into_iter().chain(change_filters()) {
        operation = operation.parameter(parameter);
    }
    operation
}

/// An entry's schema.
fn entry() -> ObjectBuilder {
    let text = |nullable| typed(FieldType::Text, nullable);
    let version = || typed(FieldType::Int, true);
    let actor = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("subject", text(false))
        .property("roles", ArrayBuilder::new().items(text(false)))
        .property("api_key", text(true))
        .required("subject")
        .required("roles")
        .required("api_key");
    let changes = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "The changed fields by name (custom fields as `custom_fields.<name>`): \
             `{\"old\": ..., \"new\": ...}`, or `{\"redacted\": true}` for a field whose \
             values are kept out of the log",
        ))
        .additional_properties(Some(AdditionalProperties::RefOr(any_object())));
    let mut object = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("id", typed(FieldType::Uuid, false))
        .property("at", typed(FieldType::DateTime, false))
        .property("actor", actor)
        .property("request_id", text(true))
        .property("client_address", text(true))
        .property("action", action())
        .property("kind", text(false))
        .property("record_id", typed(FieldType::Uuid, false))
        .property("version_before", version())
        .property("version_after", version())
        .property("changes", changes);
    for name in [
        "id",
        "at",
        "actor",
        "request_id",
        "client_address",
        "action",
        "kind",
        "record_id",
        "version_before",
        "version_after",
        "changes",
    ] {
        object = object.required(name);
    }
    object
}

/// A page's schema.
fn page() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("next", typed(FieldType::Text, true))
        .property(
            "results",
            ArrayBuilder::new().items(Ref::from_schema_name(AUDIT_ENTRY)),
        )
        .required("next")
        .required("results")
}
