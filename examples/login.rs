//! A login page protected by a captcha: `cargo run --example login`, then open
//! <http://127.0.0.1:3000> (port from `PORT`).
//!
//! - `GET /` — the login page: captcha picture with a refresh control, username, password.
//!   The page verifies the answer (`POST /auth/v1/captcha/data/verify`), then posts the
//!   credentials as JSON to `POST /login` with the pass token in `x-captcha-token`.
//! - `GET /reset` — the same for `POST /password-reset`, protected with another scope: a
//!   pass minted for login is refused there.
//!
//! Demo credentials: `demo` / `demo`. Set `CAPTCHA_SECRET` (32+ bytes) to keep passes
//! valid across restarts and instances.

use std::net::SocketAddr;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tower_captcha::{Captcha, CaptchaLayer, VerifiedCaptcha};

#[derive(Deserialize)]
struct Login {
    username: String,
    password: String,
}

#[derive(Deserialize)]
struct Reset {
    email: String,
}

async fn login(pass: VerifiedCaptcha, Json(form): Json<Login>) -> impl IntoResponse {
    tracing::info!(scope = ?pass.scope(), "login attempt with a verified captcha");
    if form.username == "demo" && form.password == "demo" {
        (
            StatusCode::OK,
            Json(json!({"ok": true, "message": format!("Welcome, {}!", form.username)})),
        )
    } else {
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({"ok": false, "message": "Wrong username or password."})),
        )
    }
}

async fn password_reset(_pass: VerifiedCaptcha, Json(form): Json<Reset>) -> impl IntoResponse {
    Json(
        json!({"ok": true, "message": format!("If {} has an account, a reset link is on its way.", form.email)}),
    )
}

/// The whole app: pages, protected routes, and the captcha routes.
pub fn app(captcha: Captcha) -> Router {
    Router::new()
        .route("/login", post(login))
        .route_layer(captcha.require_scope("login"))
        .merge(
            Router::new()
                .route("/password-reset", post(password_reset))
                .route_layer(captcha.require_scope("password_reset")),
        )
        .route("/", get(|| async { Html(page(LOGIN)) }))
        .route("/reset", get(|| async { Html(page(RESET)) }))
        .layer(CaptchaLayer::new(captcha))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
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
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("login example on http://{}", listener.local_addr()?);
    axum::serve(
        listener,
        app(captcha).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}

struct Page {
    title: &'static str,
    scope: &'static str,
    action: &'static str,
    fields: &'static str,
    other: &'static str,
}

const LOGIN: Page = Page {
    title: "Sign in",
    scope: "login",
    action: "/login",
    fields: r#"<label>Username <input name="username" autocomplete="username" value="demo"></label>
<label>Password <input name="password" type="password" autocomplete="current-password" value="demo"></label>"#,
    other: r#"<a href="/reset">Forgot your password?</a>"#,
};

const RESET: Page = Page {
    title: "Reset password",
    scope: "password_reset",
    action: "/password-reset",
    fields: r#"<label>Email <input name="email" type="email" autocomplete="email" value="demo@example.com"></label>"#,
    other: r#"<a href="/">Back to sign in</a>"#,
};

fn page(p: Page) -> String {
    TEMPLATE
        .replace("{title}", p.title)
        .replace("{scope}", p.scope)
        .replace("{action}", p.action)
        .replace("{fields}", p.fields)
        .replace("{other}", p.other)
}

const TEMPLATE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · tower-captcha</title>
<style>
  body { font: 16px/1.4 system-ui, sans-serif; background: #f3f4f6; display: grid; place-items: center; min-height: 100vh; margin: 0; }
  form { background: #fff; padding: 2rem; border-radius: 12px; box-shadow: 0 2px 12px #0002; width: 20rem; display: grid; gap: .8rem; }
  h1 { margin: 0 0 .5rem; font-size: 1.4rem; }
  label { display: grid; gap: .25rem; font-size: .9rem; color: #374151; }
  input { font: inherit; padding: .5rem; border: 1px solid #d1d5db; border-radius: 6px; }
  .captcha { display: flex; gap: .5rem; align-items: center; }
  .captcha img { width: 160px; height: 60px; border-radius: 6px; border: 1px solid #d1d5db; }
  button { font: inherit; padding: .6rem; border: 0; border-radius: 6px; background: #2563eb; color: #fff; cursor: pointer; }
  button.refresh { background: #e5e7eb; color: #111; padding: .4rem .6rem; }
  #message { min-height: 1.4em; margin: 0; }
  .ok { color: #047857; } .err { color: #b91c1c; }
</style>
</head>
<body>
<form id="form" novalidate>
  <h1>{title}</h1>
  {fields}
  <div class="captcha">
    <img id="captcha-image" alt="captcha: type the characters you see">
    <button type="button" class="refresh" id="refresh" title="Show another picture" aria-label="Show another picture">&#x21bb;</button>
  </div>
  <label>Characters in the picture <input id="captcha-key" name="captcha" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="6"></label>
  <button type="submit" id="submit">{title}</button>
  <p id="message" role="status"></p>
  {other}
</form>
<script>
const scope = "{scope}";
let token = null;
const $ = (id) => document.getElementById(id);
function say(text, ok) { $("message").textContent = text; $("message").className = ok ? "ok" : "err"; }

async function refresh() {
  const res = await fetch("/auth/v1/captcha/data?scope=" + scope);
  const body = await res.json();
  if (!res.ok) { say(body.error_description, false); return; }
  token = body.token;
  $("captcha-image").src = body.image;
  $("captcha-key").value = "";
}

$("refresh").addEventListener("click", refresh);
$("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  // 1. Trade the typed characters for a single-use pass token.
  const verify = await fetch("/auth/v1/captcha/data/verify", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token, key: $("captcha-key").value }),
  });
  const pass = await verify.json();
  if (!verify.ok) {
    if (pass.error === "invalid_captcha" && pass.attempts_left > 0) {
      say("Those characters don't match, try again (" + pass.attempts_left + " attempts left).", false);
      $("captcha-key").value = "";
    } else {
      say(pass.error_description, false);
      await refresh();
    }
    return;
  }
  // 2. Call the protected route with the pass in x-captcha-token.
  const data = Object.fromEntries(new FormData($("form")));
  delete data.captcha;
  const res = await fetch("{action}", {
    method: "POST",
    headers: { "content-type": "application/json", "x-captcha-token": pass.captcha_token },
    body: JSON.stringify(data),
  });
  const body = await res.json();
  say(body.message || body.error_description, res.ok);
  await refresh();
});
refresh();
</script>
</body>
</html>
"#;
