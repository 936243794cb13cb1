//! Cross-kind analytics on the analytics route, from the counts the writes keep
//! ([`crate::kept_counts`]): the campus summary and per-department counts, in time
//! proportional to the groups rather than the rows.

use async_trait::async_trait;
use campushub_core::analytics::{ratio, Analytics, AnalyticsSummary, DepartmentAnalytics};
use campushub_core::entities::{FacultyStatus, Gender, StudentStatus};
use campushub_core::{Error, ReadOptions, ReadRoute, Result};

use crate::backend::{Backend, Dialect};
use crate::kept_counts::{kept_count, kept_counts, kept_total, non_negative};
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
        Some(SqlValue::Int(Some(n))) => Ok(non_negative(*n)),
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
    /// The campus summary from the counts the writes keep: one statement reading O(groups)
    /// rows, whatever the number of records.
    async fn summary(&self, read: &ReadOptions) -> Result<AnalyticsSummary> {
        let tables = ["students", "faculty", "departments"];
        let kept = kept_counts(&self.backend, &tables, &analytics_route(read)).await?;
        let active = |table: &str, status: &str| kept_count(&kept, table, "status", &status.into());
        let students_active = active("students", StudentStatus::Active.as_str());
        let faculty_active = active("faculty", FacultyStatus::Active.as_str());
        Ok(AnalyticsSummary {
            students_total: kept_total(&kept, "students", "status"),
            students_active,
            faculty_total: kept_total(&kept, "faculty", "status"),
            faculty_active,
            departments: kept_total(&kept, "departments", "status"),
            student_faculty_ratio: ratio(students_active, faculty_active),
        })
    }

    /// Per-department counts, ordered by department code, in one statement: each count an
    /// index lookup of the counts the writes keep, O(departments) work whatever the number
    /// of students.
    async fn departments(&self, read: &ReadOptions) -> Result<Vec<DepartmentAnalytics>> {
        let genders = Gender::ALL;
        let dialect = self.backend.dialect();
        // The department's id and a gender as the triggers write them (JSON text).
        let (id_json, pair_json) = match dialect {
            Dialect::Postgres => (
                "to_jsonb(d.\"id\")::text",
                ("jsonb_build_array(d.\"id\", ", ")::text"),
            ),
            Dialect::Sqlite => ("json_quote(d.\"id\")", ("json_array(d.\"id\", ", ")")),
        };
        // A kept count: its counter rows (an index lookup) plus its deltas not yet folded,
        // summed once per statement into `deltas` (a few hundred groups at most).
        let kept = |b: &mut SqlBuilder, table: &str, grouping: &str, gender: Option<&str>| {
            b.push(", (SELECT CAST(COALESCE(sum(n), 0) AS BIGINT) FROM (");
            for (i, source) in ["campushub_group_counts", "deltas"].iter().enumerate() {
                if i > 0 {
                    b.push(" UNION ALL ");
                }
                b.push("SELECT n FROM ")
                    .push(source)
                    .push(" WHERE tbl = ")
                    .bind(table.into())
                    .push(" AND field = ")
                    .bind(grouping.into())
                    .push(" AND value = ");
                match gender {
                    None => b.push(id_json),
                    Some(gender) => b.push(pair_json.0).bind(gender.into()).push(pair_json.1),
                };
            }
            b.push(") k)");
        };
        let mut b = SqlBuilder::new(dialect);
        b.push(
            "WITH deltas AS MATERIALIZED (SELECT tbl, field, value, sum(n) AS n \
             FROM campushub_count_deltas GROUP BY tbl, field, value) ",
        );
        b.push("SELECT d.\"id\", d.\"code\", d.\"name\"");
        kept(&mut b, "faculty", "department_id", None);
        for gender in genders {
            kept(&mut b, "students", "department_id,gender", Some(gender));
        }
        b.push(" FROM \"departments\" d ORDER BY d.\"code\"");
        let mut returns = vec![ColType::Uuid, ColType::Text, ColType::Text, ColType::Int];
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
                let faculty = count(row.get(3))?;
                let by_gender: Vec<(String, u64)> = genders
                    .iter()
                    .enumerate()
                    .map(|(i, g)| Ok(((*g).to_owned(), count(row.get(4 + i))?)))
                    .collect::<Result<_>>()?;
                // A student's gender is one of these: their counts sum to the department's.
                let students = by_gender.iter().map(|(_, n)| n).sum();
                let students_by_gender = by_gender.into_iter().collect();
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
