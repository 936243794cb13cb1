//! Single flight: concurrent misses on one key run one loader; the others wait for its value.

use std::collections::HashMap;
use std::sync::Mutex;

use campushub_core::{CacheKey, CachedValue};
use tokio::sync::watch;

/// What a finished flight hands its followers: the leader's value (`None`: "not found").
type Outcome = Option<Option<CachedValue>>;

/// The misses in flight, by key.
#[derive(Default)]
pub(crate) struct Flights {
    in_flight: Mutex<HashMap<CacheKey, watch::Receiver<Outcome>>>,
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
    sender: watch::Sender<Outcome>,
}

/// A caller waiting for a leader.
pub(crate) struct Follower {
    receiver: watch::Receiver<Outcome>,
}

impl Flights {
    /// Joins the flight for `key`, leading it if there is none.
    pub(crate) fn join(&self, key: &CacheKey) -> Role<'_> {
        let mut in_flight = self.lock();
        if let Some(receiver) = in_flight.get(key) {
            return Role::Follower(Follower {
                receiver: receiver.clone(),
            });
        }
        let (sender, receiver) = watch::channel(None);
        in_flight.insert(key.clone(), receiver);
        Role::Leader(Leader {
            flights: self,
            key: key.clone(),
            sender,
        })
    }

    /// The number of flights in progress.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CacheKey, watch::Receiver<Outcome>>> {
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
        // Only the leader removes its entry, and a new one is inserted only after removal,
        // so the entry under `key` is this flight's.
        self.flights.lock().remove(&self.key);
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
        let Role::Leader(leader) = flights.join(&key()) else {
            panic!("the first caller leads");
        };
        let Role::Follower(follower) = flights.join(&key()) else {
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
        let leader = flights.join(&key());
        let Role::Follower(follower) = flights.join(&key()) else {
            panic!("the second caller follows");
        };
        drop(leader);
        assert!(follower.wait().await.is_none());
        assert!(matches!(flights.join(&key()), Role::Leader(_)));
    }
}
