//! What a client generated from the document is made of: a stable `operationId` on every
//! operation, named schemas for the bodies clients hold (records, inputs, one PATCH body for
//! both media types, pages, statistics typed per kind, bulk reports, problems and field
//! errors) and for the values of choice fields, referenced from records, bodies and filters;
//! and the answers of the server are of those schemas.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use campushub_core::Role;
use serde_json::{json, Value};

use crate::openapi::{document, resolved};
use crate::support::{department, faculty, id_of, student, App};

/// Every operation of `document` as `(path, method, operation)`.
fn operations(document: &Value) -> Vec<(String, String, &Value)> {
    let mut found = Vec::new();
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            found.push((path.clone(), method.clone(), operation));
        }
    }
    found
}

fn operation_id<'a>(document: &'a Value, path: &str, method: &str) -> &'a str {
    document["paths"][path][method]["operationId"]
        .as_str()
        .unwrap_or_else(|| panic!("{method} {path} has no operationId"))
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

#[tokio::test]
async fn every_operation_has_a_unique_readable_id() {
    let document = document(&App::new()).await;
    let mut seen = BTreeSet::new();
    for (path, method, operation) in operations(&document) {
        let id = operation["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        assert!(
            id.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "{method} {path}: {id}"
        );
        assert!(seen.insert(id.to_owned()), "{id} is used twice");
    }
    for (route, id) in [
        ("get /api/v1/students", "students_list"),
        ("post /api/v1/students", "students_create"),
        ("get /api/v1/students/{id}", "students_retrieve"),
        ("put /api/v1/students/{id}", "students_update"),
        ("patch /api/v1/students/{id}", "students_partial_update"),
        ("delete /api/v1/students/{id}", "students_destroy"),
        ("get /api/v1/students/stats", "students_stats"),
        ("post /api/v1/students/bulk-create", "students_bulk_create"),
        ("post /api/v1/faculty/bulk-update", "faculty_bulk_update"),
        ("post /api/v1/faculty/bulk-delete", "faculty_bulk_delete"),
        ("get /api/v1/custom-fields", "custom_fields_list"),
        ("get /api/v1/departments/stats", "departments_stats"),
        ("get /api/v1/analytics/summary", "analytics_summary"),
        ("get /api/v1/analytics/departments", "analytics_departments"),
        ("get /api/v1/openapi.json", "openapi_retrieve"),
        ("get /healthz", "health_liveness"),
        ("get /readyz", "health_readiness"),
        ("get /metrics", "metrics_retrieve"),
    ] {
        let (method, path) = route.split_once(' ').unwrap_or_default();
        assert_eq!(operation_id(&document, path, method), id, "{route}");
    }
}

#[tokio::test]
async fn bodies_pages_and_reports_are_named_schemas() {
    let document = document(&App::new()).await;
    let paths = &document["paths"];
    let json_of = |operation: &Value, status: &str| {
        operation["responses"][status]["content"]["application/json"]["schema"].clone()
    };
    let item = &paths["/api/v1/students/{id}"];
    assert_eq!(json_of(&item["get"], "200"), reference("Student"));
    assert_eq!(
        json_of(&paths["/api/v1/students"]["get"], "200"),
        reference("StudentPage")
    );
    assert_eq!(
        paths["/api/v1/students"]["post"]["requestBody"]["content"]["application/json"]["schema"],
        reference("StudentInput")
    );
    // One PATCH body, whichever media type carries it.
    let patch = &item["patch"]["requestBody"]["content"];
    for media in ["application/json", "application/merge-patch+json"] {
        assert_eq!(patch[media]["schema"], reference("StudentPatch"), "{media}");
    }
    for (route, report) in [
        ("bulk-create", "BulkCreateReport"),
        ("bulk-update", "BulkUpdateReport"),
        ("bulk-delete", "BulkDeleteReport"),
    ] {
        let operation = &paths[format!("/api/v1/faculty/{route}")]["post"];
        assert_eq!(json_of(operation, "200"), reference(report), "{route}");
    }
    let schemas = &document["components"]["schemas"];
    assert_eq!(
        schemas["BulkCreateReport"]["properties"]["errors"]["items"],
        reference("BulkRowError")
    );
    for schema in ["BulkRowError", "Problem"] {
        let errors = &schemas[schema]["properties"]["errors"]["$ref"];
        assert_eq!(errors, "#/components/schemas/FieldErrors", "{schema}");
    }
    let problem = &item["get"]["responses"]["404"]["content"]["application/problem+json"];
    assert_eq!(problem["schema"], reference("Problem"));
    let page = &schemas["StudentPage"];
    assert_eq!(page["properties"]["results"]["items"], reference("Student"));
    assert_eq!(page["required"], json!(["next", "previous", "results"]));
}

#[tokio::test]
async fn choice_values_are_named_and_shared_by_records_bodies_and_filters() {
    let document = document(&App::new()).await;
    let schemas = &document["components"]["schemas"];
    assert_eq!(
        schemas["StudentStatus"]["enum"],
        json!(["ACTIVE", "INACTIVE", "GRADUATED", "SUSPENDED", "DROPPED"])
    );
    for kind in ["Student", "StudentInput"] {
        assert_eq!(
            schemas[kind]["properties"]["status"],
            reference("StudentStatus"),
            "{kind}"
        );
    }
    // Students and faculty share the one set of genders.
    for kind in ["Student", "Faculty", "FacultyInput"] {
        assert_eq!(
            schemas[kind]["properties"]["gender"],
            reference("Gender"),
            "{kind}"
        );
    }
    // In a merge patch a status may be `null` (back to the default).
    assert_eq!(
        schemas["StudentPatch"]["properties"]["status"]["oneOf"],
        json!([reference("StudentStatus"), {"type": "null"}])
    );
    let parameters = document["paths"]["/api/v1/students"]["get"]["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let schema_of = |name: &str| {
        parameters
            .iter()
            .find(|parameter| parameter["name"] == name)
            .map(|parameter| parameter["schema"].clone())
            .unwrap_or_else(|| panic!("no parameter {name}"))
    };
    assert_eq!(schema_of("status"), reference("StudentStatus"));
    assert_eq!(schema_of("gender__in")["items"], reference("Gender"));
    assert_eq!(schema_of("ordering")["items"], reference("StudentOrdering"));
    assert_eq!(
        schemas["DepartmentCategory"]["enum"],
        json!([
            "ACADEMIC",
            "ADMINISTRATIVE",
            "RESEARCH",
            "SERVICE",
            "SUPPORT"
        ])
    );
}

#[tokio::test]
async fn statistics_are_typed_per_kind_as_the_server_answers_them() {
    let app = App::new();
    let document = document(&app).await;
    let stats = &document["components"]["schemas"]["StudentStats"];
    let members: BTreeSet<&str> = stats["properties"]
        .as_object()
        .map(|properties| properties.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let expected = [
        "total",
        "suppressed_below",
        "by_status",
        "by_gender",
        "by_year_of_study",
        "by_department",
    ];
    assert_eq!(members, expected.into_iter().collect());
    let by_status = &stats["properties"]["by_status"];
    assert_eq!(by_status["additionalProperties"], false);
    assert_eq!(by_status["properties"]["GRADUATED"]["type"], "integer");
    assert_eq!(
        stats["properties"]["by_department"]["additionalProperties"]["type"],
        "integer"
    );

    let cse = id_of(&app.create("departments", department("CSE")).await);
    for roll in ["S-1", "S-2", "S-3"] {
        app.create("students", student(roll, Some(&cse))).await;
    }
    app.create("students", student("S-4", None)).await;
    app.create("faculty", faculty("E-1", Some(&cse))).await;
    for (path, schema) in [
        ("/api/v1/students/stats", "StudentStats"),
        ("/api/v1/faculty/stats", "FacultyStats"),
        ("/api/v1/departments/stats", "DepartmentStats"),
    ] {
        let body = app.get(path).await.json();
        let schema = &document["components"]["schemas"][schema];
        assert_conforms(&document, schema, &body, path);
    }
    // A caller who may count students but not list them sees small groups withheld, and
    // `suppressed_below`, as typed.
    let analyst = app
        .call(
            Method::GET,
            "/api/v1/students/stats",
            Some(&Role::ANALYST),
            None,
        )
        .await;
    assert_eq!(analyst.status, StatusCode::OK);
    let body = analyst.json();
    assert!(body["suppressed_below"].is_u64(), "{body}");
    assert_conforms(&document, stats, &body, "the analyst's statistics");
}

/// Fails unless `value` is of `schema` (of `document`), saying where it is not.
fn assert_conforms(document: &Value, schema: &Value, value: &Value, at: &str) {
    if let Err(error) = conforms(document, schema, value, at) {
        panic!("{error}\n{value}");
    }
}

/// Whether `value` is of `schema` (of `document`), in the part of JSON Schema the document
/// uses: references, types, enums, properties, required members, additional properties,
/// items, `oneOf` and minimums; the error says where it is not.
fn conforms(document: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolved(document, schema);
    if let Some(choices) = schema["oneOf"].as_array() {
        let matching = choices
            .iter()
            .filter(|choice| conforms(document, choice, value, at).is_ok())
            .count();
        return match matching {
            1 => Ok(()),
            _ => Err(format!(
                "{at}: {value} is not of exactly one of {choices:?}"
            )),
        };
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let type_of = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(number) if number.is_i64() || number.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let typed = types.is_empty()
        || types.contains(&type_of)
        || (type_of == "integer" && types.contains(&"number"));
    if !typed {
        return Err(format!("{at}: {value} is not of type {types:?}"));
    }
    if let Some(choices) = schema["enum"].as_array() {
        if !choices.contains(value) {
            return Err(format!("{at}: {value} is not one of {choices:?}"));
        }
    }
    if let (Some(minimum), Some(number)) = (schema["minimum"].as_f64(), value.as_f64()) {
        if number < minimum {
            return Err(format!("{at}: {value} is under {minimum}"));
        }
    }
    for (index, item) in value.as_array().into_iter().flatten().enumerate() {
        conforms(document, &schema["items"], item, &format!("{at}[{index}]"))?;
    }
    let Some(object) = value.as_object() else {
        return Ok(());
    };
    for name in schema["required"].as_array().into_iter().flatten() {
        let name = name.as_str().unwrap_or_default();
        if !object.contains_key(name) {
            return Err(format!("{at}: `{name}` is missing"));
        }
    }
    for (name, member) in object {
        let at = format!("{at}.{name}");
        match (&schema["properties"][name], &schema["additionalProperties"]) {
            (Value::Null, Value::Bool(false)) => {
                return Err(format!("{at}: not a declared member"));
            }
            (Value::Null, Value::Object(_)) => {
                conforms(document, &schema["additionalProperties"], member, &at)?;
            }
            (Value::Null, _) => {}
            (declared, _) => conforms(document, declared, member, &at)?,
        }
    }
    Ok(())
}
