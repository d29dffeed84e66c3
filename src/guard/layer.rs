//! [`RequireCaptchaLayer`], made by [`Captcha::require`] and [`Captcha::require_scope`].

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderName, Response};
use tower_layer::Layer;

use super::RequireCaptcha;
use crate::Captcha;
use crate::error::RedeemError;

pub(super) type RejectFn = dyn Fn(&RedeemError) -> Response<Bytes> + Send + Sync;

/// Layer that lets a request through only with a valid, unspent credential; see
/// [`Captcha::require`] and [`Captcha::require_scope`].
#[derive(Clone)]
pub struct RequireCaptchaLayer {
    pub(super) captcha: Captcha,
    pub(super) scope: Option<Arc<str>>,
    pub(super) header: HeaderName,
    pub(super) on_rejection: Option<Arc<RejectFn>>,
    /// Whether requests without a credential pass while their client has few failures.
    pub(super) after_failures: bool,
}

impl RequireCaptchaLayer {
    pub(super) fn new(captcha: Captcha, scope: Option<Arc<str>>) -> Self {
        Self {
            captcha,
            scope,
            header: HeaderName::from_static(super::HEADER),
            on_rejection: None,
            after_failures: false,
        }
    }

    /// Lets a request without a credential through (without
    /// [`VerifiedCaptcha`](crate::VerifiedCaptcha): take it as `Option<VerifiedCaptcha>`)
    /// while its client has fewer failures than
    /// [`pass_after_failures`](crate::CaptchaBuilder::pass_after_failures) allows; from then
    /// on it answers `captcha_required` 4010 with the `scope` to solve one for, and takes a
    /// pass of a picture only (a proof of work, which anyone may ask for by name, is spent
    /// and refused: the managed challenge gives such a client a picture). Report
    /// failures with [`Captcha::record_failure`] (and successes with
    /// [`Captcha::record_success`]). A request that carries a credential is judged as ever.
    /// Where the account name is known only in the handler, use
    /// [`Captcha::pass_required`] there (or the `CaptchaGate` extractor, feature `axum`).
    pub fn only_after_failures(mut self) -> Self {
        self.after_failures = true;
        self
    }

    /// Reads the credential from header `name` instead of `x-captcha-token` (the bare
    /// extractor, without this guard in front, always reads `x-captcha-token`).
    pub fn header(mut self, name: HeaderName) -> Self {
        self.header = name;
        self
    }

    /// Answers rejected requests with `f`'s response instead of the default JSON. The
    /// rejection reason is also put into the response's extensions as
    /// [`Rejected`](super::Rejected).
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
            .field("header", &self.header)
            .field("custom_rejection", &self.on_rejection.is_some())
            .field("after_failures", &self.after_failures)
            .finish_non_exhaustive()
    }
}

impl<S> Layer<S> for RequireCaptchaLayer {
    type Service = RequireCaptcha<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireCaptcha::new(inner, self.clone())
    }
}
