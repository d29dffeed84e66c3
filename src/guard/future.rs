//! The response future of [`RequireCaptcha`](super::RequireCaptcha).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Response;

use crate::layer::CaptchaBody;

type Guarded<B, E> = Result<Response<CaptchaBody<B>>, E>;

/// Response future of [`RequireCaptcha`](super::RequireCaptcha).
pub struct ResponseFuture<B, E> {
    inner: Pin<Box<dyn Future<Output = Guarded<B, E>> + Send>>,
}

impl<B, E> ResponseFuture<B, E> {
    pub(super) fn new(inner: Pin<Box<dyn Future<Output = Guarded<B, E>> + Send>>) -> Self {
        Self { inner }
    }
}

impl<B, E> Future for ResponseFuture<B, E> {
    type Output = Guarded<B, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl<B, E> fmt::Debug for ResponseFuture<B, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
