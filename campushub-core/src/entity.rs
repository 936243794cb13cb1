//! The [`Entity`] trait: what a kind of record must say about itself to get storage, queries,
//! caching, events and authorization from CampusHub.

use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

use crate::error::ValidationErrors;
use crate::kind::EntityKind;
use crate::meta::RecordMeta;
use crate::relation::Embedded;
use crate::schema::{Relation, Schema};
use crate::value::Scalar;

/// A kind of stored record.
///
/// Implementors are plain data: a metadata block, their fields, and perhaps a `custom_fields`
/// map. Creation and full replacement take [`Entity::Create`]; a partial update is a JSON merge
/// patch (RFC 7396) over [`Entity::to_input`], so there is one validation path for all writes.
///
/// Only a handful of methods are required; the rest have defaults that fit kinds without
/// custom fields, natural keys or references.
pub trait Entity: Clone + Debug + Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The create (and full-replacement) input.
    type Create: Clone + Debug + Serialize + DeserializeOwned + Send + Sync + 'static;

    /// The kind's name.
    const KIND: EntityKind;

    /// The kind's schema: queryable fields, search, natural key, statistics.
    fn schema() -> &'static Schema;

    /// The record's metadata.
    fn meta(&self) -> &RecordMeta;

    /// The record's metadata, mutably (stores set it on write).
    fn meta_mut(&mut self) -> &mut RecordMeta;

    /// A new record from `input`, with metadata `meta`, written by `actor`.
    fn from_input(input: Self::Create, meta: RecordMeta, actor: &str) -> Self;

    /// The input that would recreate this record (the base a merge patch applies to).
    fn to_input(&self) -> Self::Create;

    /// Replaces every writable field with `input`, keeping metadata, as `actor`.
    fn apply_input(&mut self, input: Self::Create, actor: &str);

    /// Checks the record's own rules (formats, ranges, required fields), recording every
    /// violation in `errors`. Custom fields are checked separately against their definitions.
    fn validate(&self, errors: &mut ValidationErrors);

    /// The value of schema field `name` (`None` when null or not a field).
    fn field(&self, name: &str) -> Option<Scalar>;

    /// The custom-field values, for kinds that have them.
    fn custom_fields(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
        None
    }

    /// The custom-field values, mutably (defaults are filled in before validation).
    fn custom_fields_mut(&mut self) -> Option<&mut serde_json::Map<String, serde_json::Value>> {
        None
    }

    /// The natural key's value, for kinds that have one (see [`Schema::natural_key`]).
    fn natural_key(&self) -> Option<String> {
        Self::schema()
            .natural_key
            .and_then(|name| self.field(name))
            .and_then(|value| value.as_text().map(str::to_owned))
    }

    /// `(field, value)` pairs that must be unique among records of this kind (null values are
    /// left out). A clash is a [`crate::Error::Conflict`] naming the field.
    fn unique_values(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// References to other records. A write naming a missing record is a validation error on
    /// the field; deleting a record that is still referenced is a conflict.
    ///
    /// The default reads every relation of [`Schema::relations`] through [`Entity::field`].
    fn references(&self) -> Vec<Reference> {
        Self::schema()
            .relations
            .iter()
            .filter_map(|relation| {
                relation.id_in(self).map(|id| Reference {
                    field: relation.field,
                    kind: relation.kind,
                    id,
                })
            })
            .collect()
    }

    /// Attaches the summary embedded in field `field` (an
    /// [`Embed::as_field`](crate::relation::Embed::as_field) of one of the schema's relations),
    /// or clears it with `None`; stores call this on read. The summary is borrowed: one
    /// referenced record's summary serves every row of a page that references it, and a kind
    /// copies only what it keeps. Kinds whose relations embed nothing keep the default, which
    /// ignores it.
    fn set_embedded(&mut self, _field: &str, _summary: Option<&Embedded>) {}
}

/// A reference from one record to another, through `field`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference {
    /// The referencing field.
    pub field: &'static str,
    /// The kind referenced.
    pub kind: EntityKind,
    /// The id referenced.
    pub id: Uuid,
}

impl Relation {
    /// A relation from `field` to kind `T`, embedding nothing (add [`Relation::embed`]).
    ///
    /// ```
    /// use campushub_core::relation::{Embed, Relation};
    /// use campushub_core::Department;
    ///
    /// // A course belongs to a department and reads carry the department's code and name.
    /// let department = Relation::to::<Department>("department_id")
    ///     .embed(Embed::new("department", &["code", "name"]));
    /// assert_eq!(department.kind, campushub_core::EntityKind::DEPARTMENT);
    /// ```
    pub const fn to<T: Entity>(field: &'static str) -> Self {
        Relation {
            field,
            kind: T::KIND,
            target: Some(T::schema),
            embed: None,
        }
    }

    /// The id `entity` references through this relation (`None` when the field is null).
    pub fn id_in<E: Entity>(&self, entity: &E) -> Option<Uuid> {
        match entity.field(self.field) {
            Some(Scalar::Uuid(id)) => Some(id),
            _ => None,
        }
    }
}
