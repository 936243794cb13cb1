//! JSON request bodies: checking their keys and values against the schema's declarations,
//! decoding them into a kind's input with field-named errors, and JSON merge patches
//! (RFC 7396).

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::entities::{Person, PERSON_FIELDS};
use crate::error::{Error, ValidationErrors};
use crate::schema::check::{check_body, normalize_integers};
use crate::schema::Schema;

/// The error key for problems that belong to no one field (a body that is not an object).
pub const NON_FIELD_ERRORS: &str = "non_field_errors";

/// The message for a required field a body left out.
const REQUIRED: &str = "This field is required.";

/// The message for a `null` that would remove a required field.
const NOT_NULL: &str = "This field may not be null.";

/// The object inside `body`, or a `non_field_errors` error when it is not an object.
pub(crate) fn object(body: Value) -> Result<Map<String, Value>, ValidationErrors> {
    match body {
        Value::Object(map) => Ok(map),
        other => {
            let mut errors = ValidationErrors::new();
            errors.add(
                NON_FIELD_ERRORS,
                format!("Expected a JSON object, got {}.", type_name(&other)),
            );
            Err(errors)
        }
    }
}

/// Keeps the keys of `body` a write may set: read-only keys (metadata, embedded summaries)
/// are dropped silently, so a client can send back what it read; any other key the schema
/// does not list is recorded as "Unknown field.".
pub(crate) fn writable_keys(
    schema: &Schema,
    body: Map<String, Value>,
    errors: &mut ValidationErrors,
) -> Map<String, Value> {
    let mut kept = Map::new();
    for (key, value) in body {
        if schema.is_writable(&key) {
            kept.insert(key, value);
        } else if !schema.is_read_only(&key) {
            errors.add(key, "Unknown field.");
        }
    }
    kept
}

/// Decodes a whole body into `T`: keys are checked with [`writable_keys`], values against
/// their fields' declared constraints ([`check_body`]), then the writable part is decoded as
/// [`decode`] does; every problem found is returned together, one field's at most once.
pub(crate) fn decode_body<T: DeserializeOwned>(
    schema: &Schema,
    body: Value,
) -> Result<T, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let mut fields = writable_keys(schema, object(body)?, &mut errors);
    normalize_integers(schema, &mut fields);
    check_body(schema, &fields, &mut errors);
    decode_reporting(schema, fields, errors)
}

/// The writable keys of a JSON merge patch for a kind whose input is `T`, checked as far as
/// a patch can be on its own: every value against its field's declared constraints and type
/// (each key decoded alone), and no `null` for a required field (which would remove it). What
/// passes has the shape the document gives a patch, whatever record it is applied to.
pub(crate) fn checked_patch<T: DeserializeOwned>(
    schema: &Schema,
    patch: Map<String, Value>,
) -> Result<Map<String, Value>, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let mut patch = writable_keys(schema, patch, &mut errors);
    normalize_integers(schema, &mut patch);
    check_body(schema, &patch, &mut errors);
    let (nulls, values): (Map<String, Value>, Map<String, Value>) = patch
        .iter()
        .map(|(key, value)| (key.clone(), value.clone()))
        .partition(|(_, value)| value.is_null());
    for name in nulls.keys() {
        if schema.required_fields().any(|required| required == name) {
            errors.add(name.clone(), NOT_NULL);
        }
    }
    for (field, messages) in value_errors::<T>(schema, &Value::Object(values)).iter() {
        if !errors.contains(field) {
            for message in messages {
                errors.add(field, message.clone());
            }
        }
    }
    if errors.is_empty() {
        Ok(patch)
    } else {
        Err(errors)
    }
}

/// Checks a typed input (from a caller of the Rust API rather than a JSON body) against the
/// same declarations, through its JSON form.
pub(crate) fn check_input<T: Serialize>(schema: &Schema, input: &T) -> Result<(), Error> {
    let value = serde_json::to_value(input)
        .map_err(|error| Error::internal("an input does not serialize", error))?;
    let mut errors = ValidationErrors::new();
    if let Value::Object(fields) = &value {
        check_body(schema, fields, &mut errors);
    }
    errors.into_result()
}

/// Decodes `fields` into `T`. Every required field ([`Schema::required`]) left out is "This
/// field is required." under its name, and every field whose value has the wrong type or form
/// is named with its problem (`year_of_study: invalid type: string "x", expected i32`): all of
/// them, not only the first one serde meets.
///
/// Serde stops at a body's first problem, and fields of `#[serde(flatten)]` blocks fail without
/// a path. Decoding each key alone answers both: a one-key body fails on that key's value or
/// not at all (a missing field aside). The shared person block, which the people kinds' inputs
/// flatten, is decoded after their own fields, so its keys are probed as a [`Person`]. That is
/// one small decode per key, on the error path only.
pub(crate) fn decode<T: DeserializeOwned>(
    schema: &Schema,
    fields: Map<String, Value>,
) -> Result<T, ValidationErrors> {
    decode_reporting(schema, fields, ValidationErrors::new())
}

/// [`decode`], adding to `errors` (problems already found with the body's keys and values):
/// a field already named there is not named again.
fn decode_reporting<T: DeserializeOwned>(
    schema: &Schema,
    fields: Map<String, Value>,
    mut errors: ValidationErrors,
) -> Result<T, ValidationErrors> {
    for name in schema.required_fields() {
        if !fields.contains_key(name) {
            errors.add(name, REQUIRED);
        }
    }
    let fields = Value::Object(fields);
    let error = match attempt::<T>(&fields) {
        Ok(value) if errors.is_empty() => return Ok(value),
        Ok(_) => return Err(errors),
        Err(error) => error,
    };
    for (field, messages) in value_errors::<T>(schema, &fields).iter() {
        if !errors.contains(field) {
            for message in messages {
                errors.add(field, message.clone());
            }
        }
    }
    match error {
        Problem::Missing(field) if !errors.contains(&field) => errors.add(field, REQUIRED),
        Problem::At(path, message) if !errors.contains(&path) => errors.add(path, message),
        // A problem no single key shows (keys that only clash together): find its key.
        Problem::Unplaced(message) if errors.is_empty() => {
            let field = locate::<T>(&fields, &message);
            errors.add(
                field.unwrap_or_else(|| NON_FIELD_ERRORS.to_owned()),
                message,
            );
        }
        _ => {}
    }
    Err(errors)
}

/// Every key of `fields` whose value alone fails to decode into `T` (into a [`Person`] for the
/// person block's keys), with its problem.
fn value_errors<T: DeserializeOwned>(schema: &Schema, fields: &Value) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    let Some(fields) = fields.as_object() else {
        return errors;
    };
    let has_person = schema.writable.contains(&PERSON_FIELDS);
    for (key, value) in fields {
        let alone = Value::Object(Map::from_iter([(key.clone(), value.clone())]));
        let outcome = if has_person && PERSON_FIELDS.contains(&key.as_str()) {
            attempt::<Person>(&alone).map(drop)
        } else {
            attempt::<T>(&alone).map(drop)
        };
        match outcome {
            Err(Problem::At(path, message)) => errors.add(path, message),
            Err(Problem::Unplaced(message)) => errors.add(key.clone(), message),
            Ok(_) | Err(Problem::Missing(_)) => {}
        }
    }
    errors
}

/// Applies a JSON merge patch (RFC 7396) to `target`: objects merge key by key, `null`
/// deletes a key, anything else replaces the value.
pub(crate) fn merge_patch(target: &mut Value, patch: Value) {
    let Value::Object(patch) = patch else {
        *target = patch;
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(&key);
            } else {
                merge_patch(target.entry(key).or_insert(Value::Null), value);
            }
        }
    }
}

/// One decoding failure, classified.
enum Problem {
    /// A required field is missing.
    Missing(String),
    /// A problem at a known path.
    At(String, String),
    /// A problem whose path was lost (inside a flattened block).
    Unplaced(String),
}

fn attempt<T: DeserializeOwned>(fields: &Value) -> Result<T, Problem> {
    serde_path_to_error::deserialize(fields).map_err(|error| {
        let path = error.path().to_string();
        let message = error.inner().to_string();
        if let Some(field) = missing_field(&message) {
            let field = if path == "." {
                field.to_owned()
            } else {
                format!("{path}.{field}")
            };
            Problem::Missing(field)
        } else if path == "." {
            Problem::Unplaced(message)
        } else {
            Problem::At(path, message)
        }
    })
}

/// The field named by serde's "missing field `x`" message.
fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
}

/// The key behind `message`, a decoding problem whose path was lost.
///
/// Removing the culprit makes the problem go away (the decode succeeds, reports another
/// problem, or reports the culprit itself missing); removing an innocent key leaves it, except
/// that removing a required field outside the flattened block reports that field missing
/// first. The two "missing" cases are told apart by giving the key an object: a field outside
/// the flattened block then fails with its path known.
fn locate<T: DeserializeOwned>(fields: &Value, message: &str) -> Option<String> {
    let fields = fields.as_object()?;
    let probe = |key: &String, value: Option<Value>| {
        let mut probe = fields.clone();
        match value {
            Some(value) => probe.insert(key.clone(), value),
            None => probe.remove(key),
        };
        attempt::<T>(&Value::Object(probe))
    };
    fields.keys().find_map(|key| {
        let culprit = match probe(key, None) {
            Ok(_) => true,
            Err(Problem::Missing(field)) if &field == key => {
                let object = Value::Object(Map::from_iter([("?".to_owned(), Value::Null)]));
                !matches!(
                    probe(key, Some(object)),
                    Err(Problem::At(..) | Problem::Missing(_))
                )
            }
            Err(Problem::Missing(_)) => false,
            Err(Problem::At(_, other) | Problem::Unplaced(other)) => other != message,
        };
        culprit.then(|| key.clone())
    })
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::entities::StudentInput;
    use crate::entity::Entity;
    use crate::Student;

    fn student_body() -> Value {
        json!({
            "first_name": "Asha", "last_name": "Rao", "date_of_birth": "2004-05-06",
            "gender": "F", "roll_number": "R1", "program": "B.Tech",
            "admission_date": "2022-08-01"
        })
    }

    fn decode_student(body: Value) -> Result<StudentInput, ValidationErrors> {
        decode_body(Student::schema(), body)
    }

    /// `minimal` carries exactly the fields `E`'s schema says are required: it decodes, and
    /// without any one of them the error names that field as required. This keeps
    /// [`Schema::required`] (and so the OpenAPI document) in step with the input types.
    fn assert_required_fields_are_exactly<E: Entity>(minimal: Value) {
        let schema = E::schema();
        let sent: Vec<String> = minimal
            .as_object()
            .map(|fields| fields.keys().cloned().collect())
            .unwrap_or_default();
        let mut required: Vec<&str> = schema.required_fields().collect();
        let mut keys: Vec<&str> = sent.iter().map(String::as_str).collect();
        required.sort_unstable();
        keys.sort_unstable();
        assert_eq!(
            keys, required,
            "{}: the fixture sends the required fields",
            schema.kind
        );

        let decoded = decode_body::<E::Create>(schema, minimal.clone());
        assert!(decoded.is_ok(), "{}: {:?}", schema.kind, decoded.err());
        for field in required {
            let mut body = minimal.clone();
            if let Some(fields) = body.as_object_mut() {
                fields.remove(field);
            }
            let errors = decode_body::<E::Create>(schema, body)
                .err()
                .unwrap_or_else(|| panic!("{}: {field} is required", schema.kind));
            assert_eq!(
                errors.get(field),
                Some(&[REQUIRED.to_owned()][..]),
                "{}: {errors:?}",
                schema.kind
            );
        }
    }

    #[test]
    fn every_kind_requires_exactly_the_fields_its_schema_lists() {
        assert_required_fields_are_exactly::<Student>(student_body());
        assert_required_fields_are_exactly::<crate::Faculty>(json!({
            "first_name": "Ravi", "last_name": "Iyer", "date_of_birth": "1980-01-02",
            "gender": "M", "employee_id": "E1", "designation": "PROFESSOR",
            "qualification": "PhD", "date_of_joining": "2010-07-01"
        }));
        assert_required_fields_are_exactly::<crate::Department>(
            json!({"code": "CSE", "name": "Computer Science"}),
        );
        assert_required_fields_are_exactly::<crate::CustomFieldDef>(
            json!({"entity": "student", "name": "hostel", "field_type": "boolean"}),
        );
    }

    #[test]
    fn decodes_a_valid_body() {
        let input = decode_student(student_body()).expect("valid");
        assert_eq!(input.roll_number, "R1");
        assert_eq!(input.year_of_study, 1);
    }

    #[test]
    fn a_type_error_names_the_field() {
        let mut body = student_body();
        body["year_of_study"] = json!("x");
        let errors = decode_student(body).expect_err("type error");
        assert_eq!(
            errors.get("year_of_study"),
            Some(&[r#"invalid type: string "x", expected i32"#.to_owned()][..])
        );
    }

    #[test]
    fn a_type_error_inside_the_flattened_person_names_the_field() {
        let cases = [
            ("first_name", json!(7)),
            ("last_name", json!(false)),
            ("middle_name", json!(["x"])),
            ("date_of_birth", json!("2004-13-40")),
            ("gender", json!("X")),
            ("email", json!(5)),
            ("country", json!({"a": 1})),
        ];
        for (field, value) in cases {
            let mut body = student_body();
            body[field] = value;
            let errors = decode_student(body).expect_err(field);
            assert!(errors.contains(field), "{field}: {errors}");
            assert_eq!(errors.iter().count(), 1, "{field}: {errors}");
        }
    }

    #[test]
    fn a_missing_field_is_required() {
        for field in ["roll_number", "first_name"] {
            let mut body = student_body();
            body.as_object_mut().map(|map| map.remove(field));
            let errors = decode_student(body).expect_err("missing");
            assert_eq!(
                errors.get(field),
                Some(&[REQUIRED.to_owned()][..]),
                "{field}"
            );
        }
    }

    #[test]
    fn every_missing_field_and_a_type_error_are_reported_together() {
        let mut body = student_body();
        if let Some(map) = body.as_object_mut() {
            map.remove("roll_number");
            map.remove("first_name");
            map.insert("year_of_study".into(), json!("second"));
        }
        let errors = decode_student(body).expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|(field, _)| field).collect();
        assert_eq!(fields, ["first_name", "roll_number", "year_of_study"]);
        assert_eq!(errors.get("roll_number"), Some(&[REQUIRED.to_owned()][..]));
    }

    #[test]
    fn every_wrong_value_is_reported_in_and_out_of_the_person_block() {
        let mut body = student_body();
        if let Some(map) = body.as_object_mut() {
            map.insert("gender".into(), json!("X")); // person block (flattened)
            map.insert("city".into(), json!(7)); // person block, optional
            map.insert("year_of_study".into(), json!("second"));
            map.insert("admission_date".into(), json!("yesterday"));
            map.insert("custom_fields".into(), json!(null));
        }
        let errors = decode_student(body).expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|(field, _)| field).collect();
        assert_eq!(
            fields,
            [
                "admission_date",
                "city",
                "custom_fields",
                "gender",
                "year_of_study"
            ],
            "{errors}"
        );
        for (_, messages) in errors.iter() {
            assert_eq!(messages.len(), 1, "one message each: {errors}");
        }
    }

    #[test]
    fn unknown_keys_are_errors_and_read_only_keys_are_ignored() {
        let mut body = student_body();
        body["id"] = json!("not even a uuid");
        body["created_by"] = json!("someone");
        body["department"] = json!({"code": "X"});
        assert!(decode_student(body.clone()).is_ok());
        body["shoe_size"] = json!(44);
        let errors = decode_student(body).expect_err("unknown");
        assert_eq!(
            errors.get("shoe_size"),
            Some(&["Unknown field.".to_owned()][..])
        );
    }

    #[test]
    fn unknown_keys_and_type_errors_are_reported_together() {
        let mut body = student_body();
        body["semester"] = json!(true);
        body["nickname"] = json!("A");
        let errors = decode_student(body).expect_err("two problems");
        assert!(
            errors.contains("semester") && errors.contains("nickname"),
            "{errors}"
        );
    }

    #[test]
    fn a_body_that_is_not_an_object_is_a_non_field_error() {
        for body in [json!([1]), json!("x"), json!(null), json!(3)] {
            let errors = decode_student(body).expect_err("not an object");
            assert!(errors.contains(NON_FIELD_ERRORS));
        }
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut target = json!({"a": "b", "c": {"d": "e", "f": "g"}, "k": [1]});
        merge_patch(
            &mut target,
            json!({"a": "z", "c": {"f": null, "h": 1}, "k": null, "n": {"o": null}}),
        );
        assert_eq!(target, json!({"a": "z", "c": {"d": "e", "h": 1}, "n": {}}));
        let mut scalar = json!("x");
        merge_patch(&mut scalar, json!({"a": 1}));
        assert_eq!(scalar, json!({"a": 1}));
        let mut replaced = json!({"a": 1});
        merge_patch(&mut replaced, json!([1, 2]));
        assert_eq!(replaced, json!([1, 2]));
    }

    #[test]
    fn a_student_round_trips_through_its_input() {
        let input = decode_student(student_body()).expect("valid");
        let student = Student::from_input(input, crate::RecordMeta::new(), "tester");
        let again: StudentInput = decode(
            Student::schema(),
            match serde_json::to_value(student.to_input()) {
                Ok(Value::Object(map)) => map,
                other => panic!("not an object: {other:?}"),
            },
        )
        .expect("round trip");
        assert_eq!(again, student.to_input());
    }
}
