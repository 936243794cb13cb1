//! Cases: optimistic concurrency (stale writes are refused, 412) and consistency tokens.

use super::data::{create, department_input, student_input};
use super::support::{assert_stale, revised, stored};
use super::Fixture;

/// An update naming a stale version is `PreconditionFailed` and changes nothing.
pub async fn stale_update_is_precondition_failed(f: Fixture) {
    let record = create(student_input("R-1"));
    f.students.insert(&record).await.expect("insert");
    let first = revised(&record, |s| s.year_of_study = 2);
    f.students.update(&first, 1).await.expect("first update");
    let late = revised(&record, |s| s.year_of_study = 3);
    assert_stale(f.students.update(&late, 1).await, 1, 2);
    let kept = stored(&*f.students, record.meta.id).await;
    assert_eq!((kept.year_of_study, kept.meta.version), (2, 2));
}

/// A delete naming a stale version is `PreconditionFailed` and keeps the record.
pub async fn stale_delete_is_precondition_failed(f: Fixture) {
    let record = create(department_input("CSE", "Computing"));
    f.departments.insert(&record).await.expect("insert");
    let renamed = revised(&record, |d| d.name = "Computer Science".into());
    f.departments.update(&renamed, 1).await.expect("update");
    assert_stale(f.departments.delete(record.meta.id, 1).await, 1, 2);
    assert_eq!(
        stored(&*f.departments, record.meta.id).await.meta.version,
        2
    );
}

/// Each update moves the version on by one; the previous version is stale from then on.
pub async fn versions_advance_on_every_update(f: Fixture) {
    let mut record = create(student_input("R-1"));
    f.students.insert(&record).await.expect("insert");
    for expected in 1..=3 {
        let next = revised(&record, |s| s.semester += 1);
        f.students.update(&next, expected).await.expect("update");
        record = next;
    }
    let kept = stored(&*f.students, record.meta.id).await;
    assert_eq!((kept.meta.version, kept.semester), (4, 4));
    assert_stale(f.students.delete(record.meta.id, 3).await, 3, 4);
}

/// Every committed write returns a consistency token, each later than the one before.
pub async fn tokens_increase_on_every_write(f: Fixture) {
    let record = create(department_input("CSE", "Computing"));
    let inserted = f.departments.insert(&record).await.expect("insert").token;
    let renamed = revised(&record, |d| d.name = "Computer Science".into());
    let updated = f
        .departments
        .update(&renamed, 1)
        .await
        .expect("update")
        .token;
    let other = create(student_input("R-1"));
    let elsewhere = f.students.insert(&other).await.expect("insert").token;
    let deleted = f
        .departments
        .delete(record.meta.id, 2)
        .await
        .expect("delete")
        .token;
    let tokens = [inserted, updated, elsewhere, deleted];
    assert!(tokens.iter().all(Option::is_some), "{tokens:?}");
    assert!(tokens.windows(2).all(|w| w[0] < w[1]), "{tokens:?}");
}
