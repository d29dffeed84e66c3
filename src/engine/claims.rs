//! What passes and tickets claim, whether a credential's claims are acceptable here, and the
//! keyed hashes that name clients (bindings and log tags).

use std::time::Duration;

use super::Captcha;
use crate::client::ClientKey;
use crate::error::RedeemError;
use crate::id::Id;
use crate::pass::PassClaims;
use crate::seal::Sealed;

/// How far in the future a pass's `iat` may be (another instance's clock a little ahead).
const CLOCK_SKEW_MS: u64 = 5_000;

impl Captcha {
    /// The claims of a pass or ticket earned by solving `sealed`.
    pub(super) fn claims(
        &self,
        sealed: &Sealed,
        jti: Id,
        client: Option<ClientKey>,
        now: u64,
        ttl: Duration,
    ) -> PassClaims {
        let iat = now / 1000;
        PassClaims {
            jti: jti.to_string(),
            iat,
            exp: iat + ttl.as_secs(),
            kind: sealed.kind,
            scope: sealed.scope.clone(),
            cid: client
                .filter(|_| self.inner.bind_passes)
                .map(|c| self.binding(c)),
            iss: self.inner.issuer.clone(),
            aud: self.inner.audience.clone(),
        }
    }

    /// Whether `claims` are ours to accept now, from `client`, before anything is spent:
    /// issued by this configuration (issuer, audience), not in the future, for no longer
    /// than a pass lives, not expired, for a kind this engine offers, and from the client
    /// they are bound to.
    pub(super) fn claims_acceptable(
        &self,
        claims: &PassClaims,
        client: Option<ClientKey>,
        now: u64,
    ) -> Result<(), RedeemError> {
        if claims.iss != self.inner.issuer || claims.aud != self.inner.audience {
            return Err(RedeemError::Invalid);
        }
        let longest = self.inner.pass_ttl.max(self.inner.ticket_ttl).as_secs();
        if claims.iat.saturating_mul(1000) > now.saturating_add(CLOCK_SKEW_MS)
            || claims.exp.saturating_sub(claims.iat) > longest
        {
            return Err(RedeemError::Invalid);
        }
        if claims.exp.saturating_mul(1000) <= now {
            return Err(RedeemError::Expired);
        }
        if self.kind(claims.kind).is_none() {
            return Err(RedeemError::UnknownKind(claims.kind.to_string()));
        }
        if let Some(bound) = &claims.cid {
            let presented = client.map(|c| self.binding(c));
            let same = presented.is_some_and(|p| {
                bool::from(subtle::ConstantTimeEq::ct_eq(
                    p.as_bytes(),
                    bound.as_bytes(),
                ))
            });
            if !same {
                return Err(RedeemError::ClientMismatch);
            }
        }
        Ok(())
    }

    /// The claim a pass bound to `client` carries: a keyed hash, so the pass does not reveal
    /// the address.
    fn binding(&self, client: ClientKey) -> String {
        use base64::Engine as _;
        let tag = self.keyed_hash(b"pass binding", &client.bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&tag[..16])
    }

    /// A keyed hash of `value` (a client's bytes, an account name) for one `purpose`, so
    /// that hashes of one purpose tell nothing of another's.
    pub(super) fn keyed_hash(&self, purpose: &[u8], value: &[u8]) -> [u8; 32] {
        // No purpose is a prefix of another, so purposes never collide.
        crate::keys::hmac_sha256(&self.inner.client_key, &[purpose, value])
    }

    /// How log lines name a client: a short keyed hash (the same client, the same tag, for
    /// this secret), or the address itself if the app opted in.
    pub(crate) fn client_tag(&self, client: Option<ClientKey>) -> String {
        match client {
            None => "-".into(),
            Some(ClientKey::Ip(ip)) if self.inner.log_addresses => ip.to_string(),
            Some(c) => {
                let tag = self.keyed_hash(b"log tag", &c.bytes());
                crate::keys::hex(&tag[..6])
            }
        }
    }
}
