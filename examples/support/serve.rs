//! Serving an axum app the way a server facing the internet should, shared by the examples
//! (copy it into your app): what `axum::serve` does with connect info, plus the time limits
//! it cannot set, so that idle and slow connections are closed.
//!
//! - A connection that sends nothing for 10 s is closed (hyper's header-read timeout only
//!   starts at the first byte).
//! - A client gets 10 s to send each request head (hyper's header-read timeout); the captcha
//!   routes give bodies another 10 s (`CaptchaLayer::body_timeout`).
//! - A connection lives at most 60 s: then it is shut down gracefully (the request in flight
//!   finishes, an idle keep-alive closes), and the client simply reconnects.

use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tower::ServiceExt as _;

/// How long a new connection may stay silent, and a request head take.
pub(crate) const FIRST_BYTE: Duration = Duration::from_secs(10);
/// How long one connection may live.
pub(crate) const CONNECTION: Duration = Duration::from_secs(60);

/// Serves `app` on `listener`, for ever.
pub(crate) async fn serve(listener: tokio::net::TcpListener, app: Router) -> std::io::Result<()> {
    loop {
        // An accept that fails (out of file descriptors, a connection reset before it was
        // taken) is not the end of the server: wait a moment and go on, as axum::serve does.
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("accept failed: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        // The peer address, where the rate limits read it (what connect info does).
        let svc =
            app.clone()
                .map_request(move |mut req: axum::http::Request<hyper::body::Incoming>| {
                    req.extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    req
                });
        tokio::spawn(async move {
            // Wait for a first byte (peek leaves it for hyper); silent or gone: closed.
            let mut first = [0u8; 1];
            match tokio::time::timeout(FIRST_BYTE, stream.peek(&mut first)).await {
                Ok(Ok(n)) if n > 0 => {}
                _ => return,
            }
            let mut builder = auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(FIRST_BYTE);
            let conn =
                builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(svc));
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                () = tokio::time::sleep(CONNECTION) => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
}
