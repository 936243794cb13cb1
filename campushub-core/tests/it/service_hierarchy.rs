//! The department hierarchy rule: no department under its own descendants, not its own
//! parent, bounded walks.
#![cfg(feature = "memory")]

use campushub_core::service::{DepartmentHierarchy, MAX_HIERARCHY_DEPTH};
use campushub_core::Department;
use serde_json::{json, Map};

use crate::support::rule_errors;
use crate::support::service::{admin, department_body, with, Campus};

async fn child_of(campus: &Campus, code: &str, parent: &Department) -> Department {
    let body = with(department_body(code), "parent_id", json!(parent.meta.id));
    campus
        .departments
        .create_json(&admin(), body)
        .await
        .expect("created")
        .record
}

fn reparent(parent: &Department) -> Map<String, serde_json::Value> {
    let mut patch = Map::new();
    patch.insert("parent_id".into(), json!(parent.meta.id));
    patch
}

#[tokio::test]
async fn a_department_cannot_move_under_its_descendants_or_itself() {
    let campus = Campus::new();
    let root = campus.department("ROOT").await;
    let child = child_of(&campus, "CHILD", &root).await;
    let grandchild = child_of(&campus, "GRAND", &child).await;
    for target in [&child, &grandchild] {
        let outcome = campus
            .departments
            .partial_update(&admin(), root.meta.id, reparent(target), None)
            .await;
        // The very error the SQL stores refuse a concurrent cycle with.
        let cycle = DepartmentHierarchy::cycle_error();
        assert_eq!(
            Some(&rule_errors(outcome)),
            cycle.validation_errors(),
            "{}",
            target.code
        );
    }
    let itself = campus
        .departments
        .partial_update(&admin(), root.meta.id, reparent(&root), None)
        .await;
    let errors = rule_errors(itself);
    assert!(errors.contains("parent_id"), "{errors}");
    // A legal move still works.
    let other = campus.department("OTHER").await;
    let moved = campus
        .departments
        .partial_update(&admin(), grandchild.meta.id, reparent(&other), None)
        .await
        .expect("legal move");
    assert_eq!(moved.record.parent_id, Some(other.meta.id));
}

#[tokio::test]
async fn walks_are_bounded() {
    let campus = Campus::new();
    let top = campus.department("T0").await;
    let mut chain = top.clone();
    for level in 1..=MAX_HIERARCHY_DEPTH + 1 {
        chain = child_of(&campus, &format!("T{level}"), &chain).await;
    }
    let loose = campus.department("LOOSE").await;
    let errors = rule_errors(
        campus
            .departments
            .partial_update(&admin(), loose.meta.id, reparent(&chain), None)
            .await,
    );
    assert_eq!(
        Some(&errors),
        DepartmentHierarchy::too_deep_error().validation_errors()
    );
    assert!(errors
        .get("parent_id")
        .is_some_and(|m| m[0].contains("levels")));
}
