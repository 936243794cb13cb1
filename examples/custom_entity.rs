//! An application's own kind, `Course`, with storage, caching, routes and OpenAPI from
//! CampusHub, described once with `#[derive(Entity, SqlEntity)]`.
//!
//! Run with `cargo run --example custom_entity`. It creates the kind's table in an in-memory
//! SQLite database from its description, builds an `EntityService` with the moka cache and a
//! policy that lets registrars manage courses, mounts the generic resource routes at
//! `/api/v1/courses`, creates a course and lists courses through the router, and prints both
//! answers and the kind's OpenAPI schema. To serve the kind beside the built-in ones (one
//! router, one OpenAPI document), pass the same `ResourceRoutes` to `ApiState::resource`
//! (see `docs/extending.md`).

use std::sync::Arc;

use axum::body::to_bytes;
use campushub::cache::{CacheConfig, TieredCache};
use campushub::core::{Action, Department, Embedded, Entity as _, EntityService, Principal};
use campushub::core::{RecordMeta, Repository as _, Role, RolePolicy};
use campushub::http::{ApiKeys, AuthLayer, Credentials, HttpConfig, ResourceRoutes};
use campushub::{sqlx::SqliteRepository, sqlx::SqliteStore, Entity, SqlEntity};
use tower::ServiceExt;

/// A course offered by a department.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, Entity, SqlEntity)]
#[entity(kind = "course", table = "courses")]
struct Course {
    #[serde(flatten)]
    meta: RecordMeta,
    /// Unique code, the key bulk operations address courses by.
    #[field(filter, order, search, natural_key, text = 20)]
    code: String,
    #[field(filter, search, text = 200)]
    title: String,
    /// The department offering it; reads embed its code and name as `department`.
    #[field(filter, references = Department)]
    department_id: Option<uuid::Uuid>,
    #[field(filter, order, stats, range(1, 12))]
    credits: i64,
    #[field(embed(from = department_id, fields(code, name)))]
    department: Option<Embedded>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let store = SqliteStore::memory().await?; // the built-in tables, migrated
    store.migrate_kind::<Course>().await?; // the courses table, from the description
    let input = serde_json::from_value(serde_json::json!({"code": "CSE", "name": "Computing"}))?;
    let cse = Department::from_input(input, RecordMeta::new(), "admin");
    let departments = SqliteRepository::<Department>::new(store.clone());
    departments.insert(&cse).await?;
    let cache = Arc::new(TieredCache::l1_only(CacheConfig::default())?); // moka; Redis optional
    let policy = RolePolicy::defaults().grant(Role::REGISTRAR, Course::KIND, &Action::ALL);
    let service = EntityService::builder(Arc::new(SqliteRepository::<Course>::new(store)));
    let courses = service.cache(cache).policy(Arc::new(policy)).build();
    let routes = ResourceRoutes::new("courses", courses, Arc::new(HttpConfig::default()));
    let openapi = serde_json::to_value(campushub::http::openapi::document(&[routes.doc()]))?;
    println!("{}", openapi["components"]["schemas"]["CourseInput"]);

    let registrar = Principal::new("registrar", [Role::REGISTRAR]);
    let keys = ApiKeys::new().insert("an example key", registrar);
    let credentials = Arc::new(Credentials::new().api_keys(keys));
    let app = routes.build().layer(AuthLayer::new(credentials));
    let id = cse.meta.id;
    let course = format!(r#"{{"code":"CS1","title":"Graphs","department_id":"{id}","credits":4}}"#);
    let list = "/api/v1/courses?credits__gte=3&ordering=code";
    let requests = [("POST", "/api/v1/courses", &*course), ("GET", list, "")];
    for (method, uri, body) in requests {
        let request = axum::http::Request::builder().method(method).uri(uri);
        let request = request.header("x-api-key", "an example key");
        let request = request.header("content-type", "application/json");
        let response = app.clone().oneshot(request.body(body.to_owned())?).await?;
        let status = response.status();
        let bytes = to_bytes(response.into_body(), 1 << 20).await?;
        let body = String::from_utf8_lossy(&bytes);
        println!("{method} {uri} -> {status}\n{body}");
    }
    Ok(())
}
