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
use crate::client::ClientKey;
use crate::client::RequestClient;
use crate::engine::Attempt;
use crate::error::RedeemError;
use crate::guard::{HEADER, describe, rejection, required_now, token_from};
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
    /// No credential, and the attempt needs one now (after failures), for this scope.
    Required(String),
}

const MISSING_LAYER: &str =
    "VerifiedCaptcha needs the engine handle: is `CaptchaLayer` installed in front of this route?";

impl CaptchaRejection {
    /// The HTTP status it is answered with.
    pub fn status(&self) -> StatusCode {
        match &self.reason {
            Reason::Redeem(e) => describe(e).status,
            Reason::MissingLayer => StatusCode::INTERNAL_SERVER_ERROR,
            Reason::Required(_) => StatusCode::UNAUTHORIZED,
        }
    }

    /// The stable numeric code in its body (`error_code`), e.g. 4013.
    pub fn code(&self) -> u16 {
        match &self.reason {
            Reason::Redeem(e) => describe(e).code,
            Reason::MissingLayer => 5000,
            Reason::Required(_) => 4010,
        }
    }

    /// The stable machine-readable name in its body (`error`), e.g. `captcha_token_used`.
    pub fn error(&self) -> &'static str {
        match &self.reason {
            Reason::Redeem(e) => describe(e).error,
            Reason::MissingLayer => "captcha_layer_missing",
            Reason::Required(_) => "captcha_required",
        }
    }

    /// Why the credential was refused; `None` when the layer is missing, or when no
    /// credential came and one is needed now ([`CaptchaGate`]).
    pub fn redeem_error(&self) -> Option<&RedeemError> {
        match &self.reason {
            Reason::Redeem(e) => Some(e),
            Reason::MissingLayer | Reason::Required(_) => None,
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
            Reason::Required(scope) => write!(f, "a captcha (scope {scope}) is required now"),
        }
    }
}

impl std::error::Error for CaptchaRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.reason {
            Reason::Redeem(e) => Some(e),
            Reason::MissingLayer | Reason::Required(_) => None,
        }
    }
}

impl IntoResponse for CaptchaRejection {
    fn into_response(self) -> Response {
        let res = match &self.reason {
            Reason::Redeem(e) => rejection(e, self.lang, None),
            Reason::Required(scope) => required_now(self.lang, Some(scope)),
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
                        scope: None,
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

/// For a handler that knows the account only from the body (a sign-in form): a pass only
/// after failures, judged on the client and the account. Needs
/// [`CaptchaLayer`](crate::CaptchaLayer) in front (it names the client).
///
/// ```
/// # #[cfg(feature = "axum")]
/// # mod app {
/// use axum::Json;
/// use axum::response::{IntoResponse, Response};
/// use tower_captcha::CaptchaGate;
///
/// #[derive(serde::Deserialize)]
/// struct SignIn { user: String, password: String }
///
/// async fn sign_in(gate: CaptchaGate, Json(form): Json<SignIn>) -> Response {
///     // A pass if the request has one (spent here); none needed while few attempts failed.
///     if let Err(rejection) = gate.check(&form.user, "login").await {
///         return rejection.into_response(); // 4010 captcha_required, with the scope
///     }
///     if form.password == "the right one" {
///         gate.succeeded(&form.user).await;
///         "welcome".into_response()
///     } else {
///         gate.failed(&form.user).await;
///         (http::StatusCode::UNAUTHORIZED, "wrong user name or password").into_response()
///     }
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct CaptchaGate {
    captcha: Captcha,
    client: Option<ClientKey>,
    token: Result<String, RedeemError>,
    verified: Option<VerifiedCaptcha>,
    lang: Lang,
}

impl CaptchaGate {
    /// Checks an attempt on `account` that a pass for `scope` may be asked for: the
    /// request's credential if it has one (spent here: `Some`), or, without one, `None`
    /// while the client and the account have fewer failures than
    /// [`pass_after_failures`](crate::CaptchaBuilder::pass_after_failures) allows; else
    /// `captcha_required` 4010 with `scope`.
    pub async fn check(
        &self,
        account: &str,
        scope: &str,
    ) -> Result<Option<VerifiedCaptcha>, CaptchaRejection> {
        let reject = |reason| CaptchaRejection {
            reason,
            lang: self.lang,
        };
        let claims = match (&self.verified, &self.token) {
            // Redeemed already (a guard in front): its scope must fit this check too.
            (Some(verified), _) => {
                if verified.scope() != Some(scope) {
                    return Err(reject(Reason::Redeem(RedeemError::ScopeMismatch)));
                }
                verified.claims().clone()
            }
            (None, Ok(token)) => {
                let redeem = self.captcha.redeem(token).scope(scope);
                let claims = redeem.client_key(self.client).await;
                claims.map_err(|e| reject(Reason::Redeem(e)))?
            }
            (None, Err(RedeemError::Missing)) => {
                if self.captcha.pass_required(self.attempt(account)).await {
                    return Err(reject(Reason::Required(scope.to_owned())));
                }
                return Ok(None);
            }
            (None, Err(_)) => return Err(reject(Reason::Redeem(RedeemError::Invalid))),
        };
        // After failures a proof of work (anyone may ask for one by name) is not enough: the
        // attempt earned a picture.
        if !self.captcha.is_picture(claims.kind)
            && self.captcha.pass_required(self.attempt(account)).await
        {
            return Err(reject(Reason::Required(scope.to_owned())));
        }
        Ok(Some(VerifiedCaptcha::new(claims)))
    }

    /// The attempt on `account` failed: counted for the client and the account.
    pub async fn failed(&self, account: &str) {
        self.captcha.record_failure(self.attempt(account)).await;
    }

    /// The attempt on `account` succeeded: the client's and the account's failures are
    /// forgotten.
    pub async fn succeeded(&self, account: &str) {
        self.captcha.record_success(self.attempt(account)).await;
    }

    fn attempt<'a>(&self, account: &'a str) -> Attempt<'a> {
        Attempt::client_key(self.client).account(account)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CaptchaGate {
    type Rejection = CaptchaRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let lang = Lang::from_headers(&parts.headers);
        let captcha = parts
            .extensions
            .get::<Captcha>()
            .cloned()
            .ok_or(CaptchaRejection {
                reason: Reason::MissingLayer,
                lang,
            })?;
        Ok(Self {
            captcha,
            client: RequestClient::of(parts),
            token: token_from(&parts.headers, &HeaderName::from_static(HEADER)),
            verified: parts.extensions.get::<VerifiedCaptcha>().cloned(),
            lang,
        })
    }
}
