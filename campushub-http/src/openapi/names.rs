//! The names a generated client takes from the document: each operation's `operationId`
//! (`students_partial_update`) and each kind's component schemas (`Student`, `StudentInput`,
//! `StudentPatch`, `StudentPage`, `StudentStats`, `StudentOrdering`, `StudentStatus`,
//! `StudentCustomFields`, `StudentCfBloodGroup`). Every name follows from the resource's
//! segment, its kind, a field's declaration or a custom field's name, so a kind an application
//! adds is named by the same rules, and a name does not change when other kinds are added.

use std::collections::BTreeSet;

use campushub_core::schema::{FieldSpec, FieldType, Schema};
use utoipa::openapi::Paths;

/// The `operationId` of `action` on the resource at `segment`: `custom-fields`, `list` →
/// `custom_fields_list`. Characters other than ASCII letters and digits become `_`, so the id
/// is an identifier in every language a client is generated in.
pub(super) fn operation_id(segment: &str, action: &str) -> String {
    let identifier = |text: &str| -> String {
        text.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect()
    };
    format!("{}_{}", identifier(segment), identifier(action))
}

/// The operation ids `paths` gives more than one operation: none unless a kind an application
/// adds sits at a segment whose ids the fixed routes take (`metrics` → `metrics_retrieve`).
pub(super) fn repeated_operation_ids(paths: &Paths) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut repeated = BTreeSet::new();
    for item in paths.paths.values() {
        let operations = [
            &item.get,
            &item.put,
            &item.post,
            &item.delete,
            &item.options,
            &item.head,
            &item.patch,
            &item.trace,
        ];
        let ids = operations
            .into_iter()
            .flatten()
            .filter_map(|operation| operation.operation_id.clone());
        for id in ids {
            if let Some(id) = seen.replace(id) {
                repeated.insert(id);
            }
        }
    }
    repeated
}

/// The component names of one kind's schemas.
#[derive(Debug, Clone)]
pub(super) struct KindNames {
    /// A record as read (`Student`).
    pub(super) record: String,
}

impl KindNames {
    /// The names of `schema`'s kind.
    pub(super) fn of(schema: &Schema) -> Self {
        KindNames {
            record: pascal(schema.kind.as_str()),
        }
    }

    /// A create or replace body (`StudentInput`).
    pub(super) fn input(&self) -> String {
        format!("{}Input", self.record)
    }

    /// A PATCH body, one schema for both media types (`StudentPatch`).
    pub(super) fn patch(&self) -> String {
        format!("{}Patch", self.record)
    }

    /// A list page, cursor or numbered (`StudentPage`).
    pub(super) fn page(&self) -> String {
        format!("{}Page", self.record)
    }

    /// The statistics (`StudentStats`).
    pub(super) fn stats(&self) -> String {
        format!("{}Stats", self.record)
    }

    /// The sort keys of `ordering=` (`StudentOrdering`).
    pub(super) fn ordering(&self) -> String {
        format!("{}Ordering", self.record)
    }
}

/// The component name of a field's values, for the fields whose values are a schema of their
/// own that records, bodies and filters share: a choice field's, by the name the field
/// declares ([`FieldSpec::choices_name`]: `Gender`, shared by students and faculty), else by
/// the kind's and the field's (`StudentSection`); an object field's, by the kind's and the
/// field's (`StudentCustomFields`). `None` for other fields.
pub(super) fn values_name(schema: &Schema, field: &FieldSpec) -> Option<String> {
    let own = || pascal(schema.kind.as_str()) + &pascal(field.name);
    match field.ty {
        FieldType::Choice(_) => Some(field.choices_name.map_or_else(own, str::to_owned)),
        FieldType::Object => Some(own()),
        _ => None,
    }
}

/// The component name of the choices of a custom field `name` of records of `kind`
/// (`student`, `blood_group` → `StudentCfBloodGroup`): `Cf` keeps it apart from the kind's own
/// fields' names.
pub(super) fn custom_choices_name(kind: &str, name: &str) -> String {
    format!("{}Cf{}", pascal(kind), pascal(name))
}

/// `custom_field` → `CustomField`.
pub(super) fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use campushub_core::{Entity, Faculty, Student};

    use super::*;

    #[test]
    fn a_segment_whose_ids_a_fixed_route_takes_repeats_them() {
        let at = |segment| crate::openapi::ResourceDoc {
            segment,
            schema: Student::schema(),
            stats: true,
            bulk: None,
            require_if_match: false,
            exchange: false,
            nested: &[],
        };
        let repeated =
            |segment| repeated_operation_ids(&crate::openapi::document(&[at(segment)]).paths);
        assert!(repeated("students").is_empty());
        assert_eq!(
            repeated("metrics").into_iter().collect::<Vec<_>>(),
            ["metrics_retrieve"]
        );
    }

    #[test]
    fn operation_ids_are_identifiers() {
        assert_eq!(operation_id("custom-fields", "list"), "custom_fields_list");
        assert_eq!(
            operation_id("students", "bulk-update"),
            "students_bulk_update"
        );
    }

    #[test]
    fn values_are_named_by_declaration_else_by_kind_and_field() {
        let students = Student::schema();
        let named = |schema: &Schema, field: &str| {
            schema
                .field(field)
                .and_then(|field| values_name(schema, field))
        };
        assert_eq!(named(students, "status").as_deref(), Some("StudentStatus"));
        assert_eq!(
            named(students, "section").as_deref(),
            Some("StudentSection")
        );
        assert_eq!(named(students, "gender").as_deref(), Some("Gender"));
        assert_eq!(
            named(Faculty::schema(), "gender").as_deref(),
            Some("Gender")
        );
        assert_eq!(
            named(students, "custom_fields").as_deref(),
            Some("StudentCustomFields")
        );
        assert_eq!(named(students, "roll_number"), None);
        assert_eq!(KindNames::of(students).patch(), "StudentPatch");
        assert_eq!(
            custom_choices_name("student", "blood_group"),
            "StudentCfBloodGroup"
        );
    }
}
