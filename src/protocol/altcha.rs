//! ALTCHA: the proof-of-work kind in the challenge format ALTCHA's web component and server
//! libraries speak, so that the `altcha` widget works against this crate unchanged.
//!
//! `GET /altcha/challenge` (optional query `scope=<name>`) →
//! `{"algorithm": "SHA-256", "challenge", "maxnumber", "salt", "signature"}`; the widget
//! finds `number` with `hex(sha256(salt + number)) == challenge` and submits
//! `base64(JSON{algorithm, challenge, number, salt, signature, took})`, in a form field named
//! `altcha` by default. `POST /altcha/verify` takes that payload, as form field `altcha` or
//! JSON field `payload` (which is what the widget's own `verifyUrl` option posts), and
//! answers `{"verified": true, "payload": <pass>, "captcha_token": <pass>, "expires_in"}`:
//! a pass for the guard, the extractor and siteverify like any other. Errors are Auth v1's
//! (`{"error", "error_code", "error_description"}` with 4xx/5xx statuses).
//!
//! # Which of ALTCHA's formats
//!
//! The widget (major version 3) solves two formats: ALTCHA's "v1" (a SHA-256 search over
//! `salt + number`, the default kind here: every ALTCHA server library implements it), and
//! its newer key-derivation format "v2" (PBKDF2, scrypt or Argon2 over a nonce and a
//! counter). `Altcha::new().kind(PowKdfOptions::KIND)` serves v2 with `PBKDF2/SHA-256`
//! (register [`PowKdfOptions`](crate::PowKdfOptions) on the engine): its challenge route then
//! answers `{"parameters", "signature"}` and the verify route takes the v2 payload. Either
//! costs the server one HMAC to check; v2 costs one key derivation per issue.

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use serde_json::json;

use super::driver::{Call, Done, json};
use super::{Adapter, Endpoint, Fault, Input, Lang, Route, native};
use crate::kind::{Kind, pow, pow_kdf};

const CHALLENGE: Endpoint = Endpoint("challenge");
const VERIFY: Endpoint = Endpoint("verify");

/// ALTCHA's challenge and verify routes, at `/altcha/challenge` and `/altcha/verify` unless
/// moved with [`Altcha::paths`]. Point the widget at the first:
/// `<altcha-widget challenge="/altcha/challenge?scope=login">`.
#[derive(Debug, Clone)]
#[must_use]
pub struct Altcha {
    challenge: String,
    verify: String,
    kind: Kind,
}

impl Default for Altcha {
    fn default() -> Self {
        Self::new()
    }
}

impl Altcha {
    /// ALTCHA at its default paths.
    pub fn new() -> Self {
        Self {
            challenge: "/altcha/challenge".into(),
            verify: "/altcha/verify".into(),
            kind: Kind::POW,
        }
    }

    /// The kind the challenge route issues: [`Kind::POW`] (ALTCHA's v1, the default) or
    /// `PowKdfOptions::KIND` (its v2 with `PBKDF2/SHA-256`). The verify route takes both.
    pub fn kind(mut self, kind: Kind) -> Self {
        self.kind = kind;
        self
    }

    /// ALTCHA at other paths.
    pub fn paths(mut self, challenge: impl Into<String>, verify: impl Into<String>) -> Self {
        self.challenge = challenge.into();
        self.verify = verify.into();
        self
    }
}

impl Adapter for Altcha {
    fn name(&self) -> &'static str {
        "altcha"
    }

    fn routes(&self) -> Vec<Route> {
        vec![
            Route::new(Method::GET, &self.challenge, CHALLENGE),
            Route::new(Method::POST, &self.verify, VERIFY),
        ]
    }

    fn parse(&self, endpoint: Endpoint, input: &Input) -> Result<Call, Fault> {
        if endpoint == CHALLENGE {
            return Ok(Call::Issue {
                kind: self.kind,
                scope: input.query("scope"),
                size: None,
                managed: false,
            });
        }
        // The widget's form field, or the JSON its `verifyUrl` option posts.
        let payload = match input.string("altcha") {
            Ok(payload) => payload,
            Err(_) => input
                .string("payload")
                .map_err(|_| Fault::Field("altcha"))?,
        };
        // A payload that cannot be read names no challenge of ours.
        let read = pow::read_payload(payload).or_else(|| pow_kdf::read_payload(payload));
        let (id, solution) = read.ok_or(Fault::Unknown)?;
        Ok(Call::Verify { id, solution })
    }

    fn success(&self, _: Endpoint, done: Done, _: &Input, _: Lang) -> Response<Bytes> {
        let body = match done {
            // ALTCHA's challenge is the proof of work's puzzle, field for field.
            Done::Issued(c) => native::puzzle_fields(c.puzzle),
            Done::Passed(pass) => json!({
                "verified": true,
                "payload": pass.token,
                "captcha_token": pass.token,
                "expires_in": pass.expires_in.as_secs(),
            }),
            Done::Cached(reply) => return reply,
            Done::Checked(_) | Done::Redeemed(_) => json!({}),
        };
        json(StatusCode::OK, &body)
    }

    /// Auth v1's error bodies and codes.
    /// Errors in the crate's own envelope (ALTCHA's server libraries define none).
    fn failure(&self, _: Endpoint, fault: &Fault, lang: Lang) -> Response<Bytes> {
        native::failure(fault, lang)
    }
}
