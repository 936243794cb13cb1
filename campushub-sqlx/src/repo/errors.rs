//! Mapping database failures of writes to core's errors: unique clashes to conflicts naming
//! the field, missing references to unprocessable-input errors on the referencing field.

use campushub_core::ValidationErrors;
use sqlx::error::ErrorKind;

use super::SqlRepository;
use crate::backend::Backend;
use crate::table::SqlEntity;
use crate::value::SqlValue;
use crate::Error;

/// What a write was doing when it failed.
pub(super) enum WriteKind<'a, E> {
    /// Inserting or updating this record.
    Store(&'a E),
    /// Deleting a record.
    Delete,
}

impl<E: SqlEntity, B: Backend> SqlRepository<E, B> {
    /// The core error for a failed write.
    pub(super) async fn write_error(
        &self,
        error: Error,
        kind: WriteKind<'_, E>,
    ) -> campushub_core::Error {
        let db_kind = match &error {
            Error::Database(sqlx::Error::Database(db)) => Some((
                db.kind(),
                db.constraint().map(str::to_owned),
                db.message().to_owned(),
            )),
            _ => None,
        };
        match (db_kind, kind) {
            (Some((ErrorKind::UniqueViolation, constraint, message)), _) => {
                let field = self.unique_field(constraint.as_deref(), &message);
                campushub_core::Error::conflict(
                    field,
                    format!("A {} with this {field} already exists.", E::KIND),
                )
            }
            (Some((ErrorKind::ForeignKeyViolation, ..)), WriteKind::Delete) => {
                campushub_core::Error::conflict(
                    "id",
                    format!("This {} is still referenced by other records.", E::KIND),
                )
            }
            (Some((ErrorKind::ForeignKeyViolation, ..)), WriteKind::Store(entity)) => {
                match self.missing_references(entity).await {
                    Ok(errors) if !errors.is_empty() => {
                        campushub_core::Error::Unprocessable(errors)
                    }
                    Ok(_) => {
                        let mut errors = ValidationErrors::new();
                        errors.add("id", "A referenced record does not exist.");
                        campushub_core::Error::Unprocessable(errors)
                    }
                    Err(error) => error,
                }
            }
            _ => error.into(),
        }
    }

    /// The field of a unique clash: by constraint name (Postgres) or by the columns in the
    /// message (`UNIQUE constraint failed: students.roll_number` on SQLite).
    fn unique_field(&self, constraint: Option<&str>, message: &str) -> &'static str {
        let keys = E::unique_keys();
        if let Some(key) = constraint.and_then(|c| keys.iter().find(|k| k.constraint == c)) {
            return key.field;
        }
        let columns: Vec<&str> = message
            .rsplit(": ")
            .next()
            .unwrap_or_default()
            .split(", ")
            .map(|c| c.rsplit('.').next().unwrap_or(c))
            .collect();
        keys.iter()
            .find(|k| k.columns == columns.as_slice())
            .map(|k| k.field)
            .unwrap_or("id")
    }

    /// Validation errors for the references of `entity` that name missing records.
    pub(super) async fn missing_references(
        &self,
        entity: &E,
    ) -> Result<ValidationErrors, campushub_core::Error> {
        let mut errors = ValidationErrors::new();
        let values = self.table.row_values(entity)?;
        for fk in E::foreign_keys() {
            let index = self.table.columns.iter().position(|c| c.name == fk.column);
            let Some(SqlValue::Uuid(Some(id))) = index.and_then(|i| values.get(i)) else {
                continue;
            };
            if !self.existing_ids(fk.table, &[*id]).await?.contains(id) {
                errors.add(
                    fk.column,
                    format!("Invalid pk \"{id}\" - object does not exist."),
                );
            }
        }
        Ok(errors)
    }
}
