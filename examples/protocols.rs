//! Every protocol at its default paths, a protected route and siteverify:
//! `cargo run --example protocols`, on <http://127.0.0.1:3000> (`PORT` overrides).
//!
//! - Auth v1: `GET /auth/v1/captcha/data`, `POST /auth/v1/captcha/data/verify`
//! - AnQiCMS: `GET /api/captcha`, `POST /api/captcha/verify`
//! - AJ-Captcha: `POST /captcha/get`, `/captcha/check`, `/captcha/verify`
//! - IDaaS SDK: `GET /api/v2/sdk/captcha`, `POST /api/v2/sdk/captcha/verify`
//! - ALTCHA (proof of work): `GET /altcha/challenge`, `POST /altcha/verify`
//! - siteverify: `POST /siteverify` (its secret from `SITEVERIFY_SECRET`)
//! - `POST /protected`: guarded; send any pass or AJ ticket as `x-captcha-token`
//!
//! For browser tests (ours and anyone's): run with `CAPTCHA_TEST_ANSWERS=1` and it also
//! serves `GET /__answer?token=<challenge id>`, the answer in the frame the client uses:
//! `{"x", "y"}` for a slider, `{"points": [{"x", "y"}, ...]}` in click order for
//! click-word, `{"text"}` for text. That route exists only in builds with the `test-util`
//! feature (which examples get through the crate's dev-dependencies) and only when the
//! variable is set; the example says so loudly. Never run it so in production.

#[path = "support/serve.rs"]
mod serve;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::Query;
use axum::response::{IntoResponse, Json};
use axum::routing::{get, post};
use serde_json::json;
use tower_captcha::protocol::{AjCaptcha, Altcha, AnQiCms, AuthV1, Idaas, Siteverify};
use tower_captcha::{Captcha, CaptchaLayer, VerifiedCaptcha};
use tower_captcha::{ClickWordOptions, Hole, SliderOptions, TextOptions};

/// The app: every protocol, siteverify, the protected route, and (when `answers` is true)
/// the test-only answer route.
pub fn app(captcha: Captcha, siteverify_secret: &str, answers: bool) -> Router {
    let layer = CaptchaLayer::builder(captcha.clone())
        .mount(AuthV1::new())
        .mount(AnQiCms::new())
        .mount(AjCaptcha::new())
        .mount(Idaas::new())
        .mount(Altcha::new())
        .mount(Siteverify::new(siteverify_secret))
        .build()
        .expect("the default paths do not clash");
    let mut app = Router::new()
        .route(
            "/protected",
            post(|pass: VerifiedCaptcha| async move {
                Json(json!({"ok": true, "kind": pass.claims().kind, "scope": pass.scope()}))
            }),
        )
        .route_layer(captcha.require());
    if answers {
        app = app.route(
            "/__answer",
            get(move |q: Query<TokenQuery>| answer(captcha.clone(), q)),
        );
    }
    app.layer(layer)
}

#[derive(serde::Deserialize)]
struct TokenQuery {
    token: String,
}

/// The answer of a challenge, for test clients only.
async fn answer(captcha: Captcha, Query(q): Query<TokenQuery>) -> impl IntoResponse {
    if let Some(Hole { at: p, .. }) = captcha.answer_of::<SliderOptions>(&q.token) {
        return Json(json!({"x": p.x, "y": p.y}));
    }
    if let Some(words) = captcha.answer_of::<ClickWordOptions>(&q.token) {
        let points: Vec<_> = words
            .iter()
            .take(3)
            .map(|(_, p)| json!({"x": p.x, "y": p.y}))
            .collect();
        return Json(json!({ "points": points }));
    }
    match captcha.answer_of::<TextOptions>(&q.token) {
        Some(text) => Json(json!({"text": text})),
        None => Json(json!({"error": "not a challenge of this server"})),
    }
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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let mut builder = Captcha::builder();
    if let Ok(secret) = std::env::var("CAPTCHA_SECRET") {
        builder = builder.secret(secret);
    }
    let captcha = builder.build()?;
    let siteverify_secret = std::env::var("SITEVERIFY_SECRET").unwrap_or_else(|_| {
        let s: String = (0..32)
            .map(|_| char::from(b'a' + rand::random_range(0..26u8)))
            .collect();
        println!("SITEVERIFY_SECRET is not set; siteverify accepts the secret {s}");
        s
    });
    let answers = std::env::var("CAPTCHA_TEST_ANSWERS").is_ok_and(|v| v == "1");
    if answers {
        eprintln!(
            "\n!!! CAPTCHA_TEST_ANSWERS=1: GET /__answer hands out the answer of any challenge.\n\
             !!! This is for automated tests only. Never run this in production.\n"
        );
    }
    let port = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} ({e}); pick another port with PORT=..."))?;
    println!("serving on http://{addr}:");
    println!("  Auth v1     GET  /auth/v1/captcha/data, POST /auth/v1/captcha/data/verify");
    println!("  AnQiCMS     GET  /api/captcha, POST /api/captcha/verify");
    println!("  AJ-Captcha  POST /captcha/get, /captcha/check, /captcha/verify");
    println!("  IDaaS SDK   GET  /api/v2/sdk/captcha, POST /api/v2/sdk/captcha/verify");
    println!("  ALTCHA      GET  /altcha/challenge, POST /altcha/verify (proof of work)");
    println!("  siteverify  POST /siteverify");
    println!("  protected   POST /protected (x-captcha-token: a pass or an AJ ticket)");
    if answers {
        println!("  TEST ONLY   GET  /__answer?token=<challenge id>");
    }
    // Like `axum::serve` with connect info, closing idle and slow connections.
    serve::serve(listener, app(captcha, &siteverify_secret, answers)).await?;
    Ok(())
}
