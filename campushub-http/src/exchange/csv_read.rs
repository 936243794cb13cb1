//! CSV files read (RFC 4180, UTF-8, a header row): text cells, every malformation named by
//! its row. A file is checked whole first ([`check`]: quoting, encoding, shape, limits), then
//! read again a row at a time ([`CsvRows`]) as the import asks for rows, so that its cells
//! are never all held at once.

use std::io::Read;

use campushub_core::exchange::Cell;
#[cfg(test)]
use campushub_core::exchange::Sheet;

use super::problems::{long_cell, too_many_rows, unreadable};
use crate::config::ImportLimits;
use crate::problem::Problem;

/// What checking a file found: its header row and how many data rows follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Layout {
    /// The header row.
    pub(super) headers: Vec<String>,
    /// The data rows (blank ones included).
    pub(super) rows: usize,
}

/// The data rows of a CSV file, read one record at a time from `R` (the header row read
/// when it opens), each checked against the limits as it is read.
pub(super) struct CsvRows<R> {
    reader: csv::Reader<R>,
    record: csv::StringRecord,
    headers: Vec<String>,
    /// Records read so far, the header row included: the row number of the last one.
    row: usize,
    limits: ImportLimits,
}

impl<R: Read> CsvRows<R> {
    /// Reads the header row of the CSV in `input` (which starts after any byte order mark:
    /// see [`strip_bom`]).
    ///
    /// # Errors
    /// A `422` for an empty file or a header row that cannot be read.
    pub(super) fn open(input: R, limits: &ImportLimits) -> Result<Self, Problem> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(false)
            .from_reader(input);
        let mut record = csv::StringRecord::new();
        let found = reader
            .read_record(&mut record)
            .map_err(|error| malformed(&error, 1))?;
        let headers: Vec<String> = record.iter().map(str::to_owned).collect();
        if !found || headers.is_empty() {
            return Err(unreadable("the file is empty: it needs a header row"));
        }
        Ok(CsvRows {
            reader,
            record,
            headers,
            row: 1,
            limits: *limits,
        })
    }

    /// The next data row as cells; `None` after the last.
    ///
    /// # Errors
    /// As [`check`] for this row.
    pub(super) fn next_row(&mut self) -> Result<Option<Vec<Cell>>, Problem> {
        if !self.advance()? {
            return Ok(None);
        }
        let cells = self
            .record
            .iter()
            .map(|field| match field.is_empty() {
                true => Cell::Empty,
                false => Cell::Text(field.to_owned()),
            })
            .collect();
        Ok(Some(cells))
    }

    /// Reads the next record and checks it: `false` after the last.
    fn advance(&mut self) -> Result<bool, Problem> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => return Ok(false),
            Ok(true) => {}
            Err(error) => return Err(malformed(&error, self.row + 1)),
        }
        self.row += 1;
        if self.row - 1 > self.limits.max_rows {
            return Err(too_many_rows(&self.limits));
        }
        for (index, field) in self.record.iter().enumerate() {
            // Most cells are far shorter than the limit in bytes already: no count needed.
            if field.len() > self.limits.max_cell_chars
                && field.chars().count() > self.limits.max_cell_chars
            {
                let column = self.headers.get(index).map_or("?", String::as_str);
                return Err(long_cell(self.row, column, &self.limits));
            }
        }
        Ok(true)
    }
}

/// Checks the CSV file in `bytes` whole, keeping none of its cells: what the import finds
/// before it writes anything.
///
/// # Errors
/// A `422` naming the row for bad UTF-8, broken quoting, a record whose number of fields
/// differs from the header's, a cell over the limit; a `413` over the row limit.
pub(super) fn check(bytes: &[u8], limits: &ImportLimits) -> Result<Layout, Problem> {
    let bytes = strip_bom(bytes);
    check_quoting(bytes)?;
    let mut rows = CsvRows::open(bytes, limits)?;
    while rows.advance()? {}
    Ok(Layout {
        rows: rows.row - 1,
        headers: rows.headers,
    })
}

/// The sheet in `bytes`, held whole (the first record is the header row): what the tests
/// compare.
///
/// # Errors
/// As [`check`].
#[cfg(test)]
fn read(bytes: &[u8], limits: &ImportLimits) -> Result<Sheet, Problem> {
    let bytes = strip_bom(bytes);
    check_quoting(bytes)?;
    let mut reader = CsvRows::open(bytes, limits)?;
    let mut rows = Vec::new();
    while let Some(cells) = reader.next_row()? {
        rows.push(cells);
    }
    Ok(Sheet {
        headers: reader.headers,
        rows,
    })
}

/// `bytes` after the UTF-8 byte order mark some programs write first (the `csv` reader
/// would read it as part of the first header).
pub(super) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
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

    /// Counts the bytes read from the slice it wraps.
    struct Counted<'a> {
        bytes: &'a [u8],
        read: std::rc::Rc<std::cell::Cell<usize>>,
    }

    impl Read for Counted<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.bytes.read(out)?;
            self.read.set(self.read.get() + n);
            Ok(n)
        }
    }

    #[test]
    fn rows_are_read_as_they_are_asked_for_not_the_whole_file_first() {
        let mut file = b"roll_number,first_name\r\n".to_vec();
        for row in 0..20_000 {
            file.extend_from_slice(format!("R{row:06},Name {row}\r\n").as_bytes());
        }
        let read = std::rc::Rc::new(std::cell::Cell::new(0));
        let input = Counted {
            bytes: &file,
            read: read.clone(),
        };
        let limits = ImportLimits::default();
        let mut rows = CsvRows::open(input, &limits).expect("a header row");
        let first = rows.next_row().expect("readable").expect("a row");
        assert_eq!(first[0], Cell::Text("R000000".into()));
        // The reader's buffer (8 KiB) ahead of the first row, not the file's 400 KB.
        assert!(
            read.get() < file.len() / 20,
            "read {} of {}",
            read.get(),
            file.len()
        );
        let mut count = 1;
        while rows.next_row().expect("readable").is_some() {
            count += 1;
        }
        assert_eq!((count, read.get()), (20_000, file.len()));
    }

    #[test]
    fn a_check_counts_the_rows_and_refuses_what_a_read_refuses() {
        let limits = ImportLimits {
            max_rows: 2,
            max_cell_chars: 4,
            ..ImportLimits::default()
        };
        let layout = check(b"\xEF\xBB\xBFa,b\r\nx,y\r\n,\r\n", &limits).expect("valid");
        assert_eq!(layout.headers, ["a", "b"]);
        assert_eq!(layout.rows, 2);
        let error = check(b"a,b\nx,y\nx,y\nx,y\n", &limits).expect_err("too many rows");
        assert!(
            format!("{error:?}").contains("more than 2 data rows"),
            "{error:?}"
        );
        let error = check(
            "a,b\nx,\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\n".as_bytes(),
            &limits,
        )
        .expect_err("a long cell");
        assert!(
            format!("{error:?}").contains("row 2, column `b`"),
            "{error:?}"
        );
        // Four characters in eight bytes are within the limit.
        check("a,b\nx,\u{e9}\u{e9}\u{e9}\u{e9}\n".as_bytes(), &limits).expect("short enough");
        let error = check(b"", &limits).expect_err("empty");
        assert!(
            format!("{error:?}").contains("the file is empty"),
            "{error:?}"
        );
    }
}
