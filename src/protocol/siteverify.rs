//! siteverify: the server-side contract of Cloudflare Turnstile, hCaptcha and reCAPTCHA, so
//! that backends in any language that already verify those tokens work with this crate by
//! changing one URL and one secret.
//!
//! `POST /siteverify`, form or JSON: `secret` (required; compared in constant time with the
//! configured one, which is not the signing secret; after 10 wrong ones in 10 minutes a
//! caller is refused whatever it sends until the window ends, so that secrets cannot be
//! guessed at full speed and a right guess is not told apart), `response` (required; a pass or an AJ
//! ticket, spent exactly as the guard spends it), `remoteip` (checked when passes are bound to
//! clients),
//! `idempotency_key` (a repeat of a successful call with the same key and response, within
//! the pass lifetime, gets the same answer instead of `timeout-or-duplicate`; remembered in
//! the store, so a repeat sent to another instance gets it too). Always HTTP 200 with `{"success", "challenge_ts", "hostname", "action",
//! "error-codes"}`.

use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use serde::Serialize;
use sha2::Digest as _;
use subtle::ConstantTimeEq;

use super::driver::{Call, Done, json};
use super::input::BadBody;
use super::{Adapter, Endpoint, Fault, Input, Lang, Route};
use crate::error::RedeemError;

/// Shortest siteverify secret accepted without a warning.
const MIN_SECRET_BYTES: usize = 16;

/// The siteverify route, at `/siteverify` unless moved with [`Siteverify::path`].
#[derive(Clone)]
#[must_use]
pub struct Siteverify {
    path: String,
    secret: Arc<[u8]>,
}

impl std::fmt::Debug for Siteverify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Siteverify")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Siteverify {
    /// siteverify at `/siteverify`, accepting calls that present `secret` (a secret of its
    /// own: give it to the backends that verify, not the signing secret).
    /// A secret shorter than 16 bytes is logged as a warning: wrong secrets are rate
    /// limited per caller, but a short one can still be guessed from many addresses.
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        let secret: Vec<u8> = secret.into();
        if secret.len() < MIN_SECRET_BYTES {
            tracing::warn!(
                bytes = secret.len(),
                "tower-captcha: the siteverify secret is shorter than {MIN_SECRET_BYTES} bytes; \
                 use a long random one (`openssl rand -base64 32`)"
            );
        }
        Self {
            path: "/siteverify".into(),
            secret: secret.into(),
        }
    }

    /// At another path.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The store key of a call's idempotent answer: a hash of the idempotency key, the
    /// response and the `remoteip` (none is stored as it is), so a repeat naming another
    /// client is not answered from the first call.
    fn replay_key(input: &Input) -> Option<[u8; 16]> {
        let key = input.string("idempotency_key").ok()?;
        let response = input.string("response").ok()?;
        let remote = input.string("remoteip").unwrap_or("");
        let mut h = sha2::Sha256::new();
        h.update(b"siteverify replay\0");
        h.update(key.as_bytes());
        h.update([0]);
        h.update(response.as_bytes());
        h.update([0]);
        h.update(remote.trim().as_bytes());
        let mut out = [0u8; 16];
        out.copy_from_slice(&h.finalize()[..16]);
        Some(out)
    }
}

#[derive(Serialize)]
struct Reply {
    success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    challenge_ts: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hostname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<String>,
    #[serde(rename = "error-codes")]
    error_codes: Vec<&'static str>,
}

/// `secs` since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`.
fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

const SITEVERIFY: Endpoint = Endpoint("siteverify");

impl Adapter for Siteverify {
    fn misconfigured(&self) -> Option<&'static str> {
        self.secret
            .is_empty()
            .then_some("the secret is empty: every call would be refused")
    }

    fn name(&self) -> &'static str {
        "siteverify"
    }

    fn routes(&self) -> Vec<Route> {
        vec![Route::new(Method::POST, &self.path, SITEVERIFY)]
    }

    fn parse(&self, _: Endpoint, input: &Input) -> Result<Call, Fault> {
        let secret = match input.string("secret") {
            Ok(s) if !s.is_empty() => s,
            _ => return Err(Fault::Field("secret")),
        };
        if !bool::from(secret.as_bytes().ct_eq(&self.secret)) {
            // Counted against the caller: secrets cannot be guessed at full speed.
            return Ok(Call::WrongSecret);
        }
        let response = match input.string("response") {
            Ok(r) if !r.trim().is_empty() => r,
            _ => return Err(Fault::Field("response")),
        };
        // Checked against the client a pass is bound to, when passes are bound.
        let client = input
            .string("remoteip")
            .ok()
            .and_then(|ip| ip.trim().parse::<std::net::IpAddr>().ok())
            .map(crate::ClientKey::from);
        Ok(Call::RedeemFor {
            credential: response.to_owned(),
            client,
            replay: Self::replay_key(input),
        })
    }

    fn success(&self, _: Endpoint, done: Done, input: &Input, _: Lang) -> Response<Bytes> {
        let claims = match done {
            Done::Redeemed(claims) => claims,
            Done::Cached(reply) => return reply,
            _ => return self.failure(SITEVERIFY, &Fault::Busy, Lang::En),
        };
        json(
            StatusCode::OK,
            &Reply {
                success: true,
                challenge_ts: Some(rfc3339(claims.iat)),
                hostname: Some(input.header("host").unwrap_or_default().to_owned()),
                action: Some(claims.scope.unwrap_or_default()),
                error_codes: Vec::new(),
            },
        )
    }

    fn failure(&self, _: Endpoint, fault: &Fault, _: Lang) -> Response<Bytes> {
        let code = match fault {
            Fault::Field("secret") => "missing-input-secret",
            Fault::Forbidden => "invalid-input-secret",
            Fault::Field(_) => "missing-input-response",
            Fault::Credential(RedeemError::Expired | RedeemError::Used) => "timeout-or-duplicate",
            Fault::Credential(_) => "invalid-input-response",
            Fault::Busy | Fault::NoClient | Fault::RateLimited { .. } => "internal-error",
            Fault::Body(BadBody::TooLarge | BadBody::UnsupportedType | BadBody::Malformed)
            | Fault::Method { .. } => "bad-request",
            _ => "bad-request",
        };
        json(
            StatusCode::OK,
            &Reply {
                success: false,
                challenge_ts: None,
                hostname: None,
                action: None,
                error_codes: vec![code],
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_000_000), "2026-11-18T11:06:40Z");
    }
}
