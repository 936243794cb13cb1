//! How faculty members are stored.

use std::sync::LazyLock;

use campushub_core::{Department, Faculty};

use super::person::{person_from_row, person_kind_columns, person_kind_values};
use crate::row::SqlRow;
use crate::table::{Column, ForeignKey, SqlEntity, UniqueKey};
use crate::value::{ColType, SqlValue};
use crate::Result;

static COLUMNS: LazyLock<Vec<Column>> = LazyLock::new(|| {
    let own = [
        Column::new("employee_id", ColType::Text),
        Column::new("department_id", ColType::Uuid),
        Column::new("designation", ColType::Text),
        Column::new("qualification", ColType::Text),
        Column::new("specialization", ColType::Text),
        Column::new("date_of_joining", ColType::Date),
        Column::new("employment_type", ColType::Text),
        Column::new("status", ColType::Text),
        Column::new("custom_fields", ColType::Json),
    ];
    person_kind_columns(&own)
});

impl SqlEntity for Faculty {
    const TABLE: &'static str = "faculty";

    fn kept_counts() -> &'static [&'static str] {
        &["status", "designation", "employment_type", "department_id"]
    }

    fn statistics_index() -> &'static [&'static str] {
        // The department first: statistics scoped to one department read a range of it.
        &["department_id", "status", "designation", "employment_type"]
    }

    fn columns() -> &'static [Column] {
        &COLUMNS
    }

    fn values(&self) -> Vec<SqlValue> {
        let own = [
            self.employee_id.clone().into(),
            self.department_id.into(),
            self.designation.as_str().into(),
            self.qualification.clone().into(),
            self.specialization.clone().into(),
            self.date_of_joining.into(),
            self.employment_type.as_str().into(),
            self.status.as_str().into(),
            self.custom_fields.clone().into(),
        ];
        person_kind_values(&self.person, own, &self.audit)
    }

    fn from_row(row: &SqlRow<'_>) -> Result<Self> {
        Ok(Faculty {
            meta: row.meta()?,
            person: person_from_row(row)?,
            employee_id: row.text("employee_id")?,
            department_id: row.opt_uuid("department_id")?,
            department: None,
            designation: row.choice("designation")?,
            qualification: row.text("qualification")?,
            specialization: row.opt_text("specialization")?,
            date_of_joining: row.date("date_of_joining")?,
            employment_type: row.choice("employment_type")?,
            status: row.choice("status")?,
            custom_fields: row.json_map("custom_fields")?,
            audit: row.audit()?,
        })
    }

    fn unique_keys() -> &'static [UniqueKey] {
        &[
            UniqueKey {
                constraint: "faculty_employee_id_key",
                columns: &["employee_id"],
                field: "employee_id",
            },
            UniqueKey {
                constraint: "faculty_email_key",
                columns: &["email"],
                field: "email",
            },
        ]
    }

    fn foreign_keys() -> &'static [ForeignKey] {
        &[ForeignKey {
            column: "department_id",
            table: Department::TABLE,
        }]
    }
}
