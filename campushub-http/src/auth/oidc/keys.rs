//! A provider's signing keys, from its JWKS document (RFC 7517), each with the validation
//! rules a token signed by it must meet.
//!
//! Only asymmetric signature algorithms are accepted (RSA, RSA-PSS, ECDSA, EdDSA): a JWKS
//! is public, so an HMAC "key" in it would let anyone sign. A key is bound to one algorithm
//! (its `alg`, or the one its type implies), and a token whose header names another is
//! refused, which rules out algorithm confusion.

use std::collections::HashMap;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;

use crate::auth::jwt::LEEWAY_SECONDS;

/// One usable signing key.
pub(super) struct SigningKey {
    pub(super) key: DecodingKey,
    pub(super) validation: Validation,
}

/// The keys of one JWKS document, by key id.
#[derive(Default)]
pub(super) struct KeySet {
    by_kid: HashMap<String, SigningKey>,
    /// Keys without a `kid` (usable only by a token without one, when alone in the set).
    anonymous: Vec<SigningKey>,
}

impl KeySet {
    /// The key a token whose header names `kid` must verify with.
    pub(super) fn get(&self, kid: Option<&str>) -> Option<&SigningKey> {
        match kid {
            Some(kid) => self.by_kid.get(kid),
            None if self.by_kid.is_empty() && self.anonymous.len() == 1 => self.anonymous.first(),
            None => None,
        }
    }

    /// How many keys are usable.
    pub(super) fn len(&self) -> usize {
        self.by_kid.len() + self.anonymous.len()
    }
}

#[derive(Deserialize)]
struct Document {
    keys: Vec<Value>,
}

/// The usable keys of the JWKS `body`, for tokens from `issuer` to `audience`. Keys this
/// library cannot use (encryption keys, symmetric keys, unknown types) are skipped and named
/// in the second value, so that one odd key does not take the provider's others down.
///
/// # Errors
/// A message when the body is not a JWKS document.
pub(super) fn parse(
    body: &[u8],
    issuer: &str,
    audience: &str,
) -> Result<(KeySet, Vec<String>), String> {
    let document: Document = serde_json::from_slice(body)
        .map_err(|e| format!("the JWKS is not a JSON object with `keys`: {e}"))?;
    let mut set = KeySet::default();
    let mut skipped = Vec::new();
    for value in document.keys {
        let jwk: Jwk = match serde_json::from_value(value) {
            Ok(jwk) => jwk,
            Err(error) => {
                skipped.push(format!("a key that does not parse ({error})"));
                continue;
            }
        };
        let kid = jwk.common.key_id.clone();
        match signing_key(&jwk, issuer, audience) {
            Ok(key) => match kid {
                Some(kid) => {
                    set.by_kid.insert(kid, key);
                }
                None => set.anonymous.push(key),
            },
            Err(why) => skipped.push(format!("key `{}`: {why}", kid.unwrap_or_default())),
        }
    }
    Ok((set, skipped))
}

/// `jwk` as a signing key with its rules, or why it cannot be one.
fn signing_key(jwk: &Jwk, issuer: &str, audience: &str) -> Result<SigningKey, String> {
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return Err("an encryption key".into());
    }
    let algorithm = algorithm_of(jwk)?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("unusable ({e})"))?;
    let mut validation = Validation::new(algorithm);
    validation.leeway = LEEWAY_SECONDS;
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.validate_nbf = true;
    Ok(SigningKey { key, validation })
}

/// The one algorithm `jwk` signs with: its `alg` if given, else its type's usual one.
fn algorithm_of(jwk: &Jwk) -> Result<Algorithm, String> {
    let declared = match jwk.common.key_algorithm {
        None => None,
        Some(KeyAlgorithm::RS256) => Some(Algorithm::RS256),
        Some(KeyAlgorithm::RS384) => Some(Algorithm::RS384),
        Some(KeyAlgorithm::RS512) => Some(Algorithm::RS512),
        Some(KeyAlgorithm::PS256) => Some(Algorithm::PS256),
        Some(KeyAlgorithm::PS384) => Some(Algorithm::PS384),
        Some(KeyAlgorithm::PS512) => Some(Algorithm::PS512),
        Some(KeyAlgorithm::ES256) => Some(Algorithm::ES256),
        Some(KeyAlgorithm::ES384) => Some(Algorithm::ES384),
        Some(KeyAlgorithm::EdDSA) => Some(Algorithm::EdDSA),
        Some(other) => return Err(format!("algorithm {other:?} is not an accepted signature")),
    };
    let implied = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(params) => match params.curve {
            EllipticCurve::P256 => Algorithm::ES256,
            EllipticCurve::P384 => Algorithm::ES384,
            _ => return Err("an elliptic curve other than P-256 or P-384".into()),
        },
        AlgorithmParameters::OctetKeyPair(_) => Algorithm::EdDSA,
        AlgorithmParameters::OctetKey(_) => {
            return Err("a symmetric key (never trusted from a public JWKS)".into())
        }
    };
    let algorithm = declared.unwrap_or(implied);
    let family_matches = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => matches!(
            algorithm,
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512
        ),
        AlgorithmParameters::EllipticCurve(_) => algorithm == implied,
        AlgorithmParameters::OctetKeyPair(_) => algorithm == Algorithm::EdDSA,
        AlgorithmParameters::OctetKey(_) => false,
    };
    if family_matches {
        Ok(algorithm)
    } else {
        Err(format!("`alg` {algorithm:?} does not fit the key's type"))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::parse;

    const ISSUER: &str = "https://idp.example.edu";
    const AUDIENCE: &str = "campushub";

    fn rsa(kid: &str) -> serde_json::Value {
        // A real 2048-bit modulus is not needed to parse: any base64url string is accepted
        // by the decoder, and verification is tested with real keys in the integration tests.
        json!({"kty": "RSA", "kid": kid, "use": "sig", "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", "e": "AQAB"})
    }

    #[test]
    fn usable_keys_are_kept_and_the_others_named() {
        let body = json!({"keys": [
            rsa("one"),
            {"kty": "oct", "kid": "shared", "k": "c2VjcmV0"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "sXch", "e": "AQAB"},
            {"kty": "EC", "kid": "wrong-alg", "alg": "RS256", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "EC", "kid": "p256", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "OKP", "kid": "ed", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
            {"kty": "unknown"},
        ]});
        let body = serde_json::to_vec(&body).expect("json");
        let (set, skipped) = parse(&body, ISSUER, AUDIENCE).expect("a JWKS");
        assert_eq!(set.len(), 3, "skipped: {skipped:?}");
        for kid in ["one", "p256", "ed"] {
            assert!(set.get(Some(kid)).is_some(), "{kid} missing");
        }
        for kid in ["shared", "enc", "wrong-alg", "absent"] {
            assert!(set.get(Some(kid)).is_none(), "{kid} accepted");
        }
        assert_eq!(skipped.len(), 4, "{skipped:?}");
        assert!(
            skipped.iter().any(|s| s.contains("symmetric")),
            "{skipped:?}"
        );
        assert!(
            skipped.iter().any(|s| s.contains("encryption")),
            "{skipped:?}"
        );
        assert!(
            set.get(None).is_none(),
            "a kid-less token matched a set with kids"
        );
    }

    #[test]
    fn a_lone_key_without_kid_serves_tokens_without_one() {
        let mut key = rsa("x");
        key.as_object_mut().map(|k| k.remove("kid"));
        let body = serde_json::to_vec(&json!({"keys": [key]})).expect("json");
        let (set, _) = parse(&body, ISSUER, AUDIENCE).expect("a JWKS");
        assert!(set.get(None).is_some());
        assert!(set.get(Some("x")).is_none());
    }

    #[test]
    fn a_body_that_is_not_a_jwks_is_an_error() {
        for body in [&b"<html>"[..], b"{}", b"{\"keys\": 3}"] {
            assert!(parse(body, ISSUER, AUDIENCE).is_err());
        }
    }
}
