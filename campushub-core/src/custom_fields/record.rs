//! Custom-field definitions as stored records: their schema and the [`Entity`] impl that
//! builds, validates and reads them (apart from the types in `def.rs`, which validation reads).

use std::sync::LazyLock;

use super::def::{CustomFieldDef, CustomFieldInput, CustomFieldType};
use super::validate::validate_definition;
use crate::audit::{Audit, AUDIT_FIELDS};
use crate::entities::meta_accessors;
use crate::entity::Entity;
use crate::error::ValidationErrors;
use crate::kind::EntityKind;
use crate::meta::RecordMeta;
use crate::schema::constraints::NON_BLANK;
use crate::schema::{join_fields, FieldSpec, FieldType, Ops, Pattern, Schema, META_FIELDS};
use crate::value::Scalar;

/// The form of a definition's name: the key in `custom_fields`.
const NAME: Pattern = Pattern::new(
    "^[a-z][a-z0-9_]{0,62}$",
    "Name must start with a lowercase letter and hold only lowercase letters, digits and underscores (at most 63).",
);

/// The form of the kind a definition applies to (a kind's name).
const ENTITY: Pattern = Pattern::new(
    "^[a-z][a-z0-9_]{0,62}$",
    "Enter an entity kind such as `student`, `faculty` or `department`.",
);

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| Schema {
    kind: EntityKind::CUSTOM_FIELD,
    fields: join_fields(&[
        &META_FIELDS,
        &[
            FieldSpec::new("entity", FieldType::Text)
                .filter(Ops::EXACT)
                .pattern(ENTITY),
            FieldSpec::new("name", FieldType::Text)
                .filter(Ops::STRING)
                .order()
                .pattern(NAME),
            FieldSpec::new("field_type", FieldType::Choice(CustomFieldType::ALL))
                .filter(Ops::EXACT)
                .choices_named("CustomFieldType"),
            FieldSpec::new("required", FieldType::Bool).filter(Ops::EQ),
            FieldSpec::new("is_active", FieldType::Bool).filter(Ops::EQ),
            FieldSpec::new("sensitive", FieldType::Bool).filter(Ops::EQ),
            FieldSpec::new("order", FieldType::Int)
                .filter(Ops::ORDERED)
                .order()
                .int32(),
            FieldSpec::new("label", FieldType::Text).max_chars(100),
            FieldSpec::new("help_text", FieldType::Text),
            FieldSpec::new("default_value", FieldType::Json).optional(),
            FieldSpec::new("choices", FieldType::TextList)
                .pattern(NON_BLANK)
                .unique_items(),
            FieldSpec::new("validation_regex", FieldType::Text).optional(),
            FieldSpec::new("min_value", FieldType::Number).optional(),
            FieldSpec::new("max_value", FieldType::Number).optional(),
        ],
    ]),
    search: &["name", "label"],
    natural_key: None,
    stats: &["entity", "field_type"],
    relations: &[],
    embedded_in: &[],
    writable: &[&[
        "entity",
        "name",
        "label",
        "field_type",
        "required",
        "help_text",
        "default_value",
        "choices",
        "validation_regex",
        "min_value",
        "max_value",
        "is_active",
        "sensitive",
        "order",
    ]],
    required: &[&["entity", "name", "field_type"]],
    read_only: &AUDIT_FIELDS,
});

impl Entity for CustomFieldDef {
    type Create = CustomFieldInput;
    const KIND: EntityKind = EntityKind::CUSTOM_FIELD;

    fn schema() -> &'static Schema {
        &SCHEMA
    }

    meta_accessors!();

    fn from_input(input: CustomFieldInput, meta: RecordMeta, actor: &str) -> Self {
        let mut def = CustomFieldDef {
            meta,
            entity: String::new(),
            name: String::new(),
            label: String::new(),
            field_type: input.field_type,
            required: false,
            help_text: String::new(),
            default_value: None,
            choices: Vec::new(),
            validation_regex: None,
            min_value: None,
            max_value: None,
            is_active: true,
            sensitive: false,
            order: 0,
            audit: Audit::created(actor),
        };
        def.apply_input(input, actor);
        def
    }

    fn to_input(&self) -> CustomFieldInput {
        CustomFieldInput {
            entity: self.entity.clone(),
            name: self.name.clone(),
            label: self.label.clone(),
            field_type: self.field_type,
            required: self.required,
            help_text: self.help_text.clone(),
            default_value: self.default_value.clone(),
            choices: self.choices.clone(),
            validation_regex: self.validation_regex.clone(),
            min_value: self.min_value,
            max_value: self.max_value,
            is_active: self.is_active,
            sensitive: self.sensitive,
            order: self.order,
        }
    }

    fn apply_input(&mut self, input: CustomFieldInput, actor: &str) {
        self.entity = input.entity.trim().to_owned();
        self.name = input.name.trim().to_owned();
        self.label = if input.label.trim().is_empty() {
            self.name.clone()
        } else {
            input.label.trim().to_owned()
        };
        self.field_type = input.field_type;
        self.required = input.required;
        self.help_text = input.help_text;
        self.default_value = input.default_value.filter(|v| !v.is_null());
        self.choices = input.choices;
        self.validation_regex = input.validation_regex.filter(|r| !r.is_empty());
        self.min_value = input.min_value;
        self.max_value = input.max_value;
        self.is_active = input.is_active;
        self.sensitive = input.sensitive;
        self.order = input.order;
        self.audit.written(actor);
    }

    fn validate(&self, errors: &mut ValidationErrors) {
        validate_definition(self, errors);
    }

    fn field(&self, name: &str) -> Option<Scalar> {
        if let Some(value) = self.meta.field(name) {
            return value;
        }
        match name {
            "entity" => Some(Scalar::Text(self.entity.clone())),
            "name" => Some(Scalar::Text(self.name.clone())),
            "label" => Some(Scalar::Text(self.label.clone())),
            "field_type" => Some(Scalar::Text(self.field_type.as_str().to_owned())),
            "required" => Some(Scalar::Bool(self.required)),
            "is_active" => Some(Scalar::Bool(self.is_active)),
            "sensitive" => Some(Scalar::Bool(self.sensitive)),
            "order" => Some(Scalar::Int(self.order.into())),
            _ => None,
        }
    }

    fn unique_values(&self) -> Vec<(&'static str, String)> {
        vec![("name", format!("{}:{}", self.entity, self.name))]
    }
}
