//! The export and import operations of a resource with them (feature `exchange`), and the
//! import report they answer.

use campushub_core::exchange::jobs::{ImportJob, JobState, JobSubmitter};
use campushub_core::exchange::{ImportReport, Issue};
use utoipa::openapi::path::{HttpMethod, OperationBuilder};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{AllOfBuilder, AnyOfBuilder, KnownFormat, SchemaFormat, Type};
use utoipa::openapi::{ContentBuilder, ObjectBuilder, Ref, Required, ResponseBuilder};
use utoipa::{PartialSchema, ToSchema};

use super::params::{consistency_token, filter_parameters, ordering, query};
use super::parts::op;
use super::ResourceDoc;
use crate::problem::PROBLEM_JSON;

/// The media type of CSV.
const TEXT_CSV: &str = "text/csv";
/// The media type of XLSX.
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Adds `<base>/export` and `<base>/import` for `resource` to `paths`.
pub(super) fn add_exchange(
    paths: &mut utoipa::openapi::Paths,
    resource: &ResourceDoc,
    base: &str,
    id: impl Fn(&str) -> Option<String>,
) {
    let tag = resource.segment;
    let choice = |values: &[&str]| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(values.iter().copied()))
    };
    let text = || ObjectBuilder::new().schema_type(Type::String);
    let binary = || {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
    };
    let mut export = op(
        tag,
        "Export every matching record (the list's filters, search and ordering) as CSV or XLSX",
        &[400, 422],
    )
    .operation_id(id("export"))
    .parameter(query(
        "format",
        "`csv` (the default) or `xlsx`",
        choice(&["csv", "xlsx"]),
    ))
    .parameter(ordering(resource.schema))
    .parameter(consistency_token())
    .response(
        "200",
        ResponseBuilder::new()
            .description(
                "The file: a header row of the kind's columns (`cf.<name>` per custom field, \
                 a referenced department as its `code`), then one row per record",
            )
            .content(TEXT_CSV, ContentBuilder::new().schema(Some(text())).build())
            .content(XLSX, ContentBuilder::new().schema(Some(binary())).build())
            .build(),
    );
    for parameter in filter_parameters(resource.schema) {
        export = export.parameter(parameter);
    }
    add(paths, &format!("{base}/export"), HttpMethod::Get, export);

    let report = || Ref::from_schema_name(ImportReport::name());
    let problem_members = ObjectBuilder::new()
        .property("type", text())
        .property("title", text())
        .property("status", ObjectBuilder::new().schema_type(Type::Integer))
        .property("detail", text())
        .required("type")
        .required("status");
    let import = op(
        tag,
        "Import a CSV or XLSX file: rows upserted by natural key, all or nothing unless \
         `mode=best_effort`",
        &[400, 413, 415],
    )
    .operation_id(id("import"))
    .parameter(query(
        "dry_run",
        "Check every row and write nothing",
        ObjectBuilder::new().schema_type(Type::Boolean),
    ))
    .parameter(query(
        "mode",
        "`all_or_nothing` (the default) or `best_effort`",
        choice(&["all_or_nothing", "best_effort"]),
    ))
    .parameter(query(
        "format",
        "The file's format, when `Content-Type` does not say",
        choice(&["csv", "xlsx"]),
    ))
    .parameter(query(
        "async",
        "Run the import as a job (as does `Prefer: respond-async`): `202` with the job, \
         followed at its `Location` (`/api/v1/import-jobs/{id}`), when the server runs jobs",
        ObjectBuilder::new().schema_type(Type::Boolean),
    ))
    // One media type generated clients all read as "a file": the server also takes
    // `text/csv` and the XLSX type, and tells the two apart by content here.
    .request_body(Some(
        RequestBodyBuilder::new()
            .description(Some(
                "The file: CSV (UTF-8, a header row) or XLSX (a zip archive). Sent as \
                 `text/csv` or `application/vnd.openxmlformats-officedocument.spreadsheetml.sheet` \
                 too.",
            ))
            .content(
                "application/octet-stream",
                ContentBuilder::new().schema(Some(binary())).build(),
            )
            .required(Some(Required::True))
            .build(),
    ))
    .response(
        "200",
        ResponseBuilder::new()
            .description("What was written (or, in a dry run, would be), and every problem")
            .content(
                "application/json",
                ContentBuilder::new().schema(Some(report())).build(),
            )
            .build(),
    )
    .response(
        "202",
        ResponseBuilder::new()
            .description(
                "Queued as a job (`async=true`): the job, at the `Location` the answer names",
            )
            .header(
                "Location",
                utoipa::openapi::header::HeaderBuilder::new()
                    .schema(text())
                    .description(Some("The job's URL path"))
                    .build(),
            )
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(ImportJob::name())))
                    .build(),
            )
            .build(),
    )
    .response(
        "422",
        ResponseBuilder::new()
            .description(
                "Rows were refused and nothing was written: the report as a problem, `type` \
                 `urn:campushub:problem:import-rejected`; or a file that cannot be read as rows \
                 (headers, quoting, encoding, a zip bomb): a problem naming `file` or the \
                 columns",
            )
            .content(
                PROBLEM_JSON,
                ContentBuilder::new()
                    .schema(Some(
                        AnyOfBuilder::new()
                            .item(AllOfBuilder::new().item(report()).item(problem_members))
                            .item(Ref::from_schema_name("Problem")),
                    ))
                    .build(),
            )
            .build(),
    );
    add(paths, &format!("{base}/import"), HttpMethod::Post, import);
}

/// The schemas the import operations name (an import's `202` names the job).
pub(super) fn schemas() -> [(String, utoipa::openapi::RefOr<utoipa::openapi::Schema>); 5] {
    [
        (
            ImportJob::name().into_owned(),
            <ImportJob as PartialSchema>::schema(),
        ),
        (
            JobState::name().into_owned(),
            <JobState as PartialSchema>::schema(),
        ),
        (
            JobSubmitter::name().into_owned(),
            <JobSubmitter as PartialSchema>::schema(),
        ),
        (
            ImportReport::name().into_owned(),
            <ImportReport as PartialSchema>::schema(),
        ),
        (
            Issue::name().into_owned(),
            <Issue as PartialSchema>::schema(),
        ),
    ]
}

fn add(paths: &mut utoipa::openapi::Paths, path: &str, method: HttpMethod, op: OperationBuilder) {
    paths.add_path_operation(path, vec![method], op.build());
}
