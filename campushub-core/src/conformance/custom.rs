//! Cases: filters on custom fields of every filterable type, read from `custom_fields`.

use serde_json::{json, Value};

use super::data::{create, student_custom_fields, student_input};
use super::support::{ids, ids_of, insert_all, sorted};
use super::Fixture;
use crate::custom_fields::CustomFieldDef;
use crate::entities::Student;

/// Students 0..=4 with custom values (student 4 has none), and the definitions.
async fn seeded(f: &Fixture) -> (Vec<Student>, Vec<CustomFieldDef>) {
    let definitions = insert_all(&*f.custom_fields, student_custom_fields()).await;
    let values = [
        json!({"nickname": "Bobby", "credits": 12, "hostel": true, "blood_group": "O+",
               "clubs": ["chess", "drama"], "scholarship_on": "2024-03-01"}),
        json!({"nickname": "bob", "credits": 18.5, "hostel": false, "blood_group": "A+",
               "clubs": ["music"], "scholarship_on": "2023-09-15"}),
        json!({"nickname": "Robert", "credits": 20, "hostel": true, "blood_group": "AB-",
               "clubs": []}),
        json!({"credits": 9.75, "clubs": ["drama", "music"]}),
        json!({}),
    ];
    let students = values
        .into_iter()
        .enumerate()
        .map(|(i, values)| {
            let mut input = student_input(&format!("CF{i}"));
            if let Value::Object(map) = values {
                input.custom_fields = map;
            }
            create(input)
        })
        .collect();
    (insert_all(&*f.students, students).await, definitions)
}

/// Asserts that `params` select exactly the students at `expected`.
async fn selects(f: &Fixture, params: &[(&str, &str)], expected: &[usize]) {
    let (students, definitions) = seeded(f).await;
    let got = sorted(ids(&*f.students, params, &definitions).await);
    let want: Vec<&Student> = expected.iter().filter_map(|i| students.get(*i)).collect();
    assert_eq!(
        got,
        sorted(ids_of(&want)),
        "{params:?} should select {expected:?}"
    );
}

/// Text custom fields: equality is case-sensitive.
pub async fn custom_text_eq(f: Fixture) {
    selects(&f, &[("cf.nickname", "bob")], &[1]).await;
}

/// Text custom fields: `startswith` is a case-sensitive prefix.
pub async fn custom_text_startswith(f: Fixture) {
    selects(&f, &[("cf.nickname__startswith", "Bo")], &[0]).await;
}

/// Text custom fields match case-insensitively with `icontains`.
pub async fn custom_text_icontains(f: Fixture) {
    selects(&f, &[("cf.nickname__icontains", "BOB")], &[0, 1]).await;
}

/// Number custom fields filter by ranges, integers and decimals alike.
pub async fn custom_number_range(f: Fixture) {
    selects(
        &f,
        &[("cf.credits__gte", "10"), ("cf.credits__lt", "20")],
        &[0, 1],
    )
    .await;
}

/// Boolean custom fields filter by equality; a missing value matches neither.
pub async fn custom_boolean(f: Fixture) {
    selects(&f, &[("cf.hostel", "true")], &[0, 2]).await;
}

/// Select custom fields filter by equality and membership.
pub async fn custom_select(f: Fixture) {
    selects(&f, &[("cf.blood_group__in", "A+,AB-")], &[1, 2]).await;
}

/// Multiselect `=` means "contains the value".
pub async fn custom_multiselect_contains(f: Fixture) {
    selects(&f, &[("cf.clubs", "drama")], &[0, 3]).await;
}

/// Multiselect `__in` means "contains any of the values".
pub async fn custom_multiselect_contains_any(f: Fixture) {
    selects(&f, &[("cf.clubs__in", "chess,music")], &[0, 1, 3]).await;
}

/// Date custom fields filter by ranges.
pub async fn custom_date_range(f: Fixture) {
    selects(&f, &[("cf.scholarship_on__gte", "2024-01-01")], &[0]).await;
}

/// `cf.<name>__isnull` tells missing values from present ones.
pub async fn custom_isnull(f: Fixture) {
    selects(&f, &[("cf.nickname__isnull", "true")], &[3, 4]).await;
}
