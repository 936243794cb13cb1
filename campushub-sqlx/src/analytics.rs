//! Cross-kind analytics as single aggregate statements on the analytics route: the campus
//! summary and per-department counts.

use async_trait::async_trait;
use campushub_core::analytics::{ratio, Analytics, AnalyticsSummary, DepartmentAnalytics};
use campushub_core::entities::{FacultyStatus, Gender, StudentStatus};
use campushub_core::{Error, ReadOptions, ReadRoute, Result};

use crate::backend::Backend;
use crate::sql::SqlBuilder;
use crate::value::{ColType, SqlValue};

/// Aggregates over students, faculty and departments.
#[derive(Debug, Clone)]
pub struct SqlAnalytics<B> {
    backend: B,
}

/// A `count(*)` column's value.
pub(crate) fn count(value: Option<&SqlValue>) -> Result<u64> {
    match value {
        Some(SqlValue::Int(Some(n))) => Ok(u64::try_from(*n).unwrap_or(0)),
        other => Err(Error::Internal {
            message: format!("expected a count, found {other:?}"),
            source: None,
        }),
    }
}

impl<B: Backend> SqlAnalytics<B> {
    /// Analytics over `backend`.
    pub fn new(backend: B) -> Self {
        SqlAnalytics { backend }
    }
}

/// Where an aggregate reads: the analytics pool, unless the caller asked for the primary.
pub(crate) fn analytics_route(read: &ReadOptions) -> ReadOptions {
    match read.route {
        ReadRoute::Primary => read.clone(),
        _ => read.clone().on(ReadRoute::Analytics),
    }
}

#[async_trait]
impl<B: Backend> Analytics for SqlAnalytics<B> {
    /// The campus summary, in one statement.
    async fn summary(&self, read: &ReadOptions) -> Result<AnalyticsSummary> {
        let mut b = SqlBuilder::new(self.backend.dialect());
        b.push("SELECT (SELECT count(*) FROM \"students\"), (SELECT count(*) FROM \"students\" WHERE \"status\" = ");
        b.bind(StudentStatus::Active.as_str().into());
        b.push("), (SELECT count(*) FROM \"faculty\"), (SELECT count(*) FROM \"faculty\" WHERE \"status\" = ");
        b.bind(FacultyStatus::Active.as_str().into());
        b.push("), (SELECT count(*) FROM \"departments\")");
        let rows = self
            .backend
            .fetch(b.finish(vec![ColType::Int; 5]), &analytics_route(read))
            .await?;
        let row = rows.first().map(Vec::as_slice).unwrap_or_default();
        let students_active = count(row.get(1))?;
        let faculty_active = count(row.get(3))?;
        Ok(AnalyticsSummary {
            students_total: count(row.first())?,
            students_active,
            faculty_total: count(row.get(2))?,
            faculty_active,
            departments: count(row.get(4))?,
            student_faculty_ratio: ratio(students_active, faculty_active),
        })
    }

    /// Per-department counts, ordered by department code, in one statement.
    async fn departments(&self, read: &ReadOptions) -> Result<Vec<DepartmentAnalytics>> {
        let genders = Gender::ALL;
        let mut b = SqlBuilder::new(self.backend.dialect());
        b.push("SELECT d.\"id\", d.\"code\", d.\"name\", ");
        b.push("(SELECT count(*) FROM \"students\" s WHERE s.\"department_id\" = d.\"id\"), ");
        b.push("(SELECT count(*) FROM \"faculty\" f WHERE f.\"department_id\" = d.\"id\")");
        for gender in genders {
            b.push(", (SELECT count(*) FROM \"students\" s WHERE s.\"department_id\" = d.\"id\" AND s.\"gender\" = ");
            b.bind((*gender).into()).push(")");
        }
        b.push(" FROM \"departments\" d ORDER BY d.\"code\"");
        let mut returns = vec![
            ColType::Uuid,
            ColType::Text,
            ColType::Text,
            ColType::Int,
            ColType::Int,
        ];
        returns.extend(genders.iter().map(|_| ColType::Int));
        let rows = self
            .backend
            .fetch(b.finish(returns), &analytics_route(read))
            .await?;
        rows.into_iter()
            .map(|row| {
                let (
                    Some(SqlValue::Uuid(Some(id))),
                    Some(SqlValue::Text(Some(code))),
                    Some(SqlValue::Text(Some(name))),
                ) = (row.first(), row.get(1), row.get(2))
                else {
                    return Err(Error::Internal {
                        message: "malformed department analytics row".into(),
                        source: None,
                    });
                };
                let students = count(row.get(3))?;
                let faculty = count(row.get(4))?;
                let students_by_gender = genders
                    .iter()
                    .enumerate()
                    .map(|(i, g)| Ok(((*g).to_owned(), count(row.get(5 + i))?)))
                    .collect::<Result<_>>()?;
                Ok(DepartmentAnalytics {
                    id: *id,
                    code: code.clone(),
                    name: name.clone(),
                    students,
                    faculty,
                    student_faculty_ratio: ratio(students, faculty),
                    students_by_gender,
                    suppressed_below: None,
                })
            })
            .collect()
    }
}
