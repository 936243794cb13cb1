//! Change events: emitted once per committed write, after the commit, with the right
//! version and token; failed writes emit nothing; the cache is invalidated before hooks run;
//! rules see `after_commit`.
#![cfg(feature = "memory")]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use campushub_core::service::EntityRules;
use campushub_core::{
    ChangeEvent, ChangeOp, Department, EntityKind, EntityService, Error, Principal, ReadOptions,
    Student,
};
use serde_json::{json, Map};

use crate::support::only;
use crate::support::service::{admin, student_body, Campus, Recorder};

#[tokio::test]
async fn each_committed_write_emits_one_event_after_the_commit() {
    let campus = Campus::new();
    let saved = campus
        .students
        .create_json(&admin(), student_body("R1"))
        .await
        .expect("created");
    let id = saved.record.meta.id;
    let mut patch = Map::new();
    patch.insert("semester".into(), json!(2));
    let updated = campus
        .students
        .partial_update(&admin(), id, patch, None)
        .await
        .expect("ok");
    let deleted = campus
        .students
        .destroy(&admin(), id, None)
        .await
        .expect("deleted");
    let events = campus.events.events();
    let summary: Vec<_> = events
        .iter()
        .map(|e| (e.kind, e.id, e.op, e.version))
        .collect();
    assert_eq!(
        summary,
        [
            (EntityKind::STUDENT, id, ChangeOp::Created, 1),
            (EntityKind::STUDENT, id, ChangeOp::Updated, 2),
            (EntityKind::STUDENT, id, ChangeOp::Deleted, 3),
        ]
    );
    assert_eq!(events[0].token, saved.token);
    assert_eq!(events[1].token, updated.token);
    assert_eq!(events[2].token, deleted.token);
    assert!(events[0].token < events[1].token && events[1].token < events[2].token);
}

#[tokio::test]
async fn department_events_name_the_kinds_that_embed_departments() {
    let campus = Campus::new();
    campus.department("CSE").await;
    let events = campus.events.events();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].embedded_in,
        [EntityKind::STUDENT, EntityKind::FACULTY]
    );
}

#[tokio::test]
async fn an_application_kind_embedding_departments_is_named_in_their_events() {
    let campus = Campus::new();
    let course = EntityKind::new("course");
    let departments = EntityService::builder(Arc::new(campus.store.repository::<Department>()))
        .hook(campus.events.clone())
        .also_embedded_in([course, EntityKind::STUDENT])
        .build();
    let body = json!({"code": "CSE", "name": "Computer Science"});
    departments
        .create_json(&admin(), body)
        .await
        .expect("created");
    let events = campus.events.events();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].embedded_in,
        [EntityKind::STUDENT, EntityKind::FACULTY, course]
    );
}

#[tokio::test]
async fn failed_writes_emit_nothing() {
    let campus = Campus::new();
    let student = campus.student("R1").await;
    campus.events.clear();
    let id = student.meta.id;
    // Validation.
    let invalid = campus
        .students
        .create_json(&admin(), json!({"roll_number": 5}))
        .await;
    assert!(matches!(invalid, Err(Error::Validation(_))));
    // Conflict.
    let taken = campus
        .students
        .create_json(&admin(), student_body("R1"))
        .await;
    assert!(matches!(taken, Err(Error::Conflict { .. })));
    // Precondition.
    let stale = campus
        .students
        .partial_update(&admin(), id, Map::new(), Some(7))
        .await;
    assert!(matches!(stale, Err(Error::PreconditionFailed { .. })));
    let stale_delete = campus.students.destroy(&admin(), id, Some(7)).await;
    assert!(matches!(
        stale_delete,
        Err(Error::PreconditionFailed { .. })
    ));
    // Not found.
    let missing = campus
        .students
        .destroy(&admin(), uuid::Uuid::now_v7(), None)
        .await;
    assert!(matches!(missing, Err(Error::NotFound { .. })));
    assert!(
        campus.events.events().is_empty(),
        "{:?}",
        campus.events.events()
    );
}

/// A rule that records what it sees after commit and can refuse a program.
#[derive(Default)]
struct Audit {
    seen: Mutex<Vec<(String, ChangeOp)>>,
}

#[async_trait]
impl EntityRules<Student> for Audit {
    async fn validate(
        &self,
        _principal: &Principal,
        record: &Student,
        _previous: Option<&Student>,
        errors: &mut campushub_core::ValidationErrors,
    ) -> campushub_core::Result<()> {
        if record.program == "Forbidden Arts" {
            errors.add("program", "Not offered.");
        }
        Ok(())
    }

    async fn after_commit(&self, principal: &Principal, event: &ChangeEvent) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.push((principal.subject.clone(), event.op));
    }
}

#[tokio::test]
async fn rules_validate_and_see_commits_after_the_hooks() {
    let store = campushub_core::memory::MemoryStore::new();
    let audit = Arc::new(Audit::default());
    let recorder = Arc::new(Recorder::default());
    let students = EntityService::builder(Arc::new(store.repository::<Student>()))
        .hook(recorder.clone())
        .rules(audit.clone())
        .build();
    let refused = students
        .create_json(&admin(), {
            let mut body = student_body("R1");
            body["program"] = json!("Forbidden Arts");
            body
        })
        .await;
    let errors = match refused {
        Err(Error::Unprocessable(errors)) => errors,
        other => panic!("expected an unprocessable-input error, got {other:?}"),
    };
    assert_eq!(only(&errors, "program"), "Not offered.");
    assert!(audit
        .seen
        .lock()
        .map(|seen| seen.is_empty())
        .unwrap_or(false));
    students
        .create_json(&admin(), student_body("R1"))
        .await
        .expect("created");
    let seen = audit
        .seen
        .lock()
        .map(|seen| seen.clone())
        .unwrap_or_default();
    assert_eq!(seen, [("admin-user".to_owned(), ChangeOp::Created)]);
    assert_eq!(recorder.events().len(), 1);
}

#[tokio::test]
async fn the_cache_is_invalidated_on_write() {
    let campus = Campus::new();
    let student = campus.student("R1").await;
    let id = student.meta.id;
    let read = ReadOptions::default();
    campus
        .students
        .retrieve(&admin(), id, &read)
        .await
        .expect("found");
    let key = campushub_core::CacheKey::Entity {
        kind: EntityKind::STUDENT,
        id,
    };
    assert!(campus.cache.holds(&key));
    let mut patch = Map::new();
    patch.insert("semester".into(), json!(4));
    campus
        .students
        .partial_update(&admin(), id, patch, None)
        .await
        .expect("updated");
    assert!(
        !campus.cache.holds(&key),
        "the write dropped the cached record"
    );
    let fresh = campus
        .students
        .retrieve(&admin(), id, &read)
        .await
        .expect("found");
    assert_eq!(fresh.value().expect("decoded").semester, 4);
    assert_eq!(fresh.version(), 2);
}

#[tokio::test]
async fn hooks_see_who_made_each_change_and_in_which_request() {
    let campus = Campus::new();
    let caller = admin().with_origin(campushub_core::RequestOrigin {
        request_id: Some("req-hook".into()),
        client_address: None,
    });
    let saved = campus
        .students
        .create_json(&caller, student_body("H1"))
        .await
        .expect("created");
    campus
        .students
        .destroy(&admin(), saved.record.meta.id, None)
        .await
        .expect("deleted");
    let seen: Vec<(Option<String>, Option<String>)> = campus
        .events
        .events()
        .into_iter()
        .map(|event| (event.actor, event.request_id))
        .collect();
    let subject = admin().subject;
    assert_eq!(
        seen,
        vec![
            (Some(subject.clone()), Some("req-hook".to_owned())),
            (Some(subject), None),
        ]
    );
}
