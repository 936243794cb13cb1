//! Per-row bookkeeping of bulk calls: which rows go to the store, which failed and why, and
//! how the store's per-row outcomes map back to request indexes.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::super::input::{object, NON_FIELD_ERRORS};
use super::super::{RowError, MAX_BULK_ROWS};
use super::key_rows::KeyRows;
use crate::entity::Entity;
use crate::error::{Error, Result, ValidationErrors};
use crate::repository::{BatchMode, BulkWritten};

/// The kind's natural key, or a validation error for kinds without one.
pub(super) fn key_field<E: Entity>() -> Result<&'static str> {
    E::schema().natural_key.ok_or_else(|| {
        Error::invalid(
            NON_FIELD_ERRORS,
            format!(
                "`{}` has no natural key, so it has no bulk operations.",
                E::KIND
            ),
        )
    })
}

/// The name the rows of a bulk call are reported under as a whole (`rows`, too many of them)
/// and one by one (`rows[3].field`, a row of the wrong shape).
pub const ROWS: &str = "rows";

/// A validation error on `rows` when a request carries more than [`MAX_BULK_ROWS`].
pub(super) fn check_row_count(rows: usize) -> Result<()> {
    if rows > MAX_BULK_ROWS {
        return Err(Error::invalid(
            ROWS,
            format!("Ensure there are at most {MAX_BULK_ROWS} rows; got {rows}."),
        ));
    }
    Ok(())
}

/// The natural key and the patch of a bulk-update row.
pub(super) fn parse_update_row(
    key: &str,
    row: Value,
) -> Result<(String, Map<String, Value>), ValidationErrors> {
    let row = object(row)?;
    let mut errors = ValidationErrors::new();
    match row.get(key) {
        Some(Value::String(natural_key)) => return Ok((natural_key.clone(), row)),
        None | Some(Value::Null) => errors.add(key, "This field is required."),
        Some(_) => errors.add(key, "Expected a string."),
    }
    Err(errors)
}

/// The error of a row repeating the key (or a unique value) of row `first`.
pub(super) fn duplicate(field: &str, first: usize) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    errors.add(field, format!("Duplicate of row {first} in this request."));
    errors
}

/// The error of a row naming a key no record has.
pub(super) fn unknown_key<E: Entity>(field: &str, key: &str) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    errors.add(field, format!("No {} has {field} `{key}`.", E::KIND));
    errors
}

/// The unique values (natural key included) claimed by the valid rows of one request (or of
/// a whole import), by field.
#[derive(Default)]
struct Claims {
    first: HashMap<&'static str, KeyRows>,
}

impl Claims {
    /// Records a clash with an earlier row in `errors`; when there is none and the row is
    /// otherwise valid, claims its values for row `index`.
    fn claim<E: Entity>(&mut self, index: usize, record: &E, errors: &mut ValidationErrors) {
        if !errors.is_empty() {
            return;
        }
        let mut values = record.unique_values();
        if let (Some(field), Some(key)) = (E::schema().natural_key, record.natural_key()) {
            if !values.iter().any(|(name, _)| *name == field) {
                values.push((field, key));
            }
        }
        for (field, value) in &values {
            let first = self.first.get(field).and_then(|seen| seen.get(value));
            if let Some(first) = first {
                errors.merge(duplicate(field, first));
            }
        }
        if errors.is_empty() {
            for (field, value) in values {
                self.first
                    .entry(field)
                    .or_default()
                    .first_or_insert(&value, index);
            }
        }
    }
}

/// The rows of one bulk call: the ones going to the store (with their request index) and the
/// ones already refused.
pub(super) struct Batch<E> {
    key: &'static str,
    claims: Claims,
    indexes: Vec<usize>,
    records: Vec<E>,
    errors: Vec<RowError>,
}

impl<E: Entity> Batch<E> {
    /// An empty batch for a kind keyed by `key`.
    pub(super) fn new(key: &'static str) -> Self {
        Batch {
            key,
            claims: Claims::default(),
            indexes: Vec::new(),
            records: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Refuses row `index` with `errors`.
    pub(super) fn reject(&mut self, index: usize, errors: ValidationErrors) {
        self.errors.push(RowError { index, errors });
    }

    /// Sends row `index` to the store when `errors` is empty and the record repeats no unique
    /// value of an earlier queued row; else refuses it.
    pub(super) fn accept_if_valid(
        &mut self,
        index: usize,
        record: E,
        mut errors: ValidationErrors,
    ) {
        self.claims.claim(index, &record, &mut errors);
        if errors.is_empty() {
            self.indexes.push(index);
            self.records.push(record);
        } else {
            self.reject(index, errors);
        }
    }

    /// The queued rows, moved into a batch of their own (to write and settle), leaving this
    /// one with its claims and its refused rows: what an import keeps across its batches.
    pub(super) fn take_queued(&mut self) -> Batch<E> {
        Batch {
            key: self.key,
            claims: Claims::default(),
            indexes: std::mem::take(&mut self.indexes),
            records: std::mem::take(&mut self.records),
            errors: Vec::new(),
        }
    }

    /// The rows refused so far, taken out (the claims stay).
    pub(super) fn take_refused(&mut self) -> Vec<RowError> {
        std::mem::take(&mut self.errors)
    }

    /// Whether the batch is written: some row is queued and, all or nothing, none was
    /// refused already (a refused row leaves the whole batch unwritten).
    pub(super) fn goes_to_store(&self, mode: BatchMode) -> bool {
        !self.records.is_empty() && (mode == BatchMode::EachRow || self.errors.is_empty())
    }

    /// How many rows are queued for the store.
    pub(super) fn queued(&self) -> usize {
        self.records.len()
    }

    /// The records going to the store, in request order.
    pub(super) fn records(&self) -> &[E] {
        &self.records
    }

    /// The committed records and every row error (in row order), given the store's outcome
    /// for [`Batch::records`] (an empty outcome when the batch did not go to the store). A
    /// row the store reported nothing for counts as failed, unless the batch was not written
    /// at all: rolled back, or never sent because a row was refused before.
    pub(super) fn settle(self, outcome: BulkWritten) -> (Vec<E>, Vec<RowError>) {
        let unwritten = outcome.rolled_back || (outcome.rows.is_empty() && !self.errors.is_empty());
        let Batch {
            key,
            indexes,
            records,
            mut errors,
            ..
        } = self;
        let mut outcomes = outcome.rows.into_iter();
        let mut committed = Vec::with_capacity(records.len());
        for (index, record) in indexes.into_iter().zip(records) {
            match outcomes.next() {
                Some(Ok(())) if unwritten => {}
                None if unwritten => {}
                Some(Ok(())) => committed.push(record),
                Some(Err(error)) => errors.push(RowError {
                    index,
                    errors: row_errors(key, error),
                }),
                None => errors.push(RowError {
                    index,
                    errors: row_errors(
                        key,
                        Error::Internal {
                            message: "the store reported no outcome for this row".to_owned(),
                            source: None,
                        },
                    ),
                }),
            }
        }
        errors.sort_by_key(|row| row.index);
        (committed, errors)
    }
}

/// A store's refusal of one row, as field errors.
fn row_errors(key: &str, error: Error) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    match error {
        Error::Validation(fields) | Error::Unprocessable(fields) => return fields,
        Error::Conflict { field, message } => errors.add(field, message),
        Error::NotFound { .. } => errors.add(key, "The record no longer exists."),
        Error::PreconditionFailed { .. } => errors.add(
            NON_FIELD_ERRORS,
            "The record changed during this request; retry the row.",
        ),
        other => errors.add(NON_FIELD_ERRORS, other.to_string()),
    }
    errors
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::Student;

    #[test]
    fn update_rows_need_their_key_as_a_string() {
        let (key, patch) =
            parse_update_row("roll_number", json!({"roll_number": "R1", "semester": 2}))
                .expect("valid");
        assert_eq!(key, "R1");
        assert_eq!(patch.len(), 2);
        for row in [
            json!({"semester": 2}),
            json!({"roll_number": null}),
            json!({"roll_number": 7}),
        ] {
            let errors = parse_update_row("roll_number", row).expect_err("bad key");
            assert!(errors.contains("roll_number"));
        }
        let errors = parse_update_row("roll_number", json!([1])).expect_err("not an object");
        assert!(errors.contains(NON_FIELD_ERRORS));
    }

    #[test]
    fn row_counts_are_capped() {
        assert!(check_row_count(MAX_BULK_ROWS).is_ok());
        let error = check_row_count(MAX_BULK_ROWS + 1).expect_err("too many");
        assert!(error
            .validation_errors()
            .is_some_and(|e| e.contains("rows")));
    }

    #[test]
    fn store_refusals_map_to_fields() {
        let conflict = row_errors("roll_number", Error::conflict("email", "taken"));
        assert_eq!(conflict.get("email"), Some(&["taken".to_owned()][..]));
        let missing = row_errors(
            "roll_number",
            Error::not_found(crate::EntityKind::STUDENT, "x"),
        );
        assert!(missing.contains("roll_number"));
        let stale = row_errors(
            "roll_number",
            Error::PreconditionFailed {
                expected: 1,
                actual: 2,
            },
        );
        assert!(stale.contains(NON_FIELD_ERRORS));
    }

    #[test]
    fn settle_maps_outcomes_to_request_indexes() {
        let mut batch: Batch<Student> = Batch::new("roll_number");
        batch.reject(1, duplicate("roll_number", 0));
        for (index, roll) in [(0, "R1"), (2, "R2"), (3, "R3")] {
            let student = crate::service::testing::student(roll);
            batch.accept_if_valid(index, student, ValidationErrors::new());
        }
        batch.accept_if_valid(
            4,
            crate::service::testing::student("R2"),
            ValidationErrors::new(),
        );
        let outcome = BulkWritten {
            rows: vec![Ok(()), Err(Error::conflict("email", "taken"))],
            ..Default::default()
        };
        let (committed, errors) = batch.settle(outcome);
        assert_eq!(committed.len(), 1);
        let indexes: Vec<_> = errors.iter().map(|row| row.index).collect();
        assert_eq!(indexes, [1, 2, 3, 4]);
        assert!(errors[1].errors.contains("email"));
        assert!(errors[2].errors.contains(NON_FIELD_ERRORS));
        assert_eq!(
            errors[3].errors.get("roll_number"),
            Some(&["Duplicate of row 2 in this request.".to_owned()][..])
        );
    }

    fn queued(rolls: &[&str]) -> Batch<Student> {
        let mut batch: Batch<Student> = Batch::new("roll_number");
        for (index, roll) in rolls.iter().enumerate() {
            let student = crate::service::testing::student(roll);
            batch.accept_if_valid(index, student, ValidationErrors::new());
        }
        batch
    }

    #[test]
    fn all_or_nothing_batches_with_a_refused_row_stay_away_from_the_store() {
        let mut batch = queued(&["R1", "R2"]);
        assert!(batch.goes_to_store(BatchMode::AllOrNothing));
        assert!(batch.goes_to_store(BatchMode::EachRow));
        batch.reject(2, duplicate("roll_number", 0));
        assert!(!batch.goes_to_store(BatchMode::AllOrNothing));
        assert!(batch.goes_to_store(BatchMode::EachRow));
        // Never sent: the queued rows are neither committed nor failed.
        let (committed, errors) = batch.settle(BulkWritten::default());
        assert!(committed.is_empty());
        assert_eq!(errors.iter().map(|e| e.index).collect::<Vec<_>>(), [2]);
        assert!(!Batch::<Student>::new("roll_number").goes_to_store(BatchMode::EachRow));
    }

    #[test]
    fn a_rolled_back_batch_commits_nothing_and_reports_only_the_failed_rows() {
        let batch = queued(&["R1", "R2", "R3"]);
        let outcome = BulkWritten {
            rows: vec![Ok(()), Err(Error::conflict("email", "taken")), Ok(())],
            token: None,
            rolled_back: true,
        };
        let (committed, errors) = batch.settle(outcome);
        assert!(committed.is_empty());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].index, 1);
        assert!(errors[0].errors.contains("email"));
    }
}
