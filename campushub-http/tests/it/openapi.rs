//! The OpenAPI document agrees with the server: every query parameter it lists is accepted
//! with a value its schema allows and refused with one it forbids, and the bodies and headers
//! it describes are the ones the handlers take.

use axum::http::{Method, StatusCode};
use campushub_core::Role;
use serde_json::{json, Value};

use crate::support::{student, App};

pub async fn document(app: &App) -> Value {
    let reply = app.get("/api/v1/openapi.json").await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.json()
}

/// `schema`, or the named schema of `document` it refers to (`{"$ref": ...}`).
pub fn resolved<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("a reference to a named schema: {reference}"));
            let named = &document["components"]["schemas"][name];
            assert!(named.is_object(), "no schema {name}");
            named
        }
        None => schema,
    }
}

fn parameters<'a>(document: &'a Value, path: &str, method: &str) -> Vec<&'a Value> {
    document["paths"][path][method]["parameters"]
        .as_array()
        .map(|list| list.iter().collect())
        .unwrap_or_default()
}

fn named<'a>(parameters: &[&'a Value], name: &str) -> &'a Value {
    parameters
        .iter()
        .find(|p| p["name"] == name)
        .copied()
        .unwrap_or_else(|| panic!("no parameter {name}"))
}

/// A value that `schema` (of `document`) allows, as it goes in a query string.
fn allowed(document: &Value, schema: &Value) -> String {
    let schema = resolved(document, schema);
    if let Some(first) = schema["enum"].as_array().and_then(|v| v.first()) {
        return first.as_str().unwrap_or_default().to_owned();
    }
    if schema["type"] == "array" {
        return allowed(document, &schema["items"]);
    }
    match (schema["type"].as_str(), schema["format"].as_str()) {
        (Some("integer"), _) => schema["minimum"].as_i64().unwrap_or(1).to_string(),
        (Some("boolean"), _) => "true".into(),
        (Some("string"), Some("date")) => "2001-02-03".into(),
        (Some("string"), Some("date-time")) => "2001-02-03T04:05:06Z".into(),
        (Some("string"), Some("uuid")) => "0191c6a2-0000-7000-8000-000000000001".into(),
        _ => "a".into(),
    }
}

#[tokio::test]
async fn every_documented_list_and_stats_parameter_is_accepted_with_an_allowed_value() {
    let app = App::new();
    let document = document(&app).await;
    for (path, method_path) in [
        ("/api/v1/students", "/api/v1/students"),
        ("/api/v1/faculty", "/api/v1/faculty"),
        ("/api/v1/departments", "/api/v1/departments"),
        ("/api/v1/custom-fields", "/api/v1/custom-fields"),
        ("/api/v1/students/stats", "/api/v1/students/stats"),
        ("/api/v1/faculty/stats", "/api/v1/faculty/stats"),
    ] {
        let listed = parameters(&document, path, "get");
        let queries: Vec<_> = listed.iter().filter(|p| p["in"] == "query").collect();
        assert!(queries.len() > 5, "{path} lists its filters");
        for parameter in queries {
            let name = parameter["name"].as_str().unwrap_or_default();
            if name == "cursor" {
                continue; // opaque: only values from a `next` link are valid
            }
            let value = allowed(&document, &parameter["schema"]);
            let uri = format!("{method_path}?{name}={value}");
            let reply = app.get(&uri).await;
            assert_eq!(reply.status, StatusCode::OK, "{uri}: {:?}", reply.json());
        }
    }
}

#[tokio::test]
async fn documented_constraints_are_the_ones_the_server_enforces() {
    let app = App::new();
    let document = document(&app).await;
    let listed = parameters(&document, "/api/v1/students", "get");

    let page_size = &named(&listed, "page_size")["schema"];
    assert_eq!(page_size["type"], "integer");
    let max = page_size["maximum"].as_u64().expect("a maximum");
    let at_max = app.get(&format!("/api/v1/students?page_size={max}")).await;
    assert_eq!(at_max.status, StatusCode::OK);
    let over = app
        .get(&format!("/api/v1/students?page_size={}", max + 1))
        .await;
    over.field_problem(StatusCode::BAD_REQUEST, "page_size");

    let year = &named(&listed, "year_of_study__gte")["schema"];
    assert_eq!(year["type"], "integer");
    let years = &named(&listed, "year_of_study__in")["schema"];
    assert_eq!(
        (years["type"].as_str(), years["items"]["type"].as_str()),
        (Some("array"), Some("integer"))
    );
    let listed_years = app.get("/api/v1/students?year_of_study__in=1,2").await;
    assert_eq!(listed_years.status, StatusCode::OK);
    let isnull = &named(&listed, "email__isnull")["schema"];
    assert_eq!(isnull["type"], "boolean");
    let status = resolved(&document, &named(&listed, "status")["schema"]);
    assert!(status["enum"]
        .as_array()
        .is_some_and(|v| v.contains(&Value::from("GRADUATED"))));

    // Text operands say they may not be empty, and the server agrees.
    let last_name = &named(&listed, "last_name__icontains")["schema"];
    assert_eq!(last_name["minLength"], 1);
    let empty = app.get("/api/v1/students?last_name__icontains=").await;
    empty.field_problem(StatusCode::BAD_REQUEST, "last_name__icontains");

    // Ordering lists exactly the orderable fields, both directions.
    let keys = resolved(&document, &named(&listed, "ordering")["schema"]["items"])["enum"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for key in ["roll_number", "-created_at", "year_of_study"] {
        assert!(keys.contains(&Value::from(key)), "ordering by {key}");
    }
    assert!(
        !keys.contains(&Value::from("email")),
        "email is not orderable"
    );
    let unordered = app.get("/api/v1/students?ordering=email").await;
    unordered.field_problem(StatusCode::BAD_REQUEST, "ordering");
}

#[tokio::test]
async fn headers_and_bodies_are_described_as_the_handlers_take_them() {
    let app = App::new();
    let document = document(&app).await;
    let item = "/api/v1/students/{id}";

    let token = &named(&parameters(&document, item, "get"), "Consistency-Token")["schema"];
    let pattern = regex::Regex::new(token["pattern"].as_str().expect("a pattern")).expect("regex");
    assert!(pattern.is_match("16/B374D848"));
    assert!(pattern.is_match("16B374D848"), "the position as one number");
    assert!(!pattern.is_match("+1/2"));
    for (token, status) in [
        ("16B374D848", StatusCode::OK),
        ("+1/2", StatusCode::BAD_REQUEST),
    ] {
        let reply = app
            .get_with("/api/v1/students", &[("consistency-token", token)])
            .await;
        assert_eq!(reply.status, status, "{token}");
    }
    let list_token = named(
        &parameters(&document, "/api/v1/students", "get"),
        "Consistency-Token",
    );
    assert_eq!(list_token["in"], "header");

    let if_match = &named(&parameters(&document, item, "patch"), "If-Match")["schema"];
    let pattern =
        regex::Regex::new(if_match["pattern"].as_str().expect("a pattern")).expect("regex");
    assert!(pattern.is_match("*"));
    assert!(pattern.is_match("\"0191c6a2-0000-7000-8000-000000000001-3\""));
    // Any entity tag is well formed (a tag that matches nothing is a 412, not a 400).
    assert!(pattern.is_match("W/\"x\""));
    assert!(pattern.is_match("\"stale\", W/\"a\",\"b\""));
    assert!(!pattern.is_match("stale"));
    assert!(!pattern.is_match("*, \"a\""));

    let patch = &document["paths"][item]["patch"]["requestBody"]["content"];
    assert!(patch["application/merge-patch+json"].is_object());
    let patch = resolved(&document, &patch["application/json"]["schema"]);
    assert!(patch["properties"]["year_of_study"].is_object());
    assert!(patch["required"].is_null(), "a patch requires nothing");

    let input = &document["components"]["schemas"]["StudentInput"];
    let required: Vec<&str> = input["required"]
        .as_array()
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for name in ["first_name", "gender", "roll_number", "admission_date"] {
        assert!(required.contains(&name), "{name} is required: {required:?}");
    }
    assert!(!required.contains(&"email"), "email is optional");
    let created = app
        .post(
            "/api/v1/students",
            serde_json::json!({"first_name": "Asha", "last_name": "Rao"}),
        )
        .await;
    // Every required field left out is named at once, not only the first.
    for name in [
        "date_of_birth",
        "gender",
        "roll_number",
        "program",
        "admission_date",
    ] {
        created.field_problem(StatusCode::BAD_REQUEST, name);
    }

    let update_row = &document["paths"]["/api/v1/students/bulk-update"]["post"]["requestBody"]
        ["content"]["application/json"]["schema"]["properties"]["updates"]["items"];
    assert!(update_row["required"]
        .as_array()
        .is_some_and(|r| r == &[Value::from("roll_number")]));
    assert!(update_row["properties"]["year_of_study"].is_object());
    assert_eq!(
        update_row["properties"]["version"]["readOnly"], true,
        "metadata may be sent back as read, and is ignored"
    );
    assert_eq!(update_row["additionalProperties"], false);
}

/// Bodies carry every constraint the server enforces, from the fields' one declaration: a
/// value the document forbids is refused whole (400), a value it allows is refused only for a
/// rule no schema states (422), and `null` is allowed exactly where the server takes it.
#[tokio::test]
async fn body_schemas_carry_the_constraints_the_server_enforces() {
    let app = App::new();
    let document = document(&app).await;
    let input = &document["components"]["schemas"]["StudentInput"];
    let properties = &input["properties"];
    assert_eq!(input["additionalProperties"], false);
    assert_eq!(properties["roll_number"]["maxLength"], 20);
    assert!(
        properties["roll_number"]["pattern"].is_string(),
        "not blank"
    );
    assert_eq!(properties["year_of_study"]["minimum"], 1);
    assert_eq!(properties["year_of_study"]["maximum"], 5);
    let custom_fields = &properties["custom_fields"];
    assert!(custom_fields["oneOf"].is_null(), "not null");
    assert_eq!(resolved(&document, custom_fields)["type"], "object");
    assert_eq!(properties["department_id"]["format"], "uuid");
    assert!(properties["department_id"]["pattern"].is_string());
    assert_eq!(properties["mobile"]["pattern"], "^\\+?[0-9]{9,15}$");
    let definition = &document["components"]["schemas"]["CustomFieldInput"]["properties"];
    for name in ["label", "help_text"] {
        assert_eq!(definition[name]["type"], "string", "{name} is not null");
    }
    assert_eq!(definition["choices"]["uniqueItems"], true);
    // In a merge patch, `null` resets a field that has a default, and no required one.
    let patch = &resolved(
        &document,
        &document["paths"]["/api/v1/students/{id}"]["patch"]["requestBody"]["content"]
            ["application/json"]["schema"],
    )["properties"];
    assert_eq!(patch["year_of_study"]["type"], json!(["integer", "null"]));
    assert_eq!(patch["roll_number"]["type"], "string");

    let mut body = student("R-1", None);
    for (field, value) in [
        ("custom_fields", Value::Null),
        ("department_id", json!("")),
        ("roll_number", json!("x".repeat(21))),
        ("year_of_study", json!(6)),
        ("mobile", json!("12-34")),
    ] {
        let mut bad = body.clone();
        bad[field] = value;
        let reply = app.post("/api/v1/students", bad).await;
        reply.field_problem(StatusCode::BAD_REQUEST, field);
    }
    body["department_id"] = json!(uuid::Uuid::now_v7());
    let reply = app.post("/api/v1/students", body).await;
    reply.field_problem(StatusCode::UNPROCESSABLE_ENTITY, "department_id");
    let listed = app.get("/api/v1/students").await.json();
    assert_eq!(listed["results"], json!([]), "nothing was written");
}

/// The served document lists the `cf.` filters of the definitions in force, typed as the
/// parser reads them, on the kind's list and statistics: a definition created after the
/// router was built appears, a deactivated one goes.
#[tokio::test]
async fn the_document_lists_the_custom_field_filters_in_force() {
    let app = App::new();
    let names = |document: &Value, path: &str| -> Vec<String> {
        parameters(document, path, "get")
            .iter()
            .filter_map(|p| p["name"].as_str())
            .filter(|name| name.starts_with("cf."))
            .map(str::to_owned)
            .collect()
    };
    assert!(names(&document(&app).await, "/api/v1/students").is_empty());

    let created = app
        .create(
            "custom-fields",
            json!({"entity": "student", "name": "house", "field_type": "select",
                   "choices": ["RED", "BLUE"]}),
        )
        .await;
    app.create(
        "custom-fields",
        json!({"entity": "faculty", "name": "credits", "field_type": "number"}),
    )
    .await;
    let served = document(&app).await;
    for path in ["/api/v1/students", "/api/v1/students/stats"] {
        assert_eq!(
            names(&served, path),
            [
                "cf.house",
                "cf.house__in",
                "cf.house__icontains",
                "cf.house__startswith",
                "cf.house__isnull"
            ],
            "{path}"
        );
    }
    let house = &named(&parameters(&served, "/api/v1/students", "get"), "cf.house")["schema"];
    assert_eq!(house["$ref"], "#/components/schemas/StudentCfHouse");
    assert_eq!(resolved(&served, house)["enum"], json!(["RED", "BLUE"]));
    let credits = named(
        &parameters(&served, "/api/v1/faculty", "get"),
        "cf.credits__gte",
    );
    assert_eq!(credits["schema"]["type"], "number");
    assert!(names(&served, "/api/v1/departments").is_empty());
    // Every listed filter is accepted with a value its schema allows.
    let reply = app
        .get("/api/v1/students?cf.house=RED&cf.house__in=RED,BLUE")
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());

    let id = created["id"].as_str().expect("an id").to_owned();
    let uri = format!("/api/v1/custom-fields/{id}");
    let patch = json!({"is_active": false});
    let reply = app
        .call(Method::PATCH, &uri, Some(&Role::ADMIN), Some(patch))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    let served = document(&app).await;
    assert!(
        names(&served, "/api/v1/students").is_empty(),
        "inactive: no filter"
    );
    assert!(
        served["components"]["schemas"]["StudentCfHouse"].is_null(),
        "nor its choices"
    );
    assert_eq!(names(&served, "/api/v1/faculty").len(), 7);
}

#[tokio::test]
async fn the_document_marks_personal_fields_and_says_who_sees_them() {
    let app = App::new();
    let served = document(&app).await;
    let schemas = &served["components"]["schemas"];
    for kind in ["Student", "Faculty"] {
        let record = &schemas[kind];
        let required: Vec<&str> = record["required"]
            .as_array()
            .expect("required fields")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for field in [
            "date_of_birth",
            "email",
            "mobile",
            "address_line1",
            "address_line2",
        ] {
            let property = &record["properties"][field];
            assert_eq!(property["x-campushub-personal"], true, "{kind}.{field}");
            let text = property["description"].as_str().unwrap_or_default();
            assert!(text.contains("omitted"), "{kind}.{field}: {text}");
            assert!(!required.contains(&field), "{kind}.{field} may be omitted");
        }
        for field in ["first_name", "last_name", "gender"] {
            assert!(record["properties"][field]["x-campushub-personal"].is_null());
            assert!(required.contains(&field), "{kind}.{field} stays required");
        }
    }
    let dob = named(
        &parameters(&served, "/api/v1/students", "get"),
        "date_of_birth__lt",
    );
    assert!(dob["description"]
        .as_str()
        .is_some_and(|text| text.contains("personal field")));
    let bearer = served["components"]["securitySchemes"]["bearer"]["description"]
        .as_str()
        .expect("the bearer scheme is described");
    for said in ["`student`", "student_id", "x-campushub-personal", "404"] {
        assert!(bearer.contains(said), "the roles description says {said}");
    }
}
