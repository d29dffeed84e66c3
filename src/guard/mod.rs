//! The guard: protects routes by redeeming the credential in the `x-captcha-token` header
//! once, whichever protocol minted it (a pass token, or AJ's second-stage ticket).
//!
//! On success the verified claims go into the request extensions as [`VerifiedCaptcha`](crate::VerifiedCaptcha);
//! otherwise the request never reaches the inner service and a JSON rejection is returned
//! (pluggable with [`RequireCaptchaLayer::on_rejection`]).
//!
//! ```
//! # #[cfg(feature = "axum")]
//! # fn main() -> Result<(), tower_captcha::ConfigError> {
//! use axum::{Router, routing::post};
//! use tower_captcha::{Captcha, CaptchaLayer, VerifiedCaptcha};
//!
//! let captcha = Captcha::builder().secret([1u8; 32].to_vec()).build()?;
//! let app: Router = Router::new()
//!     .route("/login", post(|_pass: VerifiedCaptcha| async { "welcome" }))
//!     .route_layer(captcha.require_scope("login"))
//!     .layer(CaptchaLayer::new(captcha));
//! # Ok(()) }
//! # #[cfg(not(feature = "axum"))]
//! # fn main() {}
//! ```

mod future;
mod layer;
mod service;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, Response, StatusCode};

pub use future::ResponseFuture;
pub use layer::RequireCaptchaLayer;
pub use service::RequireCaptcha;

use crate::Captcha;
use crate::error::RedeemError;
use crate::protocol::Lang;
use crate::protocol::driver::json;
use crate::protocol::messages::{text, text_with};
use crate::protocol::native::ErrorBody;

/// The header a credential travels in.
pub const HEADER: &str = "x-captcha-token";

impl Captcha {
    /// A guard that accepts any valid credential (of any scope, or none).
    pub fn require(&self) -> RequireCaptchaLayer {
        RequireCaptchaLayer::new(self.clone(), None)
    }

    /// A guard that accepts only credentials minted for `scope` (issued with
    /// `?scope=<scope>`).
    ///
    /// # Panics
    ///
    /// When `scope` is not 1–32 characters of `A-Z a-z 0-9 _ - .` (no pass could ever be
    /// minted for it): a mistake in the app's code, reported when the app is built, as a
    /// router reports a malformed path.
    pub fn require_scope(&self, scope: impl Into<String>) -> RequireCaptchaLayer {
        let scope = scope.into();
        assert!(
            crate::engine::valid_scope(&scope),
            "require_scope({scope:?}): a scope is 1-32 characters of A-Z a-z 0-9 _ - ."
        );
        RequireCaptchaLayer::new(self.clone(), Some(scope.into()))
    }
}

/// Put into a rejection response's extensions by the guard: why the request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected {
    /// The machine-readable code, e.g. `captcha_token_used`.
    pub error: &'static str,
}

/// The credential from header `name`: absent or blank is `Missing`, not text `Invalid`.
pub(crate) fn token_from(headers: &HeaderMap, name: &HeaderName) -> Result<String, RedeemError> {
    match headers.get(name) {
        None => Err(RedeemError::Missing),
        Some(v) => match v.to_str() {
            Ok(s) if s.trim().is_empty() => Err(RedeemError::Missing),
            Ok(s) => Ok(s.trim().to_owned()),
            Err(_) => Err(RedeemError::Invalid),
        },
    }
}

/// How a rejection is answered: status, error, code and messages.
pub(crate) struct Described {
    pub(crate) status: StatusCode,
    pub(crate) error: &'static str,
    pub(crate) code: u16,
    /// The message's key in the catalogue.
    key: &'static str,
}

/// What a person is told about a rejection (the `message` field), in `lang`: what to do,
/// not why in a developer's terms.
fn for_people(e: &RedeemError, lang: Lang) -> &'static str {
    let key = match e {
        RedeemError::Missing => "guard.people.missing",
        RedeemError::RateLimited { .. } => "guard.people.rate_limited",
        RedeemError::Busy(_) => "guard.people.busy",
        _ => "guard.people.again",
    };
    text(key, lang)
}

/// Status, error, code and messages for each rejection.
pub(crate) fn describe(e: &RedeemError) -> Described {
    let (status, error, code, key) = match e {
        RedeemError::Missing => (
            StatusCode::UNAUTHORIZED,
            "captcha_required",
            4010,
            "guard.missing",
        ),
        RedeemError::Invalid => (
            StatusCode::UNAUTHORIZED,
            "invalid_captcha_token",
            4011,
            "guard.invalid",
        ),
        RedeemError::Expired => (
            StatusCode::UNAUTHORIZED,
            "captcha_token_expired",
            4012,
            "guard.expired",
        ),
        RedeemError::Used => (
            StatusCode::UNAUTHORIZED,
            "captcha_token_used",
            4013,
            "guard.used",
        ),
        RedeemError::ScopeMismatch => (
            StatusCode::FORBIDDEN,
            "captcha_scope_mismatch",
            4014,
            "guard.scope_mismatch",
        ),
        RedeemError::NoScope => (
            StatusCode::FORBIDDEN,
            "captcha_scope_mismatch",
            4014,
            "guard.no_scope",
        ),
        RedeemError::UnknownKind(_) => (
            StatusCode::UNAUTHORIZED,
            "captcha_kind_unknown",
            4016,
            "guard.unknown_kind",
        ),
        RedeemError::ClientMismatch => (
            StatusCode::FORBIDDEN,
            "captcha_client_mismatch",
            4015,
            "guard.client_mismatch",
        ),
        RedeemError::RateLimited { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            4029,
            "guard.rate_limited",
        ),
        RedeemError::Busy(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "server_busy",
            5030,
            "guard.busy",
        ),
    };
    Described {
        status,
        error,
        code,
        key,
    }
}

impl Described {
    pub(crate) fn message(&self, lang: Lang) -> &'static str {
        text(self.key, lang)
    }
}

/// The default rejection: `{"error", "error_code", "error_description", "message"}` with its
/// status: `error_description` for developers (a scope rejection names the scope the route
/// wants, and how to get it), `message` for people.
pub(crate) fn rejection(e: &RedeemError, lang: Lang, required: Option<&str>) -> Response<Bytes> {
    let d = describe(e);
    let description = match (e, required) {
        (RedeemError::ScopeMismatch | RedeemError::NoScope, Some(scope)) => text_with(
            "guard.scope_hint",
            lang,
            &[("message", d.message(lang)), ("scope", scope)],
        )
        .into(),
        _ => d.message(lang).into(),
    };
    json(
        d.status,
        &ErrorBody {
            error: d.error,
            error_code: d.code,
            error_description: description,
            attempts_left: None,
            message: Some(for_people(e, lang)),
            scope: None,
        },
    )
}

/// The answer of a guard that lets requests through without a pass until failures pile up,
/// once they have: `captcha_required` 4010 (401) with the scope to issue the captcha for.
pub(crate) fn required_now(lang: Lang, scope: Option<&str>) -> Response<Bytes> {
    let description = match scope {
        Some(s) => text_with("guard.required_now_scope", lang, &[("scope", s)]),
        None => text("guard.required_now", lang).to_owned(),
    };
    json(
        StatusCode::UNAUTHORIZED,
        &ErrorBody {
            error: "captcha_required",
            error_code: 4010,
            error_description: description.into(),
            attempts_left: None,
            message: Some(text("guard.people.required_now", lang)),
            scope: scope.map(str::to_owned),
        },
    )
}

/// The answer of an inner guard that finds a pass already redeemed by an outer guard of
/// another scope: two guards wrap this route, a configuration mistake (500, and logged).
pub(crate) fn stacked(outer: Option<&str>, inner: Option<&str>) -> Response<Bytes> {
    let name = |s: Option<&str>| s.map_or_else(|| "any scope".to_owned(), |s| format!("`{s}`"));
    let description = format!(
        "two captcha guards wrap this route: an outer one for {} (it has spent the pass) and an inner one for {}. Give each route one guard: `.route(\"/login\", post(login).route_layer(captcha.require_scope(\"login\")))` (`Router::route_layer` wraps every route added before it)",
        name(outer),
        name(inner)
    );
    static SAMPLER: crate::metrics::LogSampler = crate::metrics::LogSampler::new(60_000);
    if let Some(left_out) = SAMPLER.sample_now() {
        tracing::error!(
            refused_since_last_line = left_out,
            "tower-captcha: {description}"
        );
    }
    json(
        StatusCode::INTERNAL_SERVER_ERROR,
        &ErrorBody {
            error: "captcha_guards_stacked",
            error_code: 5001,
            error_description: description.into(),
            attempts_left: None,
            message: Some("The server is misconfigured; please try again later."),
            scope: None,
        },
    )
}
