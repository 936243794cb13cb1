//! Helpers shared by the integration tests: assertions here, the services' fixtures in
//! [`service`], a repository with a rival writer in [`racing`].

pub mod racing;
pub mod service;

use campushub_core::{Error, Result, ValidationErrors};

/// The field errors of a validation error: input without the declared shape (panics on any
/// other outcome).
pub fn field_errors<T: std::fmt::Debug>(outcome: Result<T>) -> ValidationErrors {
    match outcome {
        Err(Error::Validation(errors)) => errors,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// The field errors of an unprocessable-input error: input of the declared shape that breaks
/// a rule (panics on any other outcome).
pub fn rule_errors<T: std::fmt::Debug>(outcome: Result<T>) -> ValidationErrors {
    match outcome {
        Err(Error::Unprocessable(errors)) => errors,
        other => panic!("expected an unprocessable-input error, got {other:?}"),
    }
}

/// The one message recorded against `field` (panics when there is none or several).
pub fn only<'a>(errors: &'a ValidationErrors, field: &str) -> &'a str {
    match errors.get(field) {
        Some([message]) => message,
        other => panic!("expected one message on `{field}`, got {other:?} in {errors}"),
    }
}
