//! Opaque, tamper-evident keyset cursors.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::{keyset_bytes, Keyset};
use crate::error::{Error, Result};

/// Bytes of the HMAC-SHA256 tag kept in a cursor.
const TAG_BYTES: usize = 16;

/// The longest cursor text accepted; longer input is refused before decoding.
const MAX_CURSOR_CHARS: usize = 4096;

/// HMAC-SHA256's block size: keys are zero-padded (or first hashed) to it.
const BLOCK_BYTES: usize = 64;

/// Encodes and decodes keyset cursors.
///
/// A cursor is URL-safe text carrying a [`Keyset`] and the ordering it was made for, with an
/// HMAC-SHA256 tag under the codec's key: a cursor that was altered, or is replayed with a
/// different `ordering`, is a validation error on `cursor`. Instances behind one load balancer
/// must share the key.
#[derive(Clone)]
pub struct CursorCodec {
    /// The MAC state after absorbing the key, cloned for every cursor.
    mac: Hmac<Sha256>,
}

impl CursorCodec {
    /// A codec signing with `key`.
    pub fn new(key: impl AsRef<[u8]>) -> Self {
        // HMAC pads short keys with zeros and hashes long ones; doing it here keeps the
        // construction infallible.
        let key = key.as_ref();
        let mut block = [0u8; BLOCK_BYTES];
        if key.len() > BLOCK_BYTES {
            let digest = Sha256::digest(key);
            block.iter_mut().zip(digest).for_each(|(b, d)| *b = d);
        } else {
            block.iter_mut().zip(key).for_each(|(b, k)| *b = *k);
        }
        CursorCodec {
            mac: <Hmac<Sha256> as hmac::digest::KeyInit>::new(&block.into()),
        }
    }

    /// The cursor text for `position` under `ordering` (the canonical ordering text).
    pub fn encode(&self, ordering: &str, position: &Keyset) -> String {
        let mut bytes = Vec::with_capacity(64);
        keyset_bytes::write(&mut bytes, ordering, position);
        let mut mac = self.mac.clone();
        mac.update(&bytes);
        let tag = mac.finalize().into_bytes();
        bytes.extend(tag.into_iter().take(TAG_BYTES));
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The position in `text`, checked against its tag and `ordering`.
    pub fn decode(&self, ordering: &str, text: &str) -> Result<Keyset> {
        let invalid = || {
            Error::invalid(
                "cursor",
                "the cursor is not valid (altered, truncated or issued elsewhere); start again without `cursor`",
            )
        };
        if text.is_empty() || text.len() > MAX_CURSOR_CHARS {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let split = bytes.len().checked_sub(TAG_BYTES).ok_or_else(invalid)?;
        let (payload, tag) = bytes.split_at_checked(split).ok_or_else(invalid)?;
        let mut mac = self.mac.clone();
        mac.update(payload);
        mac.verify_truncated_left(tag).map_err(|_| invalid())?;
        let (made_for, position) = keyset_bytes::read(payload).ok_or_else(invalid)?;
        if made_for != ordering {
            return Err(Error::invalid(
                "cursor",
                format!(
                    "the cursor was made for `ordering={made_for}`, not `ordering={ordering}`; start again without `cursor`"
                ),
            ));
        }
        Ok(position)
    }
}

impl std::fmt::Debug for CursorCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CursorCodec").finish_non_exhaustive()
    }
}
