//! The cache as the service sees it: look up or load, and invalidate on change.
//!
//! `campushub-cache` implements [`Cache`] with moka and Redis; [`NoCache`] always loads.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use uuid::Uuid;

use crate::consistency::ConsistencyToken;
use crate::error::Result;
use crate::event::ChangeEvent;
use crate::kind::EntityKind;

/// What is cached.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CacheKey {
    /// One record.
    Entity {
        /// Its kind.
        kind: EntityKind,
        /// Its id.
        id: Uuid,
    },
    /// A list page; `query` is the query's fingerprint. Lives under the kind's generation.
    List {
        /// The kind listed.
        kind: EntityKind,
        /// [`crate::query::ListQuery::fingerprint`].
        query: String,
    },
    /// Statistics over a kind (`query` is the filters' fingerprint), or the total a
    /// page-number walk shares (`count:` and the filters' fingerprint). Lives under the kind's
    /// generation.
    Stats {
        /// The kind counted.
        kind: EntityKind,
        /// The filters' fingerprint.
        query: String,
    },
}

impl CacheKey {
    /// The kind the key belongs to.
    pub fn kind(&self) -> EntityKind {
        match self {
            CacheKey::Entity { kind, .. }
            | CacheKey::List { kind, .. }
            | CacheKey::Stats { kind, .. } => *kind,
        }
    }
}

/// A cached value: its JSON bytes (served as they are), the record version they hold (0 for
/// lists and statistics), optionally the decoded value for in-process hits, and the position
/// it was read at.
#[derive(Clone)]
pub struct CachedValue {
    /// The serialized value.
    pub json: Bytes,
    /// The record version (entities), 0 otherwise.
    pub version: i64,
    /// The decoded value, when it is at hand (never crosses process boundaries).
    pub decoded: Option<Arc<dyn Any + Send + Sync>>,
    /// The position the value was read at: the read that produced it observed every write up
    /// to here. A loader may set it when it knows more than its ticket (write-through reads
    /// at the write's token); otherwise the cache records the ticket's `min_token`. A fill
    /// whose position is older than the one recorded with the key's generation or tombstone
    /// is refused, and a hit answers a read that needs position `p` only when its own
    /// position is at least `p` (see [`Cache::get_or_load`]). Hits carry the position the
    /// entry was stored with (`None`: unknown, which answers only reads without a token).
    pub token: Option<ConsistencyToken>,
}

impl CachedValue {
    /// A value from its bytes and version, without a decoded form.
    pub fn from_json(json: Bytes, version: i64) -> Self {
        CachedValue {
            json,
            version,
            decoded: None,
            token: None,
        }
    }

    /// The same value with its decoded form at hand (for in-process hits).
    pub fn with_decoded(mut self, decoded: Arc<dyn Any + Send + Sync>) -> Self {
        self.decoded = Some(decoded);
        self
    }

    /// The same value, read at `token` (see [`CachedValue::token`]).
    pub fn with_token(mut self, token: Option<ConsistencyToken>) -> Self {
        self.token = token;
        self
    }

    /// The decoded value, if it is at hand and of type `T`.
    pub fn decoded<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.decoded
            .clone()
            .and_then(|any| any.downcast::<T>().ok())
    }
}

impl std::fmt::Debug for CachedValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedValue")
            .field("bytes", &self.json.len())
            .field("version", &self.version)
            .field("decoded", &self.decoded.is_some())
            .field("token", &self.token)
            .finish()
    }
}

/// What the cache tells a loader about the miss it is filling.
///
/// The loader must read with at least `min_token`: the later of the caller's own token and
/// the token of the write that last invalidated this key (or its generation), so that a
/// lagging replica cannot hand it data older than what the caller or the cache already knows
/// about. `stamp` is the cache's own record of what
/// it saw at the miss (a generation or tombstone version); the fill is refused if it changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FillTicket {
    /// The read must observe at least this position.
    pub min_token: Option<ConsistencyToken>,
    /// Opaque to callers: what the cache saw at the miss.
    pub stamp: u64,
}

/// The future a loader returns: the loaded value, or `None` when nothing exists.
pub type LoadFuture<'a> = Pin<Box<dyn Future<Output = Result<Option<CachedValue>>> + Send + 'a>>;

/// Loads the value after a miss; called at most once per [`Cache::get_or_load`] call, and
/// only by the one caller that leads a single flight.
pub type Loader<'a> = Box<dyn FnOnce(FillTicket) -> LoadFuture<'a> + Send + 'a>;

/// The value for `key` from `cache` as of position `need` (the caller's consistency token, if
/// any), or what `load` returns after a miss (the cache decides whether to keep it). `load`
/// receives the miss's [`FillTicket`] and must read with at least its `min_token`. An
/// in-process hit ([`Cache::get_fresh`]) is answered before any loader is built, so a hit
/// allocates nothing here.
pub async fn read_through<'a, F, Fut>(
    cache: &'a dyn Cache,
    key: &CacheKey,
    need: Option<ConsistencyToken>,
    load: F,
) -> Result<Option<CachedValue>>
where
    F: FnOnce(FillTicket) -> Fut + Send + 'a,
    Fut: Future<Output = Result<Option<CachedValue>>> + Send + 'a,
{
    if let Some(hit) = cache.get_fresh(key, need) {
        return Ok(Some(hit));
    }
    let loader: Loader<'a> = Box::new(move |ticket| Box::pin(load(ticket)));
    cache.get_or_load(key, need, loader).await
}

/// A cache in front of a repository.
///
/// Guarantees an implementation must give:
/// - a read that needs position `p` (it carries a consistency token) is answered only from a
///   state at or after `p`: a cached entry read at an earlier position, or an in-flight load
///   reading at one, is not an answer, and the loader it runs reads at `p` or later;
/// - concurrent misses on one key run one loader (single flight) as long as the loader reads
///   at a position every waiting caller accepts;
/// - a fill (a "not found" included) is refused when a newer version or generation was
///   recorded since the miss (no stale sets), and invalidation through [`Cache::invalidate`]
///   is complete when it returns;
/// - a failing cache backend degrades to loading, never to an error.
#[async_trait]
pub trait Cache: Send + Sync {
    /// The cached value for `key` as of `need` (`None`: any fresh entry will do), or the
    /// loader's result (cached when still fresh). The loader's ticket carries at least
    /// `need` as its `min_token`.
    async fn get_or_load(
        &self,
        key: &CacheKey,
        need: Option<ConsistencyToken>,
        load: Loader<'_>,
    ) -> Result<Option<CachedValue>>;

    /// The value for `key` as of `need` if the cache can answer at once, without I/O or
    /// waiting (an in-process hit): the fast path the service tries before it builds a loader
    /// for [`Cache::get_or_load`]. `None` means "ask `get_or_load`" (not held here, held as
    /// a cached "not found", or held at a position before `need`). An implementation that
    /// answers counts the hit as `get_or_load` would. The default never answers.
    fn get_fresh(&self, key: &CacheKey, need: Option<ConsistencyToken>) -> Option<CachedValue> {
        let _ = (key, need);
        None
    }

    /// Applies a committed change: tombstones the record, bumps generations, tells other
    /// instances.
    async fn invalidate(&self, event: &ChangeEvent);

    /// [`Cache::invalidate`] for each of `events`, as one batch where the cache can (the
    /// outbox relay delivers hundreds at a time). The default applies them one by one, in
    /// order.
    async fn invalidate_many(&self, events: &[ChangeEvent]) {
        for event in events {
            self.invalidate(event).await;
        }
    }

    /// Write-through: called after a committed write, once [`Cache::invalidate`] for it has
    /// returned, with a loader that reads the record back. A cache that keeps written
    /// records calls `load` (at most once) and stores the value under the fill rules (refused
    /// when it knows a newer version), so that the next read hits. Not a lookup: no hit or
    /// miss is counted. The default never calls `load`, so it costs nothing.
    async fn offer(&self, key: &CacheKey, load: Loader<'_>) {
        let _ = (key, load);
    }
}

/// No cache: every lookup loads.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCache;

#[async_trait]
impl Cache for NoCache {
    async fn get_or_load(
        &self,
        _key: &CacheKey,
        need: Option<ConsistencyToken>,
        load: Loader<'_>,
    ) -> Result<Option<CachedValue>> {
        load(FillTicket {
            min_token: need,
            stamp: 0,
        })
        .await
    }

    async fn invalidate(&self, _event: &ChangeEvent) {}
}

#[async_trait]
impl<C: Cache + ?Sized> Cache for Arc<C> {
    async fn get_or_load(
        &self,
        key: &CacheKey,
        need: Option<ConsistencyToken>,
        load: Loader<'_>,
    ) -> Result<Option<CachedValue>> {
        (**self).get_or_load(key, need, load).await
    }

    fn get_fresh(&self, key: &CacheKey, need: Option<ConsistencyToken>) -> Option<CachedValue> {
        (**self).get_fresh(key, need)
    }

    async fn invalidate(&self, event: &ChangeEvent) {
        (**self).invalidate(event).await
    }

    async fn invalidate_many(&self, events: &[ChangeEvent]) {
        (**self).invalidate_many(events).await
    }

    async fn offer(&self, key: &CacheKey, load: Loader<'_>) {
        (**self).offer(key, load).await
    }
}
