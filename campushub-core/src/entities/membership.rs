//! Department membership of students and faculty: the `department_id` relation, which embeds
//! the department's code and name, and the typed summary the two kinds hold.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Department;
use crate::relation::{Embed, Embedded, Relation};

/// The relations of students and faculty: `department_id` references a department, and reads
/// embed its code and name as `department`, so a page of people renders without a query per
/// row.
pub(crate) const DEPARTMENT_MEMBERSHIP: &[Relation] =
    &[Relation::to::<Department>("department_id").embed(DEPARTMENT_EMBED)];

/// What students and faculty embed of their department.
pub(crate) const DEPARTMENT_EMBED: Embed = Embed::new("department", &["code", "name"]);

/// The department summary embedded in students and faculty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepartmentSummary {
    /// The department's id.
    pub id: Uuid,
    /// The department's code.
    pub code: String,
    /// The department's name.
    pub name: String,
}

impl DepartmentSummary {
    /// The typed form of an embedded department summary (`None` if it lacks the code or
    /// name, which a store never attaches).
    pub fn from_embedded(summary: &Embedded) -> Option<Self> {
        // The two strings kept are all that is copied: this runs for every person a read
        // returns.
        let text = |name: &str| summary.text(name).map(str::to_owned);
        Some(DepartmentSummary {
            id: summary.id,
            code: text("code")?,
            name: text("name")?,
        })
    }
}

/// The `set_embedded` of people: the `department_id` relation's summary is kept, typed, in
/// `self.department`.
macro_rules! department_member {
    () => {
        fn set_embedded(&mut self, field: &str, summary: Option<&crate::relation::Embedded>) {
            if field == crate::entities::membership::DEPARTMENT_EMBED.as_field {
                self.department =
                    summary.and_then(crate::entities::DepartmentSummary::from_embedded);
            }
        }
    };
}
pub(crate) use department_member;
