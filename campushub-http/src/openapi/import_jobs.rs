//! The import jobs' routes in the document (when the router runs jobs): the job resource,
//! and the jobs' list, for the submitter and admins. The job's schemas come with the import
//! operations.

use campushub_core::exchange::jobs::ImportJob;
use utoipa::openapi::path::{HttpMethod, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
use utoipa::openapi::{OpenApi, Ref, Required};
use utoipa::ToSchema;

use super::parts::{json, op};
use crate::exchange::IMPORT_JOBS_PATH;

/// The schema name of a page of jobs.
const IMPORT_JOBS: &str = "ImportJobs";

/// Adds `GET /api/v1/import-jobs` and `GET /api/v1/import-jobs/{id}` and their schemas.
pub fn add_import_jobs(document: &mut OpenApi) {
    let job = || Ref::from_schema_name(ImportJob::name());
    let list = op(
        "import-jobs",
        "The caller's import jobs (an admin's: everyone's), newest first, at most 100",
        &[400],
    )
    .operation_id(Some("import_jobs_list"))
    .response(
        "200",
        json("`{results}`: the jobs", Ref::from_schema_name(IMPORT_JOBS)),
    );
    document
        .paths
        .add_path_operation(IMPORT_JOBS_PATH, vec![HttpMethod::Get], list.build());
    let retrieve = op(
        "import-jobs",
        "An import job: its state, rows done and total, and once it ran the import's report",
        &[404],
    )
    .operation_id(Some("import_jobs_retrieve"))
    .parameter(
        ParameterBuilder::new()
            .name("id")
            .parameter_in(ParameterIn::Path)
            .required(Required::True)
            .description(Some(
                "The job's id, from the `Location` of the `202` that queued it",
            ))
            .schema(Some(ObjectBuilder::new().schema_type(Type::String))),
    )
    .response("200", json("The job", job()));
    document.paths.add_path_operation(
        format!("{IMPORT_JOBS_PATH}/{{id}}"),
        vec![HttpMethod::Get],
        retrieve.build(),
    );
    let page = ObjectBuilder::new()
        .property("results", ArrayBuilder::new().items(job()))
        .required("results");
    // The job's own schemas come with the import operations (their `202` names it).
    let components = document.components.get_or_insert_with(Default::default);
    components
        .schemas
        .insert(IMPORT_JOBS.to_owned(), page.into());
}
