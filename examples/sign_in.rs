//! Sign-in and password reset as people actually run them: no puzzle for a calm visitor, a
//! captcha only after failures. `cargo run --example sign_in`, then open
//! <http://127.0.0.1:3000> (port from `PORT`). Demo account: `demo` / `demo`.
//!
//! - `POST /login` reports each outcome for the client and the account name
//!   ([`CaptchaGate`]): three failures within 15 minutes (either of the client or of the
//!   account) and the next attempt needs a pass; a success clears both counts.
//! - `POST /password-reset` counts every request against the client and the address asked
//!   for (a reset mail is an attempt too), so mail bombing one address needs a pass after
//!   three.
//! - The page's widget waits hidden (`data-when="required"`) until an answer says
//!   `captcha_required`; it then appears as the managed kind: the server picks the challenge
//!   (a picture, for a client that failed) and the person signs in again.
//! - `GET /invisible` is the other shape: a proof of work that starts by itself when the
//!   page shows and is ready before the person submits (`data-mode="invisible"`), for forms
//!   where every request costs a little work.

#[path = "support/serve.rs"]
mod serve;

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use tower_captcha::widget::Widget;
use tower_captcha::{Captcha, CaptchaGate, CaptchaLayer, VerifiedCaptcha};

#[derive(Deserialize)]
struct SignIn {
    username: String,
    password: String,
}

#[derive(Deserialize)]
struct Reset {
    email: String,
}

async fn login(gate: CaptchaGate, Json(form): Json<SignIn>) -> Response {
    // The pass the request carries (spent here), or none while few attempts failed.
    if let Err(rejection) = gate.check(&form.username, "login").await {
        return rejection.into_response();
    }
    if form.username == "demo" && form.password == "demo" {
        gate.succeeded(&form.username).await;
        Json(json!({"ok": true, "message": "Welcome back, demo."})).into_response()
    } else {
        gate.failed(&form.username).await;
        let body = json!({"ok": false, "message": "Wrong user name or password."});
        (StatusCode::UNAUTHORIZED, Json(body)).into_response()
    }
}

async fn password_reset(gate: CaptchaGate, Json(form): Json<Reset>) -> Response {
    if let Err(rejection) = gate.check(&form.email, "password_reset").await {
        return rejection.into_response();
    }
    // Every request is an attempt on that address: counted whatever the answer.
    gate.failed(&form.email).await;
    let message = format!(
        "If {} has an account, a reset link is on its way.",
        form.email
    );
    Json(json!({"ok": true, "message": message})).into_response()
}

/// A form behind the invisible proof of work: every request carries a pass.
async fn invisible_order(_pass: VerifiedCaptcha) -> Json<serde_json::Value> {
    Json(json!({"ok": true, "message": "Sent."}))
}

/// The whole app: the pages, the routes, the captcha routes and the widget.
pub fn app(captcha: Captcha) -> Router {
    let widget = Widget::new();
    let head = widget.tags();
    let layer = CaptchaLayer::builder(captcha.clone())
        .mount(tower_captcha::protocol::AuthV1::new())
        .mount(widget)
        .build()
        .expect("the default paths do not clash");
    let page = |form: &str, scope: &str, action: &str, captcha: &str| {
        PAGE.replace("{head}", &head)
            .replace("{form}", form)
            .replace("{captcha}", &captcha.replace("{scope}", scope))
            .replace("{action}", action)
    };
    let when_required = r#"<div id="captcha" data-captcha="managed" data-scope="{scope}" data-when="required"></div>"#;
    let sign_in = page(SIGN_IN, "login", "/login", when_required);
    let reset = page(RESET, "password_reset", "/password-reset", when_required);
    let invisible = page(
        ORDER,
        "order",
        "/order",
        r#"<div id="captcha" data-captcha="pow" data-mode="invisible" data-start="{start}" data-scope="{scope}"></div>"#,
    );
    Router::new()
        .route("/", get(move || async move { Html(sign_in) }))
        .route("/reset", get(move || async move { Html(reset) }))
        .route(
            "/invisible",
            get(
                move |q: axum::extract::Query<std::collections::HashMap<String, String>>| {
                    let start = q.get("start").map_or("visible", |s| s.as_str()).to_owned();
                    let page = invisible.replace("{start}", &start);
                    async move { Html(page) }
                },
            ),
        )
        .route("/login", post(login))
        .route("/password-reset", post(password_reset))
        .route(
            "/order",
            post(invisible_order).route_layer(captcha.require_scope("order")),
        )
        .layer(layer)
}

const SIGN_IN: &str = r#"<h1>Sign in</h1>
  <label>User name <input name="username" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <p><a href="/reset">Forgot your password?</a></p>"#;

const RESET: &str = r#"<h1>Reset your password</h1>
  <label>Email address <input name="email" type="email" autocomplete="email" required></label>
  <p><a href="/">Back to sign in</a></p>"#;

const ORDER: &str = r#"<h1>Send a message</h1>
  <label>Message <input name="message" required></label>"#;

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in</title>
{head}
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 24rem; margin: 2rem auto; padding: 0 1rem; }
  form { display: grid; gap: .8rem; } label { display: grid; gap: .25rem; }
  input { font: inherit; padding: .5rem; } button[type=submit] { font: inherit; padding: .6rem; }
</style>
</head>
<body>
<form id="form" novalidate>
  {form}
  {captcha}
  <button type="submit" id="submit">Continue</button>
  <p id="message" role="status"></p>
</form>
<script>
const $ = (id) => document.getElementById(id);
$("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  // The pass if the widget is showing (it waits for an invisible one to finish); none else.
  await TowerCaptcha.solve();
  const data = Object.fromEntries(new FormData($("form")));
  delete data.captcha_token;
  // With the pass as x-captcha-token if there is one. An answer of captcha_required makes the
  // hidden widget appear: the person completes it and submits again.
  const res = await TowerCaptcha.fetch("{action}", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(data),
  });
  const body = await res.json();
  $("message").textContent = body.error === "captcha_required"
    ? "Please complete the captcha, then continue again."
    : body.message || body.error_description;
});
</script>
</body>
</html>
"#;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
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
    let at = listener.local_addr()?;
    println!("sign-in example on http://{at}/ (demo / demo): a captcha only after 3 failures");
    println!("  GET /reset       password reset, the same way");
    println!("  GET /invisible   a form behind an invisible proof of work");
    serve::serve(listener, app(captcha)).await?;
    Ok(())
}
