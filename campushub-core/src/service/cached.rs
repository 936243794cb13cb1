//! Reads through the cache: the one place the service hands a loader to [`crate::Cache::get_or_load`].

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use uuid::Uuid;

use super::EntityService;
use crate::cache::{read_through, CacheKey, CachedValue, FillTicket, Loader};
use crate::consistency::ConsistencyToken;
use crate::entity::Entity;
use crate::error::{Error, Result};
use crate::repository::{ReadOptions, ReadRoute};

impl<E: Entity> EntityService<E> {
    /// [`read_through`] this service's cache, for a read made with `read` (its token is the
    /// position the answer must reflect).
    pub(super) async fn through_cache<'a, F, Fut>(
        &'a self,
        key: &CacheKey,
        read: &ReadOptions,
        load: F,
    ) -> Result<Option<CachedValue>>
    where
        F: FnOnce(FillTicket) -> Fut + Send + 'a,
        Fut: Future<Output = Result<Option<CachedValue>>> + Send + 'a,
    {
        read_through(self.inner.cache.as_ref(), key, read.min_token, load).await
    }
}

impl<E: Entity> EntityService<E> {
    /// Write-through after a committed write of record `id` ([`crate::Cache::offer`]): the
    /// cache may read the record back from the primary (so the value has exactly the shape a
    /// read gives, embedded summaries included) and keep it, so the next read hits.
    ///
    /// Returns the record the cache read, if it read one (a cache that does not fill never
    /// calls the loader), so that the write's answer can reuse it.
    pub(super) async fn offer(&self, id: Uuid, token: Option<ConsistencyToken>) -> Option<E> {
        let key = CacheKey::Entity { kind: E::KIND, id };
        let repository = &self.inner.repository;
        let seen: Mutex<Option<E>> = Mutex::new(None);
        let seen_by_loader = &seen;
        let loader: Loader<'_> = Box::new(move |ticket: FillTicket| {
            Box::pin(async move {
                let read = ReadOptions::after(token)
                    .at_least(ticket.min_token)
                    .on(ReadRoute::Primary);
                let record = repository.get(id, &read).await?;
                if let Some(record) = &record {
                    *seen_by_loader
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner) = Some(record.clone());
                }
                let value = record.map(record_value).transpose()?;
                Ok(value.map(|value| value.with_token(token)))
            })
        });
        self.inner.cache.offer(&key, loader).await;
        seen.into_inner().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A record as a cached value: serialized once, kept decoded, under its version.
pub(super) fn record_value<E: Entity>(record: E) -> Result<CachedValue> {
    let json = serde_json::to_vec(&record)
        .map_err(|error| Error::internal("a record does not serialize", error))?;
    let version = record.meta().version;
    Ok(CachedValue::from_json(json.into(), version).with_decoded(Arc::new(record)))
}

/// The error for a loader that always returns a value coming back empty from the cache.
pub(super) fn vanished(what: &str) -> Error {
    Error::Internal {
        message: format!("the cache returned no value for a {what}, which always has one"),
        source: None,
    }
}
