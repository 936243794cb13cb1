//! CSV (RFC 4180, UTF-8, a header row): rows written as cells' text, files read as text
//! cells with every malformation named by its row.

use campushub_core::exchange::{cell_of, Cell, Columns, Sheet};
use serde_json::{Map, Value};

use super::problems::{long_cell, too_many_rows, unreadable};
use crate::config::ImportLimits;
use crate::problem::Problem;

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

/// The sheet in `bytes`: the first record is the header row.
///
/// # Errors
/// A `422` naming the row for bad UTF-8, a record whose number of fields differs from the
/// header's (what broken quoting leaves), a cell over the limit; a `413` over the row limit.
pub(super) fn read(bytes: &[u8], limits: &ImportLimits) -> Result<Sheet, Problem> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    check_quoting(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .from_reader(bytes);
    let mut sheet = Sheet::default();
    let mut record = csv::StringRecord::new();
    let mut row = 0usize;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => return Err(malformed(&error, row + 1)),
        }
        row += 1;
        if row == 1 {
            sheet.headers = record.iter().map(str::to_owned).collect();
            continue;
        }
        if row - 1 > limits.max_rows {
            return Err(too_many_rows(limits));
        }
        let mut cells = Vec::with_capacity(record.len());
        for (index, field) in record.iter().enumerate() {
            if field.chars().count() > limits.max_cell_chars {
                return Err(long_cell(row, &sheet.headers, index, limits));
            }
            cells.push(match field.is_empty() {
                true => Cell::Empty,
                false => Cell::Text(field.to_owned()),
            });
        }
        sheet.rows.push(cells);
    }
    if sheet.headers.is_empty() {
        return Err(unreadable("the file is empty: it needs a header row"));
    }
    Ok(sheet)
}

/// Refuses quoting RFC 4180 does not allow, which the `csv` crate reads leniently into
/// misplaced values: a quote inside an unquoted field, a closing quote followed by anything
/// but a separator or a line end, a quote never closed.
fn check_quoting(bytes: &[u8]) -> Result<(), Problem> {
    let broken = |row: usize, what: &str| unreadable(format!("row {row}: {what}"));
    let mut row = 1;
    // Where the quoted field being read started, and whether a field has started.
    let mut quoted_from: Option<usize> = None;
    let mut in_field = false;
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        match quoted_from {
            // A line end inside quotes is part of the value: rows count records, as a
            // spreadsheet program shows them.
            Some(start) => {
                if byte == b'"' {
                    match bytes.get(index + 1) {
                        Some(b'"') => index += 1,
                        None | Some(b',' | b'\r' | b'\n') => {
                            quoted_from = None;
                            in_field = true;
                        }
                        Some(_) => {
                            return Err(broken(
                                start,
                                "a quoted field is followed by more text before the separator; \
                                 write quotes inside a field as two quotes",
                            ))
                        }
                    }
                }
            }
            None => {
                match byte {
                    b'"' if !in_field => quoted_from = Some(row),
                    b'"' => return Err(broken(
                        row,
                        "a quote inside an unquoted field; quote the field and write the quote \
                         as two quotes",
                    )),
                    b',' => in_field = false,
                    b'\n' => {
                        row += 1;
                        in_field = false;
                    }
                    b'\r' => {}
                    _ => in_field = true,
                }
            }
        }
        index += 1;
    }
    match quoted_from {
        Some(start) => Err(broken(start, "a quote opened here is never closed")),
        None => Ok(()),
    }
}

/// The `400` for a CSV error at (about) `row`.
fn malformed(error: &csv::Error, row: usize) -> Problem {
    let at =
        |pos: &Option<csv::Position>| pos.as_ref().map_or(row, |pos| pos.record() as usize + 1);
    let message = match error.kind() {
        csv::ErrorKind::Utf8 { pos, err } => format!(
            "row {}, column {}: not UTF-8; save the file as CSV UTF-8",
            at(pos),
            err.field() + 1
        ),
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => format!(
            "row {} has {len} fields but the header row has {expected_len}",
            at(pos)
        ),
        other => format!("row {row}: {other:?}"),
    };
    unreadable(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_utf8_and_broken_quoting_are_named_by_row() {
        let limits = ImportLimits::default();
        let error = read(b"roll_number,first_name\nR1,\xff\xfe\n", &limits).expect_err("bad");
        assert!(format!("{error:?}").contains("row 2, column 2: not UTF-8"));
        let error = read(
            b"roll_number,first_name\nR1,\"Asha\nR2,Ravi\nR3,\"Mira\"\n",
            &limits,
        )
        .expect_err("open quote");
        assert!(format!("{error:?}").contains("row 2: a quoted field is followed"));
        for (file, expected) in [
            (
                &b"a,b\nR1,\"open\n"[..],
                "row 2: a quote opened here is never closed",
            ),
            (
                &b"a,b\nR1,x\"y\n"[..],
                "row 2: a quote inside an unquoted field",
            ),
            (
                &b"a,b\nR1,x\nR2\n"[..],
                "row 3 has 1 fields but the header row has 2",
            ),
        ] {
            let error = read(file, &limits).expect_err("broken");
            assert!(format!("{error:?}").contains(expected), "{error:?}");
        }
    }

    #[test]
    fn quoted_fields_round_trip() {
        let sheet = read(
            "roll_number,first_name\r\n\"R,1\",\"say \"\"hi\"\"\"\r\nR2,\r\n".as_bytes(),
            &ImportLimits::default(),
        )
        .expect("valid");
        assert_eq!(sheet.rows[0][0], Cell::Text("R,1".into()));
        assert_eq!(sheet.rows[0][1], Cell::Text("say \"hi\"".into()));
        assert_eq!(sheet.rows[1][1], Cell::Empty);
    }
}
