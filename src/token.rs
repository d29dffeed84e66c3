//! Pass tokens: HS256 JWTs minted on a successful verify and spent once by the guard.
//!
//! Claims: `jti` (128-bit random), `iat`, `exp`, the challenge `kind` and an optional
//! `scope`. Never the answer. Keys are named by `kid` so that they can be rotated: tokens
//! are signed with the current key and accepted under any configured key.

use std::fmt;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::kind::Kind;

/// The claims of a verified pass token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassClaims {
    /// Unique token id; the guard spends it once.
    pub jti: String,
    /// Issued at, seconds since the Unix epoch.
    pub iat: u64,
    /// Expires at, seconds since the Unix epoch.
    pub exp: u64,
    /// The kind of challenge that was solved.
    pub kind: Kind,
    /// The use this pass is bound to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// Signs and checks pass tokens.
pub(crate) struct Signer {
    kid: Option<String>,
    encoding: EncodingKey,
    /// Every key a token may be signed with: the current one first.
    decoding: Vec<(Option<String>, DecodingKey)>,
    validation: Validation,
}

impl Signer {
    pub(crate) fn new(kid: Option<String>, secret: &[u8], accepted: &[(String, Vec<u8>)]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked by the engine against its own clock, without leeway.
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        validation.validate_aud = false;
        let mut decoding = vec![(kid.clone(), DecodingKey::from_secret(secret))];
        decoding.extend(
            accepted
                .iter()
                .map(|(k, s)| (Some(k.clone()), DecodingKey::from_secret(s))),
        );
        Self {
            encoding: EncodingKey::from_secret(secret),
            kid,
            decoding,
            validation,
        }
    }

    pub(crate) fn sign(&self, claims: &PassClaims) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::HS256);
        header.kid.clone_from(&self.kid);
        jsonwebtoken::encode(&header, claims, &self.encoding)
    }

    /// The claims of `token` if it is an HS256 token signed by one of our keys; expiry is
    /// not checked here.
    pub(crate) fn check(&self, token: &str) -> Option<PassClaims> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        if header.alg != Algorithm::HS256 {
            return None;
        }
        let (_, key) = self.decoding.iter().find(|(kid, _)| *kid == header.kid)?;
        jsonwebtoken::decode::<PassClaims>(token, key, &self.validation)
            .ok()
            .map(|data| data.claims)
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.kid)
            .field("keys", &self.decoding.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> PassClaims {
        PassClaims {
            jti: "j".into(),
            iat: 1,
            exp: 2,
            kind: Kind::Text,
            scope: Some("login".into()),
        }
    }

    #[test]
    fn signs_checks_and_rotates() {
        let old = Signer::new(Some("old".into()), &[1; 32], &[]);
        let new = Signer::new(Some("new".into()), &[2; 32], &[("old".into(), vec![1; 32])]);
        let t_old = old.sign(&claims()).unwrap();
        let t_new = new.sign(&claims()).unwrap();
        assert_eq!(new.check(&t_old), Some(claims()), "old key still accepted");
        assert_eq!(new.check(&t_new), Some(claims()));
        assert_eq!(old.check(&t_new), None, "unknown kid rejected");
        let unnamed = Signer::new(None, &[3; 32], &[]);
        assert_eq!(unnamed.check(&t_new), None);
        assert_eq!(
            unnamed.check(&unnamed.sign(&claims()).unwrap()),
            Some(claims())
        );
        assert_eq!(unnamed.check("not a token"), None);
    }
}
