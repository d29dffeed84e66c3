//! The response future of [`CaptchaService`](super::CaptchaService).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::Response;
use pin_project::pin_project;

use super::CaptchaBody;

type OwnFuture = Pin<Box<dyn Future<Output = Response<Bytes>> + Send>>;

/// Response future of [`CaptchaService`](super::CaptchaService): a captcha route's answer,
/// or the inner service's response.
#[pin_project]
pub struct ResponseFuture<F> {
    #[pin]
    state: State<F>,
}

#[pin_project(project = StateProj)]
enum State<F> {
    Own(OwnFuture),
    Inner(#[pin] F),
}

impl<F> ResponseFuture<F> {
    pub(crate) fn own(fut: OwnFuture) -> Self {
        Self {
            state: State::Own(fut),
        }
    }

    pub(crate) fn inner(fut: F) -> Self {
        Self {
            state: State::Inner(fut),
        }
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<CaptchaBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Own(fut) => {
                let res = ready!(fut.as_mut().poll(cx));
                Poll::Ready(Ok(res.map(CaptchaBody::own)))
            }
            StateProj::Inner(fut) => {
                let res = ready!(fut.poll(cx))?;
                Poll::Ready(Ok(res.map(CaptchaBody::inner)))
            }
        }
    }
}
