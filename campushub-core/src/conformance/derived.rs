//! Cases for a kind made with `#[derive(Entity)]` (and, on SQL stores, `#[derive(SqlEntity)]`
//! with its table created from the description): a store serves an application's derived kind
//! as it serves the built-in ones.
//!
//! A derived type lives in the crate that derives it, so the kind is the caller's: a course of
//! the shape of `examples/custom_entity.rs` (`code`: natural key, filtered, ordered, searched;
//! `title`: searched; `credits`: filtered and ordered; `department_id`: a reference to a
//! department whose code and name reads embed as `department`; `custom_fields`, the values of
//! the custom fields defined for `course`; `audit`, `created_by` and `updated_by`). Invoke
//! [`derived_kind_suite!`](crate::derived_kind_suite) with the type and a fixture.

use std::sync::Arc;

use serde_json::json;
use uuid::Uuid;

use super::data::{create, department_input, ACTOR};
use super::support::{assert_conflict, assert_unprocessable, codec, fresh, ids, revised, stored};
use crate::custom_fields::CustomFieldDef;
use crate::entities::Department;
use crate::entity::Entity;
use crate::query::ListQuery;
use crate::repository::Repository;

/// The repositories one case runs against, from one fresh store.
pub struct DerivedFixture<E: Entity> {
    /// The derived kind's.
    pub courses: Arc<dyn Repository<E>>,
    /// Departments, which courses reference.
    pub departments: Arc<dyn Repository<Department>>,
}

impl<E: Entity> std::fmt::Debug for DerivedFixture<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DerivedFixture").finish_non_exhaustive()
    }
}

/// A course (not inserted) from its input as a client would send it.
fn course<E: Entity>(code: &str, title: &str, credits: i64, department: Option<Uuid>) -> E {
    let input = json!({"code": code, "title": title, "credits": credits,
                       "department_id": department});
    create(serde_json::from_value(input).expect("a course input"))
}

/// Courses inserted, in order.
async fn inserted<E: Entity>(f: &DerivedFixture<E>, rows: &[(&str, &str, i64)]) -> Vec<Uuid> {
    let mut out = Vec::new();
    for (code, title, credits) in rows {
        let record: E = course(code, title, *credits, None);
        f.courses.insert(&record).await.expect("insert course");
        out.push(record.meta().id);
    }
    out
}

/// A derived record round-trips through insert, get, update (version 2) and delete.
pub async fn derived_crud<E: Entity>(f: DerivedFixture<E>) {
    let record: E = course("CS101", "Algorithms", 4, None);
    let id = record.meta().id;
    f.courses.insert(&record).await.expect("insert");
    let read = stored(&*f.courses, id).await;
    assert_eq!(json!(read), json!(record), "read back as written");

    let mut input = json!(record.to_input());
    input["title"] = json!("Advanced Algorithms");
    let input: E::Create = serde_json::from_value(input).expect("an input");
    let changed = revised(&record, |c| c.apply_input(input, "editor"));
    f.courses.update(&changed, 1).await.expect("update");
    let read = stored(&*f.courses, id).await;
    assert_eq!(read.meta().version, 2);
    assert_eq!(json!(read)["title"], "Advanced Algorithms");

    f.courses.delete(id, 2).await.expect("delete");
    assert!(f.courses.get(id, &fresh()).await.expect("get").is_none());
}

/// The natural key is unique: a second course with the same code conflicts on `code`, and
/// the first is found by its key.
pub async fn derived_natural_key_is_unique<E: Entity>(f: DerivedFixture<E>) {
    let first = inserted(&f, &[("CS101", "Algorithms", 4)]).await;
    let clash: E = course("CS101", "Another", 3, None);
    assert_conflict(f.courses.insert(&clash).await, "code");
    assert_eq!(clash.natural_key().as_deref(), Some("CS101"));
    let found = ids(&*f.courses, &[("code", "CS101")], &[]).await;
    assert_eq!(found, first);
}

/// Declared filters, orderings and search fields work; undeclared ones are refused.
pub async fn derived_filters_order_and_search<E: Entity>(f: DerivedFixture<E>) {
    let rows = [
        ("CS101", "Algorithms", 4),
        ("CS102", "Databases", 3),
        ("MA101", "Linear Algebra", 2),
    ];
    let id = inserted(&f, &rows).await;
    let by = |params: &'static [(&'static str, &'static str)]| {
        let courses = Arc::clone(&f.courses);
        async move { ids(&*courses, params, &[]).await }
    };
    assert_eq!(
        by(&[("credits__gte", "3"), ("ordering", "-credits")]).await,
        [id[0], id[1]]
    );
    assert_eq!(
        by(&[("code__startswith", "CS"), ("ordering", "-code")]).await,
        [id[1], id[0]]
    );
    assert_eq!(by(&[("search", "ALGEB")]).await, [id[2]]);
    assert_eq!(by(&[("search", "ma1")]).await, [id[2]]);
    assert_eq!(
        by(&[("department_id__isnull", "true"), ("ordering", "credits")]).await,
        [id[2], id[1], id[0]]
    );
    for undeclared in [("title__gte", "A"), ("ordering", "title")] {
        let parsed = ListQuery::parse(E::schema(), [undeclared], &[], &codec());
        assert!(parsed.is_err(), "{undeclared:?} is not declared");
    }
}

/// A reference to a missing department is unprocessable on `department_id`; an existing
/// one is embedded (code and name) on read, and protects the department from deletion.
pub async fn derived_reference_is_checked_and_embedded<E: Entity>(f: DerivedFixture<E>) {
    let missing: E = course("CS101", "Algorithms", 4, Some(Uuid::now_v7()));
    assert_unprocessable(f.courses.insert(&missing).await, "department_id");

    let department: Department = create(department_input("CSE", "Computing"));
    f.departments.insert(&department).await.expect("department");
    let record: E = course("CS101", "Algorithms", 4, Some(department.meta.id));
    f.courses.insert(&record).await.expect("insert");
    let read = json!(stored(&*f.courses, record.meta().id).await);
    let expected = json!({"id": department.meta.id, "code": "CSE", "name": "Computing"});
    assert_eq!(read["department"], expected);
    let department_id = department.meta.id.to_string();
    let listed = ids(&*f.courses, &[("department_id", &department_id)], &[]).await;
    assert_eq!(listed, [record.meta().id]);
    assert_conflict(f.departments.delete(department.meta.id, 1).await, "id");
}

/// The audit block and the custom-field values are stored: `created_by` is the creating actor
/// and stays, `updated_by` follows each write, and the custom values read back as written and
/// filter with `cf.` parameters under the kind's definitions.
pub async fn derived_audit_and_custom_fields<E: Entity>(f: DerivedFixture<E>) {
    let input = json!({"code": "CS101", "title": "Algorithms", "credits": 4,
                       "custom_fields": {"room": "B12", "lab": true}});
    let record: E = create(serde_json::from_value(input).expect("a course input"));
    f.courses.insert(&record).await.expect("insert");
    inserted(&f, &[("MA101", "Linear Algebra", 2)]).await;
    let id = record.meta().id;
    let read = json!(stored(&*f.courses, id).await);
    assert_eq!(
        (&read["created_by"], &read["updated_by"]),
        (&json!(ACTOR), &json!(ACTOR))
    );
    assert_eq!(read["custom_fields"], json!({"room": "B12", "lab": true}));
    let definition = json!({"entity": "course", "name": "room", "field_type": "text"});
    let definitions: Vec<CustomFieldDef> = vec![create(
        serde_json::from_value(definition).expect("a definition input"),
    )];
    assert_eq!(
        ids(&*f.courses, &[("cf.room", "B12")], &definitions).await,
        [id]
    );

    let mut input = json!(record.to_input());
    input["custom_fields"] = json!({"room": "C3"});
    let input: E::Create = serde_json::from_value(input).expect("an input");
    let changed = revised(&record, |c| c.apply_input(input, "editor"));
    f.courses.update(&changed, 1).await.expect("update");
    let read = json!(stored(&*f.courses, id).await);
    assert_eq!(
        (&read["created_by"], &read["updated_by"]),
        (&json!(ACTOR), &json!("editor"))
    );
    assert_eq!(read["custom_fields"], json!({"room": "C3"}));
    assert!(ids(&*f.courses, &[("cf.room", "B12")], &definitions)
        .await
        .is_empty());
}

/// Expands to one `#[tokio::test]` per derived-kind case, for kind `$kind`, each awaiting
/// `$fixture` (a future of a fresh [`DerivedFixture`]).
#[macro_export]
macro_rules! derived_kind_suite {
    ($kind:ty, $fixture:expr) => {
        $crate::derived_kind_suite!(@cases $kind, $fixture;
            derived_crud,
            derived_natural_key_is_unique,
            derived_filters_order_and_search,
            derived_reference_is_checked_and_embedded,
            derived_audit_and_custom_fields,
        );
    };
    (@cases $kind:ty, $fixture:expr; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let fixture = $fixture.await;
                $crate::conformance::derived::$case::<$kind>(fixture).await;
            }
        )+
    };
}
