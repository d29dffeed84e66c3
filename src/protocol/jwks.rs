//! A JWK Set route (feature `eddsa`): the public key passes are signed with, so that other
//! services can check passes without the secret.

use bytes::Bytes;
use http::header::{CACHE_CONTROL, HeaderValue};
use http::{Method, Response, StatusCode};

use super::driver::{Call, Done, json};
use super::{Adapter, Endpoint, Fault, Input, Lang, Route, native};
use crate::Captcha;

/// Publishes [`Captcha::jwks`](crate::Captcha::jwks) at `GET /.well-known/jwks.json` (or
/// [`Jwks::path`]), cacheable for five minutes.
///
/// ```
/// use tower_captcha::{Captcha, CaptchaLayer, protocol::Jwks};
///
/// let captcha = Captcha::builder()
///     .secret([1u8; 32].to_vec())
///     .eddsa_signing_key("2026-11", [2u8; 32])
///     .build()?;
/// let layer = CaptchaLayer::builder(captcha.clone())
///     .mount(Jwks::new(&captcha))
///     .build()?;
/// # Ok::<(), tower_captcha::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Jwks {
    path: String,
    keys: serde_json::Value,
}

impl Jwks {
    /// The keys of `captcha`, at `/.well-known/jwks.json`.
    pub fn new(captcha: &Captcha) -> Self {
        Self {
            path: "/.well-known/jwks.json".into(),
            keys: captcha.jwks(),
        }
    }

    /// At another path.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }
}

const KEYS: Endpoint = Endpoint("keys");

impl Adapter for Jwks {
    fn counts_clients(&self) -> bool {
        false
    }

    fn name(&self) -> &'static str {
        "jwks"
    }

    fn routes(&self) -> Vec<Route> {
        vec![Route::new(Method::GET, &self.path, KEYS)]
    }

    /// The keys never change while the engine lives: a prepared answer, no engine call.
    fn parse(&self, _: Endpoint, _: &Input) -> Result<Call, Fault> {
        let mut res = json(StatusCode::OK, &self.keys);
        res.headers_mut().insert(
            CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        );
        Ok(Call::Cached(res))
    }

    fn success(&self, _: Endpoint, done: Done, _: &Input, lang: Lang) -> Response<Bytes> {
        match done {
            Done::Cached(res) => res,
            _ => native::failure(&Fault::Busy, lang),
        }
    }

    /// Errors (a wrong method) in the crate's own envelope.
    fn failure(&self, _: Endpoint, fault: &Fault, lang: Lang) -> Response<Bytes> {
        native::failure(fault, lang)
    }
}
