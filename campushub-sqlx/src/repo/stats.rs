//! Statistics: grouped counts from the counts the writes keep, else from the rows in one
//! statement.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use campushub_core::repository::GroupCounts;
use campushub_core::{Error, ListQuery, ReadOptions, Result, Scalar};

use super::SqlRepository;
use crate::analytics::analytics_route;
use crate::backend::Backend;
use crate::kept_counts::{encode_value, non_negative};
use crate::sql::{push_conditions, SqlBuilder};
use crate::table::SqlEntity;
use crate::value::{ColType, SqlValue};

impl<E: SqlEntity, B: Backend> SqlRepository<E, B> {
    /// Counts of the rows matching `query` per value of each of `fields`: from the counts the
    /// writes keep when they answer it, else from the rows.
    pub(super) async fn fetch_group_counts(
        &self,
        query: &ListQuery,
        fields: &[&'static str],
        read: &ReadOptions,
    ) -> Result<GroupCounts> {
        if self.reads_kept_counts(query, fields) {
            let types = self.group_types(fields)?;
            return self.kept_group_counts(fields, &types, read).await;
        }
        self.fetch_group_counts_scanned(query, fields, read).await
    }

    /// The column types of `fields`, each of which must be a schema field with a column.
    fn group_types(&self, fields: &[&'static str]) -> Result<Vec<ColType>> {
        let mut types = Vec::with_capacity(fields.len());
        for field in fields {
            let column = E::schema()
                .field(field)
                .and_then(|_| self.table.column(field).ok());
            let Some(column) = column else {
                return Err(Error::invalid(
                    *field,
                    format!("{} has no field `{field}` to group by", E::KIND),
                ));
            };
            types.push(column.ty);
        }
        Ok(types)
    }

    /// Counts from the rows: one statement grouping the matching rows by every field at once
    /// (in the order of the statistics index, [`SqlEntity::statistics_index`]), summed here
    /// per field. It returns a row per combination of values present, at most the product of
    /// the fields' numbers of values (statistics fields are categories: a few statuses,
    /// genders, years, departments), and one aggregation over an index read in order costs a
    /// fraction of grouping the rows once per field (`GROUPING SETS`, or one scan per field).
    async fn fetch_group_counts_scanned(
        &self,
        query: &ListQuery,
        fields: &[&'static str],
        read: &ReadOptions,
    ) -> Result<GroupCounts> {
        let order = index_order(fields, E::statistics_index());
        let ordered: Vec<&'static str> = order.iter().map(|&i| fields[i]).collect();
        let combinations = self
            .count_combinations(query, &ordered, &analytics_route(read))
            .await?;
        let mut counts = GroupCounts {
            total: 0,
            groups: fields.iter().map(|f| (*f, Vec::new())).collect(),
        };
        // Per field: the value's JSON text => the value and its count.
        type Sums = BTreeMap<String, (Option<Scalar>, u64)>;
        let mut sums: Vec<Sums> = vec![BTreeMap::new(); fields.len()];
        for (values, n) in combinations {
            counts.total += n;
            for (value, &field) in values.into_iter().zip(&order) {
                let key = encode_value(&value).to_string();
                sums[field].entry(key).or_insert((value, 0)).1 += n;
            }
        }
        for (group, sum) in counts.groups.iter_mut().zip(sums) {
            group.1 = sum.into_values().collect();
        }
        sort_groups(&mut counts);
        Ok(counts)
    }

    /// `SELECT a, b, count(*) FROM table t [WHERE the query's filters and search] GROUP BY
    /// a, b`: how many of the matching rows hold each combination of values of `fields`.
    pub(super) async fn count_combinations(
        &self,
        query: &ListQuery,
        fields: &[&'static str],
        read: &ReadOptions,
    ) -> Result<Vec<(Vec<Option<Scalar>>, u64)>> {
        let mut types = self.group_types(fields)?;
        types.push(ColType::Int);
        let mut b = SqlBuilder::new(self.backend.dialect());
        b.push("SELECT ");
        for field in fields {
            b.column("t", field).push(", ");
        }
        b.push("count(*) FROM ").ident(self.table.table).push(" t");
        push_conditions(&mut b, &self.table, query, false)?;
        b.push(" GROUP BY ");
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.column("t", field);
        }
        let rows = self.backend.fetch(b.finish(types), read).await?;
        rows.into_iter()
            .map(|mut row| {
                let Some(SqlValue::Int(Some(n))) = row.pop() else {
                    return Err(Error::Internal {
                        message: "malformed grouped count".into(),
                        source: None,
                    });
                };
                let values = row.iter().map(SqlValue::to_scalar).collect();
                Ok((values, non_negative(n)))
            })
            .collect()
    }
}

/// The positions of `fields` in the order of `index`'s columns, those not in it last (in
/// their own order).
fn index_order(fields: &[&str], index: &[&str]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..fields.len()).collect();
    order.sort_by_key(|&i| {
        index
            .iter()
            .position(|column| *column == fields[i])
            .unwrap_or(index.len())
    });
    order
}

/// Each field's groups largest count first, equal counts by value with the null group last.
pub(super) fn sort_groups(counts: &mut GroupCounts) {
    for (_, group) in &mut counts.groups {
        group.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| compare_values(&a.0, &b.0)));
    }
}

/// By value, null last.
fn compare_values(a: &Option<Scalar>, b: &Option<Scalar>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(a), Some(b)) => a.compare(b).unwrap_or(Ordering::Equal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_follow_the_index_and_the_others_keep_their_order_after_it() {
        let index = ["department_id", "status", "year_of_study", "gender"];
        let fields = ["status", "gender", "year_of_study", "department_id"];
        assert_eq!(index_order(&fields, &index), [3, 0, 2, 1]);
        let fields = ["custom", "gender", "other", "department_id"];
        assert_eq!(index_order(&fields, &index), [3, 1, 0, 2]);
        assert_eq!(index_order(&fields, &[]), [0, 1, 2, 3]);
    }
}
