//! Evaluating a [`ListQuery`]'s filters and search against records in memory: the reference
//! semantics every store must reproduce.

use std::cmp::Ordering;

use chrono::NaiveDate;
use serde_json::Value;

use super::{Filter, FilterField, FilterValue, ListQuery, Op};
use crate::custom_fields::CustomFieldType;
use crate::entity::Entity;
use crate::value::Scalar;

impl ListQuery {
    /// Whether `entity` passes every filter and the search.
    pub fn matches<E: Entity>(&self, entity: &E) -> bool {
        self.filters.iter().all(|filter| filter.holds(entity)) && self.search_matches(entity)
    }

    /// Whether any search field of `entity` contains the search text, ignoring case (always
    /// true without search text).
    fn search_matches<E: Entity>(&self, entity: &E) -> bool {
        let Some(text) = &self.search else {
            return true;
        };
        let needle = text.to_lowercase();
        E::schema().search.iter().any(|name| {
            entity
                .field(name)
                .and_then(|value| value.as_text().map(str::to_lowercase))
                .is_some_and(|value| value.contains(&needle))
        })
    }
}

impl Filter {
    /// Whether `entity` passes this filter. A null or missing value passes only `isnull=true`.
    pub(crate) fn holds<E: Entity>(&self, entity: &E) -> bool {
        match &self.field {
            FilterField::Schema(spec) => holds(self.op, &self.value, entity.field(spec.name)),
            FilterField::Custom { name, field_type } => {
                let stored = entity
                    .custom_fields()
                    .and_then(|values| values.get(name))
                    .filter(|value| !value.is_null());
                if *field_type == CustomFieldType::Multiselect {
                    return selection_holds(&self.value, stored);
                }
                let typed = stored.and_then(|value| custom_scalar(*field_type, value));
                match (&self.value, stored, typed) {
                    (FilterValue::Null(is_null), stored, _) => stored.is_none() == *is_null,
                    (_, _, typed) => holds(self.op, &self.value, typed),
                }
            }
        }
    }
}

/// Applies `op` with `operand` to a field's `actual` value.
fn holds(op: Op, operand: &FilterValue, actual: Option<Scalar>) -> bool {
    if let FilterValue::Null(is_null) = operand {
        return actual.is_none() == *is_null;
    }
    let Some(actual) = actual else {
        return false;
    };
    let is = |wanted: &[Ordering], value: &Scalar| {
        actual
            .compare(value)
            .is_some_and(|ordering| wanted.contains(&ordering))
    };
    match (op, operand) {
        (Op::In, FilterValue::Many(values)) => values.iter().any(|v| is(&[Ordering::Equal], v)),
        (Op::Eq, FilterValue::One(v)) => is(&[Ordering::Equal], v),
        (Op::Gt, FilterValue::One(v)) => is(&[Ordering::Greater], v),
        (Op::Gte, FilterValue::One(v)) => is(&[Ordering::Greater, Ordering::Equal], v),
        (Op::Lt, FilterValue::One(v)) => is(&[Ordering::Less], v),
        (Op::Lte, FilterValue::One(v)) => is(&[Ordering::Less, Ordering::Equal], v),
        (Op::IContains, FilterValue::One(Scalar::Text(text))) => actual
            .as_text()
            .is_some_and(|a| a.to_lowercase().contains(&text.to_lowercase())),
        (Op::StartsWith, FilterValue::One(Scalar::Text(text))) => actual
            .as_text()
            .is_some_and(|a| a.starts_with(text.as_str())),
        _ => false,
    }
}

/// A multiselect filter: `Eq` means the selection contains the value, `In` that it contains
/// any of the values.
fn selection_holds(operand: &FilterValue, stored: Option<&Value>) -> bool {
    let selected = |wanted: &Scalar| {
        let (Some(Value::Array(items)), Some(wanted)) = (stored, wanted.as_text()) else {
            return false;
        };
        items.iter().any(|item| item.as_str() == Some(wanted))
    };
    match operand {
        FilterValue::Null(is_null) => stored.is_none() == *is_null,
        FilterValue::One(value) => selected(value),
        FilterValue::Many(values) => values.iter().any(selected),
    }
}

/// A stored custom-field value as the scalar its type filters on; `None` if it does not fit.
fn custom_scalar(field_type: CustomFieldType, value: &Value) -> Option<Scalar> {
    use CustomFieldType as T;
    match field_type {
        T::Text | T::Textarea | T::Email | T::Phone | T::Url | T::Select => {
            value.as_str().map(Scalar::from)
        }
        T::Number => value.as_f64().map(Scalar::Float),
        T::Date => value
            .as_str()
            .and_then(|text| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
            .map(Scalar::Date),
        T::Boolean => value.as_bool().map(Scalar::Bool),
        T::Multiselect => None,
    }
}
