//! The full role matrix: every built-in role × every route × every method, against
//! `RolePolicy::defaults()`: a denial is exactly a 403.

use axum::http::{Method, StatusCode};
use campushub_core::{Action, EntityKind, Policy, Principal, Role, RolePolicy};
use serde_json::{json, Value};

use crate::support::App;

/// What a request needs: `None` for routes every authenticated principal may call.
type Needs = Option<Vec<(EntityKind, Action)>>;

fn matrix() -> Vec<(Method, String, Option<Value>, Needs)> {
    let id = uuid::Uuid::now_v7();
    let mut rows = Vec::new();
    for (segment, kind) in [
        ("departments", EntityKind::DEPARTMENT),
        ("students", EntityKind::STUDENT),
        ("faculty", EntityKind::FACULTY),
        ("custom-fields", EntityKind::CUSTOM_FIELD),
        ("users", EntityKind::USER),
    ] {
        let base = format!("/api/v1/{segment}");
        let item = format!("{base}/{id}");
        let needs = |action| Some(vec![(kind, action)]);
        rows.push((Method::GET, base.clone(), None, needs(Action::List)));
        rows.push((
            Method::POST,
            base.clone(),
            Some(json!({})),
            needs(Action::Create),
        ));
        rows.push((Method::GET, item.clone(), None, needs(Action::Retrieve)));
        rows.push((
            Method::PUT,
            item.clone(),
            Some(json!({})),
            needs(Action::Update),
        ));
        rows.push((
            Method::PATCH,
            item.clone(),
            Some(json!({})),
            needs(Action::Update),
        ));
        rows.push((Method::DELETE, item, None, needs(Action::Delete)));
    }
    for (segment, kind, rows_key, keys_key) in [
        ("students", EntityKind::STUDENT, "students", "roll_numbers"),
        ("faculty", EntityKind::FACULTY, "faculty", "employee_ids"),
    ] {
        let base = format!("/api/v1/{segment}");
        let needs = |action| Some(vec![(kind, action)]);
        rows.push((
            Method::GET,
            format!("{base}/stats"),
            None,
            needs(Action::Statistics),
        ));
        rows.push((
            Method::POST,
            format!("{base}/bulk-create"),
            Some(json!({rows_key: []})),
            needs(Action::Create),
        ));
        rows.push((
            Method::POST,
            format!("{base}/bulk-update"),
            Some(json!({"updates": []})),
            needs(Action::Update),
        ));
        rows.push((
            Method::POST,
            format!("{base}/bulk-delete"),
            Some(json!({keys_key: []})),
            needs(Action::Delete),
        ));
    }
    let all_stats = [
        EntityKind::DEPARTMENT,
        EntityKind::STUDENT,
        EntityKind::FACULTY,
    ]
    .into_iter()
    .map(|kind| (kind, Action::Statistics))
    .collect();
    rows.push((
        Method::GET,
        "/api/v1/departments/stats".into(),
        None,
        Some(all_stats),
    ));
    let analytics = Some(vec![(EntityKind::ANALYTICS, Action::Statistics)]);
    rows.push((
        Method::GET,
        "/api/v1/analytics/summary".into(),
        None,
        analytics.clone(),
    ));
    rows.push((
        Method::GET,
        "/api/v1/analytics/departments".into(),
        None,
        analytics,
    ));
    rows.push((
        Method::GET,
        "/metrics".into(),
        None,
        Some(vec![(EntityKind::METRICS, Action::Retrieve)]),
    ));
    rows.push((Method::GET, "/api/v1/openapi.json".into(), None, None));
    // The audit log and every resource's history: auditors and admins.
    let audit = || Some(vec![(EntityKind::AUDIT, Action::List)]);
    rows.push((Method::GET, "/api/v1/audit".into(), None, audit()));
    for segment in [
        "departments",
        "students",
        "faculty",
        "custom-fields",
        "users",
    ] {
        rows.push((
            Method::GET,
            format!("/api/v1/{segment}/{id}/history"),
            None,
            audit(),
        ));
    }
    // Sign-in: `me` and `logout` for anyone authenticated; `login` and `refresh` take their
    // credentials in the body (an empty one is a 400, whoever calls).
    rows.push((Method::GET, "/api/v1/auth/me".into(), None, None));
    // (A refresh naming no token presented no credentials, a 401: the matrix sends a
    // malformed one, a 400 whoever calls.)
    for (route, body) in [
        ("login", json!({})),
        ("refresh", json!({"refresh_token": 0})),
        ("logout", json!({})),
    ] {
        rows.push((
            Method::POST,
            format!("/api/v1/auth/{route}"),
            Some(body),
            None,
        ));
    }
    // An administrator's password reset is an update of the account. (`/auth/password`
    // depends on the token naming an account, not on roles: `passwords.rs` tests it.)
    rows.push((
        Method::POST,
        format!("/api/v1/users/{}/password", uuid::Uuid::now_v7()),
        Some(json!({})),
        Some(vec![(EntityKind::USER, Action::Update)]),
    ));
    rows
}

#[tokio::test]
async fn every_role_on_every_route_and_method_is_allowed_or_denied_as_the_default_policy_says() {
    let app = App::with_identity();
    let policy = RolePolicy::defaults();
    let mut checked = 0;
    for role in Role::BUILT_IN {
        let principal = Principal::new("someone", [role.clone()]);
        for (method, uri, body, needs) in matrix() {
            let allowed = needs.as_ref().is_none_or(|needs| {
                needs
                    .iter()
                    .all(|(kind, action)| policy.allows(&principal, *kind, *action))
            });
            let reply = app.call(method.clone(), &uri, Some(&role), body).await;
            let context = format!(
                "{role} {method} {uri}: {} {}",
                reply.status,
                String::from_utf8_lossy(&reply.body)
            );
            if allowed {
                assert!(
                    reply.status != StatusCode::FORBIDDEN
                        && reply.status != StatusCode::UNAUTHORIZED
                        && !reply.status.is_server_error(),
                    "expected allowed: {context}"
                );
            } else {
                assert_eq!(
                    reply.status,
                    StatusCode::FORBIDDEN,
                    "expected denied: {context}"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, Role::BUILT_IN.len() * 54);
    assert_eq!(
        Role::BUILT_IN.len(),
        7,
        "the student, auditor and metrics roles are in the matrix"
    );
}

#[tokio::test]
async fn the_matrix_is_not_trivial() {
    let policy = RolePolicy::defaults();
    let registrar = Principal::new("r", [Role::REGISTRAR]);
    let analyst = Principal::new("a", [Role::ANALYST]);
    assert!(policy.allows(&registrar, EntityKind::STUDENT, Action::Create));
    assert!(!policy.allows(&registrar, EntityKind::ANALYTICS, Action::Statistics));
    assert!(!policy.allows(&analyst, EntityKind::STUDENT, Action::List));
    assert!(policy.allows(&analyst, EntityKind::ANALYTICS, Action::Statistics));
    let admin = Principal::new("a", [Role::ADMIN]);
    assert!(policy.allows(&admin, EntityKind::USER, Action::Create));
    // A student reads students (its own record: the service scopes it) and nothing else.
    let student = Principal::new("s", [Role::STUDENT]);
    for kind in [
        EntityKind::STUDENT,
        EntityKind::FACULTY,
        EntityKind::DEPARTMENT,
    ] {
        for action in Action::ALL {
            let reads_students = kind == EntityKind::STUDENT && Action::READ.contains(&action);
            assert_eq!(policy.allows(&student, kind, action), reads_students);
        }
    }
    for role in [
        Role::REGISTRAR,
        Role::FACULTY,
        Role::ANALYST,
        Role::AUDITOR,
        Role::STUDENT,
        Role::METRICS,
    ] {
        let principal = Principal::new("p", [role]);
        assert!(Action::ALL.iter().all(|action| !policy.allows(
            &principal,
            EntityKind::USER,
            *action
        )));
    }
    // The auditor reads the log and nothing else; only it and admins read the log.
    let auditor = Principal::new("au", [Role::AUDITOR]);
    assert!(policy.allows(&auditor, EntityKind::AUDIT, Action::List));
    assert!(!policy.allows(&auditor, EntityKind::STUDENT, Action::List));
    assert!(!policy.allows(&registrar, EntityKind::AUDIT, Action::List));
    assert!(policy.allows(&admin, EntityKind::AUDIT, Action::List));
    // The scraper's role reads the metrics and nothing else; no other role but admin does.
    let scraper = Principal::new("prometheus", [Role::METRICS]);
    assert!(policy.allows(&scraper, EntityKind::METRICS, Action::Retrieve));
    for kind in EntityKind::BUILT_IN.into_iter().chain([
        EntityKind::USER,
        EntityKind::ANALYTICS,
        EntityKind::AUDIT,
    ]) {
        for action in Action::ALL {
            assert!(!policy.allows(&scraper, kind, action), "{kind} {action:?}");
        }
    }
    for principal in [&registrar, &analyst, &auditor, &student] {
        assert!(!policy.allows(principal, EntityKind::METRICS, Action::Retrieve));
    }
    assert!(policy.allows(&admin, EntityKind::METRICS, Action::Retrieve));
}
