//! OpenAPI schemas of entities, derived from core's [`Schema`] (field names and types), so
//! that a kind an application adds is described without writing anything.

use campushub_core::schema::{FieldType, Schema};
use utoipa::openapi::schema::{KnownFormat, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{ObjectBuilder, RefOr};

/// The schema of a record of `schema`'s kind as the API returns it.
pub(crate) fn record(schema: &Schema) -> RefOr<utoipa::openapi::Schema> {
    let mut object = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(format!("A {} record.", schema.kind)));
    for field in schema.fields {
        object = object.property(field.name, typed(field.ty, field.nullable));
    }
    object = object.property("version", ObjectBuilder::new().schema_type(Type::Integer));
    for name in writable(schema).filter(|name| schema.field(name).is_none()) {
        object = object.property(name, any());
    }
    for name in schema.read_only {
        object = object.property(*name, any());
    }
    object.into()
}

/// The schema of a create or full-replacement body (PUT): the writable fields, the required
/// ones marked so.
pub(crate) fn input(schema: &Schema) -> RefOr<utoipa::openapi::Schema> {
    schema
        .required_fields()
        .fold(
            writable_object(
                schema,
                format!(
                    "The writable fields of a {}; read-only fields (metadata) may be sent and are ignored.",
                    schema.kind
                ),
            ),
            ObjectBuilder::required,
        )
        .into()
}

/// The schema of a PATCH body: a JSON merge patch over the writable fields, none required.
pub(crate) fn patch(schema: &Schema) -> RefOr<utoipa::openapi::Schema> {
    writable_object(
        schema,
        format!(
            "The {} fields to change (JSON merge patch: `null` clears a field).",
            schema.kind
        ),
    )
    .into()
}

/// The schema of a bulk-update row: the natural key that finds the record (required) and the
/// fields to change, as in a merge patch.
pub(crate) fn keyed_patch(schema: &Schema) -> RefOr<utoipa::openapi::Schema> {
    let object = writable_object(
        schema,
        format!(
            "A {} found by its natural key, with the fields to change.",
            schema.kind
        ),
    );
    match schema.natural_key {
        Some(key) => object.required(key),
        None => object,
    }
    .into()
}

fn writable_object(schema: &Schema, description: String) -> ObjectBuilder {
    let mut object = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description));
    for name in writable(schema) {
        let property = match schema.field(name) {
            Some(field) => typed(field.ty, field.nullable),
            None => any(),
        };
        object = object.property(name, property);
    }
    object
}

fn writable(schema: &Schema) -> impl Iterator<Item = &'static str> {
    schema
        .writable
        .iter()
        .flat_map(|group| group.iter().copied())
}

fn any() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::AnyValue)
}

pub(super) fn typed(ty: FieldType, nullable: bool) -> ObjectBuilder {
    let base = match ty {
        FieldType::Text => Type::String,
        FieldType::Int => Type::Integer,
        FieldType::Bool => Type::Boolean,
        FieldType::Date | FieldType::DateTime | FieldType::Uuid | FieldType::Choice(_) => {
            Type::String
        }
    };
    let schema_type = if nullable {
        SchemaType::Array(vec![base, Type::Null])
    } else {
        SchemaType::Type(base)
    };
    let format = match ty {
        FieldType::Date => Some(KnownFormat::Date),
        FieldType::DateTime => Some(KnownFormat::DateTime),
        FieldType::Uuid => Some(KnownFormat::Uuid),
        FieldType::Int => Some(KnownFormat::Int64),
        _ => None,
    };
    let mut object = ObjectBuilder::new()
        .schema_type(schema_type)
        .format(format.map(SchemaFormat::KnownFormat));
    if let FieldType::Choice(choices) = ty {
        object = object.enum_values(Some(choices.iter().copied()));
    }
    object
}
