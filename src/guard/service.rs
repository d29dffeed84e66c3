//! [`RequireCaptcha`], the guard's service.

use std::fmt;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_service::Service;

use super::{
    Rejected, RequireCaptchaLayer, ResponseFuture, describe, rejection, required_now, stacked,
    token_from,
};
use crate::client::RequestClient;
use crate::engine::Attempt;
use crate::error::RedeemError;
use crate::layer::CaptchaBody;
use crate::pass::VerifiedCaptcha;
use crate::protocol::Lang;

/// The service made by [`RequireCaptchaLayer`].
#[derive(Clone)]
pub struct RequireCaptcha<S> {
    inner: S,
    layer: RequireCaptchaLayer,
}

impl<S> RequireCaptcha<S> {
    pub(super) fn new(inner: S, layer: RequireCaptchaLayer) -> Self {
        Self { inner, layer }
    }
}

impl<S> fmt::Debug for RequireCaptcha<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireCaptcha")
            .field("layer", &self.layer)
            .finish_non_exhaustive()
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

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        // Take the service that was driven to readiness; leave a fresh clone in its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        ResponseFuture::new(Box::pin(async move {
            // The client as the captcha layer outside found it, else the peer.
            let (parts, body) = req.into_parts();
            let client = RequestClient::of(&parts);
            // An outer guard redeemed this request's pass already: the same pass serves this
            // guard if it fits (never spent twice); one of another scope is a stacking mistake.
            if let Some(outer) = parts.extensions.get::<VerifiedCaptcha>() {
                let required = layer.scope.as_deref();
                // After failures, a proof-of-work pass is not enough here either.
                if layer.after_failures
                    && !layer.captcha.is_picture(outer.claims().kind)
                    && layer
                        .captcha
                        .pass_required(Attempt::client_key(client))
                        .await
                {
                    let lang = Lang::from_headers(&parts.headers);
                    let mut res = required_now(lang, required).map(CaptchaBody::own);
                    res.extensions_mut().insert(Rejected {
                        error: "captcha_required",
                    });
                    return Ok(res);
                }
                if required.is_none_or(|r| outer.scope() == Some(r)) {
                    let req = Request::from_parts(parts, body);
                    return inner.call(req).await.map(|res| res.map(CaptchaBody::inner));
                }
                let mut res = stacked(outer.scope(), required).map(CaptchaBody::own);
                res.extensions_mut().insert(Rejected {
                    error: "captcha_guards_stacked",
                });
                return Ok(res);
            }
            let mut req = Request::from_parts(parts, body);
            let result = match token_from(req.headers(), &layer.header) {
                Ok(token) => {
                    let scope = layer.scope.as_deref();
                    let redeem = layer.captcha.redeem(&token).scope(scope);
                    redeem.client_key(client).await
                }
                Err(RedeemError::Missing) if layer.after_failures => {
                    // No pass, and none asked for while the client has few failures.
                    let attempt = Attempt::client_key(client);
                    if !layer.captcha.pass_required(attempt).await {
                        return inner.call(req).await.map(|res| res.map(CaptchaBody::inner));
                    }
                    let lang = Lang::from_headers(req.headers());
                    let mut res = required_now(lang, layer.scope.as_deref()).map(CaptchaBody::own);
                    res.extensions_mut().insert(Rejected {
                        error: "captcha_required",
                    });
                    return Ok(res);
                }
                Err(e) => Err(e),
            };
            match result {
                // After failures, a proof of work (which anyone may ask for by name) is not
                // enough: the client earned a picture.
                Ok(claims)
                    if layer.after_failures
                        && !layer.captcha.is_picture(claims.kind)
                        && layer
                            .captcha
                            .pass_required(Attempt::client_key(client))
                            .await =>
                {
                    let lang = Lang::from_headers(req.headers());
                    let mut res = required_now(lang, layer.scope.as_deref()).map(CaptchaBody::own);
                    res.extensions_mut().insert(Rejected {
                        error: "captcha_required",
                    });
                    Ok(res)
                }
                Ok(claims) => {
                    req.extensions_mut().insert(VerifiedCaptcha::new(claims));
                    inner.call(req).await.map(|res| res.map(CaptchaBody::inner))
                }
                Err(e) => {
                    let res = match &layer.on_rejection {
                        Some(f) => f(&e),
                        None => rejection(
                            &e,
                            Lang::from_headers(req.headers()),
                            layer.scope.as_deref(),
                        ),
                    };
                    let mut res = res.map(CaptchaBody::own);
                    res.extensions_mut().insert(Rejected {
                        error: describe(&e).error,
                    });
                    Ok(res)
                }
            }
        }))
    }
}
