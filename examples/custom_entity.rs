//! An application's own entity, `Course`, with storage, caching and routes from CampusHub.
//!
//! Run with `cargo run --example custom_entity`. It describes the kind once for core
//! (`Entity`, with its relation to departments, whose code and name reads embed) and once for
//! SQL (`SqlEntity`), creates its table in an in-memory SQLite database, builds an `EntityService` with the moka cache and a policy that lets registrars
//! manage courses, mounts the generic resource routes at `/api/v1/courses`, and performs a
//! create and a list through the router, printing both. To serve the kind beside the built-in
//! ones (one router, one OpenAPI document), pass the same `ResourceRoutes` to
//! `ApiState::resource` (see `docs/extending.md`).

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::http::Request;
use axum::Router;
use campushub::cache::{CacheConfig, TieredCache};
use campushub::core::schema::{join_fields, FieldSpec, FieldType, Ops, META_FIELDS};
use campushub::core::ValidationErrors;
use campushub::core::{Action, Department, Embed, Embedded, Entity, EntityKind, EntityService};
use campushub::core::{RecordMeta, Relation, Repository, Role, RolePolicy, Scalar, Schema};
use campushub::http::{
    AuthLayer, Credentials, HttpConfig, JwtVerifier, ResourceRoutes, TokenMinter,
};
use campushub::sqlx::{ColType, Column, SqlEntity, SqlRow, SqlValue, SqliteRepository};
use campushub::sqlx::{ForeignKey, SqliteStore, UniqueKey};
use serde::{Deserialize, Serialize};
use tower::ServiceExt;
use uuid::Uuid;

const COURSE: EntityKind = EntityKind::new("course");

/// A course offered by a department.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Course {
    #[serde(flatten)]
    meta: RecordMeta,
    #[serde(flatten)]
    input: CourseInput,
    /// The department's code and name, attached by the store on read.
    #[serde(default)]
    department: Option<Embedded>,
}

/// What a client sends.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CourseInput {
    code: String,
    title: String,
    department_id: Option<Uuid>,
    credits: i64,
}

/// `department_id` references a department; reads embed its code and name as `department`.
const RELATIONS: &[Relation] =
    &[Relation::to::<Department>("department_id")
        .embed(Embed::new("department", &["code", "name"]))];

#[rustfmt::skip] // one field per line reads as a table
static SCHEMA: LazyLock<Schema> = LazyLock::new(|| Schema {
    kind: COURSE,
    fields: join_fields(&[&META_FIELDS, &[
        FieldSpec::new("code", FieldType::Text).filter(Ops::STRING).order(),
        FieldSpec::new("title", FieldType::Text).filter(Ops::STRING),
        FieldSpec::new("department_id", FieldType::Uuid).filter(Ops::EXACT).nullable(),
        FieldSpec::new("credits", FieldType::Int).filter(Ops::ORDERED).order(),
    ]]),
    search: &["code", "title"],
    natural_key: Some("code"),
    stats: &["credits"],
    relations: RELATIONS,
    embedded_in: &[],
    writable: &[&["code", "title", "department_id", "credits"]],
    required: &[&["code", "title", "credits"]],
    read_only: &["department"],
});

impl Entity for Course {
    type Create = CourseInput;
    const KIND: EntityKind = COURSE;
    fn schema() -> &'static Schema {
        &SCHEMA
    }
    fn meta(&self) -> &RecordMeta {
        &self.meta
    }
    fn meta_mut(&mut self) -> &mut RecordMeta {
        &mut self.meta
    }
    fn from_input(input: CourseInput, meta: RecordMeta, _actor: &str) -> Self {
        Course {
            meta,
            input,
            department: None,
        }
    }
    fn to_input(&self) -> CourseInput {
        self.input.clone()
    }
    fn apply_input(&mut self, input: CourseInput, _actor: &str) {
        self.input = input;
    }
    fn validate(&self, errors: &mut ValidationErrors) {
        if !(1..=12).contains(&self.input.credits) {
            errors.add("credits", "Credits must be between 1 and 12.");
        }
    }
    fn field(&self, name: &str) -> Option<Scalar> {
        if let Some(value) = self.meta.field(name) {
            return value; // id, created_at, updated_at
        }
        let i = &self.input;
        match name {
            "code" => Some(i.code.clone().into()),
            "title" => Some(i.title.clone().into()),
            "department_id" => i.department_id.map(Scalar::Uuid),
            "credits" => Some(i.credits.into()),
            _ => None,
        }
    }
    fn set_embedded(&mut self, field: &str, summary: Option<&Embedded>) {
        if field == "department" {
            self.department = summary.cloned();
        }
    }
}

#[rustfmt::skip]
impl SqlEntity for Course {
    const TABLE: &'static str = "courses";
    fn columns() -> &'static [Column] {
        &[Column { name: "code", ty: ColType::Text }, Column { name: "title", ty: ColType::Text },
          Column { name: "department_id", ty: ColType::Uuid }, Column { name: "credits", ty: ColType::Int }]
    }
    fn values(&self) -> Vec<SqlValue> {
        let i = &self.input;
        vec![i.code.clone().into(), i.title.clone().into(), i.department_id.into(), i.credits.into()]
    }
    fn from_row(row: &SqlRow<'_>) -> campushub::sqlx::Result<Course> {
        let input = CourseInput {
            code: row.text("code")?,
            title: row.text("title")?,
            department_id: row.opt_uuid("department_id")?,
            credits: row.int("credits")?,
        };
        Ok(Course { meta: row.meta()?, input, department: None })
    }
    fn unique_keys() -> &'static [UniqueKey] {
        &[UniqueKey { constraint: "courses_code_key", columns: &["code"], field: "code" }]
    }
    fn foreign_keys() -> &'static [ForeignKey] {
        &[ForeignKey { column: "department_id", table: "departments" }]
    }
}

const COURSES_TABLE: &str = "CREATE TABLE courses (id TEXT PRIMARY KEY, \
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, version INTEGER NOT NULL, \
    code TEXT NOT NULL CONSTRAINT courses_code_key UNIQUE, title TEXT NOT NULL, \
    department_id TEXT REFERENCES departments (id), credits INTEGER NOT NULL)";

/// Sends a request through `app` as `bearer` and prints the status and body.
async fn send(app: &Router, bearer: &str, method: &str, uri: &str, body: String) -> Result {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", bearer)
        .header("content-type", "application/json")
        .body(Body::from(body))?;
    let response = app.clone().oneshot(request).await?;
    let status = response.status();
    let body = to_bytes(response.into_body(), 1 << 20).await?;
    let body = String::from_utf8_lossy(&body);
    println!("{method} {uri} -> {status}\n{body}");
    Ok(())
}

type Result<T = (), E = Box<dyn std::error::Error>> = std::result::Result<T, E>;

#[tokio::main]
async fn main() -> Result {
    let store = SqliteStore::memory().await?; // the built-in tables, migrated
    sqlx::query(COURSES_TABLE).execute(store.pool()).await?;
    let departments = SqliteRepository::<Department>::new(store.clone());
    let input = serde_json::from_value(serde_json::json!({"code": "CSE", "name": "Computing"}))?;
    let cse = Department::from_input(input, RecordMeta::new(), "admin");
    departments.insert(&cse).await?;
    let repository: Arc<dyn Repository<Course>> = Arc::new(SqliteRepository::<Course>::new(store));
    let cache = TieredCache::l1_only(CacheConfig::with_namespace("courses-example"))?;
    let policy = RolePolicy::defaults()
        .grant(Role::REGISTRAR, COURSE, Action::READ)
        .grant(Role::REGISTRAR, COURSE, Action::WRITE);
    let courses = EntityService::builder(repository)
        .cache(Arc::new(cache))
        .policy(Arc::new(policy))
        .build();

    let secret = b"an example secret of at least 32 bytes";
    let credentials = Credentials::new().jwt(JwtVerifier::hs256(secret)?);
    let app = ResourceRoutes::new("courses", courses, Arc::new(HttpConfig::default()))
        .build()
        .layer(AuthLayer::new(Arc::new(credentials)));
    let minter = TokenMinter::hs256(secret)?;
    let token = minter.mint("registrar", &[Role::REGISTRAR], Duration::from_secs(60))?;
    let bearer = format!("Bearer {token}");

    let id = cse.meta.id;
    let course = format!(
        r#"{{"code": "CS101", "title": "Algorithms", "department_id": "{id}", "credits": 4}}"#
    );
    send(&app, &bearer, "POST", "/api/v1/courses", course).await?;
    let list = "/api/v1/courses?credits__gte=3&ordering=code";
    send(&app, &bearer, "GET", list, String::new()).await
}
