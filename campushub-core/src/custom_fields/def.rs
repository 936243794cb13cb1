//! Custom-field definitions: which kind a field applies to, its type and its rules.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::entities::{meta_accessors, string_enum};
use crate::entity::Entity;
use crate::error::ValidationErrors;
use crate::kind::EntityKind;
use crate::meta::RecordMeta;
use crate::schema::{join_fields, FieldSpec, FieldType, Ops, Schema, META_FIELDS};
use crate::value::Scalar;

string_enum! {
    /// The type of a custom field's values.
    CustomFieldType {
        /// One line of text.
        Text => "text",
        /// Long text.
        Textarea => "textarea",
        /// A number (integer or decimal).
        Number => "number",
        /// A date, `YYYY-MM-DD`.
        Date => "date",
        /// An email address.
        Email => "email",
        /// A phone number.
        Phone => "phone",
        /// An `http(s)://` URL.
        Url => "url",
        /// `true` or `false`.
        Boolean => "boolean",
        /// One of `choices`.
        Select => "select",
        /// Any subset of `choices`, as an array.
        Multiselect => "multiselect",
    }
}

impl CustomFieldType {
    /// Whether values are strings whose length `min_value`/`max_value` bound.
    pub const fn is_textual(self) -> bool {
        matches!(
            self,
            Self::Text | Self::Textarea | Self::Email | Self::Phone | Self::Url
        )
    }

    /// Whether the type takes its values from `choices`.
    pub const fn has_choices(self) -> bool {
        matches!(self, Self::Select | Self::Multiselect)
    }
}

/// A custom-field definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldDef {
    /// Id, timestamps, version.
    #[serde(flatten)]
    pub meta: RecordMeta,
    /// The kind whose records carry the field (`student`).
    pub entity: String,
    /// The key in `custom_fields`: unique per kind, `^[a-z][a-z0-9_]*$`.
    pub name: String,
    /// Human label.
    pub label: String,
    /// Value type.
    pub field_type: CustomFieldType,
    /// Whether every record must carry a value.
    pub required: bool,
    /// Help shown next to the field.
    pub help_text: String,
    /// Value filled in when a write carries none.
    pub default_value: Option<Value>,
    /// Allowed values of `select` and `multiselect` fields.
    pub choices: Vec<String>,
    /// A regular expression text values must match (anchored by the author).
    pub validation_regex: Option<String>,
    /// Lower bound: the value of a number, the length of text.
    pub min_value: Option<f64>,
    /// Upper bound: the value of a number, the length of text.
    pub max_value: Option<f64>,
    /// Inactive definitions are not enforced; values already stored are kept as they are.
    pub is_active: bool,
    /// Display order.
    pub order: i32,
}

/// What a client sends to create or replace a custom-field definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldInput {
    /// The kind whose records carry the field.
    pub entity: String,
    /// The key in `custom_fields`.
    pub name: String,
    /// Human label (defaults to the name).
    #[serde(default)]
    pub label: String,
    /// Value type.
    pub field_type: CustomFieldType,
    /// Whether every record must carry a value (default false).
    #[serde(default)]
    pub required: bool,
    /// Help shown next to the field.
    #[serde(default)]
    pub help_text: String,
    /// Value filled in when a write carries none.
    #[serde(default)]
    pub default_value: Option<Value>,
    /// Allowed values of `select` and `multiselect` fields.
    #[serde(default)]
    pub choices: Vec<String>,
    /// A regular expression text values must match.
    #[serde(default)]
    pub validation_regex: Option<String>,
    /// Lower bound.
    #[serde(default)]
    pub min_value: Option<f64>,
    /// Upper bound.
    #[serde(default)]
    pub max_value: Option<f64>,
    /// Whether the definition is enforced (default true).
    #[serde(default = "yes")]
    pub is_active: bool,
    /// Display order (default 0).
    #[serde(default)]
    pub order: i32,
}

fn yes() -> bool {
    true
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| Schema {
    kind: EntityKind::CUSTOM_FIELD,
    fields: join_fields(&[
        &META_FIELDS,
        &[
            FieldSpec::new("entity", FieldType::Text).filter(Ops::EXACT),
            FieldSpec::new("name", FieldType::Text)
                .filter(Ops::STRING)
                .order(),
            FieldSpec::new("field_type", FieldType::Choice(CustomFieldType::ALL))
                .filter(Ops::EXACT),
            FieldSpec::new("required", FieldType::Bool).filter(Ops::EQ),
            FieldSpec::new("is_active", FieldType::Bool).filter(Ops::EQ),
            FieldSpec::new("order", FieldType::Int)
                .filter(Ops::ORDERED)
                .order(),
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
        "order",
    ]],
    required: &[&["entity", "name", "field_type"]],
    read_only: &[],
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
            order: 0,
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
            order: self.order,
        }
    }

    fn apply_input(&mut self, input: CustomFieldInput, _actor: &str) {
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
        self.order = input.order;
    }

    fn validate(&self, errors: &mut ValidationErrors) {
        super::validate_definition(self, errors);
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
            "order" => Some(Scalar::Int(self.order.into())),
            _ => None,
        }
    }

    fn unique_values(&self) -> Vec<(&'static str, String)> {
        vec![("name", format!("{}:{}", self.entity, self.name))]
    }
}
