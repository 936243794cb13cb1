//! How entries are laid out in Redis: a short text header, then the JSON bytes untouched.
//!
//! Record keys hold `<tag><version>|<token>|<json>` with tag `V` (a value read at `token`), `T`
//! (a tombstone left by the write at `token`; no JSON) or `N` ("not found" read at `token`; no
//! JSON). Query keys hold `<generation>|<token>|<json>`, the page or count read at `token`
//! under that generation. Tokens are 16 lowercase hex digits (empty when unknown), so the Lua
//! scripts compare them exactly as strings. Decoding slices the bytes Redis returned: the JSON
//! is served as it was stored, never re-serialized.

use bytes::Bytes;
use campushub_core::{CachedValue, ConsistencyToken};

/// A record key's content, decoded.
#[derive(Debug, Clone)]
pub(crate) enum RecordEntry {
    /// No entry.
    Absent,
    /// The record, as some reader filled it (its `token` is the position it was read at).
    Value(CachedValue),
    /// The record did not exist when read at this position.
    Missing(Option<ConsistencyToken>),
    /// A write happened: the record's version after it, and the write's position.
    Tombstone {
        /// The version after the write (a deletion's is the deleted version + 1).
        version: i64,
        /// The commit's position, if known.
        token: Option<ConsistencyToken>,
    },
}

/// The text form of a token inside Redis.
pub(crate) fn token_text(token: Option<ConsistencyToken>) -> String {
    token.map_or_else(String::new, |token| format!("{:016x}", token.position()))
}

/// A token from its text form in Redis (empty or malformed: none).
pub(crate) fn parse_token(text: &[u8]) -> Option<ConsistencyToken> {
    let text = std::str::from_utf8(text).ok()?;
    u64::from_str_radix(text, 16)
        .ok()
        .map(ConsistencyToken::from_position)
}

/// Decodes a record key's bytes; `None` when they are not in the cache's layout.
pub(crate) fn decode_record(raw: Bytes) -> Option<RecordEntry> {
    let first = raw.iter().position(|&b| b == b'|')?;
    let second = first + 1 + raw[first + 1..].iter().position(|&b| b == b'|')?;
    let tag = *raw.first()?;
    let version: i64 = std::str::from_utf8(&raw[1..first]).ok()?.parse().ok()?;
    let token = parse_token(&raw[first + 1..second]);
    match tag {
        b'V' => Some(RecordEntry::Value(
            CachedValue::from_json(raw.slice(second + 1..), version).with_token(token),
        )),
        b'T' => Some(RecordEntry::Tombstone { version, token }),
        b'N' => Some(RecordEntry::Missing(token)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_each_record_form() {
        let value = decode_record(Bytes::from_static(b"V7||{\"a\":1}"));
        assert!(
            matches!(value, Some(RecordEntry::Value(v)) if v.version == 7 && &v.json[..] == b"{\"a\":1}" && v.token.is_none())
        );
        let read_at = decode_record(Bytes::from_static(b"V8|0000000000000010|{}"));
        assert!(
            matches!(read_at, Some(RecordEntry::Value(v)) if v.token.map(|t| t.position()) == Some(16))
        );
        let tomb = decode_record(Bytes::from_static(b"T3|00000000000000ff|"));
        assert!(matches!(
            tomb,
            Some(RecordEntry::Tombstone { version: 3, token: Some(t) }) if t.position() == 255
        ));
        assert!(matches!(
            decode_record(Bytes::from_static(b"N0||")),
            Some(RecordEntry::Missing(None))
        ));
        assert!(matches!(
            decode_record(Bytes::from_static(b"N0|0000000000000002|")),
            Some(RecordEntry::Missing(Some(t))) if t.position() == 2
        ));
        assert!(decode_record(Bytes::from_static(b"garbage")).is_none());
    }

    #[test]
    fn token_text_orders_like_positions() {
        let low = token_text(Some(ConsistencyToken::from_position(9)));
        let high = token_text(Some(ConsistencyToken::from_position(0x10)));
        assert!(low < high);
        assert_eq!(token_text(None), "");
        assert_eq!(parse_token(high.as_bytes()).map(|t| t.position()), Some(16));
    }
}
