//! One custom-field system for every entity kind: definitions ([`CustomFieldDef`]) and the
//! validation of the values stored in an entity's `custom_fields` map.

mod def;
mod record;
mod validate;

pub use def::{CustomFieldDef, CustomFieldInput, CustomFieldType};
pub use validate::{apply_custom_fields, validate_definition};
