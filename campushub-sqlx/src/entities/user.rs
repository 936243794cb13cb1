//! How user accounts are stored. Their secrets are in tables of their own
//! (`crate::accounts`), which no statement generated from this description reads.

use std::sync::LazyLock;

use campushub_core::User;

use super::audit::{audited_columns, audited_values};

use crate::row::SqlRow;
use crate::table::{Column, ForeignKey, SqlEntity, UniqueKey};
use crate::value::{ColType, SqlValue};
use crate::Result;

static COLUMNS: LazyLock<Vec<Column>> = LazyLock::new(|| {
    audited_columns(&[
        Column::new("email", ColType::Text),
        Column::new("display_name", ColType::Text),
        Column::new("roles", ColType::Json),
        Column::new("student_id", ColType::Uuid),
        Column::new("faculty_id", ColType::Uuid),
        Column::new("is_active", ColType::Bool),
    ])
});

impl SqlEntity for User {
    const TABLE: &'static str = "users";

    fn columns() -> &'static [Column] {
        &COLUMNS
    }

    fn values(&self) -> Vec<SqlValue> {
        let own = [
            self.email.clone().into(),
            self.display_name.clone().into(),
            serde_json::Value::from(self.roles.clone()).into(),
            self.student_id.into(),
            self.faculty_id.into(),
            self.is_active.into(),
        ];
        audited_values(own, &self.audit)
    }

    fn from_row(row: &SqlRow<'_>) -> Result<Self> {
        Ok(User {
            meta: row.meta()?,
            email: row.text("email")?,
            display_name: row.text("display_name")?,
            roles: row.json_as("roles")?,
            student_id: row.opt_uuid("student_id")?,
            faculty_id: row.opt_uuid("faculty_id")?,
            is_active: row.bool("is_active")?,
            audit: row.audit()?,
        })
    }

    fn unique_keys() -> &'static [UniqueKey] {
        &[
            UniqueKey {
                constraint: "users_email_key",
                columns: &["email"],
                field: "email",
            },
            UniqueKey {
                constraint: "users_lower_email_idx",
                columns: &["email"],
                field: "email",
            },
        ]
    }

    fn foreign_keys() -> &'static [ForeignKey] {
        &[
            ForeignKey {
                column: "student_id",
                table: "students",
            },
            ForeignKey {
                column: "faculty_id",
                table: "faculty",
            },
        ]
    }
}
