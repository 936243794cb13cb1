//! The full default role matrix at the service level: every built-in role × every kind ×
//! every action, allowed or `Forbidden` exactly as `RolePolicy::defaults` documents.
#![cfg(feature = "memory")]

use std::sync::atomic::{AtomicUsize, Ordering};

use campushub_core::{
    Action, BatchMode, Entity, EntityKind, EntityService, Error, Policy, Principal, ReadOptions,
    Result, Role, RolePolicy,
};
use serde_json::{json, Map, Value};

use crate::support::service::{
    admin, definition_body, department_body, faculty_body, student_body, with_role, Campus,
};

/// The documented default table.
fn expected(role: &Role, kind: EntityKind, action: Action) -> bool {
    let people = [
        EntityKind::DEPARTMENT,
        EntityKind::STUDENT,
        EntityKind::FACULTY,
    ]
    .contains(&kind);
    let read = Action::READ.contains(&action);
    match role.as_str() {
        "admin" => true,
        "registrar" => people || (kind == EntityKind::CUSTOM_FIELD && read),
        "faculty" => people && read,
        "analyst" => (people || kind == EntityKind::ANALYTICS) && action == Action::Statistics,
        // The audit log only (`AuditService`), none of the kinds.
        "auditor" => kind == EntityKind::AUDIT && action == Action::List,
        "student" => kind == EntityKind::STUDENT && read,
        // The metrics only (`/metrics`), none of the kinds.
        "metrics" => kind == EntityKind::METRICS && action == Action::Retrieve,
        other => panic!("not a built-in role: {other}"),
    }
}

static SERIAL: AtomicUsize = AtomicUsize::new(0);

fn serial() -> usize {
    SERIAL.fetch_add(1, Ordering::Relaxed)
}

/// Runs `action` through `service` as `principal`; records it needs are created as admin.
async fn exercise<E: Entity>(
    service: &EntityService<E>,
    principal: &Principal,
    action: Action,
    body: &(dyn Fn(usize) -> Value + Sync),
) -> Result<()> {
    let read = ReadOptions::default();
    let existing = || async {
        let saved = service.create_json(&admin(), body(serial())).await;
        saved.expect("fixture record").record
    };
    match action {
        Action::List => service.list(principal, &[], &read).await.map(drop),
        Action::Retrieve => {
            let id = existing().await.meta().id;
            service.retrieve(principal, id, &read).await.map(drop)
        }
        Action::Create => service
            .create_json(principal, body(serial()))
            .await
            .map(drop),
        Action::Update => {
            let id = existing().await.meta().id;
            let patch = Map::new();
            service
                .partial_update(principal, id, patch, None)
                .await
                .map(drop)
        }
        Action::Delete => {
            let id = existing().await.meta().id;
            service.destroy(principal, id, None).await.map(drop)
        }
        Action::Statistics => service.statistics(principal, &[], &read).await.map(drop),
    }
}

/// The bulk action matching `action`, if any, with one valid row.
async fn exercise_bulk<E: Entity>(
    service: &EntityService<E>,
    principal: &Principal,
    action: Action,
    body: &(dyn Fn(usize) -> Value + Sync),
) -> Option<Result<()>> {
    let row = body(serial());
    let outcome = match action {
        Action::Create => {
            service
                .bulk_create(principal, vec![row], BatchMode::EachRow)
                .await
        }
        Action::Update => {
            service
                .bulk_update(principal, vec![row], BatchMode::EachRow)
                .await
        }
        Action::Delete => {
            service
                .bulk_delete(principal, vec!["none".to_owned()], BatchMode::EachRow)
                .await
        }
        _ => return None,
    };
    Some(outcome.map(drop))
}

async fn check_kind<E: Entity>(service: &EntityService<E>, body: &(dyn Fn(usize) -> Value + Sync)) {
    for role in Role::BUILT_IN {
        let principal = with_role(role.clone());
        for action in Action::ALL {
            let allowed = expected(&role, E::KIND, action);
            let outcome = exercise(service, &principal, action, body).await;
            if allowed && role == Role::STUDENT && action == Action::Retrieve {
                // Allowed, but only its own record: another's reads as missing.
                assert!(
                    matches!(outcome, Err(Error::NotFound { .. })),
                    "{role} {action:?} {}: {outcome:?}",
                    E::KIND
                );
            } else if allowed {
                assert!(
                    outcome.is_ok(),
                    "{role} {action:?} {}: {outcome:?}",
                    E::KIND
                );
            } else {
                assert!(
                    matches!(outcome, Err(Error::Forbidden(_))),
                    "{role} {action:?} {}: {outcome:?}",
                    E::KIND
                );
            }
            if let Some(bulk) = exercise_bulk(service, &principal, action, body).await {
                let forbidden = matches!(bulk, Err(Error::Forbidden(_)));
                assert_eq!(
                    forbidden,
                    !allowed,
                    "{role} bulk {action:?} {}: {bulk:?}",
                    E::KIND
                );
            }
        }
    }
}

#[tokio::test]
async fn every_role_on_every_kind_and_action() {
    let campus = Campus::new();
    check_kind(&campus.departments, &|n| department_body(&format!("D{n}"))).await;
    check_kind(&campus.students, &|n| student_body(&format!("R{n}"))).await;
    check_kind(&campus.faculty, &|n| faculty_body(&format!("E{n}"))).await;
    check_kind(&campus.definitions, &|n| {
        definition_body("student", &format!("field_{n}"), "text")
    })
    .await;
}

#[tokio::test]
async fn analytics_is_for_admins_and_analysts_only() {
    let campus = Campus::new();
    let policy = campus.students.policy();
    for role in Role::BUILT_IN {
        for action in Action::ALL {
            let principal = with_role(role.clone());
            assert_eq!(
                policy.allows(&principal, EntityKind::ANALYTICS, action),
                expected(&role, EntityKind::ANALYTICS, action),
                "{role} {action:?} analytics"
            );
            let outcome = policy.authorize(&principal, EntityKind::ANALYTICS, action);
            assert_eq!(
                outcome.is_ok(),
                expected(&role, EntityKind::ANALYTICS, action)
            );
        }
    }
}

#[tokio::test]
async fn the_audit_log_is_for_admins_and_auditors_only() {
    let policy = RolePolicy::defaults();
    for role in Role::BUILT_IN {
        for action in Action::ALL {
            let principal = with_role(role.clone());
            assert_eq!(
                policy.allows(&principal, EntityKind::AUDIT, action),
                expected(&role, EntityKind::AUDIT, action),
                "{role} {action:?} audit"
            );
        }
    }
}

#[tokio::test]
async fn principals_without_a_built_in_role_may_do_nothing() {
    let campus = Campus::new();
    let nobody = Principal::new("nobody", []);
    let stranger = Principal::new("stranger", [Role::new("janitor")]);
    let body = |n: usize| student_body(&format!("S{n}"));
    for principal in [nobody, stranger] {
        for action in Action::ALL {
            let outcome = exercise(&campus.students, &principal, action, &body).await;
            assert!(
                matches!(outcome, Err(Error::Forbidden(_))),
                "{action:?}: {outcome:?}"
            );
        }
    }
}

#[tokio::test]
async fn admin_is_a_superuser_on_kinds_an_application_adds() {
    let policy = RolePolicy::defaults();
    let course = EntityKind::new("course");
    for action in Action::ALL {
        assert!(policy.allows(&admin(), course, action));
        assert!(!policy.allows(&with_role(Role::REGISTRAR), course, action));
    }
}

#[tokio::test]
async fn a_denied_write_changes_nothing_and_emits_nothing() {
    let campus = Campus::new();
    let faculty_member = with_role(Role::FACULTY);
    let denied = campus
        .students
        .create_json(&faculty_member, json!({"not": "even valid"}))
        .await;
    assert!(
        matches!(denied, Err(Error::Forbidden(_))),
        "authorization comes first: {denied:?}"
    );
    assert!(campus.events.events().is_empty());
    assert_eq!(campus.store.token().position(), 0);
}
