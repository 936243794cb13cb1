//! Statistics from the counts the writes keep ([`crate::kept_counts`]), and the check of
//! those counts against the rows.

use std::collections::BTreeMap;

use campushub_core::repository::GroupCounts;
use campushub_core::{Error, ListQuery, ReadOptions, ReadRoute, Result};
use serde_json::Value;

use super::stats::sort_groups;
use super::SqlRepository;
use crate::analytics::analytics_route;
use crate::backend::Backend;
use crate::kept_counts::{
    decode_value, encode_value, kept_counts, kept_position, non_negative, value_at,
};
use crate::table::SqlEntity;
use crate::value::ColType;

/// A count kept by the writes that differs from the rows: see
/// [`SqlRepository::verify_group_counts`].
#[derive(Debug, Clone, PartialEq)]
pub struct GroupCountMismatch {
    /// The table.
    pub table: &'static str,
    /// The grouping: a field, or `a,b` for a pair of fields.
    pub grouping: String,
    /// The value counted, as JSON (`"ACTIVE"`, `3`, `null`; an array for a pair).
    pub value: String,
    /// Rows with that value, counted from the rows.
    pub rows: u64,
    /// The count the writes kept.
    pub kept: i64,
}

impl<E: SqlEntity, B: Backend> SqlRepository<E, B> {
    /// Whether statistics of `fields` for `query` can be read from the kept counts: each
    /// field is kept, alone or in a pair, and nothing narrows the rows (filters and search
    /// need the rows themselves).
    pub(super) fn reads_kept_counts(&self, query: &ListQuery, fields: &[&str]) -> bool {
        !E::kept_counts().is_empty()
            && query.filters.is_empty()
            && query.search.as_deref().is_none_or(str::is_empty)
            && fields
                .iter()
                .all(|f| kept_position(E::kept_counts(), f).is_some())
    }

    /// Statistics of `fields` from the kept counts, in one statement reading O(groups) rows:
    /// a field kept in a pair is summed over the pair's other field, the total over the
    /// first grouping.
    pub(super) async fn kept_group_counts(
        &self,
        fields: &[&'static str],
        types: &[ColType],
        read: &ReadOptions,
    ) -> Result<GroupCounts> {
        let kept = kept_counts(&self.backend, &[E::TABLE], &analytics_route(read)).await?;
        let groupings = E::kept_counts();
        let mut counts = GroupCounts {
            total: 0,
            groups: fields.iter().map(|f| (*f, Vec::new())).collect(),
        };
        let positions: Vec<Option<(&str, usize)>> =
            fields.iter().map(|f| kept_position(groupings, f)).collect();
        let mut sums: Vec<BTreeMap<String, u64>> = vec![BTreeMap::new(); fields.len()];
        for ((_, grouping, value), n) in kept {
            let n = non_negative(n);
            if groupings.first() == Some(&grouping.as_str()) {
                counts.total += n;
            }
            for (i, position) in positions.iter().enumerate() {
                let Some((kept_in, at)) = position else {
                    continue;
                };
                if *kept_in != grouping {
                    continue;
                }
                if let Some(part) = value_at(&grouping, &value, *at) {
                    *sums[i].entry(part).or_insert(0) += n;
                }
            }
        }
        for (i, values) in sums.into_iter().enumerate() {
            for (value, n) in values.into_iter().filter(|(_, n)| *n > 0) {
                let scalar = decode_value(&value, types[i]).ok_or_else(|| Error::Internal {
                    message: format!("malformed kept count of `{}`: {value}", fields[i]),
                    source: None,
                })?;
                counts.groups[i].1.push((scalar, n));
            }
        }
        sort_groups(&mut counts);
        Ok(counts)
    }

    /// Every kept count of this table that differs from a count of its rows, both read on the
    /// primary (in separate statements: run it while nothing writes to the table, or run it
    /// twice and trust what both runs report). Empty when they agree, and for a table that
    /// keeps none.
    pub async fn verify_group_counts(&self) -> Result<Vec<GroupCountMismatch>> {
        let groupings = E::kept_counts();
        if groupings.is_empty() {
            return Ok(Vec::new());
        }
        let primary = ReadOptions::default().on(ReadRoute::Primary);
        let everything = ListQuery::new(E::schema());
        let mut expected: BTreeMap<(String, String), u64> = BTreeMap::new();
        for grouping in groupings {
            let fields: Vec<&'static str> = grouping.split(',').collect();
            let combinations = self.count_combinations(&everything, &fields, &primary);
            for (values, n) in combinations.await? {
                let value = match values.as_slice() {
                    [one] => encode_value(one).to_string(),
                    several => Value::Array(several.iter().map(encode_value).collect()).to_string(),
                };
                expected.insert(((*grouping).to_owned(), value), n);
            }
        }
        let mut kept: BTreeMap<(String, String), i64> =
            kept_counts(&self.backend, &[E::TABLE], &primary)
                .await?
                .into_iter()
                .map(|((_, field, value), n)| ((field, value), n))
                .collect();
        let mut mismatches = Vec::new();
        for ((grouping, value), rows) in expected {
            let kept_n = kept.remove(&(grouping.clone(), value.clone())).unwrap_or(0);
            if i64::try_from(rows).ok() != Some(kept_n) {
                mismatches.push(self.mismatch(grouping, value, rows, kept_n));
            }
        }
        for ((grouping, value), kept_n) in kept {
            mismatches.push(self.mismatch(grouping, value, 0, kept_n));
        }
        Ok(mismatches)
    }

    fn mismatch(
        &self,
        grouping: String,
        value: String,
        rows: u64,
        kept: i64,
    ) -> GroupCountMismatch {
        GroupCountMismatch {
            table: E::TABLE,
            grouping,
            value,
            rows,
            kept,
        }
    }
}
