//! The total of a page-number page, cached apart from the page: every page of a walk with the
//! same filters shares one `count`, so only the first page of a generation pays for it. With
//! a count cap the store counts no further than the cap and one more row, cache or not (see
//! [`EntityServiceBuilder::count_cap`](super::EntityServiceBuilder::count_cap)).

use bytes::Bytes;

use super::cached::vanished;
use super::EntityService;
use crate::cache::{CacheKey, CachedValue};
use crate::entity::Entity;
use crate::error::{Error, Result};
use crate::query::{ListQuery, Total};
use crate::repository::ReadOptions;

impl<E: Entity> EntityService<E> {
    /// How many records `query`'s filters and search select (up to the count cap), through
    /// the cache under the kind's generation (a [`CacheKey::Stats`] entry keyed by the
    /// filters and the cap alone).
    pub(super) async fn page_count(&self, query: &ListQuery, read: &ReadOptions) -> Result<Total> {
        let cap = self.inner.count_cap;
        let key = CacheKey::Stats {
            kind: E::KIND,
            query: count_fingerprint(query, cap),
        };
        let repository = &self.inner.repository;
        let cached = self
            .through_cache(&key, read, move |ticket| async move {
                let read = read.clone().at_least(ticket.min_token);
                let count = match cap {
                    // One row past the cap says the total is above it.
                    Some(cap) => {
                        let bound = cap.saturating_add(1);
                        repository.count_at_most(query, bound, &read).await?
                    }
                    None => repository.count(query, &read).await?,
                };
                Ok(Some(CachedValue::from_json(
                    Bytes::from(count.to_string()),
                    0,
                )))
            })
            .await?
            .ok_or_else(|| vanished("count"))?;
        let counted: u64 = std::str::from_utf8(&cached.json)
            .ok()
            .and_then(|text| text.parse().ok())
            .ok_or_else(|| Error::Internal {
                message: "a cached count is not a number".to_owned(),
                source: None,
            })?;
        Ok(Total::capped(counted, cap))
    }
}

/// The key text of a count: what the query selects, not its page, page size or order, and the
/// cap it was counted to (instances configured differently share no entry); prefixed so it
/// never equals a statistics fingerprint.
fn count_fingerprint(query: &ListQuery, cap: Option<u64>) -> String {
    match cap {
        Some(cap) => format!("count<={cap}:{}", query.selection_fingerprint()),
        None => format!("count:{}", query.selection_fingerprint()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::CursorCodec;
    use crate::{Entity, Student};

    fn parse(params: &[(&str, &str)]) -> ListQuery {
        ListQuery::parse(
            Student::schema(),
            params.iter().copied(),
            &[],
            &CursorCodec::new("k"),
        )
        .expect("valid")
    }

    #[test]
    fn pages_sizes_and_orders_of_one_filter_share_a_count() {
        let first = parse(&[("status", "ACTIVE"), ("page", "1")]);
        let later = parse(&[
            ("page", "7"),
            ("page_size", "10"),
            ("ordering", "last_name"),
            ("status", "ACTIVE"),
        ]);
        let key = |query: &ListQuery| count_fingerprint(query, None);
        assert_eq!(key(&first), key(&later));
        let other = parse(&[("status", "GRADUATED"), ("page", "1")]);
        assert_ne!(key(&first), key(&other));
        let searched = parse(&[("status", "ACTIVE"), ("search", "rao"), ("page", "1")]);
        assert_ne!(key(&first), key(&searched));
        assert!(key(&first).starts_with("count:{"));
    }

    #[test]
    fn a_capped_count_is_kept_apart_from_an_exact_one_and_other_caps() {
        let query = parse(&[("status", "ACTIVE"), ("page", "1")]);
        let exact = count_fingerprint(&query, None);
        let capped = count_fingerprint(&query, Some(100));
        assert_ne!(exact, capped);
        assert_ne!(capped, count_fingerprint(&query, Some(1000)));
        assert!(capped.starts_with("count<=100:{"));
    }
}
