//! Backend-neutral SQL values: what statements bind and what rows decode to.

use campushub_core::Scalar;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

/// The storage type of a column, the same on both backends (each maps it to its own type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColType {
    /// Text (`text COLLATE "C"` on Postgres, `TEXT` on SQLite).
    Text,
    /// A 64-bit integer (`bigint`, `INTEGER`).
    Int,
    /// A double (`double precision`, `REAL`).
    Float,
    /// A boolean (`boolean`, `INTEGER` 0/1).
    Bool,
    /// A UUID (`uuid`, hyphenated `TEXT`).
    Uuid,
    /// A date (`date`, `TEXT` `YYYY-MM-DD`).
    Date,
    /// An instant (`timestamptz`, `INTEGER` microseconds since the epoch).
    DateTime,
    /// A JSON document (`jsonb`, `TEXT`).
    Json,
}

/// One value bound to a statement or read from a row; nulls keep their type.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// Text.
    Text(Option<String>),
    /// An integer.
    Int(Option<i64>),
    /// A double.
    Float(Option<f64>),
    /// A boolean.
    Bool(Option<bool>),
    /// A UUID.
    Uuid(Option<Uuid>),
    /// A date.
    Date(Option<NaiveDate>),
    /// An instant.
    DateTime(Option<DateTime<Utc>>),
    /// A JSON document.
    Json(Option<Value>),
    /// A text array (Postgres only: `= ANY($1)`).
    TextList(Vec<String>),
    /// A UUID array (Postgres only: `= ANY($1)`).
    UuidList(Vec<Uuid>),
    /// A column of values of one type, bound as one array (Postgres only: `UNNEST($1, ...)`).
    Array(ColType, Vec<SqlValue>),
}

impl SqlValue {
    /// A typed null.
    pub fn null(ty: ColType) -> SqlValue {
        match ty {
            ColType::Text => SqlValue::Text(None),
            ColType::Int => SqlValue::Int(None),
            ColType::Float => SqlValue::Float(None),
            ColType::Bool => SqlValue::Bool(None),
            ColType::Uuid => SqlValue::Uuid(None),
            ColType::Date => SqlValue::Date(None),
            ColType::DateTime => SqlValue::DateTime(None),
            ColType::Json => SqlValue::Json(None),
        }
    }

    /// The column type of a scalar value (`None` for the array forms).
    pub fn col_type(&self) -> Option<ColType> {
        Some(match self {
            SqlValue::Text(_) => ColType::Text,
            SqlValue::Int(_) => ColType::Int,
            SqlValue::Float(_) => ColType::Float,
            SqlValue::Bool(_) => ColType::Bool,
            SqlValue::Uuid(_) => ColType::Uuid,
            SqlValue::Date(_) => ColType::Date,
            SqlValue::DateTime(_) => ColType::DateTime,
            SqlValue::Json(_) => ColType::Json,
            SqlValue::TextList(_) | SqlValue::UuidList(_) | SqlValue::Array(..) => return None,
        })
    }

    /// True for a null of any type.
    pub fn is_null(&self) -> bool {
        matches!(
            self,
            SqlValue::Text(None)
                | SqlValue::Int(None)
                | SqlValue::Float(None)
                | SqlValue::Bool(None)
                | SqlValue::Uuid(None)
                | SqlValue::Date(None)
                | SqlValue::DateTime(None)
                | SqlValue::Json(None)
        )
    }

    /// A query scalar as a value of column type `ty`, or `None` when the two do not fit.
    pub fn from_scalar(scalar: &Scalar, ty: ColType) -> Option<SqlValue> {
        Some(match (ty, scalar) {
            (ColType::Text, Scalar::Text(s)) => SqlValue::Text(Some(s.clone())),
            (ColType::Int, Scalar::Int(i)) => SqlValue::Int(Some(*i)),
            (ColType::Float, Scalar::Float(f)) => SqlValue::Float(Some(*f)),
            (ColType::Float, Scalar::Int(i)) => SqlValue::Float(Some(*i as f64)),
            (ColType::Bool, Scalar::Bool(b)) => SqlValue::Bool(Some(*b)),
            (ColType::Uuid, Scalar::Uuid(u)) => SqlValue::Uuid(Some(*u)),
            (ColType::Date, Scalar::Date(d)) => SqlValue::Date(Some(*d)),
            (ColType::DateTime, Scalar::DateTime(t)) => SqlValue::DateTime(Some(*t)),
            _ => return None,
        })
    }

    /// The value as a query scalar (`None` for nulls, JSON and arrays).
    pub fn to_scalar(&self) -> Option<Scalar> {
        match self {
            SqlValue::Text(v) => v.clone().map(Scalar::Text),
            SqlValue::Int(v) => v.map(Scalar::Int),
            SqlValue::Float(v) => v.map(Scalar::Float),
            SqlValue::Bool(v) => v.map(Scalar::Bool),
            SqlValue::Uuid(v) => v.map(Scalar::Uuid),
            SqlValue::Date(v) => v.map(Scalar::Date),
            SqlValue::DateTime(v) => v.map(Scalar::DateTime),
            SqlValue::Json(_)
            | SqlValue::TextList(_)
            | SqlValue::UuidList(_)
            | SqlValue::Array(..) => None,
        }
    }
}

macro_rules! from_value {
    ($($ty:ty => $variant:ident),+ $(,)?) => {$(
        impl From<$ty> for SqlValue {
            fn from(value: $ty) -> Self {
                SqlValue::$variant(Some(value.into()))
            }
        }
        impl From<Option<$ty>> for SqlValue {
            fn from(value: Option<$ty>) -> Self {
                SqlValue::$variant(value.map(Into::into))
            }
        }
    )+};
}

from_value! {
    String => Text,
    &str => Text,
    i64 => Int,
    i32 => Int,
    f64 => Float,
    bool => Bool,
    Uuid => Uuid,
    NaiveDate => Date,
    DateTime<Utc> => DateTime,
    Value => Json,
}

impl From<Map<String, Value>> for SqlValue {
    fn from(value: Map<String, Value>) -> Self {
        SqlValue::Json(Some(Value::Object(value)))
    }
}
