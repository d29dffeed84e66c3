//! The guard: protects routes by redeeming the `x-captcha-token` header once
//! (PROTOCOLS.md §5).
//!
//! On success the verified claims go into the request extensions as [`VerifiedCaptcha`];
//! otherwise the request never reaches the inner service and a JSON rejection is returned
//! (pluggable with [`RequireCaptchaLayer::on_rejection`]).
//!
//! ```
//! use axum::{Router, routing::post};
//! use tower_captcha::{Captcha, CaptchaLayer, VerifiedCaptcha};
//!
//! let captcha = Captcha::builder().secret([1u8; 32].to_vec()).build()?;
//! let app: Router = Router::new()
//!     .route("/login", post(|_pass: VerifiedCaptcha| async { "welcome" }))
//!     .route_layer(captcha.require_scope("login"))
//!     .layer(CaptchaLayer::new(captcha));
//! # Ok::<(), tower_captcha::ConfigError>(())
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

use crate::extract::VerifiedCaptcha;
use crate::layer::CaptchaBody;
use crate::protocol::{ErrorBody, Lang, error_response};
use crate::{Captcha, RedeemError};

/// The header a pass token travels in.
pub const HEADER: &str = "x-captcha-token";

type RejectFn = dyn Fn(&RedeemError) -> Response<Bytes> + Send + Sync;

impl Captcha {
    /// A guard that accepts any valid pass (of any scope, or none).
    pub fn require(&self) -> RequireCaptchaLayer {
        RequireCaptchaLayer {
            captcha: self.clone(),
            scope: None,
            on_rejection: None,
        }
    }

    /// A guard that accepts only passes minted for `scope` (issued with `?scope=<scope>`).
    pub fn require_scope(&self, scope: impl Into<String>) -> RequireCaptchaLayer {
        RequireCaptchaLayer {
            captcha: self.clone(),
            scope: Some(scope.into().into()),
            on_rejection: None,
        }
    }
}

/// Layer that lets a request through only with a valid, unspent pass token; see
/// [`Captcha::require`] and [`Captcha::require_scope`].
#[derive(Clone)]
pub struct RequireCaptchaLayer {
    captcha: Captcha,
    scope: Option<Arc<str>>,
    on_rejection: Option<Arc<RejectFn>>,
}

impl RequireCaptchaLayer {
    /// Answers rejected requests with `f`'s response instead of the default JSON. The
    /// rejection reason is also put into the response's extensions as [`Rejected`].
    pub fn on_rejection(
        mut self,
        f: impl Fn(&RedeemError) -> Response<Bytes> + Send + Sync + 'static,
    ) -> Self {
        self.on_rejection = Some(Arc::new(f));
        self
    }
}

impl fmt::Debug for RequireCaptchaLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireCaptchaLayer")
            .field("scope", &self.scope)
            .field("custom_rejection", &self.on_rejection.is_some())
            .finish_non_exhaustive()
    }
}

impl<S> Layer<S> for RequireCaptchaLayer {
    type Service = RequireCaptcha<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireCaptcha {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service made by [`RequireCaptchaLayer`].
#[derive(Clone)]
pub struct RequireCaptcha<S> {
    inner: S,
    layer: RequireCaptchaLayer,
}

impl<S> fmt::Debug for RequireCaptcha<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireCaptcha")
            .field("layer", &self.layer)
            .finish_non_exhaustive()
    }
}

/// Put into a rejection response's extensions by the guard: why the request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected {
    /// The machine-readable code, e.g. `captcha_token_used`.
    pub error: &'static str,
}

type Guarded<B, E> = Result<Response<CaptchaBody<B>>, E>;

/// Response future of [`RequireCaptcha`].
pub struct ResponseFuture<B, E> {
    inner: Pin<Box<dyn Future<Output = Guarded<B, E>> + Send>>,
}

impl<B, E> Future for ResponseFuture<B, E> {
    type Output = Result<Response<CaptchaBody<B>>, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl<B, E> fmt::Debug for ResponseFuture<B, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RequireCaptcha<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: 'static,
{
    type Response = Response<CaptchaBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        // Take the service that was driven to readiness; leave a fresh clone in its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        ResponseFuture {
            inner: Box::pin(async move {
                let token = token_from(req.headers());
                let result = match token {
                    Ok(token) => layer.captcha.redeem(&token, layer.scope.as_deref()).await,
                    Err(e) => Err(e),
                };
                match result {
                    Ok(claims) => {
                        req.extensions_mut().insert(VerifiedCaptcha::new(claims));
                        inner.call(req).await.map(|res| res.map(CaptchaBody::inner))
                    }
                    Err(e) => {
                        let res = match &layer.on_rejection {
                            Some(f) => f(&e),
                            None => rejection(&e, Lang::from_headers(req.headers())),
                        };
                        let mut res = res.map(CaptchaBody::own);
                        res.extensions_mut().insert(Rejected {
                            error: describe(&e).1,
                        });
                        Ok(res)
                    }
                }
            }),
        }
    }
}

/// The pass token from `x-captcha-token`: absent or blank is `Missing`, not text `Invalid`.
pub(crate) fn token_from(headers: &HeaderMap) -> Result<String, RedeemError> {
    match headers.get(HEADER) {
        None => Err(RedeemError::Missing),
        Some(v) => match v.to_str() {
            Ok(s) if s.trim().is_empty() => Err(RedeemError::Missing),
            Ok(s) => Ok(s.trim().to_owned()),
            Err(_) => Err(RedeemError::Invalid),
        },
    }
}

/// Status, error, code and messages for each rejection.
fn describe(e: &RedeemError) -> (StatusCode, &'static str, u16, &'static str, &'static str) {
    match e {
        RedeemError::Missing => (
            StatusCode::UNAUTHORIZED,
            "captcha_required",
            4010,
            "Captcha verification required: send the pass token in x-captcha-token",
            "需要人机验证：请在 x-captcha-token 请求头中携带验证通过凭证",
        ),
        RedeemError::Invalid => (
            StatusCode::UNAUTHORIZED,
            "invalid_captcha_token",
            4011,
            "Invalid captcha token",
            "人机验证凭证无效",
        ),
        RedeemError::Expired => (
            StatusCode::UNAUTHORIZED,
            "captcha_token_expired",
            4012,
            "Captcha token expired, please verify again",
            "人机验证凭证已过期，请重新验证",
        ),
        RedeemError::Used => (
            StatusCode::UNAUTHORIZED,
            "captcha_token_used",
            4013,
            "Captcha token already used, please verify again",
            "人机验证凭证已使用，请重新验证",
        ),
        RedeemError::ScopeMismatch => (
            StatusCode::FORBIDDEN,
            "captcha_scope_mismatch",
            4014,
            "Captcha token was issued for another purpose",
            "人机验证凭证不适用于此操作",
        ),
        RedeemError::Busy(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "server_busy",
            5030,
            "Server busy, please try again later",
            "系统繁忙，请稍后再试",
        ),
    }
}

/// The default rejection: `{"error", "error_code", "error_description"}` with its status.
pub(crate) fn rejection(e: &RedeemError, lang: Lang) -> Response<Bytes> {
    let (status, error, error_code, en, zh) = describe(e);
    error_response(
        status,
        ErrorBody {
            error,
            error_code,
            error_description: lang.pick(en, zh),
            attempts_left: None,
        },
        None,
    )
}
