//! Cases: user accounts: stored and read back, emails unique whatever their case, linked
//! records checked to exist and kept while an account links them.

use serde_json::json;
use uuid::Uuid;

use super::data::{create, student_input};
use super::support::{assert_conflict, assert_unprocessable, fresh, revised, stored};
use super::Fixture;
use crate::entities::{User, UserInput};

/// A user account with `email`.
pub fn user_input(email: &str) -> UserInput {
    UserInput {
        email: email.to_owned(),
        display_name: format!("User {email}"),
        roles: vec!["registrar".into()],
        student_id: None,
        faculty_id: None,
        is_active: true,
    }
}

/// A user round-trips with its roles and flags, and is found by its email.
pub async fn user_crud(f: Fixture) {
    let user: User = create(user_input("Ada@Uni.Example"));
    f.users.insert(&user).await.expect("insert");
    let read = stored(&*f.users, user.meta.id).await;
    assert_eq!(json!(read), json!(user));
    assert_eq!(read.roles, vec!["registrar".to_owned()]);
    let found = f
        .users
        .find_by_natural_key("ada@uni.example", &fresh())
        .await
        .expect("find");
    assert_eq!(found.map(|u| u.meta.id), Some(user.meta.id));

    let changed = revised(&user, |u| {
        u.roles = vec!["admin".into(), "faculty".into()];
        u.is_active = false;
    });
    f.users.update(&changed, 1).await.expect("update");
    let read = stored(&*f.users, user.meta.id).await;
    assert_eq!(read.roles, vec!["admin".to_owned(), "faculty".to_owned()]);
    assert!(!read.is_active);
    f.users.delete(user.meta.id, 2).await.expect("delete");
    assert!(f
        .users
        .get(user.meta.id, &fresh())
        .await
        .expect("get")
        .is_none());
}

/// Two accounts cannot share an email, whatever its case.
pub async fn user_email_is_unique_case_insensitively(f: Fixture) {
    let first: User = create(user_input("ada@uni.example"));
    f.users.insert(&first).await.expect("first insert");
    let second: User = create(user_input("ADA@Uni.Example"));
    assert_conflict(f.users.insert(&second).await, "email");
}

/// A linked student must exist, and a linked student cannot be deleted while linked.
pub async fn user_linked_record_must_exist(f: Fixture) {
    let mut input = user_input("s@uni.example");
    input.student_id = Some(Uuid::now_v7());
    let orphan: User = create(input.clone());
    assert_unprocessable(f.users.insert(&orphan).await, "student_id");
    let student = create(student_input("R-9"));
    f.students.insert(&student).await.expect("student");
    input.student_id = Some(student.meta.id);
    let linked: User = create(input);
    f.users.insert(&linked).await.expect("linked insert");
    assert_conflict(f.students.delete(student.meta.id, 1).await, "id");
}
