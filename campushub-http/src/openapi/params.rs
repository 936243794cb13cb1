//! Query and header parameters, typed as precisely as the parsers that read them: a client
//! generated from the document sends only what the server accepts, and every filter operator
//! a field allows is listed as its own parameter.

use campushub_core::query::{Op, MAX_IN_VALUES, MAX_PAGE_SIZE, MAX_TEXT_CHARS};
use campushub_core::schema::constraints::NON_BLANK;
use campushub_core::schema::{FieldSpec, FieldType, Ops, Schema};
use campushub_core::ConsistencyToken;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn, ParameterStyle};
use utoipa::openapi::schema::{ArrayBuilder, SchemaFormat, Type};
use utoipa::openapi::{ObjectBuilder, Ref, RefOr, Required};

use super::entity::{typed, values_ref, DocSchema};
use super::names::{values_name, KindNames};

/// The parameters of a list: pagination, search, ordering and every field filter. Custom-field
/// filters (`cf.<name>`, `cf.<name>__<op>`) depend on the definitions in force: the served
/// document adds them (`custom.rs`).
pub(super) fn list_parameters(schema: &Schema) -> Vec<Parameter> {
    let mut parameters = vec![
        query(
            "cursor",
            "Keyset page: the opaque value from a `next`/`previous` link (not with `page`)",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1)),
        ),
        query(
            "page",
            "Page number (switches to `{count, next, previous, results}` pages)",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(u32::MAX)),
        ),
        query(
            "page_size",
            "Rows per page (default 50)",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(MAX_PAGE_SIZE)),
        ),
        ordering(schema),
    ];
    parameters.extend(filter_parameters(schema));
    parameters
}

/// Search and the field filters: what statistics accept (a list accepts them too).
pub(super) fn filter_parameters(schema: &Schema) -> Vec<Parameter> {
    let search = match schema.search.iter().any(|name| schema.is_personal(name)) {
        true => {
            "Case-insensitive substring over the kind's search fields, a personal one \
                 among them: refused (400) for callers not granted personal fields"
        }
        false => "Case-insensitive substring over the kind's search fields",
    };
    let mut parameters = vec![query(
        "search",
        search,
        text(MAX_TEXT_CHARS).pattern(Some(NON_BLANK.regex)),
    )];
    for field in schema.fields.iter().filter(|f| f.ops != Ops::NONE) {
        for op in Op::ALL
            .into_iter()
            .filter(|op| field.ops.contains(op.required()))
        {
            let name = match op {
                Op::Eq => field.name.to_owned(),
                _ => format!("{}__{}", field.name, op.suffix()),
            };
            let description = match field.personal {
                true => format!("{}; {PERSONAL_PARAMETER}", describe(op)),
                false => describe(op).to_owned(),
            };
            let parameter = match op {
                Op::In => list(&name, &description, schema, field),
                _ => query(&name, &description, operand(op, schema, field)),
            };
            parameters.push(parameter);
        }
    }
    parameters
}

/// What the description of a parameter on a personal field adds.
pub(super) const PERSONAL_PARAMETER: &str =
    "personal field: refused (400) for callers not granted personal fields";

/// `atomic` on bulk routes: all or nothing (the default) or each row on its own.
pub(super) fn atomic() -> Parameter {
    query(
        crate::bulk::ATOMIC,
        "`true` (the default): one transaction, every row applied or none (422 naming the \
         rows that failed). `false`: each row on its own; the rows that fail are reported \
         and the others applied",
        ObjectBuilder::new().schema_type(Type::Boolean),
    )
}

/// `Consistency-Token`: read at least the write that returned it.
pub(super) fn consistency_token() -> Parameter {
    header(
        "Consistency-Token",
        "The `Consistency-Token` of a write: the read sees at least that write",
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(ConsistencyToken::PATTERN)),
    )
}

/// The syntax of `If-Match` and `If-None-Match` (RFC 9110 §13.1.1): `*`, or a
/// comma-separated list of entity tags, each strong (`"..."`) or weak (`W/"..."`). Any tag of
/// this syntax is accepted, ours or not; one that names no current version fails the
/// condition (412), it is not a bad request.
const CONDITION_PATTERN: &str = r#"^(\*|(W/)?"[!#-~]*"([ \t]*,[ \t]*(W/)?"[!#-~]*")*)$"#;

/// The `format` of the condition headers: values of [`CONDITION_PATTERN`]. A name of ours,
/// which clients read as a plain string; it lets a test generator be told how to make such
/// values (JSON Schema has no way to say "a header of quoted strings" that every generator
/// can invert). `tests/e2e/schemathesis_hooks.py` registers it with schemathesis.
const ENTITY_TAGS_FORMAT: &str = "entity-tags";

/// `If-Match` on writes, required where the resource requires it: the parameter the generic
/// resource routes declare, for an application's own write routes to declare alike.
pub fn if_match(required: bool) -> Parameter {
    let description = if required {
        "Required here (428 without it): `*` or ETags read (`\"<id>-<version>\"`); the write \
         applies only if one is the current version (strong comparison: weak tags never \
         match), else 412; `*` on a missing record is 412"
    } else {
        "`*` or ETags read (`\"<id>-<version>\"`): the write applies only if one is the \
         current version (strong comparison: weak tags never match), else 412; `*` on a \
         missing record is 412. Without it the write applies to the current version (retried \
         when a concurrent write commits first; 409 if it keeps being overtaken)"
    };
    let mut parameter = condition_header("If-Match", description);
    if required {
        parameter.required = Required::True;
    }
    parameter
}

/// `If-None-Match` on a retrieve. Its syntax is stated but not enforced: a malformed value is
/// ignored (a cache in between may have sent it) and the read answered in full, so the schema
/// carries no pattern that would make such a request "invalid".
pub(super) fn if_none_match() -> Parameter {
    header(
        "If-None-Match",
        "`*` or ETags (weak comparison): 304 when one is current. A value not of that syntax \
         is ignored: the read is answered in full",
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(entity_tags())),
    )
}

/// `If-None-Match` on an update or delete.
pub(super) fn if_none_match_on_write() -> Parameter {
    condition_header(
        "If-None-Match",
        "`*` or ETags (weak comparison): 412 when the record exists (`*`) or one is current",
    )
}

/// `If-None-Match` on a create.
pub(super) fn if_none_match_on_create() -> Parameter {
    condition_header(
        "If-None-Match",
        "`*`: 412 (rather than 409) when a record with the body's natural key exists; tags \
         never match the collection",
    )
}

/// A condition header on a write: a malformed value is a 400.
fn condition_header(name: &str, description: &str) -> Parameter {
    header(
        name,
        description,
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(entity_tags()))
            .pattern(Some(CONDITION_PATTERN)),
    )
}

fn entity_tags() -> SchemaFormat {
    SchemaFormat::Custom(ENTITY_TAGS_FORMAT.to_owned())
}

pub(super) fn describe(op: Op) -> &'static str {
    match op {
        Op::Eq => "Equal to",
        Op::In => "Any of these values (comma-separated)",
        Op::Gt => "Greater than",
        Op::Gte => "Greater than or equal to",
        Op::Lt => "Less than",
        Op::Lte => "Less than or equal to",
        Op::IContains => "Contains, ignoring case",
        Op::StartsWith => "Starts with (case-sensitive)",
        Op::IsNull => "`true`: only records without a value; `false`: only those with one",
    }
}

/// The schema of `op`'s single operand on `field` of `schema` (`__in` takes a list).
fn operand(op: Op, schema: &Schema, field: &FieldSpec) -> DocSchema {
    match op {
        Op::IsNull => ObjectBuilder::new().schema_type(Type::Boolean).into(),
        Op::IContains | Op::StartsWith => text(MAX_TEXT_CHARS).into(),
        Op::Eq | Op::In | Op::Gt | Op::Gte | Op::Lt | Op::Lte => value(schema, field),
    }
}

/// One value of `field` of `schema`: a choice field's named values, else its type's.
fn value(schema: &Schema, field: &FieldSpec) -> DocSchema {
    match values_name(schema, field) {
        Some(name) => values_ref(name, false),
        None => scalar(field.ty).into(),
    }
}

/// `field__in`: values of the field's type, comma-separated in one parameter (form style,
/// not exploded).
fn list(name: &str, description: &str, schema: &Schema, field: &FieldSpec) -> Parameter {
    let item = match field.ty {
        FieldType::Text => list_text().into(),
        _ => value(schema, field),
    };
    let array = ArrayBuilder::new()
        .items(item)
        .min_items(Some(1))
        .max_items(Some(MAX_IN_VALUES));
    comma_separated(name, description, array)
}

/// A text item of a comma-separated list: the server splits the value at every comma, an
/// encoded one (`%2C`) included, so an item holds none.
pub(super) fn list_text() -> ObjectBuilder {
    text(MAX_TEXT_CHARS).pattern(Some("^[^,]*$"))
}

/// A single value of type `ty` as a query parameter.
fn scalar(ty: FieldType) -> ObjectBuilder {
    match ty {
        FieldType::Text => text(MAX_TEXT_CHARS),
        _ => typed(ty, false),
    }
}

/// Non-empty text of at most `max` characters.
pub(super) fn text(max: usize) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max))
}

/// The sort keys of `schema`'s kind, a named schema (`StudentOrdering`): each orderable field,
/// ascending or (`-`) descending.
pub(super) fn ordering_keys(schema: &Schema) -> DocSchema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(
            ordering_fields(schema).flat_map(|name| [name.to_owned(), format!("-{name}")]),
        ))
        .into()
}

fn ordering_fields(schema: &Schema) -> impl Iterator<Item = &'static str> + '_ {
    schema
        .fields
        .iter()
        .filter(|field| field.orderable)
        .map(|field| field.name)
}

/// `ordering`: orderable fields, `-` for descending, comma-separated, each at most once.
pub(super) fn ordering(schema: &Schema) -> Parameter {
    let array = ArrayBuilder::new()
        .items(Ref::from_schema_name(KindNames::of(schema).ordering()))
        .min_items(Some(1))
        .max_items(Some(ordering_fields(schema).count()))
        .unique_items(true);
    comma_separated(
        "ordering",
        "Sort keys, comma-separated, `-` for descending, each field at most once; personal \
         fields are refused (400) for callers not granted them",
        array,
    )
}

/// A form-style, not exploded, query parameter: `name=a,b,c`.
pub(super) fn comma_separated(name: &str, description: &str, array: ArrayBuilder) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .style(Some(ParameterStyle::Form))
        .explode(Some(false))
        .schema(Some(RefOr::T(array.into())))
        .build()
}

pub(super) fn query(name: &str, description: &str, schema: impl Into<DocSchema>) -> Parameter {
    parameter(name, ParameterIn::Query, description, schema)
}

fn header(name: &str, description: &str, schema: ObjectBuilder) -> Parameter {
    parameter(name, ParameterIn::Header, description, schema)
}

fn parameter(
    name: &str,
    at: ParameterIn,
    description: &str,
    schema: impl Into<DocSchema>,
) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(at)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}
