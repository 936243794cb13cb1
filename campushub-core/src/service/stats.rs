//! Statistics: counts grouped by the schema's statistics fields.

use std::sync::Arc;

use serde_json::Value;

use super::cached::vanished;
use super::{EntityService, Statistics};
use crate::auth::{Action, Principal};
use crate::cache::{CacheKey, CachedValue};
use crate::entity::Entity;
use crate::error::{Error, Result};
use crate::query::ListQuery;
use crate::repository::{GroupCounts, ReadOptions, ReadRoute};
use crate::value::Scalar;

/// The text key of a null group.
const NULL_KEY: &str = "null";

impl<E: Entity> EntityService<E> {
    /// Counts of records matching the filter parameters, grouped by the schema's statistics
    /// fields.
    ///
    /// Filters and `search` are parsed as for [`EntityService::list`]; pagination and ordering
    /// parameters are rejected by name. The counts run on the analytics route and are cached
    /// under [`CacheKey::Stats`]. Group values become text keys: enum values as they are,
    /// numbers and ids in their JSON text form, and `"null"` for records without a value.
    ///
    /// # Errors
    /// [`Error::Forbidden`] without the `Statistics` permission; [`Error::Validation`] naming
    /// a bad parameter, or one a caller who may not list the kind may not give (see
    /// [`StatisticsPrivacy`](super::StatisticsPrivacy), which also withholds small groups
    /// from such callers), or a filter on (or a grouping by) a personal field the caller may
    /// not see. A row-scoped caller counts the records of its scope only.
    #[tracing::instrument(level = "debug", name = "service.statistics", skip_all, fields(entity.kind = %E::KIND))]
    pub async fn statistics(
        &self,
        principal: &Principal,
        params: &[(String, String)],
        read: &ReadOptions,
    ) -> Result<Statistics> {
        self.authorize(principal, Action::Statistics)?;
        let privacy = &self.inner.privacy;
        let restricted = self.withheld_below(principal).is_some();
        if restricted {
            privacy.check(E::schema(), params)?;
        }
        let access = self.access(principal, Action::Statistics)?;
        if !access.personal {
            let hidden = self.hidden(read).await?;
            hidden.check_groups(E::schema())?;
            hidden.check_params(E::schema(), params)?;
        }
        let definitions = self.query_definitions(params, read).await?;
        let pairs = params.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let mut query = ListQuery::parse_filters(E::schema(), pairs, &definitions)?;
        query.filters.extend(access.filters.into_iter().flatten());
        let key = CacheKey::Stats {
            kind: E::KIND,
            query: query.fingerprint(),
        };
        let repository = &self.inner.repository;
        let query = &query;
        let cached = self
            .through_cache(&key, read, move |ticket| async move {
                let read = read
                    .clone()
                    .at_least(ticket.min_token)
                    .on(ReadRoute::Analytics);
                let counts = repository
                    .group_counts(query, E::schema().stats, &read)
                    .await?;
                encode(statistics(counts)).map(Some)
            })
            .await?
            .ok_or_else(|| vanished("statistics"))?;
        let mut statistics = match cached.decoded::<Statistics>() {
            Some(decoded) => Statistics::clone(&decoded),
            None => decode(&cached.json, E::schema().stats)?,
        };
        if restricted {
            privacy.suppress(&mut statistics);
        }
        Ok(statistics)
    }
}

impl<E: Entity> EntityService<E> {
    /// The smallest group `principal` may see counted, when the kind's
    /// [`StatisticsPrivacy`](super::StatisticsPrivacy) applies to them (they may count the
    /// kind's records but not list them); `None` when they see every group. Reports over
    /// the kind (analytics) withhold the same groups.
    pub fn withheld_below(&self, principal: &Principal) -> Option<u64> {
        let privacy = &self.inner.privacy;
        let restricted = privacy.enabled() && self.authorize(principal, Action::List).is_err();
        restricted.then(|| privacy.min())
    }
}

/// Group counts with their values as text keys.
fn statistics(counts: GroupCounts) -> Statistics {
    Statistics {
        total: counts.total,
        groups: counts
            .groups
            .into_iter()
            .map(|(field, values)| {
                let values = values
                    .into_iter()
                    .map(|(value, count)| (group_key(value.as_ref()), count))
                    .collect();
                (field, values)
            })
            .collect(),
        suppressed_below: None,
    }
}

/// The text key of a group value.
fn group_key(value: Option<&Scalar>) -> String {
    match value {
        None => NULL_KEY.to_owned(),
        Some(Scalar::Text(text)) => text.clone(),
        Some(other) => match other.to_json() {
            Value::String(text) => text,
            json => json.to_string(),
        },
    }
}

fn encode(statistics: Statistics) -> Result<CachedValue> {
    let json = serde_json::to_vec(&statistics)
        .map_err(|error| Error::internal("statistics do not serialize", error))?;
    Ok(CachedValue::from_json(json.into(), 0).with_decoded(Arc::new(statistics)))
}

/// Statistics from their cached JSON, with groups in the order of `fields` and, within a
/// group, largest count first then by key (the order the store produced).
fn decode(json: &[u8], fields: &'static [&'static str]) -> Result<Statistics> {
    let corrupt = |what: &str| Error::Internal {
        message: format!("cached statistics are corrupt: {what}"),
        source: None,
    };
    let value: Value = serde_json::from_slice(json)
        .map_err(|error| Error::internal("cached statistics do not parse", error))?;
    let total = value
        .get("total")
        .and_then(Value::as_u64)
        .ok_or_else(|| corrupt("no total"))?;
    let mut groups = Vec::with_capacity(fields.len());
    for field in fields {
        let key = Statistics::group_name(field);
        let counts = value
            .get(&key)
            .and_then(Value::as_object)
            .ok_or_else(|| corrupt("a group is missing"))?;
        let mut counts = counts
            .iter()
            .map(|(value, count)| {
                count
                    .as_u64()
                    .map(|count| (value.clone(), count))
                    .ok_or_else(|| corrupt("a count is not a number"))
            })
            .collect::<Result<Vec<_>>>()?;
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        groups.push((*field, counts));
    }
    Ok(Statistics {
        total,
        groups,
        suppressed_below: None,
    })
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    #[test]
    fn group_keys_are_text() {
        let id = Uuid::nil();
        assert_eq!(group_key(None), "null");
        assert_eq!(group_key(Some(&Scalar::from("ACTIVE"))), "ACTIVE");
        assert_eq!(group_key(Some(&Scalar::Int(3))), "3");
        assert_eq!(group_key(Some(&Scalar::Bool(true))), "true");
        assert_eq!(group_key(Some(&Scalar::Uuid(id))), id.to_string());
    }

    #[test]
    fn round_trips_through_json() {
        let stats = statistics(GroupCounts {
            total: 5,
            groups: vec![
                ("status", vec![(Some(Scalar::from("ACTIVE")), 4), (None, 1)]),
                ("year_of_study", vec![(Some(Scalar::Int(2)), 5)]),
            ],
        });
        let cached = encode(stats.clone()).expect("encodes");
        let json: Value = serde_json::from_slice(&cached.json).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"total": 5, "by_status": {"ACTIVE": 4, "null": 1}, "by_year_of_study": {"2": 5}})
        );
        let decoded = decode(&cached.json, &["status", "year_of_study"]).expect("decodes");
        assert_eq!(decoded, stats);
    }

    #[test]
    fn corrupt_json_is_an_internal_error() {
        for json in [&b"[]"[..], b"{\"total\": 1}", b"nope"] {
            let error = decode(json, &["status"]).expect_err("corrupt");
            assert!(matches!(error, Error::Internal { .. }));
        }
    }
}
