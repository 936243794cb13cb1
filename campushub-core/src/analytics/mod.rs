//! Cross-kind analytics: the institution's summary and per-department figures, and the trait a
//! store implements to compute them (the SQL stores answer each report with one aggregate
//! statement on their analytics route). [`ServiceAnalytics`] answers over the entity services'
//! repositories and works on any store.

mod services;

pub use services::{department_counts, ServiceAnalytics};

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::cache::{read_through, Cache, CacheKey, CachedValue};
use crate::error::{Error, Result};
use crate::kind::EntityKind;
use crate::repository::ReadOptions;

/// Students, faculty and departments in numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnalyticsSummary {
    /// Every student.
    pub students_total: u64,
    /// Students whose status is `ACTIVE`.
    pub students_active: u64,
    /// Every faculty member.
    pub faculty_total: u64,
    /// Faculty members whose status is `ACTIVE`.
    pub faculty_active: u64,
    /// Every department.
    pub departments: u64,
    /// Active students per active faculty member (`null` without active faculty).
    pub student_faculty_ratio: Option<f64>,
}

/// One department in numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepartmentAnalytics {
    /// The department's id.
    pub id: Uuid,
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Students in it.
    pub students: u64,
    /// Faculty members in it.
    pub faculty: u64,
    /// Students per faculty member (`null` without faculty).
    pub student_faculty_ratio: Option<f64>,
    /// Students by gender code: every code (`M`, `F`, `O`), 0 when none; empty when
    /// withheld.
    pub students_by_gender: BTreeMap<String, u64>,
    /// Set when counts under this were withheld (shown as 0, the ratio as `null`, the gender
    /// counts empty) from a caller who may not list students and faculty: see
    /// [`withhold_small_groups`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed_below: Option<u64>,
}

/// Withholds, from figures shown to a caller who may not list people, every count of fewer
/// than `min` people (but more than none) that could single someone out: a department's
/// students or faculty (shown as 0, the ratio as `null`), and its gender counts (all of them
/// at once, since the others and the total would give one away).
pub fn withhold_small_groups(figures: &mut [DepartmentAnalytics], min: u64) {
    let small = |count: u64| count > 0 && count < min;
    for figure in figures {
        let students = small(figure.students);
        let faculty = small(figure.faculty);
        let genders = students || figure.students_by_gender.values().any(|c| small(*c));
        if students {
            figure.students = 0;
        }
        if faculty {
            figure.faculty = 0;
        }
        if genders {
            figure.students_by_gender.clear();
        }
        if students || faculty || genders {
            figure.student_faculty_ratio = None;
            figure.suppressed_below = Some(min);
        }
    }
}

/// Computes analytics. Implementations need not authorize: callers check the `Statistics`
/// action on [`crate::EntityKind::ANALYTICS`] first.
#[async_trait]
pub trait Analytics: Send + Sync {
    /// The institution's summary.
    async fn summary(&self, read: &ReadOptions) -> Result<AnalyticsSummary>;

    /// Figures for every department, in code order.
    async fn departments(&self, read: &ReadOptions) -> Result<Vec<DepartmentAnalytics>>;
}

/// `numerator / denominator`, `None` for a zero denominator.
pub fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// A report being computed.
type ReportFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

#[async_trait]
impl Analytics for CachedAnalytics {
    async fn summary(&self, read: &ReadOptions) -> Result<AnalyticsSummary> {
        self.report("summary", read, |inner, read| inner.summary(read))
            .await
    }

    async fn departments(&self, read: &ReadOptions) -> Result<Vec<DepartmentAnalytics>> {
        self.report("departments", read, |inner, read| inner.departments(read))
            .await
    }
}

/// [`Analytics`] through a [`Cache`]: each report is cached under
/// [`CacheKey::Stats`] of [`EntityKind::ANALYTICS`], whose generation every write bumps, so a
/// report is recomputed after any change and served from the cache until then.
pub struct CachedAnalytics {
    inner: Arc<dyn Analytics>,
    cache: Arc<dyn Cache>,
}

impl std::fmt::Debug for CachedAnalytics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedAnalytics").finish_non_exhaustive()
    }
}

impl CachedAnalytics {
    /// `inner`'s reports, cached in `cache`.
    pub fn new(inner: Arc<dyn Analytics>, cache: Arc<dyn Cache>) -> Self {
        CachedAnalytics { inner, cache }
    }

    /// The report named `report`, from the cache or computed by `compute` at the miss's token.
    async fn report<T, F>(&self, report: &str, read: &ReadOptions, compute: F) -> Result<T>
    where
        T: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
        F: for<'a> FnOnce(&'a dyn Analytics, &'a ReadOptions) -> ReportFuture<'a, T> + Send,
    {
        let key = CacheKey::Stats {
            kind: EntityKind::ANALYTICS,
            query: report.to_owned(),
        };
        let inner = self.inner.as_ref();
        let cached = read_through(
            self.cache.as_ref(),
            &key,
            read.min_token,
            move |ticket| async move {
                let read = read.clone().at_least(ticket.min_token);
                let value = compute(inner, &read).await?;
                let json = serde_json::to_vec(&value)
                    .map_err(|error| Error::internal("a report does not serialize", error))?;
                Ok(Some(
                    CachedValue::from_json(json.into(), 0).with_decoded(Arc::new(value)),
                ))
            },
        )
        .await?
        .ok_or_else(|| Error::Internal {
            message: format!("the cache returned no `{report}` report"),
            source: None,
        })?;
        match cached.decoded::<T>() {
            Some(value) => Ok(T::clone(&value)),
            None => serde_json::from_slice(&cached.json)
                .map_err(|error| Error::internal("a cached report does not decode", error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(students: u64, faculty: u64, genders: [u64; 3]) -> DepartmentAnalytics {
        DepartmentAnalytics {
            students,
            faculty,
            student_faculty_ratio: ratio(students, faculty),
            students_by_gender: ["F", "M", "O"]
                .into_iter()
                .map(str::to_owned)
                .zip(genders)
                .collect(),
            ..DepartmentAnalytics::default()
        }
    }

    #[test]
    fn small_counts_are_withheld_and_a_lone_small_gender_takes_the_others_with_it() {
        let mut figures = [
            figure(40, 6, [20, 20, 0]),
            figure(12, 6, [10, 2, 0]),
            figure(3, 2, [3, 0, 0]),
            figure(0, 0, [0, 0, 0]),
        ];
        withhold_small_groups(&mut figures, 5);
        assert_eq!(figures[0], figure(40, 6, [20, 20, 0]), "nothing small");
        assert_eq!(figures[1].students, 12);
        assert!(
            figures[1].students_by_gender.is_empty(),
            "2 = 12 - 10 otherwise"
        );
        assert_eq!(figures[1].suppressed_below, Some(5));
        assert_eq!((figures[2].students, figures[2].faculty), (0, 0));
        assert_eq!(figures[2].student_faculty_ratio, None);
        assert!(figures[2].students_by_gender.is_empty());
        assert_eq!(figures[3], figure(0, 0, [0, 0, 0]), "none is no one");
    }
}
