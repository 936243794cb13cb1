//! CampusHub's core, end to end, on the in-memory store.
//!
//! Run with `cargo run --example quickstart`. It defines a custom field for students, creates
//! departments and students through the entity services (as a registrar), lists them with a
//! filter and a keyset cursor, shows a validation error and a stale-version conflict, and
//! prints statistics.

use std::sync::Arc;

use campushub::core::memory::MemoryStore;
use campushub::core::repository::ReadOptions;
use campushub::core::service::{DepartmentHierarchy, KnownKinds};
use campushub::core::{
    CustomFieldDef, Department, EntityService, Error, Principal, Repository, Role, Student,
};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let store = MemoryStore::new();
    let definitions: Arc<dyn Repository<CustomFieldDef>> =
        Arc::new(store.repository::<CustomFieldDef>());
    let department_store: Arc<dyn Repository<Department>> =
        Arc::new(store.repository::<Department>());
    // Rules specialize the generic service: definitions must name a known kind, and the
    // department tree must stay a tree.
    let custom_fields = EntityService::builder(Arc::clone(&definitions))
        .rules(Arc::new(KnownKinds::default()))
        .build();
    let departments = EntityService::builder(Arc::clone(&department_store))
        .custom_fields(Arc::clone(&definitions))
        .rules(Arc::new(DepartmentHierarchy::new(department_store)))
        .build();
    let students = EntityService::builder(Arc::new(store.repository::<Student>()))
        .custom_fields(Arc::clone(&definitions))
        .build();

    let admin = Principal::new("quickstart-admin", [Role::ADMIN]);
    let registrar = Principal::new("registrar@uni.example", [Role::REGISTRAR]);
    let read = ReadOptions::default();

    custom_fields
        .create_json(
            &admin,
            json!({"entity": "student", "name": "blood_group", "label": "Blood group",
                   "field_type": "select", "choices": ["A+", "A-", "B+", "B-", "O+", "O-", "AB+", "AB-"]}),
        )
        .await?;

    let mut department_ids = Vec::new();
    for (code, name) in [("CSE", "Computer Science"), ("MATH", "Mathematics")] {
        let saved = departments
            .create_json(&registrar, json!({"code": code, "name": name}))
            .await?;
        println!(
            "created department {code} (token {:?})",
            saved.token.map(|t| t.to_string())
        );
        department_ids.push(saved.record.meta.id);
    }

    for n in 0..12 {
        students
            .create_json(
                &registrar,
                json!({
                    "first_name": format!("Student{n}"), "last_name": "Doe",
                    "date_of_birth": "2004-05-17", "gender": if n % 2 == 0 { "F" } else { "M" },
                    "roll_number": format!("CSE-{n:03}"),
                    "department_id": department_ids[n % 2],
                    "program": "B.Tech", "admission_date": "2022-08-01",
                    "year_of_study": 1 + n % 4,
                    "custom_fields": {"blood_group": "O+"},
                }),
            )
            .await?;
    }
    println!("created 12 students");

    // A bad write changes nothing and names the fields at fault.
    let bad = students
        .create_json(
            &registrar,
            json!({"first_name": "", "last_name": "X", "date_of_birth": "2004-01-01",
                   "gender": "F", "roll_number": "CSE-999", "program": "B.Tech",
                   "admission_date": "2022-08-01", "year_of_study": 9,
                   "custom_fields": {"blood_group": "Z"}}),
        )
        .await;
    if let Err(Error::Validation(errors)) = bad {
        println!("rejected as expected: {errors}");
    }

    // Filters, ordering and a keyset cursor, exactly as the REST API takes them.
    let params = vec![
        ("year_of_study__gte".to_owned(), "2".to_owned()),
        ("ordering".to_owned(), "roll_number".to_owned()),
        ("page_size".to_owned(), "3".to_owned()),
    ];
    let page = students.list(&registrar, &params, &read).await?;
    let first: Vec<String> = page
        .results
        .value()?
        .iter()
        .map(|s| s.roll_number.clone())
        .collect();
    println!(
        "first page (year >= 2, by roll number): {first:?}, next: {:?}",
        page.next.is_some()
    );

    // Optimistic concurrency: a write based on a stale version is refused.
    let target = page.results.value()?[0].meta.clone();
    students
        .partial_update(
            &registrar,
            target.id,
            json!({"semester": 3})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            Some(target.version),
        )
        .await?;
    let stale = students
        .partial_update(
            &registrar,
            target.id,
            json!({"semester": 4})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            Some(target.version),
        )
        .await;
    println!(
        "second write on version {}: {}",
        target.version,
        match stale {
            Err(error) => error.to_string(),
            Ok(_) => "accepted (unexpected)".to_owned(),
        }
    );

    let stats = students.statistics(&registrar, &[], &read).await?;
    println!("statistics: {}", serde_json::to_string_pretty(&stats)?);
    Ok(())
}
