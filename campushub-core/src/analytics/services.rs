//! [`ServiceAnalytics`]: analytics computed from the entity stores, valid on every backend.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

use super::{ratio, Analytics, AnalyticsSummary, DepartmentAnalytics};
use crate::custom_fields::CustomFieldDef;
use crate::entities::{Department, Gender};
use crate::entity::Entity;
use crate::error::Result;
use crate::query::{ListQuery, Pagination};
use crate::repository::{GroupCounts, ReadOptions, ReadRoute, Repository};
use crate::schema::Schema;
use crate::service::{AppServices, EntityService};
use crate::value::Scalar;

/// Analytics over the services' repositories (read on the analytics route).
#[derive(Clone)]
pub struct ServiceAnalytics {
    services: AppServices,
}

impl ServiceAnalytics {
    /// Analytics over `services`.
    pub fn new(services: AppServices) -> Self {
        ServiceAnalytics { services }
    }
}

impl std::fmt::Debug for ServiceAnalytics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAnalytics").finish_non_exhaustive()
    }
}

#[async_trait]
impl Analytics for ServiceAnalytics {
    async fn summary(&self, read: &ReadOptions) -> Result<AnalyticsSummary> {
        let read = read.clone().on(ReadRoute::Analytics);
        let students = counts(&self.services.students, &[], &["status"], &read).await?;
        let faculty = counts(&self.services.faculty, &[], &["status"], &read).await?;
        let departments = counts(&self.services.departments, &[], &[], &read).await?;
        let students_active = group_count(&students, "status", "ACTIVE");
        let faculty_active = group_count(&faculty, "status", "ACTIVE");
        Ok(AnalyticsSummary {
            students_total: students.total,
            students_active,
            faculty_total: faculty.total,
            faculty_active,
            departments: departments.total,
            student_faculty_ratio: ratio(students_active, faculty_active),
        })
    }

    async fn departments(&self, read: &ReadOptions) -> Result<Vec<DepartmentAnalytics>> {
        let read = read.clone().on(ReadRoute::Analytics);
        let mut figures = department_counts(&self.services, &[], &read).await?;
        for entry in &mut figures {
            let filter = [("department_id".to_owned(), entry.id.to_string())];
            let genders = counts(&self.services.students, &filter, &["gender"], &read).await?;
            let counted = genders
                .groups
                .into_iter()
                .flat_map(|(_, values)| values)
                .filter_map(|(value, count)| Some((value?.as_text()?.to_owned(), count)));
            let every_code = Gender::ALL.iter().map(|code| ((*code).to_owned(), 0));
            entry.students_by_gender = every_code.chain(counted).collect();
        }
        Ok(figures)
    }
}

/// Every department matching the filter `params` (list filters, custom-field filters
/// included), with its student and faculty counts, in code order; `students_by_gender` is
/// left empty. The department statistics route adds these counts to its report.
pub async fn department_counts(
    services: &AppServices,
    params: &[(String, String)],
    read: &ReadOptions,
) -> Result<Vec<DepartmentAnalytics>> {
    let departments = all_matching(services, params, read).await?;
    let by_department = ["department_id"];
    let students = counts(&services.students, &[], &by_department, read).await?;
    let faculty = counts(&services.faculty, &[], &by_department, read).await?;
    let mut figures: Vec<DepartmentAnalytics> = departments
        .into_iter()
        .map(|department| {
            let id = department.meta.id.to_string();
            let students = group_count(&students, "department_id", &id);
            let faculty = group_count(&faculty, "department_id", &id);
            DepartmentAnalytics {
                id: department.meta.id,
                code: department.code,
                name: department.name,
                students,
                faculty,
                student_faculty_ratio: ratio(students, faculty),
                students_by_gender: BTreeMap::new(),
                suppressed_below: None,
            }
        })
        .collect();
    figures.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(figures)
}

/// Group counts of `service`'s records matching the filter `params`.
async fn counts<E: Entity>(
    service: &EntityService<E>,
    params: &[(String, String)],
    fields: &[&'static str],
    read: &ReadOptions,
) -> Result<GroupCounts> {
    let query = filters(E::schema(), params, &[])?;
    service
        .repository()
        .group_counts(&query, fields, read)
        .await
}

/// Every department matching the filter `params` (custom-field filters included).
async fn all_matching(
    services: &AppServices,
    params: &[(String, String)],
    read: &ReadOptions,
) -> Result<Vec<Department>> {
    let definitions = services.departments.query_definitions(params, read).await?;
    let query = filters(Department::schema(), params, &definitions)?;
    every(services.departments.repository(), query, read).await
}

/// Every row matching `query`, a page of 200 at a time.
async fn every<E: Entity>(
    repository: &Arc<dyn Repository<E>>,
    mut query: ListQuery,
    read: &ReadOptions,
) -> Result<Vec<E>> {
    const PAGE: u32 = 200;
    query.page_size = PAGE;
    let mut all = Vec::new();
    for page in 1.. {
        query.pagination = Pagination::Number(page);
        let rows = repository.list(&query, read).await?;
        let done = rows.len() < PAGE as usize;
        all.extend(rows);
        if done {
            break;
        }
    }
    Ok(all)
}

/// The query of the filters `params` over `schema` (every record if there are none).
fn filters(
    schema: &'static Schema,
    params: &[(String, String)],
    definitions: &[CustomFieldDef],
) -> Result<ListQuery> {
    if params.is_empty() {
        return Ok(ListQuery::new(schema));
    }
    let pairs = params.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    ListQuery::parse_filters(schema, pairs, definitions)
}

/// The count of records whose `field` is `value` (its text form).
fn group_count(counts: &GroupCounts, field: &str, value: &str) -> u64 {
    counts
        .groups
        .iter()
        .filter(|(name, _)| *name == field)
        .flat_map(|(_, values)| values)
        .filter(|(v, _)| v.as_ref().is_some_and(|v| scalar_text(v) == value))
        .map(|(_, count)| *count)
        .sum()
}

/// The text form of `value`, as filters and group counts print it.
fn scalar_text(value: &Scalar) -> String {
    match value.to_json() {
        serde_json::Value::String(text) => text,
        other => other.to_string(),
    }
}
