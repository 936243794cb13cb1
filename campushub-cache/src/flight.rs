//! Single flight: concurrent misses on one key run one loader; the others wait for its value,
//! provided the leader reads at a position they accept.
//!
//! A caller that needs a later position than the flight in progress (it carries the token of
//! a write made after that load began) must not take its result: it leads a new flight for
//! the key, which later callers with needs up to its own join instead.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use campushub_core::{CacheKey, CachedValue, ConsistencyToken};
use tokio::sync::watch;

/// What a finished flight hands its followers: the leader's value (`None`: "not found").
type Outcome = Option<Option<CachedValue>>;

/// A flight in progress: its number, the position its leader reads at (at least), and where
/// its outcome will appear.
struct Flight {
    id: u64,
    need: Option<ConsistencyToken>,
    receiver: watch::Receiver<Outcome>,
}

/// The misses in flight, by key: the one with the latest need.
#[derive(Default)]
pub(crate) struct Flights {
    in_flight: Mutex<HashMap<CacheKey, Flight>>,
    next_id: AtomicU64,
}

/// The caller's part in a flight.
pub(crate) enum Role<'a> {
    /// Run the loader, then [`Leader::finish`].
    Leader(Leader<'a>),
    /// Wait for the leader with [`Follower::wait`].
    Follower(Follower),
}

/// The one caller that loads. Dropping it without finishing (an error, a cancelled request)
/// releases the followers, who then try again.
pub(crate) struct Leader<'a> {
    flights: &'a Flights,
    key: CacheKey,
    id: u64,
    sender: watch::Sender<Outcome>,
}

/// A caller waiting for a leader.
pub(crate) struct Follower {
    receiver: watch::Receiver<Outcome>,
}

impl Flights {
    /// Joins the flight for `key` of a caller that needs position `need`: follows the flight
    /// in progress if its leader reads at `need` or later, else leads a new one (which takes
    /// the older flight's place for callers that come later; the older one still finishes
    /// for its own followers).
    pub(crate) fn join(&self, key: &CacheKey, need: Option<ConsistencyToken>) -> Role<'_> {
        let mut in_flight = self.lock();
        if let Some(flight) = in_flight.get(key) {
            if flight.need >= need {
                return Role::Follower(Follower {
                    receiver: flight.receiver.clone(),
                });
            }
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (sender, receiver) = watch::channel(None);
        in_flight.insert(key.clone(), Flight { id, need, receiver });
        Role::Leader(Leader {
            flights: self,
            key: key.clone(),
            id,
            sender,
        })
    }

    /// The number of flights in progress.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CacheKey, Flight>> {
        // The map is only inserted into and removed from: a panic cannot corrupt it.
        self.in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Leader<'_> {
    /// Hands `value` to the followers and ends the flight.
    pub(crate) fn finish(self, value: Option<CachedValue>) {
        // No receiver left is fine: nobody was waiting.
        let _ = self.sender.send(Some(value));
    }
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        // A flight with a later need may have taken this one's place: remove only our own.
        let mut in_flight = self.flights.lock();
        if in_flight.get(&self.key).is_some_and(|f| f.id == self.id) {
            in_flight.remove(&self.key);
        }
    }
}

impl Follower {
    /// The leader's value, or `None` if the leader failed or was cancelled (try again).
    pub(crate) async fn wait(mut self) -> Option<Option<CachedValue>> {
        match self.receiver.wait_for(Option::is_some).await {
            Ok(outcome) => outcome.clone(),
            Err(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use campushub_core::EntityKind;

    use super::*;

    fn key() -> CacheKey {
        CacheKey::List {
            kind: EntityKind::STUDENT,
            query: "q".to_owned(),
        }
    }

    #[tokio::test]
    async fn followers_get_the_leaders_value() {
        let flights = Flights::default();
        let Role::Leader(leader) = flights.join(&key(), None) else {
            panic!("the first caller leads");
        };
        let Role::Follower(follower) = flights.join(&key(), None) else {
            panic!("the second caller follows");
        };
        leader.finish(Some(CachedValue::from_json(Bytes::from_static(b"[]"), 0)));
        let got = follower.wait().await;
        assert!(matches!(got, Some(Some(v)) if &v.json[..] == b"[]"));
        assert_eq!(flights.len(), 0);
    }

    #[tokio::test]
    async fn a_dropped_leader_releases_followers() {
        let flights = Flights::default();
        let leader = flights.join(&key(), None);
        let Role::Follower(follower) = flights.join(&key(), None) else {
            panic!("the second caller follows");
        };
        drop(leader);
        assert!(follower.wait().await.is_none());
        assert!(matches!(flights.join(&key(), None), Role::Leader(_)));
    }

    fn token(position: u64) -> Option<ConsistencyToken> {
        Some(ConsistencyToken::from_position(position))
    }

    #[tokio::test]
    async fn a_caller_needing_a_later_position_leads_its_own_flight() {
        let flights = Flights::default();
        let Role::Leader(early) = flights.join(&key(), token(1)) else {
            panic!("the first caller leads");
        };
        assert!(
            matches!(flights.join(&key(), None), Role::Follower(_)),
            "no token: the flight in progress will do"
        );
        assert!(
            matches!(flights.join(&key(), token(1)), Role::Follower(_)),
            "the same position"
        );
        let Role::Leader(late) = flights.join(&key(), token(2)) else {
            panic!("a later position must not take a result read before it");
        };
        let Role::Follower(late_follower) = flights.join(&key(), token(2)) else {
            panic!("later callers join the later flight");
        };
        drop(early);
        assert_eq!(
            flights.len(),
            1,
            "the early leader removes only its own flight"
        );
        late.finish(Some(CachedValue::from_json(Bytes::from_static(b"[2]"), 0)));
        let got = late_follower.wait().await;
        assert!(matches!(got, Some(Some(v)) if &v.json[..] == b"[2]"));
        assert_eq!(flights.len(), 0);
    }
}
