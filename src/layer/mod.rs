//! [`CaptchaLayer`]: answers the mounted protocols' routes and passes every other request
//! on, with the engine handle in its extensions.
//!
//! ```
//! # #[cfg(feature = "axum")]
//! # fn main() -> Result<(), tower_captcha::ConfigError> {
//! use axum::{Router, routing::get};
//! use tower_captcha::{Captcha, CaptchaLayer};
//!
//! let captcha = Captcha::builder().secret([1u8; 32].to_vec()).build()?;
//! let app: Router = Router::new()
//!     .route("/", get(|| async { "home" }))
//!     .layer(CaptchaLayer::new(captcha));
//! # Ok(()) }
//! # #[cfg(not(feature = "axum"))]
//! # fn main() {}
//! ```

mod body;
mod future;
mod service;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::Method;
use tower_layer::Layer;

pub use body::CaptchaBody;
pub use future::ResponseFuture;
pub use service::CaptchaService;

use crate::Captcha;
use crate::client::ClientIdentity;
use crate::error::ConfigError;
use crate::protocol::{Adapter, AuthV1, Protocol, Route};

/// Layer that mounts captcha routes: by default Auth v1 at its default paths; any set of
/// protocols at any paths through [`CaptchaLayer::builder`].
#[derive(Clone)]
pub struct CaptchaLayer {
    captcha: Captcha,
    routes: Arc<[Mounted]>,
    identity: ClientIdentity,
    body_timeout: Duration,
}

/// How long a captcha route waits for a request body by default.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// One route in the table: which protocol answers it.
#[derive(Clone)]
struct Mounted {
    route: Route,
    adapter: Arc<dyn Adapter>,
}

/// What the route table says about a request.
enum Lookup<'a> {
    /// Not a captcha path: the request goes to the inner service.
    Pass,
    /// A mounted route.
    Route(&'a Mounted),
    /// A mounted path, but not with this method: the methods it has.
    WrongMethod(&'a Mounted, String),
}

impl CaptchaLayer {
    /// Mounts Auth v1 at its default paths.
    pub fn new(captcha: Captcha) -> Self {
        Self::builder(captcha)
            .mount(AuthV1::new())
            .build()
            .expect("the default routes are valid")
    }

    /// Starts a layer with no protocol mounted; mount the ones you want.
    ///
    /// ```
    /// use tower_captcha::{Captcha, CaptchaLayer, protocol::AuthV1};
    ///
    /// let captcha = Captcha::builder().secret([1u8; 32].to_vec()).build()?;
    /// let layer = CaptchaLayer::builder(captcha)
    ///     .mount(AuthV1::new())
    ///     .mount(AuthV1::new().paths("/v2/captcha", "/v2/captcha/verify"))
    ///     .build()?;
    /// # Ok::<(), tower_captcha::ConfigError>(())
    /// ```
    pub fn builder(captcha: Captcha) -> CaptchaLayerBuilder {
        CaptchaLayerBuilder {
            captcha,
            protocols: Vec::new(),
            identity: ClientIdentity::default(),
            body_timeout: BODY_TIMEOUT,
        }
    }

    /// [`CaptchaLayerBuilder::client_identity`], for a layer made with
    /// [`new`](Self::new).
    pub fn client_identity(mut self, identity: ClientIdentity) -> Self {
        self.identity = identity;
        self
    }

    /// [`CaptchaLayerBuilder::body_timeout`], for a layer made with [`new`](Self::new).
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    fn lookup(&self, method: &Method, path: &str) -> Lookup<'_> {
        let mut at_path = self.routes.iter().filter(|m| m.route.path == path);
        let Some(first) = at_path.clone().next() else {
            return Lookup::Pass;
        };
        if let Some(hit) = at_path.clone().find(|m| m.route.method == *method) {
            return Lookup::Route(hit);
        }
        let allow = at_path
            .by_ref()
            .map(|m| m.route.method.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        Lookup::WrongMethod(first, allow)
    }
}

/// Builds a [`CaptchaLayer`] from the protocols to mount; start with
/// [`CaptchaLayer::builder`].
#[must_use]
pub struct CaptchaLayerBuilder {
    captcha: Captcha,
    protocols: Vec<Protocol>,
    identity: ClientIdentity,
    body_timeout: Duration,
}

impl CaptchaLayerBuilder {
    /// Mounts a protocol at the paths it was given (its defaults unless changed).
    pub fn mount(mut self, protocol: impl Into<Protocol>) -> Self {
        self.protocols.push(protocol.into());
        self
    }

    /// How to find the client that rate limits and lockouts count against (default: the
    /// peer address, see [`ClientIdentity`]; behind reverse proxies, list them with
    /// [`ClientIdentity::behind_proxies`]). With the peer address or proxies, a captcha
    /// request that has no client address (axum served without connect info) is refused
    /// with the protocol's busy error and an error log naming the fix — unless the engine
    /// has no per-client limit at all; [`ClientIdentity::site_wide`] chooses one shared
    /// budget on purpose.
    pub fn client_identity(mut self, identity: ClientIdentity) -> Self {
        self.identity = identity;
        self
    }

    /// How long a captcha route waits for the whole request body (default 10 s): a client
    /// that trickles its body slower is answered with its protocol's bad-request error.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// Checks the route table: every path starts with `/`, and no two routes claim one
    /// method and path.
    pub fn build(self) -> Result<CaptchaLayer, ConfigError> {
        let mut routes: Vec<Mounted> = Vec::new();
        for Protocol(adapter) in self.protocols {
            if let Some(problem) = adapter.misconfigured() {
                return Err(ConfigError::Protocol {
                    protocol: adapter.name(),
                    problem,
                });
            }
            for route in adapter.routes() {
                if !route.path.starts_with('/') {
                    return Err(ConfigError::Path(route.path));
                }
                if routes
                    .iter()
                    .any(|m| m.route.path == route.path && m.route.method == route.method)
                {
                    return Err(ConfigError::DuplicateRoute {
                        method: route.method.to_string(),
                        path: route.path,
                    });
                }
                routes.push(Mounted {
                    route,
                    adapter: adapter.clone(),
                });
            }
        }
        Ok(CaptchaLayer {
            captcha: self.captcha,
            routes: routes.into(),
            identity: self.identity,
            body_timeout: self.body_timeout,
        })
    }
}

impl fmt::Debug for CaptchaLayerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaptchaLayerBuilder")
            .field("protocols", &self.protocols)
            .finish_non_exhaustive()
    }
}

/// Says, at most once a minute, that a captcha request was refused because it carries no
/// client address, and how to fix that.
fn no_client_address() {
    static SAMPLER: crate::metrics::LogSampler = crate::metrics::LogSampler::new(60_000);
    if let Some(left_out) = SAMPLER.sample_now() {
        tracing::error!(
            refused_since_last_line = left_out,
            "tower-captcha: refused a captcha request that carries no client address: rate \
             limits and the lockout count per client, and without an address every visitor \
             would share one budget. Serve axum with \
             `into_make_service_with_connect_info::<SocketAddr>()` (or put the peer \
             `SocketAddr` in the request extensions), name the client yourself with \
             `CaptchaLayer::client_identity(ClientIdentity::custom(..))`, or choose one \
             site-wide budget on purpose with `ClientIdentity::site_wide()`."
        );
    }
}

impl fmt::Debug for CaptchaLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let routes: Vec<String> = self
            .routes
            .iter()
            .map(|m| format!("{} {}", m.route.method, m.route.path))
            .collect();
        f.debug_struct("CaptchaLayer")
            .field("routes", &routes)
            .finish_non_exhaustive()
    }
}

impl<S> Layer<S> for CaptchaLayer {
    type Service = CaptchaService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CaptchaService::new(inner, self.clone())
    }
}
