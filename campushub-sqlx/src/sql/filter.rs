//! `WHERE` clauses: a [`ListQuery`]'s filters, search and keyset position, with the same
//! meaning as core's in-memory reference semantics.

use campushub_core::custom_fields::CustomFieldType;
use campushub_core::query::{Filter, FilterField, FilterValue, Op, Pagination};
use campushub_core::{ListQuery, Scalar};

use super::builder::escape_like;
use super::order::push_position;
use super::{SqlBuilder, TableSql};
use crate::backend::Dialect;
use crate::error::{Error, Result};
use crate::table::SqlEntity;
use crate::value::{ColType, SqlValue};

/// The JSON column custom-field values live in.
const CUSTOM_FIELDS: &str = "custom_fields";

/// Appends ` WHERE ...` for the query's filters and search (and keyset position when
/// `with_position`), or nothing when there is no condition.
pub(crate) fn push_conditions<E: SqlEntity>(
    b: &mut SqlBuilder,
    table: &TableSql<E>,
    query: &ListQuery,
    with_position: bool,
) -> Result<()> {
    let mut first = true;
    let mut sep = |b: &mut SqlBuilder| {
        b.push(if first { " WHERE " } else { " AND " });
        first = false;
    };
    for filter in &query.filters {
        sep(b);
        push_filter(b, table, filter)?;
    }
    if let Some(search) = query.search.as_deref().filter(|s| !s.is_empty()) {
        let fields = E::schema().search;
        if !fields.is_empty() {
            sep(b);
            b.push("(");
            for (i, field) in fields.iter().enumerate() {
                if i > 0 {
                    b.push(" OR ");
                }
                table.column(field)?;
                b.column("t", field);
                push_icontains(b, search);
            }
            b.push(")");
        }
    }
    if let (true, Pagination::Cursor(Some(position))) = (with_position, &query.pagination) {
        sep(b);
        push_position(b, table, &query.ordering, position)?;
    }
    Ok(())
}

/// Case-insensitive "contains `text`", folding case beyond ASCII as core's reference
/// semantics do: on Postgres ` COLLATE "default" ILIKE '%text%'` (the database's UTF-8 ctype
/// rather than the column's byte-order `"C"` collation, which folds ASCII only; the trigram
/// indexes are built under the same collation), on SQLite ` REGEXP '(?i)text'` (the `regex`
/// crate's Unicode case folding; SQLite's `LIKE` folds ASCII only).
fn push_icontains(b: &mut SqlBuilder, text: &str) {
    match b.dialect {
        Dialect::Postgres => {
            let pattern = format!("%{}%", escape_like(text));
            b.push(" COLLATE \"default\" ILIKE ")
                .bind(pattern.into())
                .push(" ESCAPE '\\'");
        }
        Dialect::Sqlite => {
            let pattern = format!("(?i){}", regex::escape(text));
            b.push(" REGEXP ").bind(pattern.into());
        }
    }
}

fn push_filter<E: SqlEntity>(
    b: &mut SqlBuilder,
    table: &TableSql<E>,
    filter: &Filter,
) -> Result<()> {
    match &filter.field {
        FilterField::Schema(spec) => {
            let ty = table.column(spec.name)?.ty;
            let expr = |b: &mut SqlBuilder| {
                b.column("t", spec.name);
            };
            push_op(b, &expr, ty, filter)
        }
        FilterField::Custom { name, field_type } => {
            table.column(CUSTOM_FIELDS)?;
            if *field_type == CustomFieldType::Multiselect {
                return push_multiselect(b, name, filter);
            }
            let ty = custom_col_type(*field_type);
            let expr = |b: &mut SqlBuilder| push_custom_value(b, name, ty);
            push_op(b, &expr, ty, filter)
        }
    }
}

/// The SQL type a custom field's values compare as.
fn custom_col_type(field_type: CustomFieldType) -> ColType {
    match field_type {
        CustomFieldType::Number => ColType::Float,
        CustomFieldType::Boolean => ColType::Bool,
        _ => ColType::Text,
    }
}

/// Appends `expr <op> value` for one filter.
fn push_op(
    b: &mut SqlBuilder,
    expr: &dyn Fn(&mut SqlBuilder),
    ty: ColType,
    filter: &Filter,
) -> Result<()> {
    let value = |scalar: &Scalar| operand(scalar, ty);
    match (filter.op, &filter.value) {
        (Op::IsNull, FilterValue::Null(is_null)) => {
            expr(b);
            b.push(if *is_null { " IS NULL" } else { " IS NOT NULL" });
        }
        (Op::In, FilterValue::Many(values)) => {
            expr(b);
            b.push(" IN ");
            let values = values.iter().map(value).collect::<Result<Vec<_>>>()?;
            b.bind_tuple(values);
        }
        (Op::IContains, FilterValue::One(Scalar::Text(text))) => {
            expr(b);
            push_icontains(b, text);
        }
        (Op::StartsWith, FilterValue::One(Scalar::Text(text))) => match b.dialect {
            Dialect::Postgres => {
                b.push("starts_with(");
                expr(b);
                b.push(", ").bind(text.clone().into()).push(")");
            }
            Dialect::Sqlite => {
                b.push("substr(");
                expr(b);
                b.push(", 1, length(")
                    .bind(text.clone().into())
                    .push(")) = ");
                b.bind(text.clone().into());
            }
        },
        (op, FilterValue::One(scalar)) => {
            let sign = match op {
                Op::Eq => " = ",
                Op::Gt => " > ",
                Op::Gte => " >= ",
                Op::Lt => " < ",
                Op::Lte => " <= ",
                _ => return Err(unsupported(filter)),
            };
            expr(b);
            b.push(sign).bind(value(scalar)?);
        }
        _ => return Err(unsupported(filter)),
    }
    Ok(())
}

/// A filter operand as a value of the compared type (custom dates compare as ISO text).
fn operand(scalar: &Scalar, ty: ColType) -> Result<SqlValue> {
    match (ty, scalar) {
        (ColType::Text, Scalar::Date(date)) => Ok(SqlValue::Text(Some(date.to_string()))),
        _ => SqlValue::from_scalar(scalar, ty)
            .ok_or_else(|| Error::Unsupported(format!("{scalar:?} does not fit a {ty:?} field"))),
    }
}

fn unsupported(filter: &Filter) -> Error {
    Error::Unsupported(format!(
        "operator `{}` on `{}` with {:?}",
        filter.op.suffix(),
        filter.field.name(),
        filter.value
    ))
}

/// The custom field's value as a SQL value of type `ty` (null when the stored JSON value is
/// of another type).
fn push_custom_value(b: &mut SqlBuilder, name: &str, ty: ColType) {
    match b.dialect {
        Dialect::Postgres => {
            let (json_type, cast) = match ty {
                ColType::Float => ("number", "::float8"),
                ColType::Bool => ("boolean", "::boolean"),
                _ => ("string", " COLLATE \"C\""),
            };
            b.push("(CASE WHEN jsonb_typeof(t.\"custom_fields\" -> ")
                .bind(name.into());
            b.push(") = '")
                .push(json_type)
                .push("' THEN (t.\"custom_fields\" ->> ");
            b.bind(name.into()).push(")").push(cast).push(" END)");
        }
        Dialect::Sqlite => {
            let path = json_path(name);
            let (test, value) = match ty {
                ColType::Float => ("IN ('integer', 'real')", "json_extract"),
                ColType::Bool => ("IN ('true', 'false')", "json_extract"),
                _ => ("= 'text'", "json_extract"),
            };
            b.push("(CASE WHEN json_type(t.\"custom_fields\", ")
                .bind(path.clone().into());
            b.push(") ").push(test).push(" THEN ").push(value);
            b.push("(t.\"custom_fields\", ")
                .bind(path.into())
                .push(") END)");
        }
    }
}

/// Multiselect semantics: `Eq` means "the selection contains the value", `In` "contains any";
/// `IsNull` tests for a missing or null value.
fn push_multiselect(b: &mut SqlBuilder, name: &str, filter: &Filter) -> Result<()> {
    let wanted: Vec<String> = match (&filter.op, &filter.value) {
        (Op::IsNull, FilterValue::Null(is_null)) => {
            match b.dialect {
                Dialect::Postgres => b
                    .push("(t.\"custom_fields\" ->> ")
                    .bind(name.into())
                    .push(")"),
                Dialect::Sqlite => b
                    .push("json_extract(t.\"custom_fields\", ")
                    .bind(json_path(name).into())
                    .push(")"),
            };
            b.push(if *is_null { " IS NULL" } else { " IS NOT NULL" });
            return Ok(());
        }
        (Op::Eq, FilterValue::One(Scalar::Text(value))) => vec![value.clone()],
        (Op::In, FilterValue::Many(values)) => values
            .iter()
            .map(|v| {
                v.as_text()
                    .map(str::to_owned)
                    .ok_or_else(|| unsupported(filter))
            })
            .collect::<Result<_>>()?,
        _ => return Err(unsupported(filter)),
    };
    match b.dialect {
        Dialect::Postgres => {
            b.push("(");
            for (i, value) in wanted.into_iter().enumerate() {
                if i > 0 {
                    b.push(" OR ");
                }
                b.push("(t.\"custom_fields\" -> ")
                    .bind(name.into())
                    .push(") @> ");
                b.bind(SqlValue::Json(Some(serde_json::json!([value]))));
            }
            b.push(")");
        }
        Dialect::Sqlite => {
            let path = json_path(name);
            b.push("(json_type(t.\"custom_fields\", ")
                .bind(path.clone().into());
            b.push(") = 'array' AND EXISTS (SELECT 1 FROM json_each(t.\"custom_fields\", ");
            b.bind(path.into())
                .push(") j WHERE j.type = 'text' AND j.value IN ");
            b.bind_tuple(wanted.into_iter().map(SqlValue::from))
                .push("))");
        }
    }
    Ok(())
}

/// The SQLite JSON path of a top-level key.
fn json_path(name: &str) -> String {
    format!("$.\"{}\"", name.replace('"', "\\\""))
}
