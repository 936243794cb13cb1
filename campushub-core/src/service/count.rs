//! The total of a page-number page, cached apart from the page: every page of a walk with the
//! same filters shares one `count`, so only the first page of a generation pays for it.

use bytes::Bytes;

use super::cached::vanished;
use super::EntityService;
use crate::cache::{CacheKey, CachedValue};
use crate::entity::Entity;
use crate::error::{Error, Result};
use crate::query::ListQuery;
use crate::repository::ReadOptions;

impl<E: Entity> EntityService<E> {
    /// How many records `query`'s filters and search select, through the cache under the
    /// kind's generation (a [`CacheKey::Stats`] entry keyed by the filters alone).
    pub(super) async fn page_count(&self, query: &ListQuery, read: &ReadOptions) -> Result<u64> {
        let key = CacheKey::Stats {
            kind: E::KIND,
            query: count_fingerprint(query),
        };
        let repository = &self.inner.repository;
        let cached = self
            .through_cache(&key, read, move |ticket| async move {
                let read = read.clone().at_least(ticket.min_token);
                let count = repository.count(query, &read).await?;
                Ok(Some(CachedValue::from_json(
                    Bytes::from(count.to_string()),
                    0,
                )))
            })
            .await?
            .ok_or_else(|| vanished("count"))?;
        std::str::from_utf8(&cached.json)
            .ok()
            .and_then(|text| text.parse().ok())
            .ok_or_else(|| Error::Internal {
                message: "a cached count is not a number".to_owned(),
                source: None,
            })
    }
}

/// The key text of a count: what the query selects, not its page, page size or order; prefixed
/// so it never equals a statistics fingerprint.
fn count_fingerprint(query: &ListQuery) -> String {
    format!("count:{}", query.selection_fingerprint())
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
        assert_eq!(count_fingerprint(&first), count_fingerprint(&later));
        let other = parse(&[("status", "GRADUATED"), ("page", "1")]);
        assert_ne!(count_fingerprint(&first), count_fingerprint(&other));
        let searched = parse(&[("status", "ACTIVE"), ("search", "rao"), ("page", "1")]);
        assert_ne!(count_fingerprint(&first), count_fingerprint(&searched));
        assert!(count_fingerprint(&first).starts_with("count:{"));
    }
}
