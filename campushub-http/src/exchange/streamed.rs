//! A file's rows handed to an import as they are read: the file is checked whole first (a
//! malformed file is refused before anything is written), then read again on a blocking
//! thread a batch at a time, at most [`BATCHES_AHEAD`] batches ahead of the import, so that
//! an import holds the file's bytes and a few batches of cells, never every cell of the
//! file. CSV and XLSX alike (see [`csv_read`] and [`xlsx_read`]).

use async_trait::async_trait;
use bytes::Bytes;
use campushub_core::exchange::{Cell, SheetRows};
use campushub_core::service::IMPORT_BATCH_ROWS;
use campushub_core::Error;
use tokio::sync::mpsc;

use super::csv_read::{self, CsvRows};
use super::format::Format;
use super::xlsx_read;
use crate::config::ImportLimits;
use crate::problem::Problem;

/// Batches read ahead of the import: the reader fills the next while the import checks and
/// writes one.
const BATCHES_AHEAD: usize = 1;

/// What the reader sends the import: a batch of rows, or why it could not read one.
type Sender = mpsc::Sender<Result<Vec<Vec<Cell>>, Error>>;

/// The rows of a checked file, read as the import asks for them (see the module's
/// documentation).
#[derive(Debug)]
pub struct StreamedSheet {
    headers: Vec<String>,
    rows: usize,
    batches: mpsc::Receiver<Result<Vec<Vec<Cell>>, Error>>,
}

impl StreamedSheet {
    /// The data rows of the file (blank ones included).
    pub fn rows(&self) -> usize {
        self.rows
    }
}

#[async_trait]
impl SheetRows for StreamedSheet {
    fn headers(&self) -> &[String] {
        &self.headers
    }

    async fn next_rows(&mut self) -> Result<Option<Vec<Vec<Cell>>>, Error> {
        self.batches.recv().await.transpose()
    }
}

/// Checks `file` as `format` under `limits`, then starts reading its rows for an import.
///
/// # Errors
/// As the import route answers a file it cannot read: a `422` naming the row, a `413` past
/// the row limit.
pub async fn open_sheet(
    file: Bytes,
    format: Format,
    limits: ImportLimits,
) -> Result<StreamedSheet, Problem> {
    let (sender, batches) = mpsc::channel(BATCHES_AHEAD);
    let checked = file.clone();
    // The reader ends when the file does or when the import stops asking (the receiver
    // dropped): nothing to join.
    let (headers, rows) = match format {
        Format::Csv => {
            let layout = blocking(move || csv_read::check(&checked, &limits)).await??;
            drop(tokio::task::spawn_blocking(move || {
                let mut out = Batches::new(&sender);
                let read =
                    CsvRows::open(csv_read::strip_bom(&file), &limits).and_then(|mut rows| {
                        while let Some(cells) = rows.next_row()? {
                            if !out.push(cells) {
                                break;
                            }
                        }
                        Ok(())
                    });
                out.finish(read);
            }));
            (layout.headers, layout.rows)
        }
        Format::Xlsx => {
            let layout = blocking(move || xlsx_read::check(&checked, &limits)).await??;
            let (headers, rows) = (layout.headers.clone(), layout.rows());
            drop(tokio::task::spawn_blocking(move || {
                let mut out = Batches::new(&sender);
                let read = xlsx_read::read_rows(&file, &layout, &limits, |cells| out.push(cells));
                out.finish(read);
            }));
            (headers, rows)
        }
    };
    Ok(StreamedSheet {
        headers,
        rows,
        batches,
    })
}

/// Runs `work` on a blocking thread.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Problem> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| Problem::from(Error::internal("the file reader did not finish", error)))
}

/// Rows gathered into batches of [`IMPORT_BATCH_ROWS`] and sent to the import (from a
/// blocking thread).
struct Batches<'s> {
    sender: &'s Sender,
    batch: Vec<Vec<Cell>>,
}

impl<'s> Batches<'s> {
    fn new(sender: &'s Sender) -> Self {
        Batches {
            sender,
            batch: Vec::with_capacity(IMPORT_BATCH_ROWS),
        }
    }

    /// Adds a row, sending the batch when it is full: `false` once the import stopped.
    fn push(&mut self, cells: Vec<Cell>) -> bool {
        self.batch.push(cells);
        if self.batch.len() < IMPORT_BATCH_ROWS {
            return true;
        }
        let full = std::mem::replace(&mut self.batch, Vec::with_capacity(IMPORT_BATCH_ROWS));
        self.sender.blocking_send(Ok(full)).is_ok()
    }

    /// Sends the last rows, or the error that ended the reading: a file that passed its
    /// check and then failed to read is a fault of the reader, not of the file (the same
    /// bytes are read the same way twice).
    fn finish(self, read: Result<(), Problem>) {
        let last = match read {
            Ok(()) if self.batch.is_empty() => return,
            Ok(()) => Ok(self.batch),
            Err(problem) => Err(Error::Internal {
                message: format!("a checked file could not be read again: {problem:?}"),
                source: None,
            }),
        };
        // The import may have stopped: nobody to tell.
        let _ = self.sender.blocking_send(last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(rows: usize) -> Bytes {
        let mut file = b"roll_number,first_name\r\n".to_vec();
        for row in 0..rows {
            file.extend_from_slice(format!("R{row:06},Name {row}\r\n").as_bytes());
        }
        Bytes::from(file)
    }

    #[tokio::test]
    async fn rows_come_a_batch_at_a_time_with_the_count_known_first() {
        let rows = IMPORT_BATCH_ROWS * 2 + 5;
        let mut sheet = open_sheet(file(rows), Format::Csv, ImportLimits::default())
            .await
            .expect("a valid file");
        assert_eq!(sheet.rows(), rows);
        assert_eq!(sheet.headers(), ["roll_number", "first_name"]);
        let mut sizes = Vec::new();
        let mut last = None;
        while let Some(batch) = sheet.next_rows().await.expect("readable") {
            sizes.push(batch.len());
            last = batch.last().cloned();
        }
        assert_eq!(sizes, [IMPORT_BATCH_ROWS, IMPORT_BATCH_ROWS, 5]);
        let last = last.expect("rows");
        assert_eq!(last[0], Cell::Text(format!("R{:06}", rows - 1)));
    }

    #[tokio::test]
    async fn an_import_that_stops_asking_stops_the_reader() {
        let sheet = open_sheet(
            file(IMPORT_BATCH_ROWS * 50),
            Format::Csv,
            ImportLimits::default(),
        )
        .await
        .expect("a valid file");
        let mut batches = sheet.batches;
        batches.close();
        // The reader sees the import gone at its next batch and ends: the channel closes.
        while batches.recv().await.is_some() {}
    }

    #[tokio::test]
    async fn a_malformed_file_is_refused_before_any_row_is_handed_over() {
        let mut bytes = file(IMPORT_BATCH_ROWS * 3).to_vec();
        bytes.extend_from_slice(b"R9,\"open\r\n");
        let error = open_sheet(Bytes::from(bytes), Format::Csv, ImportLimits::default())
            .await
            .expect_err("broken quoting at the end");
        assert!(
            format!("{error:?}").contains("a quote opened here is never closed"),
            "{error:?}"
        );
    }
}
