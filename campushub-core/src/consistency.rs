//! Consistency tokens: the position of a committed write, carried by later reads that must see it.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// The position of a committed write in the store's history.
///
/// On Postgres it is the WAL position (LSN) after commit; in memory and on SQLite a commit
/// counter. Callers treat it as an opaque string (`"16/B374D848"`); a read that carries one is
/// served by a copy of the data that has reached it. Tokens from one store are totally ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConsistencyToken(u64);

impl ConsistencyToken {
    /// The token for position `position`.
    pub const fn from_position(position: u64) -> Self {
        ConsistencyToken(position)
    }

    /// The position this token stands for.
    pub const fn position(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ConsistencyToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 & 0xFFFF_FFFF)
    }
}

impl FromStr for ConsistencyToken {
    type Err = Error;

    /// Parses the `HI/LO` hexadecimal form produced by `Display`.
    fn from_str(text: &str) -> Result<Self, Error> {
        let malformed = || {
            Error::invalid(
                "consistency_token",
                format!("`{text}` is not a consistency token (expected the `HI/LO` hexadecimal form returned by a write)"),
            )
        };
        let (hi, lo) = text.split_once('/').ok_or_else(malformed)?;
        // Digits only: `from_str_radix` alone would also take a leading `+`.
        let hex = |part: &str| {
            (1..=8).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_hexdigit())
        };
        if !hex(hi) || !hex(lo) {
            return Err(malformed());
        }
        let hi = u64::from_str_radix(hi, 16).map_err(|_| malformed())?;
        let lo = u64::from_str_radix(lo, 16).map_err(|_| malformed())?;
        Ok(ConsistencyToken((hi << 32) | lo))
    }
}

impl serde::Serialize for ConsistencyToken {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text() {
        let token = ConsistencyToken::from_position(0x16_B374_D848);
        assert_eq!(token.to_string(), "16/B374D848");
        assert_eq!("16/B374D848".parse::<ConsistencyToken>().ok(), Some(token));
    }

    #[test]
    fn rejects_malformed_text() {
        for bad in [
            "",
            "16",
            "/1",
            "1/",
            "G/1",
            "1/2/3",
            "123456789/1",
            "+1/2",
            "1/+2",
            " 1/2",
        ] {
            let error = bad.parse::<ConsistencyToken>().expect_err(bad);
            assert!(error
                .validation_errors()
                .is_some_and(|e| e.contains("consistency_token")));
        }
    }
}
