//! Analytics reports through the tiered cache: computed once, served from the cache, and
//! computed again after any write (every change bumps the analytics generation).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use campushub_cache::TieredCache;
use campushub_core::{
    Analytics, AnalyticsSummary, Cache, CachedAnalytics, ChangeOp, DepartmentAnalytics, EntityKind,
    ReadOptions, Result,
};
use uuid::Uuid;

use crate::support::{config, event, namespace};

/// Reports whose student count is the number of times a report was computed.
#[derive(Default)]
struct Counting {
    computed: AtomicUsize,
}

#[async_trait]
impl Analytics for Counting {
    async fn summary(&self, _read: &ReadOptions) -> Result<AnalyticsSummary> {
        let computed = self.computed.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(AnalyticsSummary {
            students_total: computed as u64,
            ..AnalyticsSummary::default()
        })
    }

    async fn departments(&self, _read: &ReadOptions) -> Result<Vec<DepartmentAnalytics>> {
        self.computed.fetch_add(1, Ordering::SeqCst);
        Ok(vec![DepartmentAnalytics {
            code: "CSE".to_owned(),
            ..DepartmentAnalytics::default()
        }])
    }
}

#[tokio::test]
async fn reports_are_cached_until_any_write() {
    let cache = Arc::new(TieredCache::l1_only(config(&namespace())).expect("an L1 cache"));
    let counting = Arc::new(Counting::default());
    let analytics = CachedAnalytics::new(counting.clone(), cache.clone());
    let read = ReadOptions::default();

    let first = analytics.summary(&read).await.expect("a summary");
    let second = analytics.summary(&read).await.expect("a summary");
    assert_eq!((first.students_total, second.students_total), (1, 1));
    let departments = analytics.departments(&read).await.expect("departments");
    assert_eq!(departments[0].code, "CSE");
    assert_eq!(
        counting.computed.load(Ordering::SeqCst),
        2,
        "one computation per report"
    );

    // A write to any kind makes every report stale.
    let write = event(
        EntityKind::FACULTY,
        Uuid::new_v4(),
        ChangeOp::Updated,
        2,
        10,
    );
    cache.invalidate(&write).await;
    let after = analytics.summary(&read).await.expect("a summary");
    assert_eq!(after.students_total, 3, "recomputed after the write");
    assert_eq!(
        analytics
            .summary(&read)
            .await
            .map(|s| s.students_total)
            .ok(),
        Some(3)
    );
}
