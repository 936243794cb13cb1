//! The `cf.` filters of a kind's list and statistics, one parameter per operator of each
//! active custom-field definition, typed as the query parser reads the definition's values;
//! a definition's choices are a named schema (`StudentCfBloodGroup`) its filters share.

use campushub_core::query::{custom_operators, Op, CUSTOM_PREFIX, MAX_IN_VALUES, MAX_TEXT_CHARS};
use campushub_core::schema::FieldType;
use campushub_core::{CustomFieldDef, CustomFieldType};
use utoipa::openapi::path::Parameter;
use utoipa::openapi::schema::{ArrayBuilder, Type};
use utoipa::openapi::{ObjectBuilder, Ref};

use super::entity::{typed, DocSchema};
use super::names::custom_choices_name;
use super::params::{comma_separated, describe, list_text, query, text, PERSONAL_PARAMETER};

/// The named schema of `definition`'s choices, which its filters reference: `None` unless it
/// is active and takes its values from choices.
pub(super) fn custom_choices(definition: &CustomFieldDef) -> Option<(String, DocSchema)> {
    let listed = definition.is_active && definition.field_type.has_choices();
    listed.then(|| {
        let choices = ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(definition.choices.iter().map(String::as_str)));
        (choices_name(definition), choices.into())
    })
}

fn choices_name(definition: &CustomFieldDef) -> String {
    custom_choices_name(&definition.entity, &definition.name)
}

/// The filter parameters of `definition` (none when it is inactive: the parser refuses them).
pub(super) fn custom_parameters(definition: &CustomFieldDef) -> Vec<Parameter> {
    if !definition.is_active {
        return Vec::new();
    }
    let operators = custom_operators(definition.field_type);
    let base = format!("{CUSTOM_PREFIX}{}", definition.name);
    let mut label = format!(
        "custom field `{}` ({})",
        definition.name, definition.field_type
    );
    if definition.sensitive {
        label = format!("{label}, sensitive; {PERSONAL_PARAMETER}");
    }
    Op::ALL
        .into_iter()
        .filter(|op| operators.contains(op.required()))
        .map(|op| {
            let name = match op {
                Op::Eq => base.clone(),
                _ => format!("{base}__{}", op.suffix()),
            };
            let description = format!("{}: {label}", describe(op));
            match op {
                Op::In => {
                    let item = match definition.field_type {
                        field_type if field_type.is_textual() => list_text().into(),
                        _ => value(definition),
                    };
                    let array = ArrayBuilder::new()
                        .items(item)
                        .min_items(Some(1))
                        .max_items(Some(MAX_IN_VALUES));
                    comma_separated(&name, &description, array)
                }
                Op::IsNull => query(
                    &name,
                    &description,
                    ObjectBuilder::new().schema_type(Type::Boolean),
                ),
                Op::IContains | Op::StartsWith => query(&name, &description, text(MAX_TEXT_CHARS)),
                Op::Eq | Op::Gt | Op::Gte | Op::Lt | Op::Lte => {
                    query(&name, &description, value(definition))
                }
            }
        })
        .collect()
}

/// One value of `definition` as a query parameter: what `parse_custom_scalar` reads.
fn value(definition: &CustomFieldDef) -> DocSchema {
    use CustomFieldType as T;
    match definition.field_type {
        T::Text | T::Textarea | T::Email | T::Phone | T::Url => text(MAX_TEXT_CHARS).into(),
        T::Number => ObjectBuilder::new().schema_type(Type::Number).into(),
        T::Date => typed(FieldType::Date, false).into(),
        T::Boolean => ObjectBuilder::new().schema_type(Type::Boolean).into(),
        T::Select | T::Multiselect => Ref::from_schema_name(choices_name(definition)).into(),
    }
}
