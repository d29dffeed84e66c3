//! What a client holds after solving a challenge, and shows to a guarded route.
//!
//! - A **pass** ([`Pass`]): an HS256 JWT minted by a successful verify. Claims: `jti`
//!   (128-bit random), `iat`, `exp`, the challenge `kind` and an optional `scope`; never the
//!   answer. Spent once, by id, in the store.
//! - A **ticket** ([`Ticket`]): a second-stage credential minted by a successful check
//!   (AJ-Captcha's `captchaVerification`, or a random one), kept in the store (by hash) for a
//!   short while and taken exactly once.
//!
//! Either is a **credential**: [`Captcha::redeem`](crate::Captcha::redeem) accepts both, so
//! the guard, the extractor and every protocol's "verify the ticket" route share one path.
//! What a redeemed credential proves is a [`VerifiedCaptcha`] carrying [`PassClaims`].

pub(crate) mod jwt;

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::id::Id;
use crate::kind::Kind;

/// The claims of a redeemed credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PassClaims {
    /// Unique id of the pass (or ticket); spent once.
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
    /// A keyed hash of the client that earned it, when passes are bound to clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cid: Option<String>,
    /// The issuer, when one is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The audience, when one is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

/// A credential that was verified and spent for this request: put into the request
/// extensions by the guard, and an axum extractor (feature `axum`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCaptcha {
    claims: PassClaims,
}

impl VerifiedCaptcha {
    pub(crate) fn new(claims: PassClaims) -> Self {
        Self { claims }
    }

    /// All claims of the credential.
    pub fn claims(&self) -> &PassClaims {
        &self.claims
    }

    /// The scope the credential was minted for, if any.
    pub fn scope(&self) -> Option<&str> {
        self.claims.scope.as_deref()
    }
}

/// A pass: what a successful verify hands back.
#[derive(Clone)]
#[non_exhaustive]
pub struct Pass {
    /// The signed pass token, sent by the client as `x-captcha-token`.
    pub token: String,
    /// How long it is valid.
    pub expires_in: Duration,
}

impl fmt::Debug for Pass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pass")
            .field("token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// A second-stage ticket: what a successful check hands back.
#[derive(Clone)]
#[non_exhaustive]
pub struct Ticket {
    /// The ticket, sent by the app's backend to a verify route or by the client as
    /// `x-captcha-token`.
    pub value: String,
    /// How long it is valid.
    pub expires_in: Duration,
}

impl fmt::Debug for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticket")
            .field("value", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// Longest credential looked at.
const MAX_CREDENTIAL_LEN: usize = 4096;

/// What a credential string is, judged by its shape alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Credential<'a> {
    /// Three dot-separated segments starting with a JSON header: a pass token.
    Pass(&'a str),
    /// Anything else of visible ASCII, 16 characters or more: a second-stage ticket (whatever
    /// its protocol made it), named by the id it is stored under.
    Ticket(Id),
}

impl<'a> Credential<'a> {
    /// Judges `value` by its shape; `None` when it can be neither.
    pub(crate) fn parse(value: &'a str) -> Option<Self> {
        if value.is_empty() || value.len() > MAX_CREDENTIAL_LEN {
            return None;
        }
        if value.starts_with("eyJ") && value.bytes().filter(|&b| b == b'.').count() == 2 {
            return Some(Credential::Pass(value));
        }
        let ticket = value.len() >= 16 && value.bytes().all(|b| b.is_ascii_graphic());
        ticket.then(|| Credential::Ticket(ticket_id(value)))
    }
}

/// The id a ticket is stored under: the first 128 bits of its SHA-256.
pub(crate) fn ticket_id(value: &str) -> Id {
    let digest = sha2::Sha256::digest(value.as_bytes());
    let mut id = [0u8; 16];
    id.copy_from_slice(&digest[..16]);
    Id::from_bytes(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_told_apart_by_shape() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJ4In0.c2ln";
        assert_eq!(Credential::parse(jwt), Some(Credential::Pass(jwt)));
        let ticket = "G9SZygOxPyG0IeLT0t3AYuAvIWVTh9WAN5L7dAQCf8W/WjaQrg+BsRazH2v5gpqatH5tYuGSg0d62stK9A+PUA==";
        assert_eq!(
            Credential::parse(ticket),
            Some(Credential::Ticket(ticket_id(ticket)))
        );
        let plain = r#"71dd26999e314f9abb0c635336976635---{"x":205.5,"y":5}"#;
        assert!(matches!(
            Credential::parse(plain),
            Some(Credential::Ticket(_))
        ));
        for junk in [
            "",
            "a.b.c",
            "AAAA",
            "forged",
            "a ticket with spaces",
            &"A".repeat(5000),
        ] {
            assert_eq!(Credential::parse(junk), None, "{junk:?}");
        }
        assert_ne!(ticket_id("a"), ticket_id("b"));
    }

    #[test]
    fn debug_hides_credentials() {
        let pass = Pass {
            token: "eyJ.secret.token".into(),
            expires_in: Duration::from_secs(1),
        };
        let ticket = Ticket {
            value: "secret-ticket".into(),
            expires_in: Duration::from_secs(1),
        };
        assert!(!format!("{pass:?} {ticket:?}").contains("secret"));
    }
}
