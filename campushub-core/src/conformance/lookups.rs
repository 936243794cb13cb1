//! Cases: lookups by natural key and by many ids, and grouped counts.

use uuid::Uuid;

use super::seed::people;
use super::support::{fresh, ids_of, sorted};
use super::Fixture;
use crate::entities::Student;
use crate::entity::Entity;
use crate::query::ListQuery;
use crate::value::Scalar;

/// `find_by_natural_keys` returns the records whose keys are listed, ignoring unknown keys.
pub async fn natural_key_lookups(f: Fixture) {
    let p = people(&f).await;
    let keys = ["CS002".to_owned(), "ME006".to_owned(), "NOPE".to_owned()];
    let found = f
        .students
        .find_by_natural_keys(&keys, &fresh())
        .await
        .expect("find");
    let found: Vec<Uuid> = found.iter().map(|s| s.meta.id).collect();
    assert_eq!(sorted(found), sorted(ids_of(&p.at(&[1, 5]))));
    let one = f
        .departments
        .find_by_natural_key("EE", &fresh())
        .await
        .expect("find");
    assert_eq!(one.map(|d| d.meta.id), Some(p.ee.meta.id));
    let none = f
        .departments
        .find_by_natural_key("XX", &fresh())
        .await
        .expect("find");
    assert!(none.is_none());
}

/// `get_many` returns the existing records among the ids in one call.
pub async fn get_many_returns_existing(f: Fixture) {
    let p = people(&f).await;
    let wanted = [p.students[0].meta.id, p.students[3].meta.id, Uuid::now_v7()];
    let found = f
        .students
        .get_many(&wanted, &fresh())
        .await
        .expect("get_many");
    let found: Vec<Uuid> = found.iter().map(|s| s.meta.id).collect();
    assert_eq!(sorted(found), sorted(ids_of(&p.at(&[0, 3]))));
    let nothing = f.students.get_many(&[], &fresh()).await.expect("get_many");
    assert!(nothing.is_empty());
}

/// `group_counts` counts matching rows per value, largest count first then by value, with
/// nulls as `None`.
pub async fn group_counts_by_field(f: Fixture) {
    let p = people(&f).await;
    let all = ListQuery::new(Student::schema());
    let counts = f
        .students
        .group_counts(&all, &["status", "department_id"], &fresh())
        .await
        .expect("group_counts");
    assert_eq!(counts.total, 6);
    let text = |s: &str| Some(Scalar::Text(s.to_owned()));
    let status = vec![
        (text("ACTIVE"), 3),
        (text("DROPPED"), 1),
        (text("GRADUATED"), 1),
        (text("SUSPENDED"), 1),
    ];
    assert_eq!(counts.groups.first(), Some(&("status", status)));
    let (field, departments) = counts.groups.get(1).expect("a second group");
    assert_eq!(*field, "department_id");
    let mut got: Vec<(Option<Scalar>, u64)> = departments.clone();
    got.sort_by_key(|(value, _)| format!("{value:?}"));
    let mut want = vec![
        (Some(Scalar::Uuid(p.cse.meta.id)), 2),
        (Some(Scalar::Uuid(p.ee.meta.id)), 2),
        (None, 2),
    ];
    want.sort_by_key(|(value, _)| format!("{value:?}"));
    assert_eq!(got, want);
}

/// `group_counts` honours the query's filters.
pub async fn group_counts_honour_filters(f: Fixture) {
    let _people = people(&f).await;
    let women =
        ListQuery::parse_filters(Student::schema(), [("gender", "F")], &[]).expect("valid filters");
    let counts = f
        .students
        .group_counts(&women, &["year_of_study"], &fresh())
        .await
        .expect("group_counts");
    assert_eq!(counts.total, 3);
    let years = vec![
        (Some(Scalar::Int(1)), 1),
        (Some(Scalar::Int(3)), 1),
        (Some(Scalar::Int(5)), 1),
    ];
    assert_eq!(counts.groups, vec![("year_of_study", years)]);
}
