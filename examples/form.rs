//! A classic HTML form, no JavaScript: `cargo run --example form`, then open
//! <http://127.0.0.1:3000> (`PORT` overrides).
//!
//! The page is drawn on the server with a fresh text captcha in it: the picture as a data
//! URL and the challenge id in a hidden field. The form posts the typed characters along
//! with the username and password; the handler verifies them with the engine directly
//! (`Captcha::verify`), before looking at the credentials. Demo credentials: `demo` /
//! `demo`.

#[path = "support/serve.rs"]
pub(crate) mod serve;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, Form, State};
use axum::response::Html;
use axum::routing::get;
use serde::Deserialize;
use tower_captcha::{Captcha, Kind, VerifyError};

#[derive(Deserialize)]
struct Login {
    username: String,
    password: String,
    /// The challenge id, from the hidden field.
    captcha_id: String,
    /// What the person typed.
    captcha: String,
}

/// The sign-in page with a fresh captcha, and `message` above the form.
async fn page(captcha: &Captcha, client: SocketAddr, message: &str) -> Html<String> {
    let (image, id) = match captcha
        .issue(Kind::TEXT)
        .scope("login")
        .client(client.ip())
        .await
    {
        Ok(c) => {
            use base64::Engine as _;
            let png = base64::engine::general_purpose::STANDARD.encode(c.puzzle.image());
            (format!("data:image/png;base64,{png}"), c.id)
        }
        Err(e) => return Html(format!("<p>The captcha is unavailable: {e}</p>")),
    };
    Html(
        TEMPLATE
            .replace("{message}", message)
            .replace("{image}", &image)
            .replace("{id}", &id),
    )
}

async fn show(
    State(captcha): State<Captcha>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
) -> Html<String> {
    page(&captcha, client, "").await
}

async fn sign_in(
    State(captcha): State<Captcha>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Form(form): Form<Login>,
) -> Html<String> {
    // The captcha first: a wrong, expired or used one never reaches the credentials.
    let message = match captcha
        .verify(&form.captcha_id, form.captcha.as_str())
        .client(client.ip())
        .await
    {
        Ok(_pass) if form.username == "demo" && form.password == "demo" => {
            return Html("<p>Welcome, demo!</p>".into());
        }
        Ok(_pass) => "Wrong username or password.",
        Err(VerifyError::Wrong { .. }) => "The characters did not match; here is a new picture.",
        Err(VerifyError::Expired) => "That picture expired; here is a new one.",
        Err(VerifyError::RateLimited { .. }) => "Too many tries; wait a moment.",
        Err(_) => "Please try the new picture.",
    };
    page(&captcha, client, message).await
}

/// The app: the form page and its handler, sharing the engine as state.
pub fn app(captcha: Captcha) -> Router {
    Router::new()
        .route("/", get(show).post(sign_in))
        .with_state(captcha)
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
    let captcha = Captcha::builder().build()?;
    let port = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        format!("cannot listen on {addr} ({e}); pick another port, e.g. PORT=3001 cargo run --example form")
    })?;
    println!("form example: a sign-in form without JavaScript on http://{addr}/ (demo / demo)");
    // Like `axum::serve` with connect info, closing idle and slow connections.
    serve::serve(listener, app(captcha)).await?;
    Ok(())
}

const TEMPLATE: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · tower-captcha</title>
<style>
  body { font: 16px/1.4 system-ui, sans-serif; display: grid; place-items: center; min-height: 100vh; margin: 0; }
  form { display: grid; gap: .7rem; width: min(20rem, 94vw); }
  label { display: grid; gap: .2rem; }
  input { font: inherit; padding: .45rem; }
  p.message { color: #b91c1c; min-height: 1.4em; margin: 0; }
</style></head>
<body>
<form method="post" action="/">
  <h1>Sign in</h1>
  <p class="message" role="status">{message}</p>
  <label>Username <input name="username" autocomplete="username" value="demo"></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" value="demo"></label>
  <img src="{image}" width="160" height="60" alt="captcha: type the characters you see">
  <input type="hidden" name="captcha_id" value="{id}">
  <label>Characters in the picture <input name="captcha" autocomplete="off" autocapitalize="characters" maxlength="6" required></label>
  <button type="submit">Sign in</button>
</form>
</body>
</html>
"#;
