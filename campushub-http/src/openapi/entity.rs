//! OpenAPI schemas of entities, derived from core's [`Schema`]: every field's type,
//! nullability and constraints come from its one declaration ([`FieldSpec`]), the same one the
//! body check enforces, so the document and the server cannot disagree, and a kind an
//! application adds is described without writing anything.

use campushub_core::audit::AUDIT_FIELDS;
use campushub_core::schema::check::BodyMode;
use campushub_core::schema::{FieldSpec, FieldType, Schema, META_READ_ONLY};
use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, KnownFormat, OneOfBuilder, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{ObjectBuilder, Ref, RefOr};

use super::names::values_name;

/// A schema of the document.
pub(super) type DocSchema = RefOr<utoipa::openapi::Schema>;

/// The schema of a record of `schema`'s kind as the API returns it: every field typed, with
/// its nullability. Constraints are left to the request bodies: a record answers what was
/// valid when it was written.
///
/// The version and every field that cannot be null are required: a record always carries
/// them, so a generated client types them without "unset". A nullable field is not, since a
/// kind may leave out a field without a value (serde's `skip_serializing_if`); the built-in
/// kinds answer `null`. Nor is a personal field ([`FieldSpec::personal`]), which a caller not
/// granted personal fields gets the record without: it is marked `x-campushub-personal`.
pub(crate) fn record(schema: &Schema) -> DocSchema {
    let mut object = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(format!("A {} record.", schema.kind)));
    for field in schema.fields {
        if field.personal {
            object = object.property(field.name, personal(field));
            continue;
        }
        object = object.property(
            field.name,
            field_schema(schema, field, field.nullable, false),
        );
        if !field.nullable {
            object = object.required(field.name);
        }
    }
    object = object
        .property("version", ObjectBuilder::new().schema_type(Type::Integer))
        .required("version");
    for name in writable(schema).filter(|name| schema.field(name).is_none()) {
        object = object.property(name, any());
    }
    // Read-only schema fields (server-set ones) are typed above; the others (audit fields,
    // embedded summaries) are not schema fields.
    for name in schema
        .read_only
        .iter()
        .filter(|name| schema.field(name).is_none())
    {
        let property = if AUDIT_FIELDS.contains(name) {
            // The subject of the principal that wrote, or null when not recorded.
            ObjectBuilder::new()
                .schema_type(SchemaType::Array(vec![Type::String, Type::Null]))
                .read_only(Some(true))
        } else {
            any()
        };
        object = object.property(*name, property);
    }
    object.into()
}

/// The extension that marks a personal field of a record.
pub(super) const PERSONAL: &str = "x-campushub-personal";

/// The schema of personal field `field` in a record: its type, a description saying it may be
/// omitted, and [`PERSONAL`].
fn personal(field: &FieldSpec) -> DocSchema {
    typed(field.ty, field.nullable)
        .description(Some(
            "Personal data: present only for callers granted personal fields (admin, \
             registrar, a student reading its own record); omitted for the others.",
        ))
        .extensions(Some(ExtensionsBuilder::new().add(PERSONAL, true).build()))
        .into()
}

/// The schema of a create or full-replacement body (PUT): the writable fields, the required
/// ones marked so.
pub(crate) fn input(schema: &Schema) -> DocSchema {
    schema
        .required_fields()
        .fold(
            body_object(
                schema,
                BodyMode::Replace,
                format!(
                    "The writable fields of a {}; read-only fields (metadata) may be sent and are ignored.",
                    schema.kind
                ),
            ),
            ObjectBuilder::required,
        )
        .into()
}

/// The schema of a PATCH body: a JSON merge patch over the writable fields, none required;
/// `null` clears a nullable field and resets one that is not required to its default.
pub(crate) fn patch(schema: &Schema) -> DocSchema {
    body_object(
        schema,
        BodyMode::Patch,
        format!(
            "The {} fields to change (JSON merge patch: `null` clears a field or resets it to its default).",
            schema.kind
        ),
    )
    .into()
}

/// The schema of a bulk-update row: the natural key that finds the record (required) and the
/// fields to change, as in a merge patch.
pub(crate) fn keyed_patch(schema: &Schema) -> DocSchema {
    let object = body_object(
        schema,
        BodyMode::Patch,
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

/// A request body over the writable fields, applied as `mode` says: each field under its
/// declaration; the read-only names (metadata, embedded summaries), which a client may send
/// back as it read them, as ignored; nothing else (the server refuses unknown fields).
fn body_object(schema: &Schema, mode: BodyMode, description: String) -> ObjectBuilder {
    let mut object = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description))
        .additional_properties(Some(
            AdditionalProperties::<utoipa::openapi::Schema>::FreeForm(false),
        ));
    for name in writable(schema) {
        let property = match schema.field(name) {
            Some(field) => field_schema(schema, field, schema.accepts_null(field, mode), true),
            None => any().into(),
        };
        object = object.property(name, property);
    }
    let read_only = META_READ_ONLY.iter().chain(schema.read_only);
    for name in read_only.filter(|name| !schema.is_writable(name)) {
        object = object.property(
            *name,
            any()
                .description(Some("Read-only: accepted and ignored."))
                .read_only(Some(true)),
        );
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

/// The schema of the values of `field` of `schema`, `null` included when `nullable`; with its
/// declared constraints when `constrained` (request bodies). A choice or object field's values
/// are a named schema of their own ([`values`]), referenced.
pub(super) fn field_schema(
    schema: &Schema,
    field: &FieldSpec,
    nullable: bool,
    constrained: bool,
) -> DocSchema {
    if let Some(name) = values_name(schema, field) {
        return values_ref(name, nullable);
    }
    let rules = &field.constraints;
    let object = match field.ty {
        FieldType::TextList => {
            let item = ObjectBuilder::new().schema_type(Type::String);
            let item = if constrained {
                constrain(item, field)
            } else {
                item
            };
            return ArrayBuilder::new()
                .schema_type(type_of(Type::Array, nullable))
                .items(item)
                .unique_items(constrained && rules.unique_items)
                .into();
        }
        FieldType::Json => any(),
        _ => typed(field.ty, nullable),
    };
    if constrained {
        constrain(object, field).into()
    } else {
        object.into()
    }
}

/// A reference to the named values of a field (`StudentStatus`), or `null` when `nullable`.
pub(super) fn values_ref(name: String, nullable: bool) -> DocSchema {
    let reference = Ref::from_schema_name(name);
    if nullable {
        OneOfBuilder::new()
            .item(reference)
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .into()
    } else {
        reference.into()
    }
}

/// The component schema of the values of a field [`values_name`] names: an object field's, a
/// JSON object of any members; a choice field's, every choice in declaration order (and
/// nothing about the field, so that fields of several kinds can share it).
pub(super) fn values(field: &FieldSpec) -> DocSchema {
    match field.ty {
        FieldType::Object => ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(format!(
                "`{}`: a JSON object of any members.",
                field.name
            )))
            .additional_properties(Some(
                AdditionalProperties::<utoipa::openapi::Schema>::FreeForm(true),
            ))
            .into(),
        _ => typed(field.ty, false).into(),
    }
}

/// `object` with `field`'s declared length, pattern and range.
fn constrain(object: ObjectBuilder, field: &FieldSpec) -> ObjectBuilder {
    let rules = &field.constraints;
    let object = object
        .max_length(rules.max_chars.map(|max| max as usize))
        .minimum(rules.minimum)
        .maximum(rules.maximum);
    match rules.pattern {
        Some(pattern) => object.pattern(Some(pattern.regex)),
        None => object,
    }
}

fn type_of(base: Type, nullable: bool) -> SchemaType {
    if nullable {
        SchemaType::Array(vec![base, Type::Null])
    } else {
        SchemaType::Type(base)
    }
}

/// The schema of one scalar value of type `ty` (a body field's or a query parameter's): its
/// JSON type, format, the pattern every value of the type has (dates, UUIDs) and choices.
pub(super) fn typed(ty: FieldType, nullable: bool) -> ObjectBuilder {
    let base = match ty {
        FieldType::Text
        | FieldType::Date
        | FieldType::DateTime
        | FieldType::Uuid
        | FieldType::Choice(_) => Type::String,
        FieldType::Int => Type::Integer,
        FieldType::Number => Type::Number,
        FieldType::Bool => Type::Boolean,
        FieldType::Object => Type::Object,
        FieldType::TextList => Type::Array,
        FieldType::Json => return any(),
    };
    let format = match ty {
        FieldType::Date => Some(KnownFormat::Date),
        FieldType::DateTime => Some(KnownFormat::DateTime),
        FieldType::Uuid => Some(KnownFormat::Uuid),
        FieldType::Int => Some(KnownFormat::Int64),
        _ => None,
    };
    let mut object = ObjectBuilder::new()
        .schema_type(type_of(base, nullable))
        .format(format.map(SchemaFormat::KnownFormat))
        .pattern(ty.pattern().map(|pattern| pattern.regex));
    if let FieldType::Choice(choices) = ty {
        let mut values: Vec<Option<&str>> = choices.iter().copied().map(Some).collect();
        if nullable {
            // In JSON Schema an `enum` lists every allowed value: `null` too.
            values.push(None);
        }
        object = object.enum_values(Some(values));
    }
    object
}
