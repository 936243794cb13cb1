//! Typed scalar values: what filters compare, cursors record and aggregates group by.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One typed value of a field.
///
/// Ordering between two scalars of the same variant is the natural one (text by bytes, which is
/// also the `C` collation the SQL adapters use for keyset pages); scalars of different variants
/// never compare.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v", rename_all = "snake_case")]
pub enum Scalar {
    /// Text, including enum values in their uppercase string form.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A number with a fraction (custom `number` fields).
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A calendar date.
    Date(NaiveDate),
    /// An instant, UTC.
    DateTime(DateTime<Utc>),
    /// A UUID.
    Uuid(Uuid),
}

impl Scalar {
    /// Compares two scalars of the same variant; `None` across variants (and for NaN).
    ///
    /// An `Int` and a `Float` compare numerically, since custom numbers may hold either.
    pub fn compare(&self, other: &Scalar) -> Option<Ordering> {
        use Scalar::*;
        match (self, other) {
            (Text(a), Text(b)) => Some(a.cmp(b)),
            (Int(a), Int(b)) => Some(a.cmp(b)),
            (Float(a), Float(b)) => a.partial_cmp(b),
            (Int(a), Float(b)) => (*a as f64).partial_cmp(b),
            (Float(a), Int(b)) => a.partial_cmp(&(*b as f64)),
            (Bool(a), Bool(b)) => Some(a.cmp(b)),
            (Date(a), Date(b)) => Some(a.cmp(b)),
            (DateTime(a), DateTime(b)) => Some(a.cmp(b)),
            (Uuid(a), Uuid(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }

    /// The value as JSON (dates as ISO 8601 strings, UUIDs hyphenated).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Scalar::Text(s) => Value::String(s.clone()),
            Scalar::Int(i) => Value::from(*i),
            Scalar::Float(f) => Value::from(*f),
            Scalar::Bool(b) => Value::Bool(*b),
            Scalar::Date(d) => Value::String(d.to_string()),
            Scalar::DateTime(t) => {
                Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
            }
            Scalar::Uuid(u) => Value::String(u.to_string()),
        }
    }

    /// The text, if this is a `Text`.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Scalar::Text(s) => Some(s),
            _ => None,
        }
    }
}

impl From<&str> for Scalar {
    fn from(value: &str) -> Self {
        Scalar::Text(value.to_owned())
    }
}

impl From<String> for Scalar {
    fn from(value: String) -> Self {
        Scalar::Text(value)
    }
}

impl From<i64> for Scalar {
    fn from(value: i64) -> Self {
        Scalar::Int(value)
    }
}

impl From<bool> for Scalar {
    fn from(value: bool) -> Self {
        Scalar::Bool(value)
    }
}

impl From<Uuid> for Scalar {
    fn from(value: Uuid) -> Self {
        Scalar::Uuid(value)
    }
}

impl From<NaiveDate> for Scalar {
    fn from(value: NaiveDate) -> Self {
        Scalar::Date(value)
    }
}

impl From<DateTime<Utc>> for Scalar {
    fn from(value: DateTime<Utc>) -> Self {
        Scalar::DateTime(value)
    }
}
