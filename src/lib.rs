//! Self-hosted CAPTCHA as tower middleware.
//!
//! Add one layer and an app gets:
//!
//! 1. **Issue and verify routes** ([`CaptchaLayer`]) speaking the Auth v1 wire format
//!    (`GET /auth/v1/captcha/data`, `POST /auth/v1/captcha/data/verify`).
//! 2. **A guard** ([`Captcha::require`], [`Captcha::require_scope`]) for protected routes:
//!    it redeems the single-use pass token in `x-captcha-token`.
//! 3. **An axum extractor** ([`VerifiedCaptcha`]) that hands the verified pass to handlers.
//!
//! ```
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
//!     .route("/login", post(login))
//!     .route_layer(captcha.require_scope("login"))
//!     .layer(CaptchaLayer::new(captcha));
//! # Ok::<(), tower_captcha::ConfigError>(())
//! ```
//!
//! The engine ([`Captcha`]) knows nothing of HTTP: [`Captcha::issue`], [`Captcha::verify`]
//! and [`Captcha::redeem`] can be called directly. Where state lives is a [`Store`]:
//! [`MemoryStore`] by default; with the `redis` feature, `store::RedisStore` lets several
//! instances share challenges and spend each pass once across all of them.

pub mod clock;
mod config;
mod engine;
mod extract;
pub mod guard;
mod id;
pub mod kind;
pub mod layer;
mod protocol;
mod rate_limit;
mod render;
pub mod store;
#[cfg(test)]
mod test_util;
mod token;

pub use config::{CaptchaBuilder, ConfigError, MIN_SECRET_LEN};
pub use engine::{Captcha, Challenge, IssueError, Pass, RedeemError, VerifyError};
#[cfg(feature = "axum")]
pub use extract::CaptchaRejection;
pub use extract::VerifiedCaptcha;
pub use guard::{RequireCaptcha, RequireCaptchaLayer};
pub use id::Id;
pub use kind::Kind;
pub use kind::text::TextOptions;
pub use layer::{CaptchaLayer, CaptchaService};
pub use protocol::MAX_BODY_BYTES;
pub use rate_limit::RateLimit;
pub use store::{MemoryStore, Store, StoreError};

/// The Redis client this crate is built on, so that your version matches.
#[cfg(feature = "redis")]
pub use redis;
pub use token::PassClaims;

/// Auth v1 (the native protocol): default paths.
pub mod auth_v1 {
    pub use crate::protocol::auth_v1::{ISSUE_PATH, VERIFY_PATH};
}

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
