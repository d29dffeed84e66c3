//! The service made by [`CaptchaLayer`](super::CaptchaLayer).

use std::fmt;
use std::task::{Context, Poll};

use http::{Request, Response};
use http_body::Body;
use tower_service::Service;

use super::{CaptchaBody, CaptchaLayer, Lookup, ResponseFuture, no_client_address};
use crate::client::RequestClient;
use crate::protocol::driver;

/// The service made by [`CaptchaLayer`].
#[derive(Clone)]
pub struct CaptchaService<S> {
    inner: S,
    layer: CaptchaLayer,
}

impl<S> CaptchaService<S> {
    pub(super) fn new(inner: S, layer: CaptchaLayer) -> Self {
        Self { inner, layer }
    }
}

impl<S> fmt::Debug for CaptchaService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaptchaService")
            .field("layer", &self.layer)
            .finish_non_exhaustive()
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for CaptchaService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ReqBody: Body + Send + 'static,
    ReqBody::Data: Send,
    ReqBody::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<CaptchaBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let mounted = match self.layer.lookup(req.method(), req.uri().path()) {
            Lookup::Pass => {
                let (mut parts, body) = req.into_parts();
                let client = self.layer.identity.client_of(&parts);
                parts.extensions.insert(RequestClient(client));
                parts.extensions.insert(self.layer.captcha.clone());
                return ResponseFuture::inner(self.inner.call(Request::from_parts(parts, body)));
            }
            Lookup::WrongMethod(m, allow) => {
                let res = driver::method_not_allowed(&*m.adapter, &m.route, req.headers(), allow);
                return ResponseFuture::own(Box::pin(std::future::ready(res)));
            }
            Lookup::Route(m) => m.clone(),
        };
        let (parts, body) = req.into_parts();
        let client = self.layer.identity.client_of(&parts);
        if client.is_none()
            && mounted.adapter.counts_clients()
            && self.layer.identity.expects_client()
            && self.layer.captcha.counts_clients()
        {
            no_client_address();
            let res =
                driver::refused_without_client(&*mounted.adapter, &mounted.route, &parts.headers);
            return ResponseFuture::own(Box::pin(std::future::ready(res)));
        }
        let req = Request::from_parts(parts, body);
        let captcha = self.layer.captcha.clone();
        let timeout = self.layer.body_timeout;
        ResponseFuture::own(Box::pin(async move {
            driver::serve(
                &*mounted.adapter,
                &mounted.route,
                &captcha,
                req,
                client,
                timeout,
            )
            .await
        }))
    }
}
