//! Custom fields through the services: values checked against every definition of the kind on
//! every write, definitions validated (and limited to known kinds) by the definitions service.
#![cfg(feature = "memory")]

use std::sync::Arc;

use campushub_core::memory::MemoryStore;
use campushub_core::service::KnownKinds;
use campushub_core::{CustomFieldDef, EntityKind, EntityService, Error, Student};
use serde_json::{json, Map, Value};

use crate::support::service::{
    admin, definition_body, department_body, student_body, with, Campus,
};
use crate::support::{field_errors, only, rule_errors};

#[tokio::test]
async fn values_are_checked_against_the_kinds_definitions_on_create_and_update() {
    let campus = Campus::new();
    campus
        .define(
            json!({"entity": "student", "name": "gpa", "field_type": "number",
                       "min_value": 0, "max_value": 10, "required": true}),
        )
        .await;
    campus
        .define(
            json!({"entity": "student", "name": "shift", "field_type": "select",
                       "choices": ["DAY", "EVENING"], "default_value": "DAY"}),
        )
        .await;
    // A department definition with the same name does not apply to students.
    campus
        .define(json!({"entity": "department", "name": "wing", "field_type": "text"}))
        .await;

    let missing = rule_errors(
        campus
            .students
            .create_json(&admin(), student_body("R1"))
            .await,
    );
    assert!(missing.contains("custom_fields.gpa"), "{missing}");

    let body = with(
        student_body("R1"),
        "custom_fields",
        json!({"gpa": 11, "wing": "A"}),
    );
    let errors = rule_errors(campus.students.create_json(&admin(), body).await);
    assert!(errors.contains("custom_fields.gpa") && errors.contains("custom_fields.wing"));

    let body = with(student_body("R1"), "custom_fields", json!({"gpa": 8.5}));
    let saved = campus
        .students
        .create_json(&admin(), body)
        .await
        .expect("valid");
    assert_eq!(
        saved.record.custom_fields.get("shift"),
        Some(&json!("DAY")),
        "default"
    );

    let mut patch = Map::new();
    patch.insert("custom_fields".into(), json!({"shift": "NIGHT"}));
    let errors = rule_errors(
        campus
            .students
            .partial_update(&admin(), saved.record.meta.id, patch, None)
            .await,
    );
    assert!(errors.contains("custom_fields.shift"));
}

#[tokio::test]
async fn a_new_definition_applies_to_the_next_write() {
    let campus = Campus::new();
    let student = campus.student("R1").await;
    campus
        .define(
            json!({"entity": "student", "name": "house", "field_type": "text", "required": true}),
        )
        .await;
    let errors = rule_errors(
        campus
            .students
            .partial_update(&admin(), student.meta.id, Map::new(), None)
            .await,
    );
    assert!(errors.contains("custom_fields.house"));
}

#[tokio::test]
async fn inactive_definitions_are_not_enforced() {
    let campus = Campus::new();
    campus
        .define(
            json!({"entity": "student", "name": "legacy", "field_type": "number",
                       "required": true, "is_active": false}),
        )
        .await;
    let body = with(
        student_body("R1"),
        "custom_fields",
        json!({"legacy": "kept"}),
    );
    let saved = campus
        .students
        .create_json(&admin(), body)
        .await
        .expect("not enforced");
    assert_eq!(
        saved.record.custom_fields.get("legacy"),
        Some(&json!("kept"))
    );
}

#[tokio::test]
async fn without_a_definitions_repository_any_custom_field_is_unknown() {
    let store = MemoryStore::new();
    let students = EntityService::builder(Arc::new(store.repository::<Student>())).build();
    students
        .create_json(&admin(), student_body("R1"))
        .await
        .expect("no custom fields is fine");
    let body = with(student_body("R2"), "custom_fields", json!({"x": 1}));
    let errors = rule_errors(students.create_json(&admin(), body).await);
    assert_eq!(only(&errors, "custom_fields.x"), "Unknown custom field.");
}

#[tokio::test]
async fn definitions_are_validated_by_the_definitions_service() {
    let campus = Campus::new();
    // Rules that relate a definition's fields: unprocessable.
    let cases: [(Value, &str); 5] = [
        (definition_body("student", "s", "select"), "choices"),
        (
            with(
                definition_body("student", "t", "text"),
                "choices",
                json!(["a"]),
            ),
            "choices",
        ),
        (
            with(
                definition_body("student", "t", "text"),
                "validation_regex",
                json!("(["),
            ),
            "validation_regex",
        ),
        (
            with(
                with(
                    definition_body("student", "n", "number"),
                    "min_value",
                    json!(3),
                ),
                "max_value",
                json!(1),
            ),
            "min_value",
        ),
        (
            with(
                definition_body("student", "b", "boolean"),
                "default_value",
                json!("yes"),
            ),
            "default_value",
        ),
    ];
    for (body, field) in cases {
        let errors = rule_errors(campus.definitions.create_json(&admin(), body.clone()).await);
        assert!(errors.contains(field), "{body}: {errors}");
    }
    // The declared shape: a name of the wrong form, a type that does not exist.
    let bad_name = field_errors(
        campus
            .definitions
            .create_json(&admin(), definition_body("student", "Bad-Name", "text"))
            .await,
    );
    assert!(bad_name.contains("name"), "{bad_name}");
    let bad_type = field_errors(
        campus
            .definitions
            .create_json(&admin(), definition_body("student", "x", "colour"))
            .await,
    );
    assert!(bad_type.contains("field_type"), "{bad_type}");
    assert!(campus.events.events().is_empty());
}

#[tokio::test]
async fn definitions_target_known_kinds_only() {
    let campus = Campus::new();
    for entity in ["department", "student", "faculty"] {
        campus.define(definition_body(entity, "note", "text")).await;
    }
    for entity in ["course", "custom_field", "analytics"] {
        let errors = rule_errors(
            campus
                .definitions
                .create_json(&admin(), definition_body(entity, "note", "text"))
                .await,
        );
        assert!(errors.contains("entity"), "{entity}: {errors}");
    }
    // Applications register their own kinds.
    let store = MemoryStore::new();
    let definitions = EntityService::builder(Arc::new(store.repository::<CustomFieldDef>()))
        .rules(Arc::new(
            KnownKinds::default().with(EntityKind::new("course")),
        ))
        .build();
    definitions
        .create_json(&admin(), definition_body("course", "credits_note", "text"))
        .await
        .expect("course is registered");
    // Changing a definition to an unknown kind is refused too.
    let def = campus
        .define(definition_body("student", "other", "text"))
        .await;
    let mut patch = Map::new();
    patch.insert("entity".into(), json!("course"));
    let errors = rule_errors(
        campus
            .definitions
            .partial_update(&admin(), def.meta.id, patch, None)
            .await,
    );
    assert!(errors.contains("entity"));
}

#[tokio::test]
async fn names_are_unique_per_kind() {
    let campus = Campus::new();
    campus
        .define(definition_body("student", "note", "text"))
        .await;
    campus
        .define(definition_body("faculty", "note", "text"))
        .await;
    let again = campus
        .definitions
        .create_json(&admin(), definition_body("student", "note", "text"))
        .await;
    assert!(matches!(again, Err(Error::Conflict { .. })), "{again:?}");
}

#[tokio::test]
async fn departments_carry_custom_fields_too() {
    let campus = Campus::new();
    campus
        .define(json!({"entity": "department", "name": "floor", "field_type": "number"}))
        .await;
    let body = with(
        department_body("CSE"),
        "custom_fields",
        json!({"floor": "third"}),
    );
    let errors = rule_errors(campus.departments.create_json(&admin(), body).await);
    assert!(errors.contains("custom_fields.floor"));
    let body = with(department_body("CSE"), "custom_fields", json!({"floor": 3}));
    campus
        .departments
        .create_json(&admin(), body)
        .await
        .expect("valid");
}
