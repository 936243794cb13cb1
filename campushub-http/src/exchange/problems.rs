//! The answers to a file that cannot be imported, shared by the readers and the route.

use axum::http::StatusCode;
use campushub_core::Error;

use crate::config::ImportLimits;
use crate::problem::Problem;

/// The `413` of a file with more rows than the limit.
pub(super) fn too_many_rows(limits: &ImportLimits) -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the file has more than {} data rows", limits.max_rows),
    )
}

/// The `400` of a cell longer than the limit (a limit of the server, as the `413`s are,
/// rather than a rule of the kind's rows), naming its row and column (its header) under
/// `file`.
pub(super) fn long_cell(row: usize, column: &str, limits: &ImportLimits) -> Problem {
    Problem::invalid(
        "file",
        format!(
            "row {row}, column `{column}`: longer than {} characters",
            limits.max_cell_chars
        ),
    )
}

/// The `422` of a file whose content cannot be read as the kind's rows (the document types
/// the body as any bytes, so this is a rule no schema states): the message under `file`.
pub(super) fn unreadable(message: impl Into<String>) -> Problem {
    Problem::from(Error::unprocessable("file", message))
}
