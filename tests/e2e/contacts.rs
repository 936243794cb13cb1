//! Contacts (`campushub::contacts`, served through the public `Server` API) over real sockets,
//! on SQLite and on Postgres with a replica and Redis: CRUD, the owner checked on every write,
//! lists per owner, the student role reading only its own contacts and faculty reading them
//! without personal fields, the audit history, and CSV export and import.

use std::time::Duration;

use campushub::core::scope::RecordLinks;
use campushub::core::Role;
use campushub::http::TokenMinter;
use campushub::server::Server;
use hyper::Method;
use serde_json::{json, Value};

use crate::support::client::{Http, Reply};
use crate::support::commands::{command_of, TempDir};
use crate::support::db::TestDb;
use crate::support::env::Services;
use crate::support::instance::{namespace, replicated, Instance, JWT_SECRET};
use crate::support::records::{department, id, student};

/// The create body of contact `reference` of the student whose id is `owner`.
fn contact(reference: &str, owner: &str, relation: &str, priority: i64) -> Value {
    json!({
        "reference": reference, "owner_kind": "STUDENT", "owner_id": owner,
        "relation": relation, "first_name": "Grace", "last_name": reference,
        "phone": "+911234567890", "email": format!("{reference}@example.org"),
        "priority": priority,
    })
}

/// The `reference`s of a list page, in order.
fn references(page: &Reply) -> Vec<String> {
    assert_eq!(page.status, 200, "{}", page.text());
    let results = page.json()["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    results
        .iter()
        .map(|row| row["reference"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A client of `http`'s instance with a token for `roles`, linked to `links`.
fn as_role(http: &Http, roles: &[Role], links: &RecordLinks) -> Http {
    let token = TokenMinter::hs256(JWT_SECRET)
        .expect("a secret")
        .mint_linked("e2e-contacts", roles, links, Duration::from_secs(600))
        .expect("a token");
    Http::new(&http.base(), Some(token))
}

/// `GET path` that sees every write up to `written`'s (its `Consistency-Token`, on Postgres):
/// reads that walk past the cache go to a replica, which may lag.
async fn get_after(http: &Http, path: &str, written: &Reply) -> Reply {
    match written.header("consistency-token") {
        Some(token) => http.get_with(path, &[("consistency-token", &token)]).await,
        None => http.get(path).await,
    }
}

/// Creating a contact from `body` is refused with a `422` naming `field`.
async fn refused_on(http: &Http, body: &Value, field: &str) {
    let refused = http
        .send(Method::POST, "/api/v1/contacts", &[], Some(body))
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(
        refused.json()["errors"][field].is_array(),
        "{field}: {}",
        refused.text()
    );
}

fn uuid(text: &str) -> uuid::Uuid {
    text.parse().expect("a uuid")
}

async fn contacts_scenario(instance: &Instance) {
    let http = &instance.http;
    let cse = department(http, "CSE").await;
    let ada = id(&student(http, &cse, "R-1").await.json());
    let alan = id(&student(http, &cse, "R-2").await.json());

    // A custom field for contacts, as for the built-in kinds.
    let definition = json!({"entity": "contact", "name": "language", "field_type": "select",
                            "choices": ["Tamil", "Hindi"]});
    let defined = http.create("/api/v1/custom-fields", definition).await;
    assert_eq!(defined.status, 201, "{}", defined.text());

    // Create: two contacts of Ada, one of Alan; the owner must exist.
    let mut body = contact("A-2", &ada, "EMERGENCY", 2);
    body["custom_fields"] = json!({"language": "Tamil"});
    let created = http.create("/api/v1/contacts", body).await.json();
    // Audited like the built-in kinds: the writer is recorded.
    let writer = http.get(&format!("/api/v1/students/{ada}")).await.json()["created_by"].clone();
    assert!(writer.is_string(), "{writer}");
    assert_eq!(
        (&created["created_by"], &created["updated_by"]),
        (&writer, &writer)
    );
    assert_eq!(created["custom_fields"], json!({"language": "Tamil"}));
    http.create("/api/v1/contacts", contact("A-1", &ada, "GUARDIAN", 1))
        .await;
    let last_created = http
        .create("/api/v1/contacts", contact("B-1", &alan, "GUARDIAN", 1))
        .await;
    let stranger = uuid::Uuid::new_v4().to_string();
    refused_on(http, &contact("X-1", &stranger, "GUARDIAN", 1), "owner_id").await;
    let mut body = contact("X-2", &ada, "GUARDIAN", 1);
    body["phone"] = json!("call me");
    body["relation"] = json!("COUSIN");
    let refused = http
        .send(Method::POST, "/api/v1/contacts", &[], Some(&body))
        .await;
    assert!(matches!(refused.status, 400 | 422), "{}", refused.text());
    let problem = refused.json();
    assert!(problem["errors"]["phone"].is_array(), "{problem}");
    assert!(problem["errors"]["relation"].is_array(), "{problem}");

    // Lists per owner, filtered and ordered.
    let ada_list = format!("/api/v1/contacts?owner_id={ada}&ordering=priority");
    assert_eq!(references(&http.get(&ada_list).await), ["A-1", "A-2"]);
    let alan_list = format!("/api/v1/contacts?owner_id={alan}");
    assert_eq!(references(&http.get(&alan_list).await), ["B-1"]);
    let guardians = format!("/api/v1/contacts?owner_id={ada}&relation=GUARDIAN");
    assert_eq!(references(&http.get(&guardians).await), ["A-1"]);
    // The definition is read where the list is: with the token of the writes.
    let tamil = format!("/api/v1/contacts?owner_id={ada}&cf.language=Tamil");
    let listed = get_after(http, &tamil, &last_created).await;
    assert_eq!(references(&listed), ["A-2"]);
    let mut body = contact("X-3", &ada, "OTHER", 4);
    body["custom_fields"] = json!({"language": "Latin"});
    refused_on(http, &body, "custom_fields.language").await;
    let bad = http.get("/api/v1/contacts?owner_id=not-a-uuid").await;
    assert_eq!(bad.status, 400, "{}", bad.text());
    // The same lists under the owner; a filter on `owner_id` cannot widen them.
    let nested = format!("/api/v1/students/{ada}/contacts?ordering=priority&owner_id={alan}");
    assert_eq!(references(&http.get(&nested).await), ["A-1", "A-2"]);
    let nested = format!("/api/v1/students/{alan}/contacts/");
    assert_eq!(references(&http.get(&nested).await), ["B-1"]);
    let bad = http.get("/api/v1/students/not-a-uuid/contacts").await;
    assert_eq!(bad.status, 400, "{}", bad.text());

    // Retrieve, update, delete.
    let path = format!("/api/v1/contacts/{}", id(&created));
    let read = http.get(&path).await;
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(read.json()["phone"], "+911234567890");
    let patched = http.patch(&path, &[], json!({"priority": 3})).await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(http.get(&path).await.json()["priority"], 3);
    let history = http.get(&format!("{path}/history")).await;
    assert_eq!(history.status, 200, "{}", history.text());
    assert_eq!(history.json()["results"].as_array().map(Vec::len), Some(2));

    // The student reads its own contacts only; faculty read them without personal fields.
    let links = RecordLinks {
        student_id: Some(uuid(&ada)),
        ..RecordLinks::default()
    };
    let own = as_role(http, &[Role::STUDENT], &links);
    assert_eq!(
        references(&own.get("/api/v1/contacts?ordering=reference").await),
        ["A-1", "A-2"]
    );
    let theirs = http.get(&alan_list).await.json()["results"][0].clone();
    let hidden = own.get(&format!("/api/v1/contacts/{}", id(&theirs))).await;
    assert_eq!(hidden.status, 404, "{}", hidden.text());
    let written = own
        .send(
            Method::POST,
            "/api/v1/contacts",
            &[],
            Some(&contact("S-1", &ada, "OTHER", 5)),
        )
        .await;
    assert_eq!(written.status, 403, "{}", written.text());
    let faculty = as_role(http, &[Role::FACULTY], &RecordLinks::default());
    let seen = faculty.get(&path).await;
    assert_eq!(seen.status, 200, "{}", seen.text());
    assert!(seen.json().get("phone").is_none(), "{}", seen.text());
    let anonymous = http.anonymous().get("/api/v1/contacts").await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.text());

    // Export, and an import that updates one contact and creates another.
    let export_path =
        format!("/api/v1/contacts/export?format=csv&owner_id={ada}&ordering=reference");
    let export = get_after(http, &export_path, &patched).await;
    assert_eq!(export.status, 200, "{}", export.text());
    let csv = export.text();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "a header and Ada's two contacts: {csv}");
    assert!(lines[0].starts_with("reference,"), "{csv}");
    let new_row = lines[1].replacen("A-1", "A-3", 1);
    let file = format!(
        "{}\n{}\n{new_row}\n",
        lines[0],
        lines[1].replace(",Grace,", ",Ruth,")
    );
    let imported = http
        .upload("/api/v1/contacts/import", "text/csv", file.into_bytes())
        .await;
    assert_eq!(imported.status, 200, "{}", imported.text());
    let report = imported.json();
    assert_eq!(
        (report["created"].clone(), report["updated"].clone()),
        (json!(1), json!(1))
    );
    let by_reference = format!("/api/v1/contacts?owner_id={ada}&ordering=reference");
    let after = get_after(http, &by_reference, &imported).await;
    assert_eq!(references(&after), ["A-1", "A-2", "A-3"]);
    assert_eq!(
        after.json()["results"][0]["first_name"],
        "Ruth",
        "A-1 was updated"
    );

    let deleted = http.send(Method::DELETE, &path, &[], None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert_eq!(http.get(&path).await.status, 404);
    let after = get_after(http, &by_reference, &deleted).await;
    assert_eq!(references(&after), ["A-1", "A-3"]);

    let document = http.get("/api/v1/openapi.json").await.json();
    assert!(document["paths"]["/api/v1/contacts"].is_object());
    assert!(document["paths"]["/api/v1/contacts/import"].is_object());
    assert!(document["paths"]["/api/v1/students/{id}/contacts"]["get"].is_object());
    assert!(document["paths"]["/api/v1/faculty/{id}/contacts"]["get"].is_object());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contacts_are_served_per_owner_on_sqlite() {
    let dir = TempDir::new();
    let instance =
        Instance::start_with(&campushub::contacts::serve(Server::new()), &dir.sqlite()).await;
    contacts_scenario(&instance).await;
    instance.stop().await.expect("a graceful stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contacts_are_served_per_owner_on_postgres() {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let vars = replicated(&services, &db, &namespace());
    let instance = Instance::start_with(&campushub::contacts::serve(Server::new()), &vars).await;
    contacts_scenario(&instance).await;
    instance.stop().await.expect("a graceful stop");
    db.drop_database().await;
}

/// The names of the tables of the SQLite database `vars` configure.
async fn sqlite_tables(vars: &[(&str, String)]) -> Vec<String> {
    let url = format!("{}?mode=ro", vars[0].1);
    let pool = sqlx::SqlitePool::connect(&url)
        .await
        .expect("the database opens");
    let tables: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&pool)
            .await
            .expect("the catalog reads");
    pool.close().await;
    tables.into_iter().map(|(name,)| name).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_creates_the_contacts_table_of_a_server_that_serves_them() {
    let plain = TempDir::new();
    command_of(&Server::new(), &["migrate"], &plain.sqlite())
        .await
        .expect("migrate runs");
    let tables = sqlite_tables(&plain.sqlite()).await;
    assert!(tables.iter().any(|name| name == "students"), "{tables:?}");
    assert!(!tables.iter().any(|name| name == "contacts"), "{tables:?}");

    let served = TempDir::new();
    let server = campushub::contacts::serve(Server::new());
    command_of(&server, &["migrate"], &served.sqlite())
        .await
        .expect("migrate runs");
    let tables = sqlite_tables(&served.sqlite()).await;
    assert!(tables.iter().any(|name| name == "contacts"), "{tables:?}");
    // Again: the table that matches its description is left alone.
    command_of(&server, &["migrate"], &served.sqlite())
        .await
        .expect("migrate runs twice");
}
