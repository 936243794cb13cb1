//! Running one [`Statement`] on a SQLite executor: binding and decoding [`SqlValue`]s.
//!
//! Storage forms: UUIDs as hyphenated text, dates as `YYYY-MM-DD`, instants as microseconds
//! since the epoch (so text and time order agree), JSON as text.

use chrono::{DateTime, NaiveDate};
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Row, Sqlite};
use uuid::Uuid;

use crate::backend::{Statement, StatementResult};
use crate::error::{Error, Result};
use crate::value::{ColType, SqlValue};

type SqliteQuery<'q> = Query<'q, Sqlite, SqliteArguments<'q>>;

fn bind(query: SqliteQuery<'_>, value: SqlValue) -> Result<SqliteQuery<'_>> {
    Ok(match value {
        SqlValue::Text(v) => query.bind(v),
        SqlValue::Int(v) => query.bind(v),
        SqlValue::Float(v) => query.bind(v),
        SqlValue::Bool(v) => query.bind(v),
        SqlValue::Uuid(v) => query.bind(v.map(|u| u.hyphenated().to_string())),
        SqlValue::Date(v) => query.bind(v.map(|d| d.format("%Y-%m-%d").to_string())),
        SqlValue::DateTime(v) => query.bind(v.map(|t| t.timestamp_micros())),
        SqlValue::Json(v) => query.bind(v.map(|j| j.to_string())),
        SqlValue::TextList(_) | SqlValue::UuidList(_) | SqlValue::Array(..) => {
            return Err(Error::Unsupported("array parameters on SQLite".into()))
        }
    })
}

fn decode_error(i: usize, message: impl std::fmt::Display) -> Error {
    Error::Decode {
        column: i.to_string(),
        message: message.to_string(),
    }
}

fn decode(row: &SqliteRow, types: &[ColType]) -> Result<Vec<SqlValue>> {
    let mut values = Vec::with_capacity(types.len());
    for (i, ty) in types.iter().enumerate() {
        values.push(match ty {
            ColType::Text => SqlValue::Text(row.try_get(i)?),
            ColType::Int => SqlValue::Int(row.try_get(i)?),
            ColType::Float => SqlValue::Float(row.try_get(i)?),
            ColType::Bool => SqlValue::Bool(row.try_get(i)?),
            ColType::Uuid => SqlValue::Uuid(
                row.try_get::<Option<String>, _>(i)?
                    .map(|s| Uuid::parse_str(&s).map_err(|e| decode_error(i, e)))
                    .transpose()?,
            ),
            ColType::Date => SqlValue::Date(
                row.try_get::<Option<String>, _>(i)?
                    .map(|s| {
                        NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|e| decode_error(i, e))
                    })
                    .transpose()?,
            ),
            ColType::DateTime => SqlValue::DateTime(
                row.try_get::<Option<i64>, _>(i)?
                    .map(|m| {
                        DateTime::from_timestamp_micros(m)
                            .ok_or_else(|| decode_error(i, "instant out of range"))
                    })
                    .transpose()?,
            ),
            ColType::Json => SqlValue::Json(
                row.try_get::<Option<String>, _>(i)?
                    .map(|s| serde_json::from_str(&s).map_err(|e| decode_error(i, e)))
                    .transpose()?,
            ),
        });
    }
    Ok(values)
}

/// Runs `statement` on `executor`.
pub(crate) async fn run<'c, X>(executor: X, statement: Statement) -> Result<StatementResult>
where
    X: sqlx::Executor<'c, Database = Sqlite>,
{
    let Statement { sql, args, returns } = statement;
    let mut query = sqlx::query(&sql);
    for value in args {
        query = bind(query, value)?;
    }
    if returns.is_empty() {
        let done = query.execute(executor).await?;
        return Ok(StatementResult {
            rows_affected: done.rows_affected(),
            rows: Vec::new(),
        });
    }
    let rows = query.fetch_all(executor).await?;
    let rows = rows
        .iter()
        .map(|row| decode(row, &returns))
        .collect::<Result<Vec<_>>>()?;
    Ok(StatementResult {
        rows_affected: rows.len() as u64,
        rows,
    })
}
