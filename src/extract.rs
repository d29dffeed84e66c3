//! [`VerifiedCaptcha`]: the verified pass, as a request extension and an axum extractor.
//!
//! As an extractor (feature `axum`) it reuses the guard's result when the route is guarded
//! (a token is never spent twice); otherwise it redeems `x-captcha-token` itself through
//! the engine handle that [`CaptchaLayer`](crate::CaptchaLayer) put into the request. As
//! `Option<VerifiedCaptcha>`: no header → `None`; a header with a bad token → rejection.

use crate::token::PassClaims;

/// A pass token that was verified and spent for this request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCaptcha {
    claims: PassClaims,
}

impl VerifiedCaptcha {
    pub(crate) fn new(claims: PassClaims) -> Self {
        Self { claims }
    }

    /// All claims of the pass token.
    pub fn claims(&self) -> &PassClaims {
        &self.claims
    }

    /// The scope the pass was minted for, if any.
    pub fn scope(&self) -> Option<&str> {
        self.claims.scope.as_deref()
    }
}

#[cfg(feature = "axum")]
pub use axum_impl::CaptchaRejection;

#[cfg(feature = "axum")]
mod axum_impl {
    use axum_core::body::Body;
    use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
    use axum_core::response::{IntoResponse, Response};
    use http::StatusCode;
    use http::request::Parts;

    use super::VerifiedCaptcha;
    use crate::guard::{HEADER, rejection, token_from};
    use crate::protocol::{ErrorBody, Lang, error_response};
    use crate::{Captcha, RedeemError};

    /// Why [`VerifiedCaptcha`] could not be extracted.
    #[derive(Debug)]
    #[non_exhaustive]
    pub enum CaptchaRejection {
        /// The token was missing or refused; answered like the guard does.
        Redeem(RedeemError),
        /// Neither the guard nor [`CaptchaLayer`](crate::CaptchaLayer) runs in front of
        /// the route: a server misconfiguration, answered with 500.
        MissingLayer,
    }

    impl From<RedeemError> for CaptchaRejection {
        fn from(e: RedeemError) -> Self {
            CaptchaRejection::Redeem(e)
        }
    }

    /// Carries the request's language into the response.
    #[derive(Debug)]
    struct WithLang(CaptchaRejection, Lang);

    impl IntoResponse for CaptchaRejection {
        fn into_response(self) -> Response {
            WithLang(self, Lang::En).into_response()
        }
    }

    impl IntoResponse for WithLang {
        fn into_response(self) -> Response {
            let res = match self.0 {
                CaptchaRejection::Redeem(e) => rejection(&e, self.1),
                CaptchaRejection::MissingLayer => {
                    tracing::error!(
                        "VerifiedCaptcha used on a route without CaptchaLayer: is `CaptchaLayer` installed?"
                    );
                    error_response(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        ErrorBody {
                            error: "captcha_layer_missing",
                            error_code: 5000,
                            error_description: "VerifiedCaptcha needs the engine handle: is `CaptchaLayer` installed in front of this route?",
                            attempts_left: None,
                        },
                        None,
                    )
                }
            };
            res.map(Body::from)
        }
    }

    async fn extract(parts: &mut Parts) -> Result<VerifiedCaptcha, CaptchaRejection> {
        if let Some(verified) = parts.extensions.get::<VerifiedCaptcha>() {
            return Ok(verified.clone());
        }
        let captcha = parts
            .extensions
            .get::<Captcha>()
            .cloned()
            .ok_or(CaptchaRejection::MissingLayer)?;
        let token = token_from(&parts.headers)?;
        let verified = VerifiedCaptcha::new(captcha.redeem(&token, None).await?);
        // A second extractor in the same request must not spend the token again.
        parts.extensions.insert(verified.clone());
        Ok(verified)
    }

    impl<S: Send + Sync> FromRequestParts<S> for VerifiedCaptcha {
        type Rejection = Response;

        async fn from_request_parts(
            parts: &mut Parts,
            _state: &S,
        ) -> Result<Self, Self::Rejection> {
            let lang = Lang::from_headers(&parts.headers);
            extract(parts)
                .await
                .map_err(|e| WithLang(e, lang).into_response())
        }
    }

    impl<S: Send + Sync> OptionalFromRequestParts<S> for VerifiedCaptcha {
        type Rejection = Response;

        async fn from_request_parts(
            parts: &mut Parts,
            _state: &S,
        ) -> Result<Option<Self>, Self::Rejection> {
            if parts.extensions.get::<VerifiedCaptcha>().is_none()
                && !parts.headers.contains_key(HEADER)
            {
                return Ok(None);
            }
            let lang = Lang::from_headers(&parts.headers);
            extract(parts)
                .await
                .map(Some)
                .map_err(|e| WithLang(e, lang).into_response())
        }
    }
}
