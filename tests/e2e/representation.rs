//! One representation on the production stack (Postgres primary + replica, Redis): the body
//! of a `201` or `200` after a write is byte for byte what a `GET` of that version answers
//! (with the write's token, through the cache), embedded department included, for every
//! built-in kind and a kind added with `Server::extend`; both carry the same `ETag`.

use axum::http::Method;
use serde_json::{json, Value};

use crate::support::client::{Http, Reply};
use crate::support::instance::{namespace, replicated};
use crate::support::records::{id, student_body};
use crate::support::{Instance, Services, TestDb};

/// Asserts that `written` is what a `GET` of `path` with its token answers; returns it.
async fn same_as_read(http: &Http, written: &Reply, path: &str) -> Value {
    assert!(
        matches!(written.status, 200 | 201),
        "{path}: {} {}",
        written.status,
        written.text()
    );
    let token = written.header("consistency-token").expect("a token");
    let read = http.get_with(path, &[("consistency-token", &token)]).await;
    assert_eq!(read.status, 200, "{path}: {}", read.text());
    assert_eq!(
        written.text(),
        read.text(),
        "{path}: the write's body and the read's differ"
    );
    assert_eq!(written.header("etag"), read.header("etag"), "{path}");
    written.json()
}

/// Creates at `collection`, replaces, patches; each answer compared with a read. Returns the
/// three answers.
async fn write_and_read(
    http: &Http,
    collection: &str,
    body: Value,
    replacement: Value,
    patch: Value,
) -> [Value; 3] {
    let created = http.create(collection, body).await;
    let path = created.header("location").expect("a location");
    let created = same_as_read(http, &created, &path).await;
    let put = http.send(Method::PUT, &path, &[], Some(&replacement)).await;
    let put = same_as_read(http, &put, &path).await;
    let patched = http.patch(&path, &[], patch).await;
    let patched = same_as_read(http, &patched, &path).await;
    [created, put, patched]
}

fn faculty_body(employee_id: &str, department_id: &Value) -> Value {
    json!({
        "first_name": "Ravi", "last_name": "Iyer", "date_of_birth": "1980-01-02", "gender": "M",
        "employee_id": employee_id, "department_id": department_id, "designation": "PROFESSOR",
        "qualification": "PhD", "date_of_joining": "2010-07-01",
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_answers_a_write_as_a_read_of_that_version() {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let server = crate::extension::with_units();
    let vars = replicated(&services, &db, &namespace());
    let instance = Instance::start_with(&server, &vars).await;
    let http = &instance.http;

    let department = |code: &str| json!({"code": code, "name": format!("Department {code}")});
    let cse = http
        .create("/api/v1/departments", department("CSE"))
        .await
        .json();
    let ece = http
        .create("/api/v1/departments", department("ECE"))
        .await
        .json();

    let [created, moved, patched] = write_and_read(
        http,
        "/api/v1/students",
        student_body(&cse["id"], "REP-1"),
        student_body(&ece["id"], "REP-1"),
        json!({"department_id": cse["id"], "custom_fields": {}}),
    )
    .await;
    assert_eq!(created["department"]["code"], "CSE", "{created}");
    assert_eq!(moved["department"]["code"], "ECE", "{moved}");
    assert_eq!(patched["department"]["code"], "CSE", "{patched}");

    let [created, moved, cleared] = write_and_read(
        http,
        "/api/v1/faculty",
        faculty_body("REP-E1", &cse["id"]),
        faculty_body("REP-E1", &ece["id"]),
        json!({"department_id": null}),
    )
    .await;
    assert_eq!(created["department"]["name"], "Department CSE");
    assert_eq!(moved["department"]["id"], ece["id"]);
    assert_eq!(cleared["department"], Value::Null);

    let mut child = department("SUB");
    child["parent_id"] = cse["id"].clone();
    write_and_read(
        http,
        "/api/v1/departments",
        child,
        department("SUB"),
        json!({"parent_id": ece["id"]}),
    )
    .await;

    let definition = json!({"entity": "student", "name": "blood_group", "label": "Blood group", "field_type": "number"});
    write_and_read(
        http,
        "/api/v1/custom-fields",
        definition.clone(),
        definition,
        json!({"label": "Blood type"}),
    )
    .await;
    // A custom value as the client wrote it and as Postgres stores it (`jsonb`).
    let student = http
        .create("/api/v1/students", student_body(&cse["id"], "REP-2"))
        .await;
    let path = format!("/api/v1/students/{}", id(&student.json()));
    let patched = http
        .patch(&path, &[], json!({"custom_fields": {"blood_group": 1.50}}))
        .await;
    same_as_read(http, &patched, &path).await;

    write_and_read(
        http,
        "/api/v1/units",
        department("UNI"),
        department("UNI"),
        json!({"name": "Unit"}),
    )
    .await;

    drop(instance);
    db.drop_database().await;
}
