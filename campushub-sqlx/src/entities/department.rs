//! How departments are stored.

use std::sync::LazyLock;

use campushub_core::service::{DepartmentHierarchy, MAX_HIERARCHY_DEPTH};
use campushub_core::Department;

use super::audit::{audited_columns, audited_values};

use crate::row::SqlRow;
use crate::table::{Column, ForeignKey, Hierarchy, SqlEntity, UniqueKey};
use crate::value::{ColType, SqlValue};
use crate::Result;

static COLUMNS: LazyLock<Vec<Column>> = LazyLock::new(|| {
    audited_columns(&[
        Column::new("code", ColType::Text),
        Column::new("name", ColType::Text),
        Column::new("kind", ColType::Text),
        Column::new("parent_id", ColType::Uuid),
        Column::new("head_id", ColType::Uuid),
        Column::new("email", ColType::Text),
        Column::new("phone", ColType::Text),
        Column::new("status", ColType::Text),
        Column::new("custom_fields", ColType::Json),
    ])
});

impl SqlEntity for Department {
    const TABLE: &'static str = "departments";

    fn kept_counts() -> &'static [&'static str] {
        &["status", "kind"]
    }

    fn columns() -> &'static [Column] {
        &COLUMNS
    }

    fn values(&self) -> Vec<SqlValue> {
        let own = [
            self.code.clone().into(),
            self.name.clone().into(),
            self.kind.as_str().into(),
            self.parent_id.into(),
            self.head_id.into(),
            self.email.clone().into(),
            self.phone.clone().into(),
            self.status.as_str().into(),
            self.custom_fields.clone().into(),
        ];
        audited_values(own, &self.audit)
    }

    fn from_row(row: &SqlRow<'_>) -> Result<Self> {
        Ok(Department {
            meta: row.meta()?,
            code: row.text("code")?,
            name: row.text("name")?,
            kind: row.choice("kind")?,
            parent_id: row.opt_uuid("parent_id")?,
            head_id: row.opt_uuid("head_id")?,
            email: row.opt_text("email")?,
            phone: row.opt_text("phone")?,
            status: row.choice("status")?,
            custom_fields: row.json_map("custom_fields")?,
            audit: row.audit()?,
        })
    }

    fn unique_keys() -> &'static [UniqueKey] {
        &[
            UniqueKey {
                constraint: "departments_code_key",
                columns: &["code"],
                field: "code",
            },
            UniqueKey {
                constraint: "departments_name_key",
                columns: &["name"],
                field: "name",
            },
        ]
    }

    fn foreign_keys() -> &'static [ForeignKey] {
        &[
            ForeignKey {
                column: "parent_id",
                table: Department::TABLE,
            },
            ForeignKey {
                column: "head_id",
                table: "faculty",
            },
        ]
    }

    fn hierarchy() -> Option<Hierarchy> {
        // The same bound and errors as the service's rule, which checks first.
        Some(Hierarchy {
            column: "parent_id",
            max_depth: MAX_HIERARCHY_DEPTH,
            cycle: DepartmentHierarchy::cycle_error,
            too_deep: DepartmentHierarchy::too_deep_error,
        })
    }
}
