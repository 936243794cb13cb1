//! L1: the in-process tier (moka), bounded by bytes, with per-kind epochs that make query
//! entries and in-flight fills stale the moment an invalidation is applied.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use campushub_core::{CacheKey, CachedValue, EntityKind};
use moka::notification::RemovalCause;
use moka::ops::compute::Op;
use uuid::Uuid;

use crate::config::CacheConfig;
use crate::metrics::Metrics;

/// Epoch stripes: kinds hash onto these. Two kinds sharing a stripe only cost extra misses.
const STRIPES: usize = 64;

/// Bytes charged per entry on top of its key and value (moka's bookkeeping, our header).
const ENTRY_OVERHEAD: u64 = 96;

/// One L1 entry: the value (`None`: "not found"), the epoch of its kind when the miss began,
/// and when it was stored.
#[derive(Clone)]
struct Entry {
    value: Option<CachedValue>,
    epoch: u64,
    born: Instant,
}

/// The in-process tier.
///
/// moka's synchronous cache: a read never waits, so the async API would only add a boxed
/// state machine per lookup. Every entry lives at most `max(ttl, negative_ttl)` (moka's
/// time-to-live, no per-entry expiry bookkeeping on reads); the shorter of the two lifetimes
/// is checked on read against the entry's birth.
pub(crate) struct L1 {
    cache: moka::sync::Cache<CacheKey, Entry>,
    epochs: [AtomicU64; STRIPES],
    kinds: RwLock<HashMap<&'static str, EntityKind>>,
    /// Whether invalidations from other instances are arriving (always true without Redis).
    subscribed: AtomicBool,
    trust: Duration,
    ttl: Duration,
    negative_ttl: Duration,
    metrics: Arc<Metrics>,
}

impl L1 {
    /// An empty L1. `subscribed` starts true when there is no other instance to hear from.
    pub(crate) fn new(config: &CacheConfig, metrics: Arc<Metrics>, subscribed: bool) -> Self {
        let listener_metrics = Arc::clone(&metrics);
        let cache = moka::sync::Cache::builder()
            .max_capacity(config.l1_max_bytes)
            .weigher(|key: &CacheKey, entry: &Entry| {
                let bytes = key_bytes(key)
                    + entry.value.as_ref().map_or(0, |v| v.json.len() as u64)
                    + ENTRY_OVERHEAD;
                u32::try_from(bytes).unwrap_or(u32::MAX)
            })
            .time_to_live(config.l1_ttl.max(config.negative_ttl))
            .eviction_listener(move |_, _, cause| match cause {
                RemovalCause::Size => listener_metrics.l1_evictions.incr(),
                RemovalCause::Expired => listener_metrics.l1_expirations.incr(),
                RemovalCause::Explicit | RemovalCause::Replaced => {}
            })
            .build();
        L1 {
            cache,
            epochs: std::array::from_fn(|_| AtomicU64::new(0)),
            kinds: RwLock::new(HashMap::new()),
            subscribed: AtomicBool::new(subscribed),
            trust: config.disconnected_trust,
            ttl: config.l1_ttl,
            negative_ttl: config.negative_ttl,
            metrics,
        }
    }

    /// The cached answer for `key`: `Some(None)` is a cached "not found". Query entries from
    /// an older epoch, entries past their own lifetime, and any entry older than the trust
    /// bound while the invalidation channel is down, are misses. Never waits.
    pub(crate) fn get(&self, key: &CacheKey) -> Option<Option<CachedValue>> {
        let entry = self.cache.get(key)?;
        if !matches!(key, CacheKey::Entity { .. }) && entry.epoch != self.epoch(key.kind()) {
            return None;
        }
        let lifetime = if entry.value.is_some() {
            self.ttl
        } else {
            self.negative_ttl
        };
        // moka expires everything after the longer lifetime; only the shorter one needs the
        // clock here.
        let mut limit = lifetime;
        if !self.subscribed.load(Ordering::Acquire) {
            limit = limit.min(self.trust);
        }
        if limit < self.ttl.max(self.negative_ttl) && entry.born.elapsed() > limit {
            return None;
        }
        Some(entry.value)
    }

    /// The current epoch of `kind`: read it before a miss's L2 lookup and pass it to
    /// [`L1::fill`].
    pub(crate) fn epoch(&self, kind: EntityKind) -> u64 {
        self.epochs[stripe(kind.as_str())].load(Ordering::Acquire)
    }

    /// Remembers `kind` so that invalidations naming it by text can find its records.
    pub(crate) fn register(&self, kind: EntityKind) {
        let known = self
            .kinds
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains_key(kind.as_str());
        if !known {
            self.kinds
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(kind.as_str(), kind);
        }
    }

    /// A kind seen by this instance, by name.
    pub(crate) fn known_kind(&self, name: &str) -> Option<EntityKind> {
        self.kinds
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(name)
            .copied()
    }

    /// Stores a fill unless an invalidation of its kind was applied since the miss began
    /// (`epoch` changed) or L1 holds a newer version of the record. Returns whether stored.
    ///
    /// Runs under moka's per-key lock, as does [`L1::remove`]: an invalidation either comes
    /// after the fill (and removes it) or before the check (and the epoch refuses it).
    pub(crate) fn fill(&self, key: &CacheKey, value: Option<CachedValue>, epoch: u64) -> bool {
        let kind = key.kind();
        let value = value.map(|v| CachedValue { token: None, ..v });
        let mut stored = false;
        self.cache.entry_by_ref(key).and_compute_with(|existing| {
            let fresh = self.epoch(kind) == epoch;
            let newer_held = match (&existing, &value) {
                (Some(held), Some(new)) => held
                    .value()
                    .value
                    .as_ref()
                    .is_some_and(|h| h.version > new.version),
                _ => false,
            };
            if fresh && !newer_held {
                stored = true;
                Op::Put(Entry {
                    value,
                    epoch,
                    born: Instant::now(),
                })
            } else {
                Op::Nop
            }
        });
        stored
    }

    /// Removes a record's entry (value or "not found").
    pub(crate) fn remove(&self, kind: EntityKind, id: Uuid) {
        let key = CacheKey::Entity { kind, id };
        self.cache.entry(key).and_compute_with(|_| Op::Remove);
    }

    /// Makes every query entry of the named kinds stale, and every fill of them in flight.
    pub(crate) fn bump<'a>(&self, kinds: impl IntoIterator<Item = &'a str>) {
        for kind in kinds {
            self.epochs[stripe(kind)].fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Drops everything (the invalidation channel reconnected: some may have been missed).
    pub(crate) fn flush(&self) {
        for epoch in &self.epochs {
            epoch.fetch_add(1, Ordering::AcqRel);
        }
        self.cache.invalidate_all();
        self.metrics.l1_flushes.incr();
    }

    /// Records whether the invalidation channel is up.
    pub(crate) fn set_subscribed(&self, subscribed: bool) {
        self.subscribed.store(subscribed, Ordering::Release);
    }

    /// Whether the invalidation channel is up.
    pub(crate) fn subscribed(&self) -> bool {
        self.subscribed.load(Ordering::Acquire)
    }

    /// Runs moka's pending maintenance (evictions, expirations).
    pub(crate) fn run_pending_tasks(&self) {
        self.cache.run_pending_tasks();
    }

    /// The weighted size in bytes.
    pub(crate) fn weighted_size(&self) -> u64 {
        self.cache.weighted_size()
    }

    /// The number of entries.
    pub(crate) fn entry_count(&self) -> u64 {
        self.cache.entry_count()
    }
}

/// The bytes a key accounts for.
fn key_bytes(key: &CacheKey) -> u64 {
    match key {
        CacheKey::Entity { kind, .. } => 16 + kind.as_str().len() as u64,
        CacheKey::List { kind, query } | CacheKey::Stats { kind, query } => {
            (kind.as_str().len() + query.len()) as u64
        }
    }
}

/// The epoch stripe of a kind (FNV-1a of its name).
fn stripe(kind: &str) -> usize {
    let hash = kind.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    (hash % STRIPES as u64) as usize
}
