//! The two file formats.

/// A spreadsheet file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RFC 4180 CSV, UTF-8, a header row.
    Csv,
    /// An Office Open XML workbook of one sheet.
    Xlsx,
}

impl Format {
    /// The format `?format=` names.
    pub(super) fn parse(value: &str) -> Option<Self> {
        match value {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }
}
