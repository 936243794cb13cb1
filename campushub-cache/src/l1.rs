//! L1: the in-process tier (moka), bounded by bytes. Records are guarded per record (an
//! invalidation leaves a small tombstone with the new version); query entries by per-kind
//! epochs that make them and their in-flight fills stale the moment an invalidation applies.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use campushub_core::{CacheKey, CachedValue, ConsistencyToken, EntityKind};
use moka::notification::RemovalCause;
use moka::ops::compute::Op;
use uuid::Uuid;

use crate::config::CacheConfig;
use crate::metrics::Metrics;

/// Epoch stripes of query entries: kinds hash onto these. Two kinds sharing a stripe only
/// cost extra misses.
const STRIPES: usize = 64;

/// Record stripes: records hash onto these by (kind, id). Consulted only when a record's
/// tombstone is gone (evicted, expired or never admitted), so a write to one record costs
/// other records on its stripe at most one refused fill.
const RECORD_STRIPES: usize = 4096;

/// Bytes charged per entry on top of its key and value (moka's bookkeeping, our header).
const ENTRY_OVERHEAD: u64 = 96;

/// What an L1 entry holds.
#[derive(Clone)]
enum Held {
    /// A value; its `token` is the position it was read at.
    Value(CachedValue),
    /// A cached "not found", read at `at`; `floor` is the version of the tombstone it
    /// replaced (0: none), below which no value may replace it.
    Missing {
        floor: i64,
        at: Option<ConsistencyToken>,
    },
    /// A record invalidated at `version` by the invalidation numbered `seq`; never a hit.
    Tombstone {
        version: i64,
        seq: u64,
        token: Option<ConsistencyToken>,
    },
}

/// One L1 entry: what it holds, the epoch of its kind when the miss began (query entries),
/// and when it was stored.
#[derive(Clone)]
struct Entry {
    held: Held,
    epoch: u64,
    born: Instant,
}

/// What a lookup found.
pub(crate) enum Found {
    /// A value or a cached "not found".
    Hit(Option<CachedValue>),
    /// Nothing usable; the record's tombstone, if one was held.
    Miss(Option<Floor>),
}

/// A record tombstone seen by a lookup: a fill below `version` is stale, and the read should
/// observe at least `token`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Floor {
    pub(crate) version: i64,
    pub(crate) token: Option<ConsistencyToken>,
}

/// What a miss saw when it began, for [`L1::fill`]: take it with [`L1::stamp`] before the
/// miss's L2 lookup or load.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stamp {
    /// Records: the invalidation sequence number; queries: the kind's epoch.
    at: u64,
    /// Records: the tombstone the lookup found.
    floor: Option<Floor>,
}

/// The in-process tier.
///
/// moka's synchronous cache: a read never waits, so the async API would only add a boxed
/// state machine per lookup. Every entry lives at most `max(ttl, negative_ttl)` (moka's
/// time-to-live, no per-entry expiry bookkeeping on reads); the shorter of the two lifetimes
/// is checked on read against the entry's birth. Tombstones live as long, unless evicted.
pub(crate) struct L1 {
    cache: moka::sync::Cache<CacheKey, Entry>,
    /// Per-kind epochs of query entries.
    epochs: [AtomicU64; STRIPES],
    /// The number of the last record invalidation or flush.
    seq: AtomicU64,
    /// Per record stripe: the number of the last invalidation of a record on it.
    record_epochs: Box<[AtomicU64]>,
    /// The number of the last flush.
    flushed: AtomicU64,
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
                let value = match &entry.held {
                    Held::Value(v) => v.json.len() as u64,
                    Held::Missing { .. } | Held::Tombstone { .. } => 0,
                };
                u32::try_from(key_bytes(key) + value + ENTRY_OVERHEAD).unwrap_or(u32::MAX)
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
            seq: AtomicU64::new(0),
            record_epochs: (0..RECORD_STRIPES).map(|_| AtomicU64::new(0)).collect(),
            flushed: AtomicU64::new(0),
            kinds: RwLock::new(HashMap::new()),
            subscribed: AtomicBool::new(subscribed),
            trust: config.disconnected_trust,
            ttl: config.l1_ttl,
            negative_ttl: config.negative_ttl,
            metrics,
        }
    }

    /// The cached answer for `key` as of position `need`. Tombstones, entries read at a
    /// position before `need`, query entries from an older epoch, entries past their own
    /// lifetime, and any entry older than the trust bound while the invalidation channel is
    /// down, are misses. Never waits.
    pub(crate) fn lookup(&self, key: &CacheKey, need: Option<ConsistencyToken>) -> Found {
        let Some(entry) = self.cache.get(key) else {
            return Found::Miss(None);
        };
        let (value, at, lifetime) = match entry.held {
            Held::Value(value) => {
                let at = value.token;
                (Some(value), at, self.ttl)
            }
            Held::Missing { at, .. } => (None, at, self.negative_ttl),
            Held::Tombstone { version, token, .. } => {
                return Found::Miss(Some(Floor { version, token }))
            }
        };
        // Read before the position the caller needs: it may miss a write the caller knows of.
        if at < need {
            return Found::Miss(None);
        }
        if !matches!(key, CacheKey::Entity { .. }) && entry.epoch != self.epoch(key.kind()) {
            return Found::Miss(None);
        }
        // moka expires everything after the longer lifetime; only the shorter one needs the
        // clock here.
        let mut limit = lifetime;
        if !self.subscribed.load(Ordering::Acquire) {
            limit = limit.min(self.trust);
        }
        if limit < self.ttl.max(self.negative_ttl) && entry.born.elapsed() > limit {
            return Found::Miss(None);
        }
        Found::Hit(value)
    }

    /// The cached answer for `key` as of `need`, if any (see [`L1::lookup`]): `Some(None)` is
    /// a cached "not found".
    pub(crate) fn get(
        &self,
        key: &CacheKey,
        need: Option<ConsistencyToken>,
    ) -> Option<Option<CachedValue>> {
        match self.lookup(key, need) {
            Found::Hit(value) => Some(value),
            Found::Miss(_) => None,
        }
    }

    /// What a miss on `key` sees now, with the tombstone its lookup found: read it before
    /// the miss's L2 lookup and pass it to [`L1::fill`].
    pub(crate) fn stamp(&self, key: &CacheKey, floor: Option<Floor>) -> Stamp {
        match key {
            CacheKey::Entity { .. } => Stamp {
                at: self.seq.load(Ordering::Acquire),
                floor,
            },
            CacheKey::List { kind, .. } | CacheKey::Stats { kind, .. } => Stamp {
                at: self.epoch(*kind),
                floor: None,
            },
        }
    }

    /// The current epoch of `kind`'s query entries.
    fn epoch(&self, kind: EntityKind) -> u64 {
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

    /// Stores a fill read at position `at` unless it is stale. Returns whether stored.
    ///
    /// A query fill is stale when an invalidation of its kind was applied since the miss
    /// began (its epoch changed). A record fill is stale when L1 holds a newer version of
    /// that record (a tombstone or value), when a "not found" would replace a value, a
    /// tombstone of an invalidation applied since the miss began, or a tombstone whose write
    /// the read did not provably observe (its position is before the tombstone's token), or,
    /// when L1 holds nothing for the record, when the record's stripe saw an invalidation
    /// since the miss began (the tombstone may have been evicted); any fill begun before a
    /// flush is stale.
    ///
    /// Runs under moka's per-key lock, as does [`L1::invalidate_record`]: an invalidation
    /// either comes after the fill (and replaces it) or before the check (and refuses it).
    pub(crate) fn fill(
        &self,
        key: &CacheKey,
        value: Option<CachedValue>,
        stamp: Stamp,
        at: Option<ConsistencyToken>,
    ) -> bool {
        let value = value.map(|v| CachedValue { token: at, ..v });
        if let (Some(floor), Some(new)) = (stamp.floor, &value) {
            if new.version < floor.version {
                return false;
            }
        }
        let record = matches!(key, CacheKey::Entity { .. });
        let mut stored = false;
        self.cache.entry_by_ref(key).and_compute_with(|existing| {
            let held = existing.as_ref().map(|e| &e.value().held);
            let fresh = if record {
                self.record_fill_fresh(key, held, value.as_ref(), stamp.at, at)
            } else {
                self.epoch(key.kind()) == stamp.at
            };
            if !fresh {
                return Op::Nop;
            }
            stored = true;
            let held = match (&value, held) {
                (Some(value), _) => Held::Value(value.clone()),
                (None, Some(Held::Tombstone { version, .. })) => Held::Missing {
                    floor: *version,
                    at,
                },
                (None, _) => Held::Missing { floor: 0, at },
            };
            Op::Put(Entry {
                held,
                epoch: stamp.at,
                born: Instant::now(),
            })
        });
        stored
    }

    /// The record fill rule (see [`L1::fill`]); `at` is the sequence number the miss saw,
    /// `read_at` the position the fill was read at.
    fn record_fill_fresh(
        &self,
        key: &CacheKey,
        held: Option<&Held>,
        value: Option<&CachedValue>,
        at: u64,
        read_at: Option<ConsistencyToken>,
    ) -> bool {
        if self.flushed.load(Ordering::Acquire) > at {
            return false;
        }
        match (held, value) {
            (Some(Held::Value(held)), Some(new)) => held.version <= new.version,
            (Some(Held::Value(_)), None) => false,
            (Some(Held::Missing { floor, .. }), Some(new)) => *floor <= new.version,
            (Some(Held::Missing { .. }), None) => true,
            (Some(Held::Tombstone { version, .. }), Some(new)) => *version <= new.version,
            // A "not found" after a write is believable only from a read that saw the write.
            (Some(Held::Tombstone { seq, token, .. }), None) => *seq <= at && read_at >= *token,
            (None, _) => self.record_epochs[record_stripe(key)].load(Ordering::Acquire) <= at,
        }
    }

    /// Applies a record's invalidation: its entry becomes a tombstone carrying `version` and
    /// `token` (a held tombstone keeps the higher version; a held value newer than `version`,
    /// from an event arriving late, stays). Without a version (a message from an older
    /// sender) the entry is dropped and fills of its stripe begun earlier are refused.
    pub(crate) fn invalidate_record(
        &self,
        kind: EntityKind,
        id: Uuid,
        version: Option<i64>,
        token: Option<ConsistencyToken>,
    ) {
        let key = CacheKey::Entity { kind, id };
        // Numbered and recorded on the stripe before the entry changes: a fill that finds
        // the tombstone gone (evicted) still sees the stripe move.
        let seq = self.seq.fetch_add(1, Ordering::AcqRel) + 1;
        self.record_epochs[record_stripe(&key)].fetch_max(seq, Ordering::AcqRel);
        let Some(version) = version else {
            self.cache.entry(key).and_compute_with(|_| Op::Remove);
            return;
        };
        self.cache.entry(key).and_compute_with(|existing| {
            let (version, token) = match existing.as_ref().map(|e| &e.value().held) {
                Some(Held::Value(held)) if held.version > version => return Op::Nop,
                Some(Held::Tombstone {
                    version: held,
                    token: held_token,
                    ..
                }) => ((*held).max(version), (*held_token).max(token)),
                _ => (version, token),
            };
            Op::Put(Entry {
                held: Held::Tombstone {
                    version,
                    seq,
                    token,
                },
                epoch: 0,
                born: Instant::now(),
            })
        });
    }

    /// Makes every query entry of the named kinds stale, and every query fill of them in
    /// flight.
    pub(crate) fn bump<'a>(&self, kinds: impl IntoIterator<Item = &'a str>) {
        for kind in kinds {
            self.epochs[stripe(kind)].fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Drops everything (the invalidation channel reconnected: some may have been missed).
    pub(crate) fn flush(&self) {
        let seq = self.seq.fetch_add(1, Ordering::AcqRel) + 1;
        self.flushed.fetch_max(seq, Ordering::AcqRel);
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
    (fnv(kind.as_bytes()) % STRIPES as u64) as usize
}

/// The record stripe of a key (FNV-1a of its kind's name and id).
fn record_stripe(key: &CacheKey) -> usize {
    let mut hasher = Fnv(0xcbf2_9ce4_8422_2325);
    key.kind().as_str().hash(&mut hasher);
    if let CacheKey::Entity { id, .. } = key {
        hasher.write(id.as_bytes());
    }
    (hasher.finish() % RECORD_STRIPES as u64) as usize
}

/// FNV-1a of `bytes`.
fn fnv(bytes: &[u8]) -> u64 {
    let mut hasher = Fnv(0xcbf2_9ce4_8422_2325);
    hasher.write(bytes);
    hasher.finish()
}

/// A 64-bit FNV-1a hasher: stable across processes and cheap on short keys.
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn l1() -> L1 {
        L1::new(&CacheConfig::default(), Arc::new(Metrics::default()), true)
    }

    fn value(version: i64) -> Option<CachedValue> {
        Some(CachedValue::from_json(Bytes::from_static(b"{}"), version))
    }

    /// Two student keys on different record stripes.
    fn two_records() -> (CacheKey, CacheKey) {
        let key = |n| CacheKey::Entity {
            kind: EntityKind::STUDENT,
            id: Uuid::from_u128(n),
        };
        let first = key(1);
        let other = (2..)
            .map(key)
            .find(|k| record_stripe(k) != record_stripe(&first))
            .expect("some id lands on another stripe");
        (first, other)
    }

    fn id(key: &CacheKey) -> Uuid {
        match key {
            CacheKey::Entity { id, .. } => *id,
            CacheKey::List { .. } | CacheKey::Stats { .. } => Uuid::nil(),
        }
    }

    #[test]
    fn a_tombstone_is_a_miss_with_its_version_as_the_floor() {
        let (l1, (x, _)) = (l1(), two_records());
        assert!(l1.fill(&x, value(1), l1.stamp(&x, None), None));
        l1.invalidate_record(EntityKind::STUDENT, id(&x), Some(2), None);
        let Found::Miss(Some(floor)) = l1.lookup(&x, None) else {
            panic!("a tombstone is a miss with a floor");
        };
        assert_eq!(floor.version, 2);
        assert!(l1.get(&x, None).is_none());
        assert!(!l1.fill(&x, value(1), l1.stamp(&x, Some(floor)), None));
        assert!(l1.fill(&x, value(2), l1.stamp(&x, Some(floor)), None));
        assert_eq!(l1.get(&x, None).flatten().map(|v| v.version), Some(2));
    }

    #[test]
    fn a_write_to_another_record_leaves_a_fill_alone_but_a_write_to_its_own_refuses_it() {
        let (l1, (x, y)) = (l1(), two_records());
        let stamp = l1.stamp(&x, None);
        l1.invalidate_record(EntityKind::STUDENT, id(&y), Some(9), None);
        assert!(l1.fill(&x, value(1), stamp, None), "another record's write");
        let stamp = l1.stamp(&x, None);
        l1.invalidate_record(EntityKind::STUDENT, id(&x), Some(2), None);
        assert!(!l1.fill(&x, value(1), stamp, None), "its own write");
    }

    #[test]
    fn an_evicted_tombstone_falls_back_to_the_record_stripe() {
        let (l1, (x, _)) = (l1(), two_records());
        let stamp = l1.stamp(&x, None);
        l1.invalidate_record(EntityKind::STUDENT, id(&x), Some(2), None);
        l1.cache.invalidate(&x); // as an eviction would
        assert!(
            !l1.fill(&x, value(2), stamp, None),
            "begun before the write"
        );
        assert!(
            l1.fill(&x, value(2), l1.stamp(&x, None), None),
            "begun after it"
        );
    }

    #[test]
    fn not_found_respects_tombstones_and_their_floor() {
        let (l1, (x, _)) = (l1(), two_records());
        let early = l1.stamp(&x, None);
        l1.invalidate_record(EntityKind::STUDENT, id(&x), Some(4), None);
        assert!(
            !l1.fill(&x, None, early, None),
            "a read begun before the delete"
        );
        assert!(
            l1.fill(&x, None, l1.stamp(&x, None), None),
            "a read begun after it"
        );
        assert!(matches!(l1.lookup(&x, None), Found::Hit(None)));
        assert!(
            !l1.fill(&x, value(3), l1.stamp(&x, None), None),
            "no older version replaces the \"not found\" that replaced the tombstone"
        );
    }

    #[test]
    fn a_late_event_keeps_a_newer_value_and_a_flush_refuses_earlier_fills() {
        let (l1, (x, y)) = (l1(), two_records());
        assert!(l1.fill(&x, value(3), l1.stamp(&x, None), None));
        l1.invalidate_record(EntityKind::STUDENT, id(&x), Some(2), None);
        assert_eq!(l1.get(&x, None).flatten().map(|v| v.version), Some(3));
        let stamp = l1.stamp(&y, None);
        l1.flush();
        assert!(!l1.fill(&y, value(1), stamp, None));
        assert!(l1.fill(&y, value(1), l1.stamp(&y, None), None));
    }

    #[test]
    fn tombstones_weigh_less_than_values() {
        let (l1, (x, y)) = (l1(), two_records());
        let big = Some(CachedValue::from_json(Bytes::from(vec![b'x'; 1000]), 1));
        assert!(l1.fill(&x, big, l1.stamp(&x, None), None));
        l1.run_pending_tasks();
        let with_value = l1.weighted_size();
        l1.invalidate_record(EntityKind::STUDENT, id(&x), Some(2), None);
        l1.invalidate_record(EntityKind::STUDENT, id(&y), Some(2), None);
        l1.run_pending_tasks();
        assert!(
            l1.weighted_size() < with_value,
            "two tombstones < one value"
        );
    }

    fn token(position: u64) -> Option<ConsistencyToken> {
        Some(ConsistencyToken::from_position(position))
    }

    #[test]
    fn an_entry_answers_only_reads_that_need_no_later_position_than_its_own() {
        let (l1, (x, _)) = (l1(), two_records());
        assert!(l1.fill(&x, value(1), l1.stamp(&x, None), token(10)));
        assert!(l1.get(&x, None).is_some(), "a read without a token");
        assert!(
            l1.get(&x, token(10)).is_some(),
            "a read at its own position"
        );
        assert!(l1.get(&x, token(11)).is_none(), "a read after it");
        assert_eq!(
            l1.get(&x, token(9)).flatten().and_then(|v| v.token),
            token(10),
            "a hit says where it was read"
        );
        let (l1, (y, _)) = (self::l1(), two_records());
        assert!(l1.fill(&y, None, l1.stamp(&y, None), token(5)));
        assert!(matches!(l1.lookup(&y, token(5)), Found::Hit(None)));
        assert!(
            matches!(l1.lookup(&y, token(6)), Found::Miss(None)),
            "a \"not found\" read before the caller's write is no answer"
        );
    }

    #[test]
    fn not_found_over_a_tombstone_needs_a_read_that_saw_its_write() {
        let (l1, (x, _)) = (l1(), two_records());
        l1.invalidate_record(EntityKind::STUDENT, id(&x), Some(1), token(20));
        let stamp = l1.stamp(&x, None);
        assert!(
            !l1.fill(&x, None, stamp, token(19)),
            "a lagging copy that has not seen the create"
        );
        assert!(
            !l1.fill(&x, None, stamp, None),
            "a read at no known position"
        );
        assert!(
            l1.fill(&x, None, stamp, token(20)),
            "a read that saw the write"
        );
    }
}
