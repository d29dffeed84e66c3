//! A login page protected by a captcha: `cargo run --example login`, then open
//! <http://127.0.0.1:3000> (port from `PORT`).
//!
//! - `GET /` — the login page: the crate's widget (pick the kind: a proof of work, the
//!   default, or a text, slider or click-word picture), username, password. When the captcha is solved the widget holds a pass;
//!   the page posts the credentials as JSON to `POST /login` with it in `x-captcha-token`.
//! - `GET /reset` — the same for `POST /password-reset`, protected with another scope: a
//!   pass minted for login is refused there.
//!
//! The widget is two tags and one element; the captcha routes (the native protocol, which
//! serves every kind) and the widget's files are mounted by `CaptchaLayer`.
//!
//! Demo credentials: `demo` / `demo`. Set `CAPTCHA_SECRET` (32+ bytes) to keep passes
//! valid across restarts and instances.

#[path = "support/serve.rs"]
mod serve;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tower_captcha::protocol::AuthV1;
use tower_captcha::widget::Widget;
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

/// The whole app: pages, protected routes, the captcha routes and the widget.
pub fn app(captcha: Captcha) -> Router {
    let widget = Widget::new();
    let head = widget.tags();
    let layer = CaptchaLayer::builder(captcha.clone())
        .mount(AuthV1::new())
        .mount(widget)
        .build()
        .expect("the default paths do not clash");
    let (login_page, reset_page) = (page(LOGIN, &head), page(RESET, &head));
    // One guard per route, on the route itself.
    Router::new()
        .route(
            "/login",
            post(login).route_layer(captcha.require_scope("login")),
        )
        .route(
            "/password-reset",
            post(password_reset).route_layer(captcha.require_scope("password_reset")),
        )
        .route("/", get(move || async move { Html(login_page) }))
        .route("/reset", get(move || async move { Html(reset_page) }))
        .layer(layer)
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
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| {
            format!(
                "cannot listen on 127.0.0.1:{port} ({e}); pick another port, e.g. PORT=3001 cargo run --example login"
            )
        })?;
    let at = listener.local_addr()?;
    println!("login example on http://{at}/ (demo / demo):");
    println!(
        "  GET  /        sign in (pick the kind of captcha: proof of work, slider, click_word, text)"
    );
    println!("  GET  /reset   password reset, a pass of another scope");
    println!(
        "  captcha routes: the native one (/auth/v1/captcha/data?kind=..., /verify, /kinds), widget (/captcha-widget/)"
    );
    // Like `axum::serve` with connect info, closing idle and slow connections.
    serve::serve(listener, app(captcha)).await?;
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

fn page(p: Page, head: &str) -> String {
    TEMPLATE
        .replace("{head}", head)
        .replace("{title}", p.title)
        .replace("{scope}", p.scope)
        .replace("{action}", p.action)
        .replace("{fields}", p.fields)
        .replace("{other}", p.other)
}

const TEMPLATE: &str = r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · tower-captcha</title>
{head}
<style>
  :root { color-scheme: light dark; }
  body { font: 16px/1.4 system-ui, sans-serif; background: #f3f4f6; color: #111827; display: grid; place-items: center; min-height: 100vh; margin: 0; }
  form { background: #fff; padding: 1.5rem; border-radius: 12px; box-shadow: 0 2px 12px #0002; width: min(22rem, 94vw); display: grid; gap: .8rem; box-sizing: border-box; }
  h1 { margin: 0 0 .3rem; font-size: 1.4rem; }
  label { display: grid; gap: .25rem; font-size: .9rem; }
  input, select { font: inherit; padding: .5rem; border: 1px solid #d1d5db; border-radius: 6px; background: inherit; color: inherit; }
  button[type=submit] { font: inherit; padding: .6rem; border: 0; border-radius: 6px; background: #2563eb; color: #fff; cursor: pointer; }
  #message { min-height: 1.4em; margin: 0; }
  .ok { color: #047857; } .err { color: #b91c1c; }
  @media (prefers-color-scheme: dark) {
    body { background: #030712; color: #e5e7eb; } form { background: #1f2937; }
    input, select { border-color: #4b5563; } .ok { color: #34d399; } .err { color: #f87171; }
  }
</style>
</head>
<body>
<form id="form" novalidate>
  <h1>{title}</h1>
  {fields}
  <label>Kind of captcha
    <select id="kind">
      <option value="pow">Proof of work (a checkbox)</option>
      <option value="slider">Slider</option>
      <option value="click_word">Click the characters</option>
      <option value="text">Type the characters</option>
    </select>
  </label>
  <div id="captcha" data-captcha="pow" data-scope="{scope}" data-trail="on"></div>
  <button type="submit" id="submit">{title}</button>
  <p id="message" role="status"></p>
  {other}
</form>
<script>
const $ = (id) => document.getElementById(id);
function say(text, ok) { $("message").textContent = text; $("message").className = ok ? "ok" : "err"; }

// Pick another kind: a fresh widget of that kind.
$("kind").addEventListener("change", () => {
  const old = $("captcha");
  const fresh = document.createElement("div");
  fresh.id = "captcha";
  fresh.dataset.scope = old.dataset.scope;
  fresh.dataset.trail = "on";
  old.replaceWith(fresh);
  TowerCaptcha.render(fresh, { kind: $("kind").value });
});

$("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  // The pass, or (a text widget with data-submit="form") the typed characters verified now.
  if (!(await TowerCaptcha.solve())) { say("Please complete the captcha first.", false); return; }
  const data = Object.fromEntries(new FormData($("form")));
  delete data.captcha_token;
  // The widget adds the pass as x-captcha-token, forgets it (a pass is single use) and,
  // once the answer is in, shows a new challenge for the next attempt.
  const res = await TowerCaptcha.fetch("{action}", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(data),
  });
  const body = await res.json();
  say(body.message || body.error_description, res.ok);
});
</script>
</body>
</html>
"##;
