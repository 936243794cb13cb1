//! `CursorCodec`: round trips of every value type, and refusal (never a panic) of altered,
//! truncated, foreign or garbage cursors.

use campushub_core::query::{CursorCodec, Keyset};
use campushub_core::Scalar;

fn position() -> Keyset {
    Keyset {
        backwards: false,
        values: vec![
            Scalar::Text("Ünïcode, commas; and \"quotes\"".into()),
            Scalar::Int(i64::MIN),
            Scalar::Float(-2.5),
            Scalar::Bool(true),
            Scalar::Date(chrono::NaiveDate::from_ymd_opt(1999, 12, 31).unwrap()),
            Scalar::DateTime(chrono::DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap()),
            Scalar::Uuid(uuid::Uuid::now_v7()),
        ],
        id: uuid::Uuid::now_v7(),
    }
}

fn is_cursor_error(result: campushub_core::Result<Keyset>) -> bool {
    result
        .err()
        .and_then(|e| e.validation_errors().map(|v| v.contains("cursor")))
        .unwrap_or(false)
}

#[test]
fn round_trips_every_value_type_in_both_directions() {
    let codec = CursorCodec::new("key");
    for backwards in [false, true] {
        let position = Keyset {
            backwards,
            ..position()
        };
        let text = codec.encode("a,-b", &position);
        assert!(text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(codec.decode("a,-b", &text).unwrap(), position);
    }
}

#[test]
fn keys_longer_than_a_block_work() {
    let codec = CursorCodec::new([7u8; 100]);
    let position = position();
    let text = codec.encode("x", &position);
    assert_eq!(codec.decode("x", &text).unwrap(), position);
    assert!(is_cursor_error(
        CursorCodec::new([7u8; 99]).decode("x", &text)
    ));
}

#[test]
fn another_key_or_ordering_is_refused() {
    let text = CursorCodec::new("one").encode("-created_at", &position());
    assert!(is_cursor_error(
        CursorCodec::new("two").decode("-created_at", &text)
    ));
    assert!(is_cursor_error(
        CursorCodec::new("one").decode("created_at", &text)
    ));
}

#[test]
fn every_single_character_change_and_truncation_is_refused() {
    let codec = CursorCodec::new("key");
    let text = codec.encode("o", &position());
    let alphabet = b"AZaz09-_";
    for index in 0..text.len() {
        for replacement in alphabet {
            let mut bytes = text.clone().into_bytes();
            if bytes[index] == *replacement {
                continue;
            }
            bytes[index] = *replacement;
            let altered = String::from_utf8(bytes).unwrap();
            assert!(is_cursor_error(codec.decode("o", &altered)), "{index}");
        }
        assert!(is_cursor_error(codec.decode("o", &text[..index])));
    }
}

#[test]
fn garbage_is_refused() {
    let codec = CursorCodec::new("key");
    let long = "A".repeat(100_000);
    for garbage in ["", "=", "!!!", "AAAA", "////", "é", long.as_str()] {
        assert!(is_cursor_error(codec.decode("o", garbage)), "{garbage:.10}");
    }
}
