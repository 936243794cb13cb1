//! Validation of custom-field definitions and of the values records carry.

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::def::{CustomFieldDef, CustomFieldType};
use crate::entities::checks;
use crate::error::ValidationErrors;
use crate::regex_cache::compiled;

/// Records every problem of a definition that its fields' declarations cannot state, because
/// it relates two fields: choices and a pattern only for the types that take them, bounds in
/// order, a default that is a valid value. (The name's form, the label's length and distinct,
/// non-blank choices are declared on the schema's fields and checked with the body.)
pub fn validate_definition(def: &CustomFieldDef, errors: &mut ValidationErrors) {
    if def.field_type.has_choices() {
        if def.choices.is_empty() {
            errors.add(
                "choices",
                "A select or multiselect field needs at least one choice.",
            );
        }
    } else if !def.choices.is_empty() {
        errors.add(
            "choices",
            "Only select and multiselect fields take choices.",
        );
    }
    if let Some(pattern) = &def.validation_regex {
        if !def.field_type.is_textual() {
            errors.add(
                "validation_regex",
                "Only text, email, phone and URL fields take a pattern.",
            );
        } else if let Err(error) = compiled(pattern) {
            errors.add(
                "validation_regex",
                format!("Invalid regular expression: {error}"),
            );
        }
    }
    let bounded = def.field_type.is_textual() || def.field_type == CustomFieldType::Number;
    for (field, bound) in [("min_value", def.min_value), ("max_value", def.max_value)] {
        match bound {
            Some(value) if !bounded => {
                let _ = value;
                errors.add(field, "Only number and text fields take bounds.");
            }
            Some(value) if !value.is_finite() => {
                errors.add(field, "Bounds must be finite numbers.")
            }
            Some(value) if def.field_type.is_textual() && (value < 0.0 || value.fract() != 0.0) => {
                errors.add(field, "Length bounds must be whole numbers of at least 0.")
            }
            _ => {}
        }
    }
    if let (Some(min), Some(max)) = (def.min_value, def.max_value) {
        if min > max {
            errors.add("min_value", "min_value must not exceed max_value.");
        }
    }
    if let Some(default) = &def.default_value {
        if errors.is_empty() {
            if let Err(message) = check_value(def, default) {
                errors.add("default_value", message);
            }
        }
    }
}

/// Fills in defaults and validates `values` against `definitions` (every definition of the
/// record's kind), recording errors as `custom_fields.<name>`.
///
/// - a name without any definition is an error;
/// - an active definition's value must fit its type and rules; a missing value takes the
///   default, and is an error if the definition is required and has no default;
/// - `null` counts as missing;
/// - values of inactive definitions are kept as they are and not checked.
pub fn apply_custom_fields(
    values: &mut Map<String, Value>,
    definitions: &[CustomFieldDef],
    errors: &mut ValidationErrors,
) {
    values.retain(|_, value| !value.is_null());
    for name in values.keys() {
        if !definitions.iter().any(|def| &def.name == name) {
            errors.add(format!("custom_fields.{name}"), "Unknown custom field.");
        }
    }
    for def in definitions.iter().filter(|def| def.is_active) {
        let field = format!("custom_fields.{}", def.name);
        match values.get(&def.name) {
            Some(value) => {
                if let Err(message) = check_value(def, value) {
                    errors.add(field, message);
                }
            }
            None => match &def.default_value {
                Some(default) => {
                    values.insert(def.name.clone(), default.clone());
                }
                None if def.required => errors.add(field, "This field is required."),
                None => {}
            },
        }
    }
}

/// Checks one non-null value against a definition.
fn check_value(def: &CustomFieldDef, value: &Value) -> Result<(), String> {
    use CustomFieldType as T;
    match def.field_type {
        T::Text | T::Textarea | T::Email | T::Phone | T::Url => {
            let Value::String(text) = value else {
                return Err(format!("Expected a string for a {} field.", def.field_type));
            };
            check_text(def, text)
        }
        T::Number => {
            let number = value.as_f64().ok_or("Expected a number.")?;
            check_bounds(def, number, "value")
        }
        T::Date => {
            let text = value
                .as_str()
                .ok_or("Expected a date as a `YYYY-MM-DD` string.")?;
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|_| ())
                .map_err(|_| format!("`{text}` is not a date in the form YYYY-MM-DD."))
        }
        T::Boolean => value
            .as_bool()
            .map(|_| ())
            .ok_or_else(|| "Expected true or false.".to_owned()),
        T::Select => {
            let text = value
                .as_str()
                .ok_or("Expected one of the choices, as a string.")?;
            check_choice(def, text)
        }
        T::Multiselect => {
            let items = value.as_array().ok_or("Expected an array of choices.")?;
            let mut seen = std::collections::HashSet::new();
            for item in items {
                let text = item
                    .as_str()
                    .ok_or("Every item must be a choice, as a string.")?;
                check_choice(def, text)?;
                if !seen.insert(text) {
                    return Err(format!("`{text}` is selected twice."));
                }
            }
            Ok(())
        }
    }
}

fn check_text(def: &CustomFieldDef, text: &str) -> Result<(), String> {
    let length = text.chars().count();
    check_bounds(def, length as f64, "length")?;
    match def.field_type {
        CustomFieldType::Email if !checks::is_email(text) => {
            return Err("Enter a valid email address.".to_owned())
        }
        CustomFieldType::Phone if !checks::is_phone(text) => {
            return Err("Enter a valid phone number: an optional + and 9 to 15 digits.".to_owned())
        }
        CustomFieldType::Url if !is_url(text) => {
            return Err("Enter a valid URL starting with http:// or https://.".to_owned())
        }
        _ => {}
    }
    if let Some(pattern) = &def.validation_regex {
        let regex = compiled(pattern).map_err(|_| "The field's pattern is invalid.".to_owned())?;
        if !regex.is_match(text) {
            return Err(format!("Value does not match the pattern `{pattern}`."));
        }
    }
    Ok(())
}

fn check_bounds(def: &CustomFieldDef, value: f64, what: &str) -> Result<(), String> {
    if let Some(min) = def.min_value {
        if value < min {
            return Err(format!("Ensure the {what} is at least {min}."));
        }
    }
    if let Some(max) = def.max_value {
        if value > max {
            return Err(format!("Ensure the {what} is at most {max}."));
        }
    }
    Ok(())
}

fn check_choice(def: &CustomFieldDef, text: &str) -> Result<(), String> {
    if def.choices.iter().any(|choice| choice == text) {
        Ok(())
    } else {
        Err(format!(
            "`{text}` is not one of the choices: {}.",
            def.choices.join(", ")
        ))
    }
}

fn is_url(text: &str) -> bool {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            !host.is_empty() && !text.chars().any(char::is_whitespace) && text.len() <= 2048
        }
        None => false,
    }
}
