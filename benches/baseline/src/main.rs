//! The hand-written baseline of issue 13: the axum server a competent engineer would write by
//! hand for the routes the load test measures, so that `scripts/loadtest.sh --baseline` can
//! print every comparable CampusHub scenario as a ratio to it, measured in the same run
//! against the same database.
//!
//! ```text
//! campushub-baseline --database-url URL [--mode moka|sqlx] [--bind 127.0.0.1:18090]
//!                    [--pool 4] [--capacity 100000]
//! ```
//!
//! It reads the schema CampusHub's migrations create (`campushub-sqlx/migrations/`), on
//! Postgres or SQLite (`postgres://…` or `sqlite://…`), and serves:
//!
//! - `GET /healthz`: `{"status":"ok"}`, no database (the floor of the machine).
//! - `GET /api/v1/students/{id}`: the student, with its department's `{id, code, name}`
//!   embedded, in CampusHub's JSON shape (the same fields in the same order). Mode `sqlx`
//!   runs one `SELECT … FROM students LEFT JOIN departments … WHERE id = $1` per request on a
//!   pool of `--pool` connections (4 by default) and serializes with serde. Mode `moka` keeps
//!   each student's serialized JSON in a `moka::sync::Cache` (filled from the database on a
//!   miss, never invalidated: the baseline has no writes).
//! - `GET /api/v1/students?page=N&page_size=M`: `OFFSET` pages (`page_size` 1–200, default
//!   20) in CampusHub's default order (`created_at DESC, id DESC`), departments joined, in
//!   CampusHub's envelope `{"count", "next", "previous", "results"}`. The `count` is an exact
//!   `count(*)` per page, as page-number pages need; `&count=false` leaves it out (one
//!   statement a page), which is what cursor pages are compared with. Mode `moka` caches each
//!   page's JSON by its query string.
//!
//! Left out on purpose, because they are what the comparison measures the cost of: no
//! authentication or authorization (the load test's bearer token is ignored), no ETags or
//! conditional requests, no `Cache-Control`/`Vary`, no metrics, no request ids, tracing spans,
//! timeouts or compression, no problem+json errors (a bad request is a bare 400), no filters,
//! orderings, search or cursors, no read replicas and no consistency protocol (no tokens,
//! no invalidation: the cache never sees a write), no custom-field definitions.
//!
//! Not published; not a library. Statements are checked at run time (no `query!` macros).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use moka::sync::Cache;
use serde::Serialize;
use serde_json::Value;
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqlitePool, SqlitePoolOptions, SqliteRow};
use sqlx::types::Json;
use sqlx::Row;
use uuid::Uuid;

/// `SELECT` the columns of a student and its department summary (in CampusHub's JSON order)
/// `FROM students s LEFT JOIN departments d`, followed by the literals given.
macro_rules! select {
    ($($tail:literal),*) => {
        concat!("SELECT s.id, s.created_at, s.updated_at, s.version, s.first_name, \
    s.middle_name, s.last_name, s.date_of_birth, s.gender, s.email, s.mobile, s.address_line1, \
    s.address_line2, s.city, s.state, s.postal_code, s.country, s.roll_number, s.department_id, \
    d.code AS department_code, d.name AS department_name, s.program, s.admission_date, \
    s.year_of_study, s.semester, s.section, s.status, s.custom_fields, s.created_by, \
    s.updated_by \
    FROM students s LEFT JOIN departments d ON d.id = s.department_id", $($tail),*)
    };
}

/// A student as CampusHub serializes it.
#[derive(Serialize)]
struct Student {
    id: Uuid,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
    first_name: String,
    middle_name: Option<String>,
    last_name: String,
    date_of_birth: NaiveDate,
    gender: String,
    email: Option<String>,
    mobile: Option<String>,
    address_line1: Option<String>,
    address_line2: Option<String>,
    city: Option<String>,
    state: Option<String>,
    postal_code: Option<String>,
    country: Option<String>,
    roll_number: String,
    department_id: Option<Uuid>,
    department: Option<Department>,
    program: String,
    admission_date: NaiveDate,
    year_of_study: i64,
    semester: i64,
    section: String,
    status: String,
    custom_fields: Value,
    created_by: Option<String>,
    updated_by: Option<String>,
}

/// The embedded department summary.
#[derive(Serialize)]
struct Department {
    id: Uuid,
    code: String,
    name: String,
}

/// The database, Postgres (native types) or SQLite (UUIDs and dates as text, instants as
/// epoch microseconds, JSON as text: CampusHub's SQLite schema).
#[derive(Clone)]
enum Db {
    Pg(PgPool),
    Lite(SqlitePool),
}

impl Db {
    async fn connect(url: &str, pool: u32) -> Result<Db, sqlx::Error> {
        if url.starts_with("sqlite:") {
            let pool = SqlitePoolOptions::new()
                .max_connections(pool)
                .connect(url)
                .await?;
            Ok(Db::Lite(pool))
        } else {
            let pool = PgPoolOptions::new()
                .max_connections(pool)
                .connect(url)
                .await?;
            Ok(Db::Pg(pool))
        }
    }

    async fn student(&self, id: Uuid) -> Result<Option<Student>, sqlx::Error> {
        match self {
            Db::Pg(pool) => {
                let sql = select!(" WHERE s.id = $1");
                let row = sqlx::query(sql).bind(id).fetch_optional(pool).await?;
                row.as_ref().map(pg_student).transpose()
            }
            Db::Lite(pool) => {
                let sql = select!(" WHERE s.id = ?");
                let row = sqlx::query(sql)
                    .bind(id.to_string())
                    .fetch_optional(pool)
                    .await?;
                row.as_ref().map(lite_student).transpose()
            }
        }
    }

    async fn page(&self, limit: i64, offset: i64) -> Result<Vec<Student>, sqlx::Error> {
        match self {
            Db::Pg(pool) => {
                let sql = select!(" ORDER BY s.created_at DESC, s.id DESC LIMIT $1 OFFSET $2");
                let rows = sqlx::query(sql)
                    .bind(limit)
                    .bind(offset)
                    .fetch_all(pool)
                    .await?;
                rows.iter().map(pg_student).collect()
            }
            Db::Lite(pool) => {
                let sql = select!(" ORDER BY s.created_at DESC, s.id DESC LIMIT ? OFFSET ?");
                let rows = sqlx::query(sql)
                    .bind(limit)
                    .bind(offset)
                    .fetch_all(pool)
                    .await?;
                rows.iter().map(lite_student).collect()
            }
        }
    }

    async fn count(&self) -> Result<i64, sqlx::Error> {
        let sql = "SELECT count(*) FROM students";
        match self {
            Db::Pg(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
            Db::Lite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        }
    }
}

fn department(id: Option<Uuid>, code: Option<String>, name: Option<String>) -> Option<Department> {
    match (id, code, name) {
        (Some(id), Some(code), Some(name)) => Some(Department { id, code, name }),
        _ => None,
    }
}

/// Builds a [`Student`] from row `$r` of [`select!`]; `$uuid` and `$instant` decode the
/// columns whose representation differs between Postgres and SQLite.
macro_rules! student_from_row {
    ($r:expr, $uuid:expr, $instant:expr) => {{
        let r = $r;
        let department_id: Option<Uuid> = $uuid(r, "department_id")?;
        Ok(Student {
            id: $uuid(r, "id")?
                .ok_or_else(|| sqlx::Error::Decode("a student without an id".into()))?,
            created_at: $instant(r, "created_at")?,
            updated_at: $instant(r, "updated_at")?,
            version: r.try_get("version")?,
            first_name: r.try_get("first_name")?,
            middle_name: r.try_get("middle_name")?,
            last_name: r.try_get("last_name")?,
            date_of_birth: r.try_get("date_of_birth")?,
            gender: r.try_get("gender")?,
            email: r.try_get("email")?,
            mobile: r.try_get("mobile")?,
            address_line1: r.try_get("address_line1")?,
            address_line2: r.try_get("address_line2")?,
            city: r.try_get("city")?,
            state: r.try_get("state")?,
            postal_code: r.try_get("postal_code")?,
            country: r.try_get("country")?,
            roll_number: r.try_get("roll_number")?,
            department_id,
            department: department(
                department_id,
                r.try_get("department_code")?,
                r.try_get("department_name")?,
            ),
            program: r.try_get("program")?,
            admission_date: r.try_get("admission_date")?,
            year_of_study: r.try_get("year_of_study")?,
            semester: r.try_get("semester")?,
            section: r.try_get("section")?,
            status: r.try_get("status")?,
            custom_fields: r.try_get::<Json<Value>, _>("custom_fields")?.0,
            created_by: r.try_get("created_by")?,
            updated_by: r.try_get("updated_by")?,
        })
    }};
}

fn pg_student(r: &PgRow) -> Result<Student, sqlx::Error> {
    student_from_row!(
        r,
        |r: &PgRow, column: &str| r.try_get::<Option<Uuid>, _>(column),
        |r: &PgRow, column: &str| r.try_get::<DateTime<Utc>, _>(column)
    )
}

/// SQLite stores UUIDs as text and instants as epoch microseconds.
fn lite_student(r: &SqliteRow) -> Result<Student, sqlx::Error> {
    let uuid = |r: &SqliteRow, column: &str| {
        r.try_get::<Option<&str>, _>(column)?
            .map(|text| Uuid::parse_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e))))
            .transpose()
    };
    let instant = |r: &SqliteRow, column: &str| {
        let micros: i64 = r.try_get(column)?;
        DateTime::from_timestamp_micros(micros)
            .ok_or_else(|| sqlx::Error::Decode(format!("instant out of range: {micros}").into()))
    };
    student_from_row!(r, uuid, instant)
}

/// The server's state: the database and, in mode `moka`, the caches of serialized JSON.
struct App {
    db: Db,
    students: Option<Cache<Uuid, Bytes>>,
    pages: Option<Cache<String, Bytes>>,
}

fn json(body: Bytes) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

fn failed(error: impl std::fmt::Display) -> Response {
    eprintln!("campushub-baseline: {error}");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

async fn healthz() -> Response {
    json(Bytes::from_static(br#"{"status":"ok"}"#))
}

async fn retrieve(State(app): State<Arc<App>>, Path(id): Path<Uuid>) -> Response {
    if let Some(body) = app.students.as_ref().and_then(|c| c.get(&id)) {
        return json(body);
    }
    let student = match app.db.student(id).await {
        Ok(Some(student)) => student,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => return failed(e),
    };
    let body = match serde_json::to_vec(&student) {
        Ok(body) => Bytes::from(body),
        Err(e) => return failed(e),
    };
    if let Some(cache) = &app.students {
        cache.insert(id, body.clone());
    }
    json(body)
}

/// The `{"count"?, "next", "previous", "results"}` envelope.
#[derive(Serialize)]
struct Envelope {
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<i64>,
    next: Option<String>,
    previous: Option<String>,
    results: Vec<Student>,
}

async fn list(
    State(app): State<Arc<App>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let number = |name: &str, default: i64| match params.get(name) {
        None => Some(default),
        Some(text) => text.parse::<i64>().ok(),
    };
    let (Some(page), Some(size)) = (number("page", 1), number("page_size", 20)) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    if page < 1 || !(1..=200).contains(&size) {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let counted = params.get("count").map(String::as_str) != Some("false");
    let key = format!("{page}/{size}/{counted}");
    if let Some(body) = app.pages.as_ref().and_then(|c| c.get(&key)) {
        return json(body);
    }
    let offset = (page - 1) * size;
    let results = match app.db.page(size, offset).await {
        Ok(results) => results,
        Err(e) => return failed(e),
    };
    let count = if counted {
        match app.db.count().await {
            Ok(count) => Some(count),
            Err(e) => return failed(e),
        }
    } else {
        None
    };
    let more = match count {
        Some(count) => offset + (results.len() as i64) < count,
        None => results.len() as i64 == size,
    };
    let link = |page: i64| {
        let tail = if counted { "" } else { "&count=false" };
        format!("/api/v1/students?page={page}&page_size={size}{tail}")
    };
    let envelope = Envelope {
        count,
        next: more.then(|| link(page + 1)),
        previous: (page > 1).then(|| link(page - 1)),
        results,
    };
    let body = match serde_json::to_vec(&envelope) {
        Ok(body) => Bytes::from(body),
        Err(e) => return failed(e),
    };
    if let Some(cache) = &app.pages {
        cache.insert(key, body.clone());
    }
    json(body)
}

struct Args {
    database_url: String,
    moka: bool,
    bind: SocketAddr,
    pool: u32,
    capacity: u64,
}

fn usage() -> ! {
    eprintln!(
        "usage: campushub-baseline --database-url URL [--mode moka|sqlx] [--bind ADDR] \
         [--pool N] [--capacity N]"
    );
    std::process::exit(2)
}

fn args() -> Args {
    let mut args = Args {
        database_url: String::new(),
        moka: false,
        bind: SocketAddr::from(([127, 0, 0, 1], 18090)),
        pool: 4,
        capacity: 100_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--database-url" => args.database_url = value,
            "--mode" => {
                args.moka = match value.as_str() {
                    "moka" => true,
                    "sqlx" => false,
                    _ => usage(),
                }
            }
            "--bind" => args.bind = value.parse().unwrap_or_else(|_| usage()),
            "--pool" => args.pool = value.parse().unwrap_or_else(|_| usage()),
            "--capacity" => args.capacity = value.parse().unwrap_or_else(|_| usage()),
            _ => usage(),
        }
    }
    if args.database_url.is_empty() {
        usage()
    }
    args
}

#[tokio::main]
async fn main() {
    let args = args();
    let db = match Db::connect(&args.database_url, args.pool).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("campushub-baseline: cannot connect: {e}");
            std::process::exit(1)
        }
    };
    let app = Arc::new(App {
        db,
        students: args.moka.then(|| Cache::new(args.capacity)),
        pages: args.moka.then(|| Cache::new(10_000)),
    });
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/students", get(list))
        .route("/api/v1/students/{id}", get(retrieve))
        .with_state(app);
    let listener = match tokio::net::TcpListener::bind(args.bind).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("campushub-baseline: cannot bind {}: {e}", args.bind);
            std::process::exit(1)
        }
    };
    if let Err(e) = axum::serve(listener, router).await {
        eprintln!("campushub-baseline: {e}");
        std::process::exit(1)
    }
}
