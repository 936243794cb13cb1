//! Evaluating a [`ListQuery`] against records in memory: the reference semantics every store
//! must reproduce.

use std::cmp::Ordering;

use super::ListQuery;
use crate::entity::Entity;

impl ListQuery {
    /// Whether `entity` passes every filter and the search.
    pub fn matches<E: Entity>(&self, entity: &E) -> bool {
        let _ = entity;
        unimplemented!("ListQuery::matches")
    }

    /// Compares two records in the query's order (ordering keys, then id), ignoring the
    /// direction of a backwards cursor.
    pub fn compare<E: Entity>(&self, a: &E, b: &E) -> Ordering {
        let _ = (a, b);
        unimplemented!("ListQuery::compare")
    }

    /// Whether `entity` lies after the keyset position in the walk's direction (always true
    /// when the query has no position).
    pub fn is_past_position<E: Entity>(&self, entity: &E) -> bool {
        let _ = entity;
        unimplemented!("ListQuery::is_past_position")
    }
}
