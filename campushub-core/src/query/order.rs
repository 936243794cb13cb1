//! Ordering records in a [`ListQuery`]'s order and placing them against a keyset position.

use std::cmp::Ordering;

use uuid::Uuid;

use super::{Keyset, ListQuery, OrderKey, Pagination};
use crate::entity::Entity;
use crate::value::Scalar;

/// A record's ordering-key values and id, computed once so that sorting compares without
/// reading fields again.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SortKey {
    values: Vec<Option<Scalar>>,
    id: Uuid,
}

impl ListQuery {
    /// Compares two records in the query's order (ordering keys, then id), ignoring the
    /// direction of a backwards cursor.
    pub fn compare<E: Entity>(&self, a: &E, b: &E) -> Ordering {
        self.compare_keys(&self.sort_key(a), &self.sort_key(b))
    }

    /// Whether `entity` lies after the keyset position in the walk's direction (always true
    /// when the query has no position).
    pub fn is_past_position<E: Entity>(&self, entity: &E) -> bool {
        self.key_is_past_position(&self.sort_key(entity))
    }

    /// [`ListQuery::is_past_position`] for a row whose sort key is already at hand.
    pub(crate) fn key_is_past_position(&self, key: &SortKey) -> bool {
        let Pagination::Cursor(Some(position)) = &self.pagination else {
            return true;
        };
        let ordering = self.compare_to_position(key, position);
        if position.backwards {
            ordering == Ordering::Less
        } else {
            ordering == Ordering::Greater
        }
    }

    /// The ordering-key values and id of `entity`.
    pub(crate) fn sort_key<E: Entity>(&self, entity: &E) -> SortKey {
        SortKey {
            values: self
                .ordering
                .iter()
                .map(|key| entity.field(key.field.name))
                .collect(),
            id: entity.meta().id,
        }
    }

    /// Compares two sort keys in the query's order.
    pub(crate) fn compare_keys(&self, a: &SortKey, b: &SortKey) -> Ordering {
        compare_positions(
            &self.ordering,
            a.values.iter().map(Option::as_ref),
            a.id,
            b.values.iter().map(Option::as_ref),
            b.id,
        )
    }

    fn compare_to_position(&self, key: &SortKey, position: &Keyset) -> Ordering {
        compare_positions(
            &self.ordering,
            key.values.iter().map(Option::as_ref),
            key.id,
            position.values.iter().map(Some),
            position.id,
        )
    }
}

/// Compares two positions key by key (each in its direction), then by id in the last key's
/// direction. A null sorts before any value; values that do not compare count as equal.
fn compare_positions<'v>(
    ordering: &[OrderKey],
    a: impl Iterator<Item = Option<&'v Scalar>>,
    a_id: Uuid,
    b: impl Iterator<Item = Option<&'v Scalar>>,
    b_id: Uuid,
) -> Ordering {
    for ((key, x), y) in ordering.iter().zip(a).zip(b) {
        let ordering = match (x, y) {
            (Some(x), Some(y)) => x.compare(y).unwrap_or(Ordering::Equal),
            (x, y) => x.is_some().cmp(&y.is_some()),
        };
        let ordering = if key.descending {
            ordering.reverse()
        } else {
            ordering
        };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    let by_id = a_id.cmp(&b_id);
    if ordering.last().is_some_and(|key| key.descending) {
        by_id.reverse()
    } else {
        by_id
    }
}
