//! The document's named schemas (`#/components/schemas`): each kind's record, bodies, page,
//! statistics and choice values, and the shared ones (problems, field errors, bulk reports).
//! A name is given once: two kinds that name the same set of choices (`Gender`) share it, and
//! two different schemas under one name are a mistake of declaration, logged at start-up.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use utoipa::openapi::Ref;

use super::entity::{self, DocSchema};
use super::names::{values_name, KindNames};
use super::params::ordering_keys;
use super::parts::list_page;
use super::stats::kind_stats;
use super::ResourceDoc;

/// Named schemas being collected.
#[derive(Default)]
pub(super) struct Schemas {
    named: BTreeMap<String, DocSchema>,
    /// Names given to two different schemas (the first one is kept).
    conflicts: Vec<String>,
}

impl Schemas {
    /// Names `schema` `name`; the same schema named again is the same component.
    pub(super) fn add(&mut self, name: impl Into<String>, schema: impl Into<DocSchema>) {
        let schema = schema.into();
        match self.named.entry(name.into()) {
            Entry::Vacant(vacant) => {
                vacant.insert(schema);
            }
            Entry::Occupied(occupied) if *occupied.get() == schema => {}
            Entry::Occupied(occupied) => {
                tracing::warn!(
                    name = %occupied.key(),
                    "two different schemas of the OpenAPI document have one name: the first is \
                     kept (name a kind's set of choices with `FieldSpec::choices_named`)"
                );
                self.conflicts.push(occupied.key().clone());
            }
        }
    }

    /// The schemas of `resource`'s kind: record, input, patch, page, sort keys, statistics
    /// (when routed) and the values of each choice and object field.
    pub(super) fn add_kind(&mut self, resource: &ResourceDoc) {
        let schema = resource.schema;
        let names = KindNames::of(schema);
        self.add(names.input(), entity::input(schema));
        self.add(names.patch(), entity::patch(schema));
        self.add(
            names.page(),
            list_page(Ref::from_schema_name(names.record.as_str())),
        );
        self.add(names.ordering(), ordering_keys(schema));
        if resource.stats {
            self.add(names.stats(), kind_stats(schema));
        }
        for field in schema.fields {
            if let Some(name) = values_name(schema, field) {
                self.add(name, entity::values(field));
            }
        }
        self.add(names.record, entity::record(schema));
    }

    /// Names given to two different schemas.
    #[cfg(test)]
    pub(super) fn conflicts(&self) -> &[String] {
        &self.conflicts
    }

    /// The schemas by name.
    pub(super) fn into_named(self) -> BTreeMap<String, DocSchema> {
        self.named
    }
}

#[cfg(test)]
mod tests {
    use campushub_core::schema::{FieldSpec, FieldType};
    use campushub_core::{CustomFieldDef, Department, Entity, Faculty, Student};

    use super::*;
    use crate::bulk::BulkKeys;

    fn resource(segment: &'static str, schema: &'static campushub_core::Schema) -> ResourceDoc {
        ResourceDoc {
            segment,
            schema,
            stats: true,
            bulk: Some(BulkKeys::STUDENTS),
            require_if_match: false,
            exchange: false,
            nested: &[],
        }
    }

    #[test]
    fn the_built_in_kinds_name_no_two_schemas_alike() {
        let mut schemas = Schemas::default();
        for resource in [
            resource("departments", Department::schema()),
            resource("students", Student::schema()),
            resource("faculty", Faculty::schema()),
            resource("custom-fields", CustomFieldDef::schema()),
        ] {
            schemas.add_kind(&resource);
        }
        assert!(schemas.conflicts().is_empty(), "{:?}", schemas.conflicts());
        let named = schemas.into_named();
        for name in [
            "Gender",
            "StudentStatus",
            "FacultyStatus",
            "StudentStats",
            "CustomFieldType",
        ] {
            assert!(named.contains_key(name), "{name}");
        }
    }

    #[test]
    fn one_name_for_two_different_schemas_keeps_the_first_and_says_so() {
        let mut schemas = Schemas::default();
        let sizes = FieldSpec::new("size", FieldType::Choice(&["S", "M"])).choices_named("Size");
        let other = FieldSpec::new("size", FieldType::Choice(&["L"])).choices_named("Size");
        schemas.add("Size", entity::values(&sizes));
        schemas.add("Size", entity::values(&sizes));
        assert!(schemas.conflicts().is_empty(), "the same schema again");
        schemas.add("Size", entity::values(&other));
        assert_eq!(schemas.conflicts(), ["Size"]);
        assert!(schemas.into_named()["Size"] == entity::values(&sizes));
    }
}
