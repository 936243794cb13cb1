//! Custom-field definitions: which kind a field applies to, its type and its rules.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::audit::Audit;
use crate::entities::string_enum;
use crate::meta::RecordMeta;

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
    /// Whether the values are personal data: only callers granted personal fields see them
    /// ([`crate::Policy::sees_personal`]).
    #[serde(default)]
    pub sensitive: bool,
    /// Display order.
    pub order: i32,
    /// Who created and last updated the definition.
    #[serde(flatten)]
    pub audit: Audit,
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
    /// Whether the values are personal data (default false).
    #[serde(default)]
    pub sensitive: bool,
    /// Display order (default 0).
    #[serde(default)]
    pub order: i32,
}

fn yes() -> bool {
    true
}
