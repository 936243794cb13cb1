//! The audit log over HTTP: a write records who made it (the API key's name included), from
//! which request and address; `/audit` and `/{kind}/{id}/history` read it newest first in
//! cursor pages for auditors and admins, 403 for anyone else; no method writes to it.

use axum::http::{Method, StatusCode};
use campushub_core::Role;
use serde_json::{json, Value};

use crate::support::{department, id_of, App, ADMIN_KEY};

/// The entries of `uri` as `role`, following every `next` link.
async fn walk(app: &App, uri: &str, role: &Role) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut next = Some(uri.to_owned());
    while let Some(uri) = next {
        let reply = app.call(Method::GET, &uri, Some(role), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}: {:?}", reply.json());
        let page = reply.json();
        entries.extend(page["results"].as_array().cloned().unwrap_or_default());
        next = page["next"].as_str().map(str::to_owned);
        assert!(entries.len() < 100, "the walk ends");
    }
    entries
}

#[tokio::test]
async fn a_write_is_recorded_with_its_request_and_read_back_by_auditors_only() {
    let app = App::with_identity();
    let created = app
        .call_with(
            Method::POST,
            "/api/v1/departments",
            None,
            Some(department("AUD")),
            &[("x-api-key", ADMIN_KEY), ("x-request-id", "req-audit-1")],
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = id_of(&created.json());
    let patched = app
        .call(
            Method::PATCH,
            &format!("/api/v1/departments/{id}"),
            Some(&Role::ADMIN),
            Some(json!({"name": "Audited"})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK);

    let history = walk(
        &app,
        &format!("/api/v1/departments/{id}/history?page_size=1"),
        &Role::AUDITOR,
    )
    .await;
    let actions: Vec<&str> = history
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["patch", "create"], "newest first, one page each");
    let create = &history[1];
    assert_eq!(create["actor"]["subject"], "ops");
    assert_eq!(create["actor"]["api_key"], "ops", "the key's name");
    assert_eq!(create["request_id"], "req-audit-1");
    assert_eq!(
        create["changes"]["code"],
        json!({"old": null, "new": "AUD"})
    );
    let patch = &history[0];
    assert_eq!(patch["actor"]["subject"], "admin-user");
    assert_eq!(patch["actor"]["api_key"], Value::Null);
    assert!(patch["request_id"].is_string(), "the generated request id");
    assert_eq!(patch["version_before"], 1);
    assert_eq!(patch["version_after"], 2);

    let filtered = walk(
        &app,
        "/api/v1/audit?action=create&kind=department",
        &Role::ADMIN,
    )
    .await;
    assert_eq!(filtered.len(), 1);
    let bad = app
        .call(
            Method::GET,
            "/api/v1/audit?action=drop",
            Some(&Role::AUDITOR),
            None,
        )
        .await;
    bad.field_problem(StatusCode::BAD_REQUEST, "action");

    for role in [Role::REGISTRAR, Role::FACULTY, Role::ANALYST] {
        for uri in [
            "/api/v1/audit".to_owned(),
            format!("/api/v1/departments/{id}/history"),
        ] {
            let reply = app.call(Method::GET, &uri, Some(&role), None).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{role} {uri}");
        }
    }
}

#[tokio::test]
async fn no_method_writes_or_deletes_an_entry() {
    let app = App::with_identity();
    let id = uuid::Uuid::now_v7();
    for uri in [
        "/api/v1/audit".to_owned(),
        format!("/api/v1/students/{id}/history"),
    ] {
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            let reply = app
                .call(method.clone(), &uri, Some(&Role::ADMIN), Some(json!({})))
                .await;
            assert_eq!(
                reply.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {uri}"
            );
        }
    }
}

/// The audit log as a spreadsheet (feature `exchange`): every matching entry across pages,
/// one row per changed field, text escaped, in CSV and XLSX alike; for auditors only.
#[cfg(feature = "exchange")]
#[tokio::test]
async fn the_log_exports_as_csv_and_xlsx_one_row_per_changed_field() {
    use campushub_core::audit_log::MAX_AUDIT_PAGE_SIZE;
    use campushub_core::exchange::AUDIT_HEADERS;

    let app = App::with_identity();
    // More entries than one page of the log holds.
    let count = MAX_AUDIT_PAGE_SIZE + 20;
    let rows: Vec<Value> = (0..count).map(|i| department(&format!("X{i}"))).collect();
    let created = app
        .post(
            "/api/v1/departments/bulk-create",
            json!({ "departments": rows }),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{:?}", created.json());
    let target = app.create("departments", department("XT")).await;
    let id = id_of(&target);
    let patched = app
        .call(
            Method::PATCH,
            &format!("/api/v1/departments/{id}"),
            Some(&Role::ADMIN),
            Some(json!({"name": "=HYPERLINK(\"http://x\")"})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK);

    let reply = app
        .call(
            Method::GET,
            "/api/v1/audit/export?kind=department",
            Some(&Role::AUDITOR),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.header("content-type").starts_with("text/csv"));
    assert!(reply.header("content-disposition").contains("audit.csv"));
    let mut reader = csv::Reader::from_reader(&reply.body[..]);
    let headers: Vec<String> = reader
        .headers()
        .expect("a header row")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(headers, AUDIT_HEADERS);
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    let column = |name: &str| AUDIT_HEADERS.iter().position(|h| *h == name).expect(name);
    let (field, old, new, action, record) = (
        column("field"),
        column("old"),
        column("new"),
        column("action"),
        column("record_id"),
    );
    // Newest first: the patch's one field, then the creates' fields.
    let first = &records[0];
    assert_eq!((&first[action], &first[field]), ("patch", "name"));
    assert_eq!(&first[old], "Department XT");
    assert_eq!(
        &first[new], "'=HYPERLINK(\"http://x\")",
        "a value that reads as a formula is escaped"
    );
    assert_eq!(&first[record], id.as_str());
    let codes: Vec<&str> = records
        .iter()
        .filter(|r| &r[field] == "code")
        .map(|r| &r[new])
        .collect();
    assert_eq!(codes.len(), count + 1, "every create, past the first page");
    assert!(records.iter().skip(1).all(|r| r[action].contains("create")));

    let xlsx = app
        .call(
            Method::GET,
            "/api/v1/audit/export?kind=department&format=xlsx",
            Some(&Role::ADMIN),
            None,
        )
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.body.to_vec()))
            .expect("an XLSX workbook");
    let sheet = calamine::Reader::worksheet_range_at(&mut workbook, 0)
        .expect("a sheet")
        .expect("readable");
    assert_eq!(
        sheet.height(),
        records.len() + 1,
        "the same rows as the CSV, and the header"
    );
    let patch_new = sheet.get((1, new)).map(ToString::to_string);
    assert_eq!(patch_new.as_deref(), Some(&first[new]));

    for (uri, role, status) in [
        (
            "/api/v1/audit/export",
            Role::REGISTRAR,
            StatusCode::FORBIDDEN,
        ),
        (
            "/api/v1/audit/export?format=pdf",
            Role::AUDITOR,
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/audit/export?page_size=5",
            Role::AUDITOR,
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/audit/export?action=drop",
            Role::AUDITOR,
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let reply = app.call(Method::GET, uri, Some(&role), None).await;
        assert_eq!(reply.status, status, "{role} {uri}");
    }
}
