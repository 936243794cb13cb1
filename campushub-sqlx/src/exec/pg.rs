//! Running one [`Statement`] on a Postgres executor: binding and decoding [`SqlValue`]s.

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::types::Json;
use sqlx::{Postgres, Row};

use crate::backend::{Statement, StatementResult};
use crate::error::Result;
use crate::value::{ColType, SqlValue};

fn bind(
    query: Query<'_, Postgres, PgArguments>,
    value: SqlValue,
) -> Query<'_, Postgres, PgArguments> {
    match value {
        SqlValue::Text(v) => query.bind(v),
        SqlValue::Int(v) => query.bind(v),
        SqlValue::Float(v) => query.bind(v),
        SqlValue::Bool(v) => query.bind(v),
        SqlValue::Uuid(v) => query.bind(v),
        SqlValue::Date(v) => query.bind(v),
        SqlValue::DateTime(v) => query.bind(v),
        SqlValue::Json(v) => query.bind(v.map(Json)),
        SqlValue::TextList(v) => query.bind(v),
        SqlValue::UuidList(v) => query.bind(v),
        SqlValue::Array(ty, values) => bind_array(query, ty, values),
    }
}

/// Binds a column of values as one typed array (for `UNNEST`).
fn bind_array(
    query: Query<'_, Postgres, PgArguments>,
    ty: ColType,
    values: Vec<SqlValue>,
) -> Query<'_, Postgres, PgArguments> {
    macro_rules! column {
        ($variant:ident) => {
            query.bind(
                values
                    .into_iter()
                    .map(|v| match v {
                        SqlValue::$variant(v) => v,
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            )
        };
    }
    match ty {
        ColType::Text => column!(Text),
        ColType::Int => column!(Int),
        ColType::Float => column!(Float),
        ColType::Bool => column!(Bool),
        ColType::Uuid => column!(Uuid),
        ColType::Date => column!(Date),
        ColType::DateTime => column!(DateTime),
        ColType::Json => query.bind(
            values
                .into_iter()
                .map(|v| match v {
                    SqlValue::Json(v) => v.map(Json),
                    _ => None,
                })
                .collect::<Vec<_>>(),
        ),
    }
}

fn decode(row: &PgRow, types: &[ColType]) -> Result<Vec<SqlValue>> {
    let mut values = Vec::with_capacity(types.len());
    for (i, ty) in types.iter().enumerate() {
        values.push(match ty {
            ColType::Text => SqlValue::Text(row.try_get(i)?),
            ColType::Int => SqlValue::Int(row.try_get(i)?),
            ColType::Float => SqlValue::Float(row.try_get(i)?),
            ColType::Bool => SqlValue::Bool(row.try_get(i)?),
            ColType::Uuid => SqlValue::Uuid(row.try_get(i)?),
            ColType::Date => SqlValue::Date(row.try_get(i)?),
            ColType::DateTime => SqlValue::DateTime(row.try_get(i)?),
            ColType::Json => SqlValue::Json(
                row.try_get::<Option<Json<serde_json::Value>>, _>(i)?
                    .map(|j| j.0),
            ),
        });
    }
    Ok(values)
}

/// Runs `statement` on `executor`.
pub(crate) async fn run<'c, X>(executor: X, statement: Statement) -> Result<StatementResult>
where
    X: sqlx::Executor<'c, Database = Postgres>,
{
    let Statement { sql, args, returns } = statement;
    let mut query = sqlx::query(&sql);
    for value in args {
        query = bind(query, value);
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
