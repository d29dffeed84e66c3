//! Several instances sharing one Redis:
//! `cargo run --example multi_instance --features redis`.
//!
//! Serves the Auth v1 routes and a protected `POST /protected` on `PORT` (default 3000),
//! keeping state in `REDIS_URL` (default `redis://127.0.0.1:6379`). Start two copies on two
//! ports with the same `CAPTCHA_SECRET`: a challenge issued by one verifies on the other,
//! and a pass is accepted once across both.
//!
//! ```text
//! PORT=3001 cargo run --example multi_instance --features redis &
//! PORT=3002 cargo run --example multi_instance --features redis &
//! curl -s 127.0.0.1:3001/auth/v1/captcha/data            # issue on one...
//! curl -s 127.0.0.1:3002/auth/v1/captcha/data/verify \
//!      -H 'content-type: application/json' -d '{"token":"…","key":"…"}'   # ...verify on the other
//! curl -s -X POST 127.0.0.1:3001/protected -H 'x-captcha-token: …'
//! ```

use std::net::SocketAddr;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::{get, post};
use tower_captcha::store::RedisStore;
use tower_captcha::{Captcha, CaptchaLayer, VerifiedCaptcha};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let store = RedisStore::connect(&url)
        .await
        .map_err(|e| format!("cannot reach Redis at {url}: {e}"))?;
    // Every instance must sign with the same key to accept the others' passes.
    let secret = std::env::var("CAPTCHA_SECRET")
        .unwrap_or_else(|_| "demo secret shared by every instance (set CAPTCHA_SECRET)".into());
    let captcha = Captcha::builder().secret(secret).store(store).build()?;

    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let app = Router::new()
        .route(
            "/protected",
            post(|pass: VerifiedCaptcha| async move {
                format!("accepted pass {}\n", pass.claims().jti)
            }),
        )
        .route_layer(captcha.require())
        .route(
            "/",
            get(move || async move { format!("instance on port {port}\n") }),
        )
        .layer(CaptchaLayer::new(captcha).client_ip(|parts| {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip())
        }));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!(
        "multi_instance on http://{} using {url}",
        listener.local_addr()?
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}
