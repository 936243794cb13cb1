//! Scoped access over real sockets, on SQLite and on Postgres: accounts linked to records by
//! `user create --student/--faculty` sign in; the student reads its own record only (a list
//! of one row, another id 404, statistics 403); the faculty member's token carries its
//! department (resolved at sign-in) and reads records without personal fields, cached or not,
//! and its filters, ordering and search on them are refused (400 naming the parameter).

use campushub::core::{Entity, Student};
use campushub::http::auth::JwtVerifier;
use hyper::Method;
use serde_json::{json, Value};

use crate::support::client::{Http, Reply};
use crate::support::commands::{command, TempDir};
use crate::support::db::TestDb;
use crate::support::env::Services;
use crate::support::instance::{namespace, replicated, Instance, JWT_SECRET};

const PASSWORD: &str = "a long enough password for tests";

/// `user create` for `email` with `role`, linked by `link` (`--student <id>`).
async fn account(
    temp: &TempDir,
    vars: &[(&str, String)],
    email: &str,
    role: &str,
    link: [&str; 2],
) {
    let file = temp.file("password", &format!("{PASSWORD}\n"));
    let argv = [
        "user",
        "create",
        "--email",
        email,
        "--role",
        role,
        link[0],
        link[1],
        "--password-file",
        &file,
    ];
    command(&argv, vars).await.expect("the account is created");
}

/// The access token of a login as `email`.
async fn sign_in(http: &Http, email: &str) -> String {
    let body = json!({"email": email, "password": PASSWORD});
    let reply = http
        .anonymous()
        .send(Method::POST, "/api/v1/auth/login", &[], Some(&body))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

fn created(reply: Reply) -> String {
    assert_eq!(reply.status, 201, "{}", reply.text());
    reply.json()["id"].as_str().expect("an id").to_owned()
}

/// `GET path` through `client`, reading at least at consistency token `after` (the last
/// write's), so that a lagging replica does not hide what the test wrote.
async fn read(client: &Http, path: &str, after: &str) -> Reply {
    client.get_with(path, &[("consistency-token", after)]).await
}

fn student(roll: &str, department: &str) -> Value {
    json!({
        "first_name": "Asha", "last_name": format!("Rao {roll}"), "date_of_birth": "2004-05-06",
        "gender": "F", "roll_number": roll, "program": "B.Tech", "admission_date": "2022-08-01",
        "department_id": department, "email": format!("{roll}@uni.example"),
        "mobile": "+919876543210", "address_line1": "1 Main Road", "address_line2": "Flat 2"
    })
}

/// Asserts `record` (a JSON object) has every personal field, or none.
fn personal(record: &Value, shown: bool, context: &str) {
    for field in Student::schema().personal_fields() {
        assert_eq!(
            record.get(field).is_some(),
            shown,
            "{field} shown: {shown} expected ({context}): {record}"
        );
    }
}

/// The whole scenario, on the server `http` reaches (as admin) with `vars` for commands.
async fn scoped_reads(http: &Http, temp: &TempDir, vars: &[(&str, String)]) {
    let cse = created(
        http.create("/api/v1/departments", json!({"code": "CSE", "name": "CSE"}))
            .await,
    );
    let eee = created(
        http.create("/api/v1/departments", json!({"code": "EEE", "name": "EEE"}))
            .await,
    );
    let own = created(http.create("/api/v1/students", student("S1", &cse)).await);
    let other = created(http.create("/api/v1/students", student("S2", &eee)).await);
    let member = json!({
        "first_name": "Ravi", "last_name": "Iyer", "date_of_birth": "1980-01-02", "gender": "M",
        "employee_id": "E1", "designation": "PROFESSOR", "qualification": "PhD",
        "date_of_joining": "2010-07-01", "department_id": cse
    });
    let member = http.create("/api/v1/faculty", member).await;
    let after = member.header("consistency-token").unwrap_or_default();
    let after = after.as_str();
    let member = created(member);
    account(temp, vars, "s1@uni.example", "student", ["--student", &own]).await;
    account(
        temp,
        vars,
        "f1@uni.example",
        "faculty",
        ["--faculty", &member],
    )
    .await;

    // The student: its own record, personal fields included, and nothing else.
    let token = sign_in(http, "s1@uni.example").await;
    let me = Http::new(&http.base(), Some(token));
    let listed = read(&me, "/api/v1/students", after).await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    let rows = listed.json()["results"].as_array().cloned().expect("rows");
    assert_eq!(rows.len(), 1, "one row: {rows:?}");
    assert_eq!(rows[0]["id"], json!(own));
    personal(&rows[0], true, "a student's own row");
    let mine = read(&me, &format!("/api/v1/students/{own}"), after).await;
    assert_eq!(mine.status, 200, "{}", mine.text());
    personal(&mine.json(), true, "a student's own record");
    let theirs = read(&me, &format!("/api/v1/students/{other}"), after).await;
    let nobody = me
        .get(&format!("/api/v1/students/{}", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(
        (theirs.status, nobody.status),
        (404, 404),
        "{}",
        theirs.text()
    );
    assert_eq!(theirs.json()["title"], nobody.json()["title"], "no tell");
    assert_eq!(me.get("/api/v1/students/stats").await.status, 403);
    assert_eq!(me.get("/api/v1/faculty").await.status, 403);

    // The faculty member: its token carries its department, resolved at sign-in.
    let token = sign_in(http, "f1@uni.example").await;
    let verifier = JwtVerifier::hs256(JWT_SECRET).expect("a verifier");
    let principal = verifier.verify(&token).expect("a valid token");
    assert_eq!(
        principal.links.faculty_id.map(|id| id.to_string()),
        Some(member)
    );
    assert_eq!(
        principal.links.department_id.map(|id| id.to_string()),
        Some(cse)
    );
    let faculty = Http::new(&http.base(), Some(token));
    let path = format!("/api/v1/students/{own}");
    // Uncached (the faculty read fills the entry), then cached after an admin's read.
    let first = read(&faculty, &path, after).await;
    assert_eq!(first.status, 200, "{}", first.text());
    personal(&first.json(), false, "faculty, uncached");
    personal(
        &read(http, &path, after).await.json(),
        true,
        "admin, cached",
    );
    let again = read(&faculty, &path, after).await;
    personal(&again.json(), false, "faculty, cached");
    assert_eq!(again.json()["roll_number"], "S1");
    assert_eq!(first.header("etag"), again.header("etag"));
    for round in ["uncached", "cached"] {
        let listed = read(&faculty, "/api/v1/students?ordering=roll_number", after).await;
        assert_eq!(listed.status, 200, "{}", listed.text());
        let rows = listed.json()["results"].as_array().cloned().expect("rows");
        assert_eq!(rows.len(), 2, "faculty read every student by default");
        rows.iter().for_each(|row| personal(row, false, round));
    }
    let full = read(http, "/api/v1/students?ordering=roll_number", after)
        .await
        .json();
    personal(&full["results"][0], true, "admin list after the faculty's");
    for (key, value) in [
        ("date_of_birth__lt", "2005-01-01"),
        ("email", "s1@uni.example"),
        ("email__icontains", "uni"),
        ("ordering", "-date_of_birth"),
        ("search", "s1@uni"),
    ] {
        let refused = faculty
            .get(&format!("/api/v1/students?{key}={value}"))
            .await;
        assert_eq!(refused.status, 400, "{key}: {}", refused.text());
        let errors = &refused.json()["errors"];
        assert!(
            errors.get(key).is_some(),
            "{key} is named: {}",
            refused.text()
        );
        let admin = http.get(&format!("/api/v1/students?{key}={value}")).await;
        assert_ne!(admin.status, 400, "an admin may: {key}: {}", admin.text());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scoped_access_on_sqlite() {
    let temp = TempDir::new();
    let vars = temp.sqlite();
    let server = Instance::start(&vars).await;
    scoped_reads(&server.http, &temp, &vars).await;
    server.stop().await.expect("a clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scoped_access_on_postgres() {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let temp = TempDir::new();
    let vars = replicated(&services, &db, &namespace());
    let server = Instance::start(&vars).await;
    scoped_reads(&server.http, &temp, &vars).await;
    server.stop().await.expect("a clean stop");
    db.drop_database().await;
}
