//! The schemas of statistics as core's `Statistics` serializes them, typed per kind from its
//! schema: `total`, `suppressed_below` when groups were withheld, and one `by_<field>` object
//! per statistics field, whose members are the field's values as text (the choices of a
//! choice field, `true` and `false`, `null` for records without a value) and whose values are
//! counts. A group the server answers has at least one record: a value no record has is
//! absent, not zero.

use campushub_core::schema::{FieldSpec, FieldType, Schema};
use campushub_core::service::Statistics;
use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder, KnownFormat, SchemaFormat};
use utoipa::openapi::schema::{Schema as DocObject, Type};
use utoipa::openapi::ObjectBuilder;

use super::entity::DocSchema;

/// The text key of a null group (core's).
const NULL_KEY: &str = "null";

/// The statistics of `schema`'s kind: `{total, suppressed_below?, by_<field>...}`.
pub(super) fn kind_stats(schema: &Schema) -> DocSchema {
    statistics(schema).into()
}

/// `/departments/stats`: the departments' statistics plus `departments`, each matching
/// department with its student and faculty counts.
pub(super) fn department_stats(schema: &Schema) -> DocSchema {
    let string = || ObjectBuilder::new().schema_type(Type::String);
    let row = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property(
            "id",
            string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))),
        )
        .property("code", string())
        .property("name", string())
        .property("students", count(0))
        .property("faculty", count(0))
        .property(
            "suppressed_below",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .description(Some(
                    "Set when counts under this were withheld (shown as 0).",
                )),
        )
        .required("id")
        .required("code")
        .required("name")
        .required("students")
        .required("faculty");
    statistics(schema)
        .property(
            "departments",
            ArrayBuilder::new()
                .items(row)
                .description(Some("Each matching department, in code order.")),
        )
        .required("departments")
        .into()
}

fn statistics(schema: &Schema) -> ObjectBuilder {
    let mut object = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(format!(
            "Counts of {} records matching the filters, in total and by value.",
            schema.kind
        )))
        .property("total", count(0))
        .required("total")
        .property(
            "suppressed_below",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .description(Some(
                    "Set when groups smaller than this were withheld (and the total, shown as 0, \
                 when it was smaller): the caller may count these records but not list them.",
                )),
        );
    for name in schema.stats {
        let member = Statistics::group_name(name);
        object = object
            .property(&member, groups(name, schema.field(name)))
            .required(member);
    }
    object
}

/// The counts grouped by the field `name` (declared as `field`): a member per value when the
/// values are known in advance, else a map from value to count.
fn groups(name: &str, field: Option<&FieldSpec>) -> DocObject {
    let mut keys: Vec<&str> = match field.map(|field| field.ty) {
        Some(FieldType::Choice(choices)) => choices.to_vec(),
        Some(FieldType::Bool) => vec!["true", "false"],
        _ => Vec::new(),
    };
    let object = ObjectBuilder::new().schema_type(Type::Object);
    if keys.is_empty() {
        return object
            .description(Some(format!(
                "Records per `{name}` value, the value as text (`{NULL_KEY}`: without one)."
            )))
            .additional_properties(Some(AdditionalProperties::RefOr(count(1).into())))
            .into();
    }
    if field.is_some_and(|field| field.nullable) {
        keys.push(NULL_KEY);
    }
    keys.into_iter()
        .fold(
            object
                .description(Some(format!(
                    "Records per `{name}` value; a value no record has is absent."
                )))
                .additional_properties(Some(AdditionalProperties::<DocObject>::FreeForm(false))),
            |object, key| object.property(key, count(1)),
        )
        .into()
}

/// A count of at least `min`.
fn count(min: u64) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(min))
}
