//! Helpers the cases share: parsing queries, writing records, reading pages and walks.

use std::fmt::Debug;

use uuid::Uuid;

use crate::custom_fields::CustomFieldDef;
use crate::entity::Entity;
use crate::error::Error;
use crate::query::{paginate, CursorCodec, ListQuery, Page, PageLink, Pagination, Total};
use crate::repository::{ReadOptions, Repository};

/// The most pages a walk follows before the case fails (a store that loops would hang).
const MAX_PAGES: usize = 100;

/// The codec every case signs cursors with.
pub(crate) fn codec() -> CursorCodec {
    CursorCodec::new("campushub conformance")
}

/// Plain reads, with no token and the default route: every case reads after its own writes
/// complete, so any copy a store serves them from is current.
pub(crate) fn fresh() -> ReadOptions {
    ReadOptions::default()
}

/// Parses `params` for `E`, with custom-field `definitions`.
pub(crate) fn query<E: Entity>(
    params: &[(&str, &str)],
    definitions: &[CustomFieldDef],
) -> ListQuery {
    ListQuery::parse(E::schema(), params.iter().copied(), definitions, &codec())
        .expect("the case's query parameters are valid")
}

/// Inserts every record, failing the case on an error; returns them as given.
pub(crate) async fn insert_all<E: Entity>(repo: &dyn Repository<E>, records: Vec<E>) -> Vec<E> {
    for record in &records {
        repo.insert(record).await.expect("insert succeeds");
    }
    records
}

/// One page for `params` (plus `cursor`), as a client sees it: parse, list, count for
/// page-number pages, paginate.
pub(crate) async fn page<E: Entity>(
    repo: &dyn Repository<E>,
    params: &[(&str, &str)],
    definitions: &[CustomFieldDef],
    cursor: Option<&str>,
) -> Page<E> {
    capped_page(repo, params, definitions, cursor, None).await
}

/// [`page`], with page-number pages counted as a service with count cap `cap` counts them.
pub(crate) async fn capped_page<E: Entity>(
    repo: &dyn Repository<E>,
    params: &[(&str, &str)],
    definitions: &[CustomFieldDef],
    cursor: Option<&str>,
    cap: Option<u64>,
) -> Page<E> {
    let mut all = params.to_vec();
    all.extend(cursor.map(|c| ("cursor", c)));
    let query = query::<E>(&all, definitions);
    let rows = repo.list(&query, &fresh()).await.expect("list succeeds");
    assert!(
        rows.len() <= query.limit() as usize,
        "list returned more than limit() rows"
    );
    let count = match query.pagination {
        Pagination::Number(_) => {
            let counted = match cap {
                Some(cap) => repo.count_at_most(&query, cap + 1, &fresh()).await,
                None => repo.count(&query, &fresh()).await,
            };
            Some(Total::capped(counted.expect("count"), cap))
        }
        Pagination::Cursor(_) => None,
    };
    paginate(&query, rows, count, &codec())
}

/// The ids of every record matching `params` (fewer than a page), in the store's order.
pub(crate) async fn ids<E: Entity>(
    repo: &dyn Repository<E>,
    params: &[(&str, &str)],
    definitions: &[CustomFieldDef],
) -> Vec<Uuid> {
    let mut all = params.to_vec();
    all.push(("page_size", "200"));
    let page = page(repo, &all, definitions, None).await;
    assert!(page.next.is_none(), "the case expects fewer than 200 rows");
    page.items.iter().map(|e| e.meta().id).collect()
}

/// The ids of `records` (in their order).
pub(crate) fn ids_of<E: Entity>(records: &[&E]) -> Vec<Uuid> {
    records.iter().map(|e| e.meta().id).collect()
}

/// The same ids, sorted, for comparing sets.
pub(crate) fn sorted(mut ids: Vec<Uuid>) -> Vec<Uuid> {
    ids.sort();
    ids
}

/// The cursor text of a keyset link, if it is one.
pub(crate) fn cursor(link: Option<PageLink>) -> Option<String> {
    match link {
        Some(PageLink::Cursor(text)) => Some(text),
        _ => None,
    }
}

/// Follows `next` links from the first page; returns every page's ids.
pub(crate) async fn walk_forward<E: Entity>(
    repo: &dyn Repository<E>,
    params: &[(&str, &str)],
) -> Vec<Vec<Uuid>> {
    let mut pages = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = page(repo, params, &[], next.as_deref()).await;
        pages.push(page.items.iter().map(|e| e.meta().id).collect());
        next = cursor(page.next);
        if next.is_none() {
            return pages;
        }
    }
    panic!("the walk did not end within {MAX_PAGES} pages");
}

/// Asserts `outcome` is an unprocessable-input error naming `field` (a rule no declaration
/// states, such as a reference to a missing record).
pub(crate) fn assert_unprocessable<T: Debug>(outcome: Result<T, Error>, field: &str) {
    match outcome {
        Err(Error::Unprocessable(errors)) => {
            assert!(
                errors.contains(field),
                "expected an error on `{field}`: {errors}"
            )
        }
        other => panic!("expected an unprocessable-input error on `{field}`, got {other:?}"),
    }
}

/// Asserts `outcome` is a conflict on `field`.
pub(crate) fn assert_conflict<T: Debug>(outcome: Result<T, Error>, field: &str) {
    match outcome {
        Err(Error::Conflict { field: got, .. }) => assert_eq!(got, field, "conflict field"),
        other => panic!("expected a conflict on `{field}`, got {other:?}"),
    }
}

/// Asserts `outcome` is `PreconditionFailed` with these versions.
pub(crate) fn assert_stale<T: Debug>(outcome: Result<T, Error>, expected: i64, actual: i64) {
    match outcome {
        Err(Error::PreconditionFailed {
            expected: e,
            actual: a,
        }) => assert_eq!((e, a), (expected, actual), "(expected, actual) versions"),
        other => panic!("expected PreconditionFailed, got {other:?}"),
    }
}

/// The stored record `id`, failing the case if it is missing.
pub(crate) async fn stored<E: Entity>(repo: &dyn Repository<E>, id: Uuid) -> E {
    repo.get(id, &fresh())
        .await
        .expect("get succeeds")
        .expect("the record exists")
}

/// `record` changed by `change`, with the metadata of its next version.
pub(crate) fn revised<E: Entity>(record: &E, change: impl FnOnce(&mut E)) -> E {
    let mut next = record.clone();
    change(&mut next);
    *next.meta_mut() = record.meta().next();
    next
}
