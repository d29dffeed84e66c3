//! Several instances sharing one Redis or one Redis Cluster:
//! `cargo run --example multi_instance --features redis`.
//!
//! Serves the Auth v1 routes and a protected `POST /protected` on `PORT` (default 3000),
//! keeping state in `REDIS_URL` (default `redis://127.0.0.1:6379`) — or, when
//! `REDIS_CLUSTER` lists node URLs (`redis://10.0.0.1:7000,redis://10.0.0.2:7000`), in that
//! Redis Cluster — and signing with `CAPTCHA_SECRET`. Start two copies on two ports: a challenge issued by one verifies on
//! the other, and a pass is accepted once across both. (Without `CAPTCHA_SECRET`, for this
//! demo only, the copies agree on a random key kept in Redis; in production load the key
//! from your secret store.)
//!
//! ```text
//! PORT=3001 cargo run --example multi_instance --features redis &
//! PORT=3002 cargo run --example multi_instance --features redis &
//! curl -s 127.0.0.1:3001/auth/v1/captcha/data            # issue on one...
//! curl -s 127.0.0.1:3002/auth/v1/captcha/data/verify \
//!      -H 'content-type: application/json' -d '{"token":"…","key":"…"}'   # ...verify on the other
//! curl -s -X POST 127.0.0.1:3001/protected -H 'x-captcha-token: …'
//! ```

#[path = "support/serve.rs"]
mod serve;

use axum::Router;
use axum::routing::{get, post};
use tower_captcha::store::RedisStore;
use tower_captcha::{Captcha, CaptchaLayer, VerifiedCaptcha};

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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cluster = std::env::var("REDIS_CLUSTER").ok();
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let (store, place) = match &cluster {
        Some(nodes) => {
            let nodes: Vec<&str> = nodes.split(',').map(str::trim).collect();
            let place = format!("the cluster at {}", without_password(nodes[0]));
            let store = RedisStore::connect_cluster(nodes)
                .await
                .map_err(|e| format!("cannot reach {place}: {e}"))?;
            (store, place)
        }
        None => {
            let store = RedisStore::connect(&url)
                .await
                .map_err(|e| format!("cannot reach Redis at {}: {e}", without_password(&url)))?;
            (store, without_password(&url))
        }
    };
    // Every instance must sign with the same key to accept the others' passes.
    let secret = match (std::env::var("CAPTCHA_SECRET"), &cluster) {
        (Ok(secret), _) => secret.into_bytes(),
        (Err(_), None) => demo_key(&url).await?,
        (Err(_), Some(_)) => {
            return Err("set CAPTCHA_SECRET (the same on every instance), e.g. export CAPTCHA_SECRET=$(openssl rand -base64 32)".into());
        }
    };
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
        .layer(CaptchaLayer::new(captcha));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| {
            format!(
                "cannot listen on 127.0.0.1:{port} ({e}); pick another port, e.g. PORT=3002 cargo run --example multi_instance --features redis"
            )
        })?;
    println!(
        "multi_instance on http://{} using {place}",
        listener.local_addr()?
    );
    // Like `axum::serve` with connect info, closing idle and slow connections.
    serve::serve(listener, app).await?;
    Ok(())
}

/// Demo only: a random signing key shared through Redis (first instance to start sets it).
async fn demo_key(url: &str) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    use rand::RngCore;
    use tower_captcha::redis::AsyncCommands;

    let mut conn = tower_captcha::redis::Client::open(url)?
        .get_multiplexed_async_connection()
        .await?;
    let mut fresh = vec![0u8; 32];
    rand::rng().fill_bytes(&mut fresh);
    let _: bool = conn
        .set_nx("tower-captcha:demo-signing-key", &fresh)
        .await?;
    let key: Vec<u8> = conn.get("tower-captcha:demo-signing-key").await?;
    tracing::warn!("CAPTCHA_SECRET not set: using a demo key kept in Redis (not for production)");
    Ok(key)
}

/// `redis://user:secret@host` → `redis://***@host`: never print credentials.
fn without_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}
