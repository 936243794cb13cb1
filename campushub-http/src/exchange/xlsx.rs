//! XLSX written with `rust_xlsxwriter` in constant-memory mode (numbers as numbers, dates as
//! dates). Reading is [`super::xlsx_read`]'s.

use campushub_core::exchange::{cell_of, Cell, Columns};
use campushub_core::Error;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use serde_json::{Map, Value};
use tokio::sync::mpsc::Receiver;

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
