//! Loading generated records through the services' bulk paths (validated, one multi-row
//! statement per batch, change events for the cache): the demo data of an empty database and
//! the `seed` command.

use std::collections::HashSet;

use futures::stream::{self, StreamExt};
use serde_json::Value;
use uuid::Uuid;

use super::progress::Progress;
use super::rng::Rng;
use super::rows;
use super::BoxError;
use crate::core::query::ListQuery;
use crate::core::service::MAX_BULK_ROWS;
use crate::core::{BatchMode, Entity, EntityService, Principal, ReadOptions, ReadRoute, Role};
use crate::http::AppServices;

/// How many records of each kind to create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Counts {
    /// Departments.
    pub departments: usize,
    /// Students.
    pub students: usize,
    /// Faculty members.
    pub faculty: usize,
}

/// The generator streams of the students' and the faculty's rows: a batch's rows derive from
/// its first number and its kind's stream.
const STUDENTS: u64 = 1;
const FACULTY: u64 = 2;

/// Batches in flight at once. Postgres spends most of a batch's time in its own backend
/// (index maintenance), so a second connection keeps the second core busy; more than two
/// only queue on a two-core machine (measured in `docs/performance.md`).
const LOADERS: usize = 2;

/// The demo data of an empty database.
pub(super) const DEMO: Counts = Counts {
    departments: 20,
    students: 2_000,
    faculty: 200,
};

/// What a seeding run did.
#[derive(Debug, Clone)]
pub(super) struct Report {
    /// Rows created.
    pub created: usize,
    /// Rows refused, and the first refusal.
    pub refused: usize,
    /// The first refusal, as JSON.
    pub first_error: Option<String>,
    /// Seconds taken.
    pub seconds: f64,
    /// Rows per second.
    pub rate: f64,
}

fn seeder() -> Principal {
    Principal::new("seed", [Role::ADMIN])
}

/// Whether the database has no departments yet.
pub(super) async fn is_empty(services: &AppServices) -> Result<bool, BoxError> {
    Ok(existing(&services.departments).await? == 0)
}

/// Records of `service`'s kind: an exact count (one statement), because numbering continues
/// from it; a page's count stops at the service's count cap.
async fn existing<E: Entity>(service: &EntityService<E>) -> Result<usize, BoxError> {
    let read = ReadOptions::default().on(ReadRoute::Primary);
    let count = service
        .repository()
        .count(&ListQuery::new(E::schema()), &read)
        .await?;
    Ok(usize::try_from(count)?)
}

/// Creates `counts` records after the existing ones (numbering continues), defining the
/// demo's custom fields first when they are missing.
pub(super) async fn seed(
    services: &AppServices,
    counts: Counts,
    show: bool,
) -> Result<Report, BoxError> {
    define_custom_fields(services).await?;
    let total = counts.departments + counts.students + counts.faculty;
    let mut progress = Progress::new(total, show);
    let mut outcome = (0, 0, None);

    let first = existing(&services.departments).await?;
    let departments: Vec<Value> = (first..first + counts.departments)
        .map(rows::department)
        .collect();
    let codes: Vec<String> = departments
        .iter()
        .filter_map(|d| d["code"].as_str().map(str::to_owned))
        .collect();
    let batches: Vec<Vec<Value>> = departments
        .chunks(MAX_BULK_ROWS)
        .map(<[Value]>::to_vec)
        .collect();
    load(&services.departments, batches, &mut progress, &mut outcome).await?;
    let ids = department_ids(services, codes).await?;
    if ids.is_empty() && counts.students + counts.faculty > 0 {
        return Err(
            "there are no departments to place people in: seed some with --departments N".into(),
        );
    }

    let first = existing(&services.students).await?;
    let batches = generated(first, counts.students, STUDENTS, |rng, n| {
        rows::student(rng, n, &ids)
    });
    load(&services.students, batches, &mut progress, &mut outcome).await?;
    let first = existing(&services.faculty).await?;
    let batches = generated(first, counts.faculty, FACULTY, |rng, n| {
        rows::faculty(rng, n, &ids)
    });
    load(&services.faculty, batches, &mut progress, &mut outcome).await?;
    progress.finish();
    let (created, refused, first_error) = outcome;
    Ok(Report {
        created,
        refused,
        first_error,
        seconds: progress.seconds(),
        rate: progress.rate(),
    })
}

/// The batches of `count` generated records numbered from `first`, at most
/// [`MAX_BULK_ROWS`] each; a batch's rows derive from its first number and the kind's
/// generator `stream`.
fn generated<'a>(
    first: usize,
    count: usize,
    stream: u64,
    row: impl Fn(&mut Rng, usize) -> Value + 'a,
) -> impl Iterator<Item = Vec<Value>> + 'a {
    let end = first + count;
    (first..end).step_by(MAX_BULK_ROWS).map(move |start| {
        let mut rng = Rng::stream(start as u64, stream);
        (start..(start + MAX_BULK_ROWS).min(end))
            .map(|n| row(&mut rng, n))
            .collect()
    })
}

/// Bulk-creates each batch of `batches` (at most [`MAX_BULK_ROWS`] rows each), keeping
/// [`LOADERS`] batches in flight (reported in order): the database inserts one batch's rows and maintains its
/// indexes while the next batch is validated and sent, on a second connection.
async fn load<E: Entity>(
    service: &EntityService<E>,
    batches: impl IntoIterator<Item = Vec<Value>>,
    progress: &mut Progress,
    outcome: &mut (usize, usize, Option<String>),
) -> Result<(), BoxError> {
    let mut reports = stream::iter(batches)
        .map(|rows| async move {
            let size = rows.len();
            // Each row on its own: a seed run again skips the rows already there.
            let report = service
                .bulk_create(&seeder(), rows, BatchMode::EachRow)
                .await?;
            Ok::<_, BoxError>((size, report))
        })
        .buffered(LOADERS);
    while let Some(loaded) = reports.next().await {
        let (size, report) = loaded?;
        outcome.0 += report.succeeded;
        outcome.1 += report.errors.len();
        if outcome.2.is_none() {
            outcome.2 = report
                .errors
                .first()
                .and_then(|e| serde_json::to_string(e).ok());
        }
        progress.advance(size);
    }
    Ok(())
}

/// The ids of the departments with `codes`, or of up to 200 existing ones when none were
/// created.
async fn department_ids(services: &AppServices, codes: Vec<String>) -> Result<Vec<Uuid>, BoxError> {
    let read = ReadOptions::default().on(ReadRoute::Primary);
    let repository = services.departments.repository();
    let mut ids = Vec::new();
    for chunk in codes.chunks(MAX_BULK_ROWS) {
        let found = repository.find_by_natural_keys(chunk, &read).await?;
        ids.extend(found.iter().map(|d| d.meta.id));
    }
    if ids.is_empty() {
        let params = [
            ("page_size".into(), "200".into()),
            ("ordering".into(), "code".into()),
        ];
        let page = services.departments.list(&seeder(), &params, &read).await?;
        ids.extend(page.results.value()?.iter().map(|d| d.meta.id));
    }
    Ok(ids)
}

/// Creates the demo's custom-field definitions that do not exist yet.
async fn define_custom_fields(services: &AppServices) -> Result<(), BoxError> {
    let read = ReadOptions::default().on(ReadRoute::Primary);
    let params = [("page_size".into(), "200".into())];
    let page = services
        .custom_fields
        .list(&seeder(), &params, &read)
        .await?;
    let defined: HashSet<(String, String)> = page
        .results
        .value()?
        .iter()
        .map(|d| (d.entity.clone(), d.name.clone()))
        .collect();
    for definition in rows::custom_fields() {
        let key = (
            definition["entity"].as_str().unwrap_or_default().to_owned(),
            definition["name"].as_str().unwrap_or_default().to_owned(),
        );
        if !defined.contains(&key) {
            services
                .custom_fields
                .create_json(&seeder(), definition)
                .await?;
        }
    }
    Ok(())
}
