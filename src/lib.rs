//! Self-hosted CAPTCHA as tower middleware.
//!
//! Add one layer and an app gets:
//!
//! 1. **Issue and verify routes** ([`CaptchaLayer`]) speaking the wire formats existing
//!    front ends already use (by default Auth v1: `GET /auth/v1/captcha/data`,
//!    `POST /auth/v1/captcha/data/verify`; see [`protocol`]).
//! 2. **A guard** ([`Captcha::require`], [`Captcha::require_scope`]) for protected routes:
//!    it redeems the single-use credential in `x-captcha-token`.
//! 3. **An axum extractor** ([`VerifiedCaptcha`]) that hands the verified pass to handlers.
//!
//! ```toml
//! [dependencies]
//! tower-captcha = "0.1"
//! axum = "0.8"
//! tokio = { version = "1", features = ["macros", "rt-multi-thread", "net"] }
//! tracing-subscriber = "0.3"
//! ```
//!
//! ```
//! # #[cfg(feature = "axum")]
//! # fn main() -> Result<(), tower_captcha::ConfigError> {
//! use axum::{Router, routing::post};
//! use tower_captcha::{Captcha, CaptchaLayer, VerifiedCaptcha};
//!
//! async fn login(pass: VerifiedCaptcha) -> String {
//!     format!("captcha passed for {:?}", pass.scope())
//! }
//!
//! // Load the key from your secret store; every instance needs the same one.
//! # let key_from_secret_store = vec![42u8; 32];
//! let captcha = Captcha::builder().secret(key_from_secret_store).build()?;
//! let app: Router = Router::new()
//!     // The guard on its route: only passes issued for "login" open it.
//!     .route("/login", post(login).route_layer(captcha.require_scope("login")))
//!     .layer(CaptchaLayer::new(captcha));
//! # Ok(()) }
//! # #[cfg(not(feature = "axum"))]
//! # fn main() {}
//! ```
//!
//! The front end asks for a challenge with `GET /auth/v1/captcha/data?scope=login`, trades
//! the typed answer for a pass at `POST /auth/v1/captcha/data/verify`, and sends the pass in
//! the `x-captcha-token` header. **The scope must match**: `require_scope("login")` refuses a
//! pass issued without `?scope=login` (403, `captcha_scope_mismatch`, saying which scope the
//! route wants); [`Captcha::require`] accepts a pass of any scope. Every route's wire format:
//! [`protocol::wire_formats`].
//!
//! The engine ([`Captcha`]) knows nothing of HTTP: [`Captcha::issue`], [`Captcha::verify`],
//! [`Captcha::check`] and [`Captcha::redeem`] can be called directly. Challenges are sealed
//! into their ids, so issuing stores nothing; the state of answered challenges, spent passes
//! and tickets lives in a [`Store`]: [`MemoryStore`] by default; with the `redis` feature,
//! `store::RedisStore` (one server or a Redis Cluster) lets several instances spend each pass
//! once across all of them.
//!
//! Kinds are open: the four built-ins (text, slider, click-word, proof of work) and any kind
//! an app writes ([`ChallengeKind`], registered with [`CaptchaBuilder::kind`]) are issued
//! and verified by the same native route (`?kind=<name>`). Most people need see no puzzle:
//! [`CaptchaGate`] and [`RequireCaptchaLayer::only_after_failures`] ask for a pass only
//! after failed attempts, and [`Captcha::issue_managed`] lets the server pick the challenge
//! from what it knows of the client.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
pub mod clock;
mod engine;
mod error;
#[cfg(feature = "axum")]
mod extract;
pub mod guard;
mod id;
mod keys;
pub mod kind;
pub mod layer;
pub mod metrics;
mod pass;
pub mod protocol;
mod rate_limit;
mod render;
mod seal;
pub mod store;
#[cfg(any(test, feature = "test-util", all(doc, not(docsrs))))]
pub mod testing;
pub mod widget;

pub use client::{ClientIdentity, ClientKey, ForwardingHeader};
pub use engine::{
    AfterFailures, Attempt, Captcha, CaptchaBuilder, Challenge, Check, Issue, Listen, Managed,
    Redeem, Verify,
};
pub use error::{
    AudioError, ConfigError, IssueError, MIN_SECRET_LEN, RedeemError, StoreError, VerifyError,
};
#[cfg(feature = "axum")]
pub use extract::{CaptchaGate, CaptchaRejection};
pub use guard::{RequireCaptcha, RequireCaptchaLayer};
pub use id::Id;
pub use kind::click_word::ClickWordOptions;
pub use kind::pow::PowOptions;
pub use kind::pow_kdf::{KdfAlgorithm, PowKdfOptions};
pub use kind::slider::{Hole, SliderOptions, TrailCheck};
pub use kind::text::TextOptions;
pub use kind::{
    ChallengeKind, DrawError, Issued, Kind, KindSetup, Point, Puzzle, Size, Solution, TrailPoint,
};
pub use layer::{CaptchaLayer, CaptchaService};
pub use pass::{Pass, PassClaims, Ticket, VerifiedCaptcha};
pub use protocol::MAX_BODY_BYTES;
pub use rate_limit::{Lockout, RateLimit};
pub use store::{MemoryStore, Store};

/// The Redis client this crate is built on, so that your version matches.
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis;

/// The README's examples, compiled as doctests (they use axum).
#[cfg(all(doctest, feature = "axum"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
