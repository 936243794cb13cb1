//! Cross-kind analytics: a summary of the institution and per-department figures.
//!
//! [`Analytics`] is what the router asks; [`ServiceAnalytics`] answers over the entity
//! services' statistics and works on any store. A SQL store can implement the trait with
//! a few `GROUP BY` queries on its analytics pool instead.

mod routes;
mod services;

use std::collections::BTreeMap;

use async_trait::async_trait;
use campushub_core::{Principal, ReadOptions, Result};
use serde::Serialize;
use uuid::Uuid;

pub(crate) use routes::routes;
pub use services::ServiceAnalytics;

/// Students, faculty and departments in numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Summary {
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DepartmentFigures {
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
    pub ratio: Option<f64>,
    /// Students by gender (`M`, `F`, `O`).
    pub students_by_gender: BTreeMap<String, u64>,
}

/// Computes analytics. Implementations need not authorize: the router checks the
/// `Statistics` action on [`campushub_core::EntityKind::ANALYTICS`] first.
#[async_trait]
pub trait Analytics: Send + Sync + 'static {
    /// The institution's summary.
    async fn summary(&self, principal: &Principal, read: &ReadOptions) -> Result<Summary>;

    /// Figures for every department, in code order.
    async fn departments(
        &self,
        principal: &Principal,
        read: &ReadOptions,
    ) -> Result<Vec<DepartmentFigures>>;
}

/// `numerator / denominator`, `None` for a zero denominator.
pub(crate) fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}
