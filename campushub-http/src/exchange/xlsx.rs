//! XLSX: written with `rust_xlsxwriter` in constant-memory mode (numbers as numbers, dates as
//! dates), read with `calamine` after the zip directory's declared sizes were checked.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use campushub_core::exchange::{cell_of, Cell, Columns, Sheet};
use campushub_core::Error;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use serde_json::{Map, Value};
use tokio::sync::mpsc::Receiver;

use super::problems::{long_cell, too_many_rows, unreadable};
use crate::config::ImportLimits;
use crate::problem::Problem;

/// Most parts an XLSX file may have (a workbook of one sheet has about ten).
const MAX_PARTS: usize = 1000;

/// Writes the header row and every page `pages` delivers, and returns the file.
pub(super) fn write(
    columns: &Columns,
    pages: Receiver<Vec<Map<String, Value>>>,
) -> Result<Vec<u8>, Error> {
    write_rows(columns.headers(), pages, |record| {
        columns
            .iter()
            .map(|column| cell_of(column, &record))
            .collect()
    })
}

/// Writes `headers` and the rows of every page `pages` delivers, each record's cells made by
/// `cells` (one per header), and returns the file.
pub(super) fn write_rows<'h, T>(
    headers: impl Iterator<Item = &'h str>,
    mut pages: Receiver<Vec<T>>,
    cells: impl Fn(T) -> Vec<Cell>,
) -> Result<Vec<u8>, Error> {
    let failed = |error: XlsxError| Error::internal("the XLSX file could not be written", error);
    let mut workbook = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let sheet = workbook
        .add_worksheet_with_constant_memory()
        .map_err(failed)?;
    for (index, header) in headers.enumerate() {
        sheet
            .write_string(0, column_number(index)?, header)
            .map_err(failed)?;
    }
    let mut row: u32 = 0;
    while let Some(records) = pages.blocking_recv() {
        for record in records {
            row = row
                .checked_add(1)
                .ok_or_else(|| Error::invalid("format", "too many rows for one XLSX sheet"))?;
            for (index, cell) in cells(record).iter().enumerate() {
                write_cell(sheet, row, column_number(index)?, cell, &date).map_err(failed)?;
            }
        }
    }
    workbook.save_to_buffer().map_err(failed)
}

fn column_number(index: usize) -> Result<u16, Error> {
    u16::try_from(index).map_err(|_| Error::invalid("format", "too many columns for XLSX"))
}

fn write_cell(
    sheet: &mut Worksheet,
    row: u32,
    column: u16,
    cell: &Cell,
    date: &Format,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Empty => {}
        Cell::Text(text) => {
            sheet.write_string(row, column, text)?;
        }
        // XLSX numbers are doubles; whole numbers past 2^53 lose digits, which no built-in
        // field holds.
        Cell::Int(whole) => {
            sheet.write_number(row, column, *whole as f64)?;
        }
        Cell::Number(number) => {
            sheet.write_number(row, column, *number)?;
        }
        Cell::Bool(flag) => {
            sheet.write_boolean(row, column, *flag)?;
        }
        Cell::Date(value) => {
            use chrono::Datelike;
            let day = ExcelDateTime::from_ymd(
                u16::try_from(value.year()).unwrap_or_default(),
                u8::try_from(value.month()).unwrap_or_default(),
                u8::try_from(value.day()).unwrap_or_default(),
            )?;
            sheet.write_datetime_with_format(row, column, &day, date)?;
        }
    }
    Ok(())
}

/// The first sheet of the workbook in `bytes`.
///
/// # Errors
/// A `422` for a file that is not an XLSX workbook, declares parts that unpack past
/// [`ImportLimits::max_unpacked_bytes`], or has a cell over the limit or holding a
/// spreadsheet error; a `413` over the row limit.
pub(super) fn read(bytes: Vec<u8>, limits: &ImportLimits) -> Result<Sheet, Problem> {
    check_archive(&bytes, limits)?;
    let not_xlsx =
        |error: calamine::XlsxError| unreadable(format!("not a readable XLSX workbook: {error}"));
    let mut workbook = Xlsx::new(Cursor::new(bytes)).map_err(not_xlsx)?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| unreadable("the workbook has no sheet"))?
        .map_err(not_xlsx)?;
    let mut rows = range.rows();
    let mut sheet = Sheet::default();
    let Some(head) = rows.next() else {
        return Err(unreadable("the sheet is empty: it needs a header row"));
    };
    sheet.headers = head.iter().map(header_text).collect();
    while sheet.headers.last().is_some_and(String::is_empty) {
        sheet.headers.pop();
    }
    for (offset, cells) in rows.enumerate() {
        let row = offset + 2;
        if offset + 1 > limits.max_rows {
            return Err(too_many_rows(limits));
        }
        let mut parsed = Vec::with_capacity(cells.len());
        for (index, data) in cells.iter().enumerate() {
            parsed.push(cell(data, row, index, &sheet.headers, limits)?);
        }
        sheet.rows.push(parsed);
    }
    Ok(sheet)
}

/// Refuses an archive whose parts, by the sizes its directory declares, unpack past the
/// limit (a zip bomb), or that has too many parts.
fn check_archive(bytes: &[u8], limits: &ImportLimits) -> Result<(), Problem> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| {
        unreadable("not an XLSX workbook (not a zip archive); send CSV as text/csv")
    })?;
    if archive.len() > MAX_PARTS {
        return Err(unreadable(format!(
            "the workbook has {} parts; at most {MAX_PARTS}",
            archive.len()
        )));
    }
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let part = archive
            .by_index_raw(index)
            .map_err(|error| unreadable(format!("a damaged XLSX workbook: {error}")))?;
        total = total.saturating_add(part.size());
        if total > limits.max_unpacked_bytes {
            return Err(unreadable(format!(
                "the workbook unpacks to more than {} bytes; split it or send CSV",
                limits.max_unpacked_bytes
            )));
        }
    }
    Ok(())
}

fn header_text(data: &Data) -> String {
    match data {
        Data::String(text) => text.trim().to_owned(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

/// One XLSX cell as a [`Cell`]; `row` and `index` name it in errors.
fn cell(
    data: &Data,
    row: usize,
    index: usize,
    headers: &[String],
    limits: &ImportLimits,
) -> Result<Cell, Problem> {
    Ok(match data {
        Data::Empty => Cell::Empty,
        Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) => {
            if text.chars().count() > limits.max_cell_chars {
                return Err(long_cell(row, headers, index, limits));
            }
            Cell::Text(text.clone())
        }
        Data::Int(whole) => Cell::Int(*whole),
        Data::Float(number) => Cell::Number(*number),
        Data::Bool(flag) => Cell::Bool(*flag),
        Data::DateTime(value) => match value.as_datetime() {
            Some(moment) if value.is_datetime() => Cell::Date(moment.date()),
            _ => Cell::Number(value.as_f64()),
        },
        Data::Error(error) => {
            let column = headers.get(index).map_or("?", String::as_str);
            return Err(unreadable(format!(
                "row {row}, column `{column}`: the cell holds the spreadsheet error {error}"
            )));
        }
    })
}
