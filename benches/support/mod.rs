//! Shared by the benchmarks.
#![allow(dead_code)]

pub(crate) mod conn;

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use tower_captcha::{Captcha, Store};

/// Drives a future to completion on this thread (the memory store's futures are ready at
/// once, so no runtime cost is measured).
pub(crate) fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

/// An engine over `store`, rate limits off.
pub(crate) fn engine(store: Arc<dyn Store>) -> Captcha {
    Captcha::builder()
        .secret([7u8; 32].to_vec())
        .shared_store(store)
        .issue_rate_limit(None)
        .verify_rate_limit(None)
        .build()
        .unwrap()
}
