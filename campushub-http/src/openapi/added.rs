//! Building blocks for the OpenAPI paths of an application's own routes
//! ([`crate::ApiState::routes`]), so that they read like the built-in ones.

use utoipa::openapi::path::OperationBuilder;

/// An operation tagged `tag` (the resource's segment, to sit beside its routes) with
/// `summary`, answering a problem (`application/problem+json`) on `401`, `403` and `503` as
/// every authenticated route does, and on each of `errors`. Add its `operationId`, parameters,
/// body and success responses.
pub fn operation(tag: &str, summary: &str, errors: &[u16]) -> OperationBuilder {
    super::parts::op(tag, summary, errors)
}
