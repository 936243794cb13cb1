//! Reads through the cache: the one place the service hands a loader to [`crate::Cache::get_or_load`].

use std::future::Future;
use std::sync::Arc;

use super::EntityService;
use crate::cache::{CacheKey, CachedValue, FillTicket, Loader};
use crate::entity::Entity;
use crate::error::{Error, Result};

impl<E: Entity> EntityService<E> {
    /// The cached value for `key`, or what `load` returns after a miss (the cache decides
    /// whether to keep it). `load` receives the miss's [`FillTicket`] and must read with at
    /// least its `min_token`.
    pub(super) async fn through_cache<'a, F, Fut>(
        &'a self,
        key: &CacheKey,
        load: F,
    ) -> Result<Option<CachedValue>>
    where
        F: FnOnce(FillTicket) -> Fut + Send + 'a,
        Fut: Future<Output = Result<Option<CachedValue>>> + Send + 'a,
    {
        let loader: Loader<'a> = Box::new(move |ticket| Box::pin(load(ticket)));
        self.inner.cache.get_or_load(key, loader).await
    }
}

/// A record as a cached value: serialized once, kept decoded, under its version.
pub(super) fn record_value<E: Entity>(record: E) -> Result<CachedValue> {
    let json = serde_json::to_vec(&record)
        .map_err(|error| Error::internal("a record does not serialize", error))?;
    Ok(CachedValue {
        json: json.into(),
        version: record.meta().version,
        decoded: Some(Arc::new(record)),
        token: None,
    })
}

/// The error for a loader that always returns a value coming back empty from the cache.
pub(super) fn vanished(what: &str) -> Error {
    Error::Internal {
        message: format!("the cache returned no value for a {what}, which always has one"),
        source: None,
    }
}
