//! The first row of each key (a natural key, a unique value) seen by an import, kept compact:
//! an import of a large file remembers every key, so a key costs its bytes and a small
//! fixed entry rather than a `String` of its own in a map.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

/// Keys and the row each was first seen in; exact (a hash is only the index, every hit is
/// compared with the key it stands for).
///
/// The keys' bytes live end to end in one buffer; the index maps a key's 64-bit hash (SipHash
/// with a per-map random key, so a file cannot be crafted to collide) to where its bytes are
/// and its row. A different key with the same hash, which practically never happens, goes to
/// a plain map beside it, so a collision costs space, never a wrong answer.
#[derive(Debug, Default)]
pub(crate) struct KeyRows<S = RandomState> {
    hasher: S,
    bytes: String,
    index: HashMap<u64, Slot, BuildHasherDefault<Prehashed>>,
    collided: HashMap<String, usize>,
}

/// Where a key's bytes are in [`KeyRows::bytes`], and its row.
#[derive(Debug, Clone, Copy)]
struct Slot {
    start: u32,
    len: u32,
    row: u32,
}

impl<S: BuildHasher> KeyRows<S> {
    /// The row `key` was first seen in, if it was.
    pub(crate) fn get(&self, key: &str) -> Option<usize> {
        match self.index.get(&self.hash(key)) {
            Some(slot) if self.key_of(*slot) == key => Some(slot.row as usize),
            Some(_) => self.collided.get(key).copied(),
            None => None,
        }
    }

    /// Records that `key` was first seen in `row`, unless it was seen before: then the
    /// earlier row, and nothing changes.
    pub(crate) fn first_or_insert(&mut self, key: &str, row: usize) -> Option<usize> {
        if let Some(first) = self.get(key) {
            return Some(first);
        }
        let hash = self.hash(key);
        let slot = (|| {
            Some(Slot {
                start: u32::try_from(self.bytes.len()).ok()?,
                len: u32::try_from(key.len()).ok()?,
                row: u32::try_from(row).ok()?,
            })
        })();
        match slot {
            // A free hash whose slot can say where the key is: the compact entry.
            Some(slot) if !self.index.contains_key(&hash) => {
                self.bytes.push_str(key);
                self.index.insert(hash, slot);
            }
            // A collision, or past what a slot counts (4 GiB of keys, 4 billion rows).
            _ => {
                self.collided.insert(key.to_owned(), row);
            }
        }
        None
    }

    /// How many keys are kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.index.len() + self.collided.len()
    }

    fn hash(&self, key: &str) -> u64 {
        self.hasher.hash_one(key)
    }

    fn key_of(&self, slot: Slot) -> &str {
        let start = slot.start as usize;
        self.bytes
            .get(start..start + slot.len as usize)
            .unwrap_or_default()
    }
}

/// The hasher of an index whose keys are hashes already: it passes the `u64` through.
#[derive(Debug, Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64`s are hashed here; fold anything else rather than lose it.
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_row_of_each_key_is_kept_and_repeats_name_it() {
        let mut keys: KeyRows = KeyRows::default();
        assert_eq!(keys.first_or_insert("R1", 2), None);
        assert_eq!(keys.first_or_insert("R2", 3), None);
        assert_eq!(keys.first_or_insert("R1", 4), Some(2));
        assert_eq!(keys.get("R2"), Some(3));
        assert_eq!(keys.get("R3"), None);
        // A key that is a prefix or an extension of another is another key.
        assert_eq!(keys.first_or_insert("R", 5), None);
        assert_eq!(keys.first_or_insert("R12", 6), None);
        assert_eq!(keys.get("R1"), Some(2));
        assert_eq!(keys.len(), 4);
    }

    /// Gives every key the same hash: each key after the first collides.
    #[derive(Default)]
    struct SameHash;

    impl BuildHasher for SameHash {
        type Hasher = SameHash;
        fn build_hasher(&self) -> SameHash {
            SameHash
        }
    }

    impl Hasher for SameHash {
        fn finish(&self) -> u64 {
            7
        }
        fn write(&mut self, _bytes: &[u8]) {}
    }

    #[test]
    fn keys_with_the_same_hash_stay_apart() {
        let mut keys = KeyRows::<SameHash>::default();
        assert_eq!(keys.hash("A"), keys.hash("B"));
        assert_eq!(keys.first_or_insert("A", 2), None);
        assert_eq!(keys.get("B"), None, "a hash hit on another key is no hit");
        assert_eq!(keys.first_or_insert("B", 3), None);
        assert_eq!(keys.first_or_insert("C", 4), None);
        assert_eq!(keys.first_or_insert("B", 5), Some(3));
        assert_eq!(keys.first_or_insert("A", 6), Some(2));
        assert_eq!(keys.get("C"), Some(4));
        assert_eq!((keys.index.len(), keys.collided.len()), (1, 2));
    }

    #[test]
    fn many_keys_are_all_found() {
        let mut keys: KeyRows = KeyRows::default();
        for row in 0..50_000 {
            assert_eq!(keys.first_or_insert(&format!("S{row:06}"), row + 2), None);
        }
        for row in (0..50_000).step_by(997) {
            assert_eq!(keys.get(&format!("S{row:06}")), Some(row + 2));
        }
        assert_eq!(keys.len(), 50_000);
    }
}
