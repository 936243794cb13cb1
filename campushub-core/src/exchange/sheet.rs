//! The rows an import reads: a header row, then the data rows a batch at a time
//! ([`SheetRows`]), from a file read as it goes or from a [`Sheet`] held whole.

use async_trait::async_trait;

use super::cell::Cell;
use crate::error::Result;
use crate::service::IMPORT_BATCH_ROWS;

/// Where an import's rows come from: the header row, then the data rows in file order, a
/// batch at a time, so that an import need not hold a whole file's cells.
///
/// A source should have refused a malformed file before it is handed to an import (a file's
/// problems are reported before anything is written); an error from
/// [`SheetRows::next_rows`] stops the import as a store failure would (an all-or-nothing
/// import writes nothing).
#[async_trait]
pub trait SheetRows: Send {
    /// The header row.
    fn headers(&self) -> &[String];

    /// The next data rows in file order (blank rows included, so that rows keep their
    /// numbers), at most about [`IMPORT_BATCH_ROWS`] of them; `None` after the last.
    ///
    /// # Errors
    /// The source's, when a row can no longer be read.
    async fn next_rows(&mut self) -> Result<Option<Vec<Vec<Cell>>>>;
}

/// The rows of a file held whole: its header row and its data rows (row 2 onwards), as
/// cells. Handy for tests and small files; an import of a large file reads it as it goes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sheet {
    /// The header row.
    pub headers: Vec<String>,
    /// The data rows, in file order.
    pub rows: Vec<Vec<Cell>>,
}

#[async_trait]
impl SheetRows for Sheet {
    fn headers(&self) -> &[String] {
        &self.headers
    }

    async fn next_rows(&mut self) -> Result<Option<Vec<Vec<Cell>>>> {
        if self.rows.is_empty() {
            return Ok(None);
        }
        let rest = self.rows.split_off(IMPORT_BATCH_ROWS.min(self.rows.len()));
        Ok(Some(std::mem::replace(&mut self.rows, rest)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_sheet_gives_its_rows_a_batch_at_a_time_in_order() {
        let rows: Vec<Vec<Cell>> = (0..IMPORT_BATCH_ROWS + 3)
            .map(|row| vec![Cell::Int(row as i64)])
            .collect();
        let mut sheet = Sheet {
            headers: vec!["n".into()],
            rows: rows.clone(),
        };
        let first = sheet.next_rows().await.expect("rows").expect("a batch");
        let second = sheet.next_rows().await.expect("rows").expect("a batch");
        assert_eq!(first.len(), IMPORT_BATCH_ROWS);
        assert_eq!(second.len(), 3);
        assert_eq!([first, second].concat(), rows);
        assert_eq!(sheet.next_rows().await.expect("the end"), None);
    }
}
