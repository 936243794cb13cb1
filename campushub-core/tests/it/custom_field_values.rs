//! Custom-field values against their definitions: every type valid and invalid, bounds,
//! patterns, choices, required and default handling, unknown names, inactive definitions;
//! and definitions' own validation.

use crate::support::only;
use campushub_core::custom_fields::{apply_custom_fields, validate_definition};
use campushub_core::schema::check::check_body;
use campushub_core::{CustomFieldDef, CustomFieldInput, Entity, RecordMeta, ValidationErrors};
use serde_json::{json, Map, Value};

/// A definition from a JSON body (fields as a client sends them).
fn def(body: Value) -> CustomFieldDef {
    let mut body = body;
    body["entity"] = json!("student");
    let input: CustomFieldInput = serde_json::from_value(body).expect("definition input");
    CustomFieldDef::from_input(input, RecordMeta::new(), "tester")
}

/// The errors of one value against one definition.
fn check(definition: &CustomFieldDef, value: Value) -> ValidationErrors {
    let mut values = Map::new();
    values.insert(definition.name.clone(), value);
    let mut errors = ValidationErrors::new();
    apply_custom_fields(&mut values, std::slice::from_ref(definition), &mut errors);
    errors
}

fn assert_valid(definition: &CustomFieldDef, values: &[Value]) {
    for value in values {
        let errors = check(definition, value.clone());
        assert!(
            errors.is_empty(),
            "{} {value}: {errors}",
            definition.field_type
        );
    }
}

fn assert_invalid(definition: &CustomFieldDef, values: &[Value]) {
    let field = format!("custom_fields.{}", definition.name);
    for value in values {
        let errors = check(definition, value.clone());
        assert!(
            errors.contains(&field),
            "{} {value} passed",
            definition.field_type
        );
    }
}

#[test]
fn text() {
    let text = def(json!({"name": "nick", "field_type": "text"}));
    assert_valid(&text, &[json!("x"), json!("")]);
    assert_invalid(
        &text,
        &[json!(1), json!(true), json!(["a"]), json!({"a": 1})],
    );
}

#[test]
fn textarea_with_length_bounds_and_a_pattern() {
    let bio = def(json!({
        "name": "bio", "field_type": "textarea", "min_value": 2, "max_value": 5,
        "validation_regex": "^[a-zé ]+$"
    }));
    assert_valid(&bio, &[json!("ab"), json!("ab cd"), json!("ééé")]);
    assert_invalid(&bio, &[json!("a"), json!("abcdef"), json!("AB"), json!(12)]);
}

#[test]
fn number_with_a_range() {
    let gpa = def(json!({"name": "gpa", "field_type": "number", "min_value": 0, "max_value": 10}));
    assert_valid(&gpa, &[json!(0), json!(7.5), json!(10)]);
    assert_invalid(
        &gpa,
        &[json!(-0.1), json!(10.01), json!("7"), json!(null_like())],
    );
}

fn null_like() -> Value {
    json!([])
}

#[test]
fn date() {
    let joined = def(json!({"name": "joined", "field_type": "date"}));
    assert_valid(&joined, &[json!("2024-02-29")]);
    assert_invalid(
        &joined,
        &[
            json!("2023-02-29"),
            json!("29/02/2024"),
            json!(20240229),
            json!("2024-2-9x"),
        ],
    );
}

#[test]
fn email() {
    let email = def(json!({"name": "alt_email", "field_type": "email"}));
    assert_valid(&email, &[json!("a@b.co")]);
    assert_invalid(&email, &[json!("a@b"), json!("ab.co"), json!(5)]);
}

#[test]
fn phone() {
    let phone = def(json!({"name": "guardian_phone", "field_type": "phone"}));
    assert_valid(&phone, &[json!("+919876543210"), json!("987654321")]);
    assert_invalid(
        &phone,
        &[json!("12345"), json!("98765-43210"), json!(9876543210_u64)],
    );
}

#[test]
fn url() {
    let url = def(json!({"name": "homepage", "field_type": "url"}));
    assert_valid(
        &url,
        &[json!("https://uni.example/x?y#z"), json!("http://a")],
    );
    assert_invalid(
        &url,
        &[
            json!("ftp://a"),
            json!("https://"),
            json!("http://a b"),
            json!(1),
        ],
    );
}

#[test]
fn boolean() {
    let flag = def(json!({"name": "hostel", "field_type": "boolean"}));
    assert_valid(&flag, &[json!(true), json!(false)]);
    assert_invalid(&flag, &[json!("true"), json!(1)]);
}

#[test]
fn select() {
    let blood = def(json!({"name": "blood", "field_type": "select", "choices": ["A", "B", "O"]}));
    assert_valid(&blood, &[json!("A"), json!("O")]);
    assert_invalid(&blood, &[json!("AB"), json!("a"), json!(["A"]), json!(1)]);
}

#[test]
fn multiselect_including_duplicates() {
    let sports = def(json!({
        "name": "sports", "field_type": "multiselect", "choices": ["chess", "cricket", "go"]
    }));
    assert_valid(
        &sports,
        &[json!([]), json!(["chess"]), json!(["go", "chess"])],
    );
    assert_invalid(
        &sports,
        &[
            json!(["chess", "chess"]),
            json!(["polo"]),
            json!("chess"),
            json!([1]),
        ],
    );
}

#[test]
fn required_default_unknown_and_inactive() {
    let required = def(json!({"name": "house", "field_type": "text", "required": true}));
    let defaulted = def(json!({
        "name": "shift", "field_type": "select", "choices": ["DAY", "EVENING"],
        "default_value": "DAY"
    }));
    let inactive = def(json!({
        "name": "legacy", "field_type": "number", "required": true, "is_active": false
    }));
    let definitions = [required, defaulted, inactive];

    let mut values = Map::new();
    let mut errors = ValidationErrors::new();
    apply_custom_fields(&mut values, &definitions, &mut errors);
    assert_eq!(
        only(&errors, "custom_fields.house"),
        "This field is required."
    );
    assert!(
        !errors.contains("custom_fields.legacy"),
        "inactive is not enforced"
    );
    assert_eq!(
        values.get("shift"),
        Some(&json!("DAY")),
        "default filled in"
    );

    let mut values = Map::new();
    values.insert("house".into(), json!("Red"));
    values.insert("shift".into(), Value::Null);
    values.insert("legacy".into(), json!("not a number, kept as is"));
    values.insert("mystery".into(), json!(1));
    let mut errors = ValidationErrors::new();
    apply_custom_fields(&mut values, &definitions, &mut errors);
    assert_eq!(
        only(&errors, "custom_fields.mystery"),
        "Unknown custom field."
    );
    assert_eq!(errors.iter().count(), 1, "{errors}");
    assert_eq!(
        values.get("shift"),
        Some(&json!("DAY")),
        "null counts as missing"
    );
    assert_eq!(
        values.get("legacy"),
        Some(&json!("not a number, kept as is"))
    );
}

/// The problems of a definition sent as `body`: its values against the schema's declarations
/// (the name's form, distinct non-blank choices), then the rules that relate its fields.
fn definition_errors(body: Value) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    if let Value::Object(fields) = &body {
        check_body(CustomFieldDef::schema(), fields, &mut errors);
    }
    validate_definition(&def(body), &mut errors);
    errors
}

#[test]
fn definitions_are_validated() {
    let ok = definition_errors(json!({"name": "ok_name", "field_type": "text"}));
    assert!(ok.is_empty(), "{ok}");
    let cases = [
        (json!({"name": "s", "field_type": "select"}), "choices"),
        (
            json!({"name": "m", "field_type": "multiselect", "choices": []}),
            "choices",
        ),
        (
            json!({"name": "s", "field_type": "select", "choices": ["a", "a"]}),
            "choices",
        ),
        (
            json!({"name": "s", "field_type": "select", "choices": ["a", " "]}),
            "choices",
        ),
        (
            json!({"name": "t", "field_type": "text", "choices": ["a"]}),
            "choices",
        ),
        (
            json!({"name": "t", "field_type": "text", "validation_regex": "(unclosed"}),
            "validation_regex",
        ),
        (
            json!({"name": "t", "field_type": "text", "validation_regex": "a{99999}{99999}"}),
            "validation_regex",
        ),
        (
            json!({"name": "b", "field_type": "boolean", "validation_regex": "x"}),
            "validation_regex",
        ),
        (
            json!({"name": "n", "field_type": "number", "min_value": 5, "max_value": 1}),
            "min_value",
        ),
        (
            json!({"name": "t", "field_type": "text", "min_value": 1.5}),
            "min_value",
        ),
        (
            json!({"name": "d", "field_type": "date", "max_value": 3}),
            "max_value",
        ),
        (json!({"name": "Bad Name", "field_type": "text"}), "name"),
        (json!({"name": "1st", "field_type": "text"}), "name"),
        (
            json!({"name": "n", "field_type": "number", "default_value": "ten"}),
            "default_value",
        ),
        (
            json!({"name": "s", "field_type": "select", "choices": ["a"], "default_value": "b"}),
            "default_value",
        ),
        (
            json!({"name": "n", "field_type": "number", "max_value": 3, "default_value": 4}),
            "default_value",
        ),
    ];
    for (body, field) in cases {
        let errors = definition_errors(body.clone());
        assert!(
            errors.contains(field),
            "{body}: expected an error on {field}, got {errors}"
        );
    }
}
