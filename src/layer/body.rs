//! The response body of the layers: our own bytes, or the inner service's body untouched.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;
use pin_project::pin_project;

/// Response body of [`CaptchaService`](crate::layer::CaptchaService) and
/// [`RequireCaptcha`](crate::guard::RequireCaptcha): either a captcha route's JSON, or the
/// inner service's body passed through as it is.
#[pin_project]
#[derive(Debug)]
pub struct CaptchaBody<B> {
    #[pin]
    kind: Kind<B>,
}

#[pin_project(project = KindProj)]
#[derive(Debug)]
enum Kind<B> {
    Own(#[pin] Full<Bytes>),
    Inner(#[pin] B),
}

impl<B> CaptchaBody<B> {
    pub(crate) fn own(bytes: Bytes) -> Self {
        Self {
            kind: Kind::Own(Full::new(bytes)),
        }
    }

    pub(crate) fn inner(body: B) -> Self {
        Self {
            kind: Kind::Inner(body),
        }
    }
}

impl<B> Body for CaptchaBody<B>
where
    B: Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.project().kind.project() {
            KindProj::Own(body) => body
                .poll_frame(cx)
                .map(|frame| frame.map(|f| f.map_err(|never| match never {}))),
            KindProj::Inner(body) => body.poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Own(body) => body.is_end_stream(),
            Kind::Inner(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Own(body) => body.size_hint(),
            Kind::Inner(body) => body.size_hint(),
        }
    }
}
