//! Bytes no document references any more: a deleted document's, removed as soon as its
//! deletion commits, and the orphans a failure left (an upload whose metadata write failed,
//! a process that died between the two), removed by the sweep.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::TryStreamExt;

use super::document::Document;
use super::store::DocumentStore;
use crate::core::{
    ChangeEvent, ChangeHook, ChangeOp, Entity as _, ReadOptions, ReadRoute, Repository,
};

/// Deletes a document's bytes once its deletion committed (a service hook: it runs before
/// the `DELETE` is answered). A failure is logged and left to [`sweep`].
#[derive(Debug)]
pub(super) struct DeleteBytes {
    pub(super) store: DocumentStore,
}

#[async_trait]
impl ChangeHook for DeleteBytes {
    async fn on_change(&self, event: &ChangeEvent) {
        if event.kind != Document::KIND || event.op != ChangeOp::Deleted {
            return;
        }
        let prefix = format!("{}/", DocumentStore::folder(event.id));
        let removed = async {
            let objects: Vec<_> = self.store.objects_under(&prefix).try_collect().await?;
            for object in objects {
                self.store.delete(&object.key).await?;
            }
            Ok::<_, object_store::Error>(())
        };
        if let Err(error) = removed.await {
            tracing::warn!(%error, id = %event.id, "a deleted document's bytes are left for the sweep");
        }
    }
}

/// What a sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Objects looked at.
    pub seen: u64,
    /// Objects deleted: older than the grace period and referenced by no document.
    pub deleted: u64,
}

/// Deletes every object of `store` older than `grace` that no document of `documents`
/// references (its document is gone, or names another object). `grace` must be longer than
/// an upload can take: an upload's object is referenced only once it is complete.
///
/// # Errors
/// The store's or the database's first failure; what was deleted before it stays deleted.
pub async fn sweep(
    store: &DocumentStore,
    documents: &dyn Repository<Document>,
    grace: Duration,
) -> Result<Swept, Box<dyn std::error::Error + Send + Sync>> {
    let cutoff = chrono::Utc::now() - chrono::Duration::from_std(grace)?;
    let read = ReadOptions::default().on(ReadRoute::Primary);
    let mut swept = Swept::default();
    let objects: Vec<_> = store.objects().try_collect().await?;
    for object in objects {
        swept.seen += 1;
        if object.written_at > cutoff {
            continue;
        }
        let referenced = match object.document {
            Some(id) => documents
                .get(id, &read)
                .await?
                .is_some_and(|document| document.object_key.as_deref() == Some(&object.key)),
            None => false,
        };
        if !referenced {
            store.delete(&object.key).await?;
            swept.deleted += 1;
        }
    }
    Ok(swept)
}

/// Sweeps `store` every `every` (the first time after one period), logging what each sweep
/// deleted and any failure; runs until dropped.
pub(super) async fn sweep_every(
    store: DocumentStore,
    documents: Arc<dyn Repository<Document>>,
    every: Duration,
    grace: Duration,
) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match sweep(&store, documents.as_ref(), grace).await {
            Ok(swept) if swept.deleted > 0 => {
                tracing::info!(
                    seen = swept.seen,
                    deleted = swept.deleted,
                    "swept orphaned document bytes"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "the sweep of orphaned document bytes failed"),
        }
    }
}
