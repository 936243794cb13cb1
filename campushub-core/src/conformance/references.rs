//! Cases: references to other records (checked on write, protecting on delete) and the
//! department summary embedded on read.

use uuid::Uuid;

use super::data::{create, department_input, faculty_input, student_input};
use super::support::{assert_conflict, assert_unprocessable, fresh, page, revised, stored};
use super::Fixture;
use crate::entities::{Department, DepartmentSummary, Faculty, Student};

/// A department inserted into the fixture.
async fn department(f: &Fixture, code: &str, name: &str, parent: Option<Uuid>) -> Department {
    let mut input = department_input(code, name);
    input.parent_id = parent;
    let department: Department = create(input);
    f.departments
        .insert(&department)
        .await
        .expect("insert department");
    department
}

/// A student of `department` (if any), not yet inserted.
fn student_of(roll: &str, department: Option<Uuid>) -> Student {
    let mut input = student_input(roll);
    input.department_id = department;
    create(input)
}

fn summary(department: &Department) -> Option<DepartmentSummary> {
    Some(DepartmentSummary {
        id: department.meta.id,
        code: department.code.clone(),
        name: department.name.clone(),
    })
}

/// A student naming a missing department is unprocessable, on `department_id`, on insert
/// and on update.
pub async fn missing_department_is_invalid(f: Fixture) {
    let orphan = student_of("R-1", Some(Uuid::now_v7()));
    assert_unprocessable(f.students.insert(&orphan).await, "department_id");
    let found = f.students.get(orphan.meta.id, &fresh()).await.expect("get");
    assert!(found.is_none(), "a refused insert stores nothing");

    let student = student_of("R-2", None);
    f.students.insert(&student).await.expect("insert");
    let moved = revised(&student, |s| s.department_id = Some(Uuid::now_v7()));
    assert_unprocessable(f.students.update(&moved, 1).await, "department_id");
}

/// A missing parent department is unprocessable, on `parent_id`.
pub async fn missing_parent_department_is_invalid(f: Fixture) {
    let mut input = department_input("SUB", "Sub-department");
    input.parent_id = Some(Uuid::now_v7());
    let child: Department = create(input);
    assert_unprocessable(f.departments.insert(&child).await, "parent_id");
}

/// Deleting a department that students, faculty or other departments reference is a
/// conflict; once nothing references it, it can be deleted.
pub async fn deleting_referenced_department_conflicts(f: Fixture) {
    let cse = department(&f, "CSE", "Computing", None).await;
    let refused = || async { assert_conflict(f.departments.delete(cse.meta.id, 1).await, "id") };

    let student = student_of("R-1", Some(cse.meta.id));
    f.students.insert(&student).await.expect("insert student");
    refused().await;
    f.students
        .delete(student.meta.id, 1)
        .await
        .expect("delete student");

    let mut input = faculty_input("E-1");
    input.department_id = Some(cse.meta.id);
    let member: Faculty = create(input);
    f.faculty.insert(&member).await.expect("insert faculty");
    refused().await;
    f.faculty
        .delete(member.meta.id, 1)
        .await
        .expect("delete faculty");

    let child = department(&f, "AI", "Artificial Intelligence", Some(cse.meta.id)).await;
    refused().await;
    f.departments
        .delete(child.meta.id, 1)
        .await
        .expect("delete child");

    let outcome = f.departments.delete(cse.meta.id, 1).await;
    outcome.expect("nothing references it now");
}

/// `get` attaches the department summary, current as of the read.
pub async fn department_summary_on_get(f: Fixture) {
    let cse = department(&f, "CSE", "Computing", None).await;
    let student = student_of("R-1", Some(cse.meta.id));
    f.students.insert(&student).await.expect("insert");
    let read = stored(&*f.students, student.meta.id).await;
    assert_eq!(read.department, summary(&cse));

    let renamed = revised(&cse, |d| d.name = "Computer Science".into());
    f.departments.update(&renamed, 1).await.expect("rename");
    let read = stored(&*f.students, student.meta.id).await;
    assert_eq!(read.department, summary(&renamed));
}

/// `list`, `get_many` and natural-key lookups attach the department summary to every row
/// (none for rows without a department).
pub async fn department_summary_on_list(f: Fixture) {
    let cse = department(&f, "CSE", "Computing", None).await;
    let with = student_of("R-1", Some(cse.meta.id));
    f.students.insert(&with).await.expect("insert");
    f.students
        .insert(&student_of("R-2", None))
        .await
        .expect("insert");
    let listed = page::<Student>(&*f.students, &[("ordering", "roll_number")], &[], None).await;
    let summaries: Vec<_> = listed.items.iter().map(|s| s.department.clone()).collect();
    assert_eq!(summaries, vec![summary(&cse), None]);
    let many = f
        .students
        .get_many(&[with.meta.id], &fresh())
        .await
        .expect("get_many");
    assert_eq!(
        many.first().and_then(|s| s.department.clone()),
        summary(&cse)
    );
    let keys = ["R-1".to_owned()];
    let found = f
        .students
        .find_by_natural_keys(&keys, &fresh())
        .await
        .expect("find");
    assert_eq!(
        found.first().and_then(|s| s.department.clone()),
        summary(&cse)
    );
}
