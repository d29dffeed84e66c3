//! The same protection in a plain hyper service, no axum: `cargo run --example hyper`
//! (port from `PORT`, default 3000).
//!
//! The captcha routes are mounted by `CaptchaLayer`; `POST /login` is wrapped in the guard;
//! everything else is answered by a `service_fn`. Try:
//!
//! ```text
//! curl -s 127.0.0.1:3000/auth/v1/captcha/data
//! curl -s 127.0.0.1:3000/auth/v1/captcha/data/verify -d '{"token":"...","key":"..."}' -H 'content-type: application/json'
//! curl -s -X POST 127.0.0.1:3000/login -H 'x-captcha-token: ...'
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tower::{Layer, ServiceBuilder, ServiceExt, service_fn};
use tower_captcha::{Captcha, CaptchaLayer, VerifiedCaptcha};

type Body = BoxBody<Bytes, Infallible>;

fn text(status: StatusCode, s: &str) -> Response<Body> {
    let mut res = Response::new(Full::new(Bytes::from(s.to_owned())).boxed());
    *res.status_mut() = status;
    res
}

/// The protected handler: the guard has already redeemed the pass.
async fn login(req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let pass = req.extensions().get::<VerifiedCaptcha>().cloned();
    Ok(text(
        StatusCode::OK,
        &format!(
            "logged in; captcha scope {:?}\n",
            pass.and_then(|p| p.scope().map(str::to_owned))
        ),
    ))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Errors in plain words (their `Display`), not their `Debug`.
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    // Without CAPTCHA_SECRET the engine uses a random per-process key (and says so).
    let mut builder = Captcha::builder();
    if let Ok(secret) = std::env::var("CAPTCHA_SECRET") {
        builder = builder.secret(secret);
    }
    let captcha = builder.build()?;
    let protected_login = captcha.require_scope("login").layer(service_fn(login));
    let router = service_fn(move |req: Request<Incoming>| {
        let protected_login = protected_login.clone();
        async move {
            if req.uri().path() == "/login" && req.method() == http::Method::POST {
                let res = protected_login.oneshot(req).await?;
                return Ok::<_, Infallible>(res.map(|b| b.boxed()));
            }
            Ok(text(StatusCode::NOT_FOUND, "not found\n"))
        }
    });
    let app = CaptchaLayer::new(captcha).layer(router);

    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| {
            format!(
                "cannot listen on 127.0.0.1:{port} ({e}); pick another port, e.g. PORT=3001 cargo run --example hyper"
            )
        })?;
    println!(
        "hyper example on http://{}: GET /auth/v1/captcha/data, POST /auth/v1/captcha/data/verify, POST /login (x-captcha-token)",
        listener.local_addr()?
    );
    loop {
        let (stream, peer) = listener.accept().await?;
        // The peer address goes into the request extensions, where the rate limiter reads it.
        let svc = ServiceBuilder::new()
            .map_request(move |mut req: Request<Incoming>| {
                req.extensions_mut().insert::<SocketAddr>(peer);
                req
            })
            .service(app.clone());
        tokio::spawn(async move {
            // A connection that stays silent for 10 s is closed (hyper's header-read timeout
            // only starts at the first byte).
            let mut first = [0u8; 1];
            match tokio::time::timeout(Duration::from_secs(10), stream.peek(&mut first)).await {
                Ok(Ok(n)) if n > 0 => {}
                _ => return,
            }
            let mut builder = auto::Builder::new(TokioExecutor::new());
            // A client gets 10 s to send each request head; the captcha routes give bodies
            // another 10 s (`CaptchaLayer::body_timeout`).
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10));
            let conn =
                builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(svc));
            let mut conn = std::pin::pin!(conn);
            // A connection lives at most 60 s: then it is shut down gracefully (the request
            // in flight finishes, an idle keep-alive closes).
            let served = tokio::select! {
                served = conn.as_mut() => served,
                () = tokio::time::sleep(Duration::from_secs(60)) => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = served {
                eprintln!("connection error: {e}");
            }
        });
    }
}
