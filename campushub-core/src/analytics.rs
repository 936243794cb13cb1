//! Cross-kind analytics: the institution's summary and per-department figures, and the trait a
//! store implements to compute them (the SQL stores answer each report with one aggregate
//! statement on their analytics route).

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::Result;
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
    /// Students by gender code: every code (`M`, `F`, `O`), 0 when none.
    pub students_by_gender: BTreeMap<String, u64>,
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
