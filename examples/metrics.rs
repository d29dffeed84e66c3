//! The crate's metrics in Prometheus' format: `cargo run --example metrics`, then solve a
//! captcha on <http://127.0.0.1:3000> (`PORT` overrides) and read
//! <http://127.0.0.1:3000/metrics>.
//!
//! The crate records through the `metrics` facade (see `tower_captcha::metrics` for every
//! name and label); any recorder works. Here `metrics-exporter-prometheus` renders them on
//! a route of the app itself, with no listener of its own.

#[path = "support/serve.rs"]
mod serve;

use axum::Router;
use axum::routing::{get, post};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tower_captcha::{Captcha, CaptchaLayer, VerifiedCaptcha};

/// The app: the captcha routes (Auth v1), a guarded `POST /login`, and `GET /metrics`.
pub fn app(captcha: Captcha, metrics: PrometheusHandle) -> Router {
    Router::new()
        .route(
            "/login",
            post(|_: VerifiedCaptcha| async { "welcome" })
                .route_layer(captcha.require_scope("login")),
        )
        .route(
            "/metrics",
            get(move || std::future::ready(metrics.render())),
        )
        .layer(CaptchaLayer::new(captcha))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().init();
    let metrics = PrometheusBuilder::new().install_recorder()?;
    let mut builder = Captcha::builder();
    if let Ok(secret) = std::env::var("CAPTCHA_SECRET") {
        builder = builder.secret(secret);
    }
    let captcha = builder.build()?;
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| {
            format!(
                "cannot listen on 127.0.0.1:{port} ({e}); pick another port, e.g. PORT=3001 cargo run --example metrics"
            )
        })?;
    println!(
        "metrics example on http://{}: GET /auth/v1/captcha/data, POST /auth/v1/captcha/data/verify, POST /login, GET /metrics",
        listener.local_addr()?
    );
    // Like `axum::serve` with connect info, closing idle and slow connections.
    serve::serve(listener, app(captcha, metrics)).await?;
    Ok(())
}
