//! Server-set fields (`#[field(read_only)]`): a body cannot set them, and
//! `EntityService::update_with` writes them as an update (authorized, scoped, versioned,
//! announced).
#![cfg(feature = "memory")]

use std::sync::Arc;

use campushub_core::memory::MemoryStore;
use campushub_core::{
    ChangeOp, Entity as _, EntityService, Error, Precondition, ReadOptions, RecordMeta, RolePolicy,
};
use campushub_derive::Entity;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::support::service::{admin, registrar, Recorder};

/// A file's record: its title is the client's, its size the server's.
#[derive(Debug, Clone, Serialize, Deserialize, Entity)]
#[entity(kind = "upload", table = "uploads", core = campushub_core)]
pub struct Upload {
    #[serde(flatten)]
    meta: RecordMeta,
    #[field(filter, text = 100)]
    title: String,
    #[field(filter, read_only)]
    size: Option<i64>,
}

fn uploads(events: Arc<Recorder>) -> EntityService<Upload> {
    EntityService::builder(Arc::new(MemoryStore::new().repository()))
        .policy(Arc::new(RolePolicy::defaults()))
        .hook(events)
        .build()
}

#[tokio::test]
async fn a_body_cannot_set_a_server_field_and_update_with_can() {
    let events = Arc::new(Recorder::default());
    let uploads = uploads(Arc::clone(&events));
    // Sent back as read, the field is ignored, not refused.
    let created = uploads
        .create_json(&admin(), json!({"title": "a", "size": 99}))
        .await
        .expect("created");
    let id = created.record.meta.id;
    assert_eq!(created.record.size, None);
    assert!(!Upload::schema().is_writable("size"));

    let written = uploads
        .update_with(&admin(), id, Precondition::default(), |upload| {
            upload.size = Some(42);
            upload.meta.version = 1000;
        })
        .await
        .expect("written");
    assert_eq!(written.record.size, Some(42));
    assert_eq!(written.record.meta.version, created.record.meta.version + 1);
    let events = events.events();
    assert_eq!(events.last().map(|event| event.op), Some(ChangeOp::Updated));

    // A client's replace keeps the server's value.
    let replaced = uploads
        .update_json(&admin(), id, json!({"title": "b", "size": 1}), None)
        .await
        .expect("replaced");
    assert_eq!(
        (replaced.record.title.as_str(), replaced.record.size),
        ("b", Some(42))
    );
    let read = uploads
        .retrieve(&admin(), id, &ReadOptions::default())
        .await
        .expect("read");
    assert_eq!(read.value().expect("decoded").size, Some(42));
}

#[tokio::test]
async fn update_with_is_an_update_for_the_policy_and_the_precondition() {
    let uploads = uploads(Arc::new(Recorder::default()));
    let created = uploads
        .create_json(&admin(), json!({"title": "a"}))
        .await
        .expect("created");
    let id = created.record.meta.id;
    let refused = uploads
        .update_with(&registrar(), id, None, |upload| upload.size = Some(1))
        .await;
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
    let stale = uploads
        .update_with(
            &admin(),
            id,
            Some(created.record.meta.version + 5),
            |upload| upload.size = Some(1),
        )
        .await;
    assert!(
        matches!(stale, Err(Error::PreconditionFailed { .. })),
        "{stale:?}"
    );
    let read = uploads
        .retrieve(&admin(), id, &ReadOptions::default())
        .await
        .expect("read");
    assert_eq!(
        read.version(),
        created.record.meta.version,
        "nothing written"
    );
}
