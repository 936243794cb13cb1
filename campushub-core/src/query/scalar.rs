//! Parsing one raw parameter value into a typed [`Scalar`], with messages that say what was
//! expected.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::custom_fields::{CustomFieldDef, CustomFieldType};
use crate::schema::FieldType;
use crate::value::Scalar;

use super::MAX_TEXT_CHARS;

/// The longest raw parameter value accepted, in bytes; longer values are refused before any
/// other work.
pub(super) const MAX_PARAM_BYTES: usize = 16 * 1024;

/// The message for an empty value.
pub(super) const EMPTY_VALUE: &str = "a value is required (leave the parameter out to not filter)";

pub(super) use crate::error::shown;

/// Parses `raw` as a value of schema type `ty`.
pub(super) fn parse_scalar(ty: FieldType, raw: &str) -> Result<Scalar, String> {
    match ty {
        FieldType::Text => parse_text(raw).map(Scalar::Text),
        FieldType::Int => parse_int(raw).map(Scalar::Int),
        FieldType::Date => parse_date(raw).map(Scalar::Date),
        FieldType::DateTime => parse_datetime(raw).map(Scalar::DateTime),
        FieldType::Uuid => parse_uuid(raw).map(Scalar::Uuid),
        FieldType::Bool => parse_bool(raw).map(Scalar::Bool),
        FieldType::Choice(choices) => parse_choice(raw, choices.iter().copied()),
        // Body-only types: no field of these types accepts a filter operator.
        FieldType::Number | FieldType::Object | FieldType::TextList | FieldType::Json => {
            Err("this field cannot be filtered on".to_owned())
        }
    }
}

/// Parses `raw` as a value of custom field `def` (select and multiselect values must be
/// among its choices).
pub(super) fn parse_custom_scalar(def: &CustomFieldDef, raw: &str) -> Result<Scalar, String> {
    use CustomFieldType as T;
    match def.field_type {
        T::Text | T::Textarea | T::Email | T::Phone | T::Url => parse_text(raw).map(Scalar::Text),
        T::Number => parse_number(raw).map(Scalar::Float),
        T::Date => parse_date(raw).map(Scalar::Date),
        T::Boolean => parse_bool(raw).map(Scalar::Bool),
        T::Select | T::Multiselect => parse_choice(raw, def.choices.iter().map(String::as_str)),
    }
}

/// Non-empty text of at most [`MAX_TEXT_CHARS`] characters.
pub(super) fn parse_text(raw: &str) -> Result<String, String> {
    if raw.is_empty() {
        return Err(EMPTY_VALUE.to_owned());
    }
    if raw.chars().count() > MAX_TEXT_CHARS {
        return Err(format!(
            "the value is longer than {MAX_TEXT_CHARS} characters"
        ));
    }
    Ok(raw.to_owned())
}

/// `true` or `false`.
pub(super) fn parse_bool(raw: &str) -> Result<bool, String> {
    match raw {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("`{}` is not `true` or `false`", shown(raw))),
    }
}

/// A whole number that fits 64 bits.
fn parse_int(raw: &str) -> Result<i64, String> {
    raw.parse()
        .map_err(|_| format!("`{}` is not a whole number", shown(raw)))
}

/// A finite decimal number.
fn parse_number(raw: &str) -> Result<f64, String> {
    raw.parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .ok_or_else(|| format!("`{}` is not a number", shown(raw)))
}

/// A calendar date written `YYYY-MM-DD` ([`crate::schema::constraints::DATE`]).
fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    crate::schema::check::parse_date(raw)
        .ok_or_else(|| format!("`{}` is not a date in the form YYYY-MM-DD", shown(raw)))
}

/// An RFC 3339 instant (`2024-05-01T08:30:00Z`), converted to UTC.
fn parse_datetime(raw: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            format!(
                "`{}` is not an RFC 3339 date and time such as 2024-05-01T08:30:00Z",
                shown(raw)
            )
        })
}

/// A UUID in the hyphenated form the schema declares ([`crate::schema::constraints::UUID`]).
fn parse_uuid(raw: &str) -> Result<Uuid, String> {
    crate::schema::check::parse_uuid(raw).ok_or_else(|| format!("`{}` is not a UUID", shown(raw)))
}

/// One of `choices`, exactly.
fn parse_choice<'c>(
    raw: &str,
    choices: impl Iterator<Item = &'c str> + Clone,
) -> Result<Scalar, String> {
    if choices.clone().any(|choice| choice == raw) {
        Ok(Scalar::Text(raw.to_owned()))
    } else {
        let all: Vec<&str> = choices.collect();
        Err(format!(
            "`{}` is not one of: {}",
            shown(raw),
            all.join(", ")
        ))
    }
}

/// Whether `value` has the variant values of schema type `ty` parse to.
pub(super) fn fits(ty: FieldType, value: &Scalar) -> bool {
    matches!(
        (ty, value),
        (FieldType::Text | FieldType::Choice(_), Scalar::Text(_))
            | (FieldType::Int, Scalar::Int(_))
            | (FieldType::Date, Scalar::Date(_))
            | (FieldType::DateTime, Scalar::DateTime(_))
            | (FieldType::Uuid, Scalar::Uuid(_))
            | (FieldType::Bool, Scalar::Bool(_))
    )
}
