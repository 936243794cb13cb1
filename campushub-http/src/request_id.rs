//! Request ids that cost no system call: a process-wide sequence, scrambled.
//!
//! tower-http's `MakeRequestUuid` draws a version-4 UUID from the operating system for every
//! request (`getrandom`), which showed up in the profile of a cached retrieve next to the
//! whole handler. A request id only has to be unique (within an instance, and across instances
//! with overwhelming probability) and not reveal the request count; it is not a secret.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::http::{HeaderValue, Request};
use tower_http::request_id::{MakeRequestId, RequestId};
use uuid::Uuid;

/// Makes the ids of requests that arrive without one: UUID-shaped (version 8, so they cannot
/// be mistaken for random version-4 ids), unique per instance.
///
/// The high half is random per instance; the low half is a bijective scramble of a counter
/// under a per-instance key, so two requests of one instance never share an id and the ids do
/// not count the requests.
#[derive(Debug, Clone)]
pub struct SequentialRequestIds {
    shared: Arc<Sequence>,
}

#[derive(Debug)]
struct Sequence {
    instance: u64,
    key: u64,
    next: AtomicU64,
}

impl SequentialRequestIds {
    /// A new sequence, its instance half and key drawn from the operating system once.
    pub fn new() -> Self {
        let (instance, key) = Uuid::new_v4().as_u64_pair();
        SequentialRequestIds {
            shared: Arc::new(Sequence {
                instance,
                key,
                next: AtomicU64::new(0),
            }),
        }
    }

    /// The id of the next request.
    fn next_id(&self) -> Uuid {
        let sequence = &*self.shared;
        let n = sequence.next.fetch_add(1, Ordering::Relaxed);
        let scrambled = scramble(n ^ sequence.key);
        uuid::Builder::from_custom_bytes(
            (u128::from(sequence.instance) << 64 | u128::from(scrambled)).to_be_bytes(),
        )
        .into_uuid()
    }
}

impl Default for SequentialRequestIds {
    fn default() -> Self {
        SequentialRequestIds::new()
    }
}

impl MakeRequestId for SequentialRequestIds {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let mut text = Uuid::encode_buffer();
        let text = self.next_id().hyphenated().encode_lower(&mut text);
        HeaderValue::from_str(text).ok().map(RequestId::new)
    }
}

/// SplitMix64's finalizer: a bijection of `u64` (each step is invertible), so distinct inputs
/// give distinct outputs.
fn scramble(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn make(ids: &mut SequentialRequestIds) -> String {
        let request = Request::new(());
        let id = ids.make_request_id(&request).expect("an id");
        id.header_value().to_str().expect("ascii").to_owned()
    }

    #[test]
    fn ids_are_distinct_uuid_shaped_and_shared_by_clones() {
        let mut ids = SequentialRequestIds::new();
        let mut clone = ids.clone();
        let mut seen = HashSet::new();
        for i in 0..10_000 {
            let id = if i % 2 == 0 {
                make(&mut ids)
            } else {
                make(&mut clone)
            };
            let parsed = Uuid::try_parse(&id).expect("a UUID");
            assert_eq!(parsed.get_version_num(), 8, "{id}");
            assert_eq!(id.len(), 36);
            assert!(seen.insert(id), "a repeated id");
        }
    }

    #[test]
    fn ids_do_not_count_requests_and_instances_differ() {
        let mut first = SequentialRequestIds::new();
        let mut second = SequentialRequestIds::new();
        let (a, b) = (make(&mut first), make(&mut first));
        // Consecutive ids differ in many places, not in a trailing digit.
        let differing = a.chars().zip(b.chars()).filter(|(x, y)| x != y).count();
        assert!(differing > 8, "{a} {b}");
        assert_ne!(a[..18], make(&mut second)[..18], "instance halves");
    }

    #[test]
    fn scramble_is_injective_on_a_sample() {
        let outputs: HashSet<u64> = (0..100_000u64).map(|n| scramble(n ^ 0xDEAD_BEEF)).collect();
        assert_eq!(outputs.len(), 100_000);
    }
}
