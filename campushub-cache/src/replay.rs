//! The background replay of invalidations queued while Redis was unreachable.
//!
//! No request waits for it: while a backlog exists this instance skips Redis for lookups and
//! fills (L1 and the loaders serve), and new invalidations go to Redis directly, not behind
//! the backlog. The backlog is collapsed first (one tombstone per record with its highest
//! version and token, one bump per generation per chunk), so thousands of queued writes
//! replay in a few pipelined round trips, newest first: the records written last are the
//! likeliest to be read next, and an invalidation queued during the outage's last moments
//! does not wait behind the thousands before it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use campushub_core::EntityKind;
use uuid::Uuid;

use crate::l2::{Invalidation, L2};

/// The first pause after a failed replay (Redis still away), doubled up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(50);

/// The longest pause between replay attempts: Redis's return is noticed within this.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_millis(500);

/// Invalidations written per pipelined round trip.
const CHUNK: usize = 256;

/// Replays `l2`'s backlog whenever there is one, forever (the cache aborts the task when
/// dropped).
pub(crate) async fn run(l2: Arc<L2>) {
    let mut backoff = MIN_BACKOFF;
    loop {
        if !l2.has_pending() {
            l2.wait_queued().await;
        }
        let mut taken = l2.take_pending();
        taken.reverse();
        let mut backlog = collapse(taken);
        let count = backlog.len();
        match replay(&l2, &backlog).await {
            Ok(()) => {
                l2.replayed(count);
                backoff = MIN_BACKOFF;
                if count > 0 {
                    tracing::info!(count, "queued cache invalidations replayed");
                }
            }
            Err(error) => {
                tracing::debug!(%error, count, "cache invalidation replay failed; retrying");
                backlog.reverse();
                l2.requeue(backlog);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Writes `backlog` to Redis, chunk by chunk (a chunk written twice after a later failure
/// is harmless: every step keeps the highest version and token).
async fn replay(l2: &L2, backlog: &[Invalidation]) -> crate::Result<()> {
    for chunk in backlog.chunks(CHUNK) {
        l2.apply_many(chunk).await?;
    }
    Ok(())
}

/// One invalidation per record: its highest version and token, every generation any of its
/// invalidations named, in the order of each record's first appearance.
pub(crate) fn collapse(invalidations: Vec<Invalidation>) -> Vec<Invalidation> {
    let mut index: HashMap<(EntityKind, Uuid), usize> = HashMap::new();
    let mut collapsed: Vec<Invalidation> = Vec::new();
    for invalidation in invalidations {
        match index.get(&(invalidation.kind, invalidation.id)) {
            Some(&at) => {
                let kept = &mut collapsed[at];
                kept.version = kept.version.max(invalidation.version);
                kept.token = kept.token.max(invalidation.token);
                for kind in invalidation.generations {
                    if !kept.generations.contains(&kind) {
                        kept.generations.push(kind);
                    }
                }
            }
            None => {
                index.insert((invalidation.kind, invalidation.id), collapsed.len());
                collapsed.push(invalidation);
            }
        }
    }
    collapsed
}

#[cfg(test)]
mod tests {
    use campushub_core::ConsistencyToken;

    use super::*;

    fn invalidation(id: u128, version: i64, token: u64, kinds: &[EntityKind]) -> Invalidation {
        Invalidation {
            kind: EntityKind::STUDENT,
            id: Uuid::from_u128(id),
            version,
            token: Some(ConsistencyToken::from_position(token)),
            generations: kinds.to_vec(),
        }
    }

    #[test]
    fn collapses_to_one_invalidation_per_record_with_the_highest_version_and_token() {
        let collapsed = collapse(vec![
            invalidation(1, 2, 10, &[EntityKind::STUDENT]),
            invalidation(2, 5, 11, &[EntityKind::STUDENT]),
            invalidation(1, 4, 30, &[EntityKind::STUDENT, EntityKind::ANALYTICS]),
            invalidation(1, 3, 20, &[EntityKind::STUDENT]),
        ]);
        assert_eq!(collapsed.len(), 2);
        let first = &collapsed[0];
        assert_eq!((first.id, first.version), (Uuid::from_u128(1), 4));
        assert_eq!(first.token.map(ConsistencyToken::position), Some(30));
        assert_eq!(
            first.generations,
            vec![EntityKind::STUDENT, EntityKind::ANALYTICS]
        );
        assert_eq!(
            (collapsed[1].id, collapsed[1].version),
            (Uuid::from_u128(2), 5)
        );
    }
}
