//! An application's own entity (`Course`) gets a SQL repository on both backends by
//! implementing `SqlEntity` once, and the department summary embedded on read by declaring
//! its relation to departments.

use std::sync::LazyLock;

use campushub_core::query::{Filter, FilterField, FilterValue, Op};
use campushub_core::schema::{join_fields, FieldSpec, FieldType, Ops, META_FIELDS};
use campushub_core::{
    Department, Embed, Embedded, Entity, EntityKind, Error, ListQuery, ReadOptions, ReadRoute,
    RecordMeta, Relation, Repository, Scalar, Schema, ValidationErrors,
};
use campushub_sqlx::{
    Backend, ColType, Column, ForeignKey, SqlEntity, SqlRepository, SqlRow, SqlValue, SqliteStore,
    StatementCounter, UniqueKey,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::support::fixtures::department;
use crate::support::pgdb::TestDb;

/// A course offered by a department.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Course {
    #[serde(flatten)]
    meta: RecordMeta,
    code: String,
    title: String,
    department_id: Option<Uuid>,
    /// The department's summary, attached by the store on read.
    #[serde(default)]
    department: Option<Embedded>,
    credits: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CourseInput {
    code: String,
    title: String,
    department_id: Option<Uuid>,
    credits: i64,
}

/// A course references its department, and reads embed the department's code and name.
const RELATIONS: &[Relation] =
    &[Relation::to::<Department>("department_id")
        .embed(Embed::new("department", &["code", "name"]))];

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| Schema {
    kind: EntityKind::new("course"),
    fields: join_fields(&[
        &META_FIELDS,
        &[
            FieldSpec::new("code", FieldType::Text)
                .filter(Ops::STRING)
                .order(),
            FieldSpec::new("title", FieldType::Text).filter(Ops::STRING),
            FieldSpec::new("department_id", FieldType::Uuid)
                .filter(Ops::EXACT)
                .nullable(),
            FieldSpec::new("credits", FieldType::Int)
                .filter(Ops::ORDERED)
                .order(),
        ],
    ]),
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
    const KIND: EntityKind = EntityKind::new("course");

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
            code: input.code,
            title: input.title,
            department_id: input.department_id,
            department: None,
            credits: input.credits,
        }
    }
    fn to_input(&self) -> CourseInput {
        CourseInput {
            code: self.code.clone(),
            title: self.title.clone(),
            department_id: self.department_id,
            credits: self.credits,
        }
    }
    fn apply_input(&mut self, input: CourseInput, _actor: &str) {
        *self = Course::from_input(input, self.meta.clone(), "");
    }
    fn validate(&self, errors: &mut ValidationErrors) {
        if self.credits < 0 {
            errors.add("credits", "Credits cannot be negative.");
        }
    }
    fn field(&self, name: &str) -> Option<Scalar> {
        if let Some(value) = self.meta.field(name) {
            return value;
        }
        match name {
            "code" => Some(self.code.clone().into()),
            "title" => Some(self.title.clone().into()),
            "department_id" => self.department_id.map(Scalar::Uuid),
            "credits" => Some(self.credits.into()),
            _ => None,
        }
    }
    fn set_embedded(&mut self, field: &str, summary: Option<&Embedded>) {
        if field == "department" {
            self.department = summary.cloned();
        }
    }
}

impl SqlEntity for Course {
    const TABLE: &'static str = "courses";

    fn columns() -> &'static [Column] {
        const COLUMNS: [Column; 4] = [
            Column::new("code", ColType::Text),
            Column::new("title", ColType::Text),
            Column::new("department_id", ColType::Uuid),
            Column::new("credits", ColType::Int),
        ];
        &COLUMNS
    }
    fn values(&self) -> Vec<SqlValue> {
        vec![
            self.code.clone().into(),
            self.title.clone().into(),
            self.department_id.into(),
            self.credits.into(),
        ]
    }
    fn from_row(row: &SqlRow<'_>) -> campushub_sqlx::Result<Self> {
        Ok(Course {
            meta: row.meta()?,
            code: row.text("code")?,
            title: row.text("title")?,
            department_id: row.opt_uuid("department_id")?,
            department: None,
            credits: row.int("credits")?,
        })
    }
    fn unique_keys() -> &'static [UniqueKey] {
        &[UniqueKey {
            constraint: "courses_code_key",
            columns: &["code"],
            field: "code",
        }]
    }
    fn foreign_keys() -> &'static [ForeignKey] {
        &[ForeignKey {
            column: "department_id",
            table: "departments",
        }]
    }
}

const PG_COURSES: &str = r#"CREATE TABLE courses (
    id uuid PRIMARY KEY, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
    version bigint NOT NULL, code text COLLATE "C" NOT NULL CONSTRAINT courses_code_key UNIQUE,
    title text COLLATE "C" NOT NULL, department_id uuid REFERENCES departments (id),
    credits bigint NOT NULL)"#;

const SQLITE_COURSES: &str = r#"CREATE TABLE courses (
    id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL, code TEXT NOT NULL CONSTRAINT courses_code_key UNIQUE,
    title TEXT NOT NULL, department_id TEXT REFERENCES departments (id), credits INTEGER NOT NULL)"#;

fn course(code: &str, department: Option<Uuid>, credits: i64) -> Course {
    let input = CourseInput {
        code: code.into(),
        title: format!("Course {code}"),
        department_id: department,
        credits,
    };
    Course::from_input(input, RecordMeta::new(), "tester")
}

async fn round_trip<B: Backend>(backend: B) {
    let read = ReadOptions::default().on(ReadRoute::Primary);
    let departments = SqlRepository::<Department, B>::new(backend.clone());
    let courses = SqlRepository::<Course, B>::new(backend);
    let cse = department("CSE");
    departments.insert(&cse).await.expect("department");
    let mut algo = course("CS101", Some(cse.meta.id), 4);
    courses.insert(&algo).await.expect("insert");
    courses
        .insert(&course("CS102", None, 2))
        .await
        .expect("insert");

    let (got, counts) = StatementCounter::scope(courses.get(algo.meta.id, &read)).await;
    let got = got.expect("get").expect("found");
    assert_eq!(counts.total(), 1, "the summary is joined");
    let summary = serde_json::json!({"id": cse.meta.id, "code": "CSE", "name": cse.name});
    assert_eq!(
        serde_json::to_value(&got.department).expect("serializes"),
        summary
    );
    assert_eq!(
        (got.code.as_str(), got.credits, got.meta.clone()),
        ("CS101", 4, algo.meta.clone())
    );

    let mut query = ListQuery::new(Course::schema());
    query.filters.push(Filter {
        field: FilterField::Schema(Course::schema().field("credits").expect("credits")),
        op: Op::Gte,
        value: FilterValue::One(3i64.into()),
    });
    let (page, counts) = StatementCounter::scope(courses.list(&query, &read)).await;
    let page = page.expect("list");
    assert_eq!(
        page.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(),
        ["CS101"]
    );
    assert_eq!(counts.total(), 2, "the page, then its departments");
    assert_eq!(
        serde_json::to_value(&page[0].department).expect("serializes"),
        summary
    );
    let everything = courses
        .list(&ListQuery::new(Course::schema()), &read)
        .await
        .expect("list");
    let unattached = everything.iter().find(|c| c.code == "CS102");
    assert_eq!(unattached.map(|c| c.department.is_none()), Some(true));

    let old = algo.meta.version;
    algo.credits = 5;
    algo.meta = algo.meta.next();
    courses.update(&algo, old).await.expect("update");
    let got = courses
        .get(algo.meta.id, &read)
        .await
        .expect("get")
        .expect("found");
    assert_eq!((got.credits, got.meta.version), (5, old + 1));

    let error = courses
        .insert(&course("CS101", None, 1))
        .await
        .expect_err("code taken");
    assert!(
        matches!(&error, Error::Conflict { field, .. } if field == "code"),
        "{error:?}"
    );
    let counts = courses
        .group_counts(&ListQuery::new(Course::schema()), &["credits"], &read)
        .await
        .expect("groups");
    assert_eq!(counts.total, 2);
    assert_eq!(
        counts.groups[0].1,
        vec![(Some(Scalar::Int(2)), 1), (Some(Scalar::Int(5)), 1)]
    );
}

#[tokio::test]
async fn sqlite_course_round_trip() {
    let store = SqliteStore::memory().await.expect("sqlite");
    sqlx::query(SQLITE_COURSES)
        .execute(store.pool())
        .await
        .expect("courses table");
    round_trip(store).await;
}

#[tokio::test]
async fn pg_course_round_trip() {
    let db = TestDb::shared().await;
    let router = db.primary_router().await;
    sqlx::query(PG_COURSES)
        .execute(router.primary_pool())
        .await
        .expect("courses table");
    round_trip(router).await;
}
