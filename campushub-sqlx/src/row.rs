//! A decoded row with typed accessors by column name, for [`crate::SqlEntity::from_row`].

use campushub_core::{Audit, RecordMeta};
use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::value::SqlValue;

/// One row: the selected column names and their values.
#[derive(Debug)]
pub struct SqlRow<'a> {
    names: &'a [&'static str],
    values: Vec<SqlValue>,
    /// Where the last lookup matched: entities read columns mostly in order, so the next
    /// lookup starts just after it.
    cursor: std::cell::Cell<usize>,
}

macro_rules! accessors {
    ($($(#[$doc:meta])* $opt:ident, $req:ident: $variant:ident => $ty:ty;)+) => {$(
        $(#[$doc])*
        pub fn $opt(&self, name: &str) -> Result<Option<$ty>> {
            match self.value(name)? {
                SqlValue::$variant(value) => Ok(value.clone()),
                other => Err(self.mismatch(name, other)),
            }
        }

        $(#[$doc])*
        /// Null is an error.
        pub fn $req(&self, name: &str) -> Result<$ty> {
            self.$opt(name)?.ok_or_else(|| Error::Decode {
                column: name.to_owned(),
                message: "unexpected null".to_owned(),
            })
        }
    )+};
}

impl<'a> SqlRow<'a> {
    /// A row of `values` for the columns `names`.
    pub fn new(names: &'a [&'static str], values: Vec<SqlValue>) -> Self {
        SqlRow {
            names,
            values,
            cursor: std::cell::Cell::new(0),
        }
    }

    /// The raw value of column `name`.
    pub fn value(&self, name: &str) -> Result<&SqlValue> {
        let start = self.cursor.get();
        let n = self.names.len();
        (0..n)
            .map(|k| (start + k) % n)
            .find(|i| self.names[*i] == name)
            .inspect(|i| self.cursor.set(i + 1))
            .and_then(|i| self.values.get(i))
            .ok_or_else(|| Error::Decode {
                column: name.to_owned(),
                message: "column not selected".to_owned(),
            })
    }

    accessors! {
        /// Text column `name`.
        opt_text, text: Text => String;
        /// Integer column `name`.
        opt_int, int: Int => i64;
        /// Double column `name`.
        opt_float, float: Float => f64;
        /// Boolean column `name`.
        opt_bool, bool: Bool => bool;
        /// UUID column `name`.
        opt_uuid, uuid: Uuid => Uuid;
        /// Date column `name`.
        opt_date, date: Date => NaiveDate;
        /// Instant column `name`.
        opt_datetime, datetime: DateTime => DateTime<Utc>;
        /// JSON column `name`.
        opt_json, json: Json => Value;
    }

    /// Integer column `name` as an `i32`.
    pub fn int32(&self, name: &str) -> Result<i32> {
        let value = self.int(name)?;
        i32::try_from(value).map_err(|_| Error::Decode {
            column: name.to_owned(),
            message: format!("{value} does not fit in 32 bits"),
        })
    }

    /// Text column `name` parsed as a string enum (any type deserializing from a string).
    pub fn choice<T: DeserializeOwned>(&self, name: &str) -> Result<T> {
        let text = self.text(name)?;
        serde_json::from_value(Value::String(text)).map_err(|e| Error::Decode {
            column: name.to_owned(),
            message: e.to_string(),
        })
    }

    /// JSON column `name` deserialized as `T` (null reads as `T`'s JSON null form).
    pub fn json_as<T: DeserializeOwned>(&self, name: &str) -> Result<T> {
        let value = self.opt_json(name)?.unwrap_or(Value::Null);
        serde_json::from_value(value).map_err(|e| Error::Decode {
            column: name.to_owned(),
            message: e.to_string(),
        })
    }

    /// JSON object column `name` (an empty map when null).
    pub fn json_map(&self, name: &str) -> Result<Map<String, Value>> {
        match self.opt_json(name)? {
            None | Some(Value::Null) => Ok(Map::new()),
            Some(Value::Object(map)) => Ok(map),
            Some(other) => Err(Error::Decode {
                column: name.to_owned(),
                message: format!("expected a JSON object, found {other}"),
            }),
        }
    }

    /// The metadata columns.
    pub fn meta(&self) -> Result<RecordMeta> {
        Ok(RecordMeta {
            id: self.uuid("id")?,
            created_at: self.datetime("created_at")?,
            updated_at: self.datetime("updated_at")?,
            version: self.int("version")?,
        })
    }

    /// The audit columns ([`crate::AUDIT_COLUMNS`]), each `None` where it is null.
    pub fn audit(&self) -> Result<Audit> {
        Ok(Audit {
            created_by: self.opt_text("created_by")?,
            updated_by: self.opt_text("updated_by")?,
        })
    }

    fn mismatch(&self, name: &str, found: &SqlValue) -> Error {
        Error::Decode {
            column: name.to_owned(),
            message: format!("unexpected value {found:?}"),
        }
    }
}
