//! The cache: moka L1 in this process plus, with `CAMPUSHUB_REDIS_URL`, Redis L2 and the
//! invalidation channel shared by every instance; and the warmer that preloads all
//! departments and the most recently updated students and faculty, at start and on an
//! interval.

use std::time::Duration;

use super::config::Config;
use super::BoxError;
use crate::cache::{CacheConfig, TieredCache, Warmer, WarmerHandle};
use crate::core::{Entity, EntityService, Principal, ReadOptions, Result, Role};
use crate::http::AppServices;

/// How long the start waits for the first Redis subscription before going on degraded.
const REDIS_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The configured cache, or `None` with `CAMPUSHUB_CACHE=off`.
pub(super) async fn open(config: &Config) -> Result<Option<TieredCache>, BoxError> {
    if !config.cache {
        return Ok(None);
    }
    let settings = CacheConfig {
        max_query_entries_per_kind: config.cache_max_query_entries,
        ..CacheConfig::with_namespace(config.cache_namespace.clone())
    };
    let cache = match &config.redis_url {
        // The certificates are read only when there is a Redis to present them to.
        Some(url) => TieredCache::connect(
            CacheConfig {
                redis_tls: config.backend_tls.redis()?,
                require_tls: config.backend_tls.required,
                ..settings
            },
            url,
            REDIS_CONNECT_TIMEOUT,
        )
        .await
        .map_err(|e| match e {
            crate::cache::Error::Config(_) if config.backend_tls.required => format!(
                "CAMPUSHUB_REDIS_URL: {e} (CAMPUSHUB_BACKEND_TLS is `required`; `optional` \
                     allows plaintext)"
            ),
            _ => format!("CAMPUSHUB_REDIS_URL: {e}"),
        })?,
        None => TieredCache::l1_only(settings).map_err(|e| format!("cache: {e}"))?,
    };
    Ok(Some(cache))
}

/// Starts the warmer: departments (all), the 100 most recently updated students and the 50
/// most recently updated faculty, each loaded through its service (so warming obeys the
/// cache's freshness rules), now and every `interval`.
pub(super) fn start_warmer(
    cache: TieredCache,
    services: &AppServices,
    interval: Duration,
) -> WarmerHandle {
    let departments = services.departments.clone();
    let students = services.students.clone();
    let faculty = services.faculty.clone();
    Warmer::new(cache)
        .every(interval)
        .job_fn("departments", move |_| {
            let service = departments.clone();
            Box::pin(async move { warm(&service, "code", 200).await })
        })
        .job_fn("recent students", move |_| {
            let service = students.clone();
            Box::pin(async move { warm(&service, "-updated_at", 100).await })
        })
        .job_fn("recent faculty", move |_| {
            let service = faculty.clone();
            Box::pin(async move { warm(&service, "-updated_at", 50).await })
        })
        .start()
}

/// Loads one list page of `service` (ordered by `ordering`) and then each of its records.
async fn warm<E: Entity>(service: &EntityService<E>, ordering: &str, size: u32) -> Result<u64> {
    let warmer = Principal::new("cache-warmer", [Role::ADMIN]);
    let read = ReadOptions::default();
    let params = [
        ("ordering".to_owned(), ordering.to_owned()),
        ("page_size".to_owned(), size.to_string()),
    ];
    let page = service.list(&warmer, &params, &read).await?;
    let records = page.results.value()?;
    for record in records.iter() {
        service.retrieve(&warmer, record.meta().id, &read).await?;
    }
    Ok(records.len() as u64 + 1)
}
