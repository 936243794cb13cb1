//! How students are stored.

use std::sync::LazyLock;

use campushub_core::{Department, Student};

use super::person::{person_from_row, person_kind_columns, person_kind_values};
use crate::row::SqlRow;
use crate::table::{Column, ForeignKey, SqlEntity, UniqueKey};
use crate::value::{ColType, SqlValue};
use crate::Result;

static COLUMNS: LazyLock<Vec<Column>> = LazyLock::new(|| {
    let own = [
        Column::new("roll_number", ColType::Text),
        Column::new("department_id", ColType::Uuid),
        Column::new("program", ColType::Text),
        Column::new("admission_date", ColType::Date),
        Column::new("year_of_study", ColType::Int),
        Column::new("semester", ColType::Int),
        Column::new("section", ColType::Text),
        Column::new("status", ColType::Text),
        Column::new("custom_fields", ColType::Json),
    ];
    person_kind_columns(&own)
});

impl SqlEntity for Student {
    const TABLE: &'static str = "students";

    fn kept_counts() -> &'static [&'static str] {
        // Gender and department are read from their pair, the total from the statuses.
        &["status", "year_of_study", "department_id,gender"]
    }

    fn statistics_index() -> &'static [&'static str] {
        // The department first: statistics scoped to one department read a range of it.
        &["department_id", "status", "year_of_study", "gender"]
    }

    fn columns() -> &'static [Column] {
        &COLUMNS
    }

    fn values(&self) -> Vec<SqlValue> {
        let own = [
            self.roll_number.clone().into(),
            self.department_id.into(),
            self.program.clone().into(),
            self.admission_date.into(),
            self.year_of_study.into(),
            self.semester.into(),
            self.section.clone().into(),
            self.status.as_str().into(),
            self.custom_fields.clone().into(),
        ];
        person_kind_values(&self.person, own, &self.audit)
    }

    fn from_row(row: &SqlRow<'_>) -> Result<Self> {
        Ok(Student {
            meta: row.meta()?,
            person: person_from_row(row)?,
            roll_number: row.text("roll_number")?,
            department_id: row.opt_uuid("department_id")?,
            department: None,
            program: row.text("program")?,
            admission_date: row.date("admission_date")?,
            year_of_study: row.int32("year_of_study")?,
            semester: row.int32("semester")?,
            section: row.text("section")?,
            status: row.choice("status")?,
            custom_fields: row.json_map("custom_fields")?,
            audit: row.audit()?,
        })
    }

    fn unique_keys() -> &'static [UniqueKey] {
        &[
            UniqueKey {
                constraint: "students_roll_number_key",
                columns: &["roll_number"],
                field: "roll_number",
            },
            UniqueKey {
                constraint: "students_email_key",
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

#[cfg(test)]
mod tests {
    use campushub_core::{Department, Student};

    use crate::backend::Dialect;
    use crate::sql::TableSql;
    use crate::value::ColType;

    #[test]
    fn a_retrieve_joins_the_department_from_the_declared_relation() {
        let table = TableSql::<Student>::new(Dialect::Postgres);
        let select = table.select(true).expect("the relation resolves");
        let statement = table.finish_select(select, true).expect("finishes");
        let join =
            r#" FROM "students" t LEFT JOIN "departments" r0 ON r0."id" = t."department_id""#;
        assert!(statement.sql.ends_with(join), "{}", statement.sql);
        assert!(statement
            .sql
            .contains(r#", r0."id", r0."code", r0."name" FROM"#));
        let embedded = &statement.returns[statement.returns.len() - 3..];
        assert_eq!(embedded, [ColType::Uuid, ColType::Text, ColType::Text]);
        // A department's relations embed nothing: its reads join nothing.
        let departments = TableSql::<Department>::new(Dialect::Postgres);
        let select = departments.select(true).expect("no relation to resolve");
        assert!(!select.finish(Vec::new()).sql.contains("JOIN"));
    }
}
