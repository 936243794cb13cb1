//! XLSX files read with `calamine`'s cell reader, after the zip directory's declared sizes
//! were checked. A sheet is checked whole first ([`check`]: its used range, its header row,
//! every cell, the limits), then read again a row at a time ([`read_rows`]) as the import
//! asks for rows, so that its cells are never all held at once. Only the workbook's shared
//! strings (text cells stored once for the file, which calamine loads as it opens it) are.

use std::io::Cursor;

use calamine::{Data, DataRef, Reader, Xlsx, XlsxError};
use campushub_core::exchange::Cell;

use super::problems::{long_cell, too_many_rows, unreadable};
use crate::config::ImportLimits;
use crate::problem::Problem;

/// Most parts an XLSX file may have (a workbook of one sheet has about ten).
const MAX_PARTS: usize = 1000;

/// Where a checked sheet's rows are: its used range (the cells that hold a value), whose
/// first row is the header row. Positions are the sheet's, from 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct XlsxLayout {
    /// The header row's text, trailing blank headers dropped.
    pub(super) headers: Vec<String>,
    header_row: u32,
    last_row: u32,
    first_column: u32,
    /// Columns of the used range: the cells of each data row.
    width: usize,
}

impl XlsxLayout {
    /// The data rows (blank ones within the range included).
    pub(super) fn rows(&self) -> usize {
        (self.last_row - self.header_row) as usize
    }
}

/// Checks the first sheet of the workbook in `bytes` whole, keeping none of its data cells:
/// what the import finds before it writes anything.
///
/// # Errors
/// A `422` for a file that is not an XLSX workbook, declares parts that unpack past
/// [`ImportLimits::max_unpacked_bytes`], has no header row, has its rows out of order, or
/// has a cell over the limit or holding a spreadsheet error; a `413` over the row limit.
pub(super) fn check(bytes: &[u8], limits: &ImportLimits) -> Result<XlsxLayout, Problem> {
    check_archive(bytes, limits)?;
    let (mut workbook, name) = open(bytes)?;
    let mut cells = workbook.worksheet_cells_reader(&name).map_err(not_xlsx)?;
    // The header row's cells by column, and the range: first and last row, columns.
    let mut header: Vec<(u32, String)> = Vec::new();
    let mut range: Option<(u32, u32, u32, u32)> = None;
    while let Some(cell) = cells.next_cell().map_err(not_xlsx)? {
        let value = cell.get_value();
        if matches!(value, DataRef::Empty) {
            continue;
        }
        let (row, column) = cell.get_position();
        let (first, last, left, right) = range.unwrap_or((row, row, column, column));
        if row < last {
            return Err(unreadable(format!(
                "row {}: the sheet's rows are out of order; save it again with a spreadsheet \
                 program",
                row - first + 1
            )));
        }
        range = Some((first, row, left.min(column), right.max(column)));
        if row == first {
            header.push((column, header_text(value)));
            continue;
        }
        let number = (row - first) as usize + 1;
        if number - 1 > limits.max_rows {
            return Err(too_many_rows(limits));
        }
        let column_name = header
            .iter()
            .find(|(at, _)| *at == column)
            .map_or("?", |(_, text)| text.as_str());
        check_cell(value, number, column_name, limits)?;
    }
    let Some((header_row, last_row, first_column, last_column)) = range else {
        return Err(unreadable("the sheet is empty: it needs a header row"));
    };
    let mut headers: Vec<String> = (first_column..=last_column)
        .map(|column| {
            header
                .iter()
                .find(|(at, _)| *at == column)
                .map(|(_, text)| text.clone())
                .unwrap_or_default()
        })
        .collect();
    while headers.last().is_some_and(String::is_empty) {
        headers.pop();
    }
    Ok(XlsxLayout {
        headers,
        header_row,
        last_row,
        first_column,
        width: (last_column - first_column) as usize + 1,
    })
}

/// Reads the data rows of the sheet `layout` describes (see [`check`]) from `bytes`, each
/// as cells across the used range, giving them to `each` in order (blank rows included)
/// until it answers `false`.
///
/// # Errors
/// As [`check`] (nothing that passed it fails here).
pub(super) fn read_rows(
    bytes: &[u8],
    layout: &XlsxLayout,
    limits: &ImportLimits,
    mut each: impl FnMut(Vec<Cell>) -> bool,
) -> Result<(), Problem> {
    let (mut workbook, name) = open(bytes)?;
    let mut cells = workbook.worksheet_cells_reader(&name).map_err(not_xlsx)?;
    let blank = || vec![Cell::Empty; layout.width];
    // The row being filled, and its position.
    let mut row = blank();
    let mut at = layout.header_row + 1;
    while let Some(cell) = cells.next_cell().map_err(not_xlsx)? {
        let (position, column) = cell.get_position();
        let value = cell.get_value();
        if position <= layout.header_row || matches!(value, DataRef::Empty) {
            continue;
        }
        while at < position {
            if !each(std::mem::replace(&mut row, blank())) {
                return Ok(());
            }
            at += 1;
        }
        let number = (position - layout.header_row) as usize + 1;
        let index = column.saturating_sub(layout.first_column) as usize;
        let column_name = layout.headers.get(index).map_or("?", String::as_str);
        check_cell(value, number, column_name, limits)?;
        if let Some(slot) = row.get_mut(index) {
            *slot = cell_of(value);
        }
    }
    if at <= layout.last_row {
        each(row);
    }
    Ok(())
}

/// A workbook read from bytes in memory.
type Workbook<'b> = Xlsx<Cursor<&'b [u8]>>;

/// The workbook in `bytes` and the name of its first sheet.
fn open(bytes: &[u8]) -> Result<(Workbook<'_>, String), Problem> {
    let workbook = Xlsx::new(Cursor::new(bytes)).map_err(not_xlsx)?;
    let name = workbook
        .sheet_names()
        .into_iter()
        .next()
        .ok_or_else(|| unreadable("the workbook has no sheet"))?;
    Ok((workbook, name))
}

fn not_xlsx(error: XlsxError) -> Problem {
    unreadable(format!("not a readable XLSX workbook: {error}"))
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

fn header_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::String(text) => text.trim().to_owned(),
        DataRef::SharedString(text) => text.trim().to_owned(),
        DataRef::Empty => String::new(),
        other => Data::from(other.clone()).to_string(),
    }
}

/// Refuses a cell (of data row `row`, under the header `column`) over the length limit or
/// holding a spreadsheet error.
fn check_cell(
    value: &DataRef<'_>,
    row: usize,
    column: &str,
    limits: &ImportLimits,
) -> Result<(), Problem> {
    match value {
        DataRef::String(text) | DataRef::DateTimeIso(text) | DataRef::DurationIso(text)
            if text.len() > limits.max_cell_chars
                && text.chars().count() > limits.max_cell_chars =>
        {
            Err(long_cell(row, column, limits))
        }
        DataRef::SharedString(text)
            if text.len() > limits.max_cell_chars
                && text.chars().count() > limits.max_cell_chars =>
        {
            Err(long_cell(row, column, limits))
        }
        DataRef::Error(error) => Err(unreadable(format!(
            "row {row}, column `{column}`: the cell holds the spreadsheet error {error}"
        ))),
        _ => Ok(()),
    }
}

/// One XLSX cell (checked by [`check_cell`]) as a [`Cell`]: a date-formatted number as a
/// date.
fn cell_of(value: &DataRef<'_>) -> Cell {
    match value {
        DataRef::Empty | DataRef::Error(_) => Cell::Empty,
        DataRef::String(text) | DataRef::DateTimeIso(text) | DataRef::DurationIso(text) => {
            Cell::Text(text.clone())
        }
        DataRef::SharedString(text) => Cell::Text((*text).to_owned()),
        DataRef::Int(whole) => Cell::Int(*whole),
        DataRef::Float(number) => Cell::Number(*number),
        DataRef::Bool(flag) => Cell::Bool(*flag),
        DataRef::DateTime(value) => match value.as_datetime() {
            Some(moment) if value.is_datetime() => Cell::Date(moment.date()),
            _ => Cell::Number(value.as_f64()),
        },
    }
}

#[cfg(test)]
mod tests {
    use rust_xlsxwriter::Workbook;

    use super::*;

    /// A workbook whose used range starts at B2: headers `a`, `b`, then a row, a blank row,
    /// and a row with only its second cell.
    fn workbook(long: &str) -> Vec<u8> {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        for (row, column, text) in [
            (1, 1, "a"),
            (1, 2, "b"),
            (2, 1, "R1"),
            (2, 2, long),
            (4, 2, "x"),
        ] {
            sheet.write_string(row, column, text).expect("a cell");
        }
        sheet
            .write_number(2, 3, 7.5)
            .expect("a number past the headers");
        workbook.save_to_buffer().expect("a workbook")
    }

    #[test]
    fn a_sheet_is_checked_then_read_row_by_row_across_its_used_range() {
        let bytes = workbook("text");
        let limits = ImportLimits::default();
        let layout = check(&bytes, &limits).expect("a valid workbook");
        assert_eq!(layout.headers, ["a", "b"]);
        assert_eq!(layout.rows(), 3);
        let mut rows = Vec::new();
        read_rows(&bytes, &layout, &limits, |cells| {
            rows.push(cells);
            true
        })
        .expect("readable");
        let text = |text: &str| Cell::Text(text.to_owned());
        assert_eq!(
            rows,
            [
                vec![text("R1"), text("text"), Cell::Number(7.5)],
                vec![Cell::Empty, Cell::Empty, Cell::Empty],
                vec![Cell::Empty, text("x"), Cell::Empty],
            ]
        );
        // A reader that stops asking gets no more rows.
        let mut given = 0;
        read_rows(&bytes, &layout, &limits, |_| {
            given += 1;
            false
        })
        .expect("readable");
        assert_eq!(given, 1);
    }

    #[test]
    fn a_long_cell_and_too_many_rows_are_found_by_the_check() {
        let limits = ImportLimits {
            max_cell_chars: 4,
            ..ImportLimits::default()
        };
        let error = check(&workbook("longer"), &limits).expect_err("a long cell");
        assert!(
            format!("{error:?}").contains("row 2, column `b`"),
            "{error:?}"
        );
        let limits = ImportLimits {
            max_rows: 2,
            ..ImportLimits::default()
        };
        let error = check(&workbook("text"), &limits).expect_err("three data rows");
        assert!(
            format!("{error:?}").contains("more than 2 data rows"),
            "{error:?}"
        );
    }
}
