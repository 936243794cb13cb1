//! The Redis key layout: one namespace, hash tags that keep each script's keys in one slot.
//!
//! | what | key | hash tag (slot) |
//! |---|---|---|
//! | record, tombstone or "not found" | `<ns>:e:{<kind>:<id>}` | the record |
//! | a kind's generation (hash `n`, `t`) | `<ns>:g:{<kind>}` | the kind |
//! | a list page | `<ns>:l:{<kind>}:<fingerprint>` | the kind |
//! | statistics | `<ns>:s:{<kind>}:<fingerprint>` | the kind |
//! | a kind's query index (sorted set of its list and statistics keys, scored by expiry) | `<ns>:q:{<kind>}` | the kind |
//! | invalidation channel (also revoked access tokens) | `<ns>:invalidations` | — |
//! | revoked access-token ids (sorted set scored by expiry) | `<ns>:revoked` | — |
//!
//! Every script touches either one record key, or one kind's generation together with one of
//! that kind's query keys (and, for a fill, the kind's query index): all carry the tag
//! `{<kind>}`, so each script's keys share a Redis Cluster slot while records spread over all
//! slots. A write's invalidation runs one script per slot (the tombstone, then one generation
//! bump per affected kind), each atomic.
//!
//! A fill that takes a kind over `max_query_entries_per_kind` deletes the kind's query keys
//! that expire first. It reads their names from the index, so they are not among its declared
//! keys; but they carry the kind's tag, hence they live in the declared keys' slot, which is
//! all Redis Cluster asks of the keys a script touches.
//!
//! A query entry is bound to the generation it was filled under by storing that number in the
//! value (`<generation>|<json>`) rather than in the key name: a bump makes every entry of the
//! kind unreachable at once, exactly as a generation in the name would, but leaves no orphaned
//! keys behind and lets a lookup read the generation and the entry in one script whose keys
//! are all declared.

use campushub_core::CacheKey;

/// Builds the Redis keys of one namespace.
#[derive(Debug, Clone)]
pub(crate) struct KeySpace {
    namespace: String,
}

impl KeySpace {
    /// The keys under `namespace` (already validated: no braces).
    pub(crate) fn new(namespace: &str) -> Self {
        KeySpace {
            namespace: namespace.to_owned(),
        }
    }

    /// The key holding `key`'s value: a record key, or a query key.
    pub(crate) fn value(&self, key: &CacheKey) -> String {
        let ns = &self.namespace;
        match key {
            CacheKey::Entity { kind, id } => format!("{ns}:e:{{{kind}:{id}}}"),
            CacheKey::List { kind, query } => format!("{ns}:l:{{{kind}}}:{query}"),
            CacheKey::Stats { kind, query } => format!("{ns}:s:{{{kind}}}:{query}"),
        }
    }

    /// The index of `kind`'s query keys: a sorted set, each scored by when its entry expires.
    pub(crate) fn query_index(&self, kind: &str) -> String {
        format!("{}:q:{{{kind}}}", self.namespace)
    }

    /// The generation hash of `kind`.
    pub(crate) fn generation(&self, kind: &str) -> String {
        format!("{}:g:{{{kind}}}", self.namespace)
    }

    /// The pub/sub channel invalidations travel on.
    pub(crate) fn channel(&self) -> String {
        format!("{}:invalidations", self.namespace)
    }

    /// The failure counter and the lock of a login key (`counter`: `account` or `address`;
    /// `digest`: the key's SHA-256, hex), tagged to one slot so one `DEL` takes both.
    pub(crate) fn login_failures(&self, counter: &str, digest: &str) -> (String, String) {
        let ns = &self.namespace;
        (
            format!("{ns}:lf:{{{counter}:{digest}}}"),
            format!("{ns}:ll:{{{counter}:{digest}}}"),
        )
    }

    /// The theoretical arrival time of a rate-limit key (`digest`: the key's SHA-256, hex;
    /// see [`digest`]), one key per slot.
    pub(crate) fn rate(&self, digest: &str) -> String {
        format!("{}:rl:{{{digest}}}", self.namespace)
    }

    /// The sorted set of revoked access-token ids, each scored by its token's expiry
    /// (seconds since the Unix epoch): what an instance that (re)subscribes loads.
    pub(crate) fn revoked(&self) -> String {
        format!("{}:revoked", self.namespace)
    }
}

/// The SHA-256 of `key`, hex: how keys a client chooses (an email, an address, a subject)
/// are named in Redis, so that none appears there and none can break the key layout.
pub(crate) fn digest(key: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use campushub_core::EntityKind;
    use uuid::Uuid;

    use super::*;

    /// The Redis Cluster hash tag of `key`: the text between the first `{` and the next `}`.
    fn tag(key: &str) -> &str {
        let open = key.find('{').map_or(0, |i| i + 1);
        let close = key[open..].find('}').map_or(key.len(), |i| open + i);
        &key[open..close]
    }

    #[test]
    fn query_keys_and_index_share_their_generations_slot() {
        let keys = KeySpace::new("ns");
        let list = CacheKey::List {
            kind: EntityKind::STUDENT,
            query: "page=1{x}".to_owned(),
        };
        let stats = CacheKey::Stats {
            kind: EntityKind::STUDENT,
            query: "by=status".to_owned(),
        };
        let generation = keys.generation("student");
        assert_eq!(tag(&keys.value(&list)), tag(&generation));
        assert_eq!(tag(&keys.value(&stats)), tag(&generation));
        // The index a fill reads the keys to evict from, and so the evicted keys, too.
        assert_eq!(tag(&keys.query_index("student")), tag(&generation));
        assert_eq!(tag(&generation), "student");
    }

    #[test]
    fn record_keys_are_tagged_by_record() {
        let keys = KeySpace::new("ns");
        let id = Uuid::nil();
        let key = keys.value(&CacheKey::Entity {
            kind: EntityKind::DEPARTMENT,
            id,
        });
        assert_eq!(key, format!("ns:e:{{department:{id}}}"));
        assert_eq!(tag(&key), format!("department:{id}"));
    }
}
