//! [`CaptchaLayer`]: answers the captcha routes and passes every other request on, with the
//! engine handle in its extensions.
//!
//! ```
//! use axum::{Router, routing::get};
//! use tower_captcha::{Captcha, CaptchaLayer};
//!
//! let captcha = Captcha::builder().secret([1u8; 32].to_vec()).build()?;
//! let app: Router = Router::new()
//!     .route("/", get(|| async { "home" }))
//!     .layer(CaptchaLayer::new(captcha));
//! # Ok::<(), tower_captcha::ConfigError>(())
//! ```

mod body;
mod future;

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::request::Parts;
use http::{Method, Request, Response};
use http_body::Body;
use tower_layer::Layer;
use tower_service::Service;

pub use body::CaptchaBody;
pub use future::ResponseFuture;

use crate::Captcha;
use crate::protocol::auth_v1;

/// Finds the address rate limits count a request against.
pub type ClientIpFn = dyn Fn(&Parts) -> Option<IpAddr> + Send + Sync;

/// The routes a [`CaptchaLayer`] answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    AuthV1Issue,
    AuthV1Verify,
}

impl Endpoint {
    fn method(self) -> Method {
        match self {
            Endpoint::AuthV1Issue => Method::GET,
            Endpoint::AuthV1Verify => Method::POST,
        }
    }
}

/// Layer that mounts the captcha routes (by default Auth v1 at
/// [`ISSUE_PATH`](crate::auth_v1::ISSUE_PATH) and [`VERIFY_PATH`](crate::auth_v1::VERIFY_PATH)).
#[derive(Clone)]
pub struct CaptchaLayer {
    captcha: Captcha,
    routes: Arc<Vec<(String, Endpoint)>>,
    client_ip: Arc<ClientIpFn>,
}

impl CaptchaLayer {
    /// Mounts the Auth v1 routes at their default paths.
    pub fn new(captcha: Captcha) -> Self {
        Self {
            captcha,
            routes: Arc::new(vec![
                (auth_v1::ISSUE_PATH.to_owned(), Endpoint::AuthV1Issue),
                (auth_v1::VERIFY_PATH.to_owned(), Endpoint::AuthV1Verify),
            ]),
            client_ip: Arc::new(default_client_ip),
        }
    }

    /// Moves the Auth v1 routes to other paths.
    pub fn auth_v1_paths(mut self, issue: impl Into<String>, verify: impl Into<String>) -> Self {
        self.routes = Arc::new(vec![
            (issue.into(), Endpoint::AuthV1Issue),
            (verify.into(), Endpoint::AuthV1Verify),
        ]);
        self
    }

    /// How to find the client address that rate limits count against. The default reads
    /// axum's `ConnectInfo<SocketAddr>` (serve with `into_make_service_with_connect_info`)
    /// or a bare [`SocketAddr`] from the request extensions (put there by a hyper server
    /// loop). Behind a proxy, take the address your proxy appends to `X-Forwarded-For` —
    /// never the first entry, which the client chooses. Requests for which this returns
    /// `None` are not rate limited (a warning is logged once).
    pub fn client_ip(
        mut self,
        f: impl Fn(&Parts) -> Option<IpAddr> + Send + Sync + 'static,
    ) -> Self {
        self.client_ip = Arc::new(f);
        self
    }

    fn route(&self, path: &str) -> Option<Endpoint> {
        self.routes.iter().find(|(p, _)| p == path).map(|(_, e)| *e)
    }
}

fn default_client_ip(parts: &Parts) -> Option<IpAddr> {
    #[cfg(feature = "axum")]
    if let Some(info) = parts
        .extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
    {
        return Some(info.0.ip());
    }
    parts.extensions.get::<SocketAddr>().map(SocketAddr::ip)
}

/// Says once per process that rate limits cannot work without a client address.
fn warn_no_client_address() {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        tracing::warn!(
            "tower-captcha: a captcha request carries no client address, so per-client rate \
             limits are off for it. Serve axum with `into_make_service_with_connect_info::<SocketAddr>()`, \
             insert the peer `SocketAddr` into request extensions, or set `CaptchaLayer::client_ip`."
        );
    }
}

impl fmt::Debug for CaptchaLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaptchaLayer")
            .field("routes", &self.routes)
            .finish_non_exhaustive()
    }
}

impl<S> Layer<S> for CaptchaLayer {
    type Service = CaptchaService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CaptchaService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service made by [`CaptchaLayer`].
#[derive(Clone)]
pub struct CaptchaService<S> {
    inner: S,
    layer: CaptchaLayer,
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

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let Some(endpoint) = self.layer.route(req.uri().path()) else {
            req.extensions_mut().insert(self.layer.captcha.clone());
            return ResponseFuture::inner(self.inner.call(req));
        };
        if req.method() != endpoint.method() {
            let allow = if endpoint.method() == Method::GET {
                "GET"
            } else {
                "POST"
            };
            return ResponseFuture::own(Box::pin(std::future::ready(auth_v1::method_not_allowed(
                req.headers(),
                allow,
            ))));
        }
        let (parts, body) = req.into_parts();
        let client = (self.layer.client_ip)(&parts);
        if client.is_none() {
            warn_no_client_address();
        }
        let req = Request::from_parts(parts, body);
        let captcha = self.layer.captcha.clone();
        ResponseFuture::own(Box::pin(async move {
            dispatch(endpoint, &captcha, req, client).await
        }))
    }
}

async fn dispatch<B>(
    endpoint: Endpoint,
    captcha: &Captcha,
    req: Request<B>,
    client: Option<IpAddr>,
) -> Response<Bytes>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match endpoint {
        Endpoint::AuthV1Issue => auth_v1::issue(captcha, req, client).await,
        Endpoint::AuthV1Verify => auth_v1::verify(captcha, req, client).await,
    }
}
