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

    /// The format's name, as `?format=` takes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}
