//! [`VerifiedToken`]: what a verified bearer token says; a leaf shared by the verifier and
//! its cache of verified tokens.

use campushub_core::Principal;

/// What a verified token says beyond its principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    /// The caller.
    pub principal: Principal,
    /// The token's id (`jti`), if it has one.
    pub jti: Option<String>,
    /// The sign-in it belongs to (`sid`), if any.
    pub sid: Option<String>,
    /// The version of the account it was issued for (`ver`), if it was issued for one.
    pub ver: Option<i64>,
    /// Its expiry, seconds since the Unix epoch.
    pub exp: u64,
}
