//! Bulk create, update and delete keyed by the natural key, with per-row errors and a cap on
//! rows per request (413 beyond it).
//!
//! A body whose rows do not have the declared shape is refused whole (400, rows named
//! `<member>[<index>].<field>`), nothing written.
//!
//! Bodies: `{"<rows>": [...]}` to create, `{"updates": [{"<key>": ..., fields...}]}` to
//! update, `{"<keys>": ["...", ...]}` to delete. Answers
//! `{"created_count"|"updated_count"|"deleted_count", "error_count", "errors": [{"index", "errors"}]}`.
//!
//! A call is all or nothing unless it says `?atomic=false` (then each row stands alone):
//! see [`BatchMode`]. A call that applied no row although some were sent answers `422`,
//! a problem carrying the same report ([`BULK_REJECTED`]); a database that cannot be reached
//! is a `503`, nothing written.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{post, MethodRouter};
use axum::Router;
use campushub_core::service::{BulkReport, BULK_ROWS};
use campushub_core::{BatchMode, Entity, EntityService, Error, ValidationErrors};
use serde_json::{Map, Value};

use crate::auth::Caller;
use crate::consistency::set_token;
use crate::extract::{JsonObject, QueryParams};
use crate::list::json_response;
use crate::problem::{rejected_report, ApiResult, Problem};
use crate::routing::{method_not_allowed, route_with_trailing_slash};

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
    /// Departments: `{"departments": [...]}`, `{"codes": [...]}`.
    pub const DEPARTMENTS: BulkKeys = BulkKeys {
        rows: "departments",
        keys: "codes",
    };
}

/// The key of bulk-update bodies.
pub const UPDATES: &str = "updates";

/// The query parameter that chooses per-row commits: `?atomic=false`.
pub const ATOMIC: &str = "atomic";

/// The `type` of the `422` of a bulk call that applied no row: its body is a problem with the
/// members of the report (`<verb>_count`, `error_count`, `errors`), `errors` per row.
pub const BULK_REJECTED: &str = "urn:campushub:problem:bulk-rejected";

/// The routes `<base>/bulk-{create,update,delete}` over `service`, with the body keys `keys`
/// and at most `max_rows` rows per request.
pub(crate) fn routes<E: Entity>(
    base: &str,
    service: EntityService<E>,
    keys: BulkKeys,
    max_rows: usize,
) -> Router {
    let handlers: [(&str, MethodRouter<BulkState<E>>); 3] = [
        ("bulk-create", post(create::<E>)),
        ("bulk-update", post(update::<E>)),
        ("bulk-delete", post(delete::<E>)),
    ];
    let mut router = Router::new();
    for (name, handler) in handlers {
        router = route_with_trailing_slash(router, &format!("{base}/{name}"), handler);
    }
    router
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(BulkState {
            service,
            keys,
            max_rows,
        })
}

/// What the bulk handlers of one resource share.
struct BulkState<E: Entity> {
    service: EntityService<E>,
    keys: BulkKeys,
    max_rows: usize,
}

impl<E: Entity> Clone for BulkState<E> {
    fn clone(&self) -> Self {
        BulkState {
            service: self.service.clone(),
            keys: self.keys,
            max_rows: self.max_rows,
        }
    }
}

async fn create<E: Entity>(
    State(state): State<BulkState<E>>,
    Caller(principal): Caller,
    QueryParams(query): QueryParams,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let mode = batch_mode(&query)?;
    let key = state.keys.rows;
    let rows = rows_of(body, key, state.max_rows)?;
    let created = state.service.bulk_create(&principal, rows, mode).await;
    let report = created.map_err(|error| named_rows(error, key))?;
    Ok(report_response("created_count", report))
}

async fn update<E: Entity>(
    State(state): State<BulkState<E>>,
    Caller(principal): Caller,
    QueryParams(query): QueryParams,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let mode = batch_mode(&query)?;
    let rows = rows_of(body, UPDATES, state.max_rows)?;
    let updated = state.service.bulk_update(&principal, rows, mode).await;
    let report = updated.map_err(|error| named_rows(error, UPDATES))?;
    Ok(report_response("updated_count", report))
}

async fn delete<E: Entity>(
    State(state): State<BulkState<E>>,
    Caller(principal): Caller,
    QueryParams(query): QueryParams,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let mode = batch_mode(&query)?;
    let keys = state.keys;
    let rows = rows_of(body, keys.keys, state.max_rows)?;
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
    let report = state.service.bulk_delete(&principal, texts, mode).await?;
    Ok(report_response("deleted_count", report))
}

/// The mode a query asks for: `atomic=true` (the default) or `atomic=false`, once; any other
/// parameter is refused.
fn batch_mode(query: &[(String, String)]) -> ApiResult<BatchMode> {
    let mut mode = None;
    for (name, value) in query {
        if name != ATOMIC {
            return Err(Problem::invalid(
                name,
                format!("unknown parameter; bulk routes take only `{ATOMIC}`"),
            ));
        }
        let asked = match value.as_str() {
            "true" => BatchMode::AllOrNothing,
            "false" => BatchMode::EachRow,
            _ => return Err(Problem::invalid(ATOMIC, "expected `true` or `false`")),
        };
        if mode.replace(asked).is_some() {
            return Err(Problem::invalid(ATOMIC, "given more than once"));
        }
    }
    Ok(mode.unwrap_or_default())
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

/// The problem for a refused bulk call, its rows named after the body's member
/// (`students[3].year_of_study`) rather than as core names them (`rows[3].year_of_study`).
fn named_rows(error: Error, key: &str) -> Problem {
    let Error::Validation(errors) = error else {
        return Problem::from(error);
    };
    let mut renamed = ValidationErrors::new();
    for (field, messages) in errors.iter() {
        let field = match field.strip_prefix(BULK_ROWS) {
            Some(rest) => format!("{key}{rest}"),
            None => field.to_owned(),
        };
        for message in messages {
            renamed.add(field.clone(), message.clone());
        }
    }
    Problem::from(Error::Validation(renamed))
}

/// The report of a bulk call: `200`, or `422` (a problem with the report's members) when
/// rows were sent and none was applied.
fn report_response(count_name: &str, report: BulkReport) -> Response {
    let body = serde_json::json!({
        count_name: report.succeeded,
        "error_count": report.errors.len(),
        "errors": report.errors,
    });
    if report.succeeded > 0 || report.errors.is_empty() {
        let mut response = json_response(StatusCode::OK, body.to_string());
        set_token(response.headers_mut(), report.token);
        return response;
    }
    let failed = report.errors.len();
    rejected_report(
        body,
        BULK_REJECTED,
        "No row applied",
        format!(
            "{failed} row(s) failed; nothing was written: fix the rows `errors` names and send \
             the call again"
        ),
    )
}
