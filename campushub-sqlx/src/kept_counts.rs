//! The counts the writes keep (triggers, in each write's transaction: see the `group_counts`
//! and `count_deltas` migrations), read for statistics and analytics: the counter rows of
//! `campushub_group_counts` plus the deltas of `campushub_count_deltas` not yet folded into
//! them.

use std::collections::BTreeMap;

use campushub_core::{Error, ReadOptions, Result, Scalar};
use serde_json::Value;
use uuid::Uuid;

use crate::backend::Backend;
use crate::sql::SqlBuilder;
use crate::value::{ColType, SqlValue};

/// One kept count's key: table, grouping (`field` or `a,b`), value as normalized JSON text.
/// Only what cannot be derived is kept: a table's total is the sum over any of its
/// groupings, a field kept in a pair the sum over the pair's other field.
pub(crate) type KeptKey = (String, String, String);

/// The kept counts of `tables`, slots and deltas summed, groups whose count is zero left out; values
/// normalized to compact JSON (Postgres's `jsonb` prints arrays with spaces).
pub(crate) async fn kept_counts<B: Backend>(
    backend: &B,
    tables: &[&str],
    read: &ReadOptions,
) -> Result<BTreeMap<KeptKey, i64>> {
    let names = || tables.iter().map(|t| SqlValue::Text(Some((*t).to_owned())));
    let mut b = SqlBuilder::new(backend.dialect());
    b.push("SELECT tbl, field, value, CAST(sum(n) AS BIGINT) FROM (");
    b.push("SELECT tbl, field, value, n FROM campushub_group_counts WHERE tbl IN ");
    b.bind_tuple(names());
    // The deltas written since the last fold (Postgres), in the same snapshot.
    b.push(" UNION ALL SELECT tbl, field, value, n FROM campushub_count_deltas WHERE tbl IN ");
    b.bind_tuple(names());
    b.push(") k GROUP BY tbl, field, value HAVING sum(n) <> 0");
    let returns = vec![ColType::Text, ColType::Text, ColType::Text, ColType::Int];
    let rows = backend.fetch(b.finish(returns), read).await?;
    let mut kept = BTreeMap::new();
    for row in rows {
        let mut row = row.into_iter();
        let (
            Some(SqlValue::Text(Some(table))),
            Some(SqlValue::Text(Some(field))),
            Some(SqlValue::Text(Some(value))),
            Some(SqlValue::Int(Some(n))),
        ) = (row.next(), row.next(), row.next(), row.next())
        else {
            return Err(Error::Internal {
                message: "malformed kept count".into(),
                source: None,
            });
        };
        let value = serde_json::from_str::<Value>(&value)
            .map(|v| v.to_string())
            .unwrap_or(value);
        *kept.entry((table, field, value)).or_insert(0) += n;
    }
    Ok(kept)
}

/// A kept count as a `u64`: one below zero cannot come from the triggers, and reads as zero
/// (the reference check reports it).
pub(crate) fn non_negative(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Where `field` is kept among `groupings`: the grouping and the field's position in it (0
/// for a grouping of the field alone), the field alone preferred.
pub(crate) fn kept_position<'a>(groupings: &[&'a str], field: &str) -> Option<(&'a str, usize)> {
    groupings
        .iter()
        .find(|g| **g == field)
        .map(|g| (*g, 0))
        .or_else(|| {
            groupings.iter().find_map(|g| {
                let position = g.split(',').position(|part| part == field)?;
                Some((*g, position))
            })
        })
}

/// The value at `position` of a count kept under a grouping with `value` (normalized JSON):
/// the value itself for a grouping of one field, its element for a pair.
pub(crate) fn value_at(grouping: &str, value: &str, position: usize) -> Option<String> {
    if !grouping.contains(',') {
        return (position == 0).then(|| value.to_owned());
    }
    match serde_json::from_str::<Value>(value).ok()? {
        Value::Array(values) => values.get(position).map(Value::to_string),
        _ => None,
    }
}

/// The sum of the kept counts of `table` under `grouping` whose value is `value` (JSON), zero
/// if there is none.
pub(crate) fn kept_count(
    kept: &BTreeMap<KeptKey, i64>,
    table: &str,
    grouping: &str,
    value: &Value,
) -> u64 {
    let key = (table.to_owned(), grouping.to_owned(), value.to_string());
    kept.get(&key).copied().map_or(0, non_negative)
}

/// A table's total: the sum over its `grouping` (any grouping of all its rows).
pub(crate) fn kept_total(kept: &BTreeMap<KeptKey, i64>, table: &str, grouping: &str) -> u64 {
    kept.iter()
        .filter(|((t, g, _), _)| t == table && g == grouping)
        .map(|(_, n)| non_negative(*n))
        .sum()
}

/// A grouped value as the triggers write it, as JSON (`"ACTIVE"`, `3`, `null`): Postgres's
/// `jsonb` output and SQLite's `json_quote` agree with [`Scalar::to_json`] on the types
/// grouped by (text, integers, UUIDs).
pub(crate) fn encode_value(value: &Option<Scalar>) -> Value {
    value.as_ref().map_or(Value::Null, Scalar::to_json)
}

/// The value a trigger wrote as JSON text, as a column of type `ty` reads: `Some(None)` for
/// null, `None` when the text is not such a value.
pub(crate) fn decode_value(json: &str, ty: ColType) -> Option<Option<Scalar>> {
    let value: Value = serde_json::from_str(json).ok()?;
    let sql = match (&value, ty) {
        (Value::Null, ty) => SqlValue::null(ty),
        (Value::String(s), ColType::Text) => SqlValue::Text(Some(s.clone())),
        (Value::String(s), ColType::Uuid) => SqlValue::Uuid(Some(Uuid::parse_str(s).ok()?)),
        (Value::Number(n), ColType::Int) => SqlValue::Int(Some(n.as_i64()?)),
        (Value::Number(n), ColType::Float) => SqlValue::Float(Some(n.as_f64()?)),
        (Value::Bool(b), ColType::Bool) => SqlValue::Bool(Some(*b)),
        _ => return None,
    };
    Some(sql.to_scalar())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_back_as_the_triggers_wrote_them() {
        let id = Uuid::new_v4();
        let cases = [
            (
                r#""ACTIVE""#,
                ColType::Text,
                Some(Scalar::Text("ACTIVE".into())),
            ),
            ("3", ColType::Int, Some(Scalar::Int(3))),
            ("null", ColType::Int, None),
            ("null", ColType::Text, None),
        ];
        for (json, ty, expected) in cases {
            assert_eq!(decode_value(json, ty), Some(expected.clone()), "{json}");
            assert_eq!(encode_value(&expected).to_string(), json, "{json}");
        }
        let quoted = format!("\"{id}\"");
        let decoded = decode_value(&quoted, ColType::Uuid).expect("a uuid");
        assert_eq!(encode_value(&decoded).to_string(), quoted);
    }

    #[test]
    fn text_that_is_not_such_a_value_is_refused() {
        assert_eq!(decode_value("ACTIVE", ColType::Text), None);
        assert_eq!(decode_value("\"3\"", ColType::Int), None);
        assert_eq!(decode_value("3", ColType::Text), None);
        assert_eq!(decode_value("\"not a uuid\"", ColType::Uuid), None);
    }

    #[test]
    fn a_field_is_read_alone_or_from_its_pair() {
        let groupings = ["status", "department_id,gender"];
        assert_eq!(kept_position(&groupings, "status"), Some(("status", 0)));
        assert_eq!(
            kept_position(&groupings, "gender"),
            Some(("department_id,gender", 1))
        );
        assert_eq!(
            kept_position(&groupings, "department_id"),
            Some(("department_id,gender", 0))
        );
        assert_eq!(kept_position(&groupings, "year_of_study"), None);
        assert_eq!(
            value_at("department_id,gender", r#"["d1","F"]"#, 1).as_deref(),
            Some(r#""F""#)
        );
        assert_eq!(
            value_at("department_id,gender", r#"[null,"F"]"#, 0).as_deref(),
            Some("null")
        );
        assert_eq!(
            value_at("status", r#""ACTIVE""#, 0).as_deref(),
            Some(r#""ACTIVE""#)
        );
        assert_eq!(value_at("status", r#""ACTIVE""#, 1), None);
        assert_eq!(value_at("department_id,gender", r#""not a pair""#, 0), None);
    }
}
