//! Reads: lists, counts and grouped counts evaluated with the query's reference semantics.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::state::State;
use crate::entity::Entity;
use crate::error::{Error, Result};
use crate::query::{ListQuery, Pagination};
use crate::repository::{GroupCounts, GroupValues};
use crate::value::Scalar;

impl State {
    /// The rows of `E` matching the query's filters and search.
    fn matching<'s, E: Entity>(&'s self, query: &'s ListQuery) -> Result<Vec<&'s E>> {
        Ok(match self.table::<E>()? {
            Some((_, rows)) => rows.values().filter(|row| query.matches(*row)).collect(),
            None => Vec::new(),
        })
    }

    /// One page of rows in walk order (see [`crate::repository::Repository::list`]).
    pub(super) fn list<E: Entity>(&self, query: &ListQuery) -> Result<Vec<E>> {
        let mut keyed: Vec<_> = self
            .matching::<E>(query)?
            .into_iter()
            .map(|row| (query.sort_key(row), row))
            .filter(|(key, _)| query.key_is_past_position(key))
            .collect();
        keyed.sort_by(|(a, _), (b, _)| query.compare_keys(a, b));
        if matches!(&query.pagination, Pagination::Cursor(Some(p)) if p.backwards) {
            keyed.reverse();
        }
        let skip = usize::try_from(query.offset()).unwrap_or(usize::MAX);
        let take = usize::try_from(query.limit()).unwrap_or(usize::MAX);
        Ok(keyed
            .into_iter()
            .skip(skip)
            .take(take)
            .map(|(_, row)| self.attach(row))
            .collect())
    }

    /// The number of rows matching the query's filters and search, counted no further than
    /// `at_most`.
    pub(super) fn count<E: Entity>(&self, query: &ListQuery, at_most: u64) -> Result<u64> {
        let take = usize::try_from(at_most).unwrap_or(usize::MAX);
        Ok(match self.table::<E>()? {
            Some((_, rows)) => rows
                .values()
                .filter(|row| query.matches(*row))
                .take(take)
                .count(),
            None => 0,
        } as u64)
    }

    /// Counts of matching rows grouped by each of `fields`.
    pub(super) fn group_counts<E: Entity>(
        &self,
        query: &ListQuery,
        fields: &[&'static str],
    ) -> Result<GroupCounts> {
        if let Some(unknown) = fields.iter().find(|f| E::schema().field(f).is_none()) {
            return Err(Error::invalid(
                *unknown,
                format!("{} has no field `{unknown}` to group by", E::KIND),
            ));
        }
        let rows = self.matching::<E>(query)?;
        let groups = fields
            .iter()
            .map(|field| (*field, group_by(&rows, field)))
            .collect();
        Ok(GroupCounts {
            total: rows.len() as u64,
            groups,
        })
    }
}

/// `(value, count)` pairs of `field` over `rows`: largest count first, then by value, null
/// last.
fn group_by<E: Entity>(rows: &[&E], field: &str) -> GroupValues {
    let mut counts: BTreeMap<String, (Option<Scalar>, u64)> = BTreeMap::new();
    for row in rows {
        let value = row.field(field);
        let key = serde_json::to_string(&value).unwrap_or_default();
        counts.entry(key).or_insert((value, 0)).1 += 1;
    }
    let mut groups: Vec<_> = counts.into_values().collect();
    groups.sort_by(|(a, a_count), (b, b_count)| {
        b_count.cmp(a_count).then_with(|| match (a, b) {
            (Some(a), Some(b)) => a.compare(b).unwrap_or(Ordering::Equal),
            (a, b) => b.is_some().cmp(&a.is_some()),
        })
    });
    groups
}
