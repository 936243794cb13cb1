//! How custom-field definitions are stored.

use std::sync::LazyLock;

use campushub_core::CustomFieldDef;

use super::audit::{audited_columns, audited_values};

use crate::row::SqlRow;
use crate::table::{Column, SqlEntity, UniqueKey};
use crate::value::{ColType, SqlValue};
use crate::Result;

static COLUMNS: LazyLock<Vec<Column>> = LazyLock::new(|| {
    audited_columns(&[
        Column::new("entity", ColType::Text),
        Column::new("name", ColType::Text),
        Column::new("label", ColType::Text),
        Column::new("field_type", ColType::Text),
        Column::new("required", ColType::Bool),
        Column::new("help_text", ColType::Text),
        Column::new("default_value", ColType::Json),
        Column::new("choices", ColType::Json),
        Column::new("validation_regex", ColType::Text),
        Column::new("min_value", ColType::Float),
        Column::new("max_value", ColType::Float),
        Column::new("is_active", ColType::Bool),
        Column::new("sensitive", ColType::Bool),
        Column::new("order", ColType::Int),
    ])
});

impl SqlEntity for CustomFieldDef {
    const TABLE: &'static str = "custom_field_defs";

    fn columns() -> &'static [Column] {
        &COLUMNS
    }

    fn values(&self) -> Vec<SqlValue> {
        let choices = serde_json::Value::from(self.choices.clone());
        let own = [
            self.entity.clone().into(),
            self.name.clone().into(),
            self.label.clone().into(),
            self.field_type.as_str().into(),
            self.required.into(),
            self.help_text.clone().into(),
            self.default_value.clone().into(),
            choices.into(),
            self.validation_regex.clone().into(),
            self.min_value.into(),
            self.max_value.into(),
            self.is_active.into(),
            self.sensitive.into(),
            self.order.into(),
        ];
        audited_values(own, &self.audit)
    }

    fn from_row(row: &SqlRow<'_>) -> Result<Self> {
        Ok(CustomFieldDef {
            meta: row.meta()?,
            entity: row.text("entity")?,
            name: row.text("name")?,
            label: row.text("label")?,
            field_type: row.choice("field_type")?,
            required: row.bool("required")?,
            help_text: row.text("help_text")?,
            default_value: row.opt_json("default_value")?.filter(|v| !v.is_null()),
            choices: row.json_as("choices")?,
            validation_regex: row.opt_text("validation_regex")?,
            min_value: row.opt_float("min_value")?,
            max_value: row.opt_float("max_value")?,
            is_active: row.bool("is_active")?,
            sensitive: row.bool("sensitive")?,
            order: row.int32("order")?,
            audit: row.audit()?,
        })
    }

    fn unique_keys() -> &'static [UniqueKey] {
        &[UniqueKey {
            constraint: "custom_field_defs_entity_name_key",
            columns: &["entity", "name"],
            field: "name",
        }]
    }
}
