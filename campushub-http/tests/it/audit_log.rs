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
