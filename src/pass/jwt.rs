//! Pass tokens as JWTs: HS256 by default, signed with the current key, accepted under any
//! configured key; or EdDSA (Ed25519, feature `eddsa`), whose public key other services can
//! check passes with (published as a JWKS).
//!
//! Keys are named by `kid` so that they can be rotated. The header is `jsonwebtoken`'s
//! `Header`; the HMAC-SHA256 is RustCrypto's `hmac` and Ed25519 is `ed25519-dalek`,
//! computed here rather than through `jsonwebtoken`'s pluggable crypto, so that this crate
//! needs none of its RSA or elliptic-curve back ends and installs no process-wide crypto
//! provider.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, Header};
use sha2::Sha256;

use super::PassClaims;

type HmacSha256 = Hmac<Sha256>;

/// Signs and checks pass tokens.
pub(crate) struct Signer {
    /// Every HMAC key a token may be signed with (the current one first, which signs
    /// unless an Ed25519 key does), each with the exact header segment our tokens carry
    /// for it.
    keys: Vec<(String, HmacSha256)>,
    kid: Option<String>,
    /// The Ed25519 key that signs instead, with its header segment and `kid`.
    #[cfg(feature = "eddsa")]
    ed25519: Option<(String, String, ed25519_dalek::SigningKey)>,
}

impl Signer {
    pub(crate) fn new(kid: Option<String>, secret: &[u8], accepted: &[(String, Vec<u8>)]) -> Self {
        let mac = |secret: &[u8]| {
            HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length")
        };
        let mut keys = vec![(header_segment(kid.as_deref()), mac(secret))];
        keys.extend(
            accepted
                .iter()
                .map(|(k, s)| (header_segment(Some(k)), mac(s))),
        );
        Self {
            keys,
            kid,
            #[cfg(feature = "eddsa")]
            ed25519: None,
        }
    }

    /// Signs with Ed25519 key `seed`, named `kid`, from now on (HMAC keys are still
    /// accepted, for passes minted before the switch).
    #[cfg(feature = "eddsa")]
    pub(crate) fn with_ed25519(mut self, kid: String, seed: &[u8; 32]) -> Self {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.clone());
        let segment = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap_or_default());
        self.ed25519 = Some((segment, kid, ed25519_dalek::SigningKey::from_bytes(seed)));
        self
    }

    /// The public keys passes are signed with, as a JWK Set (empty without Ed25519).
    #[cfg(feature = "eddsa")]
    pub(crate) fn jwks(&self) -> serde_json::Value {
        let keys: Vec<serde_json::Value> = self
            .ed25519
            .iter()
            .map(|(_, kid, key)| {
                serde_json::json!({
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "alg": "EdDSA",
                    "use": "sig",
                    "kid": kid,
                    "x": URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes()),
                })
            })
            .collect();
        serde_json::json!({ "keys": keys })
    }

    /// The signed token for `claims`.
    pub(crate) fn sign(&self, claims: &PassClaims) -> Result<String, serde_json::Error> {
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims)?);
        #[cfg(feature = "eddsa")]
        if let Some((head, _, key)) = &self.ed25519 {
            use ed25519_dalek::Signer as _;
            let message = format!("{head}.{payload}");
            let signature = URL_SAFE_NO_PAD.encode(key.sign(message.as_bytes()).to_bytes());
            return Ok(format!("{message}.{signature}"));
        }
        let (head, key) = &self.keys[0];
        let message = format!("{head}.{payload}");
        let mut mac = key.clone();
        mac.update(message.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        Ok(format!("{message}.{signature}"))
    }

    /// The claims of `token` if it is one of ours: its header is byte for byte the one we
    /// mint for a configured key (which pins `alg` to HS256 and selects the key by `kid`),
    /// and its HMAC checks out (compared in constant time). Expiry is not checked here.
    pub(crate) fn check(&self, token: &str) -> Option<PassClaims> {
        let (head, rest) = token.split_once('.')?;
        let (payload, signature) = rest.split_once('.')?;
        let message = token.get(..head.len() + 1 + payload.len())?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        #[cfg(feature = "eddsa")]
        let signed_by_ed25519 = match &self.ed25519 {
            Some((segment, _, key)) if segment == head => {
                let signature = ed25519_dalek::Signature::from_slice(&signature).ok()?;
                key.verifying_key()
                    .verify_strict(message.as_bytes(), &signature)
                    .ok()?;
                true
            }
            _ => false,
        };
        #[cfg(not(feature = "eddsa"))]
        let signed_by_ed25519 = false;
        if !signed_by_ed25519 {
            let (_, key) = self.keys.iter().find(|(segment, _)| segment == head)?;
            let mut mac = key.clone();
            mac.update(message.as_bytes());
            mac.verify_slice(&signature).ok()?;
        }
        let json = URL_SAFE_NO_PAD.decode(payload).ok()?;
        serde_json::from_slice(&json).ok()
    }
}

/// The first segment of the tokens we mint with `kid`: `jsonwebtoken`'s HS256 header.
fn header_segment(kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = kid.map(str::to_owned);
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap_or_default())
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.kid)
            .field("keys", &self.keys.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::Kind;

    fn claims() -> PassClaims {
        PassClaims {
            jti: "j".into(),
            iat: 1,
            exp: 2,
            kind: Kind::TEXT,
            scope: Some("login".into()),
            cid: None,
            iss: None,
            aud: None,
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

    #[cfg(feature = "eddsa")]
    #[test]
    fn ed25519_signs_and_publishes_its_public_key() {
        let hmac = Signer::new(None, &[5; 32], &[]);
        let old = hmac.sign(&claims()).unwrap();
        let signer = Signer::new(None, &[5; 32], &[]).with_ed25519("ed-1".into(), &[6; 32]);
        let token = signer.sign(&claims()).unwrap();
        let head: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(token.split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(head["alg"], "EdDSA");
        assert_eq!(head["kid"], "ed-1");
        assert_eq!(signer.check(&token), Some(claims()));
        assert_eq!(
            signer.check(&old),
            Some(claims()),
            "HMAC passes still accepted"
        );
        assert_eq!(hmac.check(&token), None);
        // A flipped signature byte, or another Ed25519 key, is refused.
        let (signed, sig) = token.rsplit_once('.').unwrap();
        let mut sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
        sig[0] ^= 1;
        assert_eq!(
            signer.check(&format!("{signed}.{}", URL_SAFE_NO_PAD.encode(&sig))),
            None
        );
        let other = Signer::new(None, &[5; 32], &[]).with_ed25519("ed-1".into(), &[7; 32]);
        assert_eq!(other.check(&token), None);
        // The JWKS has the public key that checks the token.
        let jwks = signer.jwks();
        let x = URL_SAFE_NO_PAD
            .decode(jwks["keys"][0]["x"].as_str().unwrap())
            .unwrap();
        let public = ed25519_dalek::VerifyingKey::from_bytes(&x.try_into().unwrap()).unwrap();
        let (signed, sig) = token.rsplit_once('.').unwrap();
        let sig =
            ed25519_dalek::Signature::from_slice(&URL_SAFE_NO_PAD.decode(sig).unwrap()).unwrap();
        assert!(public.verify_strict(signed.as_bytes(), &sig).is_ok());
        assert_eq!(jwks["keys"][0]["kid"], "ed-1");
    }

    #[test]
    fn only_our_exact_header_is_accepted() {
        let signer = Signer::new(None, &[4; 32], &[]);
        let ours = signer.sign(&claims()).unwrap();
        let payload = ours.split('.').nth(1).unwrap();
        // The same key and claims under an equivalent header, fields in another order.
        let head = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
        assert_ne!(head, ours.split('.').next().unwrap());
        let message = format!("{head}.{payload}");
        let mut mac = HmacSha256::new_from_slice(&[4; 32]).unwrap();
        mac.update(message.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        assert_eq!(signer.check(&format!("{message}.{sig}")), None);
        // Extra segments and a bad signature are refused too.
        assert_eq!(signer.check(&format!("{ours}.x")), None);
        let (signed, _) = ours.rsplit_once('.').unwrap();
        assert_eq!(signer.check(&format!("{signed}.AAAA")), None);
        assert_eq!(signer.check(&ours), Some(claims()));
    }
}
