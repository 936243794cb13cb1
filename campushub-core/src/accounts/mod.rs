//! Signing in with an account: the secrets kept beside a [`User`](crate::User) record (its
//! password hash, its refresh tokens), the login, refresh and logout flows over them, the
//! failure throttle, and the deny list of revoked access tokens.
//!
//! Nothing here mints an access token: the adapter that serves the flows does (the HTTP
//! adapter signs a JWT naming the account and its roles), and tells [`TokenRevoker`] about
//! the token ids it revokes. The password itself is handled by [`crate::password`].
//!
//! | piece | what it holds |
//! |---|---|
//! | [`AccountStore`] | password hashes and refresh-token sessions, apart from the user records: no read of a user shows them |
//! | [`SignIn`] | login (throttled, the same cost whether or not the account exists, rehash on an old hash), refresh (rotation, reuse revokes the family), logout |
//! | [`FailedLogins`], [`LoginThrottle`] | failures per account and per client address, with backoff and lockout (in this process, or shared) |
//! | [`DenyList`], [`TokenRevoker`] | access-token ids revoked before they expire |
//! | [`RevokeOnAccountChange`] | a write to an account revokes the access tokens issued before it |

mod account_changes;
mod deny;
mod refresh;
mod sign_in;
mod store;
mod throttle;

pub use account_changes::RevokeOnAccountChange;
pub use deny::{account_version_key, unix_now, DenyList, TokenRevoker};
pub use refresh::{RefreshSecret, RefreshSession, TokenHash};
pub use sign_in::{
    Offload, PasswordCheck, PasswordJob, SignIn, SignInConfig, SignedIn, WRONG_CREDENTIALS,
};
pub use store::{AccountStore, Rotation};
pub use throttle::{FailedLogins, LoginThrottle, ThrottleConfig};
