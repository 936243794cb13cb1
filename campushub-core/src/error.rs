//! The one error type of CampusHub: every adapter maps its failures into [`Error`].

use std::collections::BTreeMap;
use std::fmt;

use crate::kind::EntityKind;

/// Result with CampusHub's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Boxed source of an infrastructure failure (a driver error, an I/O error).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong in a CampusHub operation.
///
/// Adapters (`campushub-sqlx`, `campushub-cache`, `campushub-http`) convert their own errors into
/// this enum; the HTTP layer maps each variant to one status code in one place.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The record does not exist (or is not visible). Check the id; HTTP 404.
    #[error("{kind} {id} not found")]
    NotFound {
        /// The kind looked up.
        kind: EntityKind,
        /// The id or natural key that was looked up.
        id: String,
    },
    /// The input does not have the shape the kind declares (a value of the wrong type, out of
    /// its declared length, range or pattern, an unknown or missing field, a malformed query
    /// parameter) and was rejected before anything changed; the map names every offending
    /// field or parameter. Fix the named fields and retry; HTTP 400.
    #[error("validation failed: {0}")]
    Validation(ValidationErrors),
    /// The input has the declared shape but breaks a rule no declaration states: a reference
    /// to a record that does not exist, a date of birth in the future, a custom-field value
    /// against the definitions in force, a department hierarchy cycle, an application's rule.
    /// Nothing changed; the map names every offending field. HTTP 422.
    #[error("unprocessable: {0}")]
    Unprocessable(ValidationErrors),
    /// A uniqueness rule or a reference from another record forbids the write. `field` names
    /// the field whose value is taken (or that is still referenced); HTTP 409.
    #[error("conflict on `{field}`: {message}")]
    Conflict {
        /// The field whose value conflicts.
        field: String,
        /// What conflicts, in words.
        message: String,
    },
    /// The caller's expected version is not the stored one: someone else wrote first. Re-read
    /// and retry; HTTP 412.
    #[error("precondition failed: expected version {expected}, found {actual}")]
    PreconditionFailed {
        /// The version the caller based its write on.
        expected: i64,
        /// The version currently stored.
        actual: i64,
    },
    /// A condition the caller put on a write ([`crate::precondition::Precondition`]: HTTP
    /// `If-Match` or `If-None-Match`) does not hold for the stored record, in a form that
    /// names no single expected version (a list, `*`, a missing record, a matching
    /// `If-None-Match`); nothing changed. Re-read the record and decide again; HTTP 412.
    #[error("precondition failed: {detail}")]
    ConditionFailed {
        /// Which condition failed and what is stored, in words.
        detail: String,
    },
    /// A write without a condition kept losing the race for its record: each time it re-read
    /// the record and applied itself again, another writer had committed first, and after
    /// `attempts` tries it gave up; nothing changed. Send it again (perhaps after a pause);
    /// HTTP 409.
    #[error("{kind} {id} was changed by concurrent writes on each of {attempts} attempts to apply this one")]
    ConcurrentWrites {
        /// The kind written.
        kind: EntityKind,
        /// The record's id.
        id: String,
        /// How many times the write was tried.
        attempts: u32,
    },
    /// The principal is known but its roles do not allow the action; HTTP 403.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// No valid credentials were presented; HTTP 401.
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    /// Too many failed sign-in attempts for the account or from the client's address: the
    /// attempt was refused before the password was looked at. Wait `retry_after` and try
    /// again; HTTP 429 with `Retry-After`.
    #[error("too many failed attempts: try again in {} s", retry_after.as_secs().max(1))]
    TooManyAttempts {
        /// How long the lockout still lasts.
        retry_after: std::time::Duration,
    },
    /// A dependency (database, cache) cannot serve the request right now; retrying later may
    /// succeed; HTTP 503.
    #[error("unavailable: {message}")]
    Unavailable {
        /// What is unavailable.
        message: String,
        /// The underlying failure, if any.
        #[source]
        source: Option<BoxError>,
    },
    /// A bug or an unexpected state; HTTP 500. Never caused by bad input.
    #[error("internal error: {message}")]
    Internal {
        /// What went wrong.
        message: String,
        /// The underlying failure, if any.
        #[source]
        source: Option<BoxError>,
    },
}

impl Error {
    /// A validation error with one message for one field or parameter.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = ValidationErrors::new();
        errors.add(field, message);
        Error::Validation(errors)
    }

    /// An unprocessable-input error with one message for one field: input of the declared
    /// shape that breaks a rule no declaration states.
    pub fn unprocessable(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = ValidationErrors::new();
        errors.add(field, message);
        Error::Unprocessable(errors)
    }

    /// A not-found error for `kind` and an id or key.
    pub fn not_found(kind: EntityKind, id: impl fmt::Display) -> Self {
        Error::NotFound {
            kind,
            id: id.to_string(),
        }
    }

    /// A conflict on `field`.
    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Conflict {
            field: field.into(),
            message: message.into(),
        }
    }

    /// An unavailable dependency, keeping the cause.
    pub fn unavailable(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Error::Unavailable {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// An internal error, keeping the cause.
    pub fn internal(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Error::Internal {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// The field errors if this is a validation error, of shape or of rules
    /// ([`Error::Validation`] or [`Error::Unprocessable`]).
    pub fn validation_errors(&self) -> Option<&ValidationErrors> {
        match self {
            Error::Validation(errors) | Error::Unprocessable(errors) => Some(errors),
            _ => None,
        }
    }
}

/// `text` shortened for an error message, so that absurd inputs are not echoed whole.
pub(crate) fn shown(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or_default()),
        None => text.to_owned(),
    }
}

impl From<ValidationErrors> for Error {
    fn from(errors: ValidationErrors) -> Self {
        Error::Validation(errors)
    }
}

/// Field (or query parameter) name → messages, in name order.
///
/// Serializes as `{"field": ["message", ...]}`, the shape DRF clients already parse.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = FieldErrors))]
#[serde(transparent)]
pub struct ValidationErrors(BTreeMap<String, Vec<String>>);

impl ValidationErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `message` against `field`.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_default().push(message.into());
    }

    /// Records every error of `other`, with `prefix.` before each field name.
    pub fn merge_prefixed(&mut self, prefix: &str, other: ValidationErrors) {
        for (field, messages) in other.0 {
            self.0
                .entry(format!("{prefix}.{field}"))
                .or_default()
                .extend(messages);
        }
    }

    /// Records every error of `other` as it is.
    pub fn merge(&mut self, other: ValidationErrors) {
        for (field, messages) in other.0 {
            self.0.entry(field).or_default().extend(messages);
        }
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when `field` has at least one message.
    pub fn contains(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// The messages for `field`.
    pub fn get(&self, field: &str) -> Option<&[String]> {
        self.0.get(field).map(Vec::as_slice)
    }

    /// Iterates `(field, messages)` in field order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// `Ok(())` when empty, else `Err(Error::Validation(self))`: errors of shape.
    pub fn into_result(self) -> Result<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self))
        }
    }

    /// `Ok(())` when empty, else `Err(Error::Unprocessable(self))`: errors of rules the
    /// declarations cannot state.
    pub fn into_unprocessable(self) -> Result<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::Unprocessable(self))
        }
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (field, messages) in &self.0 {
            for message in messages {
                if !first {
                    f.write_str("; ")?;
                }
                first = false;
                write!(f, "{field}: {message}")?;
            }
        }
        Ok(())
    }
}
