//! Cases: every unique field of every kind is a conflict naming the field.

use super::data::{create, custom_field_input, department_input, faculty_input, student_input};
use super::support::{assert_conflict, fresh, insert_all, revised, stored};
use super::Fixture;
use crate::custom_fields::CustomFieldType;
use crate::entities::Student;
use crate::entity::Entity;
use crate::kind::EntityKind;
use crate::repository::Repository;

/// Inserts `first`, then expects `second` to conflict on `field` and leave no trace.
async fn clash<E: Entity>(repo: &dyn Repository<E>, first: E, second: E, field: &str) {
    repo.insert(&first).await.expect("first insert");
    assert_conflict(repo.insert(&second).await, field);
    let stored = repo.get(second.meta().id, &fresh()).await.expect("get");
    assert!(stored.is_none(), "a refused insert stores nothing");
}

/// Two departments cannot share a code.
pub async fn department_code_is_unique(f: Fixture) {
    let a = create(department_input("CSE", "Computing"));
    let b = create(department_input("CSE", "Cybernetics"));
    clash(&*f.departments, a, b, "code").await;
}

/// Two departments cannot share a name.
pub async fn department_name_is_unique(f: Fixture) {
    let a = create(department_input("CSE", "Computing"));
    let b = create(department_input("CS", "Computing"));
    clash(&*f.departments, a, b, "name").await;
}

/// Two students cannot share a roll number.
pub async fn student_roll_number_is_unique(f: Fixture) {
    let a = create(student_input("R-1"));
    let b = create(student_input("R-1"));
    clash(&*f.students, a, b, "roll_number").await;
}

/// Two students cannot share an email (compared in its stored, lowercase form).
pub async fn student_email_is_unique(f: Fixture) {
    let mut a = student_input("R-1");
    a.person.email = Some("ada@uni.example".into());
    let mut b = student_input("R-2");
    b.person.email = Some("ADA@uni.example".into());
    clash(&*f.students, create(a), create(b), "email").await;
}

/// Two faculty members cannot share an employee id.
pub async fn faculty_employee_id_is_unique(f: Fixture) {
    let a = create(faculty_input("E-1"));
    let b = create(faculty_input("E-1"));
    clash(&*f.faculty, a, b, "employee_id").await;
}

/// Two faculty members cannot share an email.
pub async fn faculty_email_is_unique(f: Fixture) {
    let mut a = faculty_input("E-1");
    a.person.email = Some("prof@uni.example".into());
    let mut b = faculty_input("E-2");
    b.person.email = Some("prof@uni.example".into());
    clash(&*f.faculty, create(a), create(b), "email").await;
}

/// A custom-field name is unique per kind, and may repeat across kinds.
pub async fn custom_field_name_is_unique_per_kind(f: Fixture) {
    let text = CustomFieldType::Text;
    let a = create(custom_field_input(
        EntityKind::STUDENT,
        "nickname",
        text,
        &[],
    ));
    let b = create(custom_field_input(
        EntityKind::STUDENT,
        "nickname",
        text,
        &[],
    ));
    let other_kind = create(custom_field_input(
        EntityKind::FACULTY,
        "nickname",
        text,
        &[],
    ));
    clash(&*f.custom_fields, a, b, "name").await;
    f.custom_fields
        .insert(&other_kind)
        .await
        .expect("the same name on another kind is allowed");
}

/// Updating a record to another record's unique value conflicts and changes nothing.
pub async fn update_into_taken_value_conflicts(f: Fixture) {
    let a = create(student_input("R-1"));
    let b: Student = create(student_input("R-2"));
    insert_all(&*f.students, vec![a, b.clone()]).await;
    let changed = revised(&b, |s| s.roll_number = "R-1".into());
    assert_conflict(f.students.update(&changed, 1).await, "roll_number");
    let kept = stored(&*f.students, b.meta.id).await;
    assert_eq!((kept.roll_number.as_str(), kept.meta.version), ("R-2", 1));
}

/// A unique value freed by an update or a delete can be taken again; a record may keep its
/// own value across updates.
pub async fn freed_unique_values_can_be_reused(f: Fixture) {
    let a = create(department_input("OLD", "Old Name"));
    f.departments.insert(&a).await.expect("insert");
    let renamed = revised(&a, |d| d.code = "NEW".into());
    let updated = f.departments.update(&renamed, 1).await;
    updated.expect("a record keeps its own name");
    let reuse = create(department_input("OLD", "Another"));
    f.departments
        .insert(&reuse)
        .await
        .expect("a freed code is reusable");
    f.departments.delete(a.meta.id, 2).await.expect("delete");
    let again = create(department_input("NEW", "Old Name"));
    let inserted = f.departments.insert(&again).await;
    inserted.expect("a deleted record's values are free");
}
