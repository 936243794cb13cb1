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

impl ConsistencyToken {
    /// The forms [`FromStr`] reads, as a regular expression (for documents and clients):
    /// `HI/LO` as `Display` writes it (the Postgres spelling of a WAL position), or the same
    /// position as one hexadecimal number of up to 16 digits.
    pub const PATTERN: &'static str = "^([0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}|[0-9A-Fa-f]{1,16})$";
}

impl FromStr for ConsistencyToken {
    type Err = Error;

    /// Parses the `HI/LO` hexadecimal form produced by `Display`, or the position as one
    /// hexadecimal number ([`ConsistencyToken::PATTERN`]); digits only (no sign, no spaces).
    fn from_str(text: &str) -> Result<Self, Error> {
        let malformed = || {
            Error::invalid(
                "consistency_token",
                format!("`{text}` is not a consistency token (expected the `HI/LO` hexadecimal form returned by a write)"),
            )
        };
        // Digits only: `from_str_radix` alone would also take a leading `+`.
        let hex = |part: &str, most: usize| {
            (1..=most).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_hexdigit())
        };
        let position = match text.split_once('/') {
            Some((hi, lo)) if hex(hi, 8) && hex(lo, 8) => {
                let hi = u64::from_str_radix(hi, 16).map_err(|_| malformed())?;
                let lo = u64::from_str_radix(lo, 16).map_err(|_| malformed())?;
                (hi << 32) | lo
            }
            None if hex(text, 16) => u64::from_str_radix(text, 16).map_err(|_| malformed())?,
            _ => return Err(malformed()),
        };
        Ok(ConsistencyToken(position))
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
    fn reads_the_position_as_one_hexadecimal_number_too() {
        let token = ConsistencyToken::from_position(0x16_B374_D848);
        assert_eq!("16B374D848".parse::<ConsistencyToken>().ok(), Some(token));
        assert_eq!(
            "0".parse::<ConsistencyToken>().ok().map(|t| t.position()),
            Some(0)
        );
        let top = "FFFFFFFFFFFFFFFF".parse::<ConsistencyToken>().ok();
        assert_eq!(top.map(|t| t.position()), Some(u64::MAX));
    }

    /// Every form the parser reads matches [`ConsistencyToken::PATTERN`] and the reverse,
    /// over the shapes the pattern's parts allow and the ones just past them.
    #[test]
    fn the_pattern_says_what_the_parser_reads() {
        let pattern = regex::Regex::new(ConsistencyToken::PATTERN).expect("compiles");
        let parts = [
            "",
            "0",
            "a",
            "F",
            "12345678",
            "123456789",
            "1234567890ABCDEF",
            "1234567890ABCDEF0",
            "+1",
            " 1",
            "g",
        ];
        for hi in parts {
            for form in [
                hi.to_owned(),
                format!("{hi}/1"),
                format!("1/{hi}"),
                format!("{hi}/{hi}"),
            ] {
                assert_eq!(
                    pattern.is_match(&form),
                    form.parse::<ConsistencyToken>().is_ok(),
                    "{form:?}"
                );
            }
        }
    }

    #[test]
    fn rejects_malformed_text() {
        for bad in [
            "",
            "12345678901234567",
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
