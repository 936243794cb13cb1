//! Account passwords: a secret wrapper that never prints, the password policy, and
//! Argon2id hashing whose parameters are upgraded on the next successful login.
//!
//! The parameters default to the OWASP recommendation for Argon2id (19 MiB of memory,
//! 2 passes, 1 lane). A stored hash records the parameters it was made with (PHC string
//! format), so raising them later needs no migration: [`PasswordHasher::verify`] answers
//! [`Verification::ValidNeedsRehash`] for an older hash and the caller stores a new one.
//!
//! Nothing here logs; [`Password`] and [`StoredHash`] print as `"[redacted]"` in `Debug`.

use argon2::password_hash::{
    PasswordHash as PhcHash, PasswordHasher as _, PasswordVerifier as _, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use rand_core::{OsRng, RngCore as _};

/// What `Debug` prints in place of a secret.
pub(crate) const REDACTED: &str = "[redacted]";

/// A clear-text password on its way to the hasher. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a clear-text password.
    pub fn new(clear: impl Into<String>) -> Self {
        Password(clear.into())
    }

    /// The clear text, for the hasher only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REDACTED)
    }
}

/// A password hash in PHC string format, as stored. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredHash(String);

impl StoredHash {
    /// Wraps a hash read from storage.
    pub fn new(phc: impl Into<String>) -> Self {
        StoredHash(phc.into())
    }

    /// The PHC string, for storage only.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for StoredHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Why a new password was refused by [`PasswordPolicy::check`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyViolation {
    /// Fewer characters than the policy's minimum.
    #[error("the password must have at least {min} characters")]
    TooShort {
        /// The policy's minimum, in characters (Unicode scalar values).
        min: usize,
    },
    /// More characters than the hasher is asked to take.
    #[error("the password must have at most {max} characters")]
    TooLong {
        /// The policy's maximum, in characters.
        max: usize,
    },
    /// The password is the account's email address.
    #[error("the password must not be the account's email address")]
    EqualsEmail,
}

/// The rules a new password must satisfy; configurable, with the defaults of the issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Minimum length in characters (default 12).
    pub min_length: usize,
    /// Maximum length in characters (default 256): bounds the work one request can ask
    /// of the hasher.
    pub max_length: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_length: 12,
            max_length: 256,
        }
    }
}

impl PasswordPolicy {
    /// Checks a new password for the account with `email`.
    pub fn check(&self, password: &Password, email: &str) -> Result<(), PolicyViolation> {
        let length = password.expose().chars().count();
        if length < self.min_length {
            return Err(PolicyViolation::TooShort {
                min: self.min_length,
            });
        }
        if length > self.max_length {
            return Err(PolicyViolation::TooLong {
                max: self.max_length,
            });
        }
        // Email addresses compare case-insensitively everywhere in accounts, so here too;
        // surrounding spaces would not make the password any less guessable.
        if password.expose().trim().to_lowercase() == email.trim().to_lowercase() {
            return Err(PolicyViolation::EqualsEmail);
        }
        Ok(())
    }
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    /// Memory in KiB (default 19,456 = 19 MiB).
    pub memory_kib: u32,
    /// Passes over the memory (default 2).
    pub iterations: u32,
    /// Lanes (default 1).
    pub parallelism: u32,
}

impl Default for HashParams {
    fn default() -> Self {
        HashParams {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// A hashing or verification failure that is not a wrong password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// The configured parameters are outside what Argon2 accepts.
    #[error("invalid Argon2id parameters: {0}")]
    Params(String),
    /// A stored hash is not a PHC string this hasher can read.
    #[error("unreadable stored password hash: {0}")]
    Stored(String),
    /// Hashing failed (for example no randomness for the salt).
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// The password does not match.
    Invalid,
    /// The password matches and the hash uses the current parameters.
    Valid,
    /// The password matches but the hash was made with other parameters or another
    /// algorithm; store a new hash of the same password.
    ValidNeedsRehash,
}

impl Verification {
    /// Whether the password matched.
    pub fn is_valid(self) -> bool {
        !matches!(self, Verification::Invalid)
    }
}

/// Hashes and verifies passwords with Argon2id at fixed parameters.
#[derive(Clone)]
pub struct PasswordHasher {
    params: HashParams,
    argon: Argon2<'static>,
    /// A hash of a password nobody knows, verified against on unknown accounts so that
    /// a login takes as long whether or not the account exists.
    dummy: StoredHash,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// A hasher with `params`; fails if Argon2 rejects them.
    pub fn new(params: HashParams) -> Result<Self, HashError> {
        let argon_params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| HashError::Params(e.to_string()))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
        let mut hasher = PasswordHasher {
            params,
            argon,
            dummy: StoredHash::new(String::new()),
        };
        // A random salt makes the dummy as unknowable as any real account's password.
        let mut seed = [0u8; 16];
        OsRng.fill_bytes(&mut seed);
        hasher.dummy = hasher.hash(&Password::new(hex(&seed)))?;
        Ok(hasher)
    }

    /// The parameters new hashes are made with.
    pub fn params(&self) -> HashParams {
        self.params
    }

    /// Hashes `password` with a fresh random salt.
    pub fn hash(&self, password: &Password) -> Result<StoredHash, HashError> {
        let salt = SaltString::generate(&mut OsRng);
        self.argon
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|hash| StoredHash::new(hash.to_string()))
            .map_err(|e| HashError::Hash(e.to_string()))
    }

    /// Checks `password` against `stored`, with the parameters recorded in `stored`.
    pub fn verify(
        &self,
        password: &Password,
        stored: &StoredHash,
    ) -> Result<Verification, HashError> {
        let parsed = PhcHash::new(stored.as_str()).map_err(|e| HashError::Stored(e.to_string()))?;
        match self
            .argon
            .verify_password(password.expose().as_bytes(), &parsed)
        {
            Ok(()) => {}
            Err(argon2::password_hash::Error::Password) => return Ok(Verification::Invalid),
            Err(e) => return Err(HashError::Stored(e.to_string())),
        }
        Ok(if self.is_current(&parsed) {
            Verification::Valid
        } else {
            Verification::ValidNeedsRehash
        })
    }

    /// Spends the time of one verification and answers [`Verification::Invalid`]: for a
    /// login naming no account, so that its timing does not reveal that.
    pub fn verify_dummy(&self, password: &Password) -> Verification {
        // The dummy hash was made by this hasher, so only a mismatch can come back; any
        // other answer is still a refusal.
        let _ = self.verify(password, &self.dummy);
        Verification::Invalid
    }

    /// Whether `parsed` was made with Argon2id, version 0x13 and this hasher's parameters.
    fn is_current(&self, parsed: &PhcHash<'_>) -> bool {
        if parsed.algorithm != argon2::ARGON2ID_IDENT
            || parsed.version != Some(Version::V0x13.into())
        {
            return false;
        }
        Params::try_from(parsed).is_ok_and(|p| {
            p.m_cost() == self.params.memory_kib
                && p.t_cost() == self.params.iterations
                && p.p_cost() == self.params.parallelism
        })
    }
}

/// Lower-case hexadecimal of `bytes`.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest parameters Argon2 accepts, so that the tests stay fast.
    fn cheap() -> HashParams {
        HashParams {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        }
    }

    #[test]
    fn a_hash_verifies_its_password_and_refuses_another() {
        let hasher = PasswordHasher::new(cheap()).expect("valid parameters");
        let hash = hasher
            .hash(&Password::new("correct horse battery"))
            .expect("hashed");
        assert!(hash.as_str().starts_with("$argon2id$v=19$m=8,t=1,p=1$"));
        let right = hasher.verify(&Password::new("correct horse battery"), &hash);
        assert_eq!(right, Ok(Verification::Valid));
        let wrong = hasher.verify(&Password::new("correct horse battern"), &hash);
        assert_eq!(wrong, Ok(Verification::Invalid));
    }

    #[test]
    fn two_hashes_of_one_password_differ_by_salt() {
        let hasher = PasswordHasher::new(cheap()).expect("valid parameters");
        let password = Password::new("the same password");
        let first = hasher.hash(&password).expect("hashed");
        let second = hasher.hash(&password).expect("hashed");
        assert_ne!(first, second);
    }

    #[test]
    fn a_hash_with_other_parameters_asks_for_a_rehash() {
        let old = PasswordHasher::new(cheap()).expect("valid parameters");
        let new = PasswordHasher::new(HashParams {
            iterations: 2,
            ..cheap()
        })
        .expect("valid parameters");
        let password = Password::new("upgrade me on login");
        let hash = old.hash(&password).expect("hashed");
        assert_eq!(
            new.verify(&password, &hash),
            Ok(Verification::ValidNeedsRehash)
        );
        assert_eq!(
            new.verify(&Password::new("not the password"), &hash),
            Ok(Verification::Invalid)
        );
        let rehashed = new.hash(&password).expect("hashed");
        assert_eq!(new.verify(&password, &rehashed), Ok(Verification::Valid));
    }

    #[test]
    fn an_unreadable_stored_hash_is_an_error_not_a_panic() {
        let hasher = PasswordHasher::new(cheap()).expect("valid parameters");
        let result = hasher.verify(&Password::new("anything"), &StoredHash::new("not a hash"));
        assert!(matches!(result, Err(HashError::Stored(_))), "{result:?}");
    }

    #[test]
    fn parameters_argon2_rejects_are_an_error() {
        let result = PasswordHasher::new(HashParams {
            memory_kib: 1,
            ..cheap()
        });
        assert!(matches!(result, Err(HashError::Params(_))), "{result:?}");
    }

    #[test]
    fn the_dummy_verification_always_refuses() {
        let hasher = PasswordHasher::new(cheap()).expect("valid parameters");
        assert_eq!(
            hasher.verify_dummy(&Password::new("")),
            Verification::Invalid
        );
        assert!(!hasher.verify_dummy(&Password::new("guess")).is_valid());
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let hasher = PasswordHasher::new(cheap()).expect("valid parameters");
        let password = Password::new("hunter2hunter2");
        let hash = hasher.hash(&password).expect("hashed");
        assert_eq!(format!("{password:?}"), "[redacted]");
        assert_eq!(format!("{hash:?}"), "[redacted]");
        let printed = format!("{hasher:?}");
        assert!(!printed.contains("argon2id"), "{printed}");
    }

    #[test]
    fn the_policy_refuses_short_long_and_email_passwords() {
        let policy = PasswordPolicy::default();
        let email = "Ada@Uni.example";
        assert_eq!(
            policy.check(&Password::new("elevenchars"), email),
            Err(PolicyViolation::TooShort { min: 12 })
        );
        assert_eq!(policy.check(&Password::new("twelve chars"), email), Ok(()));
        // Length counts characters, not bytes: twelve two-byte letters pass.
        assert_eq!(policy.check(&Password::new("ąąąąąąąąąąąą"), email), Ok(()));
        assert_eq!(
            policy.check(&Password::new("x".repeat(257)), email),
            Err(PolicyViolation::TooLong { max: 256 })
        );
        assert_eq!(
            policy.check(&Password::new("ada@uni.EXAMPLE"), email),
            Err(PolicyViolation::EqualsEmail)
        );
        let strict = PasswordPolicy {
            min_length: 16,
            ..PasswordPolicy::default()
        };
        assert_eq!(
            strict.check(&Password::new("twelve chars"), email),
            Err(PolicyViolation::TooShort { min: 16 })
        );
    }
}
