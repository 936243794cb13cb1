//! CSV (RFC 4180, UTF-8, a header row) written: rows as cells' text. Reading is
//! [`super::csv_read`]'s.

use campushub_core::exchange::{cell_of, Cell, Columns};
use serde_json::{Map, Value};

/// The header row, CRLF-terminated.
pub(super) fn header(columns: &Columns) -> Vec<u8> {
    header_of(columns.headers())
}

/// Appends `rows` to `out`, one line each.
pub(super) fn rows(columns: &Columns, rows: &[Map<String, Value>], out: &mut Vec<u8>) {
    let mut writer = writer(out);
    // One buffer for every cell's text: a page of rows allocates no text of its own.
    let mut text = String::new();
    for row in rows {
        for column in columns.iter() {
            text.clear();
            write_text(&cell_of(column, row), &mut text);
            // Writing to a `Vec` cannot fail.
            let _ = writer.write_field(&text);
        }
        let _ = writer.write_record(None::<&[u8]>);
    }
    let _ = writer.flush();
}

/// The header row of `headers`, CRLF-terminated.
pub(super) fn header_of<'h>(headers: impl Iterator<Item = &'h str>) -> Vec<u8> {
    let mut out = Vec::new();
    write_record(&mut out, headers);
    out
}

/// Appends one line of `cells`.
pub(super) fn cells_row(cells: &[Cell], out: &mut Vec<u8>) {
    write_record(out, cells.iter().map(text_of));
}

fn write_record<T: AsRef<[u8]>>(out: &mut Vec<u8>, fields: impl Iterator<Item = T>) {
    let mut writer = writer(out);
    // Writing to a `Vec` cannot fail.
    let _ = writer.write_record(fields);
    let _ = writer.flush();
}

/// A CSV writer appending CRLF-terminated records to `out`.
fn writer(out: &mut Vec<u8>) -> csv::Writer<&mut Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out)
}

/// A cell as CSV text: dates ISO, numbers as Rust writes them (shortest round trip).
fn text_of(cell: &Cell) -> String {
    let mut text = String::new();
    write_text(cell, &mut text);
    text
}

/// Appends [`text_of`] `cell` to `out`.
fn write_text(cell: &Cell, out: &mut String) {
    use std::fmt::Write;
    // Writing to a `String` cannot fail.
    let _ = match cell {
        Cell::Empty => Ok(()),
        Cell::Text(text) => out.write_str(text),
        Cell::Int(whole) => write!(out, "{whole}"),
        Cell::Number(number) => write!(out, "{number}"),
        Cell::Bool(flag) => write!(out, "{flag}"),
        // `NaiveDate`'s `Display` is ISO 8601, `YYYY-MM-DD` for the years a record holds.
        Cell::Date(date) => write!(out, "{date}"),
    };
}
