//! Bulk create, update and delete keyed by the natural key, with per-row errors and a cap on
//! rows per request (413 beyond it).
//!
//! Bodies: `{"<rows>": [...]}` to create, `{"updates": [{"<key>": ..., fields...}]}` to
//! update, `{"<keys>": ["...", ...]}` to delete. Answers
//! `{"created_count"|"updated_count"|"deleted_count", "error_count", "errors": [{"index", "errors"}]}`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use campushub_core::service::BulkReport;
use campushub_core::Entity;
use serde_json::{Map, Value};

use crate::auth::Caller;
use crate::consistency::set_token;
use crate::extract::JsonObject;
use crate::list::json_response;
use crate::problem::{ApiResult, Problem};
use crate::resource::ResourceState;

/// The body keys of a kind's bulk routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkKeys {
    /// The array of new rows in a bulk create (`students`).
    pub rows: &'static str,
    /// The array of natural keys in a bulk delete (`roll_numbers`).
    pub keys: &'static str,
}

impl BulkKeys {
    /// Students: `{"students": [...]}`, `{"roll_numbers": [...]}`.
    pub const STUDENTS: BulkKeys = BulkKeys {
        rows: "students",
        keys: "roll_numbers",
    };
    /// Faculty: `{"faculty": [...]}`, `{"employee_ids": [...]}`.
    pub const FACULTY: BulkKeys = BulkKeys {
        rows: "faculty",
        keys: "employee_ids",
    };
}

/// The key of bulk-update bodies.
pub const UPDATES: &str = "updates";

pub(crate) async fn create<E: Entity>(
    State(state): State<ResourceState<E>>,
    Caller(principal): Caller,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let keys = keys_of(&state)?;
    let rows = rows_of(body, keys.rows, state.config.max_bulk_rows)?;
    let report = state.service.bulk_create(&principal, rows).await?;
    Ok(report_response("created_count", report))
}

pub(crate) async fn update<E: Entity>(
    State(state): State<ResourceState<E>>,
    Caller(principal): Caller,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let rows = rows_of(body, UPDATES, state.config.max_bulk_rows)?;
    let report = state.service.bulk_update(&principal, rows).await?;
    Ok(report_response("updated_count", report))
}

pub(crate) async fn delete<E: Entity>(
    State(state): State<ResourceState<E>>,
    Caller(principal): Caller,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let keys = keys_of(&state)?;
    let rows = rows_of(body, keys.keys, state.config.max_bulk_rows)?;
    let mut texts = Vec::with_capacity(rows.len());
    for (index, row) in rows.into_iter().enumerate() {
        match row {
            Value::String(text) => texts.push(text),
            _ => {
                return Err(Problem::invalid(
                    &format!("{}[{index}]", keys.keys),
                    "expected a string",
                ))
            }
        }
    }
    let report = state.service.bulk_delete(&principal, texts).await?;
    Ok(report_response("deleted_count", report))
}

fn keys_of<E: Entity>(state: &ResourceState<E>) -> ApiResult<BulkKeys> {
    state.bulk.ok_or_else(|| {
        Problem::new(
            StatusCode::NOT_FOUND,
            "this resource has no bulk operations",
        )
    })
}

/// The array under `key`, the body's only member, with at most `cap` rows.
fn rows_of(mut body: Map<String, Value>, key: &str, cap: usize) -> ApiResult<Vec<Value>> {
    if let Some(other) = body.keys().find(|name| name.as_str() != key) {
        return Err(Problem::invalid(
            other,
            format!("unknown member; the body is `{{\"{key}\": [...]}}`"),
        ));
    }
    let rows = match body.remove(key) {
        Some(Value::Array(rows)) => rows,
        Some(_) => return Err(Problem::invalid(key, "expected an array")),
        None => return Err(Problem::invalid(key, "this field is required")),
    };
    if rows.len() > cap {
        return Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("{} rows sent; at most {cap} per request", rows.len()),
        ));
    }
    Ok(rows)
}

fn report_response(count_name: &str, report: BulkReport) -> Response {
    let body = serde_json::json!({
        count_name: report.succeeded,
        "error_count": report.errors.len(),
        "errors": report.errors,
    });
    let mut response = json_response(StatusCode::OK, body.to_string());
    set_token(response.headers_mut(), report.token);
    response
}
