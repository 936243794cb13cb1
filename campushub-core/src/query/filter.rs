//! Parsing one filter parameter (`field__op=value`, `cf.<name>__op=value`) into a [`Filter`].

use super::scalar::{
    parse_bool, parse_custom_scalar, parse_scalar, parse_text, shown, EMPTY_VALUE,
};
use super::{Filter, FilterField, FilterValue, Op, MAX_IN_VALUES};
use crate::custom_fields::{CustomFieldDef, CustomFieldType};
use crate::schema::{Ops, Schema};
use crate::value::Scalar;

/// The prefix of custom-field parameters.
pub const CUSTOM_PREFIX: &str = "cf.";

/// Parses the filter parameter `key=raw` against `schema` and the kind's active custom-field
/// `definitions`; the error is the message for `key`.
pub(super) fn parse_filter(
    schema: &Schema,
    definitions: &[CustomFieldDef],
    key: &str,
    raw: &str,
) -> Result<Filter, String> {
    match key.strip_prefix(CUSTOM_PREFIX) {
        Some(rest) => parse_custom(schema, definitions, rest, raw),
        None => parse_schema_field(schema, key, raw),
    }
}

/// Why a key does not name a field and operator.
enum BadKey {
    /// No field by that name.
    UnknownField,
    /// A field, but an unknown operator suffix: the message.
    UnknownOperator(String),
}

/// Splits `key` into a name and an operator: the whole key when `known(key)`, else the part
/// before the last `__` and the operator after it.
fn split_operator(key: &str, known: impl Fn(&str) -> bool) -> Result<(&str, Op), BadKey> {
    if known(key) {
        return Ok((key, Op::Eq));
    }
    let (name, suffix) = key
        .rsplit_once("__")
        .filter(|(name, _)| known(name))
        .ok_or(BadKey::UnknownField)?;
    match Op::from_suffix(suffix) {
        Some(op) if op != Op::Eq => Ok((name, op)),
        _ => Err(BadKey::UnknownOperator(format!(
            "unknown operator `{}`; operators are: {}",
            shown(suffix),
            Op::ALL
                .iter()
                .filter(|op| **op != Op::Eq)
                .map(|op| op.suffix())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn parse_schema_field(schema: &Schema, key: &str, raw: &str) -> Result<Filter, String> {
    let (name, op) =
        split_operator(key, |name| schema.field(name).is_some()).map_err(|bad| match bad {
            BadKey::UnknownField => format!(
                "unknown field; {} can be filtered on: {}",
                schema.kind,
                filterable(schema)
            ),
            BadKey::UnknownOperator(message) => message,
        })?;
    let spec = schema.field(name).ok_or("unknown field")?;
    let accepted = if spec.nullable {
        spec.ops
    } else {
        without_isnull(spec.ops)
    };
    check_operator(name, accepted, op)?;
    let value = parse_value(op, raw, |item| parse_scalar(spec.ty, item))?;
    Ok(Filter {
        field: FilterField::Schema(spec),
        op,
        value,
    })
}

fn parse_custom(
    schema: &Schema,
    definitions: &[CustomFieldDef],
    rest: &str,
    raw: &str,
) -> Result<Filter, String> {
    let active = |name: &str| {
        definitions
            .iter()
            .find(|def| def.is_active && def.name == name && def.entity == schema.kind.as_str())
    };
    let (name, op) =
        split_operator(rest, |name| active(name).is_some()).map_err(|bad| match bad {
            BadKey::UnknownField => format!(
                "unknown custom field: no active definition of that name for {}",
                schema.kind
            ),
            BadKey::UnknownOperator(message) => message,
        })?;
    let def = active(name).ok_or("unknown custom field")?;
    let shown_name = format!("{CUSTOM_PREFIX}{name}");
    check_operator(&shown_name, custom_operators(def.field_type), op)?;
    let value = parse_value(op, raw, |item| parse_custom_scalar(def, item))?;
    Ok(Filter {
        field: FilterField::Custom {
            name: name.to_owned(),
            field_type: def.field_type,
        },
        op,
        value,
    })
}

/// The operators a custom field of type `ty` accepts (`cf.<name>`, `cf.<name>__<op>`).
pub fn custom_operators(ty: CustomFieldType) -> Ops {
    use CustomFieldType as T;
    let ops = match ty {
        T::Text | T::Textarea | T::Email | T::Phone | T::Url | T::Select => Ops::STRING,
        T::Number | T::Date => Ops::ORDERED,
        T::Boolean => Ops::EQ,
        T::Multiselect => Ops::EXACT,
    };
    ops.with(Ops::ISNULL)
}

fn without_isnull(ops: Ops) -> Ops {
    Op::ALL
        .into_iter()
        .filter(|op| *op != Op::IsNull && ops.contains(op.required()))
        .fold(Ops::NONE, |acc, op| acc.with(op.required()))
}

/// Refuses `op` unless `accepted` holds it, naming the forms that would work.
fn check_operator(name: &str, accepted: Ops, op: Op) -> Result<(), String> {
    if accepted.contains(op.required()) {
        return Ok(());
    }
    let forms: Vec<String> = Op::ALL
        .into_iter()
        .filter(|candidate| accepted.contains(candidate.required()))
        .map(|candidate| parameter_form(name, candidate))
        .collect();
    if forms.is_empty() {
        return Err(format!("`{name}` cannot be filtered on"));
    }
    let op_name = match op {
        Op::Eq => "exact",
        other => other.suffix(),
    };
    Err(format!(
        "operator `{op_name}` is not supported on `{name}`; use one of: {}",
        forms.join(", ")
    ))
}

/// `name` or `name__op`.
fn parameter_form(name: &str, op: Op) -> String {
    match op {
        Op::Eq => format!("`{name}`"),
        other => format!("`{name}__{}`", other.suffix()),
    }
}

/// Every filter parameter of `schema`, for the "unknown field" message.
fn filterable(schema: &Schema) -> String {
    schema
        .fields
        .iter()
        .filter(|spec| spec.ops != Ops::NONE)
        .map(|spec| spec.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses the operand of `op` from `raw`, typing single values with `one`.
fn parse_value(
    op: Op,
    raw: &str,
    one: impl Fn(&str) -> Result<Scalar, String>,
) -> Result<FilterValue, String> {
    if raw.is_empty() {
        return Err(EMPTY_VALUE.to_owned());
    }
    match op {
        Op::IsNull => parse_bool(raw).map(FilterValue::Null),
        Op::In => parse_list(raw, one).map(FilterValue::Many),
        Op::IContains | Op::StartsWith => {
            parse_text(raw).map(|text| FilterValue::One(Scalar::Text(text)))
        }
        Op::Eq | Op::Gt | Op::Gte | Op::Lt | Op::Lte => one(raw).map(FilterValue::One),
    }
}

/// A comma-separated list of 1..=[`MAX_IN_VALUES`] values.
fn parse_list(
    raw: &str,
    one: impl Fn(&str) -> Result<Scalar, String>,
) -> Result<Vec<Scalar>, String> {
    let mut values = Vec::new();
    for (index, item) in raw.split(',').enumerate() {
        if index == MAX_IN_VALUES {
            return Err(format!("give at most {MAX_IN_VALUES} values"));
        }
        if item.is_empty() {
            return Err("the list has an empty value".to_owned());
        }
        values.push(one(item)?);
    }
    Ok(values)
}
