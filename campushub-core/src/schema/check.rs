//! Checking the values of a request body against the fields' declarations ([`FieldSpec`]):
//! the constraints the OpenAPI document states for the same fields, enforced by the same
//! declaration, so that a body the document allows is never refused for its shape and a body
//! it forbids is never accepted.
//!
//! Only the constraints are checked here. A value of the wrong JSON type (or `null` where the
//! type has none) is left to decoding, which names the type it expected; keys the schema does
//! not know are the caller's (`Unknown field.`).

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate};
use serde_json::{Map, Value};

use super::constraints::{Pattern, DATE, UUID};
use super::{FieldSpec, FieldType, Schema};
use crate::error::{shown, ValidationErrors};
use crate::regex_cache::compiled;

/// How a body is applied to a record, which decides what `null` stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyMode {
    /// A create or a full replacement (PUT): `null` is a value, allowed only where the field
    /// is nullable.
    Replace,
    /// A JSON merge patch (RFC 7396): `null` removes the field, which then takes its default
    /// (or is missing, for a required field).
    Patch,
}

impl FieldType {
    /// The pattern every text form of this type matches: dates and UUIDs have one form each.
    pub const fn pattern(self) -> Option<Pattern> {
        match self {
            FieldType::Date => Some(DATE),
            FieldType::Uuid => Some(UUID),
            _ => None,
        }
    }
}

impl Schema {
    /// Whether `null` is a value `mode` accepts for `spec`: a nullable field's, or, in a
    /// merge patch, one that is not required (`null` resets it to its default).
    pub fn accepts_null(&self, spec: &FieldSpec, mode: BodyMode) -> bool {
        spec.nullable
            || (mode == BodyMode::Patch && !self.required_fields().any(|name| name == spec.name))
    }
}

/// Rewrites the whole numbers `body` sends as decimals (`2.0`, `1e2`) for whole-number fields
/// as integers: JSON Schema's `integer` admits them (it is about the value, not its
/// spelling), and decoding into an integer type would refuse them.
pub fn normalize_integers(schema: &Schema, body: &mut Map<String, Value>) {
    for (name, value) in body.iter_mut() {
        let whole = match (schema.field(name), &*value) {
            (Some(spec), Value::Number(number)) if spec.ty == FieldType::Int => number
                .as_f64()
                .filter(|_| number.is_f64())
                .filter(|n| n.fract() == 0.0 && n.abs() < 2f64.powi(63)),
            _ => None,
        };
        if let Some(whole) = whole {
            // In range and whole: the conversion is exact.
            *value = Value::from(whole as i64);
        }
    }
}

/// Records in `errors`, under each field's name, every value of `body` that breaks its
/// field's declared constraints. Keys without a declaration are skipped, as are `null`s
/// (decoding and merging decide those, see [`BodyMode`]).
pub fn check_body(schema: &Schema, body: &Map<String, Value>, errors: &mut ValidationErrors) {
    for (name, value) in body {
        let Some(spec) = schema.field(name) else {
            continue;
        };
        if let Err(message) = check_value(spec, value) {
            errors.add(name.clone(), message);
        }
    }
}

/// The first problem of `value` as a value of `spec`, if any (see the module documentation
/// for what is left to decoding).
pub fn check_value(spec: &FieldSpec, value: &Value) -> Result<(), String> {
    let rules = &spec.constraints;
    match (spec.ty, value) {
        (FieldType::Text, Value::String(text)) => check_text(spec, text),
        (FieldType::Choice(choices), Value::String(text)) => {
            if choices.contains(&text.as_str()) {
                Ok(())
            } else {
                Err(format!(
                    "`{}` is not one of: {}.",
                    shown(text),
                    choices.join(", ")
                ))
            }
        }
        (FieldType::Int, Value::Number(number)) => match (number.as_i64(), rules) {
            (Some(n), rules) if rules.minimum.is_some_and(|min| n < min) => Err(range(spec)),
            (Some(n), rules) if rules.maximum.is_some_and(|max| n > max) => Err(range(spec)),
            _ => Ok(()),
        },
        (FieldType::Date, Value::String(text)) => parse_date(text)
            .map(drop)
            .ok_or_else(|| DATE.message.to_owned()),
        (FieldType::DateTime, Value::String(text)) => DateTime::parse_from_rfc3339(text)
            .map(drop)
            .map_err(|_| "Enter an RFC 3339 date and time such as 2024-05-01T08:30:00Z.".into()),
        (FieldType::Uuid, Value::String(text)) => {
            if matches(UUID, text) {
                Ok(())
            } else {
                Err(UUID.message.to_owned())
            }
        }
        (FieldType::TextList, Value::Array(items)) => check_items(spec, items),
        _ => Ok(()),
    }
}

/// A text value against the length and pattern of `spec`.
fn check_text(spec: &FieldSpec, text: &str) -> Result<(), String> {
    let rules = &spec.constraints;
    if let Some(max) = rules.max_chars {
        if text.chars().count() > max as usize {
            return Err(format!(
                "Ensure this field has no more than {max} characters."
            ));
        }
    }
    match rules.pattern {
        Some(pattern) if !matches(pattern, text) => Err(pattern.message.to_owned()),
        _ => Ok(()),
    }
}

/// The items of a text list: each a text under the field's constraints, distinct if declared.
fn check_items(spec: &FieldSpec, items: &[Value]) -> Result<(), String> {
    let mut seen = HashSet::new();
    for (index, item) in items.iter().enumerate() {
        let Value::String(text) = item else {
            continue;
        };
        check_text(spec, text).map_err(|message| format!("Item {index}: {message}"))?;
        if spec.constraints.unique_items && !seen.insert(text) {
            return Err(format!("Item {index}: `{}` is listed twice.", shown(text)));
        }
    }
    Ok(())
}

fn range(spec: &FieldSpec) -> String {
    let rules = &spec.constraints;
    match (rules.minimum, rules.maximum) {
        (Some(min), Some(max)) => format!("Ensure this value is between {min} and {max}."),
        (Some(min), None) => format!("Ensure this value is at least {min}."),
        (None, Some(max)) => format!("Ensure this value is at most {max}."),
        (None, None) => String::new(),
    }
}

/// `text` as a date if it has the declared form ([`DATE`]) and the date exists: what every
/// parser of dates (query, body) accepts.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    matches(DATE, text)
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
}

/// `text` as a UUID if it has the declared form ([`UUID`]): what every parser of ids (path,
/// query, body) accepts.
///
/// Checked without the pattern's regex: every retrieve parses an id from its path, and a regex
/// search was a visible share of a cached retrieve's CPU. The declared form is the hyphenated
/// one, the only form `Uuid::try_parse` accepts at 36 characters (simple is 32, braced 38, URN
/// 45); a test checks the two agree.
pub fn parse_uuid(text: &str) -> Option<uuid::Uuid> {
    if text.len() != HYPHENATED_LEN {
        return None;
    }
    uuid::Uuid::try_parse(text).ok()
}

/// The length of a hyphenated UUID (`8-4-4-4-12` hex digits).
const HYPHENATED_LEN: usize = 36;

/// Whether `text` contains a match of `pattern` (declared patterns compile: the tests of the
/// built-in schemas compile every one).
fn matches(pattern: Pattern, text: &str) -> bool {
    compiled(pattern.regex).is_ok_and(|regex| regex.is_match(text))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::entity::Entity;
    use crate::schema::constraints::{EMAIL, NON_BLANK};

    const NAME: FieldSpec = FieldSpec::new("name", FieldType::Text).text(5);
    const EMAIL_FIELD: FieldSpec = FieldSpec::new("email", FieldType::Text)
        .max_chars(254)
        .pattern(EMAIL);
    const YEAR: FieldSpec = FieldSpec::new("year", FieldType::Int).range(1, 5);
    const BORN: FieldSpec = FieldSpec::new("born", FieldType::Date);
    const PARENT: FieldSpec = FieldSpec::new("parent", FieldType::Uuid);
    const TAGS: FieldSpec = FieldSpec::new("tags", FieldType::TextList)
        .pattern(NON_BLANK)
        .unique_items();
    const SIZE: FieldSpec = FieldSpec::new("size", FieldType::Choice(&["S", "M"]));

    /// `parse_uuid` skips the regex; it must accept exactly what the declared pattern does.
    /// Mutated ids (a character replaced, inserted or removed; case changed; other forms) from a
    /// seeded generator, plus hand-picked edges.
    #[test]
    fn parse_uuid_accepts_exactly_the_declared_pattern() {
        let valid = "0191c6a2-5b1e-7cc3-8d1e-5f0a2b3c4d5e";
        let alphabet: Vec<char> = "0123456789abcdefABCDEFgG-{}:uéx ".chars().collect();
        let mut state = 0x5EED_u64;
        let mut next = move |n: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            ((state >> 33) as usize) % n
        };
        let mut cases: Vec<String> = vec![
            valid.to_owned(),
            valid.to_uppercase(),
            valid.replace('-', ""),
            format!("{{{valid}}}"),
            format!("urn:uuid:{valid}"),
            format!(" {valid}"),
            String::new(),
            "0191c6a25-b1e-7cc3-8d1e-5f0a2b3c4d5e".to_owned(),
            "0191c6a2-5b1e-7cc3-8d1e-5f0a2b3c4d5é".to_owned(),
        ];
        for _ in 0..20_000 {
            let mut chars: Vec<char> = valid.chars().collect();
            for _ in 0..=next(2) {
                let at = next(chars.len() + 1);
                match next(3) {
                    0 if at < chars.len() => chars[at] = alphabet[next(alphabet.len())],
                    1 => chars.insert(at, alphabet[next(alphabet.len())]),
                    _ if at < chars.len() => {
                        chars.remove(at);
                    }
                    _ => {}
                }
            }
            cases.push(chars.into_iter().collect());
        }
        let mut accepted = 0;
        for case in &cases {
            let by_pattern = matches(UUID, case);
            assert_eq!(parse_uuid(case).is_some(), by_pattern, "{case:?}");
            accepted += usize::from(by_pattern);
        }
        // Both outcomes occur often enough for the comparison to mean something.
        assert!(
            accepted > 1_000 && accepted < cases.len() - 1_000,
            "{accepted}"
        );
    }

    #[test]
    fn text_is_checked_for_length_and_pattern() {
        assert!(check_value(&NAME, &json!("Asha")).is_ok());
        assert!(check_value(&NAME, &json!(" \u{3000}\t")).is_err(), "blank");
        assert!(check_value(&NAME, &json!("Ashwini")).is_err(), "too long");
        assert!(
            check_value(&NAME, &json!("ééééé")).is_ok(),
            "counts characters"
        );
        assert!(check_value(&EMAIL_FIELD, &json!("a@b.co")).is_ok());
        assert!(check_value(&EMAIL_FIELD, &json!("a@b")).is_err());
    }

    #[test]
    fn numbers_dates_uuids_lists_and_choices() {
        assert!(check_value(&YEAR, &json!(5)).is_ok());
        assert!(check_value(&YEAR, &json!(0)).is_err());
        assert!(check_value(&YEAR, &json!(6)).is_err());
        assert!(check_value(&BORN, &json!("2004-02-29")).is_ok());
        for bad in ["2003-02-29", "2004-2-9", "+2004-02-09", "2004-02-09 "] {
            assert!(check_value(&BORN, &json!(bad)).is_err(), "{bad}");
        }
        assert!(check_value(&PARENT, &json!("0191c6a2-5b1e-7cc3-8d1e-5f0a2b3c4d5e")).is_ok());
        assert!(check_value(&PARENT, &json!("0191c6a25b1e7cc38d1e5f0a2b3c4d5e")).is_err());
        assert!(check_value(&TAGS, &json!(["a", "b"])).is_ok());
        assert!(check_value(&TAGS, &json!(["a", " "])).is_err());
        assert!(check_value(&TAGS, &json!(["a", "a"])).is_err());
        assert!(check_value(&SIZE, &json!("M")).is_ok());
        assert!(check_value(&SIZE, &json!("L")).is_err());
    }

    #[test]
    fn whole_decimals_become_integers_for_whole_number_fields() {
        let schema = crate::Student::schema();
        let mut body = json!({"semester": 2.0, "year_of_study": 1e0, "first_name": 1.0,
                              "roll_number": 2.5})
        .as_object()
        .cloned()
        .unwrap_or_default();
        normalize_integers(schema, &mut body);
        assert_eq!(
            Value::Object(body),
            json!({"semester": 2, "year_of_study": 1, "first_name": 1.0, "roll_number": 2.5})
        );
    }

    #[test]
    fn values_of_another_type_are_left_to_decoding() {
        for (spec, value) in [
            (&NAME, json!(7)),
            (&YEAR, json!("x")),
            (&PARENT, json!(null)),
        ] {
            assert!(check_value(spec, &value).is_ok(), "{}", spec.name);
        }
    }
}
