//! [`VerifiedCaptcha`](crate::VerifiedCaptcha) as an axum extractor, and its rejection.
//!
//! The extractor reuses the guard's result when the route is guarded (a credential is never
//! spent twice); otherwise it redeems `x-captcha-token` itself through the engine handle
//! that [`CaptchaLayer`](crate::CaptchaLayer) put into the request. As
//! `Option<VerifiedCaptcha>`: no header → `None`; a header with a bad credential →
//! rejection.

use std::fmt;

use axum_core::body::Body;
use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::request::Parts;
use http::{HeaderName, StatusCode};

use crate::Captcha;
use crate::client::RequestClient;
use crate::error::RedeemError;
use crate::guard::{HEADER, describe, rejection, token_from};
use crate::pass::VerifiedCaptcha;
use crate::protocol::Lang;
use crate::protocol::driver::json;
use crate::protocol::native::ErrorBody;

/// Why [`VerifiedCaptcha`] could not be extracted: the extractor's rejection. Answered like
/// the guard answers (401/403/503 with `{"error", "error_code", "error_description"}`, in
/// the request's language), or 500 when no [`CaptchaLayer`](crate::CaptchaLayer) runs in
/// front of the route.
#[derive(Debug)]
pub struct CaptchaRejection {
    reason: Reason,
    lang: Lang,
}

#[derive(Debug)]
enum Reason {
    Redeem(RedeemError),
    MissingLayer,
}

const MISSING_LAYER: &str =
    "VerifiedCaptcha needs the engine handle: is `CaptchaLayer` installed in front of this route?";

impl CaptchaRejection {
    /// The HTTP status it is answered with.
    pub fn status(&self) -> StatusCode {
        match &self.reason {
            Reason::Redeem(e) => describe(e).status,
            Reason::MissingLayer => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable numeric code in its body (`error_code`), e.g. 4013.
    pub fn code(&self) -> u16 {
        match &self.reason {
            Reason::Redeem(e) => describe(e).code,
            Reason::MissingLayer => 5000,
        }
    }

    /// The stable machine-readable name in its body (`error`), e.g. `captcha_token_used`.
    pub fn error(&self) -> &'static str {
        match &self.reason {
            Reason::Redeem(e) => describe(e).error,
            Reason::MissingLayer => "captcha_layer_missing",
        }
    }

    /// Why the credential was refused; `None` when the layer is missing.
    pub fn redeem_error(&self) -> Option<&RedeemError> {
        match &self.reason {
            Reason::Redeem(e) => Some(e),
            Reason::MissingLayer => None,
        }
    }
}

impl From<RedeemError> for CaptchaRejection {
    fn from(e: RedeemError) -> Self {
        Self {
            reason: Reason::Redeem(e),
            lang: Lang::En,
        }
    }
}

impl fmt::Display for CaptchaRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            Reason::Redeem(e) => f.write_str(describe(e).message(Lang::En)),
            Reason::MissingLayer => f.write_str(MISSING_LAYER),
        }
    }
}

impl std::error::Error for CaptchaRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.reason {
            Reason::Redeem(e) => Some(e),
            Reason::MissingLayer => None,
        }
    }
}

impl IntoResponse for CaptchaRejection {
    fn into_response(self) -> Response {
        let res = match &self.reason {
            Reason::Redeem(e) => rejection(e, self.lang, None),
            Reason::MissingLayer => {
                tracing::error!("VerifiedCaptcha used on a route without CaptchaLayer");
                json(
                    self.status(),
                    &ErrorBody {
                        error: self.error(),
                        error_code: self.code(),
                        error_description: MISSING_LAYER.into(),
                        attempts_left: None,
                        message: None,
                    },
                )
            }
        };
        res.map(Body::from)
    }
}

async fn extract(parts: &mut Parts) -> Result<VerifiedCaptcha, Reason> {
    if let Some(verified) = parts.extensions.get::<VerifiedCaptcha>() {
        return Ok(verified.clone());
    }
    let captcha = parts
        .extensions
        .get::<Captcha>()
        .cloned()
        .ok_or(Reason::MissingLayer)?;
    let token =
        token_from(&parts.headers, &HeaderName::from_static(HEADER)).map_err(Reason::Redeem)?;
    let client = RequestClient::of(parts);
    let claims = captcha
        .redeem(&token)
        .client_key(client)
        .await
        .map_err(Reason::Redeem)?;
    let verified = VerifiedCaptcha::new(claims);
    // A second extractor in the same request must not spend the credential again.
    parts.extensions.insert(verified.clone());
    Ok(verified)
}

async fn extract_with_lang(parts: &mut Parts) -> Result<VerifiedCaptcha, CaptchaRejection> {
    let lang = Lang::from_headers(&parts.headers);
    extract(parts)
        .await
        .map_err(|reason| CaptchaRejection { reason, lang })
}

impl<S: Send + Sync> FromRequestParts<S> for VerifiedCaptcha {
    type Rejection = CaptchaRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        extract_with_lang(parts).await
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for VerifiedCaptcha {
    type Rejection = CaptchaRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        if parts.extensions.get::<VerifiedCaptcha>().is_none()
            && !parts.headers.contains_key(HEADER)
        {
            return Ok(None);
        }
        extract_with_lang(parts).await.map(Some)
    }
}
