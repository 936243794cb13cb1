//! Statistics and analytics.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::{department, faculty, id_of, student, App};

async fn campus() -> (App, String) {
    let app = App::new();
    let cse = id_of(&app.create("departments", department("CSE")).await);
    app.create("departments", department("EEE")).await;
    let mut male = student("S-2", Some(&cse));
    male["gender"] = json!("M");
    app.create("students", student("S-1", Some(&cse))).await;
    app.create("students", male).await;
    let mut graduated = student("S-3", None);
    graduated["status"] = json!("GRADUATED");
    app.create("students", graduated).await;
    app.create("faculty", faculty("E-1", Some(&cse))).await;
    (app, cse)
}

#[tokio::test]
async fn student_statistics_group_by_status_gender_year_and_department() {
    let (app, cse) = campus().await;
    let reply = app.get("/api/v1/students/stats").await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(body["total"], 3);
    assert_eq!(body["by_status"]["ACTIVE"], 2);
    assert_eq!(body["by_gender"]["F"], 2);
    assert_eq!(body["by_year_of_study"]["1"], 3);
    assert_eq!(body["by_department"][cse.as_str()], 2);
    let narrowed = app.get("/api/v1/students/stats?gender=M").await.json();
    assert_eq!(narrowed["total"], 1);
}

#[tokio::test]
async fn faculty_statistics_group_by_designation_and_employment_type() {
    let (app, _) = campus().await;
    let body = app.get("/api/v1/faculty/stats").await.json();
    assert_eq!(body["total"], 1);
    assert_eq!(body["by_designation"]["PROFESSOR"], 1);
    assert_eq!(body["by_employment_type"]["FULL_TIME"], 1);
    assert!(
        body["by_status"].is_object() && body["by_department"].is_object(),
        "{body}"
    );
}

#[tokio::test]
async fn department_statistics_count_students_and_faculty_per_department() {
    let (app, cse) = campus().await;
    let body = app.get("/api/v1/departments/stats").await.json();
    assert_eq!(body["total"], 2);
    let rows = body["departments"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 2, "{body}");
    let row = rows
        .iter()
        .find(|r| r["id"] == cse.as_str())
        .cloned()
        .unwrap_or_default();
    assert_eq!(row["code"], "CSE");
    assert_eq!(row["students"], 2);
    assert_eq!(row["faculty"], 1);
    let narrowed = app.get("/api/v1/departments/stats?code=EEE").await.json();
    assert_eq!(narrowed["total"], 1);
    assert_eq!(narrowed["departments"][0]["students"], 0);
}

#[tokio::test]
async fn analytics_summarise_the_institution_and_each_department() {
    let (app, cse) = campus().await;
    let summary = app.get("/api/v1/analytics/summary").await.json();
    assert_eq!(summary["students_total"], 3);
    assert_eq!(summary["students_active"], 2);
    assert_eq!(summary["faculty_total"], 1);
    assert_eq!(summary["faculty_active"], 1);
    assert_eq!(summary["departments"], 2);
    assert_eq!(summary["student_faculty_ratio"], 2.0);
    let departments = app.get("/api/v1/analytics/departments").await.json();
    let rows = departments.as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["id"], cse.as_str());
    assert_eq!(rows[0]["students"], 2);
    assert_eq!(rows[0]["student_faculty_ratio"], 2.0);
    assert_eq!(
        rows[0]["students_by_gender"],
        json!({"F": 1, "M": 1, "O": 0})
    );
    assert_eq!(rows[1]["student_faculty_ratio"], serde_json::Value::Null);
}

#[tokio::test]
async fn department_statistics_accept_custom_field_filters() {
    let (app, cse) = campus().await;
    let mut definition = crate::support::custom_field("campus");
    definition["entity"] = json!("department");
    app.create("custom-fields", definition).await;
    let patch = app
        .call(
            axum::http::Method::PATCH,
            &format!("/api/v1/departments/{cse}"),
            Some(&campushub_core::Role::ADMIN),
            Some(json!({"custom_fields": {"campus": "north"}})),
        )
        .await;
    assert_eq!(patch.status, StatusCode::OK, "{}", patch.json());
    let body = app
        .get("/api/v1/departments/stats?cf.campus=north")
        .await
        .json();
    assert_eq!(body["total"], 1, "{body}");
    assert_eq!(body["departments"][0]["code"], "CSE");
    assert_eq!(body["departments"][0]["students"], 2);
}

/// The inference an analyst could run before statistics were guarded: one student singled out
/// by an identifying filter, then yes/no questions about anything filterable.
#[tokio::test]
async fn an_analyst_cannot_single_out_a_student_through_statistics() {
    let (app, _) = campus().await;
    let analyst = campushub_core::Role::ANALYST;
    for query in [
        "roll_number=S-1",
        "roll_number=S-1&date_of_birth__lt=2003-01-01",
        "email__startswith=a",
        "cf.blood_group=O%2B",
        "search=S-1",
    ] {
        let uri = format!("/api/v1/students/stats?{query}");
        let reply = app.call(Method::GET, &uri, Some(&analyst), None).await;
        let body = reply.problem(StatusCode::BAD_REQUEST);
        assert!(body.to_string().contains("may not list"), "{query}: {body}");
    }
    // Allowed filters still answer, but no group (nor total) under 5 is shown.
    let reply = app
        .call(
            Method::GET,
            "/api/v1/students/stats?gender=M",
            Some(&analyst),
            None,
        )
        .await;
    let body = reply.json();
    assert_eq!(body["total"], 0, "{body}");
    assert_eq!(body["suppressed_below"], 5);
    assert_eq!(body["by_gender"], json!({}));
}

#[tokio::test]
async fn analysts_see_no_department_figure_under_five_people() {
    let (app, cse) = campus().await;
    let analyst = campushub_core::Role::ANALYST;
    for uri in ["/api/v1/analytics/departments", "/api/v1/departments/stats"] {
        let reply = app.call(Method::GET, uri, Some(&analyst), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}");
        let body = reply.json();
        let rows = match body.get("departments") {
            Some(rows) => rows.clone(),
            None => body.clone(),
        };
        let rows = rows.as_array().cloned().unwrap_or_default();
        let row = rows.iter().find(|r| r["id"] == cse.as_str()).expect("CSE");
        // CSE has 2 students and 1 faculty member: both withheld.
        assert_eq!(
            (row["students"].clone(), row["faculty"].clone()),
            (json!(0), json!(0))
        );
        assert_eq!(row["suppressed_below"], 5, "{uri}: {row}");
    }
    // The admin sees them.
    let rows = app.get("/api/v1/analytics/departments").await.json();
    assert_eq!(rows[0]["students"], 2);
    assert!(rows[0].get("suppressed_below").is_none());
}
