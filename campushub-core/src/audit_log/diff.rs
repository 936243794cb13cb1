//! The changed fields of a write: a diff of the record's input form before and after.
//!
//! The input form ([`crate::Entity::to_input`]) holds exactly the writable fields: metadata,
//! audit fields and embedded summaries are left out, as they are not what a caller changed.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::Value;

use super::entry::FieldChange;
use super::fields::CUSTOM_FIELDS;
use super::settings::AuditSettings;
use crate::entity::Entity;
use crate::error::{Error, Result};

/// The fields of `input` (a record's input form as JSON) by name, custom fields as
/// `custom_fields.<name>`, null values left out. Takes the value apart rather than copying it:
/// a bulk write diffs a thousand records.
pub fn flatten(input: Value) -> BTreeMap<String, Value> {
    let Value::Object(object) = input else {
        return BTreeMap::new();
    };
    let mut fields = Vec::with_capacity(object.len());
    for (name, value) in object {
        match (name.as_str(), value) {
            (CUSTOM_FIELDS, Value::Object(custom)) => {
                for (custom_name, value) in custom {
                    if !value.is_null() {
                        fields.push((format!("{CUSTOM_FIELDS}.{custom_name}"), value));
                    }
                }
            }
            (_, Value::Null) => {}
            (_, value) => fields.push((name, value)),
        }
    }
    // Collected at once: the map is built in bulk from the sorted fields, not by an insert
    // each.
    fields.into_iter().collect()
}

/// The fields that differ between `before` and `after` (input forms as JSON; `None` before a
/// create or after a deletion), with their values unless `settings` keeps the field private.
pub fn changes(
    before: Option<Value>,
    after: Option<Value>,
    settings: &AuditSettings,
) -> BTreeMap<String, FieldChange> {
    let before = before.map(flatten).unwrap_or_default();
    let after = after.map(flatten).unwrap_or_default();
    merge(before, after, settings)
}

/// The changes between two sides' fields, each sorted by name with unique names: one merge
/// walk pairs them, and the changes, sorted too, are collected into the map in bulk (a bulk
/// create diffs every field of every row).
fn merge(
    before: impl IntoIterator<Item = (String, Value)>,
    after: impl IntoIterator<Item = (String, Value)>,
    settings: &AuditSettings,
) -> BTreeMap<String, FieldChange> {
    let mut before = before.into_iter().peekable();
    let mut after = after.into_iter().peekable();
    // A create or a deletion changes every field of one side.
    let sides = before.size_hint().0.max(after.size_hint().0);
    let mut changed = Vec::with_capacity(sides);
    loop {
        let order = match (before.peek(), after.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((old, _)), Some((new, _))) => old.cmp(new),
        };
        let (name, old, new) = match order {
            Ordering::Less => match before.next() {
                Some((name, old)) => (name, old, Value::Null),
                None => break,
            },
            Ordering::Greater => match after.next() {
                Some((name, new)) => (name, Value::Null, new),
                None => break,
            },
            Ordering::Equal => match (before.next(), after.next()) {
                (Some((name, old)), Some((_, new))) => (name, old, new),
                _ => break,
            },
        };
        if old != new {
            let change = settings.change(&name, old, new);
            changed.push((name, change));
        }
    }
    changed.into_iter().collect()
}

/// The fields that differ between records `before` and `after` of one kind (`None` before a
/// create or after a deletion), diffed on their input forms ([`Entity::to_input`]), with
/// their values unless `settings` keeps the field private: what an audit entry records.
///
/// # Errors
/// [`Error::Internal`] when a record's input form does not serialize to JSON.
pub fn record_changes<E: Entity>(
    before: Option<&E>,
    after: Option<&E>,
    settings: &AuditSettings,
) -> Result<BTreeMap<String, FieldChange>> {
    let before = before.map(input_fields).transpose()?.unwrap_or_default();
    let after = after.map(input_fields).transpose()?.unwrap_or_default();
    Ok(merge(before, after, settings))
}

/// `record`'s input form's fields, sorted by name ([`flatten`]'s): taken from the input as it
/// serializes, or from its JSON document should it not serialize as named fields.
fn input_fields<E: Entity>(record: &E) -> Result<Vec<(String, Value)>> {
    let input = record.to_input();
    if let Some(fields) = super::fields::input_fields(&input) {
        return Ok(fields);
    }
    let document = serde_json::to_value(&input)
        .map_err(|error| Error::internal("a record's input does not serialize", error))?;
    Ok(flatten(document).into_iter().collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_fields_that_differ_with_custom_fields_by_name() {
        let before = json!({"name": "A", "code": "X", "phone": null,
                            "custom_fields": {"floor": 1, "wing": "E"}});
        let after = json!({"name": "B", "code": "X", "phone": "123",
                           "custom_fields": {"floor": 2}});
        let diff = changes(Some(before), Some(after), &AuditSettings::recording_all());
        assert_eq!(
            json!(diff),
            json!({
                "name": {"old": "A", "new": "B"},
                "phone": {"old": null, "new": "123"},
                "custom_fields.floor": {"old": 1, "new": 2},
                "custom_fields.wing": {"old": "E", "new": null},
            })
        );
    }

    #[test]
    fn a_create_lists_every_set_field_and_a_deletion_every_old_one() {
        let record = json!({"name": "A", "parent_id": null});
        let created = changes(None, Some(record.clone()), &AuditSettings::recording_all());
        assert_eq!(json!(created), json!({"name": {"old": null, "new": "A"}}));
        let deleted = changes(Some(record), None, &AuditSettings::recording_all());
        assert_eq!(json!(deleted), json!({"name": {"old": "A", "new": null}}));
    }

    #[test]
    fn private_fields_are_recorded_as_changed_without_values() {
        let before = json!({"date_of_birth": "2000-01-01", "first_name": "Ann"});
        let after = json!({"date_of_birth": "2000-01-02", "first_name": "Ann"});
        let diff = changes(Some(before), Some(after), &AuditSettings::default());
        assert_eq!(json!(diff), json!({"date_of_birth": {"redacted": true}}));
    }
}
