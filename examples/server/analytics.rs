//! Glue: the router's [`Analytics`] answered by `campushub-sqlx`'s aggregate statements on the
//! analytics route (one statement per call), instead of the per-kind statistics.

use async_trait::async_trait;
use campushub::core::{Principal, ReadOptions, Result};
use campushub::http::{Analytics, DepartmentFigures, Summary};
use campushub::sqlx::{AnalyticsRepository, Backend};

/// [`Analytics`] over a SQL backend.
pub struct SqlAnalytics<B> {
    repository: AnalyticsRepository<B>,
}

impl<B: Backend> SqlAnalytics<B> {
    /// Analytics over `backend`.
    pub fn new(backend: B) -> Self {
        SqlAnalytics {
            repository: AnalyticsRepository::new(backend),
        }
    }
}

#[async_trait]
impl<B: Backend> Analytics for SqlAnalytics<B> {
    async fn summary(&self, _principal: &Principal, read: &ReadOptions) -> Result<Summary> {
        let s = self.repository.summary(read).await?;
        Ok(Summary {
            students_total: s.students_total,
            students_active: s.students_active,
            faculty_total: s.faculty_total,
            faculty_active: s.faculty_active,
            departments: s.departments,
            student_faculty_ratio: s.student_faculty_ratio,
        })
    }

    async fn departments(
        &self,
        _principal: &Principal,
        read: &ReadOptions,
    ) -> Result<Vec<DepartmentFigures>> {
        let rows = self.repository.departments(read).await?;
        Ok(rows
            .into_iter()
            .map(|d| DepartmentFigures {
                id: d.id,
                code: d.code,
                name: d.name,
                students: d.students,
                faculty: d.faculty,
                ratio: d.student_faculty_ratio,
                students_by_gender: d.students_by_gender.into_iter().collect(),
            })
            .collect())
    }
}
