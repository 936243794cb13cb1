//! The compact binary form of a keyset position and its ordering, inside a cursor.
//!
//! Layout: version (1 byte), ordering length (u32) and UTF-8 text, flags (1 byte: bit 0 =
//! backwards), id (16 bytes), value count (u16), then each value as a tag byte and a fixed or
//! length-prefixed payload. Integers are big-endian. Decoding checks every length and never
//! panics.

use chrono::{DateTime, Datelike, NaiveDate};
use uuid::Uuid;

use super::Keyset;
use crate::value::Scalar;

const VERSION: u8 = 1;
const BACKWARDS: u8 = 1;

const TEXT: u8 = 0;
const INT: u8 = 1;
const FLOAT: u8 = 2;
const BOOL: u8 = 3;
const DATE: u8 = 4;
const DATETIME: u8 = 5;
const UUID: u8 = 6;

/// Appends `ordering` and `position` to `out`.
pub(super) fn write(out: &mut Vec<u8>, ordering: &str, position: &Keyset) {
    out.push(VERSION);
    write_bytes(out, ordering.as_bytes());
    out.push(if position.backwards { BACKWARDS } else { 0 });
    out.extend_from_slice(position.id.as_bytes());
    let count = u16::try_from(position.values.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&count.to_be_bytes());
    for value in &position.values {
        write_value(out, value);
    }
}

/// The ordering text and position in `bytes`, or `None` if they are malformed.
pub(super) fn read(bytes: &[u8]) -> Option<(String, Keyset)> {
    let mut reader = Reader(bytes);
    if reader.u8()? != VERSION {
        return None;
    }
    let ordering = String::from_utf8(reader.bytes()?.to_vec()).ok()?;
    let backwards = match reader.u8()? {
        0 => false,
        BACKWARDS => true,
        _ => return None,
    };
    let id = Uuid::from_bytes(reader.array()?);
    let count = u16::from_be_bytes(reader.array()?);
    let mut values = Vec::new();
    for _ in 0..count {
        values.push(reader.value()?);
    }
    reader.0.is_empty().then_some((
        ordering,
        Keyset {
            backwards,
            values,
            id,
        },
    ))
}

fn write_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    let length = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(bytes);
}

fn write_value(out: &mut Vec<u8>, value: &Scalar) {
    match value {
        Scalar::Text(text) => {
            out.push(TEXT);
            write_bytes(out, text.as_bytes());
        }
        Scalar::Int(int) => {
            out.push(INT);
            out.extend_from_slice(&int.to_be_bytes());
        }
        Scalar::Float(float) => {
            out.push(FLOAT);
            out.extend_from_slice(&float.to_bits().to_be_bytes());
        }
        Scalar::Bool(flag) => {
            out.push(BOOL);
            out.push(u8::from(*flag));
        }
        Scalar::Date(date) => {
            out.push(DATE);
            out.extend_from_slice(&date.num_days_from_ce().to_be_bytes());
        }
        Scalar::DateTime(instant) => {
            out.push(DATETIME);
            out.extend_from_slice(&instant.timestamp().to_be_bytes());
            out.extend_from_slice(&instant.timestamp_subsec_nanos().to_be_bytes());
        }
        Scalar::Uuid(id) => {
            out.push(UUID);
            out.extend_from_slice(id.as_bytes());
        }
    }
}

/// A cursor over the bytes left to read.
struct Reader<'b>(&'b [u8]);

impl<'b> Reader<'b> {
    fn take(&mut self, n: usize) -> Option<&'b [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn u8(&mut self) -> Option<u8> {
        self.array::<1>().map(|[byte]| byte)
    }

    fn bytes(&mut self) -> Option<&'b [u8]> {
        let length = usize::try_from(u32::from_be_bytes(self.array()?)).ok()?;
        self.take(length)
    }

    fn value(&mut self) -> Option<Scalar> {
        Some(match self.u8()? {
            TEXT => Scalar::Text(String::from_utf8(self.bytes()?.to_vec()).ok()?),
            INT => Scalar::Int(i64::from_be_bytes(self.array()?)),
            FLOAT => Scalar::Float(f64::from_bits(u64::from_be_bytes(self.array()?))),
            BOOL => match self.u8()? {
                0 => Scalar::Bool(false),
                1 => Scalar::Bool(true),
                _ => return None,
            },
            DATE => Scalar::Date(NaiveDate::from_num_days_from_ce_opt(i32::from_be_bytes(
                self.array()?,
            ))?),
            DATETIME => {
                let seconds = i64::from_be_bytes(self.array()?);
                let nanos = u32::from_be_bytes(self.array()?);
                Scalar::DateTime(DateTime::from_timestamp(seconds, nanos)?)
            }
            UUID => Scalar::Uuid(Uuid::from_bytes(self.array()?)),
            _ => return None,
        })
    }
}
