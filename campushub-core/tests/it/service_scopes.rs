//! Row and field scopes in the service: the `student` role's own record, the faculty
//! department scope, an application's scope, personal fields hidden (through the cache too)
//! and queries on them refused.
#![cfg(feature = "memory")]

use std::sync::Arc;

use campushub_core::scope::{RecordLinks, RowScope};
use campushub_core::{
    Action, CacheKey, Entity, EntityKind, EntityService, Error, Policy, Principal, ReadOptions,
    Role, RolePolicy, Student,
};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::support::service::{
    admin, definition_body, registrar, student_body, with, with_role, Campus,
};

/// The personal members of a student's JSON.
const PERSONAL: [&str; 5] = [
    "date_of_birth",
    "email",
    "mobile",
    "address_line1",
    "address_line2",
];

fn student_of(id: Uuid) -> Principal {
    Principal::new("s-user", [Role::STUDENT]).with_links(RecordLinks {
        student_id: Some(id),
        ..RecordLinks::default()
    })
}

fn faculty_of(department: Option<Uuid>) -> Principal {
    Principal::new("f-user", [Role::FACULTY]).with_links(RecordLinks {
        department_id: department,
        ..RecordLinks::default()
    })
}

/// A student body with every personal field set.
fn personal_body(roll: &str) -> Value {
    let body = with(
        student_body(roll),
        "email",
        json!(format!("{roll}@uni.example")),
    );
    let body = with(body, "mobile", json!("+919876543210"));
    let body = with(body, "address_line1", json!("1 Main Road"));
    with(body, "address_line2", json!("Flat 2"))
}

fn object(json: &[u8]) -> serde_json::Map<String, Value> {
    let value: Value = serde_json::from_slice(json).expect("JSON");
    value.as_object().cloned().expect("an object")
}

fn rows(json: &[u8]) -> Vec<serde_json::Map<String, Value>> {
    let value: Value = serde_json::from_slice(json).expect("JSON");
    let rows = value.as_array().cloned().expect("an array");
    rows.into_iter()
        .map(|row| row.as_object().cloned().expect("a row object"))
        .collect()
}

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn a_student_reads_only_its_own_record() {
    let campus = Campus::new();
    let own = campus.student_from(personal_body("S1")).await;
    let other = campus.student("S2").await;
    let me = student_of(own.meta.id);
    let read = ReadOptions::default();

    let listed = campus.students.list(&me, &[], &read).await.expect("list");
    let listed = rows(listed.results.json());
    assert_eq!(listed.len(), 1, "one row: its own");
    assert_eq!(listed[0]["id"], json!(own.meta.id));
    for field in PERSONAL {
        assert!(listed[0].contains_key(field), "its own {field} is shown");
    }

    let fetched = campus.students.retrieve(&me, own.meta.id, &read).await;
    assert_eq!(
        fetched.expect("own record").value().expect("whole").meta.id,
        own.meta.id
    );
    let hidden = campus.students.retrieve(&me, other.meta.id, &read).await;
    let missing = campus.students.retrieve(&me, Uuid::new_v4(), &read).await;
    for outcome in [hidden, missing] {
        assert!(
            matches!(outcome, Err(Error::NotFound { .. })),
            "{outcome:?}"
        );
    }
    let stats = campus.students.statistics(&me, &[], &read).await;
    assert!(matches!(stats, Err(Error::Forbidden(_))), "{stats:?}");
    let faculty = campus.faculty.list(&me, &[], &read).await;
    assert!(matches!(faculty, Err(Error::Forbidden(_))), "{faculty:?}");
}

#[tokio::test]
async fn a_student_without_a_linked_record_reaches_nothing() {
    let campus = Campus::new();
    let someone = campus.student("S1").await;
    let unlinked = with_role(Role::STUDENT);
    let read = ReadOptions::default();
    let listed = campus
        .students
        .list(&unlinked, &[], &read)
        .await
        .expect("list");
    assert!(rows(listed.results.json()).is_empty());
    let outcome = campus
        .students
        .retrieve(&unlinked, someone.meta.id, &read)
        .await;
    assert!(
        matches!(outcome, Err(Error::NotFound { .. })),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn the_cache_never_serves_personal_fields_to_a_faculty_member() {
    let campus = Campus::new();
    let student = campus.student_from(personal_body("S1")).await;
    let id = student.meta.id;
    let read = ReadOptions::default();
    let key = CacheKey::Entity {
        kind: EntityKind::STUDENT,
        id,
    };

    let full = campus
        .students
        .retrieve(&admin(), id, &read)
        .await
        .expect("admin");
    assert!(
        campus.cache.holds(&key),
        "the admin's read filled the cache"
    );
    let full = object(full.json());
    let hits = campus.cache.hits();

    let faculty = faculty_of(None);
    let redacted = campus
        .students
        .retrieve(&faculty, id, &read)
        .await
        .expect("faculty");
    assert_eq!(
        campus.cache.hits(),
        hits + 1,
        "the faculty read was a cache hit"
    );
    let redacted = object(redacted.json());
    for field in PERSONAL {
        assert!(full.contains_key(field), "the admin sees {field}");
        assert!(
            !redacted.contains_key(field),
            "the faculty member sees {field}"
        );
    }
    assert_eq!(redacted["roll_number"], json!("S1"));
    assert_eq!(redacted["id"], json!(id));

    // And the admin's next read is still whole: redaction did not touch the entry.
    let again = campus
        .students
        .retrieve(&admin(), id, &read)
        .await
        .expect("admin");
    assert_eq!(object(again.json()), full);
    let registrar = campus.students.retrieve(&registrar(), id, &read).await;
    assert_eq!(object(registrar.expect("registrar").json()), full);
}

#[tokio::test]
async fn list_pages_cached_or_not_hide_personal_fields_from_faculty() {
    let campus = Campus::new();
    campus.student_from(personal_body("S1")).await;
    campus.student_from(personal_body("S2")).await;
    let read = ReadOptions::default();
    let faculty = faculty_of(None);
    // Uncached first (the faculty read fills the entry), then cached after an admin's read.
    for caller in [faculty.clone(), admin(), faculty] {
        let listed = campus
            .students
            .list(&caller, &[], &read)
            .await
            .expect("list");
        let rows = rows(listed.results.json());
        assert_eq!(rows.len(), 2);
        let personal = caller.has_role(&Role::ADMIN);
        for row in rows {
            for field in PERSONAL {
                assert_eq!(row.contains_key(field), personal, "{field} for {caller:?}");
            }
        }
    }
    assert!(campus.cache.hits() >= 2, "the later lists were cache hits");
}

#[tokio::test]
async fn queries_on_personal_fields_are_refused_naming_the_parameter() {
    let campus = Campus::new();
    campus.student_from(personal_body("S1")).await;
    let read = ReadOptions::default();
    let faculty = faculty_of(None);
    for (key, value) in [
        ("date_of_birth__lt", "2005-01-01"),
        ("email", "s1@uni.example"),
        ("email__icontains", "uni"),
        ("ordering", "last_name,-date_of_birth"),
        ("search", "Asha"),
    ] {
        let outcome = campus
            .students
            .list(&faculty, &params(&[(key, value)]), &read)
            .await;
        let errors = outcome.expect_err(key).validation_errors().cloned();
        assert!(errors.is_some_and(|e| e.contains(key)), "{key} is named");
        // The same filters are fine for an admin (statistics refuse ordering by name).
        if !matches!(key, "ordering") {
            let given = params(&[(key, value)]);
            let stats = campus.students.statistics(&admin(), &given, &read).await;
            stats.expect("an admin filters on anything");
        }
    }
    // Visible fields still filter and order.
    let ok = params(&[("last_name__icontains", "rao"), ("ordering", "last_name")]);
    let listed = campus
        .students
        .list(&faculty, &ok, &read)
        .await
        .expect("visible");
    assert_eq!(rows(listed.results.json()).len(), 1);
}

#[tokio::test]
async fn sensitive_custom_fields_are_hidden_and_not_filterable() {
    let campus = Campus::new();
    let sensitive = with(
        definition_body("student", "health_notes", "text"),
        "sensitive",
        json!(true),
    );
    assert!(campus.define(sensitive).await.sensitive);
    campus
        .define(definition_body("student", "nickname", "text"))
        .await;
    let body = with(
        student_body("S1"),
        "custom_fields",
        json!({"health_notes": "asthma", "nickname": "Ash"}),
    );
    let student = campus.student_from(body).await;
    let read = ReadOptions::default();
    let faculty = faculty_of(None);

    let fetched = campus
        .students
        .retrieve(&faculty, student.meta.id, &read)
        .await;
    let custom = object(fetched.expect("faculty").json())["custom_fields"].clone();
    assert_eq!(custom, json!({"nickname": "Ash"}));
    let refused = params(&[("cf.health_notes__icontains", "asth")]);
    let outcome = campus.students.list(&faculty, &refused, &read).await;
    let errors = outcome.expect_err("refused").validation_errors().cloned();
    assert!(errors.is_some_and(|e| e.contains("cf.health_notes__icontains")));
    let allowed = params(&[("cf.nickname", "Ash")]);
    let listed = campus
        .students
        .list(&faculty, &allowed, &read)
        .await
        .expect("visible");
    assert_eq!(rows(listed.results.json()).len(), 1);
    let full = campus
        .students
        .retrieve(&admin(), student.meta.id, &read)
        .await;
    let custom = object(full.expect("admin").json())["custom_fields"].clone();
    assert_eq!(custom["health_notes"], json!("asthma"));
}

/// The student service of `campus` under `policy`, sharing its store and cache.
fn students_under(campus: &Campus, policy: RolePolicy) -> EntityService<Student> {
    EntityService::builder(Arc::new(campus.store.repository::<Student>()))
        .cache(campus.cache.clone())
        .policy(Arc::new(policy))
        .cursor_key("test")
        .build()
}

#[tokio::test]
async fn faculty_can_be_limited_to_their_department() {
    let campus = Campus::new();
    let cse = campus.department("CSE").await.meta.id;
    let eee = campus.department("EEE").await.meta.id;
    let ours = with(student_body("S1"), "department_id", json!(cse));
    let ours = campus.student_from(ours).await;
    let theirs = with(student_body("S2"), "department_id", json!(eee));
    let theirs = campus.student_from(theirs).await;
    let students = students_under(&campus, RolePolicy::defaults().faculty_department_scope());
    let read = ReadOptions::default();
    let member = faculty_of(Some(cse));

    let listed = students.list(&member, &[], &read).await.expect("list");
    let listed = rows(listed.results.json());
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], json!(ours.meta.id));
    students
        .retrieve(&member, ours.meta.id, &read)
        .await
        .expect("own department");
    let outcome = students.retrieve(&member, theirs.meta.id, &read).await;
    assert!(
        matches!(outcome, Err(Error::NotFound { .. })),
        "{outcome:?}"
    );
    let unlinked = students
        .list(&faculty_of(None), &[], &read)
        .await
        .expect("list");
    assert!(
        rows(unlinked.results.json()).is_empty(),
        "no department: no student"
    );
    // The default policy leaves faculty unscoped.
    let everyone = campus
        .students
        .list(&member, &[], &read)
        .await
        .expect("list");
    assert_eq!(rows(everyone.results.json()).len(), 2);
}

#[tokio::test]
async fn an_application_scope_limits_reads_and_writes() {
    let campus = Campus::new();
    let mine = campus.student("S1").await;
    let other = campus.student("S2").await;
    let mentor = Role::new("mentor");
    let mentee = mine.meta.id;
    let policy = RolePolicy::defaults()
        .grant(mentor.clone(), EntityKind::STUDENT, Action::READ)
        .grant(mentor.clone(), EntityKind::STUDENT, &[Action::Update])
        .grant(mentor.clone(), EntityKind::STUDENT, &[Action::Create])
        .scope(
            mentor.clone(),
            EntityKind::STUDENT,
            move |_: &Principal, _| RowScope::field_is("id", Some(mentee)),
        );
    let students = students_under(&campus, policy);
    let principal = Principal::new("m-user", [mentor]);
    let read = ReadOptions::default();

    let patch = |name: &str| {
        let Value::Object(patch) = json!({"first_name": name}) else {
            unreachable!("an object literal")
        };
        patch
    };
    let written = students
        .partial_update(&principal, mine.meta.id, patch("Mina"), None)
        .await
        .expect("inside the scope");
    let shown = object(
        &students
            .present(&principal, &written.record)
            .await
            .expect("json"),
    );
    assert_eq!(shown["first_name"], json!("Mina"));
    assert!(
        !shown.contains_key("date_of_birth"),
        "a write answers no more than a read"
    );
    let outcome = students
        .partial_update(&principal, other.meta.id, patch("X"), None)
        .await;
    assert!(
        matches!(outcome, Err(Error::NotFound { .. })),
        "{outcome:?}"
    );
    let outcome = students.create_json(&principal, student_body("S3")).await;
    assert!(matches!(outcome, Err(Error::Forbidden(_))), "{outcome:?}");
    let bulk = students
        .bulk_delete(
            &principal,
            vec!["S2".to_owned()],
            campushub_core::BatchMode::EachRow,
        )
        .await;
    assert!(matches!(bulk, Err(Error::Forbidden(_))), "{bulk:?}");
    let listed = students.list(&principal, &[], &read).await.expect("list");
    assert_eq!(rows(listed.results.json()).len(), 1);
}

#[test]
fn the_personal_fields_of_students_are_the_documented_ones() {
    let declared: Vec<&str> = Student::schema().personal_fields().collect();
    let mut sorted = declared.clone();
    sorted.sort_unstable();
    let mut documented = PERSONAL.to_vec();
    documented.sort_unstable();
    assert_eq!(sorted, documented);
}

#[test]
fn the_default_policy_scopes_and_grants_personal_fields_as_documented() {
    let policy = RolePolicy::defaults();
    let id = Uuid::new_v4();
    let student = student_of(id);
    let kind = EntityKind::STUDENT;
    assert_eq!(
        policy.row_scope(&student, kind, Action::List),
        RowScope::field_is("id", Some(id))
    );
    assert!(policy.sees_personal(&student, kind));
    assert!(!policy.sees_personal(&student, EntityKind::FACULTY));
    assert!(!policy.sees_personal(&faculty_of(None), kind));
    assert!(policy.sees_personal(&registrar(), kind));
    assert!(policy.sees_personal(&admin(), EntityKind::new("course")));
    assert_eq!(
        policy.row_scope(&admin(), kind, Action::List),
        RowScope::All
    );
    // A role granted the action without a scope widens; one granted something else does not.
    let both = Principal::new("x", [Role::STUDENT, Role::FACULTY]);
    assert_eq!(policy.row_scope(&both, kind, Action::List), RowScope::All);
    let counted = Principal::new("y", [Role::STUDENT, Role::ANALYST]);
    assert_eq!(
        policy.row_scope(&counted, kind, Action::List),
        RowScope::Nothing,
        "the analyst's statistics do not widen the student's list"
    );
    assert_eq!(
        policy.row_scope(&counted, kind, Action::Statistics),
        RowScope::All
    );
}
