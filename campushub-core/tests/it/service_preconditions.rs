//! Conditional and unconditional writes under a rival writer: a write without a condition is
//! applied again to the version the rival committed (nothing of either is lost) and gives up
//! with `ConcurrentWrites` only after its attempts; a write with a condition has it evaluated
//! again and fails it (412), never `ConcurrentWrites` for a version it named.
#![cfg(feature = "memory")]

use std::sync::Arc;

use campushub_core::memory::MemoryStore;
use campushub_core::precondition::{Precondition, Versions};
use campushub_core::{EntityService, Error, ReadOptions, Student};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::support::racing::Racing;
use crate::support::service::{admin, student_body, Recorder};

/// A student service over a repository whose rival writes `before` times before the
/// service's writes, giving up after `attempts`; the new student's id.
async fn racing(
    before: u32,
    attempts: u32,
) -> (EntityService<Student>, Arc<Racing>, Arc<Recorder>, Uuid) {
    let store = MemoryStore::new();
    let repository = Arc::new(Racing::new(store.repository(), before, 0));
    let events = Arc::new(Recorder::default());
    let service = EntityService::builder(repository.clone())
        .hook(events.clone())
        .write_attempts(attempts)
        // The rival wraps the plain writes.
        .without_audit()
        .build();
    let created = service
        .create_json(&admin(), student_body("R1"))
        .await
        .expect("created");
    events.clear();
    (service, repository, events, created.record.meta.id)
}

fn patch(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("a patch is an object: {other}"),
    }
}

async fn stored(service: &EntityService<Student>, id: Uuid) -> Student {
    let fetched = service
        .retrieve(&admin(), id, &ReadOptions::default())
        .await
        .expect("stored");
    (*fetched.value().expect("decoded")).clone()
}

#[tokio::test]
async fn an_unconditional_patch_is_applied_again_over_each_rival_write() {
    let (service, rivals, events, id) = racing(2, 5).await;
    let written = service
        .partial_update(&admin(), id, patch(json!({"semester": 4})), None)
        .await
        .expect("applied on the third attempt");
    assert_eq!(rivals.rivals_left(), 0, "both rivals wrote first");
    assert_eq!(written.record.meta.version, 4, "1, two rivals, then ours");
    let now = stored(&service, id).await;
    assert_eq!(now.semester, 4, "our field");
    assert_eq!(now.program, "Rival 3", "the rival's field is not lost");
    assert_eq!(
        events.events().len(),
        1,
        "one event: the attempt that committed"
    );
}

#[tokio::test]
async fn a_write_that_keeps_losing_gives_up_with_concurrent_writes() {
    let (service, _, events, id) = racing(u32::MAX, 3).await;
    let outcome = service
        .partial_update(&admin(), id, patch(json!({"semester": 4})), None)
        .await;
    match outcome {
        Err(Error::ConcurrentWrites { attempts, kind, .. }) => {
            assert_eq!(attempts, 3);
            assert_eq!(kind, campushub_core::EntityKind::STUDENT);
        }
        other => panic!("expected ConcurrentWrites, got {other:?}"),
    }
    let deleted = service.destroy(&admin(), id, None).await;
    assert!(
        matches!(deleted, Err(Error::ConcurrentWrites { .. })),
        "{deleted:?}"
    );
    assert!(events.events().is_empty(), "nothing of ours committed");
    assert_eq!(stored(&service, id).await.semester, 1);
}

#[tokio::test]
async fn a_write_naming_the_version_it_read_fails_its_condition_after_a_rival() {
    let (service, _, events, id) = racing(1, 5).await;
    let outcome = service
        .partial_update(&admin(), id, patch(json!({"semester": 4})), Some(1))
        .await;
    assert!(
        matches!(
            outcome,
            Err(Error::PreconditionFailed {
                expected: 1,
                actual: 2
            })
        ),
        "{outcome:?}"
    );
    assert!(events.events().is_empty());
}

#[tokio::test]
async fn if_match_any_is_retried_and_fails_only_on_a_missing_record() {
    let (service, _, _, id) = racing(1, 5).await;
    let any = Precondition::if_match(Versions::Any);
    let written = service
        .partial_update(&admin(), id, patch(json!({"semester": 2})), any.clone())
        .await
        .expect("`*` holds for every version");
    assert_eq!(written.record.meta.version, 3);
    let missing = service.destroy(&admin(), Uuid::now_v7(), any).await;
    assert!(
        matches!(missing, Err(Error::ConditionFailed { .. })),
        "{missing:?}"
    );
    let unconditional = service.destroy(&admin(), Uuid::now_v7(), None).await;
    assert!(matches!(unconditional, Err(Error::NotFound { .. })));
}

#[tokio::test]
async fn if_match_with_several_versions_holds_when_one_is_stored() {
    let (service, _, _, id) = racing(0, 5).await;
    let either = Precondition::if_match(Versions::OneOf(vec![7, 1]));
    service
        .update_json(&admin(), id, student_body("R1"), either)
        .await
        .expect("version 1 is named");
    let neither = Precondition::if_match(Versions::OneOf(vec![1, 7]));
    let outcome = service
        .update_json(&admin(), id, student_body("R1"), neither)
        .await;
    assert!(
        matches!(outcome, Err(Error::ConditionFailed { .. })),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn if_none_match_refuses_a_write_to_a_named_or_existing_record() {
    let (service, _, events, id) = racing(0, 5).await;
    for condition in [Versions::Any, Versions::OneOf(vec![1])] {
        let outcome = service
            .partial_update(
                &admin(),
                id,
                patch(json!({"semester": 2})),
                Precondition::if_none_match(condition.clone()),
            )
            .await;
        assert!(
            matches!(outcome, Err(Error::ConditionFailed { .. })),
            "{condition:?}: {outcome:?}"
        );
    }
    assert!(events.events().is_empty());
    let other = Precondition::if_none_match(Versions::OneOf(vec![5]));
    service
        .destroy(&admin(), id, other)
        .await
        .expect("version 5 is not the stored one");
}

#[tokio::test]
async fn an_unconditional_delete_is_applied_after_a_rival_write() {
    let (service, rivals, _, id) = racing(1, 5).await;
    service
        .destroy(&admin(), id, None)
        .await
        .expect("deleted on the second attempt");
    assert_eq!(rivals.rivals_left(), 0);
    let gone = service
        .retrieve(&admin(), id, &ReadOptions::default())
        .await;
    assert!(matches!(gone, Err(Error::NotFound { .. })));
}
