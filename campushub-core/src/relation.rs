//! Relations between kinds: a kind declares which of its fields reference which kind and what
//! of the referenced record reads embed, and every store attaches that summary the same way.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::entity::Entity;
use crate::kind::EntityKind;
use crate::schema::Schema;
use crate::value::Scalar;

/// A reference from one kind to another through a `Uuid` field, declared in
/// [`Schema::relations`].
///
/// The stores read the referenced id with [`Entity::field`]`(field)`, check that the
/// referenced record exists on write (see [`Entity::references`]), and, when the relation
/// embeds, attach a summary of the referenced record on every read with
/// [`Entity::set_embedded`], in a bounded number of statements whatever the page size.
///
/// ```
/// use campushub_core::relation::{Embed, Relation};
/// use campushub_core::Department;
///
/// // A course belongs to a department and reads carry the department's code and name.
/// let department = Relation::to::<Department>("department_id")
///     .embed(Embed::new("department", &["code", "name"]));
/// assert_eq!(department.kind(), campushub_core::EntityKind::DEPARTMENT);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Relation {
    /// The referencing field of this kind (a [`crate::FieldType::Uuid`] schema field).
    pub field: &'static str,
    /// The referenced kind's schema (its [`Entity::schema`]); it names the kind and types the
    /// embedded fields.
    pub target: fn() -> &'static Schema,
    /// What reads embed of the referenced record, if anything.
    pub embed: Option<Embed>,
}

impl Relation {
    /// A relation from `field` to kind `T`, embedding nothing.
    pub const fn to<T: Entity>(field: &'static str) -> Self {
        Relation {
            field,
            target: T::schema,
            embed: None,
        }
    }

    /// The relation, embedding `embed` on read.
    pub const fn embed(mut self, embed: Embed) -> Self {
        self.embed = Some(embed);
        self
    }

    /// The referenced kind.
    pub fn kind(&self) -> EntityKind {
        (self.target)().kind
    }

    /// The id `entity` references through this relation (`None` when the field is null).
    pub fn id_in<E: Entity>(&self, entity: &E) -> Option<Uuid> {
        match entity.field(self.field) {
            Some(Scalar::Uuid(id)) => Some(id),
            _ => None,
        }
    }
}

/// The summary of a referenced record that reads embed, declared in [`Relation::embed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Embed {
    /// The field of the referencing kind that holds the summary (`department`); it is
    /// read-only (list it in [`Schema::read_only`]).
    pub as_field: &'static str,
    /// The referenced kind's schema fields the summary carries besides its id, in order
    /// (`code`, `name`).
    pub fields: &'static [&'static str],
}

impl Embed {
    /// A summary held in `as_field` carrying the referenced record's `fields`.
    pub const fn new(as_field: &'static str, fields: &'static [&'static str]) -> Self {
        Embed { as_field, fields }
    }
}

/// An embedded summary of a referenced record: its id and the fields its [`Embed`] names.
///
/// It serializes flat, `{"id": ..., "code": ..., "name": ...}`, so a kind may hold it as is
/// or convert it to a typed summary of the same shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Embedded {
    /// The referenced record's id.
    pub id: Uuid,
    /// The embedded fields as JSON, by name.
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

impl Embedded {
    /// The summary of the record `id` whose embedded fields have `values`, in the order of
    /// `embed.fields` (`None` for a null field).
    pub fn new(id: Uuid, embed: &Embed, values: impl IntoIterator<Item = Option<Scalar>>) -> Self {
        let fields = embed
            .fields
            .iter()
            .zip(values)
            .map(|(name, value)| {
                let value = value.as_ref().map_or(Value::Null, Scalar::to_json);
                ((*name).to_owned(), value)
            })
            .collect();
        Embedded { id, fields }
    }

    /// The embedded text field `name`, if it is present and text.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.fields.get(name).and_then(Value::as_str)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_embedded_summary_serializes_flat_and_round_trips() {
        let id = Uuid::new_v4();
        let embed = Embed::new("department", &["code", "name"]);
        let summary = Embedded::new(
            id,
            &embed,
            [Some("CSE".into()), Some("Computer Science".into())],
        );
        let value = serde_json::to_value(&summary).expect("serializes");
        assert_eq!(
            value,
            json!({"id": id, "code": "CSE", "name": "Computer Science"})
        );
        let back: Embedded = serde_json::from_value(value).expect("deserializes");
        assert_eq!(back.text("code"), Some("CSE"));
        assert_eq!(back, summary);
    }
}
