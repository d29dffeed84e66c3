//! Wire protocols: each maps one wire format onto the engine, and nothing more.
//!
//! | protocol | routes (default paths) | kinds |
//! |---|---|---|
//! | [`AuthV1`] (native) | `GET /auth/v1/captcha/data[?kind=]`, `POST /auth/v1/captcha/data/verify`, `GET /auth/v1/captcha/data/kinds` | every kind |
//! | [`AnQiCms`] | `GET /api/captcha`, `POST /api/captcha/verify` | text (240x76) |
//! | [`AjCaptcha`] | `POST /captcha/get`, `/captcha/check`, `/captcha/verify` | slider, click-word |
//! | [`Idaas`] | `GET /api/v2/sdk/captcha`, `POST /api/v2/sdk/captcha/verify` | slider |
//! | [`Altcha`] | `GET /altcha/challenge`, `POST /altcha/verify` | proof of work |
//! | [`Siteverify`] | `POST /siteverify` | redeems any pass or ticket |
//!
//! A protocol supplies only its routes, field names, envelope and code table (an
//! adapter); the rest is written once: reading bodies (`input.rs`), the faults and their
//! mapping from the engine's errors (`fault.rs`), the language and every message
//! (`messages.rs`), the crate's own error envelope and puzzle JSON (`native.rs`), and serving
//! a call (`driver.rs`). Mount protocols on a
//! [`CaptchaLayer`](crate::CaptchaLayer) with
//! [`CaptchaLayerBuilder::mount`](crate::layer::CaptchaLayerBuilder::mount):
//!
//! ```
//! use tower_captcha::{Captcha, CaptchaLayer, protocol::AuthV1};
//!
//! let captcha = Captcha::builder().secret([1u8; 32].to_vec()).build()?;
//! let layer = CaptchaLayer::builder(captcha)
//!     .mount(AuthV1::new().paths("/captcha/new", "/captcha/verify"))
//!     .build()?;
//! # Ok::<(), tower_captcha::ConfigError>(())
//! ```
//!
//! Every route's fields, status codes and error codes: [`wire_formats`].

mod aj;
mod altcha;
mod anqicms;
pub mod auth_v1;
pub(crate) mod driver;
pub(crate) mod fault;
mod idaas;
pub(crate) mod input;
#[cfg(feature = "eddsa")]
mod jwks;
pub(crate) mod messages;
pub(crate) mod native;
mod siteverify;

#[doc = include_str!("../../docs/wire-formats.md")]
pub mod wire_formats {}

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Response};

pub use aj::AjCaptcha;
pub use altcha::Altcha;
pub use anqicms::AnQiCms;
pub use auth_v1::AuthV1;
pub use driver::WORK_HEADER;
use driver::{Call, Done};
pub(crate) use fault::Fault;
pub use idaas::Idaas;
pub(crate) use input::Input;
pub use input::MAX_BODY_BYTES;
#[cfg(feature = "eddsa")]
pub use jwks::Jwks;
pub(crate) use messages::Lang;
pub use siteverify::Siteverify;

/// A protocol ready to be mounted: made from a protocol's settings, such as [`AuthV1`].
#[derive(Clone)]
pub struct Protocol(pub(crate) Arc<dyn Adapter>);

impl fmt::Debug for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<A: Adapter> From<A> for Protocol {
    fn from(adapter: A) -> Self {
        Protocol(Arc::new(adapter))
    }
}

/// One of a protocol's endpoints, by name (also its label in logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Endpoint(pub(crate) &'static str);

/// One route of a protocol: its method, path and which of the protocol's endpoints it is.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) endpoint: Endpoint,
}

impl Route {
    pub(crate) fn new(method: Method, path: &str, endpoint: Endpoint) -> Self {
        Self {
            method,
            path: path.to_owned(),
            endpoint,
        }
    }
}

/// What a protocol supplies to the driver.
pub(crate) trait Adapter: Send + Sync + fmt::Debug + 'static {
    /// Its name, for metrics.
    fn name(&self) -> &'static str;
    /// Its routes.
    fn routes(&self) -> Vec<Route>;
    /// Reads a request to `endpoint` into a call of the engine.
    fn parse(&self, endpoint: Endpoint, input: &Input) -> Result<Call, Fault>;
    /// Shapes the engine's answer.
    fn success(&self, endpoint: Endpoint, done: Done, input: &Input, lang: Lang)
    -> Response<Bytes>;
    /// Shapes a fault (the driver adds `retry-after` and `allow` where they apply).
    fn failure(&self, endpoint: Endpoint, fault: &Fault, lang: Lang) -> Response<Bytes>;
    /// What makes it unable to work as configured, if anything: refused by the layer's
    /// `build()`.
    fn misconfigured(&self) -> Option<&'static str> {
        None
    }
    /// Whether its routes count against a client's budgets (so need to know the client):
    /// not so for fixed files and key sets.
    fn counts_clients(&self) -> bool {
        true
    }
}
