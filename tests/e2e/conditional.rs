//! Conditional requests on the production stack, as a client sees them: a well-formed entity
//! tag that does not match is `412` and only malformed syntax `400`; `If-Match: *` on a
//! missing record is `412`; `If-None-Match: *` on a create of an existing record is `412`;
//! and `CAMPUSHUB_REQUIRE_IF_MATCH` makes the resources it names answer `428` to an update or
//! delete without `If-Match`.

use axum::http::Method;
use serde_json::json;

use crate::support::instance::{namespace, replicated};
use crate::support::records::{department, id, student};
use crate::support::{Instance, Services, TestDb};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preconditions_answer_412_400_and_428_as_rfc_9110_says() {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let mut vars = replicated(&services, &db, &namespace());
    vars.push(("CAMPUSHUB_REQUIRE_IF_MATCH", "students".to_owned()));
    let instance = Instance::start(&vars).await;
    let http = &instance.http;

    let civil = department(http, "CIV").await;
    let path = format!("/api/v1/departments/{}", id(&civil));
    let tag = format!("\"{}-1\"", id(&civil));
    let weak = format!("W/{tag}");
    for value in ["\"stale\"", weak.as_str()] {
        let reply = http
            .send(Method::DELETE, &path, &[("if-match", value)], None)
            .await;
        assert_eq!(reply.status, 412, "If-Match: {value}: {}", reply.text());
        assert_eq!(
            reply.header("content-type").as_deref(),
            Some("application/problem+json")
        );
    }
    let malformed = http
        .send(Method::DELETE, &path, &[("if-match", "stale")], None)
        .await;
    assert_eq!(malformed.status, 400, "{}", malformed.text());
    assert!(malformed.json()["errors"]["If-Match"].is_array());

    let missing = format!("/api/v1/departments/{}", uuid::Uuid::now_v7());
    let star = http
        .send(Method::DELETE, &missing, &[("if-match", "*")], None)
        .await;
    assert_eq!(star.status, 412, "{}", star.text());
    let plain = http.send(Method::DELETE, &missing, &[], None).await;
    assert_eq!(plain.status, 404, "{}", plain.text());

    let again = http
        .send(
            Method::POST,
            "/api/v1/departments",
            &[("if-none-match", "*")],
            Some(&json!({"code": "CIV", "name": "Civil again"})),
        )
        .await;
    assert_eq!(again.status, 412, "{}", again.text());

    // Departments are not named in CAMPUSHUB_REQUIRE_IF_MATCH; students are.
    let patched = http.patch(&path, &[], json!({"name": "Civil"})).await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    let created = student(http, &civil, "COND-1").await;
    let student_path = format!("/api/v1/students/{}", id(&created.json()));
    let required = http.patch(&student_path, &[], json!({"semester": 2})).await;
    assert_eq!(required.status, 428, "{}", required.text());
    assert!(required.json()["errors"]["If-Match"].is_array());
    let etag = created.header("etag").expect("an ETag");
    let conditional = http
        .patch(
            &student_path,
            &[("if-match", &etag)],
            json!({"semester": 2}),
        )
        .await;
    assert_eq!(conditional.status, 200, "{}", conditional.text());

    drop(instance);
    db.drop_database().await;
}
